"""Signs that a submission reaches into the grader or its libraries, flagged for the instructor.

    flags = scan_sources({"e01_tensors.py": b"import autograder\\n..."})   # ["e01_tensors.py:1 imports autograder"]

The scan reads the submission's source on the trusted side, before any of it runs, so the
submission cannot hide from it by patching the scanner. It parses the code (nothing is
executed) and follows what each name stands for (`m = np`, `load = importlib.import_module`,
`p = load("autograder.x")`, `for m in (np, tf)`, `getattr(np, "random")`,
`sys.modules["numpy"]`), then looks for: importing the autograder (also through
`importlib.import_module` or `__import__`, under any name), importing a module whose name
is computed at run time, running code built at run time (`exec`/`eval`/`compile` of
anything but a literal, whose text is scanned in turn), assigning to or `setattr`/
`delattr`/`__setattr__` on an attribute of a TensorFlow/NumPy/Keras/autograder/sys/builtins
module or of a class reached with `type(...)`, reaching into a module's namespace
(`vars(np)`, `np.__dict__`) or `sys.modules`, and reading frames or the garbage
collector's object graph. Setting `sys.argv`, `sys.stdout`, `sys.stderr` or `sys.stdin` is
ordinary and not flagged. Flags are written in the language grading runs in.

A flag is a hint for review, not a verdict and not a defence: grades are unchanged, and a
static scan cannot see what is only decided at run time (a name built from pieces and
passed to `getattr`, an object reached through the garbage collector or a C extension,
code that arrives as data). What keeps a grade honest is that nothing the submission's
process says is trusted (see the README). A file that does not parse is not flagged (its
own checks report the syntax error).
"""
from __future__ import annotations

import ast

from autograder.engine.boundary import clean_text
from autograder.i18n import _

GUARDED = ("tensorflow", "numpy", "keras", "autograder", "pytest", "builtins", "sys", "importlib")
TRACKED = GUARDED + ("inspect", "gc", "ctypes", "types")  # modules whose names the scan follows
INTROSPECTION = {("sys", "_getframe"), ("inspect", "currentframe"), ("inspect", "stack"), ("gc", "get_referrers"),
                 ("gc", "get_objects"), ("ctypes", "memmove"), ("ctypes", "pythonapi")}
ORDINARY_SETTINGS = {("sys", "argv"), ("sys", "stdout"), ("sys", "stderr"), ("sys", "stdin")}
# Built-in functions the scan follows under any name (`run = exec`), and where else they live.
BUILTINS = ("exec", "eval", "compile", "__import__", "setattr", "delattr", "getattr", "vars")
FUNCTIONS = {("importlib", "import_module"): "import_module", **{("builtins", name): name for name in BUILTINS}}
MAX_FLAGS = 20
MAX_NESTING = 3  # exec of a literal that execs a literal ...

# What a name or an expression stands for: a tracked module ("numpy"), one of FUNCTIONS
# ("exec", "import_module"), a module's namespace ("vars numpy") or sys.modules.
SYS_MODULES = "sys.modules"


def _is_module(kind: str | None) -> bool:
    return kind is not None and kind.split(".")[0] in TRACKED and kind != SYS_MODULES and " " not in kind


def _namespace(kind: str) -> str:
    return "vars " + kind


