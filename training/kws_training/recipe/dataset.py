"""Task data: which clips train and validate a model, and the batches the recipe consumes.

A task (:func:`build_task`) gathers clips as int16 arrays with a label, a source name and a group
(speaker or synthetic voice) and splits them so that no speaker or voice is on both sides:

* ``commands_en``: the 12-class English commands task. Synthetic renders of the 10 keywords, of
  ~200 other words (close ones first) and of running speech, plus the real Speech Commands
  clips of ../shared/data/gsc_v2_test_a split by speaker hash (30 % of the speakers validate).
* ``wakeword``: one keyword (default "computer") against _unknown_ and _silence_, from text
  only, or (``--real-positives``) with 70 % of ../shared/data/wakewords/<word> added.
* ``arabic``: the 40 words of ../shared/data/arabic_speech_commands/train + _silence_, 20 % of the
  speakers held out.
* ``speech_commands``: any tree in the Speech Commands layout (``--speech-commands DIR``).

Real data is read from ../shared/data (or KWS_SHARED_DATA) and never copied; a task that needs it
raises :class:`DataMissing` with a message when it is absent.
"""
import pathlib
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np

from .. import shared_data
from . import librispeech, speech_commands as sc
from .audio import SAMPLE_RATE, audio_files, read_many, to_float, to_int16, trim_silence
from .augment import Augmenter, AugmentConfig, fit_length, place
from .synth import is_heldout_voice, synthesize
from .wordlists import COMMANDS_EN, negative_words, running_speech

REPO_ROOT = shared_data.REPO_ROOT
SILENCE, UNKNOWN = sc.SILENCE, sc.UNKNOWN
#: A keyword render must fit this many samples (slower ones are sped up to fit).
MAX_KEYWORD_SAMPLES = int(0.95 * SAMPLE_RATE)
#: Clips longer than this many windows are cropped to it before augmentation (training only).
LONG_CLIP = 1.25


class DataMissing(RuntimeError):
    """Real data a task needs is not there."""


def shared_data_dir() -> Optional[pathlib.Path]:
    """../shared/data (see kws_training.shared_data for where it is looked for); None when absent."""
    return shared_data.find()


def require_shared(subfolder: str) -> pathlib.Path:
    root = shared_data_dir()
    if root is None or not (root / subfolder).is_dir():
        raise DataMissing(f"real data {subfolder!r} not found under ../shared/data (or "
                          f"$KWS_SHARED_DATA); it is never copied into the repository")
    return root / subfolder


@dataclass
class Example:
    audio: Optional[np.ndarray]  # int16 at 16 kHz; None: a generated _silence_ example
    label: int
    source: str
    group: str

    @property
    def synthetic(self) -> bool:
        """Synthetic speech: a TTS render or a piece of one (sources "synth*")."""
        return self.source.startswith("synth")


@dataclass
class TaskData:
    """Clips of one task. ``train_pools`` maps a pool name to examples; ``pool_share`` gives each
    pool's share of an epoch (None: every example once; ``repeat:k``: every example k times).
    ``validation`` maps a set name to fixed examples."""

    name: str
    labels: List[str]
    train_pools: Dict[str, List[Example]]
    pool_share: Dict[str, Optional[str]]
    validation: Dict[str, List[Example]]
    noises: List[np.ndarray] = field(default_factory=list)
    babble: List[np.ndarray] = field(default_factory=list)
    notes: Dict[str, object] = field(default_factory=dict)
    #: Examples per epoch when every pool has a fractional share (None: from the fixed pools).
    epoch_size: Optional[int] = None

    def summary(self) -> Dict[str, object]:
        return {"task": self.name, "labels": self.labels,
                "train_pools": {k: len(v) for k, v in self.train_pools.items()},
                "pool_share": self.pool_share,
                "validation": {k: len(v) for k, v in self.validation.items()},
                "noises": len(self.noises), "babble": len(self.babble), **self.notes}


def _load_files(paths: Sequence[pathlib.Path], label: str = "load") -> List[np.ndarray]:
    """The files as 16 kHz int16, decoded once and cached (audio.read_many)."""
    return read_many(paths, label)


