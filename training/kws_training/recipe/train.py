"""BC-ResNet training recipe (Kim et al., "Broadcasted Residual Learning for Efficient Keyword
Spotting", Interspeech 2021) with run tracking, resuming, and export to a libkws model file.

    PYTHONPATH=bindings/python:training nice -n 10 /usr/bin/python3 -m kws_training.recipe.train \\
        --task commands_en --tau 1 --epochs 30 --run-dir runs/commands_en_tau1 \\
        [--export examples/models/commands_en.kws] [--resume]

Paper defaults: SGD momentum 0.9, lr 0.1 with 5 warm-up epochs then cosine decay to 0 per
iteration, weight decay 1e-3, batch 100, background noise mixed with p = 0.8, time shift
+-100 ms, SpecAugment (2 frequency masks of width <= {1.5: 1, 2: 3, 3: 5, 6: 7, 8: 7}[tau], 2
time masks of width <= 20 frames) for tau >= 1.5. The paper trains 200 epochs; the bundled
models use fewer (see README). Features are the model file's feature config, computed with the
torchaudio reference (kws_training.features), which libkws matches.

A run folder holds config.json, data.json, metrics.jsonl (one line per epoch), iterations.jsonl,
confusion.json, loss.png / accuracy.png / lr.png, last.pt (resumable), model.kws, model.onnx and
eval.json (the exported file re-read and evaluated).
"""
import argparse
import json
import math
import pathlib
import sys
import time
from typing import Dict, List, Optional

import numpy as np

from .dataset import (REPO_ROOT, UNKNOWN, DataMissing, TaskData, build_task, epoch_examples,
                      make_waveforms)
from .augment import AugmentConfig, Augmenter

#: SpecAugment frequency-mask widths of the reference implementation, by tau.
FREQUENCY_MASK = {1: 0, 1.5: 1, 2: 3, 3: 5, 6: 7, 8: 7}
TIME_MASK = 20
MASKS = 2


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m kws_training.recipe.train",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--task", default="commands_en",
                   choices=["commands_en", "wakeword", "arabic", "speech_commands", "speech_backbone"])
    p.add_argument("--tau", type=float, default=1.0)
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--warmup-epochs", type=int, default=5)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=1e-3)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--max-steps", type=int, default=0,
                   help="stop after this many optimiser steps (smoke tests); 0: no limit")
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--run-dir", type=pathlib.Path,
                   help="run folder (default runs/<task>-tau<tau>-<time> in the repository)")
    p.add_argument("--resume", action="store_true", help="continue from RUN_DIR/last.pt")
    p.add_argument("--export", type=pathlib.Path, help="also copy the model file here")
    p.add_argument("--description", default=None, help="model file description")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--init", type=pathlib.Path,
                   help="start from these weights (a libkws model file or a checkpoint)")
    p.add_argument("--backbone", type=pathlib.Path,
                   help="a pre-trained model file of the same tau (--task speech_backbone) whose "
                   "layers, all but the last, start this model")
    p.add_argument("--freeze-stages", type=int, default=0,
                   help="with --backbone: keep the stem and the first N of the 4 stages as trained")
    p.add_argument("--domain-adversarial", type=float, default=0.0,
                   help="weight of a synthetic-vs-real head on the negatives' embeddings behind "
                   "gradient reversal (Ganin & Lempitsky 2015); 0: off")
    p.add_argument("--voice-augmentation", type=float, default=0.0,
                   help="probability of a voice change per training example (spectral warp, "
                   "tilt, telephone codec: augment.voice_change); 0: off")
    p.add_argument("--context-probability", type=float, default=0.0,
                   help="per side, probability of a neighbouring word partly in the window")
    data = p.add_argument_group("data")
    data.add_argument("--cache-dir", type=pathlib.Path, default=None,
                      help="synthetic speech cache root (default ~/.cache/libkws/synth)")
    data.add_argument("--synthetic-keyword-share", type=float, default=None,
                      help="commands_en: share of each keyword's draws from its synthetic renders "
                      "(default: the renders are pooled with the real clips)")
    data.add_argument("--epoch-size", type=int, default=0,
                      help="examples per epoch (0: the task's default; commands_en 30000)")
    data.add_argument("--keyword", default="computer", help="wake word of --task wakeword")
    data.add_argument("--keyword-renders", type=int, default=250)
    data.add_argument("--negatives", type=int, default=200, help="negative words")
    data.add_argument("--negative-renders", type=int, default=16)
    data.add_argument("--sentences", type=int, default=150)
    data.add_argument("--sentence-renders", type=int, default=4)
    data.add_argument("--synthetic-only", action="store_true",
                      help="commands_en without the real Speech Commands clips")
    data.add_argument("--real-positives", action="store_true",
                      help="wakeword: add 70%% of the real recordings of the word")
    data.add_argument("--no-real-negatives", action="store_true",
                      help="wakeword: synthetic negatives only (no ../shared/data speech)")
    data.add_argument("--mine-with", type=pathlib.Path,
                      help="wakeword: score the real negative speech with this model file and add "
                           "its highest-scoring seconds as a pool of hard negatives (recipe.mining)")
    data.add_argument("--mined-negatives", type=int, default=2000,
                      help="wakeword: how many seconds --mine-with keeps at most")
    data.add_argument("--real-validation-fraction", type=float, default=0.3,
                      help="share of real speakers held out for validation")
    data.add_argument("--speech-commands", type=pathlib.Path,
                      help="root of a Speech Commands tree (--task speech_commands)")
    args = p.parse_args(argv)
    if float(args.tau).is_integer():
        args.tau = int(args.tau)
    return args


