"""Synthetic speech from text with the TTS engines in Debian's packages, cached on disk.

Engines (each used when its program is installed): espeak-ng (package espeak-ng: 8 English
accents x ~90 voice variants), flite (package flite: kal, kal16, awb, rms, slt) and festival
(packages festival, festvox-kallpc16k, festvox-kdlpc16k, festvox-us-slt-hts). Every render draws
rate, pitch and volume at random; the plan of renders is a pure function of (text, count, seed,
engines), so a cache entry is reproducible. Each render is trimmed of leading/trailing silence,
resampled to 16 kHz and stored as int16 in ``<cache>/<plan key>/<text>.npz``.

    PYTHONPATH=bindings/python:training /usr/bin/python3 -m kws_training.recipe.synth --words yes,no,computer \\
        --renders 100 [--cache-dir ~/.cache/libkws/synth] [--seed 0] [--play-dir /tmp/wavs]

Voice identifiers look like "espeak:en-us+f3", "flite:slt", "festival:kal_diphone";
:func:`is_heldout_voice` names the voices kept out of training for validation.
"""
import argparse
import hashlib
import os
import pathlib
import random
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .audio import SAMPLE_RATE, read_wav_pcm16, resample, to_float, to_int16, trim_silence
from .progress import Progress

#: Bump when rendering changes, so that old cache entries are not reused.
SYNTH_VERSION = 1
DEFAULT_CACHE_DIR = pathlib.Path(os.environ.get("KWS_CACHE_DIR", "~/.cache/libkws")).expanduser() / "synth"

#: English accents of espeak-ng (its mbrola voices need non-free data and are left out).
ESPEAK_ENGLISH = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-gbcwmd",
                  "en-gb-x-rp", "en-029", "en-us-nyc")
#: espeak-ng voice variants (``espeak-ng --voices=variant``), minus joke and test ones.
ESPEAK_VARIANTS = (
    "", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "f1", "f2", "f3", "f4", "f5", "croak",
    "klatt", "klatt2", "klatt3", "klatt4", "klatt5", "klatt6", "whisper", "whisperf", "adam",
    "Alex", "Alicia", "Andrea", "Andy", "Annie", "antonio", "aunty", "belinda", "benjamin",
    "boris", "caleb", "david", "Denis", "Diogo", "ed", "edward", "edward2", "Gene", "Gene2",
    "gustave", "Henrique", "Hugo", "iven", "iven2", "iven3", "iven4", "Jacky", "john",
    "kaukovalta", "Lee", "linda", "marcelo", "Marco", "Mario", "max", "Michael", "michel",
    "miguel", "Mike", "Nguyen", "pablo", "paul", "pedro", "quincy", "rob", "robert", "steph",
    "steph2", "steph3", "Storm", "travis", "victor", "zac", "anika", "AnxiousAndy", "grandpa",
    "grandma", "norbert", "sandro", "shelby")
FLITE_VOICES = ("kal", "kal16", "awb", "rms", "slt")
FESTIVAL_VOICES = ("kal_diphone", "ked_diphone", "cmu_us_slt_arctic_hts")
#: Voices never used for training, only to measure accuracy on unseen synthetic voices.
HELDOUT_VOICES = ("flite:rms", "festival:ked_diphone")
HELDOUT_ESPEAK_VARIANTS = ("m3", "f4", "klatt3", "edward", "linda", "Andy", "iven2", "grandma",
                           "steph2", "michel")
#: Share of renders per engine when all are installed (espeak-ng gets the rest).
ENGINE_SHARE = {"flite": 0.15, "festival": 0.08}
FEMALE_FLITE = ("slt",)


@dataclass(frozen=True)
class Render:
    """One synthesis job: engine, voice, prosody (rate as a duration factor, 1 = engine
    default; pitch in the engine's own units) and the text."""

    engine: str
    voice: str
    text: str
    speed: float
    pitch: float
    volume: float

    @property
    def voice_id(self) -> str:
        return f"{self.engine}:{self.voice}"


def is_heldout_voice(voice_id: str) -> bool:
    """True for the synthetic voices kept out of training (validation on unseen voices)."""
    if voice_id in HELDOUT_VOICES:
        return True
    if voice_id.startswith("espeak:") and "+" in voice_id:
        return voice_id.split("+", 1)[1] in HELDOUT_ESPEAK_VARIANTS
    return False


def available_engines() -> List[str]:
    """The engines whose programs are on PATH, in preference order."""
    programs = {"espeak": "espeak-ng", "flite": "flite", "festival": "festival"}
    return [engine for engine, program in programs.items() if shutil.which(program)]