def load_noises(extra: Sequence[pathlib.Path] = ()) -> List[np.ndarray]:
    """Real noise recordings: ../shared/data/noise/* (if present) and ``extra`` files."""
    paths = list(extra)
    root = shared_data_dir()
    if root is not None and (root / "noise").is_dir():
        paths += sorted((root / "noise").glob("*.flac"))
    return [to_float(clip) for clip in _load_files(paths, "noise")]


def _synthetic(keywords: Sequence[str], labels: List[str], keyword_renders: int,
               negatives: int, negative_renders: int, sentences: int, sentence_renders: int,
               seed: int, cache_dir, pools, validation, babble, phonetic_neighbours: int = 0) -> None:
    """Add synthetic keyword, negative-word and running-speech clips; held-out voices validate.
    ``phonetic_neighbours``: that many words that sound like each keyword join the negatives
    first (recipe.phonetics)."""
    unknown = labels.index(UNKNOWN)
    for text, entry in synthesize(list(keywords), keyword_renders, seed, cache_dir).items():
        for clip, voice in zip(entry.clips, entry.voices):
            clip = to_int16(fit_length(to_float(clip), MAX_KEYWORD_SAMPLES))
            example = Example(clip, labels.index(text), "synth", voice)
            (validation["synth_heldout"] if is_heldout_voice(voice) else pools["keyword"]).append(example)
    close = []
    if phonetic_neighbours:
        from .phonetics import neighbours
        close = [w for keyword in keywords for w in neighbours(keyword, phonetic_neighbours)]
    words = negative_words(keywords, negatives, seed, close)
    for text, entry in synthesize(words, negative_renders, seed, cache_dir).items():
        for clip, voice in zip(entry.clips, entry.voices):
            example = Example(clip, unknown, "synth_word", voice)
            if is_heldout_voice(voice):
                validation["synth_heldout"].append(example)
            else:
                pools["unknown"].append(example)
                babble.append(to_float(clip))
    for text, entry in synthesize(running_speech(keywords, sentences, seed), sentence_renders,
                                  seed, cache_dir).items():
        for clip, voice in zip(entry.clips, entry.voices):
            if not is_heldout_voice(voice):
                pools["unknown"].append(Example(clip, unknown, "synth_sentence", voice))
                babble.append(to_float(clip))


def _silence_examples(count: int, label: int, augmenter: Augmenter, seed: int) -> List[Example]:
    rng = np.random.default_rng(seed)
    return [Example(to_int16(augmenter.silence(rng)), label, "generated_silence", "noise")
            for _ in range(count)]


#: Share of the speakers (sha1("kws" + speaker)) that commands_en never trains on, in
#: gsc_v2_test_a and LibriSpeech: [0, 0.15) builds the calibration stream, [0.15, 0.3) the test
#: stream (see README), and the gsc_v2_test_a ones are the real_val set.
HELDOUT_SALT = "kws"
#: One epoch of commands_en, by pool: each keyword 5 %, other speech 42 %, silence 8 %.
COMMANDS_EN_SHARE = {"keyword": 0.50, "librispeech": 0.15, "other_words": 0.12,
                     "synthetic_other": 0.09, "fragments": 0.06, "silence": 0.08}


def librispeech_split(fraction: float, without: Sequence[str] = ()) -> Dict[str, List[pathlib.Path]]:
    """Mini LibriSpeech utterances by reader: {"training": [...], "validation": [...]}, a reader
    in validation when sha1(HELDOUT_SALT + reader) < ``fraction`` (as split_by_speaker); with
    ``without``, only the utterances whose transcript says none of those words."""
    root = require_shared("librispeech")
    files = audio_files(root)
    if without:
        files = librispeech.without_words(files, root, without)
    entries = [sc.Entry(path, "librispeech", UNKNOWN, sc.speaker_id(path), "") for path in files]
    split = sc.split_by_speaker(entries, fraction, salt=HELDOUT_SALT)
    return {side: [e.path for e in entries] for side, entries in split.items()}


