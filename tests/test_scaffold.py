"""The scaffold (`python -m autograder new-exercise` / `new-topic`, autograder/scaffold.py):
in a temporary copy of the course it stubs a throwaway exercise in every place one needs,
the course then says which stubs are left, and once they are filled (touching only the
files the scaffold named) the new exercise's checks run: the reference passes, the blank
is not attempted, the alternatives pass and both catalogued mistakes are caught."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import COURSE_ROOT
from autograder.course import load_course
from autograder.scaffold import MARKER, ScaffoldError, new_exercise, new_topic, unfilled

NAME, CHECK = "clip_norm", "test_clip_norm_matches_the_reference"


def copy_of_the_course(target: Path) -> Path:
    """The checkout's files as they are now (tracked and new ones), without data/ (linked)."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=COURSE_ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in listed:
        source = COURSE_ROOT / name
        if name and not name.startswith("data/") and source.is_file() and not source.is_symlink():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes(source.read_bytes())
    (target / "data").symlink_to(COURSE_ROOT / "data")
    return target


def course_at(root: Path):
    """The copy's course map as it is now (load_course caches by path)."""
    load_course.cache_clear()
    return load_course(root / "course.toml")


def snapshot(root: Path) -> dict[str, str]:
    return {path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in root.rglob("*") if path.is_file() and not path.is_symlink()
            and "__pycache__" not in path.parts and not path.is_relative_to(root / "data")}


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}


def autograder(root: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """`python -m autograder ...` in the copy: its own autograder, course map and files."""
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=root, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "COLUMNS": "200", "AUTOGRADER_LANG": "en"})


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory):
    """A copy of the course with a new exercise stubbed in e01: (root, files named, before)."""
    root = copy_of_the_course(tmp_path_factory.mktemp("course"))
    before = snapshot(root)
    done = autograder(root, "new-exercise", "e01", NAME, "--signature", "(x, limit=1.0)")
    assert done.returncode == 0, done.stdout + done.stderr
    named = {line.removeprefix("wrote ") for line in done.stdout.splitlines() if line.startswith("wrote ")}
    return root, named, before


def test_the_scaffold_stubs_every_place_and_touches_only_the_files_it_names(scaffolded):
    root, named, before = scaffolded
    topic = course_at(root).topic("e01")
    expected = {path.relative_to(root).as_posix() for path in (
        root / "course.toml", topic.solution, topic.exercise_file, topic.notebook, topic.probe_file,
        topic.check_module, topic.mistakes_file, *topic.alternatives_files)}
    assert named == expected
    assert changed(before, snapshot(root)) == named
    exercise = next(exercise for exercise in topic.exercises if exercise.name == NAME)
    assert [check.name for check in exercise.checks] == [CHECK]
    blank = topic.exercise_file.read_text(encoding="utf-8")
    assert f"def {NAME}(x, limit=1.0):" in blank and "raise NotImplementedError()" in blank.split(f"def {NAME}")[1]


def test_until_filled_the_course_names_each_stub_and_its_check_fails_saying_so(scaffolded):
    root, named, _ = scaffolded
    stubbed = {line.split(":")[0] for line in unfilled(root)}
    generated = {name for name in named if name.startswith(("exercises/", "notebooks/"))}
    assert stubbed == named - generated  # every source file the scaffold wrote holds a stub to fill
    listed = autograder(root, "todo")
    assert listed.returncode == 1 and listed.stdout.splitlines() == unfilled(root)
    done = autograder(root, "check", "e01", "--submission", "solutions", "--only", CHECK, "--json", str(root / "r.json"))
    (result,) = json.loads((root / "r.json").read_text())["checks"]
    assert done.returncode == 1 and result["status"] == "error"
    assert MARKER in result["message"] and "autograder/checks/test_e01_tensors.py" in result["message"]


