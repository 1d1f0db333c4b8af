"""Audio helpers for training: reading files as 16 kHz float32, resampling, trimming, progress."""
import os
import sys
import time
import wave

import numpy as np

SAMPLE_RATE = 16000


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


class Progress:
    """A one-line progress bar on stderr ("label [#####.....] 50/100 12.3s"), throttled; silent
    when ``enabled`` is false or KWS_NO_PROGRESS is set."""

    def __init__(self, total: int, label: str = "", enabled: bool = True, width: int = 30):
        self.total, self.label, self.width = max(total, 1), label, width
        self.enabled = enabled and not os.environ.get("KWS_NO_PROGRESS")
        self.start = self.last = time.time()
        self.count = 0

    def update(self, step: int = 1) -> None:
        self.count += step
        now = time.time()
        if self.enabled and (now - self.last > 0.5 or self.count >= self.total):
            self.last = now
            filled = int(self.width * min(self.count, self.total) / self.total)
            bar = "#" * filled + "." * (self.width - filled)
            sys.stderr.write(f"\r{self.label} [{bar}] {self.count}/{self.total} "
                             f"{now - self.start:.1f}s")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()