def _fragments(clips: Sequence[np.ndarray], count: int, label: int, seed: int,
               source: str = "fragment") -> List[Example]:
    """Keyword fragments as _unknown_: the first or last 25-40 % of a keyword's speech (a word
    that only starts or ends like a keyword must not fire)."""
    rng = np.random.default_rng(seed)
    out = []
    for index in rng.choice(len(clips), size=min(count, len(clips)), replace=False):
        speech = trim_silence(to_float(clips[index]), margin=0)
        if speech.size < 1600:
            continue
        keep = int(speech.size * rng.uniform(0.25, 0.4))
        piece = speech[:keep] if rng.random() < 0.5 else speech[-keep:]
        out.append(Example(to_int16(piece), label, source, "fragment"))
    return out


def _speech_commands(labels: List[str], heldout: float, validation: Dict[str, List[Example]],
                     silence: List[Example], noises: List[np.ndarray]):
    """The real Speech Commands clips for a task with ``labels`` (the 10 commands, _unknown_ and
    _silence_ among them): gsc_train, whose validation_list speakers go to
    validation["gsc_train_val"], then gsc_v2_test_a, whose speakers with sha1(HELDOUT_SALT +
    speaker) < ``heldout`` go to validation["real_val"] and whose other _silence_ clips go to
    ``silence`` and ``noises``. Returns the remaining training clips of other words, those of the
    keywords (in file order, gsc_train first) and gsc_v2_test_a's speaker split."""
    other: List[Example] = []
    keywords: List[Example] = []
    train_tree = sc.SpeechCommands(require_shared("gsc_train"), COMMANDS_EN)
    for entry, clip in zip(train_tree.entries, _load_files([e.path for e in train_tree.entries], "gsc_train")):
        example = Example(clip, labels.index(entry.label), "gsc_train", entry.speaker)
        (validation["gsc_train_val"] if entry.split == "validation" else keywords).append(example)
    tree = sc.SpeechCommands(require_shared("gsc_v2_test_a"), COMMANDS_EN)
    split = sc.split_by_speaker(tree.entries, heldout, salt=HELDOUT_SALT)
    clips = dict(zip([e.path for e in tree.entries], _load_files([e.path for e in tree.entries], "gsc_v2_test_a")))
    for side, entries in split.items():
        for entry in entries:
            example = Example(clips[entry.path], labels.index(entry.label), "gsc", entry.speaker)
            if side == "validation":
                validation["real_val"].append(example)
            elif entry.label == SILENCE:
                silence.append(example)
                noises.append(to_float(example.audio))
            else:
                (other if entry.label == UNKNOWN else keywords).append(example)
    return other, keywords, split


