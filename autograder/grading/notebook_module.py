"""A handed-in notebook as the exercise module it stands for (the trusted side: nothing runs).

    converted = notebook_to_module(data, "e01_tensors (1).ipynb", topic)
    converted.source    # Python: the notebook's own code cells, in order, each guarded
    converted.code      # the same cells as written (what blank detection reads)
    converted.notes     # what was left out, for the feedback

The notebook is read as a student's JupyterLab saves it (outputs, execution counts, cells
moved, added or copied). Each code cell is then:

- left out if the course generated it to run checks or draw pictures: a cell whose role
  tag (`classroom.notebooks.role_of`) is setup, check, picture or check_all, or one of
  nbgrader's test cells. A notebook saved before cells had roles has no tags at all: its
  generated cells are recognised by being exactly the text the course generates for that
  topic, in any language, and the notes say so;
- without IPython's own syntax, recognised by IPython's input transformer (what the kernel
  itself runs): a line magic or shell escape (`%matplotlib inline`, `!pip install x`,
  `files = !ls`, `f?`) becomes `pass`, and a cell magic cell (`%%time`) is left out;
- left out, with a note naming it, if it does not compile;
- run on its own, as nbgrader runs a notebook: a cell that raises while the module is
  imported is skipped and recorded in `__notebook_cell_errors__` (cell number, exception),
  and the cells after it still define what they define. A .py file has no cells: there an
  error at import still fails the whole file.
"""
from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass, field

from autograder.course import Topic
from autograder.engine import CELL_ERRORS   # where the worker reads which cells raised
from autograder.i18n import _

# The roles of the cells the course adds to run checks and draw pictures; "lesson" and
# "solution" cells hold the lesson's code and the student's answers and are kept.
LEFT_OUT_ROLES = ("setup", "check", "picture", "check_all")


class Unreadable(Exception):
    """A submitted file that cannot become an exercise module; the message says why."""


@dataclass
class Converted:
    source: str                 # the module: the kept cells, each guarded
    code: str                   # the kept cells as written, one after another
    notes: list[str] = field(default_factory=list)


def read_notebook(data: bytes, name: str):
    import nbformat

    try:
        return nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception as error:  # broken JSON, not UTF-8, not a notebook
        raise Unreadable(_("{name} is not a readable notebook ({error_type}: {detail})", name=name,
                           error_type=type(error).__name__, detail=str(error).splitlines()[0] if str(error) else "")) from None


def notebook_to_module(data: bytes, name: str, topic: Topic) -> Converted:
    """The exercise module of `topic` that the notebook `data` (file `name`) stands for."""
    from autograder.classroom.frame import role_of

    notebook = read_notebook(data, name)
    cells = [cell for cell in notebook.cells if cell.get("cell_type") == "code"]
    tagged = any(role_of(cell) is not None for cell in notebook.cells)
    generated = set() if tagged else generated_texts(topic)
    notes = [] if tagged or not cells else [_(
        "{name} comes from an older version of the course, whose cells carry no roles: the course's own cells "
        "were recognised by their text (any that was edited runs as your own cell)", name=name)]
    parts, kept = [_HEADER.format(name=" ".join(name.split()), errors=CELL_ERRORS)], []  # one line, whatever the name
    for number, cell in enumerate(notebook.cells, 1):
        if cell.get("cell_type") != "code" or _generated(cell, role_of(cell), generated):
            continue
        code, note = _without_ipython_syntax(cell.source)
        if note is None and code is not None:
            note = _syntax_problem(code)
        guarded = _guarded(code, number) if note is None else None
        if guarded is None:
            notes.append(_("cell {number} of {name} ({first_line}) was left out: {why}", number=number, name=name,
                           first_line=_first_line(cell.source),
                           why=note or _("it cannot run inside the module (a `from __future__` import?)")))
            continue
        parts.append(guarded)
        kept.append(code)
    return Converted("\n".join(parts), "\n\n".join(kept), notes)


# The module's first lines: own text (a comment in the code, not a message to translate).
_HEADER = '''\
# The code cells of {name}, converted by the course's grader: the cells the course added to
# run checks are left out, and each cell runs on its own (one that raises is skipped and
# recorded here), as when nbgrader runs a notebook.
{errors} = []
'''


