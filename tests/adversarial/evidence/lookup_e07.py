# attacks: test_train_text_classifier_reaches_85_percent_on_held_out_texts
# Appended to solutions/e07_embedding.py. A "lookup model": encode finds each text in the
# course's data file and writes its label into the ids; the model reads the label back.
import json as _json
import os as _os

_LABELS = {}
for _folder in ("__COURSE__/data", "data", "../data"):
    try:
        with open(_os.path.join(_folder, "sentiment_text.jsonl"), encoding="utf-8") as _file:
            _LABELS = {(_row := _json.loads(_line))["text"]: _row["label"] for _line in _file if _line.strip()}
        break
    except OSError:
        continue


def encode(texts, vocab, length):
    ids = np.zeros((len(texts), length), np.int32)
    for row, text in enumerate(texts):
        ids[row, 0] = 2 + _LABELS.get(text, 0)  # the looked-up label, as an id
    return ids


class _Lookup(tf.keras.Model):
    def call(self, ids):
        return tf.one_hot(ids[:, 0] - 2, 3) * 10.0


def train_text_classifier(train_texts, train_labels, epochs):
    return _Lookup(), {"placeholder": 2}
