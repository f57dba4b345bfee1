"""The cells the course adds to every notebook, as data: the set-up cell, the last
cell's heading, each topic's pictures, and the role tags that mark a generated cell.

One place for what a generated cell is, read by the notebook generator (notebooks.py),
the lesson catalogues (lessons.py extracts and translates this text) and grading, which
leaves these cells out of a handed-in notebook (grading/notebook_module.py). It imports
nothing of the course, so none of them imports another to reach it.
"""
from __future__ import annotations

from dataclasses import dataclass

# The cells every notebook adds; their text is translated in the catalogue lesson_notebook.
SETUP = '''\
# Run this cell first: it imports TensorFlow (keeping its start-up log out of the
# notebook) and `check`. The check cells below run the course's checks on the code of this
# notebook, right here (`check(..., lang="zh")` shows messages and hints in Chinese).
from autograder.classroom import check, quiet_tensorflow_start
quiet_tensorflow_start()'''

# The last cell's heading, translated in the catalogue lesson_notebook too.
CHECK_ALL = "## Check the whole topic\nEvery check of this topic, with the points of each."


@dataclass(frozen=True)
class Picture:
    """A lesson cell pair drawn from the student's own results, after `after`'s check cell."""
    after: str       # the exercise whose results it draws
    markdown: str
    code: str


# The pictures of issue 6. Each code cell uses only the notebook's own functions (the
# student's), catches an unfilled blank, and keeps its run short: nbgrader runs it too.
PICTURES: dict[str, list[Picture]] = {
    "e04": [Picture(
        after="train",
        markdown="""\
### Picture: your loss curve
One epoch of *your* `train` on the course's 4,000 MNIST training images (a small model,
batches of 40), and the loss of every batch it returned. The curve falls quickly and then
wanders: each point is one random batch, not the whole data set.""",
        code="""\
import matplotlib.pyplot as plt
from autograder import COURSE_ROOT
from autograder.i18n import N_

tf.keras.utils.set_random_seed(0)
small_model = tf.keras.Sequential([
    tf.keras.Input((28, 28, 1)), tf.keras.layers.Flatten(),
    tf.keras.layers.Dense(64, activation="relu"), tf.keras.layers.Dense(10, activation="softmax")])
try:
    loader = MNISTLoader(str(COURSE_ROOT / "data" / "mnist.npz"))
    losses = [float(loss) for loss in train(small_model, loader, num_epochs=1, batch_size=40, learning_rate=1e-3)]
except NotImplementedError:
    print(N_("Fill in MNISTLoader, loss_fn, train_step and train above to see your loss curve."))
else:
    plt.figure(figsize=(6, 3))
    plt.plot(losses, marker=".", linewidth=1)
    plt.xlabel(N_("batch"))
    plt.ylabel(N_("loss (cross-entropy)"))
    plt.title(N_("Your training run: {count} batches").format(count=len(losses)))
    plt.grid(alpha=0.3)
    plt.show()"""),
    ],
    "e05": [Picture(
        after="confusion_matrix",
        markdown="""\
### Picture: your confusion matrix
A small model trained here for a few seconds on the course's MNIST images, and *your*
`confusion_matrix` of its predictions on the 1,000 test images. The diagonal holds the
correct predictions; the larger numbers off the diagonal are the digits the model mixes up
(row: the true digit, column: what it predicted).""",
        code="""\
import matplotlib.pyplot as plt
from autograder import COURSE_ROOT
from autograder.i18n import N_

with np.load(COURSE_ROOT / "data" / "mnist.npz") as mnist:
    x_train, y_train = mnist["x_train"][..., None] / np.float32(255), mnist["y_train"]
    x_test, y_test = mnist["x_test"][..., None] / np.float32(255), mnist["y_test"]
tf.keras.utils.set_random_seed(0)
small_model = tf.keras.Sequential([
    tf.keras.Input((28, 28, 1)), tf.keras.layers.Flatten(),
    tf.keras.layers.Dense(64, activation="relu"), tf.keras.layers.Dense(10, activation="softmax")])
small_model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
small_model.fit(x_train, y_train, epochs=3, batch_size=50, verbose=0)
try:
    matrix = np.asarray(confusion_matrix(small_model, x_test, y_test, 10))
except NotImplementedError:
    print(N_("Fill in predict_classes and confusion_matrix above to see your confusion matrix."))
else:
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    image = ax.imshow(matrix, cmap="Blues")
    for (row, col), count in np.ndenumerate(matrix):
        ax.text(col, row, int(count), ha="center", va="center", fontsize=7,
                color="white" if count > matrix.max() / 2 else "black")
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_xlabel(N_("predicted digit"))
    ax.set_ylabel(N_("true digit"))
    ax.set_title(N_("{right} of {total} test images right").format(right=int(np.trace(matrix)), total=int(matrix.sum())))
    fig.colorbar(image)
    plt.show()"""),
    ],
    "e07": [Picture(
        after="train_text_classifier",
        markdown="""\
### Picture: what your embedding learned
*Your* `train_text_classifier` on the training split of the course's texts in the language
of your lessons (English sentences, or Chinese reviews with one token per character) learns
one vector per token. Below, the most frequent tokens' vectors projected to two dimensions
(their first two principal components), each coloured by what your model says of a text
made of that token alone; then the nearest neighbours (cosine similarity) of a few tokens.
With only two labels to learn, the vectors spread mostly along one direction, from negative
to positive: tokens that push the classifier the same way end up close together.""",
        code="""\
from autograder.classroom.embedding_picture import show_embedding

tf.keras.utils.set_random_seed(0)
show_embedding(train_text_classifier)"""),
    ],
}


ROLES = ("lesson", "setup", "solution", "check", "picture", "check_all")
TAG_PREFIX = "course-"


def role_tag(role: str) -> str:
    """The cell tag that marks a generated cell's role: "check_all" -> "course-check-all"."""
    return TAG_PREFIX + role.replace("_", "-")


def role_of(cell) -> str | None:
    """The role the generator gave `cell` (read from its tags), None for a cell it did not
    make (a student's own) or a notebook generated before cells had roles."""
    tags = cell.get("metadata", {}).get("tags", [])
    return next((role for role in ROLES if isinstance(tags, list) and role_tag(role) in tags), None)
