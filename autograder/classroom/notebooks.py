"""Notebooks for JupyterLab, generated from solutions/ (nobody edits them by hand).

The pipeline reuses `autograder.generate`: read a solution with jupytext (lesson text as
markdown cells, code as code cells), clear its solutions with nbgrader's `ClearSolutions`
(blanks exactly as in exercises/), then add the classroom cells:

- a set-up cell that imports `check` and TensorFlow (without its start-up log);
- after the cell that defines an exercise, a check cell `check("e01", "standardize")`;
- the topic's pictures (`PICTURES` below): matplotlib cells that draw the student's own
  results, placed after an exercise's check cell;
- at the end, `check("e01")` for the whole topic.

Every generated cell carries its role as a cell tag (`course-setup`, `course-check`, ...;
`role_of` reads it back), so that grading a handed-in notebook drops the cells the course
added by what they are, not by what they say (grading/notebook_module.py).

Topics come from the course map, so a new topic's notebook appears with its solution file.
`nbgrader_course.py` builds its notebooks from the same cells (`topic_cells`).

    python -m autograder generate             # exercises/ and notebooks/
    python -m autograder generate --check     # exit 1 if either has drifted
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell

from autograder import COURSE_ROOT
from autograder.course import Topic, load_course
from autograder.generate import clear_solutions, read_solution
from autograder.lessons import Lessons

NOTEBOOKS = COURSE_ROOT / "notebooks"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}

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


def defined_names(source: str) -> list[str]:
    """The functions, classes and variables a code cell defines at its top level, in order."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # a magic or a broken cell: no definitions to find
        return []
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names += [target.id for target in targets if isinstance(target, ast.Name)]
    return names


def _is_solution(cell: NotebookNode) -> bool:
    return cell.cell_type == "code" and "### BEGIN SOLUTION" in cell.source


ROLES = ("lesson", "setup", "solution", "check", "picture", "check_all")
TAG_PREFIX = "course-"


def role_tag(role: str) -> str:
    """The cell tag that marks a generated cell's role: "check_all" -> "course-check-all"."""
    return TAG_PREFIX + role.replace("_", "-")


def role_of(cell: NotebookNode) -> str | None:
    """The role the generator gave `cell` (read from its tags), None for a cell it did not
    make (a student's own) or a notebook generated before cells had roles."""
    tags = cell.get("metadata", {}).get("tags", [])
    return next((role for role in ROLES if isinstance(tags, list) and role_tag(role) in tags), None)


@dataclass
class Cell:
    """A cell of a topic's notebook and its role: "lesson", "setup", "solution" (a code
    cell with a blank), "check" (of `exercise`), "picture" or "check_all"; the role is
    also written into the cell's tags."""
    cell: NotebookNode
    role: str
    exercise: str | None = None

    def __post_init__(self):
        self.cell.metadata["tags"] = [role_tag(self.role)]


def topic_cells(topic: Topic, with_solutions: bool = False, lang: str = "en") -> list[Cell]:
    """The cells of `topic`'s notebook, from its solution file (blanks cleared unless
    `with_solutions`), with set-up, check and picture cells added; lesson text in `lang`."""
    cells = _english_cells(topic, with_solutions)
    if lang == "en":  # the source itself, not the catalogue's copy of it
        return cells
    lessons = Lessons.of(topic)
    for item in cells:
        render = lessons.python if item.cell.cell_type == "code" else lessons.markdown
        item.cell.source = render(item.cell.source, lang)
    return cells


def _english_cells(topic: Topic, with_solutions: bool) -> list[Cell]:
    source = read_solution(topic.solution)
    roles = ["solution" if _is_solution(cell) else "lesson" for cell in source.cells]
    notebook = source if with_solutions else clear_solutions(source)
    exercises = [exercise.name for exercise in topic.exercises]
    pictures = PICTURES.get(topic.id, [])
    cells: list[Cell] = []
    for index, (cell, role) in enumerate(zip(notebook.cells, roles)):
        cell = new_code_cell(cell.source) if cell.cell_type == "code" else new_markdown_cell(cell.source)
        cells.append(Cell(cell, role))
        if index == 0:
            cells.append(Cell(new_code_cell(SETUP), "setup"))
        if cell.cell_type != "code":
            continue
        for name in defined_names(cell.source):
            if name in exercises:
                cells.append(Cell(new_code_cell(f'check("{topic.id}", "{name}")'), "check", name))
                for picture in pictures:
                    if picture.after == name:
                        cells.append(Cell(new_markdown_cell(picture.markdown), "picture", name))
                        cells.append(Cell(new_code_cell(picture.code), "picture", name))
    cells.append(Cell(new_markdown_cell(CHECK_ALL), "check_all"))
    cells.append(Cell(new_code_cell(f'check("{topic.id}")'), "check_all"))
    return cells


def new_notebook(cells: list[NotebookNode], prefix: str) -> NotebookNode:
    """A notebook with stable cell ids, so that regenerating it changes no byte."""
    notebook = nbformat.v4.new_notebook(cells=cells)
    for index, cell in enumerate(notebook.cells):
        cell.id = f"{prefix}-{index:02d}"
    notebook.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    return notebook


def notebook_text(topic: Topic, lang: str = "en") -> str:
    notebook = new_notebook([cell.cell for cell in topic_cells(topic, lang=lang)], topic.id)
    return nbformat.writes(notebook) + "\n"


def topics_with_solutions() -> list[Topic]:
    return [topic for topic in load_course().topics if topic.solution.exists()]


def notebook_path(topic: Topic, folder: Path = NOTEBOOKS) -> Path:
    return folder / topic.notebook_file


def drifted(folder: Path = NOTEBOOKS, lang: str = "en") -> list[str]:
    """Notebooks that differ from what the solutions generate in `lang` (or are missing)."""
    return [notebook_path(topic, folder).name for topic in topics_with_solutions()
            if not notebook_path(topic, folder).exists()
            or notebook_path(topic, folder).read_text(encoding="utf-8") != notebook_text(topic, lang)]


def generate(folder: Path = NOTEBOOKS, lang: str = "en") -> list[Path]:
    folder.mkdir(exist_ok=True)
    written = []
    for topic in topics_with_solutions():
        path = notebook_path(topic, folder)
        path.write_text(notebook_text(topic, lang), encoding="utf-8")
        written.append(path)
    return written
