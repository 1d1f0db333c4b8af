"""Where the clips of a test stream come from: folders laid out like Speech Commands (one
subfolder per label), the shared recordings in ../shared/data, or speech synthesised with
espeak-ng; background noise from files or generated (coloured noise)."""
import pathlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np

from .. import shared_data

from ..recipe import librispeech
from ..recipe.audio import audio_files
from ..recipe.speech_commands import speaker_fraction, speaker_id
#: The ten command words of the 12-class Speech Commands task.
GSC_KEYWORDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
#: Non-keyword words for synthetic streams (Speech Commands' auxiliary words and a few more).
SYNTHETIC_OTHER_WORDS = ("bed", "bird", "cat", "dog", "happy", "house", "marvin", "sheila", "tree",
                         "wow", "seven", "learn", "follow", "forward", "visual", "computer")
#: espeak-ng voices, speeds (words per minute) and pitches varied across synthetic clips.
SYNTHETIC_VOICES = ("en+m1", "en+m3", "en+m5", "en+m7", "en+f1", "en+f2", "en+f3", "en+f4")
SYNTHETIC_SPEEDS = (130, 150, 175)
SYNTHETIC_PITCHES = (35, 50, 65)


class SourceError(RuntimeError):
    """A source of clips or noise is missing or unusable (the message says what to do)."""


@dataclass(frozen=True)
class Clip:
    label: str   # keyword label, or "_unknown_" for non-keyword speech
    kind: str    # "keyword" or "speech"
    word: str    # the folder (or synthesised word) it came from
    path: pathlib.Path
    name: str    # stable display name: path relative to the source root


@dataclass
class ClipSource:
    name: str                                   # "gsc_v2_test_a", "synthetic", a folder name
    description: str                            # for the summary line: "gsc_v2_test_a keywords"
    keywords: Dict[str, List[Clip]]
    speech: List[Clip]
    root: str = ""
    #: Long utterances of other speech (read sentences, seconds each): a live stream is mostly
    #: people talking. build-stream places them at their own rate (sentences_per_minute).
    sentences: List[Clip] = field(default_factory=list)
    _tempdir: Optional[tempfile.TemporaryDirectory] = field(default=None, repr=False)

    def close(self) -> None:
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None


# The one shared-data lookup of the package, under the names this module has always used.
shared_data_candidates = shared_data.candidates
find_shared_data = shared_data.find


def _shared(required: str) -> pathlib.Path:
    data = find_shared_data(required)
    if data is None:
        raise SourceError(f"shared data with {required} not found (looked in "
                          f"{', '.join(str(c) for c in shared_data_candidates())}; set "
                          f"KWS_SHARED_DATA); use --source synthetic or a folder instead")
    return data


def _clips(folder: pathlib.Path, root: pathlib.Path, label: str, kind: str, word: str) -> List[Clip]:
    return [Clip(label, kind, word, path, path.relative_to(root).as_posix())
            for path in audio_files(folder)]


def folder_source(root: pathlib.Path, keywords: Optional[Sequence[str]] = None,
                  name: Optional[str] = None, display_root: Optional[pathlib.Path] = None) -> ClipSource:
    """A Speech-Commands-like folder: each subfolder is a label. `_unknown_` holds non-keyword
    speech; other folders starting with '_' (_silence_, _background_noise_) are not speech.
    With `keywords`, the other word folders become non-keyword speech too."""
    root = pathlib.Path(root)
    if not root.is_dir():
        raise SourceError(f"{root} is not a folder (expected one subfolder per label)")
    display_root = display_root or root.parent
    words = sorted(d.name for d in root.iterdir() if d.is_dir())
    if keywords:
        missing = sorted(set(keywords) - set(words))
        if missing:
            raise SourceError(f"{root} has no folder for keywords {missing}; folders: {words}")
    keyword_set = set(keywords) if keywords else {w for w in words if not w.startswith("_")}
    clip_keywords: Dict[str, List[Clip]] = {}
    speech: List[Clip] = []
    for word in words:
        if word in keyword_set:
            clips = _clips(root / word, display_root, word, "keyword", word)
            if clips:
                clip_keywords[word] = clips
        elif word == "_unknown_" or not word.startswith("_"):
            speech += _clips(root / word, display_root, "_unknown_", "speech", word)
    if not clip_keywords:
        raise SourceError(f"{root} has no keyword clips")
    source_name = name or root.name
    return ClipSource(source_name, f"{source_name} keywords", clip_keywords, speech, str(root))


def gsc_source(keywords: Optional[Sequence[str]] = None) -> ClipSource:
    data = _shared("gsc_v2_test_a")
    return folder_source(data / "gsc_v2_test_a", keywords or GSC_KEYWORDS, "gsc_v2_test_a", data)


