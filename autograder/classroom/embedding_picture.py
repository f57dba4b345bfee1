"""e07's picture: what the student's embedding learnt, on the set of the lesson language.

The notebook's picture cell (frame.PICTURES) calls `show_embedding(train_text_classifier)`:
it trains the student's own function on the training split of the English sentences or the
Chinese reviews (data/sentiment_en.jsonl.gz, data/sentiment_zh.jsonl.gz), whichever the
lessons are in, then draws a 2-D projection of the embeddings of the most frequent tokens,
coloured by the sentiment each leans to (what the model says of a text made of that token
alone), and prints the nearest neighbours by cosine of a few words or characters. Every
text it shows comes from the catalogue, in the lesson language; Chinese glyphs are drawn
with the Noto Sans CJK SC font that the `mplfonts` package installs, so they render on a
machine without any CJK system font.
"""
from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path

import numpy as np

from autograder import COURSE_ROOT
from autograder.i18n import N_, Texts, language

DATA = {"en": COURSE_ROOT / "data" / "sentiment_en.jsonl.gz", "zh": COURSE_ROOT / "data" / "sentiment_zh.jsonl.gz"}
# Tokens whose neighbours are printed, when the vocabulary holds them.
PROBES = {"en": ["great", "boring", "love", "worst", "funny"], "zh": ["好", "差", "喜", "慢", "贵"]}
FREQUENT = 300   # tokens in the projection
NAMED = 24       # of which the ones that lean most, either way, are written next to their dot
NEIGHBOURS = 2000  # the tokens a neighbour is chosen from: the most frequent (a rare one moved little)
EPOCHS = 2

UI = Texts(
    blank=N_("Fill in the exercises above to see what your embedding learns."),
    no_embedding=N_("Your model has no tf.keras.layers.Embedding layer to draw."),
    title=N_("The {count} most frequent tokens of your embedding, projected to 2-D"),
    axis=N_("principal component {number}"),
    colour=N_("what your model says of the token alone: negative (0) to positive (1)"),
    nearest=N_("{token} is nearest to: {neighbours}"),
    trained=N_("Trained on {count:,} {set} for {epochs} epochs: the nearest neighbours by cosine similarity"),
    set_en=N_("English sentences people rated (data/sentiment_en.jsonl.gz)"),
    set_zh=N_("Chinese reviews (data/sentiment_zh.jsonl.gz)"),
)


def lesson_language() -> str:
    """The notebook's language: set with `set_language` in the notebook, else the learner's
    saved choice (`python -m autograder language`, which also switched the notebooks'
    lessons), else AUTOGRADER_LANG or the locale, as every command decides."""
    from autograder.classroom import notebook_check
    from autograder.selfstudy.language import saved_choice

    return notebook_check._language or saved_choice(COURSE_ROOT / "exercises") or language()


def training_split(lang: str) -> tuple[list[str], list[int]]:
    with gzip.open(DATA[lang], "rt", encoding="utf-8") as lines:
        rows = [row for row in map(json.loads, lines) if row["split"] == "train"]
    return [row["text"] for row in rows], [row["label"] for row in rows]


def cjk_font() -> Path:
    """Noto Sans CJK SC, as the mplfonts package ships it (found without importing it)."""
    (folder,) = importlib.util.find_spec("mplfonts").submodule_search_locations
    return Path(folder) / "fonts" / "NotoSansCJKsc-Regular.otf"


def _font_family() -> list[str]:
    from matplotlib import font_manager

    path = cjk_font()
    font_manager.fontManager.addfont(str(path))
    return [font_manager.FontProperties(fname=str(path)).get_name(), "DejaVu Sans"]


def leaning(model, ids: np.ndarray) -> np.ndarray:
    """P(positive) the model gives a text made of each token alone (softmax over its logits)."""
    logits = np.asarray(model(ids[:, None].astype(np.int32)), dtype=float)
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    return probabilities[:, 1]


def projected(vectors: np.ndarray) -> np.ndarray:
    """The vectors' coordinates on their first two principal components."""
    centred = vectors - vectors.mean(axis=0)
    return centred @ np.linalg.svd(centred, full_matrices=False)[2][:2].T


def nearest(token: str, tokens: list[str], unit: np.ndarray, count: int = 5) -> list[tuple[str, float]]:
    index = tokens.index(token)
    similarity = unit @ unit[index]
    return [(tokens[i], float(similarity[i])) for i in np.argsort(-similarity) if i != index][:count]


def show_embedding(train_text_classifier, lang: str | None = None, epochs: int = EPOCHS) -> None:
    """Train `train_text_classifier` on the set of `lang` (default: the lesson language)
    and show what its embedding learnt."""
    import matplotlib.pyplot as plt
    import tensorflow as tf

    lang = lang or lesson_language()
    ui = UI[lang]
    texts, labels = training_split(lang)
    try:
        model, vocab = train_text_classifier(texts, labels, epochs)
    except NotImplementedError:
        print(ui["blank"])
        return
    layers = [layer for layer in model._flatten_layers(include_self=False)
              if isinstance(layer, tf.keras.layers.Embedding)]
    if not layers:
        print(ui["no_embedding"])
        return
    table = np.asarray(layers[0].embeddings)
    tokens = sorted((token for token, index in vocab.items() if 2 <= index < len(table)), key=vocab.get)
    ids = np.array([vocab[token] for token in tokens])
    common = ids[:NEIGHBOURS]
    unit = table[common] / np.maximum(np.linalg.norm(table[common], axis=1, keepdims=True), 1e-9)
    frequent = ids[:FREQUENT]
    points, lean = projected(table[frequent]), leaning(model, frequent)

    # Concrete family names, not the "sans-serif" alias: each text keeps them, however
    # late the figure is drawn.
    with plt.rc_context({"font.family": _font_family(), "axes.unicode_minus": False}):
        fig, ax = plt.subplots(figsize=(7.5, 5.5))
        dots = ax.scatter(points[:, 0], points[:, 1], c=lean, cmap="RdYlBu", vmin=0, vmax=1, s=14)
        for i in np.argsort(np.abs(lean - 0.5))[-NAMED:]:
            ax.annotate(tokens[i], points[i], fontsize=9, xytext=(3, 2), textcoords="offset points")
        ax.set_title(ui["title"].format(count=len(frequent)))
        ax.set_xlabel(ui["axis"].format(number=1))
        ax.set_ylabel(ui["axis"].format(number=2))
        fig.colorbar(dots, ax=ax).set_label(ui["colour"])
        plt.show()
    print(ui["trained"].format(count=len(texts), set=ui[f"set_{lang}"], epochs=epochs))
    for token in (token for token in PROBES[lang] if token in tokens[:NEIGHBOURS]):
        neighbours = ", ".join(f"{other} ({similarity:.2f})"
                               for other, similarity in nearest(token, tokens[:NEIGHBOURS], unit))
        print(ui["nearest"].format(token=token, neighbours=neighbours))