def learning_rate(step: int, total_steps: int, warmup_steps: int, peak: float) -> float:
    """Linear warm-up to ``peak``, then cosine decay to 0 at ``total_steps`` (per iteration)."""
    if step < warmup_steps:
        return peak * (step + 1) / warmup_steps
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return 0.5 * peak * (1.0 + math.cos(math.pi * min(1.0, progress)))


class FeatureBatcher:
    """Waveforms -> model input [N, 1, n_mels, frames] with the model file's feature config."""

    def __init__(self, feature_config=None):
        from ..features import feature_extractor

        self.extract = feature_extractor(feature_config)

    def __call__(self, waveforms: np.ndarray):
        import torch

        return self.extract(torch.from_numpy(waveforms)[:, None, :])


def _spec_augment(features, tau, generator):
    """Two frequency and two time masks per example, widths drawn uniformly below the maxima."""
    import torch

    width_f = FREQUENCY_MASK.get(tau, 0)
    if tau < 1.5 or width_f == 0:
        return features
    batch, _, bins, frames = features.shape
    mask = torch.zeros(batch, 1, bins, frames, dtype=torch.bool)
    for _ in range(MASKS):
        for axis, width, size in ((2, width_f, bins), (3, TIME_MASK, frames)):
            w = torch.randint(0, width + 1, (batch,), generator=generator)
            start = (torch.rand(batch, generator=generator) * (size - w)).long()
            positions = torch.arange(size)
            hit = (positions[None, :] >= start[:, None]) & (positions[None, :] < (start + w)[:, None])
            mask |= hit[:, None, :, None] if axis == 2 else hit[:, None, None, :]
    return features.masked_fill(mask, 0.0)


def reverse_gradient(x, weight: float):
    """``x`` unchanged forward, its gradient times -weight backward (the domain-adversarial
    trick): x - x.detach() is exactly 0 and carries x's gradient."""
    return x.detach() - weight * (x - x.detach())


def load_backbone(model, path: pathlib.Path) -> None:
    """Every layer of ``model`` but the last from the model file at ``path`` (same tau)."""
    from ..bcresnet import load_model_file

    backbone = load_model_file(path)[0]
    if backbone.tau != model.tau:
        raise ValueError(f"backbone {path} is BC-ResNet-{backbone.tau}, the model BC-ResNet-{model.tau}")
    last = f"classifier.{len(model.classifier) - 1}."
    state = {k: v for k, v in backbone.state_dict().items() if not k.startswith(last)}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or any(not k.startswith(last) for k in missing):
        raise ValueError(f"backbone {path} does not fit: missing {missing}, unexpected {unexpected}")