class _Scanner(ast.NodeVisitor):
    def __init__(self, filename: str, nesting: int = 0):
        self.filename = filename
        self.nesting = nesting
        self.aliases: dict[str, str] = {name: name for name in BUILTINS}
        self.aliases["__builtins__"] = "builtins"
        self.flags: list[str] = []

    def _flag(self, node: ast.AST, what: str) -> None:
        self.flags.append(f"{self.filename}:{getattr(node, 'lineno', 0)} {what}")

    # -- what an expression stands for ----------------------------------------------------
    def kind(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.kind(node.value)
            if base is None:
                return None
            if base == "sys" and node.attr == "modules":
                return SYS_MODULES
            if _is_module(base) and node.attr == "__dict__":
                return _namespace(base)
            if _is_module(base):
                return FUNCTIONS.get((base.split(".")[0], node.attr), base)
            return None
        if isinstance(node, ast.Call):
            return self._kind_of_call(node)
        if isinstance(node, ast.Subscript):
            base = self.kind(node.value)
            if base == SYS_MODULES:
                key = _constant(node.slice)
                return key.split(".")[0] if isinstance(key, str) and key.split(".")[0] in TRACKED else "sys.modules[...]"
            if base is not None and base.startswith("vars "):
                owner, key = base[5:], _constant(node.slice)
                if owner == "sys" and key == "modules":
                    return SYS_MODULES
                return FUNCTIONS.get((owner, key), owner)
        return None

    def _kind_of_call(self, node: ast.Call) -> str | None:
        function = self.kind(node.func)
        first = node.args[0] if node.args else None
        if function in ("import_module", "__import__") and first is not None:
            name = _constant(first)
            top = name.split(".")[0] if isinstance(name, str) else None
            return top if top in TRACKED else None
        if function == "getattr" and len(node.args) >= 2:
            owner, attribute = self.kind(first), _constant(node.args[1])
            if owner is not None and isinstance(attribute, str):
                return self.kind(ast.Attribute(value=first, attr=attribute))
        if function == "vars" and first is not None and _is_module(self.kind(first)):
            return _namespace(self.kind(first))
        return None

    def _learn(self, target: ast.AST, value: ast.AST | None) -> bool:
        """Remember what `target` stands for after `target = value`; True if that is new."""
        if isinstance(target, ast.Name):
            kind = self.kind(value) if value is not None else None
            if kind is not None and self.aliases.get(target.id) != kind:
                self.aliases[target.id] = kind
                return True
        elif isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)) \
                and len(target.elts) == len(value.elts):
            return any([self._learn(t, v) for t, v in zip(target.elts, value.elts)])
        return False

    def learn_names(self, tree: ast.AST) -> None:
        """Every name bound to something the scan follows, wherever it is bound (a function
        may use a name bound later at the top level); repeated until nothing changes."""
        for _ in range(10):
            changed = False
            for node in ast.walk(tree):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    changed |= self._learn_import(node)
                elif isinstance(node, ast.Assign):
                    changed |= any([self._learn(target, node.value) for target in node.targets])
                elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
                    changed |= self._learn(node.target, node.value)
                elif isinstance(node, (ast.For, ast.comprehension)) and isinstance(node.iter, (ast.Tuple, ast.List)):
                    for element in node.iter.elts:  # for m in (np, tf): each element may be the one
                        changed |= self._learn(node.target, element)
            if not changed:
                return

    def _learn_import(self, node: ast.Import | ast.ImportFrom) -> bool:
        changed = False
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top in TRACKED and (alias.asname or top) not in self.aliases:
                    self.aliases[alias.asname or top] = top
                    changed = True
            return changed
        top = (node.module or "").split(".")[0]
        if top in TRACKED:
            for alias in node.names:
                name = alias.asname or alias.name
                kind = FUNCTIONS.get((top, alias.name), top)
                if self.aliases.get(name) != kind:
                    self.aliases[name] = kind
                    changed = True
        return changed

    # -- flags --------------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.split(".")[0] == "autograder":
                self._flag(node, _("imports autograder"))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        top = (node.module or "").split(".")[0]
        if top == "autograder":
            self._flag(node, _("imports from autograder"))
        for alias in node.names:
            if (top, alias.name) in INTROSPECTION:
                self._flag(node, _("imports {name}", name=f"{top}.{alias.name}"))

    def _check_target(self, target: ast.AST) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._check_target(element)
        elif isinstance(target, ast.Starred):
            self._check_target(target.value)
        elif isinstance(target, ast.Attribute):
            owner = self.kind(target.value)
            if _is_module(owner) and (owner, target.attr) not in ORDINARY_SETTINGS:
                self._flag(target, _("assigns to {target} (a {module} attribute)", target=_code(target), module=owner))
            elif _is_class_of_something(target.value):
                self._flag(target, _("assigns to {target} (an attribute of a class)", target=_code(target)))
        elif isinstance(target, ast.Subscript):
            owner = self.kind(target.value)
            if owner is not None and (owner.startswith("vars ") or owner.startswith("sys.modules")
                                      or owner in ("sys", "builtins")):
                self._flag(target, _("writes into {target}", target=_code(target.value)))

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._check_target(target)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._check_target(node.target)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._check_target(node.target)
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self._check_target(target)
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        kind = self.kind(node)
        if kind == SYS_MODULES or (kind or "").startswith("vars "):
            self._flag(node, _("reaches into {target}", target=_code(node)))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        function = self.kind(node.func)
        first = node.args[0] if node.args else None
        if function in ("setattr", "delattr") and first is not None and _is_module(self.kind(first)):
            self._flag(node, _("calls {function} on {target} (a {module} module)", function=function, target=_code(first),
                                 module=self.kind(first)))
        if function in ("import_module", "__import__") and first is not None:
            name = _constant(first)
            if not isinstance(name, str):
                self._flag(node, _("imports a module whose name is computed at run time ({code})", code=_code(node)))
            elif name.split(".")[0] == "autograder":
                self._flag(node, _("imports autograder with {function}", function=function))
        if function in ("exec", "eval", "compile") and first is not None:
            self._check_code(node, function, first)
        if function == "vars" and first is not None and _is_module(self.kind(first)):
            self._flag(node, _("reaches into {target}", target=_code(node)))
        if function == "getattr" and self._kind_of_call(node) == SYS_MODULES:
            self._flag(node, _("reaches into {target}", target=_code(node)))
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("__setattr__", "__delattr__"):
            self._check_dunder_setattr(node)
        pair = (self.kind(node.func.value), node.func.attr) if isinstance(node.func, ast.Attribute) else None
        if pair in INTROSPECTION:
            self._flag(node, _("calls {function}", function=f"{pair[0]}.{pair[1]}"))
        if pair in (("sys", "settrace"), ("sys", "setprofile")):
            self._flag(node, _("calls {function}", function=f"sys.{pair[1]}"))
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("update", "__setitem__", "setdefault") and \
                (self.kind(node.func.value) or "").startswith(("sys.modules", "vars ")):
            self._flag(node, _("writes into {target}", target=_code(node.func.value)))
        self.generic_visit(node)

    def _check_dunder_setattr(self, node: ast.Call) -> None:
        """`X.__setattr__(target, ...)` on a module, or `object.__setattr__` / `type.__setattr__` on
        anything but self (a Keras layer may set its own attributes that way)."""
        owner = node.func.value
        target = node.args[0] if node.args else None
        if _is_module(self.kind(owner)):
            self._flag(node, _("calls {function} (a {module} module)", function=_code(node.func), module=self.kind(owner)))
        elif target is not None and _is_module(self.kind(target)):
            self._flag(node, _("calls {function} on {target} (a {module} module)", function=_code(node.func),
                                 target=_code(target), module=self.kind(target)))
        elif isinstance(owner, ast.Name) and owner.id in ("object", "type") and target is not None \
                and not (isinstance(target, ast.Name) and target.id in ("self", "cls")):
            self._flag(node, _("calls {function} on {target}", function=_code(node.func), target=_code(target)))

    def _check_code(self, node: ast.Call, function: str, code: ast.AST) -> None:
        text = _constant(code)
        if not isinstance(text, (str, bytes)):
            self._flag(node, _("runs code built at run time ({function} of {code})", function=function, code=_code(code)))
            return
        if self.nesting >= MAX_NESTING:
            self._flag(node, _("runs code nested {count} levels deep with {function}", count=MAX_NESTING,
                                 function=function))
            return
        inner = scan_source(text if isinstance(text, bytes) else text.encode(), self.filename, self.nesting + 1)
        self.flags += [_("{flag} (in code run with {function})", flag=flag, function=function) for flag in inner]


