"""The translation catalogues (autograder/locale): complete, current and consistent."""
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog

from autograder import catalogues, i18n

LOCALE = Path(i18n.LOCALE_DIR)
PO_FILES = sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))


def test_every_catalogue_is_complete_and_compiled():
    assert PO_FILES, "no catalogues found"
    for po in PO_FILES:
        sources = set(catalogues.extracted()) if po.stem == i18n.DOMAIN else None
        mo = po.with_suffix(".mo")
        found = catalogues.problems(catalogues.read(po), mo.read_bytes() if mo.exists() else b"", sources)
        assert not found, f"{po.relative_to(LOCALE)}:\n" + "\n".join(found[:40])


def _catalog(*entries, fuzzy=()):
    catalog = Catalog(locale="zh_CN")
    for msgid, string in entries:
        catalog.add(msgid, string, flags=("fuzzy",) if msgid in fuzzy else ())
    return catalog


def test_problems_names_each_kind_of_defect():
    catalog = _catalog(("got {got}, expected {expected}", "得到 {got}，应为 {expect}"),
                       ("old text", "旧文本"), ("fresh", ""), ("unsure", "也许"), ("one {brace", "一个"),
                       fuzzy={"unsure"})
    found = "\n".join(catalogues.problems(catalog, b"stale bytes", {"got {got}, expected {expected}",
                                                                     "fresh", "unsure", "one {brace", "new one"}))
    for expected in ("missing from the catalogue: 'new one'", "no longer in the source: 'old text'",
                     "not translated: 'fresh'", "fuzzy", "placeholders differ", "malformed placeholder",
                     ".mo file is out of date"):
        assert expected in found
    good = _catalog(("got {got}", "得到 {got}"))
    assert catalogues.problems(good, catalogues.compiled(good), {"got {got}"}) == []


def test_chinese_comes_from_the_compiled_catalogue_and_english_is_the_source():
    message = "Tensors and eager execution"  # e01's title in course.toml
    assert i18n.translate("messages", "en", message) == message
    assert i18n.translate("messages", "zh", message) == "张量与即时执行"
    before = i18n._chosen
    with i18n.using("zh"):
        assert i18n.language() == "zh"
        assert i18n._(message) == "张量与即时执行"
    assert i18n._chosen == before  # using() gives the language back
    with pytest.raises(ValueError, match="languages are en, zh"):
        i18n.set_language("fr")


def test_the_language_is_chosen_once_and_passed_to_workers(monkeypatch):
    monkeypatch.setattr(i18n, "_chosen", None)
    monkeypatch.delenv(i18n.LANGUAGE_VARIABLE, raising=False)
    monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")
    assert i18n.language() == "zh"  # the locale decides on first use
    assert i18n.choose(saved="en") == "en"  # a saved choice beats the locale
    assert i18n.choose(explicit="zh", saved="en") == "zh"  # --lang beats both
    assert i18n.language() == "zh" and i18n.os.environ[i18n.LANGUAGE_VARIABLE] == "zh"
    monkeypatch.setattr(i18n, "_chosen", None)
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    assert i18n.language() == "zh"  # a worker inherits its parent's choice


# -- no student-visible text bypasses the catalogue ------------------------------------------
import ast  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

from autograder import COURSE_ROOT  # noqa: E402
from autograder.course import load_course  # noqa: E402

# Calls whose text argument a person reads, and the names that hold such text.
MESSAGE_CALLS = {"Incorrect", "OffTarget", "NotAttempted", "SubmissionError", "SubmissionTimeout", "ProbeFailure",
                 "CourseBug", "WorkerDied", "NotDefined", "Unreadable", "LookupError", "print", "expect_close",
                 "expect_equal", "numbers", "as_array", "Text", "Rule"}