def commands_en(args) -> TaskData:
    """The 12-class task from real speech: gsc_train (its validation_list speakers validate),
    gsc_v2_test_a (30 % of its speakers held out), LibriSpeech sentences, Arabic words and the
    wake-word recordings as other speech, synthetic renders for the keywords with few real clips
    (on, off) and for other words and sentences, keyword fragments, noise and silence."""
    if args.synthetic_only:
        raise DataMissing("commands_en is trained on real speech; --synthetic-only is for wakeword")
    labels = list(sc.LABELS_12)
    unknown, silence = labels.index(UNKNOWN), labels.index(SILENCE)
    synthetic = {"keyword": [], "unknown": []}
    validation = {"real_val": [], "gsc_train_val": [], "librispeech_heldout": [],
                  "synth_heldout": []}
    babble: List[np.ndarray] = []
    _synthetic(COMMANDS_EN, labels, args.keyword_renders, args.negatives, args.negative_renders,
               args.sentences, args.sentence_renders, args.seed, args.cache_dir, synthetic,
               validation, babble)
    noises = load_noises()
    notes: Dict[str, object] = {}
    pools: Dict[str, List[Example]] = {f"keyword_{w}": [] for w in COMMANDS_EN}
    pools.update({"librispeech": [], "other_words": [], "synthetic_other": synthetic["unknown"],
                  "fragments": [], "silence": []})
    real_keywords: Dict[str, List[Example]] = {w: [] for w in COMMANDS_EN}

    other, keywords, split = _speech_commands(labels, args.real_validation_fraction, validation,
                                              pools["silence"], noises)
    pools["other_words"] += other
    for example in keywords:
        real_keywords[labels[example.label]].append(example)
    notes["real_speakers"] = {side: len({e.speaker for e in entries})
                              for side, entries in split.items()}

    # Keywords: real clips, repeated where few (on, off: gsc_v2_test_a only) so that they stay at
    # least half of their class, plus the synthetic renders of the word.
    # With --synthetic-keyword-share S the renders are a pool of their own, S of each keyword's
    # draws (TTS voices are voices too: the examples' recordings are espeak-ng's).
    split_synthetic = args.synthetic_keyword_share is not None
    for word in COMMANDS_EN:
        label = labels.index(word)
        renders = [e for e in synthetic["keyword"] if e.label == label]
        real = real_keywords[word]
        repeat = max(1, int(np.ceil(len(renders) / max(1, len(real)))))
        pools[f"keyword_{word}"] = real * repeat + ([] if split_synthetic else renders)
        if split_synthetic:
            pools[f"keyword_synthetic_{word}"] = renders
    notes["real_keyword_clips"] = {w: len(v) for w, v in real_keywords.items()}
    all_real = [e.audio for v in real_keywords.values() for e in v]
    pools["fragments"] = _fragments(all_real, 3000, unknown, args.seed + 3)

    # Other speech: LibriSpeech readers outside the held-out ones (a random second of a sentence
    # per draw; only sentences that say no keyword), Arabic words, the wake-word recordings.
    libri = librispeech_split(args.real_validation_fraction, without=COMMANDS_EN)
    for side, paths in libri.items():
        utterances = _load_files(paths, f"librispeech_{side}")
        if side == "training":
            pools["librispeech"] = [Example(u, unknown, "librispeech", sc.speaker_id(p))
                                    for p, u in zip(paths, utterances)]
            babble += [to_float(u) for u in utterances[::5]]
        else:
            rng = np.random.default_rng(args.seed + 4)
            for path, utterance in zip(paths[::2], utterances[::2]):
                start = int(rng.integers(0, max(1, utterance.size - SAMPLE_RATE)))
                validation["librispeech_heldout"].append(Example(
                    utterance[start:start + SAMPLE_RATE], unknown, "librispeech", sc.speaker_id(path)))
    notes["librispeech_readers"] = {side: len({sc.speaker_id(p) for p in paths})
                                    for side, paths in libri.items()}
    arabic_paths = [p for sub in ("train", "train_more")
                    for p in audio_files(require_shared(f"arabic_speech_commands/{sub}"))]
    arabic_clips = _load_files(arabic_paths, "arabic_speech_commands_train")
    pools["other_words"] += [Example(c, unknown, "arabic", sc.speaker_id(p))
                             for p, c in zip(arabic_paths, arabic_clips)]
    babble += [to_float(c) for c in arabic_clips[::20]]
    for word in ("alexa", "computer"):
        paths = audio_files(require_shared(f"wakewords/{word}"))
        pools["other_words"] += [Example(_strongest_second(c), unknown, "wakeword", p.stem)
                                 for p, c in zip(paths, _load_files(paths, f"wakewords/{word}"))]

    augmenter = Augmenter(AugmentConfig(), noises, babble)
    validation["synth_heldout"] += _silence_examples(100, silence, augmenter, args.seed + 1)
    # Half the silence draws generated (noise or near-digital silence at random levels), half
    # the real _silence_ clips of gsc_v2_test_a's training speakers.
    pools["silence"] += [Example(None, silence, "generated_silence", "noise")] * max(1, len(pools["silence"]))
    per_keyword = COMMANDS_EN_SHARE["keyword"] / len(COMMANDS_EN)
    synthetic_share = args.synthetic_keyword_share or 0.0
    share = {name: f"{per_keyword * (synthetic_share if 'synthetic' in name else 1 - synthetic_share):.4f}"
             for name in pools if name.startswith("keyword_")}
    share.update({name: str(COMMANDS_EN_SHARE[name]) for name in pools if name in COMMANDS_EN_SHARE})
    return TaskData("commands_en", labels, pools, share, validation, noises, babble, notes,
                    epoch_size=args.epoch_size or 30000)