def test_the_scaffold_refuses_a_bad_or_taken_name_and_writes_nothing(tmp_path):
    root = copy_of_the_course(tmp_path / "course")
    course = course_at(root)
    before = snapshot(root)
    refusals = [
        lambda: new_exercise("e01", "x = 1\nimport os\ny", course=course),        # code in a name
        lambda: new_exercise("e01", 'a"]\n[[topic]]\nid = "e99', course=course),  # TOML in a name
        lambda: new_exercise("e01", "class", course=course),                      # a keyword
        lambda: new_exercise("e01", "standardize", course=course),                # taken
        lambda: new_exercise("e01", NAME, "(x):\n    import os\ndef f(y)", course=course),  # code in the signature
        lambda: new_topic("e1", "datasets", course=course),
        lambda: new_topic("e01", "datasets", course=course),                      # taken id
        lambda: new_topic("e10", "tensors", course=course),                       # taken slug
        lambda: new_topic("e10", "../../etc", course=course),                     # a path
    ]
    for refuse in refusals:
        with pytest.raises(ScaffoldError):
            refuse()
    with pytest.raises(KeyError):
        new_exercise("e42", NAME, course=course)
    assert changed(before, snapshot(root)) == set()


def test_a_new_topic_gets_its_files_and_an_entry_after_the_last_topic(tmp_path):
    root = copy_of_the_course(tmp_path / "course")
    before = snapshot(root)
    done = autograder(root, "new-topic", "e10", "datasets", "--notes-section", "11")
    assert done.returncode == 0, done.stdout + done.stderr
    course = course_at(root)
    topic = course.topics[-1]
    assert (topic.id, topic.slug, topic.notes_section) == ("e10", "datasets", "11")
    named = {line.removeprefix("wrote ") for line in done.stdout.splitlines() if line.startswith("wrote ")}
    assert changed(before, snapshot(root)) == named
    assert {topic.solution, topic.probe_file, topic.check_module, topic.mistakes_file,
            topic.alternatives_file} <= {root / name for name in named}
    assert topic.exercise_file.exists() and topic.notebook.exists()
    done = autograder(root, "new-exercise", "e10", "batches")
    assert done.returncode == 0, done.stdout + done.stderr
    assert [e.name for e in course_at(root).topic("e10").exercises] == ["batches"]
    load_course.cache_clear()


# -- filling the stubs, as an author would -------------------------------------------------------
SOLUTION = '''    norms = tf.norm(x, axis=1, keepdims=True)
    return x * tf.minimum(1.0, limit / norms)'''
ALTERNATIVE = '''def clip_norm(x, limit=1.0):
    return tf.clip_by_norm(x, limit, axes=[1])'''
PROBE = '''def clip_norm(sub, x, limit):
    return as_array(sub.clip_norm(tf.constant(x, dtype=tf.float32), limit), "clip_norm")'''
CHECK_CODE = '''def test_clip_norm_matches_the_reference(probe, rng):
    x = rng.normal(size=(int(rng.integers(3, 8)), 4)) * 3.0
    limit = float(rng.uniform(0.5, 2.0))
    rows = np.linalg.norm(x, axis=1, keepdims=True)
    expected = x * np.minimum(1.0, limit / rows)
    expect_close(probe.clip_norm(x=x, limit=limit), expected, "clip_norm(x, limit)", mistakes={
        "no row was clipped: scale each row by min(1, limit / its norm)": x,
        "the matrix was clipped as a whole: clip each row": x * min(1.0, limit / np.linalg.norm(x)),
    })'''
MISTAKES = {  # id: (words of the check's message, the wrong code)
    "clip_norm_returns_x": ("no row was clipped", "return x"),
    "clip_norm_whole_matrix": ("clipped as a whole", "return tf.clip_by_norm(x, limit)"),
}


def _replace_from(path: Path, start: str, new: str) -> None:
    """Replace `path` from the line that starts with `start` to its end (the scaffold appends)."""
    text = path.read_text(encoding="utf-8")
    at = text.index(start)
    path.write_text(text[:at] + new + "\n", encoding="utf-8")