MESSAGE_KEYWORDS = {"mistakes"}
# Every module of the course (found, so a new one is scanned too): any of them may one day
# say something to a student or an instructor. Templates are other programs' files.
SCANNED = sorted(str(path.relative_to(COURSE_ROOT)) for path in (COURSE_ROOT / "autograder").rglob("*.py")
                 if "templates" not in path.relative_to(COURSE_ROOT).parts)


TWO_WORDS = re.compile(r"[A-Za-z]{2,}\s+[A-Za-z]{2,}")  # not a key like no_checks
SENTENCE = re.compile(r"[A-Za-z]{2,}(?: [A-Za-z]+){2,}")  # not CSS or a format in a constant


def _words(node, prose: re.Pattern = TWO_WORDS) -> bool:
    """A literal with prose in it: a str constant or an f-string with two words in a row."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        text = "".join(part.value for part in node.values if isinstance(part, ast.Constant))
    else:
        return False
    return prose.search(text) is not None


def _name(call: ast.Call) -> str:
    return getattr(call.func, "id", None) or getattr(call.func, "attr", "")


# Prose that is another program's (a library's message it is matched against, a command,
# a file format's names) says so in a comment on its line, or on the line above a constant;
# so does a constant that the lesson catalogues translate.
OWN_TEXT = ("own text", "translated in the catalogue")


def bypassing(source: str) -> list[int]:
    """Lines where prose reaches a person without `_()`: a literal passed to a message call
    (or formatted into one), a literal key of a `mistakes` dict, a module-level constant
    (`NOT_RESET = "..."`, `MESSAGES = {"blank": "..."}`) not marked with `N_()`."""
    tree = ast.parse(source)
    source_lines = source.splitlines()
    lines = _unmarked_constants(tree, source_lines)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or _name(node) in ("_", "N_"):
            continue
        texts = []
        if _name(node) in MESSAGE_CALLS:
            texts += list(node.args)
            for arg in node.args:  # "..." + x, or "...".format(...)
                texts += [child for child in ast.walk(arg) if isinstance(child, (ast.Constant, ast.JoinedStr))
                          and not _inside_translation(arg, child)]
        for keyword in node.keywords:
            if keyword.arg in MESSAGE_KEYWORDS and isinstance(keyword.value, ast.Dict):
                texts += [key for key in keyword.value.keys if key is not None]
            if keyword.arg in ("help", "description"):  # a command line's help text
                texts += [keyword.value]
        lines += [text.lineno for text in texts if _words(text) and not _marked(source_lines, text.lineno)]
    return sorted(set(lines))


def _marked(lines: list[str], number: int, above: bool = False) -> bool:
    nearby = lines[number - 2:number] if above and number > 1 else lines[number - 1:number]
    return any(mark in line for line in nearby for mark in OWN_TEXT)


def _unmarked_constants(tree: ast.Module, lines: list[str]) -> list[int]:
    found = []
    for statement in tree.body:
        if not (isinstance(statement, ast.Assign) and all(isinstance(target, ast.Name) and target.id.isupper()
                                                         for target in statement.targets)):
            continue
        found += [node.lineno for node in ast.walk(statement.value)
                  if _words(node, SENTENCE) and not _inside_translation(statement.value, node)
                  and not _marked(lines, node.lineno) and not _marked(lines, statement.lineno, above=True)]
    return found


def _inside_translation(root: ast.AST, target: ast.AST) -> bool:
    for call in ast.walk(root):
        if isinstance(call, ast.Call) and _name(call) in ("_", "N_") and any(n is target for n in ast.walk(call)):
            return True
    return False


def test_no_student_text_in_the_scanned_modules_bypasses_the_catalogue():
    found = {path: bypassing((COURSE_ROOT / path).read_text(encoding="utf-8")) for path in SCANNED}
    assert not {path: lines for path, lines in found.items() if lines}


def test_the_scan_finds_text_that_bypasses_the_catalogue():
    source = '''
def check(x, what):
    raise Incorrect(f"the shape is {x}, not a tuple")
def other(out, y):
    expect_close(out, y, "the value of x", mistakes={"it uses the sample std": y, _("wrapped key"): y})
    raise Incorrect(_("wrapped {x}", x=1))
    console.print("Every check passes." + "")
    parser.add_argument("--seed", help="seed of the random inputs")
MESSAGES = {"blank": "this exercise still raises NotImplementedError", "marked": N_("a marked text")}
NOT_RESET = N_("it also counts an earlier call")
STATE_IN_CALL = "add new elements of state"  # Keras's own text
print("  nbgrader autograde TOPIC")  # nbgrader's own text: a command
# The cell's heading, translated in the catalogue lesson_notebook.
HEADING = "## Check the whole topic"
UNMARKED_HEADING = "## Check the whole topic"
'''
    assert bypassing(source) == [3, 5, 7, 8, 9, 15]


# -- a typical mistake per topic, run in Chinese ---------------------------------------------
# Every topic speaks through the catalogue. The whole catalogue in Chinese repeats
# test_mistakes' runs, so the default suite runs the first topic and the slow one the rest.
CHINESE_TOPICS = [pytest.param(topic.module, marks=() if number == 0 else pytest.mark.slow)
                  for number, topic in enumerate(load_course().topics)]
LATIN_SENTENCE = re.compile(r"[A-Za-z]{2,}(?:[ ,;:'-]+[A-Za-z]+){2,}")


def latin_sentences(message: str) -> list[str]:
    """Runs of three or more English words outside `code`, quotes of TensorFlow's or
    Python's own error text (after `SomethingError: `) left aside."""
    prose = re.sub(r"`[^`]*`", " ", message)
    prose = re.sub(r"\b\w+(Error|Exception): [^）]*", " ", prose)  # up to the closing full-width bracket
    return LATIN_SENTENCE.findall(prose)


