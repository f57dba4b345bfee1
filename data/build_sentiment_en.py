"""Rebuilds data/sentiment_en.jsonl.gz and data/heldout/sentiment_en.jsonl.gz, byte for
byte, from the sentences people rated for VADER (Hutto & Gilbert, ICWSM 2014).

The source distribution vaderSentiment 3.3.2 (MIT licence) ships the paper's ground truth,
additional_resources/hutto_ICWSM_2014.tar.gz: 23,700 snippets of movie reviews, Amazon
reviews, New York Times editorials and tweets, each with the mean of at least 20 people's
ratings from -4 (extremely negative) to +4 (extremely positive). Kept: the snippets whose
mean is at least 0.5 away from neutral, labelled 1 positive or 0 negative, split into words
and punctuation with single spaces between them, each text once.

    python data/build_sentiment_en.py              # pip downloads the pinned sdist, rebuilds
    python data/build_sentiment_en.py --check      # rebuild in memory, compare (exit 1 if different)
    python data/build_sentiment_en.py --sdist vaderSentiment-3.3.2.tar.gz
    sha256sum -c data/SHA256SUMS; (cd data/heldout && sha256sum -c SHA256SUMS)
"""
from __future__ import annotations

import html
import io
import re
import sys
from pathlib import Path

from sentiment_build import arguments, downloaded, member, split, write

REQUIREMENT = "vaderSentiment==3.3.2"
SDIST_SHA256 = "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9"
GROUND_TRUTH = "additional_resources/hutto_ICWSM_2014.tar.gz"
SOURCES = ["amazonReviewSnippets_GroundTruth.txt", "movieReviewSnippets_GroundTruth.txt",
           "nytEditorialSnippets_GroundTruth.txt", "tweets_GroundTruth.txt"]   # in the ground truth
NEUTRAL_BAND = 0.5   # |mean rating| below this: too close to neutral to carry a label
SEED = 20140601      # ICWSM-14, where VADER was published
NAME = "sentiment_en.jsonl.gz"
# A word (letters or digits, with inner apostrophes: "don't") or a run of punctuation (":)").
TOKEN = re.compile(r"\w+(?:'\w+)*|[^\w\s]+")


def tokens(text: str) -> str:
    return " ".join(TOKEN.findall(html.unescape(text)))


def rows(sdist: Path) -> list[dict]:
    """One row per distinct text (first seen, files in name order), rated far enough from neutral."""
    ground_truth = io.BytesIO(member(sdist, GROUND_TRUTH))
    found, seen = [], set()
    for filename in SOURCES:
        ground_truth.seek(0)
        for line in member(ground_truth, filename).decode("utf-8").splitlines():
            if not line.strip():
                continue
            __, rating, text = line.split("\t")
            text = tokens(text)
            if abs(float(rating)) < NEUTRAL_BAND or not text or text.lower() in seen:
                continue
            seen.add(text.lower())
            found.append({"label": int(float(rating) > 0), "text": text})
    return found


def main() -> int:
    args = arguments(__doc__, REQUIREMENT)
    sdist = downloaded(REQUIREMENT, SDIST_SHA256, args.sdist)
    return write(NAME, split(rows(sdist), SEED), check=args.check)


if __name__ == "__main__":
    sys.exit(main())
