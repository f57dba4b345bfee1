"""e07's picture (autograder/classroom/embedding_picture.py): it draws the set of the lesson
language, every text it shows is in that language, and Chinese glyphs render with the font
the mplfonts package ships, not as the boxes of a font without them.

The model drawn here is an untrained bag of embeddings (what is drawn does not depend on
how well it learnt), so the test takes seconds, not a training run."""
import warnings

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from autograder.classroom import embedding_picture  # noqa: E402
from autograder.i18n import using  # noqa: E402


def untrained_classifier(seen):
    import tensorflow as tf

    def train_text_classifier(texts, labels, epochs):
        seen.append(texts)
        counts = {}
        for text in texts[:2000]:
            for token in text.lower().split():
                counts[token] = counts.get(token, 0) + 1
        vocab = {token: index for index, token in enumerate(sorted(counts, key=lambda t: -counts[t]), start=2)}
        tf.keras.utils.set_random_seed(0)
        model = tf.keras.Sequential([tf.keras.layers.Embedding(len(vocab) + 2, 8),
                                     tf.keras.layers.GlobalAveragePooling1D(), tf.keras.layers.Dense(2)])
        model(np.zeros((1, 1), np.int32))
        return model, vocab
    return train_text_classifier


def draw(lang, monkeypatch, capsys):
    """(figure texts, printed lines, missing-glyph warnings, texts trained on) of the picture in `lang`."""
    shown, seen = [], []
    monkeypatch.setattr(plt, "show", lambda: shown.append(plt.gcf()))
    with warnings.catch_warnings(record=True) as caught, using(lang):
        warnings.simplefilter("always")
        embedding_picture.show_embedding(untrained_classifier(seen), lang=lang, epochs=1)
        (figure,) = shown
        figure.canvas.draw()  # renders every glyph: a missing one warns here
    texts = [text.get_text() for text in figure.findobj(matplotlib.text.Text) if text.get_text()]
    plt.close(figure)
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    return texts, capsys.readouterr().out.splitlines(), missing, seen[0]


def _has_chinese(text):
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_the_chinese_picture_draws_the_chinese_reviews_with_glyphs_that_render(monkeypatch, capsys):
    texts, printed, missing, trained_on = draw("zh", monkeypatch, capsys)
    assert _has_chinese(" ".join(trained_on[:50]))
    assert not missing, missing[:3]
    assert any(_has_chinese(text) and "二维" in text for text in texts), texts    # the title, in Chinese
    assert printed and all(_has_chinese(line) for line in printed), printed
    assert any(line.startswith("离 ") for line in printed), printed           # neighbours of a character


def test_the_english_picture_draws_the_english_sentences_in_english(monkeypatch, capsys):
    texts, printed, missing, trained_on = draw("en", monkeypatch, capsys)
    assert not _has_chinese(" ".join(trained_on[:50]))
    assert not missing, missing[:3]
    assert any("projected to 2-D" in text for text in texts), texts
    assert any(" is nearest to: " in line for line in printed), printed


def test_without_the_packaged_font_chinese_glyphs_would_not_render(monkeypatch, capsys):
    """What the font is for: the same picture in Matplotlib's own font draws boxes."""
    monkeypatch.setattr(embedding_picture, "_font_family", lambda: ["DejaVu Sans"])
    __, __, missing, __ = draw("zh", monkeypatch, capsys)
    assert missing


def test_the_lesson_language_is_the_notebooks_then_the_saved_choice(monkeypatch):
    from autograder.classroom import notebook_check

    monkeypatch.setattr(notebook_check, "_language", "zh")
    assert embedding_picture.lesson_language() == "zh"
    monkeypatch.setattr(notebook_check, "_language", None)
    monkeypatch.setattr("autograder.selfstudy.language.saved_choice", lambda folder: "en")
    assert embedding_picture.lesson_language() == "en"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_blank_train_text_classifier_gets_a_hint_in_the_lesson_language(lang, capsys):
    def blank(texts, labels, epochs):
        raise NotImplementedError

    embedding_picture.show_embedding(blank, lang=lang)
    assert capsys.readouterr().out.strip() == embedding_picture.UI[lang]["blank"]