def test_latin_sentences_are_found():
    assert latin_sentences("形状应当是元组，得到的是 TensorShape") == []
    assert latin_sentences("用 `tf.reduce_mean(x, axis=0)` 归约；ValueError: Shapes are incompatible here") == []
    assert latin_sentences("形状 the shape is a TensorShape") == ["the shape is a TensorShape"]


@pytest.mark.parametrize("module", CHINESE_TOPICS)
def test_a_topics_mistakes_in_chinese_have_no_english_sentence(module, tmp_path):
    out = tmp_path / "results.json"
    subprocess.run([sys.executable, "-m", "tests.mistake_runner", module, str(out)], cwd=COURSE_ROOT, check=True,
                   env={**os.environ, i18n.LANGUAGE_VARIABLE: "zh"}, timeout=600)
    results = {key: value for key, value in json.loads(out.read_text()).items() if not key.startswith("_")}
    assert results and all(result["status"] in ("failed", "error", "not_attempted") for result in results.values())
    english = {key: latin_sentences(result["message"]) for key, result in results.items()}
    assert not {key: found for key, found in english.items() if found}, results


# -- course.toml holds English only; its Chinese comes from the catalogue ---------------------
def test_course_map_texts_are_english_with_chinese_from_the_catalogue():
    from autograder.course import parse_course

    check = load_course().check("e01", "test_standardize_matches_numpy")
    english = check.hints["en"][0]
    assert check.hints["zh"][0] == i18n.translate("messages", "zh", english) != english
    topic = {"id": "e99", "slug": "x", "title": {"en": "A title"},
             "exercise": [{"name": "f", "summary": {"en": "Does f."},
                           "check": [{"name": "test_f", "hints": {"en": ["A hint."], "zh": ["第二份提示"]}}]}]}
    with pytest.raises(ValueError, match="English only"):  # a second copy of the Chinese is refused
        parse_course({"topic": [topic]})
    del topic["exercise"][0]["check"][0]["hints"]["zh"]
    assert parse_course({"topic": [topic]}).topics[0].exercises[0].checks[0].hints == {"en": ["A hint."],
                                                                                     "zh": ["A hint."]}