def fill_the_stubs(root: Path) -> None:
    topic = course_at(root).topic("e01")
    text = topic.solution.read_text(encoding="utf-8")
    text = text.replace(f"# {MARKER}: what `{NAME}` does, in the syllabus' words (names, signature, behaviour).",
                        "# Scale each row of `x` so that its Euclidean norm is at most `limit`.")
    text = text.replace(f'"""{MARKER}: one line on what {NAME} returns."""', '"""Rows clipped to norm <= limit."""')
    text = text.replace(f'    raise NotImplementedError("{MARKER}: the reference solution of {NAME}")', SOLUTION)
    topic.solution.write_text(text, encoding="utf-8")
    course_map = (root / "course.toml").read_text(encoding="utf-8")
    for stub, text in ((f"{MARKER}: what {NAME} does, in one line.", "Clip each row to a largest norm."),
                       (f"{MARKER}: a first hint that points the way.", "Each row has its own norm: `axis=1`."),
                       (f"{MARKER}: a second hint that nearly gives it away.", "`tf.clip_by_norm(x, limit, axes=[1])`.")):
        course_map = course_map.replace(stub, text)
    (root / "course.toml").write_text(course_map, encoding="utf-8")
    _replace_from(topic.probe_file, f"def {NAME}(sub", PROBE)
    _replace_from(topic.check_module, f"def {CHECK}(", CHECK_CODE)
    catalogue = "".join(f'[[mistake]]\nid = "{id}"\ncheck = "{CHECK}"\nmessage = "{words}"\n'
                        f"code = '''\ndef {NAME}(x, limit=1.0):\n    {code}\n'''\n\n"
                        for id, (words, code) in MISTAKES.items())
    _replace_from(topic.mistakes_file, f'[[mistake]]\nid = "{NAME}_todo_first_mistake"', catalogue)
    for path in topic.alternatives_files:
        _replace_from(path, f"# {MARKER}: a correct {NAME}", ALTERNATIVE)


RUN_EVERYTHING = '''
import json, sys, tempfile
from pathlib import Path
from autograder.course import load_course
from autograder.engine.client import Submission
from autograder.engine.warm import Zygote
from autograder.run import run_checks
from tests.conftest import load_mistakes, submission_with

topic = load_course().topic("e01")
folders = {"solutions": topic.solution.parent, "exercises": topic.exercise_file.parent}
for path in topic.alternatives_files:
    folder = Path(tempfile.mkdtemp()) / "alternative"
    folder.mkdir()
    (folder / topic.file).write_bytes(path.read_bytes())
    folders[path.relative_to(topic.root).as_posix()] = folder
for mistake in load_mistakes():
    if mistake["check"] == sys.argv[1]:
        folders[mistake["id"]] = submission_with(Path(tempfile.mkdtemp()), topic.module, mistake["code"])
results = {}
with Zygote([topic.probe_module]) as zygote:
    for what, folder in folders.items():
        with Submission(folder, worker_factory=zygote.worker) as submission:
            run = run_checks(folder, [topic], submission=submission, only=[sys.argv[1]])
        results[what] = [(r.status, r.message) for r in run.checks]
print(json.dumps(results))
'''


def test_filled_stubs_make_a_working_exercise_that_touches_only_the_named_files(scaffolded):
    root, named, before = scaffolded
    fill_the_stubs(root)
    done = autograder(root, "generate")
    assert done.returncode == 0, done.stdout + done.stderr
    assert changed(before, snapshot(root)) <= named | {"r.json"}
    assert unfilled(root) == [] and autograder(root, "todo").returncode == 0
    done = subprocess.run([sys.executable, "-c", RUN_EVERYTHING, CHECK], cwd=root, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "PYTHONPATH": str(root), "AUTOGRADER_LANG": "en"})
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert results["solutions"] == [["passed", ""]], results
    assert results["exercises"][0][0] == "not_attempted", results
    for alternative in ("tests/alternatives/e01_tensors.py", "tests/alternatives/handbook/e01_tensors.py"):
        assert results[alternative] == [["passed", ""]], results
    for id, (words, _) in MISTAKES.items():
        assert results[id][0][0] == "failed" and words in results[id][0][1], results
