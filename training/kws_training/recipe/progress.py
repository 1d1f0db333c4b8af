"""The progress bar of the model tools (training and evaluation): on stderr, no dependency;
redrawn in place on a terminal, a line every 10 % otherwise (CI logs), silent when disabled or
when KWS_NO_PROGRESS is set."""
import os
import sys
import time


class Progress:
    def __init__(self, total: float, label: str, unit: str = "", enabled: bool = True,
                 stream=None):
        self.total = max(float(total), 1e-12)
        self.label = label
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and not os.environ.get("KWS_NO_PROGRESS")
        self.tty = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.done = 0.0
        self.started = time.monotonic()
        self._last_decile = -1
        self._last_draw = 0.0

    def update(self, amount: float = 1.0) -> None:
        self.set(self.done + amount)

    def set(self, value: float) -> None:
        self.done = min(float(value), self.total)
        if not self.enabled:
            return
        fraction = self.done / self.total
        if self.tty:
            now = time.monotonic()
            if now - self._last_draw < 0.1 and self.done < self.total:
                return
            self._last_draw = now
            width = 30
            filled = int(fraction * width)
            bar = "#" * filled + "." * (width - filled)
            self.stream.write(f"\r{self.label} [{bar}] {fraction:6.1%} "
                              f"{self.done:.0f}/{self.total:.0f}{self.unit} "
                              f"{now - self.started:5.1f} s")
            self.stream.flush()
        else:
            decile = int(fraction * 10)
            # Logs get a line per 10 % of a step that takes a while, nothing for quick ones.
            if decile != self._last_decile and time.monotonic() - self.started >= 2.0:
                self._last_decile = decile
                self.stream.write(f"{self.label}: {fraction:.0%} "
                                  f"({time.monotonic() - self.started:.1f} s)\n")
                self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.tty:
            self.set(self.total)
            self.stream.write("\n")
            self.stream.flush()
