"""A type-correct e07 stub: every name exists with the right types, none does the work.
It must score 0 (tests/test_stubs.py)."""
import numpy as np
import tensorflow as tf


def embedding_lookup(matrix, ids):
    return tf.zeros(tuple(tf.convert_to_tensor(ids).shape) + (matrix.shape[1],), tf.float32)


def build_vocab(texts, max_tokens):
    return {}


def encode(texts, vocab, length):
    return np.zeros((len(texts), length), np.int32)


class BagOfEmbeddings(tf.keras.Model):
    def __init__(self, vocab_size, embed_dim, num_classes):
        super().__init__()
        self.embedding = tf.keras.layers.Embedding(vocab_size, embed_dim)
        self.dense = tf.keras.layers.Dense(num_classes)

    def call(self, ids):
        vectors = self.embedding(ids)
        return self.dense(tf.zeros_like(vectors[:, 0, :]))  # never depends on the tokens


def train_text_classifier(train_texts, train_labels, epochs):
    vocab = build_vocab(train_texts, 1000)
    model = BagOfEmbeddings(1000, 8, int(max(train_labels)) + 1)
    model(tf.zeros([1, 4], tf.int32))
    return model, vocab
