"""Latency from saving an exercise file to its result on screen: cold `check` vs warm `watch`.

Cold: `python -m autograder check TOPIC` in a fresh process, what a student without watch
runs after each save (TensorFlow is imported every time); also with `--only` the one
exercise's checks. Warm: `python -m autograder watch` in a pseudo-terminal; the exercise
is saved alternately with a wrong and a right answer, one second after the previous result
appeared (a student reads it first), and the clock stops when the screen shows that
re-check's result. Medians over the repeats; the first warm re-check (which imports
TensorFlow and pytest) is not counted.

    .venv/bin/python benchmarks/watch_latency.py [--repeats 11] [--training-repeats 5]
                                                 [--cold-repeats 3] [--topics e01 e04] [--json FILE]

Targets (issue 8): warm e01 re-check < 0.5 s median, and >= 5x faster than cold `check e01`.
"""
from __future__ import annotations

import argparse
import fcntl
import json
import os
import re
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograder import COURSE_ROOT  # noqa: E402
from autograder.course import load_course  # noqa: E402
from autograder.selfstudy.reset import locate  # noqa: E402
from autograder.selfstudy.state import checkable, checks_of  # noqa: E402

SOLUTIONS = COURSE_ROOT / "solutions"
# (topic, exercise, a wrong answer): the wrong answer must fail, the solution must pass.
# Each wrong answer is a typical mistake that still does the work (so it costs what a
# right one costs): no division by the std; no optimizer step; a loop that never trains.
CASES = [
    ("e01", "standardize", "def standardize(x):\n    return x - tf.reduce_mean(x, axis=0)\n"),
    ("e04", "train_step", "def train_step(model, optimizer, X, y):\n"
                          "    with tf.GradientTape() as tape:\n"
                          "        loss = loss_fn(y, model(X))\n"
                          "    return loss\n"),
    ("e04", "train", "def train(model, data_loader, num_epochs, batch_size, learning_rate):\n"
                     "    losses = []\n"
                     "    for _ in range(int(data_loader.num_train_data // batch_size * num_epochs)):\n"
                     "        X, y = data_loader.get_batch(batch_size)\n"
                     "        losses.append(float(loss_fn(y, model(X))))\n"
                     "    return losses\n"),
]
# A student reads the result before the next save; watch uses that pause to fork and warm
# up the next re-check's worker (as it would between real saves).
THINK_SECONDS = 1.0
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]")


def definition(text: str, name: str) -> str:
    start, end, _ = locate(text, name)
    return "".join(text.splitlines(keepends=True)[start - 1:end])


def save_variant(folder: Path, module: str, name: str, code: str) -> None:
    path = folder / f"{module}.py"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(definition(text, name), code), encoding="utf-8")


class PtyWatch:
    """`watch` in a pseudo-terminal; `wait_for(pattern)` reads the screen output."""

    def __init__(self, folder: Path, exercise: str):
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 60, 200, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "LANG": "C.UTF-8"}
        env.pop("COLUMNS", None)
        env.pop("LINES", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "autograder", "watch", exercise, "--submission", str(folder), "--lang", "en"],
            cwd=COURSE_ROOT, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
        os.close(slave)
        self.master = master
        self.text = ""
        self.lock = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            with self.lock:
                self.text += _ANSI.sub("", data.decode(errors="replace"))
                self.lock.notify_all()

    def wait_for(self, pattern: str, start: int, seconds: float) -> tuple[re.Match, int]:
        """The first match of `pattern` in the output after offset `start`."""
        deadline = time.monotonic() + seconds
        compiled = re.compile(pattern)
        with self.lock:
            while True:
                match = compiled.search(self.text, start)
                if match:
                    return match, match.end()
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{pattern!r} did not appear; last output:\n{self.text[-2000:]}")
                self.lock.wait(left)

    @property
    def offset(self) -> int:
        with self.lock:
            return len(self.text)

    def close(self) -> None:
        os.write(self.master, b"q")
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        os.close(self.master)