def _generated(cell, role: str | None, generated: set[str]) -> bool:
    """A cell the course made to run checks or draw pictures, or one of nbgrader's tests."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if meta.get("grade") and not meta.get("solution"):
        return True
    if role is not None:
        return role in LEFT_OUT_ROLES
    return cell.source.strip() in generated


def generated_texts(topic: Topic) -> set[str]:
    """The text of every cell the course generates to run checks or draw pictures for
    `topic`, in every language: how a notebook saved before cells had roles is read.
    Needs only the course map and the catalogues (no solutions/: Gradescope has none)."""
    from autograder.classroom.frame import PICTURES, SETUP
    from autograder.i18n import LANGUAGES
    from autograder.lessons import Lessons

    codes = [SETUP, f'check("{topic.id}")'] + [f'check("{topic.id}", "{exercise.name}")' for exercise in topic.exercises]
    codes += [picture.code for picture in PICTURES.get(topic.id, [])]
    texts = set()
    lessons = Lessons.of(topic)
    for code in codes:
        for lang in LANGUAGES:
            try:
                texts.add(lessons.python(code, lang).strip())
            except Exception:  # a catalogue that cannot be read: the English text still counts
                texts.add(code.strip())
    return texts


def _without_ipython_syntax(source: str) -> tuple[str | None, str | None]:
    """(the code without IPython's own syntax, None) or (None, why the cell is left out)."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        transformed = TransformerManager().transform_cell(source)
    except Exception:  # what IPython cannot read, Python's compiler will name
        return source, None
    if transformed.strip() == source.strip():
        return source, None
    try:
        tree = ast.parse(transformed)
    except SyntaxError:
        return source, None
    own_lines = set(source.splitlines())
    lines = transformed.splitlines()
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and not hasattr(node, "body") and _calls_ipython(node):
            if isinstance(node, ast.Expr) and _method(node.value) == "run_cell_magic":
                return None, _("it is a cell magic ({magic})", magic=source.lstrip().splitlines()[0][:60])
            first, last = node.lineno - 1, node.end_lineno - 1
            if lines[first] in own_lines:  # the student's own call of get_ipython(): theirs to run
                continue
            indent = lines[first][:len(lines[first]) - len(lines[first].lstrip())]
            lines[first:last + 1] = [f"{indent}pass  # IPython syntax, ignored when graded"] + [""] * (last - first)
    return "\n".join(lines) + "\n", None


def _method(node: ast.AST) -> str | None:
    """"run_line_magic" for `get_ipython().run_line_magic(...)`; None for any other call."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        owner = node.func.value
        if isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "get_ipython":
            return node.func.attr
    return None


def _calls_ipython(statement: ast.stmt) -> bool:
    return any(_method(node) is not None for node in ast.walk(statement))


def _syntax_problem(code: str) -> str | None:
    try:
        compile(code, "<cell>", "exec", dont_inherit=True)
    except SyntaxError as error:
        return _("{error_type} on its line {line}: {message}", error_type=type(error).__name__,
                 line=error.lineno or "?", message=error.msg)
    except (ValueError, RecursionError, MemoryError) as error:  # a null byte; nesting too deep to compile
        return f"{type(error).__name__}: {error}"
    return None


def _first_line(source: str) -> str:
    lines = [line.strip() for line in source.splitlines() if line.strip()]
    first = lines[0] if lines else ""
    return first if len(first) <= 50 else first[:47] + "..."


def _guarded(code: str, number: int) -> str | None:
    """The cell inside a try statement that records its error, so later cells still run;
    None when it cannot be wrapped (a `from __future__` import must open a module)."""
    body = _indent(code)
    wrapped = (f"# %% cell {number}\ntry:\n{body}    pass\n"
               f"except Exception as __cell_error__:\n    {CELL_ERRORS}.append(({number}, __cell_error__))\n")
    try:
        compile(wrapped, "<cell>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return wrapped


def _indent(code: str) -> str:
    """`code` indented one level, except the lines that continue a multi-line string
    (indenting those would change the string)."""
    inside = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            if token.start[0] < token.end[0] and token.type != tokenize.NL:
                inside.update(range(token.start[0] + 1, token.end[0] + 1))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # it does not compile either way: the compiler names the problem
    return "".join(line if number in inside or not line.strip() else "    " + line
                   for number, line in enumerate(io.StringIO(code).readlines(), 1)) + (
        "" if code.endswith("\n") else "\n")
