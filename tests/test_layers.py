"""The layers point one way and each fact has one home (issue 17): the engine never imports
course content, no module of the autograder reaches itself through its imports (a deferred
import inside a function counts), modules use each other's public names, and a topic's file
paths come from the topic alone."""
import ast
import re

from autograder import COURSE_ROOT

AUTOGRADER = COURSE_ROOT / "autograder"
COURSE_CONTENT = ("autograder.probes", "autograder.checks", "autograder.course", "autograder.plugin")


def _imports(path) -> list[tuple[str, list[str]]]:
    """(module, names) of every import statement in `path`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def _strings(path) -> list[str]:
    return [node.value for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def engine_reaches_course_content(folder=AUTOGRADER / "engine") -> list[str]:
    """Where a module of the engine imports course content, or names it for an import."""
    found = []
    for path in sorted(folder.glob("*.py")):
        for module, names in _imports(path):
            dotted = [module] + [f"{module}.{name}" for name in names]
            if any(d == c or d.startswith(c + ".") for d in dotted for c in COURSE_CONTENT):
                found.append(f"{path.name} imports {module}")
        # by string: importlib.import_module(f"autograder.probes.{...}") (a docstring may name it)
        found += [f"{path.name} builds {text!r}" for text in _strings(path)
                  if re.fullmatch(r"autograder\.(probes|checks)\.?", text)]
    return found


def private_imports(folder=AUTOGRADER) -> list[str]:
    """`from autograder.x import _private` anywhere in the autograder (gettext's `_` is public)."""
    return [f"{path.relative_to(folder)} imports {module}.{name}"
            for path in sorted(folder.rglob("*.py")) for module, names in _imports(path)
            if module.startswith("autograder") for name in names if name.startswith("_") and name != "_"]


def topic_paths_built_outside_the_topic(folders=(AUTOGRADER, COURSE_ROOT / "tests")) -> list[str]:
    """Places that rebuild a topic's check or probe path from its names instead of asking it."""
    pattern = re.compile(r"""f["']test_\{[^"']*\}\.py|["']autograder\.probes\.\{|/ ["']probes["'] /|stem\.removeprefix\(["']test_""")
    found = []
    for folder in folders:
        for path in sorted(folder.rglob("*.py")):
            if path == AUTOGRADER / "course.py" or path == COURSE_ROOT / "tests" / "test_layers.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if pattern.search(line):
                    found.append(f"{path.relative_to(folder)}:{number}: {line.strip()}")
    return found


def import_cycles(folder=AUTOGRADER) -> list[list[str]]:
    """Groups of modules that import one another, directly or around a circle: every
    import statement counts, those inside functions too (deferring an import hides a
    circle from Python, not from a reader)."""
    package = folder.name
    modules = {}
    for path in folder.rglob("*.py"):
        if "templates" not in path.relative_to(folder).parts:
            dotted = ".".join((package, *path.relative_to(folder).with_suffix("").parts))
            modules[dotted.removesuffix(".__init__")] = path
    graph = {module: set() for module in modules}
    for module, path in modules.items():
        for imported, names in _imports(path):
            targets = [f"{imported}.{name}" for name in names if f"{imported}.{name}" in modules]
            graph[module].update(targets or ([imported] if imported in modules else []))
    return _strongly_connected(graph)


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of more than one module (or one that imports itself)."""
    order, low, stack, found, counter = {}, {}, [], [], iter(range(len(graph)))

    def visit(module):
        order[module] = low[module] = next(counter)
        stack.append(module)
        for other in sorted(graph[module]):
            if other not in order:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], order[other])
        if low[module] == order[module]:
            group = []
            while not group or group[-1] != module:
                group.append(stack.pop())
            if len(group) > 1 or module in graph[module]:
                found.append(sorted(group))

    for module in sorted(graph):
        if module not in order:
            visit(module)
    return found


def test_no_module_of_the_autograder_imports_itself_around_a_circle():
    assert import_cycles() == []


def test_the_engine_never_imports_course_content():
    assert engine_reaches_course_content() == []


def test_no_module_imports_another_ones_private_names():
    assert private_imports() == []


def test_the_runner_does_not_import_the_plugin():
    assert not [module for module, _ in _imports(AUTOGRADER / "run.py") if module == "autograder.plugin"]


def test_topic_file_paths_come_from_the_topic():
    assert topic_paths_built_outside_the_topic() == []


def test_the_scans_see_what_they_forbid(tmp_path):
    """Each scan finds the very lines this issue removed."""
    engine = tmp_path / "engine"
    engine.mkdir()
    (engine / "warm.py").write_text("def f():\n    import autograder.probes as probes\n")
    (engine / "probing.py").write_text("import importlib\nimportlib.import_module(f'autograder.probes.{m}')\n")
    (engine / "inprocess.py").write_text("from autograder.engine.worker import _BLANK, describe\n")
    found = engine_reaches_course_content(engine)
    assert any("warm.py imports autograder.probes" in line for line in found), found
    assert any("probing.py builds 'autograder.probes.'" in line for line in found), found
    assert private_imports(tmp_path) == ["engine/inprocess.py imports autograder.engine.worker._BLANK"]
    selfstudy = tmp_path / "selfstudy"
    selfstudy.mkdir()
    (selfstudy / "state.py").write_text('p = ROOT / "checks" / f"test_{topic.module}.py"\n'
                                       'q = ROOT / "probes" / f"{topic.module}.py"\n'
                                       'm = Path(item.fspath).stem.removeprefix("test_")\n')
    assert len(topic_paths_built_outside_the_topic([selfstudy])) == 3
    # the circle this scan was written for: lessons -> notebooks -> generate -> lessons
    package = tmp_path / "autograder"
    (package / "classroom").mkdir(parents=True)
    (package / "lessons.py").write_text("def f():\n    from autograder.classroom.notebooks import PICTURES\n")
    (package / "classroom" / "notebooks.py").write_text("from autograder.generate import read_solution\n")
    (package / "generate.py").write_text("from autograder.lessons import Lessons\n")
    (package / "report.py").write_text("from autograder import lessons\n")
    assert import_cycles(package) == [["autograder.classroom.notebooks", "autograder.generate", "autograder.lessons"]]