def warm_latencies(topic_id: str, exercise: str, wrong: str, repeats: int) -> list[tuple[float, bool]]:
    course = load_course()
    topic = course.topic(topic_id)
    right = definition((SOLUTIONS / topic.file).read_text(encoding="utf-8"), exercise)
    with tempfile.TemporaryDirectory(prefix="watch-bench-") as scratch:
        folder = Path(scratch) / "student"
        shutil.copytree(SOLUTIONS, folder)
        save_variant(folder, topic.module, exercise, wrong)
        watch = PtyWatch(folder, f"{topic_id}.{exercise}")
        try:
            _, position = watch.wait_for(rf"{re.escape(exercise)} · {topic_id}[\s\S]*?Re-check #\d+ took", 0, 900)
            latencies = []  # (seconds, passed)
            for index in range(repeats + 1):
                good = index % 2 == 0
                time.sleep(THINK_SECONDS)
                before = watch.offset
                started = time.monotonic()
                save_variant(folder, topic.module, exercise, right if good else wrong)
                verdict = rf"All checks of {re.escape(exercise)} pass" if good else r"\(failed"
                match, position = watch.wait_for(rf"({verdict})[\s\S]*?Re-check #\d+ took", before, 600)
                elapsed = time.monotonic() - started
                if index:  # the first re-check warms pytest up
                    latencies.append((elapsed, good))
            return latencies
        finally:
            watch.close()


def cold_latencies(topic_id: str, exercise: str | None, repeats: int) -> list[float]:
    course = load_course()
    topic = course.topic(topic_id)
    command = [sys.executable, "-m", "autograder", "check", topic_id, "--submission", str(SOLUTIONS), "--lang", "en"]
    if exercise:
        for check in checks_of(next(e for e in topic.exercises if e.name == exercise)):
            command += ["--only", check.name]
    times = []
    for _ in range(repeats):
        started = time.monotonic()
        done = subprocess.run(command, cwd=COURSE_ROOT, capture_output=True, text=True)
        times.append(time.monotonic() - started)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=11, help="warm re-checks per e01 case (median)")
    parser.add_argument("--training-repeats", type=int, default=5, help="warm re-checks per e04 case")
    parser.add_argument("--cold-repeats", type=int, default=3, help="cold `check` runs per case (median)")
    parser.add_argument("--topics", nargs="*", default=[case[0] for case in CASES])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    course = load_course()
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          "(other work on the machine slows both sides alike)", flush=True)
    rows = []
    cold_topics: dict[str, list[float]] = {}
    for topic_id, exercise, wrong in CASES:
        if topic_id not in args.topics:
            continue
        topic = course.topic(topic_id)
        if not checkable(topic) or not (SOLUTIONS / topic.file).exists() or \
                not any(e.name == exercise and checks_of(e) for e in topic.exercises):
            print(f"{topic_id}: skipped ({exercise} has no checks yet)")
            continue
        if topic_id not in cold_topics:
            cold_topics[topic_id] = cold_latencies(topic_id, None, args.cold_repeats)
        cold_topic = cold_topics[topic_id]
        cold_exercise = cold_latencies(topic_id, exercise, args.cold_repeats)
        saves = warm_latencies(topic_id, exercise, wrong, args.repeats if topic_id == "e01" else args.training_repeats)
        warm = [seconds for seconds, _ in saves]
        warm_pass = [seconds for seconds, passed in saves if passed]
        row = {"topic": topic_id, "exercise": exercise,
               "cold_check_topic_s": round(statistics.median(cold_topic), 3),
               "cold_check_exercise_s": round(statistics.median(cold_exercise), 3),
               "warm_watch_recheck_s": round(statistics.median(warm), 3),
               "warm_passing_saves_s": round(statistics.median(warm_pass), 3),
               "warm_min_s": round(min(warm), 3), "warm_max_s": round(max(warm), 3),
               "speedup_vs_cold_topic": round(statistics.median(cold_topic) / statistics.median(warm), 1),
               "speedup_vs_cold_exercise": round(statistics.median(cold_exercise) / statistics.median(warm), 1),
               "repeats": {"warm": len(warm), "cold": args.cold_repeats},
               "load_average": round(os.getloadavg()[0], 1)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    print()
    print(f"{'case':24} {'cold check TOPIC':>17} {'cold --only':>12} {'warm watch':>11} {'speed-up':>9}")
    for row in rows:
        print(f"{row['topic'] + ' ' + row['exercise']:24} {row['cold_check_topic_s']:>16.2f}s "
              f"{row['cold_check_exercise_s']:>11.2f}s {row['warm_watch_recheck_s']:>10.2f}s "
              f"{row['speedup_vs_cold_topic']:>8.1f}x")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    e01 = next((row for row in rows if row["topic"] == "e01"), None)
    if e01 is not None:
        ok = e01["warm_watch_recheck_s"] < 0.5 and e01["speedup_vs_cold_topic"] >= 5
        print(f"\ntarget (e01 warm < 0.5 s and >= 5x faster than cold check e01): {'met' if ok else 'NOT met'}")
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
