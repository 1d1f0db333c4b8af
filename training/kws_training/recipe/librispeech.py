"""LibriSpeech transcripts: which utterances say a given word.

A LibriSpeech chapter folder holds ``<speaker>-<chapter>.trans.txt``, one line per utterance:
``<speaker>-<chapter>-<utterance> WORD WORD ...`` (upper case). Sentences that say a keyword
("turn it ON", "NO doubt") are not other speech for that keyword: training must not label a
second of them _unknown_, and a test stream must not count an event on them as a false alarm.
"""
import pathlib
import re
from typing import Dict, Iterable, List, Sequence


def transcripts(root: pathlib.Path) -> Dict[str, str]:
    """Utterance id -> upper-case transcript, from every ``*.trans.txt`` under ``root``."""
    out: Dict[str, str] = {}
    for path in sorted(pathlib.Path(root).rglob("*.trans.txt")):
        for line in path.read_text().splitlines():
            utterance, _, text = line.strip().partition(" ")
            if utterance:
                out[utterance] = text.upper()
    return out


def says_any(text: str, words: Iterable[str]) -> bool:
    """True when ``text`` holds one of ``words`` as a whole word ("on" in "GO ON", not in
    "UPON"); multi-word keywords match as a phrase."""
    for word in words:
        if re.search(r"(?<![A-Z'])" + re.escape(word.upper()) + r"(?![A-Z'])", text):
            return True
    return False


def without_words(paths: Sequence[pathlib.Path], root: pathlib.Path,
                  words: Iterable[str]) -> List[pathlib.Path]:
    """The utterances of ``paths`` whose transcript (under ``root``) says none of ``words``;
    an utterance without a transcript is dropped (what it says is unknown)."""
    text = transcripts(root)
    words = list(words)
    return [p for p in paths if p.stem in text and not says_any(text[p.stem], words)]
