"""Loader for the Speech Commands folder layout (Warden 2018, arXiv 1804.03209), v0.01 and v0.02.

    ROOT/<word>/<speaker>_nohash_<n>.wav    one folder per word (v0.01: 30 words, v0.02: 35)
    ROOT/_background_noise_/*.wav           long noise recordings (the _silence_ source)
    ROOT/validation_list.txt                relative paths of the validation files
    ROOT/testing_list.txt                   relative paths of the test files

The 12-class task maps the 10 keywords to themselves, every other word to ``_unknown_`` and a
``_silence_`` folder (present in the released test sets) to ``_silence_``; training silence is cut
from ``_background_noise_``. Without the list files, the split is the dataset's own hash of the
speaker id (``which_set``), so that a speaker never lands in two splits. Files may be WAV or FLAC
(the copies in ../shared/data are FLAC and Ogg Opus); names like ``backward_<speaker>_nohash_0.flac`` (an
_unknown_ folder of a released test set) keep the word in front of the speaker.
"""
import hashlib
import pathlib
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

from .audio import AUDIO_SUFFIXES
from .wordlists import COMMANDS_EN

UNKNOWN = "_unknown_"
SILENCE = "_silence_"
BACKGROUND_NOISE = "_background_noise_"
#: Labels of the 12-class task, in the order libkws models use (as kws_training.export's example).
LABELS_12 = (SILENCE, UNKNOWN) + tuple(sorted(COMMANDS_EN))
#: The Speech Commands paper's constant for its stable split hash.
MAX_NUM_WAVS_PER_CLASS = 2 ** 27 - 1
#: Words that only v0.02 has.
V2_ONLY_WORDS = ("backward", "forward", "follow", "learn", "visual")


@dataclass(frozen=True)
class Entry:
    """One clip: path, folder word, task label, speaker id and split
    ("training", "validation" or "testing")."""

    path: pathlib.Path
    word: str
    label: str
    speaker: str
    split: str


def speaker_id(path) -> str:
    """Speaker of a recording: for Speech Commands the hash before ``_nohash_`` (without a
    leading ``<word>_``); for LibriSpeech (``<speaker>-<chapter>-<utterance>``) the reader; for
    other names (Arabic Speech Commands: ``00000001_NO_01``; a wake-word recording) the part
    before the first underscore."""
    stem = pathlib.Path(path).stem
    if "_nohash_" in stem:
        return stem.split("_nohash_")[0].split("_")[-1]
    if re.fullmatch(r"\d+-\d+-\d+", stem):
        return stem.split("-")[0]
    return stem.split("_")[0]


def which_set(path, validation_percentage: float = 10.0, testing_percentage: float = 10.0) -> str:
    """The dataset's own stable split of a file by its speaker (``input_data.which_set`` of the
    TensorFlow speech_commands example): sha1 of the speaker id -> percentage."""
    hash_name = speaker_id(path)  # re.sub(r"_nohash_.*$", "", name) for canonical names
    digest = hashlib.sha1(hash_name.encode("utf-8")).hexdigest()
    percentage = (int(digest, 16) % (MAX_NUM_WAVS_PER_CLASS + 1)) * (100.0 / MAX_NUM_WAVS_PER_CLASS)
    if percentage < validation_percentage:
        return "validation"
    if percentage < validation_percentage + testing_percentage:
        return "testing"
    return "training"


def _read_list(path: pathlib.Path) -> Optional[set]:
    if not path.exists():
        return None
    return {line.strip() for line in path.read_text().splitlines() if line.strip()}


class SpeechCommands:
    """A Speech Commands tree (or any tree in its layout) for a keyword task.

    ``keywords``: the words kept as classes (default: the 10 of the 12-class task); other word
    folders become ``_unknown_``. ``entries`` lists every clip outside ``_background_noise_``;
    ``noise_files`` the background noise recordings.
    """

    def __init__(self, root, keywords: Sequence[str] = COMMANDS_EN,
                 validation_percentage: float = 10.0, testing_percentage: float = 10.0):
        self.root = pathlib.Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"Speech Commands folder {self.root} does not exist")
        self.keywords = tuple(keywords)
        validation = _read_list(self.root / "validation_list.txt")
        testing = _read_list(self.root / "testing_list.txt")
        self.has_lists = validation is not None or testing is not None
        self.noise_files: List[pathlib.Path] = []
        self.entries: List[Entry] = []
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir()):
            files = sorted(p for p in folder.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)
            if folder.name == BACKGROUND_NOISE:
                self.noise_files = files
                continue
            word = folder.name
            for path in files:
                relative = f"{word}/{path.name}"
                if self.has_lists:
                    split = ("validation" if validation and relative in validation else
                             "testing" if testing and relative in testing else "training")
                else:
                    split = which_set(path, validation_percentage, testing_percentage)
                self.entries.append(Entry(path, word, self.label_of(word), speaker_id(path), split))

    @property
    def labels(self) -> List[str]:
        """Task labels: _silence_, _unknown_, then the keywords sorted."""
        return [SILENCE, UNKNOWN] + sorted(self.keywords)

    @property
    def words(self) -> List[str]:
        return sorted({entry.word for entry in self.entries})

    @property
    def version(self) -> str:
        """"v0.02" when a v0.02-only word folder is present, else "v0.01"."""
        return "v0.02" if set(V2_ONLY_WORDS) & set(self.words) else "v0.01"

    def label_of(self, word: str) -> str:
        if word in self.keywords:
            return word
        if word == SILENCE:
            return SILENCE
        return UNKNOWN

    def split(self, name: str) -> List[Entry]:
        return [entry for entry in self.entries if entry.split == name]

    def counts(self) -> Dict[str, Dict[str, int]]:
        """split -> label -> number of clips."""
        table: Dict[str, Dict[str, int]] = {}
        for entry in self.entries:
            row = table.setdefault(entry.split, {})
            row[entry.label] = row.get(entry.label, 0) + 1
        return table


def speaker_fraction(speaker: str, salt: str = "") -> float:
    """Where a speaker falls in [0, 1): sha1(salt + speaker) as a fraction of the hash range. The
    one speaker split of the tools: training holds out the speakers below its validation
    fraction (salt "kws"), and the evaluation's streams pick speakers by the same number, so a
    test stream's speakers are never trained on."""
    return int(hashlib.sha1((salt + speaker).encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def split_by_speaker(entries: Sequence[Entry], validation_fraction: float,
                     salt: str = "") -> Dict[str, List[Entry]]:
    """Speaker-disjoint {"training": [...], "validation": [...]}: a speaker goes to validation
    when sha1(salt + speaker) falls in the first ``validation_fraction`` of the hash range."""
    result: Dict[str, List[Entry]] = {"training": [], "validation": []}
    for entry in entries:
        side = "validation" if speaker_fraction(entry.speaker, salt) < validation_fraction else "training"
        result[side].append(entry)
    return result