def _strongest_second(clip: np.ndarray) -> np.ndarray:
    """The 1 s window of ``clip`` with the most energy (where a wake word recording has the word)."""
    x = to_float(clip)
    if x.size <= SAMPLE_RATE:
        return clip
    cumulative = np.concatenate([[0.0], np.cumsum(x.astype(np.float64) ** 2)])
    energy = (cumulative[SAMPLE_RATE:] - cumulative[:-SAMPLE_RATE])[::160]  # every 1 s window
    start = int(np.argmax(energy)) * 160
    return clip[start:start + SAMPLE_RATE]


def wakeword_real_split(word: str) -> Dict[str, List[pathlib.Path]]:
    """The recordings of ../shared/data/wakewords/<word>, split 70/30 by file-name hash (the files
    carry no speaker id, so this split is not speaker-disjoint)."""
    files = sorted(require_shared(f"wakewords/{word}").glob("*.flac"))
    return {"training": [f for f in files if sc.speaker_fraction(f.stem) >= 0.3],
            "validation": [f for f in files if sc.speaker_fraction(f.stem) < 0.3]}


#: Share of the speakers (sha1(HELDOUT_SALT + speaker)) of gsc_v2_test_a and LibriSpeech that
#: the speech backbone and the wake words trained on it never hear: [0, 0.2) builds the wake-word
#: calibration streams, [0.2, 0.5) the test streams (README, wake-word model cards).
WAKEWORD_HELDOUT = 0.5
#: One epoch of a wake word, by pool. Synthetic negatives as many as synthetic positives, so that
#: "synthetic" never predicts the keyword; real speech is most of the rest (a stream is mostly
#: people talking).
WAKEWORD_SHARE = {"keyword": 0.22, "real_keyword": 0.0, "synthetic_other": 0.22,
                  "fragments": 0.06, "librispeech": 0.2, "real_words": 0.2, "silence": 0.1}
#: With hard negatives (--mine-with), their share of an epoch, taken from the real pools in equal
#: parts: each mined second is then seen about 6 times per epoch of 12000 at 2000 mined.
MINED_SHARE = 0.12


def wakeword_real_negatives(word: str, labels: List[str]) -> Dict[str, List[Example]]:
    """Real speech that is not ``word``, from speakers no wake-word evaluation uses (LibriSpeech
    sentences without the word, Speech Commands words, the Arabic train split): "librispeech"
    and "real_words" pools. The wake-word recordings are left out: they test wake words."""
    unknown = labels.index(UNKNOWN)
    pools: Dict[str, List[Example]] = {"librispeech": [], "real_words": []}
    words = [w.lower() for w in word.split()]
    paths = librispeech_split(WAKEWORD_HELDOUT, without=words)["training"]
    pools["librispeech"] = [Example(u, unknown, "librispeech", sc.speaker_id(p))
                            for p, u in zip(paths, _load_files(paths, "librispeech_training"))]
    for folder in ("gsc_train", "gsc_v2_test_a"):  # gsc_train's speakers are in no stream
        tree = sc.SpeechCommands(require_shared(folder), COMMANDS_EN)
        entries = (tree.entries if folder == "gsc_train" else
                   sc.split_by_speaker(tree.entries, WAKEWORD_HELDOUT, HELDOUT_SALT)["training"])
        entries = [e for e in entries if e.word not in words and e.label != SILENCE]
        pools["real_words"] += [Example(c, unknown, folder, e.speaker)
                                for e, c in zip(entries, _load_files([e.path for e in entries], folder))]
    paths = [p for sub in ("train", "train_more")
             for p in audio_files(require_shared(f"arabic_speech_commands/{sub}"))]
    pools["real_words"] += [Example(c, unknown, "arabic", sc.speaker_id(p))
                            for p, c in zip(paths, _load_files(paths, "arabic_speech_commands_train"))]
    return pools


