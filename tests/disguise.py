"""A disguised copy of a submission, as a student hiding a copy would make it: every local
variable renamed (parameters keep their names: callers pass them by keyword), the comments
dropped, the code re-formatted by `ast.unparse`.

    disguise(source, salt="x")   # another salt, other names
"""
from __future__ import annotations

import ast


class _RenameLocals(ast.NodeTransformer):
    def __init__(self, salt: str):
        self.salt = salt

    def visit_FunctionDef(self, node):
        parameters = {arg.arg for arg in node.args.posonlyargs + node.args.args + node.args.kwonlyargs}
        local = {sub.id for sub in ast.walk(node) if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store)}
        renamed = {name: f"{self.salt}_{index}" for index, name in enumerate(sorted(local - parameters))}
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and sub.id in renamed:
                sub.id = renamed[sub.id]
        return node

    visit_AsyncFunctionDef = visit_FunctionDef


def disguise(source: str, salt: str = "tmp") -> str:
    return ast.unparse(_RenameLocals(salt).visit(ast.parse(source))) + "\n"
