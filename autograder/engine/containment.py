"""One submission's processes, bounded together and ended together (design principle 4).

    box = Containment.create("alice-7", uid=104711, memory_bytes=6 << 30, processes=512)
    policy = sandbox.Policy.for_grading(7, cgroups=box.cgroups)   # its workers join at exec
    ...
    box.end()   # every process of the submission is gone when this returns

Where the kernel lets root create cgroups, the submission gets one per hierarchy:
cgroup v2 (`cgroup.kill` ends it at once; `memory.max`, `pids.max` when those controllers
are enabled there) and cgroup v1 `memory` and `pids` (the limits; this machine's v2 has
no controllers). Whatever else holds, a submission runs under a uid of its own, so
`end()` also kills by uid until no process of it is left: a double-forked, `setsid`
grandchild escapes a process group, not its uid. `mechanism()` says which of these are on.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from autograder.i18n import _

PREFIX = "tf-course-"
KILL_SECONDS = 20.0


def _mounts() -> list[tuple[str, str, set[str]]]:
    """(mount point, type, options) of every cgroup file system."""
    found = []
    try:
        with open("/proc/self/mounts") as mounts:
            for line in mounts:
                __, point, kind, options, *__ = line.split()
                if kind in ("cgroup", "cgroup2"):
                    found.append((point, kind, set(options.split(","))))
    except OSError:
        pass
    return found


def _own_paths() -> dict[str, str]:
    """{"" (v2) or a v1 controller: our cgroup's path inside that hierarchy}."""
    paths = {}
    try:
        with open("/proc/self/cgroup") as own:
            for line in own:
                __, controllers, path = line.rstrip("\n").split(":", 2)
                for controller in controllers.split(",") if controllers else [""]:
                    paths[controller] = path
    except OSError:
        pass
    return paths


def _parents() -> dict[str, Path]:
    """{"v2" / "memory" / "pids": the folder where a submission's cgroup would be created},
    only where we may create one."""
    own = _own_paths()
    parents = {}
    for point, kind, options in _mounts():
        if kind == "cgroup2" and "" in own:
            key = "v2"
            parent = Path(point) / own[""].lstrip("/")
        else:
            key = next((c for c in ("memory", "pids") if c in options and c in own), None)
            if key is None:
                continue
            parent = Path(point) / own[key].lstrip("/")
        if key not in parents and parent.is_dir() and os.access(parent, os.W_OK):
            parents[key] = parent
    return parents


def _write(path: Path, text: str) -> bool:
    try:
        path.write_text(text)
        return True
    except OSError:
        return False


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


@lru_cache(maxsize=None)
def _has_cgroup_kill(parent: Path) -> bool:
    """Does a cgroup v2 child (a root cgroup has no such file) offer `cgroup.kill` (Linux 5.14+)?"""
    probe = parent / f"{PREFIX}probe-{os.getpid()}"
    try:
        probe.mkdir()
    except FileExistsError:
        pass
    except OSError:
        return False
    try:
        return (probe / "cgroup.kill").exists()
    finally:
        try:
            probe.rmdir()
        except OSError:
            pass


def processes_of(uid: int) -> list[int]:
    """Live processes (not zombies) whose real, effective or saved uid is `uid`. Read
    from /proc/PID/status, not the owner of /proc/PID (a non-dumpable process hides that)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
        except OSError:
            continue
        uids = {int(value) for value in fields.get("Uid", "").split()[:3]}
        if uid in uids and not fields.get("State", "").strip().startswith(("Z", "X")):
            found.append(int(name))
    return found


def kill_uid(uid: int, seconds: float = KILL_SECONDS) -> bool:
    """Kill every process of `uid` until none is left (True), or give up after `seconds`.
    kill(-1) sent *as* that uid reaches all of them at once, so a forking process cannot
    outrun it; the loop catches a child forked while the signal was on its way."""
    deadline = time.monotonic() + seconds
    while processes_of(uid):
        if time.monotonic() > deadline:
            return False

        def become():
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)

        try:
            subprocess.run(["kill", "-KILL", "-1"], preexec_fn=become, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)
        except (OSError, subprocess.SubprocessError):  # no /bin/kill: signal each one we see
            for pid in processes_of(uid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        time.sleep(0.05)
    return True


@dataclass
class Containment:
    name: str
    uid: int | None
    cgroups: dict[str, str] = field(default_factory=dict)   # {"v2" / "memory" / "pids": folder}
    bounds: dict[str, int] = field(default_factory=dict)    # {"memory": bytes, "processes": n} set by a cgroup
    clean_uid: int | None = None                            # its clean workers' uid, ended with it

    @classmethod
    def create(cls, name: str, uid: int | None, memory_bytes: int, processes: int,
               clean_uid: int | None = None) -> "Containment":
        box = cls(name=name, uid=uid, clean_uid=clean_uid)
        if os.geteuid() != 0:
            return box
        for key, parent in _parents().items():
            folder = parent / f"{PREFIX}{name}"
            try:
                if folder.is_dir():  # left over by a batch killed with -9: empty it first
                    cls._end_cgroup(key, folder)
                folder.mkdir()
            except OSError:
                continue
            box.cgroups[key] = str(folder)
            if key == "v2":
                if _write(folder / "memory.max", str(memory_bytes)):
                    box.bounds["memory"] = memory_bytes
                if _write(folder / "pids.max", str(processes)):
                    box.bounds["processes"] = processes
            elif key == "memory":
                if _write(folder / "memory.limit_in_bytes", str(memory_bytes)):
                    box.bounds["memory"] = memory_bytes
            elif key == "pids" and _write(folder / "pids.max", str(processes)):
                box.bounds["processes"] = processes
        return box

    @staticmethod
    def mechanism(uid_switch: bool) -> str:
        """How a submission's processes are bounded and ended on this machine, in words."""
        parents = _parents() if os.geteuid() == 0 else {}
        ends = []
        if "v2" in parents and _has_cgroup_kill(parents["v2"]):
            ends.append("cgroup v2 cgroup.kill")
        if uid_switch:
            ends.append(_("killing its uid until none is left"))
        bounds = [f"cgroup {'v1 ' if key != 'v2' else 'v2 '}{key if key != 'v2' else 'memory/pids'}"
                  for key in parents if key != "v2" or "memory" in _read(parents["v2"] / "cgroup.subtree_control")]
        ended = _(" and ").join(ends) if ends else _("its process group only (no cgroup, no uid of its own)")
        bounded = ", ".join(bounds) if bounds else _("none (per-process limits only)")
        return _("ended by {ended}; bounded per submission by {bounded}", ended=ended, bounded=bounded)

    def reached(self) -> str:
        """The per-submission bound a process of it ran into ("" if none), for messages."""
        hits = []
        memory = self.bounds.get("memory")
        for key, folder in self.cgroups.items():
            folder = Path(folder)
            if key == "memory" and int(_read(folder / "memory.failcnt") or 0) > 0 and memory:
                hits.append(_("the submission's memory bound ({gib:.1f} GiB)", gib=memory / (1 << 30)))
            if key == "v2" and memory and "oom_kill 0" not in _read(folder / "memory.events") \
                    and (folder / "memory.events").exists():
                hits.append(_("the submission's memory bound ({gib:.1f} GiB)", gib=memory / (1 << 30)))
            if key in ("pids", "v2") and (folder / "pids.events").exists():
                events = _read(folder / "pids.events").split()
                if len(events) >= 2 and events[0] == "max" and events[1] != "0":
                    hits.append(_("the submission's bound of {count} processes and threads",
                                  count=self.bounds.get("processes")))
        return _(" and ").join(dict.fromkeys(hits))

    @staticmethod
    def _end_cgroup(key: str, folder: Path) -> None:
        if key == "v2" and _write(folder / "cgroup.kill", "1"):
            pass
        deadline = time.monotonic() + KILL_SECONDS
        while (pids := [int(p) for p in _read(folder / "cgroup.procs").split()]) and time.monotonic() < deadline:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.05)
        try:
            folder.rmdir()
        except OSError:
            pass

    @classmethod
    def sweep(cls) -> int:
        """End the cgroups a batch killed with -9 left behind (their batch pid is gone):
        a setsid grandchild that outlived its grader must not outlive the next run too.
        Returns how many were ended."""
        if os.geteuid() != 0:
            return 0
        ended = 0
        for key, parent in _parents().items():
            for folder in parent.glob(f"{PREFIX}*-*"):
                owner = folder.name.removeprefix(PREFIX).split("-", 1)[0]
                if owner.isdigit() and not Path(f"/proc/{owner}").exists():
                    cls._end_cgroup(key, folder)
                    ended += 1
        return ended

    def end(self) -> bool:
        """Kill every process of the submission and remove its cgroups. True when none is
        left (False: a process survived KILL_SECONDS of killing; the caller says so)."""
        for key, folder in self.cgroups.items():
            self._end_cgroup(key, Path(folder))
        clean = all([kill_uid(uid) for uid in (self.uid, self.clean_uid) if uid is not None and os.geteuid() == 0])
        for key, folder in self.cgroups.items():  # a second try, for a cgroup whose last process just left
            if Path(folder).exists():
                self._end_cgroup(key, Path(folder))
        return clean
