"""Rebuilds data/sentiment_text.jsonl, byte for byte, from the VADER sentiment lexicon.

The words and their scores are real: the lexicon of vaderSentiment 3.3.2 (MIT licence),
where ten human raters scored each word from -4 (extremely negative) to +4 (extremely
positive). The sentences are assembled here with a fixed seed: neutral filler words (none
of them in the lexicon) with zero to three rated words among them. The label is the sign
of the sum of the rated words' mean scores: 0 negative, 1 neutral (no rated word),
2 positive.

    pip download --no-deps vaderSentiment==3.3.2 -d /tmp/vader
    python data/build_sentiment_text.py /tmp/vader/vaderSentiment-3.3.2-py2.py3-none-any.whl
    sha256sum -c data/SHA256SUMS

Only the standard library is used (`random.Random` with a fixed seed), so the output does
not depend on NumPy's version.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import zipfile
from pathlib import Path

WHEEL_SHA256 = "3bf1d243b98b1afad575b9f22bc2cb1e212b94ff89ca74f8a23a588d024ea311"
LEXICON = "vaderSentiment/vader_lexicon.txt"
OUTPUT = Path(__file__).with_name("sentiment_text.jsonl")
SEED = 20140601  # ICWSM-14, where VADER was published
POOL_SIZE = 300  # rated words per polarity
NUM_TRAIN, NUM_TEST = 2400, 600
NEGATIVE, NEUTRAL, POSITIVE = 0, 1, 2

# Words without sentiment, none of them in the lexicon (checked below).
FILLERS = """the a an this that these my our your their his her its we they you he she it
movie film book story plot music song album show series game team food meal dinner
service staff hotel room place trip flight phone camera price day week night weekend
weather class teacher lesson city street car train bus office meeting report
is was were are be been seemed felt looked sounded turned got
and but so then also just still again too with of to for at on in about after before
today yesterday here there overall really""".split()

# Rated words that a course's data set should not carry, whatever their score.
BLOCKED = re.compile(r"fuck|shit|bitch|bastard|damn|dick|piss|cunt|whore|slut|fag|nigg|retard|"
                     r"ass|crap|douche|cock|puss|twat|wank|rape|raping|rapist|pervert|pervers|porn|nazi|kill|suicid|murder|"
                     r"sex|horny|hell|jerk|dumb|moron|idiot|stupid|prick|bloody|goddam|butt|boob|wtf")


def read_lexicon(wheel: Path) -> dict[str, float]:
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise SystemExit(f"{wheel} has SHA-256 {digest}, expected vaderSentiment 3.3.2's {WHEEL_SHA256}")
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(LEXICON).decode("utf-8")
    scores = {}
    for line in text.splitlines():
        token, mean, std, _ = line.split("\t")
        scores[token] = (float(mean), float(std))
    return scores


def word_pools(scores: dict[str, tuple[float, float]], rng: random.Random) -> tuple[list[str], list[str]]:
    """POOL_SIZE clearly positive and clearly negative plain words on which raters agreed."""
    def pool(sign: int) -> list[str]:
        candidates = sorted(word for word, (mean, std) in scores.items()
                            if re.fullmatch(r"[a-z]{3,}", word) and sign * mean >= 1.5 and std <= 0.8
                            and not BLOCKED.search(word))
        return sorted(rng.sample(candidates, POOL_SIZE))
    return pool(+1), pool(-1)


def sentence(label: int, positive: list[str], negative: list[str], scores, rng: random.Random) -> str:
    words = [rng.choice(FILLERS) for _ in range(rng.randint(5, 14))]
    rated: list[str] = []
    if label != NEUTRAL:
        same, other = (positive, negative) if label == POSITIVE else (negative, positive)
        sign = 1 if label == POSITIVE else -1
        while True:
            rated = [rng.choice(same) for _ in range(rng.randint(1, 3))]
            if rng.random() < 0.3:
                rated.append(rng.choice(other))  # a mixed sentence: the sum decides
            total = sum(scores[word][0] for word in rated)
            if sign * total >= 1.0:
                break
    for word in rated:
        words.insert(rng.randint(0, len(words)), word)
    return " ".join(words)


def build(wheel: Path) -> str:
    scores = read_lexicon(wheel)
    assert not set(FILLERS) & set(scores), "a filler word is in the lexicon"
    rng = random.Random(SEED)
    positive, negative = word_pools(scores, rng)
    lines = []
    for split, count in (("train", NUM_TRAIN), ("test", NUM_TEST)):
        for _ in range(count):
            label = rng.choice((NEGATIVE, NEUTRAL, POSITIVE))
            text = sentence(label, positive, negative, scores, rng)
            lines.append(json.dumps({"split": split, "label": label, "text": text}, sort_keys=True))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wheel", type=Path, help="vaderSentiment-3.3.2-py2.py3-none-any.whl")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    args.output.write_text(build(args.wheel), encoding="utf-8")
    print(f"wrote {args.output}: {hashlib.sha256(args.output.read_bytes()).hexdigest()}")


if __name__ == "__main__":
    main()