def wakeword(args) -> TaskData:
    """One wake word against _unknown_ and _silence_. Positives are synthetic renders of the text
    (``--real-positives`` adds 70 % of ../shared/data/wakewords/<word>, for comparison);
    negatives are synthetic words, sentences and fragments of the keyword, and real speech
    (wakeword_real_negatives) where ../shared/data is present (``--no-real-negatives``: none)."""
    word = args.keyword
    labels = [SILENCE, UNKNOWN, word]
    pools = {"keyword": [], "synthetic_other": []}
    validation = {"synth_heldout": []}
    babble: List[np.ndarray] = []
    synthetic = {"keyword": pools["keyword"], "unknown": pools["synthetic_other"]}
    _synthetic([word], labels, args.keyword_renders, args.negatives, args.negative_renders,
               args.sentences, args.sentence_renders, args.seed, args.cache_dir, synthetic,
               validation, babble, phonetic_neighbours=40)
    pools["fragments"] = _fragments([e.audio for e in pools["keyword"]], 1000, labels.index(UNKNOWN),
                                    args.seed + 3, source="synth_fragment")
    noises = load_noises()
    notes: Dict[str, object] = {}
    if not getattr(args, "no_real_negatives", False) and shared_data_dir() is not None:
        real = wakeword_real_negatives(word, labels)
        pools.update(real)
        babble += [to_float(e.audio) for e in real["librispeech"][::5]]
        notes["real_negatives"] = {k: len(v) for k, v in real.items()}
        if getattr(args, "mine_with", None):
            from .mining import mine
            pools["mined"], notes["mined"] = mine(args.mine_with, real["librispeech"] + real["real_words"],
                                                  labels.index(word), args.mined_negatives, quiet=args.quiet)
    if args.real_positives:
        paths = wakeword_real_split(word)["training"]
        pools["real_keyword"] = [Example(_strongest_second(clip), labels.index(word), "real", path.stem)
                                 for path, clip in zip(paths, _load_files(paths, f"wakewords/{word}"))]
        notes["real_positive_files"] = len(paths)
    augmenter = Augmenter(AugmentConfig(), noises, babble)
    validation["synth_heldout"] += _silence_examples(50, 0, augmenter, args.seed + 1)
    pools["silence"] = [Example(None, 0, "generated_silence", "noise")]
    share = dict(WAKEWORD_SHARE)
    if pools.get("real_keyword"):  # real positives take half of the keyword's share
        share["real_keyword"] = share["keyword"] = WAKEWORD_SHARE["keyword"] / 2
    if pools.get("mined"):
        share["mined"] = MINED_SHARE
        share["librispeech"] -= MINED_SHARE / 2
        share["real_words"] -= MINED_SHARE / 2
    missing = sum(v for k, v in share.items() if not pools.get(k))
    present = {k: v for k, v in share.items() if pools.get(k)}
    scale = 1.0 / max(1e-9, 1.0 - missing)  # pools that are absent give their share to the rest
    return TaskData(f"wakeword_{word}", labels, pools, {k: f"{v * scale:.4f}" for k, v in present.items()},
                    validation, noises, babble, notes, epoch_size=args.epoch_size or 12000)


def arabic(args) -> TaskData:
    """The 40 Arabic words + _silence_: trained on the official train split (train/ and, where
    present, train_more/), validated on the official validation split's own speakers; without a
    validation/ folder, ``--real-validation-fraction`` of the train speakers validate."""
    root = require_shared("arabic_speech_commands/train")
    words = sorted(p.name for p in root.iterdir() if p.is_dir())
    labels = [SILENCE] + words
    base = root.parent

    def entries_of(folder: pathlib.Path) -> List[sc.Entry]:
        if not folder.is_dir():
            return []
        return [sc.Entry(path, word.name, word.name, sc.speaker_id(path), "")
                for word in sorted(folder.iterdir()) if word.is_dir() and word.name in words
                for path in audio_files(word)]

    training = entries_of(root) + entries_of(base / "train_more")
    official = entries_of(base / "validation")
    if official:
        split = {"training": training, "validation": official}
    else:
        split = sc.split_by_speaker(training, args.real_validation_fraction, salt="kws")
    by_path = {}
    for side, entries in split.items():
        clips = _load_files([e.path for e in entries], f"arabic_speech_commands_{side}")
        by_path.update({e.path: clip for e, clip in zip(entries, clips)})
    pools = {"real": [Example(by_path[e.path], labels.index(e.label), "arabic", e.speaker)
                      for e in split["training"]],
             "silence": [Example(None, 0, "generated_silence", "noise")]}
    validation = {"real_val": [Example(by_path[e.path], labels.index(e.label), "arabic", e.speaker)
                               for e in split["validation"]]}
    noises = load_noises()
    babble = [to_float(e.audio) for e in pools["real"][::7]]
    augmenter = Augmenter(AugmentConfig(), noises, babble)
    validation["silence"] = _silence_examples(50, 0, augmenter, args.seed + 1)
    notes = {"speakers": {side: len({e.speaker for e in v}) for side, v in split.items()},
             "validation_split": "official validation speakers" if official else
             f"{args.real_validation_fraction:g} of the train speakers"}
    return TaskData("arabic", labels, pools, {"real": "repeat:1", "silence": "0.05"}, validation,
                    noises, babble, notes)