def plan_renders(text: str, count: int, seed: int, engines: Sequence[str]) -> List[Render]:
    """``count`` renders of ``text``, deterministic in (text, count, seed, engines)."""
    if not engines:
        raise RuntimeError("no TTS engine found: install espeak-ng (and optionally flite, "
                           "festival) with apt")
    digest = hashlib.sha256(f"{seed}|{text}".encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "little"))
    renders = []
    for index in range(count):
        engine = "espeak"
        draw = rng.random()
        if "flite" in engines and draw < ENGINE_SHARE["flite"]:
            engine = "flite"
        elif "festival" in engines and draw < ENGINE_SHARE["flite"] + ENGINE_SHARE["festival"]:
            engine = "festival"
        if engine == "espeak" and "espeak" not in engines:
            engine = engines[0]
        speed = rng.uniform(0.75, 1.35)
        volume = rng.uniform(0.3, 1.0)
        if engine == "espeak":
            accent = rng.choice(ESPEAK_ENGLISH)
            variant = rng.choice(ESPEAK_VARIANTS)
            voice = accent + ("+" + variant if variant else "")
            pitch = rng.uniform(15, 85)
        elif engine == "flite":
            voice = rng.choice(FLITE_VOICES)
            pitch = rng.uniform(150, 260) if voice in FEMALE_FLITE else rng.uniform(80, 160)
        else:
            voice = rng.choice(FESTIVAL_VOICES)
            pitch = 0.0
        renders.append(Render(engine, voice, text, round(speed, 3), round(pitch, 1),
                              round(volume, 3)))
    return renders


def _run(command: List[str]) -> None:
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _render_single(render: Render, path: str) -> None:
    if render.engine == "espeak":
        words_per_minute = int(round(175 / render.speed))
        _run(["espeak-ng", "-v", render.voice, "-s", str(words_per_minute), "-p",
              str(int(render.pitch)), "-a", "100", "-w", path, render.text])
    elif render.engine == "flite":
        _run(["flite", "-voice", render.voice, "--setf", f"duration_stretch={render.speed}",
              "--setf", f"int_f0_target_mean={render.pitch}", "-t", render.text, "-o", path])
    else:
        raise ValueError(render.engine)


def _festival_batch(renders: List[Tuple[Render, str]]) -> None:
    """Render festival jobs in one festival process per voice (start-up dominates)."""
    by_voice: Dict[str, List[Tuple[Render, str]]] = {}
    for render, path in renders:
        by_voice.setdefault(render.voice, []).append((render, path))
    for voice, jobs in by_voice.items():
        lines = [f"(voice_{voice})"]
        for render, path in jobs:
            text = render.text.replace("\\", " ").replace('"', " ")
            lines.append(f"(Parameter.set 'Duration_Stretch {render.speed})")
            lines.append(f'(utt.save.wave (utt.synth (Utterance Text "{text}")) "{path}" \'riff)')
        with tempfile.NamedTemporaryFile("w", suffix=".scm", delete=False) as script:
            script.write("\n".join(lines) + "\n")
        try:
            _run(["festival", "-b", script.name])
        finally:
            os.unlink(script.name)


def _finish(path: str, render: Render) -> np.ndarray:
    samples, rate = read_wav_pcm16(path)
    samples = trim_silence(resample(samples, rate, SAMPLE_RATE))
    peak = float(np.abs(samples).max()) if samples.size else 0.0
    if peak > 0:
        samples = samples * (render.volume * 0.9 / peak)
    return to_int16(samples)


def _safe_name(text: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")[:40] or "text"
    return f"{stem}-{hashlib.sha1(text.encode()).hexdigest()[:8]}"


def cache_folder(count: int, seed: int, engines: Sequence[str],
                 cache_dir: Optional[pathlib.Path] = None) -> pathlib.Path:
    root = pathlib.Path(cache_dir).expanduser() if cache_dir else DEFAULT_CACHE_DIR
    return root / f"v{SYNTH_VERSION}-{'+'.join(engines)}-n{count}-s{seed}"


@dataclass
class SynthClips:
    """Renders of one text: int16 clips at 16 kHz and the voice id of each."""

    text: str
    clips: List[np.ndarray]
    voices: List[str]


def _save(path: pathlib.Path, clips: SynthClips) -> None:
    lengths = np.array([clip.size for clip in clips.clips], dtype=np.int64)
    audio = np.concatenate(clips.clips) if clips.clips else np.zeros(0, np.int16)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, audio=audio, lengths=lengths, voices=np.array(clips.voices),
             text=np.array(clips.text))
    os.replace(tmp, path)


