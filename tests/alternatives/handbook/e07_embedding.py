"""A correct e07 in the TensorFlow 2 handbook's style: a DataLoader with get_batch, an
unbuilt subclassed model whose layers are made in __init__, and the handbook's eager loop
(num_train_data // batch_size * num_epochs batches under a GradientTape, printing every
loss). The vocabulary holds no placeholder keys: ids 0 and 1 are simply never given out."""
import numpy as np
import tensorflow as tf


def embedding_lookup(matrix, ids):
    embedding_matrix = tf.constant(matrix, dtype=tf.float32)
    return tf.nn.embedding_lookup(embedding_matrix, ids)


def build_vocab(texts, max_tokens):
    count = {}
    for text in texts:
        for word in text.lower().split():
            count[word] = count.get(word, 0) + 1
    words = sorted(count.items(), key=lambda item: (-item[1], item[0]))
    vocab = {}
    for word, _ in words[:max_tokens - 2]:
        vocab[word] = len(vocab) + 2
    return vocab


def encode(texts, vocab, length):
    data = np.zeros([len(texts), length], dtype=np.int32)
    for i, text in enumerate(texts):
        for j, word in enumerate(text.lower().split()[:length]):
            data[i, j] = vocab.get(word, 1)
    return data


class BagOfEmbeddings(tf.keras.Model):
    def __init__(self, vocab_size, embed_dim, num_classes):
        super().__init__()
        self.embedding = tf.keras.layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.dense = tf.keras.layers.Dense(units=num_classes)

    def call(self, inputs):                                       # [batch_size, length]
        x = self.embedding(inputs)                                # [batch_size, length, embed_dim]
        mask = tf.expand_dims(tf.cast(inputs > 0, tf.float32), -1)  # [batch_size, length, 1]
        x = tf.reduce_sum(x * mask, axis=1) / tf.maximum(tf.reduce_sum(mask, axis=1), 1.0)
        output = self.dense(x)                                    # [batch_size, num_classes]
        return output


class DataLoader:
    def __init__(self, data, label):
        self.data, self.label = data, label
        self.num_train_data = np.shape(data)[0]

    def get_batch(self, batch_size):
        index = np.random.randint(0, self.num_train_data, batch_size)
        return self.data[index, :], self.label[index]


def train_text_classifier(train_texts, train_labels, epochs):
    num_epochs, batch_size, learning_rate = epochs, 32, 0.01
    vocab = build_vocab(train_texts, max_tokens=20000)
    label = np.array(train_labels, dtype=np.int32)
    data_loader = DataLoader(encode(train_texts, vocab, 64), label)
    model = BagOfEmbeddings(vocab_size=len(vocab) + 2, embed_dim=32, num_classes=int(np.max(label)) + 1)
    optimizer = tf.keras.optimizers.Adam(learning_rate=learning_rate)
    num_batches = int(data_loader.num_train_data // batch_size * num_epochs)
    for batch_index in range(num_batches):
        X, y = data_loader.get_batch(batch_size)
        with tf.GradientTape() as tape:
            y_pred = model(X)
            loss = tf.keras.losses.sparse_categorical_crossentropy(y_true=y, y_pred=y_pred, from_logits=True)
            loss = tf.reduce_mean(loss)
            print("batch %d: loss %f" % (batch_index, loss.numpy()))
        grads = tape.gradient(loss, model.variables)
        optimizer.apply_gradients(grads_and_vars=zip(grads, model.variables))
    return model, vocab