def speech_commands_tree(args) -> TaskData:
    """The 12-class task on a Speech Commands tree (its own lists or hash split)."""
    tree = sc.SpeechCommands(args.speech_commands, COMMANDS_EN)
    labels = tree.labels
    clips = _load_files([e.path for e in tree.entries], "speech_commands")
    pools = {"keyword": [], "unknown": [], "silence": []}
    validation = {"validation": []}
    for entry, clip in zip(tree.entries, clips):
        example = Example(clip, labels.index(entry.label), "speech_commands", entry.speaker)
        if entry.split == "validation":
            validation["validation"].append(example)
        elif entry.split == "training":
            pool = ("unknown" if entry.label == UNKNOWN else
                    "silence" if entry.label == SILENCE else "keyword")
            pools[pool].append(example)
    noises = [to_float(c) for c in _load_files(tree.noise_files, "background noise")] + load_noises()
    pools["silence"].append(Example(None, labels.index(SILENCE), "generated_silence", "noise"))
    babble = [to_float(e.audio) for e in pools["unknown"][:500]]
    if not validation["validation"]:
        validation = {}
    return TaskData("speech_commands", labels, pools,
                    {"keyword": None, "unknown": "0.1", "silence": "0.1"}, validation, noises,
                    babble, {"version": tree.version})


#: The backbone's label for continuous speech (LibriSpeech), beside _silence_ and _unknown_.
SPEECH = "_speech_"
#: Arabic words are classes of the backbone under this prefix (their folder names are English
#: glosses, which would collide with the English words).
ARABIC_PREFIX = "ar:"
#: One epoch of speech_backbone, by pool.
BACKBONE_SHARE = {"english_words": 0.45, "english_other": 0.05, "arabic": 0.25,
                  "librispeech": 0.17, "silence": 0.08}


