"""Timing shared by the Python peer benchmarks (one definition of what "ms" means)."""
import statistics
import time

import torch


def median_ms(function, argument, iterations: int, warmup: int) -> float:
    """Median wall time of function(argument) in milliseconds, after `warmup` untimed calls."""
    with torch.inference_mode():
        for _ in range(warmup):
            function(argument)
        times = []
        for _ in range(iterations):
            start = time.perf_counter_ns()
            function(argument)
            times.append((time.perf_counter_ns() - start) / 1e6)
    return statistics.median(times)
