"""Checks for e04_training: MNISTLoader, loss_fn, train_step, train.

The references are computed here, in float64 NumPy, from plain data the probes send back:
the grader's MLP (Flatten, Dense(hidden, relu), Dense(10), softmax) is small enough to run
forward and backward by hand, so a returned loss or an applied update is compared with
the exact number it should be. Workers get training examples only: the test split stays
here, where the accuracy of the trained weights is computed. Under `grade` that test split
is the held-out one (data/heldout/mnist_test.npz, which students never receive; see
autograder/heldout.py); under `check`, the public one in data/mnist.npz.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from autograder import heldout
from autograder.expect import expect_cases_close, expect_close, numbers
from autograder.i18n import N_, _
from autograder.outcomes import Incorrect

MNIST = heldout.DATA / "mnist.npz"   # the training split, and the public test split
HELDOUT = "mnist_test.npz"            # the test split `grade` scores on (x_test, y_test; data/heldout/)
ACCURACY_THRESHOLD = 0.88
# The notes' settings. The reference clears 0.88 after 2 of these 5 epochs at every seed
# tried, and reaches about 0.92 after 5 (tests/test_training_seeds.py prints the numbers).
TRAIN_BUDGET = {"num_epochs": 5, "batch_size": 50, "learning_rate": 0.001}
HIDDEN = 32  # units of the grader's small MLP for the train_step and train-loop checks
VARIABLES = (N_("the first Dense layer's kernel"), N_("the first Dense layer's bias"),
             N_("the second Dense layer's kernel"), N_("the second Dense layer's bias"))
ADAM_EPSILON_HAT = 1e-7 / np.sqrt(1 - 0.999)  # Keras's Adam: first step is lr * g / (|g| + this)


@lru_cache(maxsize=1)
def load_mnist() -> dict[str, np.ndarray]:
    """The public file: training split (what workers are handed) and public test split."""
    with np.load(MNIST, allow_pickle=False) as data:
        return {name: data[name] for name in ("x_train", "y_train", "x_test", "y_test")}


@lru_cache(maxsize=2)
def _test_split(path) -> tuple[np.ndarray, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return data["x_test"], data["y_test"]


def scoring_split() -> tuple[np.ndarray, np.ndarray]:
    """(images, labels) the accuracy is measured on: held out under `grade`, public otherwise."""
    return _test_split(heldout.scoring_file(HELDOUT, public=MNIST))


def training_split() -> dict[str, np.ndarray]:
    """What a worker may see of the data: the training images and labels."""
    data = load_mnist()
    return {"x_train": data["x_train"], "y_train": data["y_train"]}


def held_out_accuracy(weights, relabel=None) -> float:
    """Accuracy on the test split (`scoring_split`) of the grader's MLP holding the trained
    `weights`, computed here: the test images and labels never reach a worker. With
    `relabel` (a permutation of the digits), against the relabelled digits relabel[y]."""
    shapes = [np.shape(w) for w in weights]
    if len(weights) != len(VARIABLES) or shapes[0][1:] != shapes[1] or shapes[2] != (shapes[1][0], 10):
        raise Incorrect(_("the trained model's weights have shapes {shapes}, not the grader's MLP's", shapes=shapes))
    images, labels = scoring_split()
    if relabel is not None:
        labels = np.asarray(relabel)[labels]
    return float(np.mean(np.argmax(_forward(weights, images)[2], axis=1) == labels))


def relabelling(rng) -> np.ndarray:
    """A secret permutation of the ten digits that moves every one (a derangement): a model
    trained on the relabelled digits answers relabel[d] where a model of the true digits
    answers d, so the two agree on no image."""
    while True:
        relabel = rng.permutation(10)
        if np.all(relabel != np.arange(10)):
            return relabel


# --- float64 references for the grader's MLP ---------------------------------------------

def _scaled(images):
    return images.astype(np.float64).reshape(len(images), -1) / 255.0 if images.dtype == np.uint8 \
        else np.asarray(images, np.float64).reshape(len(images), -1)


def _forward(weights, X):
    W1, b1, W2, b2 = (np.asarray(w, np.float64) for w in weights)
    hidden = _scaled(X) @ W1 + b1
    active = np.maximum(hidden, 0.0)
    logits = active @ W2 + b2
    logits -= logits.max(axis=1, keepdims=True)
    probabilities = np.exp(logits)
    return hidden, active, probabilities / probabilities.sum(axis=1, keepdims=True)


def _per_example_loss(weights, X, y):
    probabilities = _forward(weights, X)[2]
    return -np.log(probabilities[np.arange(len(y)), y])


def _loss(weights, X, y):
    return float(np.mean(_per_example_loss(weights, X, y)))


def _gradients(weights, X, y):
    """Gradients of the mean cross-entropy with respect to [W1, b1, W2, b2]."""
    hidden, active, probabilities = _forward(weights, X)
    delta = probabilities.copy()
    delta[np.arange(len(y)), y] -= 1.0
    delta /= len(y)
    W2 = np.asarray(weights[2], np.float64)
    back = (delta @ W2.T) * (hidden > 0)
    return [_scaled(X).T @ back, back.sum(axis=0), active.T @ delta, delta.sum(axis=0)]


def _batch(rng, size):
    data = load_mnist()
    index = rng.choice(len(data["x_train"]), size=size, replace=False)
    images = (data["x_train"][index].astype(np.float32) / np.float32(255.0))[..., np.newaxis]
    return images, data["y_train"][index].astype(np.int32)


def _unchanged(before, after):
    return [_(name) for name, old, new in zip(VARIABLES, before, after) if np.array_equal(old, new)]


# --- MNISTLoader -------------------------------------------------------------------------

def _subset(rng):
    """A fresh random file in the course's format, made of training examples only (the
    held-out test split never reaches a worker)."""
    data = load_mnist()
    n_train, n_test = int(rng.integers(150, 300)), int(rng.integers(40, 90))
    picked = rng.choice(len(data["x_train"]), n_train + n_test, replace=False)
    train, test = picked[:n_train], picked[n_train:]
    label_dtype = rng.choice(["uint8", "int64"])
    return {"x_train": data["x_train"][train], "y_train": data["y_train"][train].astype(label_dtype),
            "x_test": data["x_train"][test], "y_test": data["y_train"][test].astype(label_dtype)}


def _expect_images(summary, name, count):
    if summary["max"] > 1.0 + 1e-6:
        raise Incorrect(_("{name} goes up to {max:g}: the images are not scaled to [0, 1]; "
                          "divide the uint8 pixels by 255", name=name, max=summary['max']))
    if summary["min"] < 0:
        raise Incorrect(_("{name} goes down to {min:g}; pixels scaled to [0, 1] are never negative",
                          name=name, min=summary['min']))
    if summary["max"] < 0.9:
        raise Incorrect(_("{name} only goes up to {max:g}; the brightest MNIST pixels (255) should "
                          "become 1.0: divide by 255, once", name=name, max=summary['max']))
    if summary["shape"] == [count, 28, 28]:
        raise Incorrect(_("{name} has shape {shape}: add the channel axis to get "
                          "[N, 28, 28, 1] (np.expand_dims(images, axis=-1))",
                          name=name, shape=tuple(summary['shape'])))
    if summary["shape"] != [count, 28, 28, 1]:
        raise Incorrect(_("{name} has shape {shape}, expected ({count}, 28, 28, 1)",
                          name=name, shape=tuple(summary['shape']), count=count))
    if summary["dtype"] != "float32":
        raise Incorrect(_("{name} is {dtype}; it must be float32 (.astype(np.float32))",
                          name=name, dtype=summary['dtype']))


def _expect_labels(summary, name, count):
    if summary["shape"] != [count]:
        raise Incorrect(_("{name} has shape {shape}, expected ({count},)",
                          name=name, shape=tuple(summary['shape']), count=count))
    if summary["dtype"] != "int32":
        raise Incorrect(_("{name} is {dtype}; the syllabus asks for int32 labels (.astype(np.int32))",
                          name=name, dtype=summary['dtype']))
    if summary["min"] < 0 or summary["max"] > 9:
        raise Incorrect(_("{name} holds values from {min:g} to {max:g}; digits are 0 to 9",
                          name=name, min=summary['min'], max=summary['max']))


def test_mnist_loader_shapes_dtypes_and_range(probe, rng):
    for number in (1, 2):
        files = _subset(rng)
        n_train, n_test = len(files["x_train"]), len(files["x_test"])
        result = probe.loader_summary(arrays=files)
        _expect_images(result["train_data"], "train_data", n_train)
        _expect_images(result["test_data"], "test_data", n_test)
        _expect_labels(result["train_label"], "train_label", n_train)
        _expect_labels(result["test_label"], "test_label", n_test)
        for name, count in (("num_train_data", n_train), ("num_test_data", n_test)):
            if result[name] != count:
                raise Incorrect(_("{name} is {result}, but the file holds {count}: count the loaded "
                                  "examples (e.g. self.train_data.shape[0]) rather than writing a number",
                                  name=name, result=result[name], count=count))
        # Shapes, dtypes and ranges count only for the file's own pixels, in any order.
        for split in ("train", "test"):
            if sorted(_keys(result[f"{split}_data_values"])) != sorted(_keys(files[f"x_{split}"])):
                raise Incorrect(_("{split}_data does not hold the file's x_{split} images (scaled to [0, 1]): load "
                                  "them from the file, data['x_{split}'] / 255", split=split))


def _keys(images):
    """One bytes key per image, from [N, 28, 28(, 1)] images scaled to [0, 1] (or not)."""
    images = np.asarray(images, dtype=np.float64)
    scale = 255.0 if images.size and images.max() <= 1.0 + 1e-6 else 1.0
    pixels = np.rint(images.reshape(len(images), -1) * scale)
    if pixels.shape[1:] != (784,):
        return None
    return [row.tobytes() for row in np.clip(pixels, 0, 255).astype(np.uint8)]


def test_mnist_loader_keeps_images_and_labels_paired(probe, rng):
    subset = _subset(rng)
    sizes = [int(size) for size in rng.integers(16, 48, size=5)]
    result = probe.loader_pairs(arrays=subset, batch_sizes=sizes)
    train = dict(zip(_keys(subset["x_train"]), subset["y_train"].tolist()))
    test = dict(zip(_keys(subset["x_test"]), subset["y_test"].tolist()))
    for split, known in (("train", train), ("test", test)):
        images, labels = result[f"{split}_data"], result[f"{split}_label"].reshape(-1)
        keys = _keys(images)
        if keys is None or len(keys) != len(known) or len(labels) != len(known):
            raise Incorrect(_("{split}_data and {split}_label should hold the file's {count} {split} "
                              "examples; got shapes {shape} and {shape2}",
                              split=split, count=len(known), shape=images.shape, shape2=result[f'{split}_label'].shape))
        if sorted(keys) != sorted(known):
            raise Incorrect(_("{split}_data does not hold exactly the file's x_{split} images", split=split))
        wrong = sum(known[key] != label for key, label in zip(keys, labels.tolist()))
        if wrong:
            raise Incorrect(_("{wrong} of {count} images in {split}_data sit next to another image's label in "
                              "{split}_label: images and labels were shuffled separately; shuffle both with one "
                              "permutation, or not at all", wrong=wrong, count=len(keys), split=split))
    batch_keys = []
    for size, batch in zip(sizes, result["batches"]):
        X, y = batch["X"], batch["y"].reshape(-1)
        if X.shape[:1] != (size,) or X.shape[1:] not in ((28, 28, 1), (28, 28)) or y.shape != (size,):
            raise Incorrect(_("get_batch({size}) returned X of shape {shape} and y of shape {shape2}; "
                              "expected ({size}, 28, 28, 1) and ({size},)",
                              size=size, shape=X.shape, shape2=batch['y'].shape))
        keys = _keys(X)
        if any(key not in train for key in keys):
            in_test = sum(key in test for key in keys)
            raise Incorrect(_("get_batch({size}) returned images that are not training images{in_test}: draw "
                              "batches from train_data", size=size,
                              in_test=_(" ({count} are test images)", count=in_test) if in_test else ""))
        wrong = sum(train[key] != label for key, label in zip(keys, y.tolist()))
        if wrong:
            raise Incorrect(_("get_batch({size}) returned {wrong} of {size} images with another image's label: images "
                              "and labels were shuffled (or indexed) separately; draw one array of indices and use it "
                              "for both X and y", size=size, wrong=wrong))
        batch_keys.append(frozenset(keys))
    if len(set(batch_keys)) == 1:
        raise Incorrect(_("get_batch returned the same examples on every call: draw a random batch each time"))


# --- loss_fn -----------------------------------------------------------------------------

def _probabilities(rng, n, k):
    logits = rng.normal(size=(n, k)) * 1.5
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (probabilities / probabilities.sum(axis=1, keepdims=True)).astype(np.float32)


def test_loss_fn_matches_float64_cross_entropy(probe, rng):
    cases, predictions = [], {}
    for __ in range(2):
        n, k = int(rng.integers(5, 40)), int(rng.integers(3, 11))
        y_true = rng.integers(0, k, size=n)
        y_pred = _probabilities(rng, n, k)
        p = y_pred.astype(np.float64)
        per_example = -np.log(p[np.arange(n), y_true])
        as_logits = p - p.max(axis=1, keepdims=True)
        as_logits = -(as_logits - np.log(np.exp(as_logits).sum(axis=1, keepdims=True)))[np.arange(n), y_true]
        cases.append((probe.loss(y_true=y_true, y_pred=y_pred), per_example.mean(),
                      _("loss_fn for {n} examples of {k} classes", n=n, k=k)))
        for message, predicted in {
            _("it is the sum over the batch; take the mean (tf.reduce_mean), so that the loss does not grow with "
              "the batch size"): per_example.sum(),
            _("it treats the probabilities as logits (from_logits=True); the model's outputs are probabilities, "
              "so leave from_logits=False"): as_logits.mean(),
            _("from_logits=True and summed: y_pred are probabilities, and the loss is the mean"): as_logits.sum(),
            _("it returns one loss per example; the loss is their mean (tf.reduce_mean)"): per_example,
        }.items():
            predictions.setdefault(message, []).append(predicted)
    expect_cases_close(cases, mistakes=predictions)


def test_loss_fn_returns_a_scalar(probe, rng):
    n, k = int(rng.integers(8, 30)), 10
    y_true, y_pred = rng.integers(0, k, size=n), _probabilities(rng, n, k)
    out = numbers(probe.loss(y_true=y_true, y_pred=y_pred), "loss_fn")
    if out.shape == (n,):
        raise Incorrect(_("loss_fn returned one loss per example (shape ({n},)); the loss of a batch is their mean, "
                          "a scalar: wrap it in tf.reduce_mean", n=n))
    if out.shape != ():
        raise Incorrect(_("loss_fn should return a scalar (shape ()), got shape {shape}", shape=out.shape))
    # A scalar counts only when it is the loss (a constant is a scalar too).
    expect_close(out, -np.log(y_pred.astype(np.float64)[np.arange(n), y_true]).mean(), _("loss_fn for {n} examples",
                                                                                         n=n))


# --- train_step --------------------------------------------------------------------------

def test_train_step_returns_the_loss_before_the_update(probe, rng):
    X, y = _batch(rng, int(rng.integers(24, 64)))
    result = probe.train_step_sgd(X=X, y=y, seed=int(rng.integers(2**31 - 1)), hidden=HIDDEN, learning_rate=0.5)
    before = _loss(result["before"], X, y)
    expect_close(result["loss"], before, _("the loss train_step returned"), mistakes={
        _("it is the loss after the update; return the loss computed under the tape, before apply_gradients"):
            _loss(result["after"], X, y),
        _("it is the sum over the batch; the loss is the mean (see loss_fn)"): before * len(y),
        _("it is one loss per example; return the batch's mean loss"): _per_example_loss(result["before"], X, y),
    })


def test_train_step_applies_the_mean_loss_gradients_to_every_trainable_variable(probe, rng):
    X, y = _batch(rng, int(rng.integers(24, 64)))
    learning_rate = 0.5
    result = probe.train_step_sgd(X=X, y=y, seed=int(rng.integers(2**31 - 1)), hidden=HIDDEN,
                                  learning_rate=learning_rate)
    unchanged = _unchanged(result["before"], result["after"])
    if result["missing_gradients"]:
        raise Incorrect(_("some gradients are None ({value}): compute the "
                          "model's output and the loss inside the `with tf.GradientTape()` block, and differentiate "
                          "with respect to model.trainable_variables",
                          value=', '.join(unchanged) or _('see the warning')))
    if unchanged:
        raise Incorrect(_("{count} of {count2} trainable variables did not change "
                          "({unchanged}): take the gradients with respect to model.trainable_variables, "
                          "all of them, and apply them to that same list",
                          count=len(unchanged), count2=len(VARIABLES), unchanged=', '.join(unchanged)))
    reference = _gradients(result["before"], X, y)
    for name, old, new, gradient in zip(VARIABLES, result["before"], result["after"], reference):
        applied = (np.asarray(old, np.float64) - np.asarray(new, np.float64)) / learning_rate
        expect_close(applied, gradient, _("the gradient applied to {name}", name=_(name)), rtol=1e-2, atol_scale=1e-3, mistakes={
            _("it is batch_size times the gradient of the mean loss: the loss is summed over the batch, not averaged"):
                gradient * len(y),
            _("it has the wrong sign: apply_gradients subtracts the gradient itself, so pass it unchanged"): -gradient,
        })


def test_train_step_works_for_several_fresh_models_and_optimizers(probe, rng):
    batches = [_batch(rng, int(size)) for size in rng.integers(20, 40, size=2)]
    seeds = [int(seed) for seed in rng.choice(2**31 - 1, size=3, replace=False)]
    pairs = probe.train_step_pairs(batches=batches, seeds=seeds, hidden=HIDDEN, learning_rate=0.01)
    for number, pair in enumerate(pairs, start=1):
        weights = pair["weights"]
        for step, ((X, y), loss) in enumerate(zip(batches, pair["losses"])):
            what = _("model and optimizer number {number}, step {value}", number=number, value=step + 1)
            expect_close(loss, _loss(weights[step], X, y), _("the loss train_step returned for the {what}",
                                                             what=what), mistakes={
                _("it is the loss after the update; return the loss computed before apply_gradients"):
                    _loss(weights[step + 1], X, y),
            })
            unchanged = _unchanged(weights[step], weights[step + 1])
            if unchanged:
                raise Incorrect(_("for the {what}, train_step left {unchanged} unchanged: each call must "
                                  "update the model and use the optimizer it is given, not ones kept from an "
                                  "earlier call", what=what, unchanged=', '.join(unchanged)))


# --- train -------------------------------------------------------------------------------

def _adam_first_step(gradient, learning_rate):
    return -learning_rate * gradient / (np.abs(gradient) + ADAM_EPSILON_HAT)


def _share_matching(deltas, predicted, masks, learning_rate):
    hits = total = 0
    for delta, guess, mask in zip(deltas, predicted, masks):
        close = np.isclose(delta[mask], guess[mask], rtol=0.02, atol=learning_rate * 1e-3)
        hits, total = hits + int(close.sum()), total + int(mask.sum())
    return hits / max(total, 1)


def _expect_adam(weights_before, weights_after, gradients, learning_rate):
    deltas = [np.asarray(new, np.float64) - np.asarray(old, np.float64)
              for old, new in zip(weights_before, weights_after)]
    if all(not delta.any() for delta in deltas):
        raise Incorrect(_("the model's weights did not change between the first and the second batch: train on each "
                          "batch (train_step) before fetching the next one"))
    masks = [np.abs(gradient) > 1e-4 for gradient in gradients]
    if _share_matching(deltas, [_adam_first_step(g, learning_rate) for g in gradients], masks, learning_rate) > 0.99:
        return
    if _share_matching(deltas, [_adam_first_step(g, 0.001) for g in gradients], masks, 0.001) > 0.99:
        raise Incorrect(_("the first update is Adam's with learning_rate=0.001, Keras's default, not the "
                          "learning_rate={learning_rate:.4g} train was given: pass it on, "
                          "tf.keras.optimizers.Adam(learning_rate=learning_rate)", learning_rate=learning_rate))
    if _share_matching(deltas, [-learning_rate * g for g in gradients], masks, learning_rate * 1e-3) > 0.99:
        raise Incorrect(_("the first update is plain gradient descent (SGD), not Adam: the notes' loop uses "
                          "tf.keras.optimizers.Adam(learning_rate=learning_rate)"))
    step = float(np.median(np.concatenate([np.abs(d[m]) for d, m in zip(deltas, masks)])))
    raise Incorrect(_("the first update moved the weights by about {step:.3g} each, but Adam's first step with "
                      "learning_rate={learning_rate:.4g} moves each weight by about {learning_rate:.4g}: create "
                      "tf.keras.optimizers.Adam(learning_rate=learning_rate) once, before the loop, and apply every "
                      "batch's gradients with it", step=step, learning_rate=learning_rate))


def test_train_runs_the_notes_number_of_batches_with_adam(probe, rng):
    while True:
        n_train, batch_size = int(rng.integers(300, 600)), int(rng.integers(20, 45))
        if n_train % batch_size:
            break
    num_epochs = int(rng.integers(2, 4))  # at least 2, so that one epoch instead of num_epochs shows
    learning_rate = float(rng.uniform(0.003, 0.01))
    expected = n_train // batch_size * num_epochs
    pick = rng.choice(len(load_mnist()["x_train"]), n_train, replace=False)
    result = probe.train_recorded(x_train=load_mnist()["x_train"][pick], y_train=load_mnist()["y_train"][pick],
                                  batch_size=batch_size, num_epochs=num_epochs, learning_rate=learning_rate,
                                  seed=int(rng.integers(2**31 - 1)), hidden=HIDDEN)
    sizes = result["sizes"].tolist()
    if len(sizes) != expected:
        hint = _(" (that is one epoch: multiply by num_epochs)") if len(sizes) == n_train // batch_size else ""
        raise Incorrect(_("train called get_batch {count} times{hint}; the notes' loop makes "
                          "num_train_data // batch_size * num_epochs = {n_train} // {batch_size} * {num_epochs} = "
                          "{expected} batches",
                          count=len(sizes), hint=hint, n_train=n_train, batch_size=batch_size, num_epochs=num_epochs, expected=expected))
    if any(size != batch_size for size in sizes):
        raise Incorrect(_("train asked get_batch for batches of {sorted} examples; pass batch_size "
                          "({batch_size}) on", sorted=sorted(set(sizes)), batch_size=batch_size))
    losses = result["losses"]
    if len(losses) != expected:
        raise Incorrect(_("train returned {count} losses; it should return the loss of every batch, "
                          "{expected} of them", count=len(losses), expected=expected))
    w0, w1 = result["weights_at"]
    X1, y1 = result["X1"], result["y1"]
    expect_close(losses[0], _loss(w0, X1, y1), _("the first loss train returned"), mistakes={
        _("it is the first batch's loss after the update; record the loss train_step returns"): _loss(w1, X1, y1),
    })
    _expect_adam(w0, w1, _gradients(w0, X1, y1), learning_rate)


def test_train_reaches_88_percent_test_accuracy_on_mnist(probe, rng):
    """Two trainings of the grader's MLP with the submission's `train`: on the training split,
    then, in a fresh worker, on the same images with the digits relabelled by a secret
    permutation drawn now. Each must reach the threshold on the test split, against the
    labels it was trained on: a `train` that ignores its batches (weights fitted elsewhere,
    a model that looks its answers up) follows the true digits, not the relabelled ones."""
    budget = ", ".join(f"{key}={value}" for key, value in TRAIN_BUDGET.items())
    data = training_split()
    result = probe.train_accuracy(seed=int(rng.integers(2**31 - 1)), **data, **TRAIN_BUDGET)
    accuracy = held_out_accuracy(result["weights"])
    if accuracy < ACCURACY_THRESHOLD:
        why = (_(" That is about chance (0.10): are the gradients applied, and are images still paired with their "
                 "labels?") if accuracy < 0.2 else "")
        raise Incorrect(_("the grader's MLP reached {accuracy:.3f} test accuracy after train(model, loader, {budget}); "
                          "at least {accuracy_threshold} is required (the reference reaches about 0.92).{why}",
                          accuracy=accuracy, budget=budget, accuracy_threshold=ACCURACY_THRESHOLD, why=why))
    relabel = relabelling(rng)
    result = probe.fresh.train_accuracy(seed=int(rng.integers(2**31 - 1)), x_train=data["x_train"],
                                        y_train=relabel[data["y_train"]].astype(data["y_train"].dtype), **TRAIN_BUDGET)
    followed, true_digits = held_out_accuracy(result["weights"], relabel), held_out_accuracy(result["weights"])
    if followed < ACCURACY_THRESHOLD:
        if true_digits > followed:
            raise Incorrect(_("trained on the same images with the digits relabelled (each digit d given the label of "
                              "another), the model still answers the true digits on {true_digits:.0%} of the test "
                              "images and the labels it was trained on on {followed:.0%}: train must learn from the "
                              "batches data_loader.get_batch gives it, not bring weights, data or answers of its own",
                              true_digits=true_digits, followed=followed))
        raise Incorrect(_("trained on the same images with the digits relabelled, the grader's MLP reached {accuracy:.3f} "
                          "test accuracy against the labels it was trained on, after train(model, loader, {budget}); "
                          "at least {accuracy_threshold} is required, as with the true digits",
                          accuracy=followed, budget=budget, accuracy_threshold=ACCURACY_THRESHOLD))
