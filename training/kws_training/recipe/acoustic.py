"""The phoneme acoustic model of open-vocabulary keyword search: BC-ResNet without its mean over
time (``BCResNets.frame_logits``, architecture "bcresnet_ctc" in the model file), trained with
CTC on espeak-ng's phonemes of real transcribed speech, so that libkws can find any keyword given
as text at run time (kws::Spotter) and decode a clip to phonemes.

    PYTHONPATH=bindings/python:training nice /usr/bin/python3 -m kws_training.recipe.acoustic \\
        --run-dir runs/phonemes_en --export examples/models/phonemes_en.kws [--resume]

Data (all from ../shared/data, speakers split as the wake-word recipe splits them):
- LibriSpeech train-clean-5 readers with sha1("kws" + reader) >= 0.5, whole utterances with
  their transcripts; sentences that say an evaluation keyword (KEYWORDS_NEVER_TRAINED, and any
  word that starts with one) are left out, so "computer" and "alexa" are never heard in training.
- Speech Commands words of gsc_train and of gsc_v2_test_a's training speakers (the word is the
  transcript), WORD_CLIPS_PER_EPOCH of them drawn per epoch.
- Synthetic sentences from every installed TTS voice (recipe.synth), without the keywords.
Targets are ``phonetics.phonemes`` of the text (espeak-ng en-us mnemonics, stress dropped): the
same rule libkws applies to a keyword's text. Validation: phoneme error rate of greedy decoding
on LibriSpeech readers in [0.2, 0.5) (the wake-word test streams' readers; none trained on).

AdamW, one warm-up epoch then cosine decay. Every epoch sees every utterance once, augmented (gain, real noise at 5-30 dB SNR, SpecAugment
with a time mask per 1.5 s), in batches of about ``--frames-per-batch`` frames of similar length.
"""
import argparse
import json
import math
import pathlib
import sys
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..modelfile import BLANK_LABEL
from .audio import SAMPLE_RATE, to_float

#: Words never in the acoustic model's training data: the keywords it is evaluated on as text.
KEYWORDS_NEVER_TRAINED = ("computer", "alexa")
#: Readers held out for the phoneme error rate: [0.2, 0.5) of the wake-word split.
VALIDATION_READERS = (0.2, 0.5)
WORD_CLIPS_PER_EPOCH = 3000
SYNTHETIC_SENTENCES = 300
SYNTHETIC_RENDERS = 2
#: Frames of the streaming analysis window written into the model file (3 s).
INPUT_FRAMES = 301


@dataclass
class Utterance:
    audio: np.ndarray  # int16 at 16 kHz
    tokens: Tuple[str, ...]
    source: str
    speaker: str


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m kws_training.recipe.acoustic",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--tau", type=float, default=1)
    p.add_argument("--epochs", type=int, default=16)
    p.add_argument("--lr", type=float, default=3e-3, help="AdamW's peak learning rate")
    p.add_argument("--warmup-epochs", type=int, default=1)
    p.add_argument("--weight-decay", type=float, default=1e-2)
    p.add_argument("--frames-per-batch", type=int, default=8000)
    p.add_argument("--backbone", type=pathlib.Path,
                   help="start every layer but the last from this model file (same tau), e.g. "
                        "examples/models/speech_backbone.kws")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--run-dir", type=pathlib.Path, required=True)
    p.add_argument("--resume", action="store_true", help="continue from RUN_DIR/last.pt")
    p.add_argument("--export", type=pathlib.Path, help="write the model file here too")
    p.add_argument("--max-utterances", type=int, default=0, help="smoke tests: use this many")
    p.add_argument("--validate-every", type=int, default=2, help="epochs between PER checks")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    if float(args.tau).is_integer():
        args.tau = int(args.tau)
    return args


def _says_a_keyword(text: str) -> bool:
    return any(word.lower().startswith(k) for word in text.split() for k in KEYWORDS_NEVER_TRAINED)


