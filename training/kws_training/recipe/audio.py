"""Audio helpers for training: reading files as 16 kHz float32, resampling, trimming, progress,
and a decoded-audio cache (Ogg Opus decodes at 48 kHz and costs ~15 ms a clip: decoding the 17.5k
Speech Commands clips again for every run would cost minutes, so each file list is decoded once,
in parallel, and kept as 16 kHz int16 under ~/.cache/libkws/decoded)."""
import hashlib
import os
import pathlib
import re
import wave
from typing import List, Sequence

import numpy as np

from .progress import Progress

SAMPLE_RATE = 16000
#: Audio files the recipe reads (torchaudio/sox decodes all of them; Opus in an Ogg container).
AUDIO_SUFFIXES = (".wav", ".flac", ".opus", ".ogg")
#: Bump when decoding or resampling changes, so that old cache entries are not reused.
DECODE_VERSION = 1
DECODED_CACHE_DIR = pathlib.Path(os.environ.get("KWS_CACHE_DIR", "~/.cache/libkws")).expanduser() / "decoded"


def audio_files(folder) -> List[pathlib.Path]:
    """Every audio file (AUDIO_SUFFIXES) under ``folder``, recursively, sorted."""
    return sorted(p for p in pathlib.Path(folder).rglob("*")
                  if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)


def resample(audio: np.ndarray, source_rate: int, target_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Band-limited resampling (torchaudio's sinc interpolation) of a float32 mono signal."""
    if source_rate == target_rate or audio.size == 0:
        return audio.astype(np.float32, copy=False)
    import torch
    import torchaudio

    out = torchaudio.functional.resample(torch.from_numpy(audio.astype(np.float32)), source_rate,
                                         target_rate)
    return out.numpy()


def read_wav_pcm16(path) -> tuple:
    """(float32 mono samples, sample rate) of a 16-bit PCM WAV, with the standard library only
    (the TTS engines write these; espeak-ng leaves the data size unset when piping, which
    ``wave`` tolerates)."""
    with wave.open(str(path), "rb") as stream:
        channels, width, rate = stream.getnchannels(), stream.getsampwidth(), stream.getframerate()
        data = stream.readframes(stream.getnframes())
    if width != 2:
        raise ValueError(f"{path}: expected 16-bit PCM, got {8 * width}-bit")
    samples = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    return samples, rate


def read_audio(path, target_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Any file torchaudio (sox) reads -- FLAC, WAV, ... -- as float32 mono at ``target_rate``."""
    path = str(path)
    if path.endswith(".wav"):
        try:
            samples, rate = read_wav_pcm16(path)
            return resample(samples, rate, target_rate)
        except (ValueError, wave.Error):
            pass
    import torchaudio

    waveform, rate = torchaudio.load(path)
    return resample(waveform.mean(dim=0).numpy(), rate, target_rate)


def _decode_int16(path) -> np.ndarray:
    return to_int16(read_audio(path))


def _decode_worker_init() -> None:
    import torch
    torch.set_num_threads(1)


def read_many(paths: Sequence[pathlib.Path], label: str = "decode", workers: int = 0,
              cache_dir: pathlib.Path = None) -> List[np.ndarray]:
    """Every file of ``paths`` as 16 kHz int16, decoded once: the result is cached in one file
    per list, keyed by the paths, sizes and modification times (so an edited or added file makes a
    new entry). ``workers``: decoding processes (0: one per core)."""
    paths = [pathlib.Path(p) for p in paths]
    if not paths:
        return []
    digest = hashlib.sha1(f"v{DECODE_VERSION} {SAMPLE_RATE}".encode())
    for path in paths:
        stat = path.stat()
        digest.update(f"\n{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    cache_dir = pathlib.Path(cache_dir) if cache_dir else DECODED_CACHE_DIR
    cache = cache_dir / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', label)}-{digest.hexdigest()[:16]}.npz"
    if cache.exists():
        with np.load(cache) as stored:
            samples, offsets = stored["samples"], stored["offsets"]
        return [samples[offsets[i]:offsets[i + 1]] for i in range(len(paths))]
    bar = Progress(len(paths), label)
    workers = workers or os.cpu_count() or 1
    clips: List[np.ndarray] = []
    if workers > 1 and len(paths) > 64:
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(workers, _decode_worker_init) as pool:
            for clip in pool.imap(_decode_int16, paths, chunksize=32):
                clips.append(clip)
                bar.update()
    else:
        for path in paths:
            clips.append(_decode_int16(path))
            bar.update()
    bar.close()
    offsets = np.cumsum([0] + [c.size for c in clips]).astype(np.int64)
    cache.parent.mkdir(parents=True, exist_ok=True)
    # Per process: two runs that decode the same list at once must not share the unfinished file.
    partial = cache.with_suffix(f".{os.getpid()}.partial.npz")
    np.savez(partial, samples=np.concatenate(clips) if clips else np.zeros(0, np.int16),
             offsets=offsets)
    partial.replace(cache)
    return clips


def write_wav(path, samples: np.ndarray, rate: int = SAMPLE_RATE) -> None:
    """Write float samples in [-1, 1] as 16-bit mono WAV."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype("<i2")
    with wave.open(str(path), "wb") as stream:
        stream.setnchannels(1)
        stream.setsampwidth(2)
        stream.setframerate(rate)
        stream.writeframes(pcm.tobytes())


def trim_silence(samples: np.ndarray, threshold_db: float = -40.0, frame: int = 160,
                 margin: int = 800) -> np.ndarray:
    """Cut leading and trailing frames more than ``threshold_db`` below the loudest frame, keeping
    ``margin`` samples either side."""
    if samples.size < frame:
        return samples
    frames = samples[: samples.size // frame * frame].reshape(-1, frame)
    energy = 10 * np.log10((frames ** 2).mean(axis=1) + 1e-12)
    loud = np.flatnonzero(energy > energy.max() + threshold_db)
    if loud.size == 0:
        return samples[:0]
    begin = max(0, loud[0] * frame - margin)
    end = min(samples.size, (loud[-1] + 1) * frame + margin)
    return samples[begin:end]


def to_int16(samples: np.ndarray) -> np.ndarray:
    return (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype(np.int16)


def to_float(samples: np.ndarray) -> np.ndarray:
    if samples.dtype == np.int16:
        return samples.astype(np.float32) / 32768.0
    return samples.astype(np.float32, copy=False)