def _load(path: pathlib.Path) -> SynthClips:
    with np.load(path) as data:
        ends = np.cumsum(data["lengths"])
        clips = np.split(data["audio"], ends[:-1]) if ends.size else []
        return SynthClips(str(data["text"]), clips, [str(v) for v in data["voices"]])


def synthesize(texts: Sequence[str], count: int, seed: int = 0,
               cache_dir: Optional[pathlib.Path] = None,
               engines: Optional[Sequence[str]] = None,
               progress: bool = True) -> Dict[str, SynthClips]:
    """``count`` renders of every text in ``texts`` (cached; only missing texts are rendered).
    Returns text -> SynthClips. Renders that fail or come out silent are skipped."""
    engines = list(engines) if engines is not None else available_engines()
    folder = cache_folder(count, seed, engines, cache_dir)
    folder.mkdir(parents=True, exist_ok=True)
    result: Dict[str, SynthClips] = {}
    missing = []
    for text in dict.fromkeys(texts):
        path = folder / (_safe_name(text) + ".npz")
        if path.exists():
            result[text] = _load(path)
        else:
            missing.append(text)
    if not missing:
        return result

    jobs = [(render, text) for text in missing for render in plan_renders(text, count, seed, engines)]
    bar = Progress(len(jobs), f"synth {len(missing)} texts x {count}", enabled=progress)
    with tempfile.TemporaryDirectory(prefix="kws_synth_") as tmp:
        paths = [os.path.join(tmp, f"{index}.wav") for index in range(len(jobs))]
        festival = [(render, path) for (render, _), path in zip(jobs, paths)
                    if render.engine == "festival"]
        if festival:
            try:
                _festival_batch(festival)
            except subprocess.CalledProcessError as error:
                print(f"synth: festival failed: {error.stderr.decode()[-300:]}", file=sys.stderr)
            bar.update(len(festival))
        rendered: Dict[str, SynthClips] = {text: SynthClips(text, [], []) for text in missing}
        for (render, text), path in zip(jobs, paths):
            if render.engine != "festival":
                try:
                    _render_single(render, path)
                except subprocess.CalledProcessError:
                    pass
                bar.update()
            if not os.path.exists(path):
                continue
            try:
                clip = _finish(path, render)
            except Exception:  # a truncated or empty WAV from a failed render
                continue
            if clip.size >= 1600 and np.abs(clip).max() > 100:
                rendered[text].clips.append(clip)
                rendered[text].voices.append(render.voice_id)
    bar.close()
    for text, clips in rendered.items():
        _save(folder / (_safe_name(text) + ".npz"), clips)
        result[text] = clips
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kws_training.recipe.synth",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--words", required=True,
                        help="comma-separated words or phrases, or @FILE with one per line")
    parser.add_argument("--renders", type=int, default=100, help="renders per text")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache-dir", type=pathlib.Path, default=None,
                        help=f"cache root (default {DEFAULT_CACHE_DIR})")
    parser.add_argument("--engines", help="comma-separated subset of espeak,flite,festival")
    parser.add_argument("--play-dir", type=pathlib.Path,
                        help="also write every render as WAV here, to listen to")
    args = parser.parse_args(argv)
    if args.words.startswith("@"):
        texts = [line.strip() for line in open(args.words[1:], encoding="utf-8") if line.strip()]
    else:
        texts = [word.strip() for word in args.words.split(",") if word.strip()]
    engines = args.engines.split(",") if args.engines else None
    clips = synthesize(texts, args.renders, args.seed, args.cache_dir, engines)
    from .audio import write_wav

    for text, entry in clips.items():
        seconds = sum(clip.size for clip in entry.clips) / SAMPLE_RATE
        print(f"{text!r}: {len(entry.clips)} clips, {seconds:.1f} s, "
              f"{len(set(entry.voices))} voices")
        if args.play_dir:
            args.play_dir.mkdir(parents=True, exist_ok=True)
            for index, (clip, voice) in enumerate(zip(entry.clips, entry.voices)):
                name = f"{_safe_name(text)}_{index:04d}_{re.sub(r'[^A-Za-z0-9]+', '-', voice)}.wav"
                write_wav(args.play_dir / name, to_float(clip))
    return 0


if __name__ == "__main__":
    sys.exit(main())