def wakeword_source(word: str = "computer") -> ClipSource:
    """Wake-word recordings as the keyword; Speech Commands' unknown words and the other wake word
    as non-keyword speech."""
    data = _shared(f"wakewords/{word}")
    keywords = {word: _clips(data / "wakewords" / word, data, word, "keyword", word)}
    speech = []
    if (data / "gsc_v2_test_a" / "_unknown_").is_dir():
        speech += _clips(data / "gsc_v2_test_a" / "_unknown_", data, "_unknown_", "speech", "_unknown_")
    for other in sorted(p.name for p in (data / "wakewords").iterdir() if p.is_dir()):
        if other != word:
            speech += _clips(data / "wakewords" / other, data, "_unknown_", "speech", other)
    return ClipSource(f"wakewords/{word}", f"wakewords/{word} recordings", keywords, speech, str(data))


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


def synthetic_source(keywords: Sequence[str] = GSC_KEYWORDS,
                     other_words: Sequence[str] = SYNTHETIC_OTHER_WORDS,
                     variants: int = 6) -> ClipSource:
    """Keyword and other words spoken by espeak-ng in `variants` voices/speeds/pitches each,
    into a temporary folder (removed by ClipSource.close)."""
    if not espeak_available():
        raise SourceError("espeak-ng is not installed (apt-get install espeak-ng); give a folder "
                          "of clips with --source DIR instead")
    tempdir = tempfile.TemporaryDirectory(prefix="kws-eval-espeak-")
    root = pathlib.Path(tempdir.name)
    others = [w for w in other_words if w not in set(keywords)]

    def synthesise(word: str, count: int, label: str, kind: str) -> List[Clip]:
        clips = []
        for i in range(count):
            voice = SYNTHETIC_VOICES[i % len(SYNTHETIC_VOICES)]
            speed = SYNTHETIC_SPEEDS[(i // 2) % len(SYNTHETIC_SPEEDS)]
            pitch = SYNTHETIC_PITCHES[(i // 3) % len(SYNTHETIC_PITCHES)]
            name = f"{word}/{voice.replace('+', '_')}_s{speed}_p{pitch}.wav"
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(["espeak-ng", "-w", str(path), "-v", voice, "-s", str(speed),
                            "-p", str(pitch), word], check=True, capture_output=True)
            clips.append(Clip(label, kind, word, path, f"espeak-ng:{name}"))
        return clips

    keyword_clips = {word: synthesise(word, variants, word, "keyword") for word in keywords}
    speech = [clip for word in others
              for clip in synthesise(word, max(1, variants // 2), "_unknown_", "speech")]
    return ClipSource("synthetic", "espeak-ng keywords", keyword_clips, speech, "espeak-ng",
                      _tempdir=tempdir)


#: --other-speech: non-keyword speech from ../shared/data added to any source.
OTHER_SPEECH = {
    "librispeech": ("librispeech/train-clean-5", "sentences", "read English sentences (LibriSpeech)"),
    "arabic": ("arabic_speech_commands/validation", "speech", "Arabic words"),
    "alexa": ("wakewords/alexa", "speech", "alexa recordings"),
}


def add_other_speech(source: ClipSource, specs: Sequence[str]) -> ClipSource:
    """Adds other speech to ``source``, each spec NAME or NAME:SALT:LOW:HIGH (a key of
    OTHER_SPEECH, and the speakers to keep, as --speakers): LibriSpeech as sentences (those whose
    transcript says none of the source's keywords), the others as words. Call after
    filter_speakers, which does not touch them."""
    for spec in specs:
        name, _, speakers = spec.partition(":")
        if name not in OTHER_SPEECH:
            raise SourceError(f"--other-speech {spec}: expected one of {', '.join(OTHER_SPEECH)}, "
                              f"optionally with :SALT:LOW:HIGH")
        folder, kind, description = OTHER_SPEECH[name]
        data = _shared(folder)
        clips = _clips(data / folder, data, "_unknown_", "speech", name)
        if name == "librispeech":  # a sentence that says a keyword is not other speech
            keep = set(librispeech.without_words([c.path for c in clips], data / folder, source.keywords))
            clips = [c for c in clips if c.path in keep]
            description += " without the keywords"
        if speakers:
            salt, low, high = parse_speakers(speakers)
            clips = [c for c in clips if low <= speaker_fraction(speaker_id(c.path), salt) < high]
            description += f" (speakers {salt}:{low:g}-{high:g})"
        if not clips:
            raise SourceError(f"--other-speech {spec}: no audio under {data / folder}"
                              + (" from those speakers" if speakers else ""))
        getattr(source, kind).extend(clips)
        source.description += f" + {description}"
    return source


def open_source(spec: str, keywords: Optional[Sequence[str]] = None,
                variants: int = 6) -> ClipSource:
    """--source: auto (gsc if shared data is present, else synthetic), gsc, computer/alexa (a
    wake word), synthetic, or a folder."""
    if spec == "auto":
        spec = "gsc" if find_shared_data("gsc_v2_test_a") else "synthetic"
    if spec == "gsc":
        return gsc_source(keywords)
    if spec in ("computer", "alexa"):
        return wakeword_source(spec)
    if spec == "synthetic":
        return synthetic_source(keywords or GSC_KEYWORDS, variants=variants)
    path = pathlib.Path(spec)
    if not path.is_dir():
        raise SourceError(f"--source {spec}: expected auto, gsc, computer, alexa, synthetic or a folder")
    return folder_source(path, keywords)


@dataclass
class NoiseSource:
    kind: str                       # "files" or "coloured"
    description: str                # for the summary line: "real noise", "coloured noise"
    files: List[pathlib.Path]
    names: List[str]


def open_noise(spec: str, clip_source: Optional[ClipSource] = None) -> NoiseSource:
    """--noise: auto (the shared noise recordings, or a source folder's _background_noise_, else
    coloured), shared, coloured, or a file or folder of noise recordings."""
    if spec == "auto":
        if clip_source is not None and clip_source.root and \
                (pathlib.Path(clip_source.root) / "_background_noise_").is_dir():
            spec = str(pathlib.Path(clip_source.root) / "_background_noise_")
        elif find_shared_data("noise"):
            spec = "shared"
        else:
            spec = "coloured"
    if spec in ("coloured", "colored"):
        return NoiseSource("coloured", "coloured noise", [], [])
    if spec == "shared":
        data = _shared("noise")
        files = audio_files(data / "noise")
        return NoiseSource("files", "real noise", files, [f.relative_to(data).as_posix() for f in files])
    path = pathlib.Path(spec)
    files = audio_files(path) if path.is_dir() else [path] if path.is_file() else []
    if not files:
        raise SourceError(f"--noise {spec}: expected auto, shared, coloured, or audio files")
    return NoiseSource("files", "real noise", files, [f.name for f in files])


def active_region(samples: np.ndarray, sample_rate: int) -> tuple:
    """[begin, end) samples of the speech in a clip: 10 ms frames whose energy is within a third
    of the clip's dynamic range (10th-percentile frame to loudest frame) of the loudest frame and
    at most 30 dB below it; the span from the first to the last such frame."""
    frame = max(1, sample_rate // 100)
    count = len(samples) // frame
    if count == 0:
        return 0, len(samples)
    energy = (samples[:count * frame].astype(np.float64).reshape(count, frame) ** 2).mean(axis=1)
    db = 10.0 * np.log10(energy + 1e-12)
    peak = db.max()
    floor = max(np.percentile(db, 10), peak - 90.0)
    threshold = max(peak - 30.0, floor + (peak - floor) / 3.0)
    active = np.nonzero(db >= threshold)[0]
    return int(active[0] * frame), int(min(len(samples), (active[-1] + 1) * frame))


def parse_speakers(spec: str) -> tuple:
    """--speakers SALT:LOW:HIGH -> (salt, low, high)."""
    parts = spec.split(":")
    if len(parts) != 3:
        raise SourceError(f"--speakers {spec}: expected SALT:LOW:HIGH, e.g. kws:0:0.3")
    low, high = float(parts[1]), float(parts[2])
    if not 0.0 <= low < high <= 1.0:
        raise SourceError(f"--speakers {spec}: need 0 <= LOW < HIGH <= 1")
    return parts[0], low, high


def filter_speakers(source: ClipSource, salt: str, low: float, high: float,
                    keywords_too: bool = True) -> ClipSource:
    """Keeps the clips whose speaker's sha1(salt + speaker) fraction is in [low, high): a
    speaker-disjoint part of the source (e.g. the speakers a model was validated on). With
    ``keywords_too`` False only the other speech is filtered (see filter_keyword_speakers)."""
    keep = lambda clip: low <= speaker_fraction(speaker_id(clip.path), salt) < high
    if keywords_too:
        filter_keyword_speakers(source, salt, low, high)
    source.speech = [c for c in source.speech if keep(c)]
    source.sentences = [c for c in source.sentences if keep(c)]
    source.description += f" ({'speakers' if keywords_too else 'other speakers'} {salt}:{low:g}-{high:g})"
    return source


def filter_keyword_speakers(source: ClipSource, salt: str, low: float, high: float) -> ClipSource:
    """Keeps the keyword clips whose speaker's fraction is in [low, high) (a wake word trained
    from text never heard any of its recordings, so its test stream may use them all while the
    other speech stays on held-out speakers)."""
    keep = lambda clip: low <= speaker_fraction(speaker_id(clip.path), salt) < high
    keywords = {label: [c for c in clips if keep(c)] for label, clips in source.keywords.items()}
    empty = sorted(label for label, clips in keywords.items() if not clips)
    if empty:
        raise SourceError(f"no clips of {empty} from speakers in [{low}, {high}) (salt {salt!r})")
    source.keywords = keywords
    return source