def _constant(node: ast.AST | None):
    return node.value if isinstance(node, ast.Constant) else None


def _code(node: ast.AST, limit: int = 80) -> str:
    text = ast.unparse(node)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _is_class_of_something(node: ast.AST) -> bool:
    """`type(x)` or `x.__class__`: patching it patches every object of that class."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "type"
            and len(node.args) == 1) or (isinstance(node, ast.Attribute) and node.attr == "__class__")


def scan_source(source: bytes, filename: str, nesting: int = 0) -> list[str]:
    """The tampering flags of one Python file (none if it does not parse)."""
    try:
        tree = ast.parse(source, filename=filename)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    scanner = _Scanner(filename, nesting)
    try:
        scanner.learn_names(tree)
        scanner.visit(tree)
    except RecursionError:
        scanner.flags.append(_("{file}: nested too deeply to scan", file=filename))
    return scanner.flags


def scan_sources(files: dict[str, bytes]) -> list[str]:
    """Flags of every file, cleaned and capped (MAX_FLAGS), in file order."""
    flags = [clean_text(flag, 200) for name in sorted(files) for flag in scan_source(files[name], name)]
    return flags[:MAX_FLAGS] + ([_("... and {count} more", count=len(flags) - MAX_FLAGS)] if len(flags) > MAX_FLAGS else [])