def corpus(seed: int = 0, synthetic: bool = True, limit: int = 0):
    """(training utterances, Speech Commands word clips, validation utterances), phonemised."""
    from . import speech_commands as sc
    from .dataset import (HELDOUT_SALT, WAKEWORD_HELDOUT, _load_files, librispeech_split,
                          require_shared)
    from .librispeech import transcripts
    from .phonetics import phonemes
    from .synth import synthesize
    from .wordlists import COMMANDS_EN, running_speech

    root = require_shared("librispeech")
    text = transcripts(root)
    training = [p for p in librispeech_split(WAKEWORD_HELDOUT)["training"]
                if p.stem in text and not _says_a_keyword(text[p.stem])]
    low, high = VALIDATION_READERS
    below = set(librispeech_split(low)["validation"])
    validation = [p for p in librispeech_split(high)["validation"] if p.stem in text and p not in below]
    if limit:
        training, validation = training[:limit], validation[:max(4, limit // 4)]
    utterances, held_out = [], []
    for paths, out in ((training, utterances), (validation, held_out)):
        tokens = phonemes([text[p.stem] for p in paths])
        for path, clip, t in zip(paths, _load_files(paths, "librispeech"), tokens):
            out.append(Utterance(clip, t, "librispeech", sc.speaker_id(path)))

    words: List[Utterance] = []
    for folder in ("gsc_train", "gsc_v2_test_a"):
        tree = sc.SpeechCommands(require_shared(folder), COMMANDS_EN)
        entries = (tree.entries if folder == "gsc_train" else
                   sc.split_by_speaker(tree.entries, WAKEWORD_HELDOUT, HELDOUT_SALT)["training"])
        entries = [e for e in entries if e.word and not e.word.startswith("_")]
        if limit:
            entries = entries[:limit]
        sounds = dict(zip(sorted({e.word for e in entries}),
                          phonemes(sorted({e.word.replace("_", " ") for e in entries}))))
        for e, clip in zip(entries, _load_files([e.path for e in entries], folder)):
            words.append(Utterance(clip, sounds[e.word], folder, e.speaker))

    if synthetic:
        from .synth import is_heldout_voice

        sentences = running_speech(KEYWORDS_NEVER_TRAINED, SYNTHETIC_SENTENCES if not limit else 4, seed + 19)
        sounds = dict(zip(sentences, phonemes(sentences)))
        for sentence, entry in synthesize(sentences, SYNTHETIC_RENDERS, seed + 19).items():
            for clip, voice in zip(entry.clips, entry.voices):
                if not is_heldout_voice(voice):
                    utterances.append(Utterance(clip, sounds[sentence], "synth_sentence", voice))
    return utterances, words, held_out


def token_inventory(texts_tokens: Sequence[Sequence[str]]) -> List[str]:
    """labels of the model file: the blank (BLANK_LABEL), then every token seen, sorted."""
    return [BLANK_LABEL] + sorted({t for tokens in texts_tokens for t in tokens})


def batches(lengths: Sequence[int], frames_per_batch: int, rng: np.random.Generator) -> List[List[int]]:
    """Indices grouped by similar length (sorted after a little jitter), about
    ``frames_per_batch`` padded frames each, in random order."""
    jitter = np.asarray(lengths, np.float64) * rng.uniform(0.9, 1.1, len(lengths))
    out: List[List[int]] = []
    current: List[int] = []
    longest = 0
    for i in np.argsort(jitter):
        if current and max(longest, lengths[i]) * (len(current) + 1) > frames_per_batch:
            out.append(current)
            current, longest = [], 0
        current.append(int(i))
        longest = max(longest, lengths[i])
    if current:
        out.append(current)
    rng.shuffle(out)
    return out


def _augment(clip: np.ndarray, noises: Sequence[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Gain, and real noise at 5-30 dB SNR half of the time."""
    x = to_float(clip) * float(10 ** rng.uniform(-0.5, 0.3))
    if noises and rng.random() < 0.5:
        noise = noises[int(rng.integers(len(noises)))]
        start = int(rng.integers(0, max(1, noise.size - x.size)))
        piece = np.resize(noise[start:start + x.size], x.size)
        speech_power = float(np.mean(x ** 2)) + 1e-10
        noise_power = float(np.mean(piece ** 2)) + 1e-10
        snr = rng.uniform(5, 30)
        x = x + piece * math.sqrt(speech_power / noise_power / 10 ** (snr / 10))
    return np.clip(x, -1.0, 1.0).astype(np.float32)


def _spec_augment(features, lengths, generator):
    """Two frequency masks of up to 5 rows, and one time mask of up to 20 frames per 150 frames."""
    import torch

    batch, _, bins, frames = features.shape
    features = features.clone()
    for b in range(batch):
        for _ in range(2):
            width = int(torch.randint(0, 6, (1,), generator=generator))
            start = int(torch.randint(0, bins - width + 1, (1,), generator=generator))
            features[b, :, start:start + width, :] = 0.0
        for _ in range(max(1, int(lengths[b]) // 150)):
            width = int(torch.randint(0, 21, (1,), generator=generator))
            start = int(torch.randint(0, max(1, int(lengths[b]) - width), (1,), generator=generator))
            features[b, :, :, start:start + width] = 0.0
    return features


def frame_count(samples: int) -> int:
    from ..features import num_frames

    return num_frames(samples)


def greedy(log_probs: np.ndarray) -> List[int]:
    """Greedy CTC decoding of [frames, tokens]: the best token per frame, repeats merged, blanks
    (index 0) dropped."""
    best = np.argmax(log_probs, axis=1)
    out, previous = [], -1
    for k in best:
        if k != previous and k != 0:
            out.append(int(k))
        previous = k
    return out


def phoneme_error_rate(hypotheses: Sequence[Sequence[str]], references: Sequence[Sequence[str]]) -> float:
    """Edit distance summed over utterances, over the reference length summed."""
    from .phonetics import edit_distance

    errors = sum(edit_distance(h, r) for h, r in zip(hypotheses, references))
    return errors / max(1, sum(len(r) for r in references))


def decode(model, batcher, utterances: Sequence[Utterance], labels: Sequence[str], frames_per_batch: int):
    """Greedy phonemes of each utterance (the PyTorch model, whole utterances, no augmentation)."""
    import torch

    lengths = [frame_count(u.audio.size) for u in utterances]
    out: List[Optional[Tuple[str, ...]]] = [None] * len(utterances)
    model.eval()
    with torch.no_grad():
        for group in batches(lengths, frames_per_batch, np.random.default_rng(0)):
            longest = max(utterances[i].audio.size for i in group)
            waves = np.zeros((len(group), longest), np.float32)
            for row, i in enumerate(group):
                waves[row, :utterances[i].audio.size] = to_float(utterances[i].audio)
            log_probs = model.frame_logits(batcher(waves)).log_softmax(1).numpy()
            for row, i in enumerate(group):
                out[i] = tuple(labels[k] for k in greedy(log_probs[row, :, :lengths[i]].T))
    return out


def train(args) -> Dict[str, object]:
    import torch

    from ..bcresnet import bcresnet
    from .dataset import load_noises
    from .train import FeatureBatcher, load_backbone

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    run = args.run_dir
    run.mkdir(parents=True, exist_ok=True)
    started = time.time()
    utterances, words, held_out = corpus(args.seed, limit=args.max_utterances)
    labels = token_inventory([u.tokens for u in utterances + words + held_out])
    index = {t: i for i, t in enumerate(labels)}
    noises = load_noises()
    data_note = {"librispeech_utterances": sum(u.source == "librispeech" for u in utterances),
                 "synthetic_sentences": sum(u.source == "synth_sentence" for u in utterances),
                 "word_clips": len(words), "validation_utterances": len(held_out),
                 "hours": round(sum(u.audio.size for u in utterances) / SAMPLE_RATE / 3600, 2),
                 "tokens": len(labels), "seconds_to_prepare": round(time.time() - started, 1)}
    (run / "data.json").write_text(json.dumps(data_note, indent=1) + "\n")
    (run / "config.json").write_text(json.dumps({k: str(v) for k, v in vars(args).items()}, indent=1) + "\n")
    print(f"[acoustic] {data_note}", file=sys.stderr)

    model = bcresnet(args.tau, len(labels))
    if args.backbone:
        load_backbone(model, args.backbone)
    batcher = FeatureBatcher()
    # AdamW, as CTC acoustic-model recipes commonly train (SGD was not tried here).
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    first_epoch, history = 0, []
    checkpoint = run / "last.pt"
    if args.resume and checkpoint.exists():
        state = torch.load(checkpoint)
        if state["labels"] != labels:
            raise SystemExit(f"{checkpoint}: its token inventory differs from this data's")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        first_epoch, history = state["epoch"] + 1, state["history"]
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    generator = torch.Generator().manual_seed(args.seed)
    for epoch in range(first_epoch, args.epochs):
        rng = np.random.default_rng(args.seed * 1000 + epoch)
        drawn = [words[i] for i in rng.choice(len(words), min(len(words), WORD_CLIPS_PER_EPOCH), replace=False)]
        epoch_data = utterances + drawn
        lengths = [frame_count(u.audio.size) for u in epoch_data]
        groups = batches(lengths, args.frames_per_batch, rng)
        model.train()
        losses, epoch_started = [], time.time()
        for step, group in enumerate(groups):
            total = len(groups) * args.epochs
            done = epoch * len(groups) + step
            warmup = len(groups) * args.warmup_epochs
            lr = (args.lr * (done + 1) / warmup if done < warmup else
                  0.5 * args.lr * (1 + math.cos(math.pi * (done - warmup) / max(1, total - warmup))))
            for g in optimizer.param_groups:
                g["lr"] = lr
            longest = max(epoch_data[i].audio.size for i in group)
            waves = np.zeros((len(group), longest), np.float32)
            for row, i in enumerate(group):
                audio = _augment(epoch_data[i].audio, noises, rng)
                waves[row, :audio.size] = audio
            frames = torch.tensor([lengths[i] for i in group])
            features = _spec_augment(batcher(waves), frames, generator)
            log_probs = model.frame_logits(features).log_softmax(1).permute(2, 0, 1)  # [T, N, K]
            targets = [torch.tensor([index[t] for t in epoch_data[i].tokens]) for i in group]
            loss = ctc(log_probs, torch.cat(targets), frames, torch.tensor([len(t) for t in targets]))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            losses.append(float(loss))
            if not args.quiet and step % 20 == 0:
                print(f"[acoustic] epoch {epoch + 1} step {step + 1}/{len(groups)} loss {np.mean(losses[-20:]):.3f} "
                      f"lr {lr:.4f} ({time.time() - epoch_started:.0f} s)", file=sys.stderr)
        row = {"epoch": epoch + 1, "loss": round(float(np.mean(losses)), 4),
               "seconds": round(time.time() - epoch_started, 1)}
        if (epoch + 1) % args.validate_every == 0 or epoch + 1 == args.epochs:
            hypotheses = decode(model, batcher, held_out, labels, args.frames_per_batch)
            row["validation_per"] = round(phoneme_error_rate(hypotheses, [u.tokens for u in held_out]), 4)
        history.append(row)
        print(f"[acoustic] {row}", file=sys.stderr)
        with open(run / "metrics.jsonl", "a") as f:
            f.write(json.dumps(row) + "\n")
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch,
                    "history": history, "labels": labels, "tau": args.tau}, checkpoint)
    summary = {"labels": labels, "history": history, "data": data_note,
               "validation_per": history[-1].get("validation_per") if history else None}
    export_run(run, args.export)
    summary["libkws_validation_per"] = _libkws_per(run / "model.kws", held_out)
    (run / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def export_run(run: pathlib.Path, copy_to: Optional[pathlib.Path] = None) -> pathlib.Path:
    """RUN/last.pt as the libkws model file RUN/model.kws (architecture "bcresnet_ctc"), and a
    copy at ``copy_to``."""
    import shutil

    import torch

    from ..export import export
    from ..modelfile import CTC_ARCHITECTURE

    state = torch.load(run / "last.pt")
    config = json.loads((run / "data.json").read_text())
    description = (f"phoneme CTC acoustic model (kws_training.recipe.acoustic): BC-ResNet-{state['tau']}, "
                   f"{len(state['history'])} epochs on {config['hours']} h (LibriSpeech training readers, "
                   f"Speech Commands words, synthetic sentences; computer and alexa never heard)")
    path = run / "model.kws"
    export(state["model"], state["tau"], state["labels"], path, input_frames=INPUT_FRAMES,
           description=description, architecture=CTC_ARCHITECTURE)
    if copy_to is not None:
        copy_to.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy_to)
    return path


def _libkws_per(model_path: pathlib.Path, held_out: Sequence[Utterance]) -> float:
    """The phoneme error rate of libkws's own greedy decoding (kws.transcribe) of the exported
    file: the same figure as PyTorch's, through the runtime users call."""
    from kws.runtime import Model, transcribe

    with Model(model_path) as model:
        hypotheses = [tuple(transcribe(model, u.audio, SAMPLE_RATE).split()) for u in held_out]
    return round(phoneme_error_rate(hypotheses, [u.tokens for u in held_out]), 4)


def main(argv=None) -> int:
    args = parse_args(argv)
    train(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