def frozen_modules(model, stages: int) -> list:
    """The stem and the first ``stages`` stages (kept as the backbone trained them)."""
    return [model.cnn_head] + list(model.BCBlocks[:stages]) if stages > 0 else []


def evaluate(model, features, labels: np.ndarray, num_classes: int, batch: int = 500) -> Dict:
    """Accuracy, mean loss, confusion matrix [true][predicted] and the logits."""
    import torch
    import torch.nn.functional as F

    model.eval()
    logits = []
    with torch.no_grad():
        for start in range(0, len(features), batch):
            logits.append(model(features[start:start + batch]))
    logits = torch.cat(logits) if logits else torch.zeros(0, num_classes)
    target = torch.as_tensor(labels, dtype=torch.long)
    predicted = logits.argmax(1)
    confusion = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(confusion, (target.numpy(), predicted.numpy()), 1)
    return {"accuracy": float((predicted == target).float().mean()) if len(target) else float("nan"),
            "loss": float(F.cross_entropy(logits, target)) if len(target) else float("nan"),
            "count": int(len(target)), "confusion": confusion.tolist(), "logits": logits}


def validation_features(task: TaskData, batcher: FeatureBatcher, augmenter: Augmenter, seed: int):
    """Fixed (unaugmented) validation sets: name -> (features, labels, waveforms); the waveforms
    are kept for the check that libkws, from the same audio, agrees with PyTorch."""
    import torch

    result = {}
    for name, examples in task.validation.items():
        rng = np.random.default_rng(seed)
        chunks, waves = [], []
        for start in range(0, len(examples), 500):
            waves.append(make_waveforms(examples[start:start + 500], augmenter, rng, False))
            chunks.append(batcher(waves[-1]))
        features = torch.cat(chunks) if chunks else torch.zeros(0)
        waveforms = np.concatenate(waves) if waves else np.zeros((0, augmenter.length), np.float32)
        result[name] = (features, np.array([e.label for e in examples]), waveforms)
    return result


def libkws_agreement(model_path: pathlib.Path, sets, sample_rate: int) -> List[Dict]:
    """libkws (its own features and engine, through the C API: what a user runs) against PyTorch
    (torchaudio features + BC-ResNet) on the same validation clips. ``sets``: (name, waveforms,
    PyTorch logits) per validation set. Per set: the share of clips where both pick the same
    class and the largest difference of any posterior. Raises OSError where libkws is not built."""
    import torch

    from kws import runtime

    agreement = []
    with runtime.Model(model_path) as model:
        for name, waveforms, torch_logits in sets:
            torch_posteriors = torch.softmax(torch_logits.float(), 1).numpy()
            libkws_posteriors = np.array(
                [[result.scores[label] for label in model.labels]
                 for result in (model.classify(w, sample_rate) for w in waveforms)],
                dtype=np.float32).reshape(len(waveforms), len(model.labels))
            same = libkws_posteriors.argmax(1) == torch_posteriors.argmax(1)
            agreement.append({"set": name, "clips": int(len(waveforms)),
                              "same_class": float(same.mean()) if len(same) else 1.0,
                              "max_posterior_difference": float(np.abs(libkws_posteriors - torch_posteriors).max())
                              if len(waveforms) else 0.0})
    return agreement


