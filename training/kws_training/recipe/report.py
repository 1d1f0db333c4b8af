"""Compare training runs: one row per run folder (task, tau, epochs, data size, wall time, final
and best validation accuracy per set, wake-word rates when present).

    PYTHONPATH=bindings/python:training /usr/bin/python3 -m kws_training.recipe.report runs/* [--markdown]
    PYTHONPATH=bindings/python:training /usr/bin/python3 -m kws_training.recipe.report --per-class runs/X [--markdown]

--per-class: accuracy per true class on every validation set of each run's exported model
(eval.json's confusion matrices, the file read back after export).
"""
import argparse
import json
import pathlib
import sys
from typing import Dict, List


def load_run(run_dir: pathlib.Path) -> Dict:
    """Summary of one run folder (missing pieces are left out)."""
    run: Dict = {"run": run_dir.name}
    config_path, metrics_path = run_dir / "config.json", run_dir / "metrics.jsonl"
    if config_path.exists():
        config = json.loads(config_path.read_text())
        run.update(task=config.get("task"), tau=config.get("tau"), epochs=config.get("epochs"))
    data_path = run_dir / "data.json"
    if data_path.exists():
        data = json.loads(data_path.read_text())
        run["train_clips"] = sum(data.get("train_pools", {}).values())
    epochs = []
    if metrics_path.exists():
        epochs = [json.loads(line) for line in metrics_path.read_text().splitlines() if line]
    if epochs:
        last = epochs[-1]
        run["done_epochs"] = last["epoch"]
        run["train_minutes"] = round(last.get("train_seconds", 0) / 60, 1)
        for key in last:
            if key.endswith("_accuracy") and key != "train_accuracy":
                name = key[: -len("_accuracy")]
                run[f"{name}"] = round(100 * last[key], 2)
                run[f"{name}_best"] = round(100 * max(e.get(key, 0) for e in epochs), 2)
    eval_path = run_dir / "eval.json"
    if eval_path.exists():
        result = json.loads(eval_path.read_text())
        run["wall_minutes"] = round(result.get("wall_seconds", 0) / 60, 1)
        wake = result.get("wakeword") or {}
        if wake:
            run["threshold"] = round(wake["threshold"], 3)
            run["miss_val"] = round(100 * wake["at_threshold"]["val"]["miss_rate"], 1)
            run["miss_all"] = round(100 * wake["at_threshold"]["all"]["miss_rate"], 1)
            run["false_accept"] = round(100 * wake["at_threshold"]["val"]["false_accept_rate"], 2)
    return run


def per_class(run_dir: pathlib.Path) -> List[Dict]:
    """One row per validation set of the run's eval.json: the set, its clips, overall accuracy
    and the accuracy of each true class ("hits/clips" where the set has that class)."""
    result = json.loads((run_dir / "eval.json").read_text())
    labels = result["labels"]
    rows = []
    for name, entry in result["validation"].items():
        confusion = entry["confusion"]
        row = {"run": run_dir.name, "set": name, "clips": entry["count"],
               "accuracy": round(100 * entry["accuracy"], 2)}
        for index, label in enumerate(labels):
            total = sum(confusion[index])
            if total:
                row[label] = f"{100 * confusion[index][index] / total:.1f}"
        rows.append(row)
    return rows


def table(runs: List[Dict], markdown: bool = False) -> str:
    columns: List[str] = []
    for run in runs:
        columns += [key for key in run if key not in columns]
    rows = [[str(run.get(column, "")) for column in columns] for run in runs]
    if markdown:
        lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in rows]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kws_training.recipe.report",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=pathlib.Path, help="run folders")
    parser.add_argument("--markdown", action="store_true", help="a Markdown table")
    parser.add_argument("--per-class", action="store_true",
                        help="accuracy per class and validation set (from eval.json)")
    args = parser.parse_args(argv)
    if args.per_class:
        rows = [row for path in args.runs if (path / "eval.json").exists() for row in per_class(path)]
        if not rows:
            print("kws_training.recipe.report: no run folder with eval.json given", file=sys.stderr)
            return 2
        print(table(rows, args.markdown))
        return 0
    runs = [load_run(path) for path in args.runs if (path / "config.json").exists()]
    if not runs:
        print("kws_training.recipe.report: no run folders (with config.json) given", file=sys.stderr)
        return 2
    print(table(runs, args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
