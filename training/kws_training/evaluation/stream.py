"""Long test streams: keyword clips and non-keyword speech inserted at known times into
background noise at set SNRs, reproducibly from a seed, with their ground truth.

Definitions (what the ground truth means):
- Each inserted clip is cut to its speech (sources.active_region) plus `pad_s` on each side
  (bounded by the clip), with 10 ms linear fades; `clip_start/clip_end` is that inserted span and
  `start/end` the speech inside it, in samples of the stream (and seconds = samples / rate).
- SNR = 10 log10(mean square of the scaled speech over [start, end) / mean square of the
  background over the same samples). The background has RMS `noise_level_dbfs`.
- Items never overlap: at least `min_gap_s` of background between inserted spans, and before the
  first and after the last.
- If the mix would clip, the whole stream is scaled down (SNRs unchanged; `gain` in the truth).
"""
import csv
import hashlib
import json
import pathlib
import wave
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np

from ..recipe.progress import Progress
from .sources import ClipSource, NoiseSource, active_region

TRUTH_FORMAT = "libkws-eval-stream"
TRUTH_VERSION = 1
CSV_FIELDS = ("label", "kind", "word", "start_s", "end_s", "start_sample", "end_sample",
              "clip_start_sample", "clip_end_sample", "snr_db", "source")


@dataclass
class StreamConfig:
    duration_s: float = 600.0
    keywords_per_minute: float = 10.0
    speech_per_minute: float = 5.0
    #: Long utterances (ClipSource.sentences) per minute; each is placed whole.
    sentences_per_minute: float = 0.0
    snr_db: Tuple[float, float] = (5.0, 20.0)
    min_gap_s: float = 2.0
    sample_rate: int = 16000
    seed: int = 0
    noise_level_dbfs: float = -40.0
    pad_s: float = 0.1


def _read(path: pathlib.Path, sample_rate: int) -> np.ndarray:
    from kws.runtime import read_audio
    return read_audio(path, sample_rate).samples.astype(np.float64)


def coloured_noise(num_samples: int, sample_rate: int, rng: np.random.Generator,
                   rms: float, progress: Optional[Progress] = None) -> np.ndarray:
    """Stationary pink-ish noise (power ~ 1/f, a little brown below 200 Hz), made in 4 s blocks of
    shaped Gaussian noise overlap-added with sine windows (which keeps the variance constant)."""
    block = 1 << 16
    hop = block // 2
    window = np.sin(np.pi * (np.arange(block) + 0.5) / block)
    freqs = np.fft.rfftfreq(block, 1.0 / sample_rate)
    shape = 1.0 / np.sqrt(np.maximum(freqs, 20.0))
    shape *= 1.0 + 3.0 * (200.0 / np.maximum(freqs, 200.0)) ** 2 * (freqs < 400)
    shape[0] = 0.0
    blocks = num_samples // hop + 2
    out = np.zeros((blocks + 1) * hop, dtype=np.float64)
    for b in range(blocks):
        spectrum = np.fft.rfft(rng.standard_normal(block)) * shape
        piece = np.fft.irfft(spectrum, block)
        piece /= np.sqrt(np.mean(piece ** 2))
        out[b * hop:b * hop + block] += window * piece
        if progress is not None:
            progress.set(b * hop)
    out = out[hop:hop + num_samples]
    return out * (rms / np.sqrt(np.mean(out ** 2)))


def file_noise(num_samples: int, noise: NoiseSource, sample_rate: int, rng: np.random.Generator,
               rms: float, progress: Optional[Progress] = None) -> Tuple[np.ndarray, List[dict]]:
    """Segments of 4-15 s from random noise files at random offsets (each file scaled to `rms`),
    joined with 0.25 s equal-power crossfades. Returns the noise and its segment list."""
    recordings = []
    for path in noise.files:
        samples = _read(path, sample_rate)
        level = np.sqrt(np.mean(samples ** 2))
        if len(samples) < sample_rate or level <= 0:
            continue
        recordings.append(samples * (rms / level))
    if not recordings:
        raise ValueError("no usable noise recording (each must be >= 1 s and not silent)")
    fade = int(0.25 * sample_rate)
    ramp = np.sin(0.5 * np.pi * (np.arange(fade) + 0.5) / fade)
    out = np.zeros(num_samples + fade, dtype=np.float64)
    segments = []
    position = 0
    while position < num_samples:
        index = int(rng.integers(len(recordings)))
        recording = recordings[index]
        length = min(len(recording), int(rng.uniform(4.0, 15.0) * sample_rate) + fade)
        offset = int(rng.integers(0, len(recording) - length + 1))
        piece = recording[offset:offset + length].copy()
        if position > 0:
            piece[:fade] *= ramp
        piece[-fade:] *= ramp[::-1]
        end = min(len(out), position + length)
        out[position:end] += piece[:end - position]
        segments.append({"file": noise.names[index], "offset_s": offset / sample_rate,
                         "start_s": position / sample_rate})
        position += length - fade
        if progress is not None:
            progress.set(min(position, num_samples))
    return out[:num_samples], segments


