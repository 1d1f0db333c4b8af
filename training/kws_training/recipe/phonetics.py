"""Words that sound like a keyword, by espeak-ng's phonemes: the hard negatives of a wake word
("computer": "commuter", "compute"; "alexa": "election", "a lexus"), found in any vocabulary
(common words, LibriSpeech's transcripts) so that a word typed by a user gets them too."""
import functools
import pathlib
import re
import shutil
import subprocess
from typing import Dict, Iterable, List, Sequence, Tuple

from .. import shared_data
from .wordlists import CLOSE_WORDS, COMMON_WORDS, SPEECH_COMMANDS_OTHER


#: espeak-ng mnemonics that are no sound: pauses between phrases (":"), a syllable break (";")
#: and other prosody marks. Dropped with the stress marks.
NOT_PHONEMES = frozenset({":", ";", "|", "!", "!w"})


def phonemes(texts: Sequence[str], voice: str = "en-us") -> List[Tuple[str, ...]]:
    """espeak-ng's phonemes of each text (``espeak-ng -q -x --sep=_``; one line each, stress
    marks and NOT_PHONEMES dropped). This is the rule for a CTC model's tokens and for a
    keyword's text at run time (libkws's phonemiser is tested against it)."""
    if not texts:
        return []
    if shutil.which("espeak-ng") is None:
        raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng)")
    lines = [re.sub(r"[^\w' -]", " ", t).strip() or "_" for t in texts]
    result = subprocess.run(["espeak-ng", "-q", "-x", "--sep=_", "-v", voice], input="\n".join(lines) + "\n",
                            capture_output=True, text=True, check=True)
    out = [tuple(p for p in re.split(r"[_ ]+", line.replace("'", "").replace(",", ""))
                 if p and p not in NOT_PHONEMES)
           for line in result.stdout.splitlines()]
    if len(out) != len(texts):
        raise RuntimeError(f"espeak-ng returned {len(out)} lines for {len(texts)} texts")
    return out


def edit_distance(a: Sequence[str], b: Sequence[str]) -> int:
    """Levenshtein distance between two phoneme sequences."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


@functools.lru_cache(maxsize=1)
def vocabulary() -> Tuple[str, ...]:
    """Candidate words: the recipe's word lists and, where ../shared/data is present, every word
    of the LibriSpeech transcripts."""
    words = set(COMMON_WORDS) | set(SPEECH_COMMANDS_OTHER) | {w for v in CLOSE_WORDS.values() for w in v}
    root = shared_data.find("librispeech")
    if root is not None:
        from .librispeech import transcripts

        for text in transcripts(root / "librispeech").values():
            words.update(w.lower() for w in text.split() if len(w) > 1 and w.isalpha())
    return tuple(sorted(w for w in words if "-" not in w))


@functools.lru_cache(maxsize=1)
def _vocabulary_phonemes() -> Dict[str, Tuple[str, ...]]:
    words = vocabulary()
    return dict(zip(words, phonemes(words)))


def neighbours(keyword: str, count: int = 40, words: Iterable[str] = ()) -> List[str]:
    """The ``count`` words closest to ``keyword`` in phonemes (edit distance over the longer
    length), from ``words`` or vocabulary(); words that contain the keyword ("computers" says
    "computer") or sound exactly like it (homophones: acoustically the keyword) are left out."""
    target = phonemes([keyword])[0]
    table = dict(zip(words, phonemes(list(words)))) if words else _vocabulary_phonemes()
    banned = set(keyword.lower().split())
    scored = []
    for word, sound in table.items():
        if any(b in word.lower() for b in banned) or not sound or sound == target:
            continue
        scored.append((edit_distance(target, sound) / max(len(target), len(sound)), word))
    return [word for _, word in sorted(scored)[:count]]
