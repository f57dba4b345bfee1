"""Probes for e07_embedding (run in the worker)."""
import numpy as np
import tensorflow as tf

from autograder.i18n import _
from autograder.probes.kit import ProbeFailure, as_array, dtype_name, type_name


def embedding_lookup(sub, matrix, ids, as_tensor):
    out = sub.embedding_lookup(matrix, tf.constant(ids, tf.int32) if as_tensor else ids)
    return {"value": as_array(out, "embedding_lookup"), "dtype": dtype_name(out)}


def build_vocab(sub, texts, max_tokens):
    vocab = sub.build_vocab(list(texts), int(max_tokens))
    return {"pairs": _pairs(vocab, "build_vocab")}


def _pairs(vocab, what):
    if not isinstance(vocab, dict):
        raise ProbeFailure(_("{what} must return a dict of token -> id, not {type_name}",
                             what=what, type_name=type_name(vocab)))
    pairs = []
    for token, index in vocab.items():
        if not isinstance(token, str):
            raise ProbeFailure(_("{what}'s keys must be the tokens (str); found a {type_name}",
                                 what=what, type_name=type_name(token)))
        try:
            pairs.append([token, int(index)])
        except (TypeError, ValueError):
            raise ProbeFailure(_("{what}'s ids must be ints; {token!r} maps to a {type_name}",
                                 what=what, token=token, type_name=type_name(index))) from None
    return pairs


def encode(sub, texts, vocab, length):
    out = sub.encode(list(texts), dict(vocab), int(length))
    return {"value": as_array(out, "encode"), "dtype": dtype_name(out), "type": type_name(out)}


def _model(sub, vocab_size, embed_dim, num_classes):
    model = sub.BagOfEmbeddings(int(vocab_size), int(embed_dim), int(num_classes))
    if not isinstance(model, tf.keras.Model):
        raise ProbeFailure(_("BagOfEmbeddings must subclass tf.keras.Model; it is a {type_name}",
                             type_name=type_name(model)))
    return model


def _layers(model, kind):
    return [layer for layer in model._flatten_layers(include_self=False) if isinstance(layer, kind)]


def _weights(model):
    """The model's embedding table and Dense kernel and bias, after the model was called."""
    embeddings = _layers(model, tf.keras.layers.Embedding)
    denses = _layers(model, tf.keras.layers.Dense)
    if len(embeddings) != 1:
        raise ProbeFailure(_("BagOfEmbeddings should hold one tf.keras.layers.Embedding, found {count} "
                             "(the notes' NumPy matrix is a constant that never trains: use the Embedding layer)",
                             count=len(embeddings)))
    if len(denses) != 1:
        raise ProbeFailure(_("BagOfEmbeddings should hold one Dense layer, found {count}", count=len(denses)))
    dense = denses[0]
    return {"table": np.asarray(embeddings[0].embeddings.numpy()), "kernel": np.asarray(dense.kernel.numpy()),
            "bias": np.asarray(dense.bias.numpy()) if dense.bias is not None else None}


def bag_outputs(sub, vocab_size, embed_dim, num_classes, batches):
    """One model, called on every batch of int32 ids; returns the outputs and its weights."""
    model = _model(sub, vocab_size, embed_dim, num_classes)
    outputs = [as_array(model(tf.constant(ids, tf.int32)), "BagOfEmbeddings(ids)") for ids in batches]
    return {"outputs": outputs, **_weights(model)}


def bag_gradient(sub, vocab_size, embed_dim, num_classes, ids, weights):
    """The gradient of sum(outputs * weights) with respect to the embedding table."""
    model = _model(sub, vocab_size, embed_dim, num_classes)
    ids = tf.constant(ids, tf.int32)
    model(ids)  # builds the layers
    table = _layers(model, tf.keras.layers.Embedding)
    if len(table) != 1:
        _weights(model)  # raises with the message
    variable = table[0].embeddings
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.cast(model(ids), tf.float32) * tf.constant(weights, tf.float32))
    gradient = tape.gradient(loss, variable)
    if gradient is None:
        raise ProbeFailure(_("the gradient with respect to the embedding table is None: is the Embedding layer "
                             "trainable and are its vectors used in call() (not a NumPy copy)?"))
    return {"gradient": np.asarray(tf.convert_to_tensor(gradient).numpy()),
            "sparse": isinstance(gradient, tf.IndexedSlices)}


def train_and_predict(sub, train_texts, train_labels, test_texts, epochs, seed=None):
    """Trains with the submission and predicts the test texts through its own encode.
    `seed` (for tests/test_embedding_seeds.py) seeds Python, NumPy and TensorFlow first."""
    if seed is not None:
        tf.keras.utils.set_random_seed(int(seed))
    result = sub.train_text_classifier(list(train_texts), np.asarray(train_labels), int(epochs))
    if not isinstance(result, tuple) or len(result) != 2:
        raise ProbeFailure(_("train_text_classifier must return (model, vocab), not {type_name}",
                             type_name=type_name(result)))
    model, vocab = result
    _pairs(vocab, _("train_text_classifier's vocab"))
    ids = as_array(sub.encode(list(test_texts), vocab, 64), "encode(test_texts, vocab, 64)")
    logits = as_array(model(tf.constant(ids, tf.int32)), _("the trained model"))
    if logits.ndim != 2 or logits.shape[0] != len(test_texts):
        raise ProbeFailure(_("the trained model should give [len(texts), num_classes] logits, got shape {shape}",
                             shape=logits.shape))
    return {"predictions": np.argmax(logits, axis=1).astype(np.int64), "num_outputs": int(logits.shape[1]),
            "finite": bool(np.all(np.isfinite(logits)))}
