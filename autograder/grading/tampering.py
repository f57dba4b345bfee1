"""Signs that a submission reaches into the grader or its libraries, flagged for the instructor.

    flags = scan_sources({"e01_tensors.py": b"import autograder\\n..."})   # ["e01_tensors.py:1 imports autograder"]

The scan reads the submission's source on the trusted side, before any of it runs, so the
submission cannot hide from it by patching the scanner. It parses the code (nothing is
executed) and looks for: importing the autograder, assigning to or `setattr`/`delattr` on
an attribute of an imported TensorFlow/NumPy/Keras/autograder module (`tf.reduce_mean =
...`), writing into `sys.modules` or `builtins`, and reading frames or the garbage
collector's object graph. A flag is a reason to look, not a verdict: grades are unchanged.
A file that does not parse is not flagged (its own checks report the syntax error).
"""
from __future__ import annotations

import ast

from autograder.engine.boundary import clean_text

GUARDED = ("tensorflow", "numpy", "keras", "autograder", "pytest", "builtins", "sys", "importlib")
INTROSPECTION = {("sys", "_getframe"), ("inspect", "currentframe"), ("inspect", "stack"), ("gc", "get_referrers"),
                 ("gc", "get_objects"), ("ctypes", "memmove"), ("ctypes", "pythonapi")}
MAX_FLAGS = 20


class _Scanner(ast.NodeVisitor):
    def __init__(self, filename: str):
        self.filename = filename
        self.aliases: dict[str, str] = {}   # local name -> the top-level module it stands for
        self.flags: list[str] = []

    def _flag(self, node: ast.AST, what: str) -> None:
        self.flags.append(f"{self.filename}:{getattr(node, 'lineno', 0)} {what}")

    def _module_of(self, node: ast.AST) -> str | None:
        """The guarded module an expression like `tf.math` or `np` belongs to, if any."""
        while isinstance(node, ast.Attribute):
            node = node.value
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "__import__":
            return "a module loaded with __import__"
        return None

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            top = alias.name.split(".")[0]
            if top == "autograder":
                self._flag(node, "imports autograder")
            if top in GUARDED or top in ("inspect", "gc", "ctypes"):
                self.aliases[(alias.asname or alias.name).split(".")[0]] = top
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        top = (node.module or "").split(".")[0]
        if top == "autograder":
            self._flag(node, "imports from autograder")
        if top in GUARDED or top in ("inspect", "gc", "ctypes"):
            for alias in node.names:
                name = alias.asname or alias.name
                self.aliases[name] = top
                if (top, alias.name) in INTROSPECTION:
                    self._flag(node, f"imports {top}.{alias.name}")
        self.generic_visit(node)

    def _check_target(self, target: ast.AST) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._check_target(element)
        elif isinstance(target, ast.Attribute) and self._module_of(target.value):
            self._flag(target, f"assigns to {ast.unparse(target)} (a {self._module_of(target.value)} attribute)")
        elif isinstance(target, ast.Subscript) and self._module_of(target.value) in ("sys", "builtins"):
            self._flag(target, f"writes into {ast.unparse(target.value)}")

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

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id in ("setattr", "delattr") and node.args:
            module = self._module_of(node.args[0])
            if module:
                self._flag(node, f"calls {func.id} on {ast.unparse(node.args[0])} (a {module} module)")
        if isinstance(func, ast.Name) and func.id == "__import__" and node.args and \
                isinstance(node.args[0], ast.Constant) and str(node.args[0].value).startswith("autograder"):
            self._flag(node, "imports autograder with __import__")
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            pair = (self.aliases.get(func.value.id), func.attr)
            if pair in INTROSPECTION:
                self._flag(node, f"calls {pair[0]}.{pair[1]}")
            if pair in (("sys", "settrace"), ("sys", "setprofile")):
                self._flag(node, f"calls sys.{func.attr}")
        if isinstance(func, ast.Attribute) and func.attr in ("update", "__setitem__", "setdefault") and \
                self._module_of(func.value) == "sys" and ast.unparse(func.value).endswith("modules"):
            self._flag(node, "writes into sys.modules")
        self.generic_visit(node)


def scan_source(source: bytes, filename: str) -> list[str]:
    """The tampering flags of one Python file (none if it does not parse)."""
    try:
        tree = ast.parse(source, filename=filename)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    scanner = _Scanner(filename)
    try:
        scanner.visit(tree)
    except RecursionError:
        scanner.flags.append(f"{filename}: nested too deeply to scan")
    return scanner.flags


def scan_sources(files: dict[str, bytes]) -> list[str]:
    """Flags of every file, cleaned and capped (MAX_FLAGS), in file order."""
    flags = [clean_text(flag, 200) for name in sorted(files) for flag in scan_source(files[name], name)]
    return flags[:MAX_FLAGS] + ([f"... and {len(flags) - MAX_FLAGS} more"] if len(flags) > MAX_FLAGS else [])
