"""The worker process: imports a submission's files and runs probes on request.

Started by `client.Worker` as `python -P -m autograder.engine.worker ...` inside a scratch
copy of the submission. It reads one JSON request per line and answers one JSON response
per line on its own pipes, so whatever the submission prints cannot corrupt the protocol.
Nothing here decides a verdict: it only reports what the submission did.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import sys
import traceback
from pathlib import Path

from autograder.engine import CELL_ERRORS, errortext, protocol, seccomp, verdict
from autograder.engine.probing import CourseBug, find_probe

MAX_NOTES = 20   # cells named per module


class _SubmissionFiles:
    """Imports the submission's exercise files by path, never through `sys.path`, so a
    file named like a library (`numpy.py`) shadows nothing."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self.modules: dict[str, object] = {}

    def path_of(self, module: str) -> Path | None:
        return None if self.folder is None else self.folder / f"{module}.py"

    def load(self, module: str):
        if module not in self.modules:
            path = self.path_of(module)
            if path is None:
                raise RuntimeError("this worker runs without a submission")
            if not path.is_file():
                raise FileNotFoundError(path.name)
            spec = importlib.util.spec_from_file_location(module, path)
            loaded = importlib.util.module_from_spec(spec)
            sys.modules[module] = loaded  # Keras and pickling look classes up by module name
            try:
                spec.loader.exec_module(loaded)
            except BaseException:
                del sys.modules[module]
                raise
            self.modules[module] = loaded
        return self.modules[module]

    def frames(self, error: BaseException) -> list[traceback.FrameSummary]:
        """The traceback frames of `error` that lie in the submission's files."""
        if self.folder is None:
            return []
        folder = str(self.folder.resolve())
        # Only absolute names: the importer's `<frozen importlib._bootstrap>` is no file of
        # the student's, and resolving it against the working folder would call getcwd(),
        # which fails once `watch` has replaced that folder.
        return [frame for frame in traceback.extract_tb(error.__traceback__)
                if os.path.isabs(frame.filename) and os.path.realpath(frame.filename).startswith(folder + os.sep)]

    @property
    def origin(self) -> str | None:
        """What TensorFlow's "in user code" message names for these files (verdict.is_blank)."""
        return None if self.folder is None else str(self.folder.resolve())

    def is_blank(self, error: BaseException) -> bool:
        return verdict.is_blank(error, self.frames(error), self.origin)


def _import(files: _SubmissionFiles, module: str) -> dict:
    try:
        files.load(module)
    except FileNotFoundError as missing:
        return {"status": "missing", "message": errortext.text("missing", file=missing.args[0])}
    except BaseException as error:
        if files.is_blank(error):
            return {"status": "not_attempted", "message": errortext.text("blank_import", file=f"{module}.py")}
        return {"status": "import_error", "message": errortext.import_failure(files.path_of(module), error, files.frames(error)),
                "traceback": traceback.format_exc(limit=-8)}
    notes = _cell_errors(files, files.modules[module])
    return {"status": "ok", "notes": notes} if notes else {"status": "ok"}


def _cell_errors(files: _SubmissionFiles, loaded) -> list[str]:
    """What the notebook's skipped cells raised, each described as an import failure is."""
    recorded = loaded.__dict__.get(CELL_ERRORS)
    notes = []
    for item in recorded[:MAX_NOTES] if isinstance(recorded, list) else []:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], int) and isinstance(item[1], BaseException):
            try:
                notes.append(errortext.text("cell_skipped", cell=item[0], error=errortext.describe(item[1], files.frames(item[1]))))
            except Exception:  # an exception whose message cannot be read: the cell is still named
                notes.append(errortext.text("cell_skipped", cell=item[0], error=type(item[1]).__name__))
    return notes


def _probe(files: _SubmissionFiles, request: dict, exchange: Path) -> dict:
    module, name = request["module"], request["probe"]
    try:
        probe = find_probe(request["probes"], name)
    except CourseBug as bug:
        return {"status": "error", "message": str(bug)}
    inputs = protocol.decode(request.get("inputs", {}), exchange / "in")
    sub = files.load(module) if request.get("with_submission", True) else None
    try:
        value = probe(sub, **inputs)
    except BaseException as error:
        status, message = verdict.judge(error, frames=files.frames(error), sub=sub, file=f"{module}.py",
                                        origin=files.origin)
        answer = {"status": status, "message": message}
        if status in ("error", "probe_error"):
            answer["traceback"] = traceback.format_exc(limit=-12)
        return answer
    try:
        (exchange / "out").mkdir(exist_ok=True)
        return {"status": "ok", "value": protocol.encode(value, exchange / "out")}
    except protocol.UnsupportedValue as unsupported:
        return {"status": "probe_error", "message": f"probe {name} returned unsendable data: {unsupported}"}


def _handle(files: _SubmissionFiles, request: dict, exchange: Path) -> dict:
    op = request.get("op")
    if op == "import":
        return _import(files, request["module"])
    if op == "probe":
        if request.get("with_submission", True):
            imported = _import(files, request["module"])
            if imported["status"] != "ok":
                return imported
        return _probe(files, request, exchange)
    return {"status": "probe_error", "message": f"unknown request {op!r}"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--exchange", type=Path, required=True)
    parser.add_argument("--submission", type=Path)
    parser.add_argument("--requests", type=int, required=True)
    parser.add_argument("--responses", type=int, required=True)
    args = parser.parse_args(argv)
    seccomp.forbid_namespaces()  # before any code of the submission: no namespaces, no mounts
    # A flood of output past the file-size limit must fail the write, not kill us silently.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    requests = os.fdopen(args.requests, "rb")
    responses = os.fdopen(args.responses, "wb", buffering=0)
    import tensorflow  # noqa: F401  (paid once, before any check's clock starts)

    files = _SubmissionFiles(args.submission)
    responses.write(protocol.dumps({"status": "ready"}))
    for line in requests:
        request = protocol.loads(line)
        if request.get("op") == "exit":
            break
        exchange = args.exchange / request["id"]
        response = _handle(files, request, exchange)
        sys.stdout.flush()
        sys.stderr.flush()
        responses.write(protocol.dumps(response))
    os._exit(0)  # skip TensorFlow's slow interpreter teardown


if __name__ == "__main__":
    main()