def _plan(config: StreamConfig, source: ClipSource, rng: np.random.Generator) -> List[Tuple[str, object]]:
    """Which clips, in stream order: keywords evenly over labels, speech, shuffled together."""
    minutes = config.duration_s / 60.0
    n_keywords = int(round(config.keywords_per_minute * minutes))
    n_speech = int(round(config.speech_per_minute * minutes)) if source.speech else 0
    labels = sorted(source.keywords)
    decks: Dict[str, List] = {}

    def draw(key: str, clips: List) -> object:
        if not decks.get(key):
            decks[key] = [clips[i] for i in rng.permutation(len(clips))]
        return decks[key].pop()

    order = [labels[i % len(labels)] for i in range(n_keywords)]
    order = [order[i] for i in rng.permutation(len(order))] if order else []
    items = [draw(label, source.keywords[label]) for label in order]
    items += [draw("_speech_", source.speech) for _ in range(n_speech)]
    n_sentences = int(round(config.sentences_per_minute * minutes)) if source.sentences else 0
    items += [draw("_sentence_", source.sentences) for _ in range(n_sentences)]
    return [items[i] for i in rng.permutation(len(items))] if items else []


def build_stream(source: ClipSource, noise: NoiseSource, config: StreamConfig,
                 show_progress: bool = True) -> Tuple[np.ndarray, dict]:
    """The stream as int16 samples and its ground truth (a JSON-ready dict)."""
    rate = int(config.sample_rate)
    total = int(round(config.duration_s * rate))
    rng = np.random.default_rng(config.seed)
    noise_rms = 10.0 ** (config.noise_level_dbfs / 20.0)
    snr_low, snr_high = sorted(float(x) for x in config.snr_db)

    # 1. Which clips, cut to their speech plus padding.
    clips = _plan(config, source, rng)
    cache: Dict[pathlib.Path, np.ndarray] = {}
    pieces = []
    progress = Progress(len(clips), "reading clips", enabled=show_progress)
    pad = int(round(config.pad_s * rate))
    fade = max(1, rate // 100)
    for clip in clips:
        if clip.path not in cache:
            cache[clip.path] = _read(clip.path, rate)
        samples = cache[clip.path]
        begin, end = active_region(samples, rate)
        cut_begin, cut_end = max(0, begin - pad), min(len(samples), end + pad)
        piece = samples[cut_begin:cut_end].copy()
        ramp = np.linspace(0.0, 1.0, min(fade, len(piece) // 2) + 2)[1:-1]
        if len(ramp):
            piece[:len(ramp)] *= ramp
            piece[len(piece) - len(ramp):] *= ramp[::-1]
        pieces.append((clip, piece, begin - cut_begin, end - cut_begin))
        progress.update()
    progress.close()

    # 2. Where: random gaps of at least min_gap between items and at both ends.
    gap = int(round(config.min_gap_s * rate))
    used = sum(len(p[1]) for p in pieces) + gap * (len(pieces) + 1)
    slack = total - used
    if slack < 0:
        raise ValueError(f"{len(pieces)} items ({sum(len(p[1]) for p in pieces) / rate:.0f} s) with "
                         f"{config.min_gap_s} s gaps do not fit in {config.duration_s} s; lower the "
                         f"rates or the gap, or lengthen the stream")
    shares = rng.dirichlet(np.ones(len(pieces) + 1)) if pieces else np.ones(1)
    extra = np.floor(shares * slack).astype(np.int64)
    snrs = np.round(rng.uniform(snr_low, snr_high, len(pieces)), 2)

    # 3. Background, then the clips scaled to their SNR over the background under them.
    progress = Progress(total / rate, "background", unit=" s", enabled=show_progress)
    scale_progress = _ScaledProgress(progress, rate)
    if noise.kind == "coloured":
        background = coloured_noise(total, rate, rng, noise_rms, scale_progress)
        noise_info = {"kind": "coloured", "description": noise.description}
    else:
        background, segments = file_noise(total, noise, rate, rng, noise_rms, scale_progress)
        noise_info = {"kind": "files", "description": noise.description, "files": noise.names,
                      "segments": len(segments)}
    progress.close()
    noise_info["level_dbfs"] = config.noise_level_dbfs
    mix = background
    occurrences = []
    position = gap + int(extra[0])
    progress = Progress(len(pieces), "mixing", enabled=show_progress)
    for index, (clip, piece, speech_begin, speech_end) in enumerate(pieces):
        start, end = position + speech_begin, position + speech_end
        speech_power = np.mean(piece[speech_begin:speech_end] ** 2)
        noise_power = np.mean(background[start:end] ** 2)
        gain = np.sqrt(noise_power * 10.0 ** (snrs[index] / 10.0) / max(speech_power, 1e-20))
        mix[position:position + len(piece)] += gain * piece
        occurrences.append({
            "label": clip.label, "kind": clip.kind, "word": clip.word,
            "start_s": round(start / rate, 6), "end_s": round(end / rate, 6),
            "start_sample": int(start), "end_sample": int(end),
            "clip_start_sample": int(position), "clip_end_sample": int(position + len(piece)),
            "snr_db": float(snrs[index]), "source": clip.name})
        position += len(piece) + gap + int(extra[index + 1])
        progress.update()
    progress.close()

    peak = float(np.max(np.abs(mix))) if total else 0.0
    gain = 1.0 if peak <= 0.99 else 0.99 / peak
    pcm = np.clip(np.round(mix * gain * 32767.0), -32768, 32767).astype(np.int16)
    keyword_counts: Dict[str, int] = {}
    for occurrence in occurrences:
        if occurrence["kind"] == "keyword":
            keyword_counts[occurrence["label"]] = keyword_counts.get(occurrence["label"], 0) + 1
    config_dict = asdict(config)
    config_dict["snr_db"] = [snr_low, snr_high]
    truth = {
        "format": TRUTH_FORMAT, "version": TRUTH_VERSION,
        "sample_rate": rate, "num_samples": int(total), "duration_s": total / rate,
        "seed": int(config.seed), "config": config_dict,
        "source": {"name": source.name, "description": source.description, "root": source.root,
                   "keywords": sorted(source.keywords),
                   "clips": {k: len(v) for k, v in sorted(source.keywords.items())},
                   "speech_clips": len(source.speech), "sentence_clips": len(source.sentences)},
        "noise": noise_info, "gain": gain,
        "keyword_counts": dict(sorted(keyword_counts.items())),
        "occurrences": occurrences,
    }
    return pcm, truth


class _ScaledProgress:
    """Adapts sample positions to a Progress counting seconds."""

    def __init__(self, progress: Progress, rate: int):
        self.progress, self.rate = progress, rate

    def set(self, samples: float) -> None:
        self.progress.set(samples / self.rate)


def write_wav(path: pathlib.Path, pcm: np.ndarray, sample_rate: int) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(int(sample_rate))
        out.writeframes(pcm.astype("<i2").tobytes())


def read_wav(path: pathlib.Path) -> Tuple[np.ndarray, int]:
    """A 16-bit mono WAV as int16 (what build-stream writes); other files through libkws."""
    try:
        with wave.open(str(path), "rb") as stream:
            if stream.getsampwidth() == 2 and stream.getnchannels() == 1:
                data = np.frombuffer(stream.readframes(stream.getnframes()), dtype="<i2")
                return data.astype(np.int16), stream.getframerate()
    except (wave.Error, EOFError):
        pass
    from kws.runtime import read_audio
    audio = read_audio(path)
    return np.clip(np.round(audio.samples * 32768.0), -32768, 32767).astype(np.int16), audio.sample_rate


def truth_paths(wav: pathlib.Path) -> Tuple[pathlib.Path, pathlib.Path]:
    wav = pathlib.Path(wav)
    return wav.with_suffix(".json"), wav.with_suffix(".csv")


def write_stream(wav: pathlib.Path, pcm: np.ndarray, truth: dict) -> Tuple[pathlib.Path, pathlib.Path]:
    wav = pathlib.Path(wav)
    wav.parent.mkdir(parents=True, exist_ok=True)
    write_wav(wav, pcm, truth["sample_rate"])
    truth = dict(truth, wav=wav.name,
                 wav_sha256=hashlib.sha256(wav.read_bytes()).hexdigest())
    json_path, csv_path = truth_paths(wav)
    json_path.write_text(json.dumps(truth, indent=1, sort_keys=True) + "\n")
    with open(csv_path, "w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(truth["occurrences"])
    return json_path, csv_path


def load_truth(path: pathlib.Path) -> dict:
    """Ground truth from build-stream's JSON, or from a CSV with at least label,start_s,end_s
    (kind defaults to keyword unless the label starts with '_')."""
    path = pathlib.Path(path)
    if path.suffix.lower() == ".json":
        truth = json.loads(path.read_text())
        if truth.get("format") != TRUTH_FORMAT:
            raise ValueError(f"{path} is not a build-stream ground truth (format {truth.get('format')!r})")
        return truth
    occurrences = []
    with open(path, newline="") as stream:
        for row in csv.DictReader(stream):
            label = row["label"]
            occurrences.append({
                "label": label, "kind": row.get("kind") or ("speech" if label.startswith("_") else "keyword"),
                "word": row.get("word", label), "start_s": float(row["start_s"]),
                "end_s": float(row["end_s"]), "snr_db": float(row["snr_db"]) if row.get("snr_db") else None,
                "source": row.get("source", "")})
    return {"format": "csv", "occurrences": occurrences}