def plot_run(run_dir: pathlib.Path) -> None:
    """loss.png, accuracy.png and lr.png from metrics.jsonl / iterations.jsonl."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    if not epochs:
        return
    x = [e["epoch"] for e in epochs]
    val_names = sorted({k[:-len("_accuracy")] for e in epochs for k in e if k.endswith("_accuracy")
                        and k != "train_accuracy"})
    for name, keys in (("loss", ["train_loss"] + [f"{v}_loss" for v in val_names]),
                       ("accuracy", ["train_accuracy"] + [f"{v}_accuracy" for v in val_names])):
        fig, ax = plt.subplots(figsize=(6, 4))
        for key in keys:
            ax.plot(x, [e.get(key, float("nan")) for e in epochs], marker=".", label=key)
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend()
        ax.set_title(f"{run_dir.name}: {name}")
        fig.tight_layout()
        fig.savefig(run_dir / f"{name}.png", dpi=90)
        plt.close(fig)
    iterations = [json.loads(line) for line in
                  (run_dir / "iterations.jsonl").read_text().splitlines()]
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot([i["step"] for i in iterations], [i["lr"] for i in iterations])
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(run_dir / "lr.png", dpi=90)
    plt.close(fig)


def _json_default(value):
    if isinstance(value, pathlib.Path):
        return str(value)
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(type(value))


def train(args) -> pathlib.Path:
    """Run the recipe per ``args``; returns the run folder."""
    import torch
    import torch.nn.functional as F

    from ..bcresnet import bcresnet

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    run_dir = args.run_dir or REPO_ROOT / "runs" / f"{args.task}-tau{args.tau}-{time.strftime('%Y%m%d-%H%M%S')}"
    run_dir.mkdir(parents=True, exist_ok=True)
    args.run_dir = run_dir
    if args.quiet:
        import os
        os.environ["KWS_NO_PROGRESS"] = "1"
    started = time.time()
    task = build_task(args)
    augmenter = Augmenter(AugmentConfig(), task.noises, task.babble)
    train_augmenter = Augmenter(AugmentConfig(context_probability=args.context_probability,
                                              voice_probability=args.voice_augmentation),
                                task.noises, task.babble)
    # Neighbouring words include the keywords themselves, as many as the other speech at most:
    # commands come in runs ("yes. no. up. down."), and a window centred on one keyword holding
    # part of another is still that one.
    keyword_clips = [e.audio for name, pool in task.train_pools.items()
                     if name == "keyword" or name.startswith("keyword_") for e in pool
                     if e.audio is not None]
    step = max(1, len(keyword_clips) // max(1, len(train_augmenter.neighbours)))
    train_augmenter.neighbours += [clip.astype(np.float32) / 32768.0 for clip in keyword_clips[::step]]
    batcher = FeatureBatcher()
    (run_dir / "config.json").write_text(json.dumps(vars(args), default=_json_default, indent=1))
    (run_dir / "data.json").write_text(json.dumps(task.summary(), default=_json_default, indent=1))
    validation = validation_features(task, batcher, augmenter, args.seed + 2)
    data_seconds = time.time() - started
    print(f"[train] {task.name}: {json.dumps(task.summary(), default=_json_default)} "
          f"({data_seconds:.0f} s to prepare)", flush=True)

    num_classes = len(task.labels)
    model = bcresnet(args.tau, num_classes)
    if args.backbone:
        load_backbone(model, args.backbone)
        print(f"[train] backbone {args.backbone}; stem and {args.freeze_stages} stages frozen", flush=True)
    frozen = frozen_modules(model, args.freeze_stages if args.backbone else 0)
    for module in frozen:
        module.requires_grad_(False)
    domain_head = None
    if args.domain_adversarial > 0:
        domain_head = torch.nn.Sequential(torch.nn.Linear(model.c[-1], 32), torch.nn.ReLU(),
                                          torch.nn.Linear(32, 1))
    trainable = [p for p in model.parameters() if p.requires_grad]
    if domain_head is not None:
        trainable += list(domain_head.parameters())
    optimizer = torch.optim.SGD(trainable, lr=args.lr, momentum=args.momentum,
                                weight_decay=args.weight_decay)
    unknown = task.labels.index(UNKNOWN) if UNKNOWN in task.labels else -1
    rng = np.random.default_rng(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    steps_per_epoch = math.ceil(len(epoch_examples(task, np.random.default_rng(0))) / args.batch_size)
    total_steps = args.epochs * steps_per_epoch
    warmup_steps = args.warmup_epochs * steps_per_epoch
    start_epoch, step, elapsed_before = 0, 0, 0.0
    checkpoint_path = run_dir / "last.pt"
    if args.init and not (args.resume and checkpoint_path.exists()):
        from ..export import unwrap_state_dict

        if args.init.suffix == ".kws":
            from ..bcresnet import load_model_file

            state_dict = load_model_file(args.init)[0].state_dict()
        else:
            state_dict = unwrap_state_dict(torch.load(args.init, map_location="cpu"))
        model.load_state_dict(state_dict)
        print(f"[train] initialised from {args.init}", flush=True)
    if args.resume and checkpoint_path.exists():
        state = torch.load(checkpoint_path, map_location="cpu")
        model.load_state_dict(state["model"])
        if domain_head is not None and "domain_head" in state:
            domain_head.load_state_dict(state["domain_head"])
        optimizer.load_state_dict(state["optimizer"])
        start_epoch, step = state["epoch"], state["step"]
        elapsed_before = state.get("train_seconds", 0.0)
        rng.bit_generator.state = state["numpy_rng"]
        generator.set_state(state["torch_rng"])
        print(f"[train] resumed at epoch {start_epoch}, step {step}", flush=True)
    elif not args.resume:
        for name in ("metrics.jsonl", "iterations.jsonl"):
            (run_dir / name).write_text("")
    main_set = "real_val" if "real_val" in validation else next(iter(validation), None)

    train_started = time.time()
    for epoch in range(start_epoch, args.epochs):
        model.train()
        for module in frozen:  # frozen layers keep the backbone's BatchNorm statistics too
            module.eval()
        examples = epoch_examples(task, rng)
        losses, correct, seen = [], 0, 0
        epoch_started = time.time()
        data_time = 0.0  # augmentation + features, the rest of the epoch is the model
        from .progress import Progress
        bar = Progress(math.ceil(len(examples) / args.batch_size), f"epoch {epoch + 1}/{args.epochs}",
                       enabled=not args.quiet)
        with open(run_dir / "iterations.jsonl", "a") as iterations:
            for start in range(0, len(examples), args.batch_size):
                batch = examples[start:start + args.batch_size]
                lr = learning_rate(step, total_steps, warmup_steps, args.lr)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                data_started = time.time()
                features = batcher(make_waveforms(batch, train_augmenter, rng, True))
                features = _spec_augment(features, args.tau, generator)
                data_time += time.time() - data_started
                target = torch.as_tensor([e.label for e in batch], dtype=torch.long)
                embedding = model.embed(features)  # model(features) is the last layer on this
                logits = torch.flatten(model.classifier[-1](embedding), 1)
                loss = F.cross_entropy(logits, target)
                negatives = [i for i, e in enumerate(batch) if e.label == unknown] if domain_head is not None else []
                if negatives:
                    # Ganin's ramp: the reversed gradient grows from 0 to its weight.
                    progress = step / max(1, total_steps)
                    weight = args.domain_adversarial * (2.0 / (1.0 + math.exp(-10 * progress)) - 1.0)
                    reversed_embedding = reverse_gradient(torch.flatten(embedding[negatives], 1), weight)
                    domain = torch.as_tensor([float(batch[i].synthetic) for i in negatives])
                    loss = loss + F.binary_cross_entropy_with_logits(
                        domain_head(reversed_embedding)[:, 0], domain)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(float(loss))
                correct += int((logits.argmax(1) == target).sum())
                seen += len(batch)
                if step % 10 == 0:
                    iterations.write(json.dumps({"step": step, "epoch": epoch, "lr": lr,
                                                 "loss": float(loss)}) + "\n")
                step += 1
                bar.update()
                if args.max_steps and step >= args.max_steps:
                    break
        bar.close()
        record = {"epoch": epoch + 1, "step": step, "lr": lr,
                  "train_loss": float(np.mean(losses)), "train_accuracy": correct / max(1, seen),
                  "epoch_seconds": round(time.time() - epoch_started, 1),
                  "samples_per_second": round(seen / max(1e-9, time.time() - epoch_started), 1),
                  "data_share": round(data_time / max(1e-9, time.time() - epoch_started), 3)}
        confusion = {}
        for name, (features, labels, _) in validation.items():
            result = evaluate(model, features, labels, num_classes)
            record[f"{name}_accuracy"] = result["accuracy"]
            record[f"{name}_loss"] = result["loss"]
            confusion[name] = result["confusion"]
        train_seconds = elapsed_before + time.time() - train_started
        record["train_seconds"] = round(train_seconds, 1)
        with open(run_dir / "metrics.jsonl", "a") as metrics:
            metrics.write(json.dumps(record) + "\n")
        (run_dir / "confusion.json").write_text(json.dumps(
            {"labels": task.labels, "epoch": epoch + 1, "matrices": confusion}))
        print("[train] " + " ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}"
                                    for k, v in record.items()), flush=True)
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "epoch": epoch + 1, "step": step, "train_seconds": train_seconds,
                    "numpy_rng": rng.bit_generator.state, "torch_rng": generator.get_state(),
                    "labels": task.labels, "tau": args.tau,
                    **({"domain_head": domain_head.state_dict()} if domain_head is not None else {})},
                   checkpoint_path)
        plot_run(run_dir)
        if args.max_steps and step >= args.max_steps:
            break

    finish(args, task, model, run_dir, validation, main_set, time.time() - started)
    return run_dir


def finish(args, task: TaskData, model, run_dir: pathlib.Path, validation, main_set,
           wall_seconds: float) -> Dict:
    """Export model.kws (+ ONNX), read the file back, evaluate it, write eval.json."""
    import shutil

    from ..bcresnet import load_model_file
    from ..export import export

    description = args.description or (f"BC-ResNet-{args.tau} {task.name}, libkws training recipe "
                                        f"(kws_training.recipe.train), {args.epochs} epochs")
    model.eval()
    export(model, args.tau, task.labels, run_dir / "model.kws", onnx_path=run_dir / "model.onnx",
           description=description)
    loaded, model_file = load_model_file(run_dir / "model.kws")
    results = {"wall_seconds": round(wall_seconds, 1), "labels": task.labels,
               "data": task.summary(), "validation": {}}
    sets = []
    for name, (features, labels, waveforms) in validation.items():
        result = evaluate(loaded, features, labels, len(task.labels))
        results["validation"][name] = {"accuracy": result["accuracy"], "count": result["count"],
                                       "confusion": result["confusion"]}
        sets.append((name, waveforms, result["logits"]))
    try:
        agreement = libkws_agreement(run_dir / "model.kws", sets, model_file.feature_config["sample_rate"])
    except OSError as error:  # libkws not built: the check is skipped, and says so
        print(f"[train] libkws agreement not checked: {str(error).splitlines()[0]}", flush=True)
        agreement = []
    if agreement:
        results["libkws_agreement"] = agreement
        print("[train] libkws vs PyTorch on the validation clips: " + "; ".join(
            f"{a['set']}: same class {100 * a['same_class']:.2f} % of {a['clips']}, "
            f"max posterior difference {a['max_posterior_difference']:.2g}" for a in agreement), flush=True)
    if task.name.startswith("wakeword"):
        from .clip_evaluation import wakeword_report

        results["wakeword"] = report = wakeword_report(loaded, task, args)
        if report:  # store the calibrated threshold in the model file
            export(model, args.tau, task.labels, run_dir / "model.kws",
                   onnx_path=run_dir / "model.onnx", description=description,
                   thresholds={args.keyword: round(report["threshold"], 4)})
    (run_dir / "eval.json").write_text(json.dumps(results, default=_json_default, indent=1))
    summary = {k: round(v["accuracy"], 4) for k, v in results["validation"].items()}
    print(f"[train] exported {run_dir / 'model.kws'}; validation accuracy {summary}; "
          f"wall {wall_seconds:.0f} s", flush=True)
    if args.export:
        args.export.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(run_dir / "model.kws", args.export)
        print(f"[train] copied to {args.export}")
    return results


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        train(args)
    except DataMissing as error:
        print(f"kws_training.recipe.train: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