def speech_backbone(args) -> TaskData:
    """A word classifier on all the real speech that no wake-word evaluation uses: the pre-trained
    backbone of ``wakeword --backbone`` (a network that learned real voices, rooms and
    microphones, so that a wake word trained on top from synthetic speech transfers to real
    people; Lin et al., arXiv 2002.01322). Classes: the 10 English command words, other English
    words (_unknown_), the 40 Arabic words, continuous English speech (_speech_) and _silence_.
    Never trained on: the wake-word recordings (they test wake words trained from text), the
    held-out speakers of gsc_v2_test_a and LibriSpeech (WAKEWORD_HELDOUT: the wake-word
    evaluation streams' speakers), the Arabic validation split."""
    labels = [SILENCE, UNKNOWN, SPEECH] + sorted(COMMANDS_EN)
    arabic_root = require_shared("arabic_speech_commands/train")
    arabic_words = sorted(p.name for p in arabic_root.iterdir() if p.is_dir())
    labels += [ARABIC_PREFIX + w for w in arabic_words]
    pools: Dict[str, List[Example]] = {name: [] for name in BACKBONE_SHARE}
    validation: Dict[str, List[Example]] = {"gsc_train_val": [], "real_val": [], "arabic_val": []}
    noises = load_noises()
    babble: List[np.ndarray] = []

    other, keywords, _ = _speech_commands(labels, WAKEWORD_HELDOUT, validation, pools["silence"], noises)
    pools["english_other"], pools["english_words"] = other, keywords
    babble += [to_float(e.audio) for e in other]

    speech = labels.index(SPEECH)
    libri = librispeech_split(WAKEWORD_HELDOUT)
    utterances = _load_files(libri["training"], "librispeech_training")
    pools["librispeech"] = [Example(u, speech, "librispeech", sc.speaker_id(p))
                            for p, u in zip(libri["training"], utterances)]
    babble += [to_float(u) for u in utterances[::5]]

    for sub, target in (("train", "arabic"), ("train_more", "arabic"), ("validation", "arabic_val")):
        folder = arabic_root.parent / sub
        if not folder.is_dir():
            continue
        paths = audio_files(folder)
        for path, clip in zip(paths, _load_files(paths, f"arabic_speech_commands_{sub}")):
            example = Example(clip, labels.index(ARABIC_PREFIX + path.parent.name), "arabic",
                              sc.speaker_id(path))
            (pools[target] if target == "arabic" else validation[target]).append(example)
    babble += [to_float(e.audio) for e in pools["arabic"][::20]]

    augmenter = Augmenter(AugmentConfig(), noises, babble)
    pools["silence"] += [Example(None, labels.index(SILENCE), "generated_silence", "noise")] * max(1, len(pools["silence"]))
    validation["silence"] = _silence_examples(100, labels.index(SILENCE), augmenter, args.seed + 1)
    notes = {"never_trained_on": ["wakewords/*", f"gsc_v2_test_a and librispeech speakers with "
                                  f"sha1({HELDOUT_SALT!r} + speaker) < {WAKEWORD_HELDOUT}",
                                  "arabic_speech_commands/validation"]}
    return TaskData("speech_backbone", labels, pools, {k: str(v) for k, v in BACKBONE_SHARE.items()},
                    validation, noises, babble, notes, epoch_size=args.epoch_size or 30000)


TASKS = {"commands_en": commands_en, "wakeword": wakeword, "arabic": arabic,
         "speech_commands": speech_commands_tree, "speech_backbone": speech_backbone}


def build_task(args) -> TaskData:
    return TASKS[args.task](args)


def epoch_examples(task: TaskData, rng: np.random.Generator) -> List[Example]:
    """One epoch: pools without a share once (``repeat:k``: k times), then pools with a fractional
    share drawn (with replacement when short) so that they make up that share of the epoch."""
    fixed: List[Example] = []
    fractions = {}
    for name, pool in task.train_pools.items():
        share = task.pool_share.get(name)
        if not pool:
            continue
        if share is None:
            fixed += pool
        elif share.startswith("repeat:"):
            fixed += pool * int(share.split(":")[1])
        else:
            fractions[name] = float(share)
    total = task.epoch_size or int(round(len(fixed) / max(1e-6, 1.0 - sum(fractions.values()))))
    examples = list(fixed)
    for name, fraction in fractions.items():
        pool = task.train_pools[name]
        count = int(round(total * fraction))
        index = rng.choice(len(pool), size=count, replace=count > len(pool))
        examples += [pool[i] for i in index]
    order = rng.permutation(len(examples))
    return [examples[i] for i in order]


def make_waveforms(examples: Sequence[Example], augmenter: Augmenter, rng: np.random.Generator,
                   train: bool) -> np.ndarray:
    """[len(examples), 16000] float32 waveforms (augmented when ``train``)."""
    out = np.zeros((len(examples), augmenter.length), np.float32)
    for row, example in enumerate(examples):
        if example.audio is None:
            out[row] = augmenter.silence(rng)
        elif example.source in ("generated_silence",) or (train and example.label == 0
                                                           and example.source == "gsc"):
            out[row] = place(to_float(example.audio), augmenter.length, 0, rng) * (
                float(10 ** (rng.uniform(-20, 6) / 20)) if train else 1.0)
        else:
            audio = example.audio
            if train and audio.size > LONG_CLIP * augmenter.length:
                # A second of a long utterance: crop before augmenting (speed and reverb then
                # cost a second's work, not the sentence's).
                begin = int(rng.integers(0, audio.size - int(LONG_CLIP * augmenter.length) + 1))
                audio = audio[begin:begin + int(LONG_CLIP * augmenter.length)]
            out[row] = augmenter(to_float(audio), rng, train, example.synthetic)
    return np.clip(out, -1.0, 1.0)
