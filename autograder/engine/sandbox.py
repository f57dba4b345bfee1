"""The sandbox around a worker process, in layers (design principle 4).

Each layer is applied where the machine allows it, and `describe()` says which are on:

- scratch:  the worker runs in a private scratch copy of the submission (client.py);
- user:     when the grader runs as root, the worker switches to an unprivileged uid that
            owns nothing but its home folder; a fresh uid per submission, so nothing of one
            submission can reach the next (engine/containment.py kills every process of it
            when the submission ends), from a block of uids this process reserved on the
            host, checked unused (engine/uids.py); its clean workers get a uid of their own;
- storage:  the submission's scratch folder is a bounded tmpfs of its own (engine/storage.py);
- namespaces: a seccomp filter in every worker refuses new namespaces and mounts (engine/seccomp.py);
- bounds:   per submission, where the kernel offers them: cgroup memory and pids limits,
            and cgroup v2 `cgroup.kill` (containment.py); `describe()` says which;
- limits:   RLIMIT_CPU, RLIMIT_AS, RLIMIT_FSIZE and RLIMIT_NPROC (which counts threads and
            is ignored for root, so it is only set together with the user switch);
- timeouts: per-check and per-submission wall clocks kill the whole process group
            (client.py and grading/batch.py), and the worker dies with its parent;
- network:  a new, empty network namespace (root, or an unprivileged user namespace);
- bwrap:    bubblewrap, when installed: a private mount namespace holding an allow-list:
            /usr, /etc, the venv, the worker's part of the course (engine, probes, i18n) and
            the scratch folder; nothing else of the course (no solutions/, .git, tests/,
            checks), of other submissions or of the output folder; its own PID namespace;
            size-limited /tmp and /dev/shm.

The runner that chooses a policy passes it down as an argument (`Submission(policy=...)`,
`Worker(..., policy)`). Only where it must cross into a new process does it travel as
JSON: in the environment variable `AUTOGRADER_SANDBOX`, read once by that process's entry
point (`grade`'s grader child, the `check` command), and in a warm parent's fork request.
Without it (`check`, a student's machine) only the limits and timeouts apply.

A warm child (engine/warm.py) gets the same layers without an exec: engine/jail.py builds
bubblewrap's allow-list in the forked child; `decide()` says, in the trusted parent,
which layers a worker under the policy gets on this machine, cold or warm alike.
"""
from __future__ import annotations

import ctypes
import dataclasses
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from autograder import COURSE_ROOT
from autograder.engine import seccomp, uids
from autograder.i18n import LANGUAGE_VARIABLE

ENV_VAR = "AUTOGRADER_SANDBOX"
GiB = 1 << 30
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Policy:
    cpu_seconds: int = 1800          # all threads together; a backstop behind the wall clocks
    memory_bytes: int = 8 * GiB      # address space: TF import ~1.9 GiB, a small Keras fit ~2.7
    file_bytes: int = 256 << 20      # any file written, stdout included
    processes: int = 256             # RLIMIT_NPROC for the sandbox uid (threads count)
    uid: int | None = None           # switch to this uid when running as root (engine/uids.py)
    clean_uid: int | None = None     # the submission's clean workers' uid: never the one its code ran as
    clean_view: str | None = None    # a clean worker's read-only copy of the scratch folder, seen in its place
    disk: dict | None = None         # the bound of the submission's scratch storage {"bytes", "inodes"}, for messages
    isolate_network: bool = False
    use_bwrap: bool = False
    tmpfs_bytes: int = 512 << 20     # bubblewrap's /tmp and /dev/shm, each
    cgroups: dict | None = None      # the submission's cgroup folders, joined at exec (containment.py)
    bounds: dict | None = None       # the per-submission bounds those cgroups set, for messages
    threads: int | None = None       # TensorFlow's thread pools, each; None: its own choice (a thread per core)

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls, environ=os.environ) -> "Policy":
        text = environ.get(ENV_VAR)
        return cls(**json.loads(text)) if text else cls()

    @classmethod
    def for_grading(cls, number: int = 0, uid_range: str | None = None, **overrides) -> "Policy":
        """Every layer the machine allows, for the submission numbered `number` in a batch:
        as root, uids of this process's block of `uid_range` (uids.reserved; raises
        uids.Unavailable when none is free). They need no /etc/passwd entry: setuid to a
        bare number works for root."""
        fields = {"isolate_network": True, "use_bwrap": True}
        if os.geteuid() == 0:
            block = uids.reserved(uid_range)
            fields.update(uid=block.uid(number), clean_uid=block.uid(number, clean=True))
        return cls(**{**fields, **overrides})

    def for_clean_worker(self, view: Path | None) -> "Policy":
        """This policy for a worker that reads the submission's files without running its
        code: its own uid, and `view` (a read-only copy of the scratch folder) in its place."""
        return dataclasses.replace(self, uid=self.clean_uid if self.clean_uid is not None else self.uid,
                                   clean_view=str(view) if view is not None else None)


def cores() -> int:
    return len(os.sched_getaffinity(0))


def share_of_cores(slots: int) -> int:
    """`Policy.threads` when `slots` workers run at once on this machine: more threads
    would only make them take turns (and cost more CPU than they save)."""
    return max(1, cores() // slots)


def _is_root() -> bool:
    return os.geteuid() == 0


def switches_user(policy: Policy) -> bool:
    return policy.uid is not None and _is_root()


@lru_cache(maxsize=None)
def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _unshare(flags: int) -> None:
    if _libc().unshare(flags) != 0:
        raise OSError(ctypes.get_errno(), "unshare failed")


def _write(path: str, text: str) -> None:
    with open(path, "w") as file:
        file.write(text)


def decide(policy: Policy) -> dict[str, bool]:
    """Which layers a worker under `policy` gets on this machine, decided in the trusted
    parent (a layer the machine lacks is left out, never fatal): {"user", "bwrap" (or the
    warm jail, the same allow-list), "new_netns" (a network namespace without bwrap)}."""
    root = switches_user(policy)
    bwrap = policy.use_bwrap and bwrap_works(policy.uid if root else None)
    return {"user": root, "bwrap": bwrap,
            "new_netns": policy.isolate_network and not bwrap and _network_namespace_works()}


def preexec(policy: Policy, layers: dict[str, bool] | None = None):
    """The function run in the child between fork and exec (or, in a warm child, after the
    jail): cgroups, network, limits, user. `layers`: `decide(policy)`, made by the parent."""
    layers = layers or decide(policy)
    root, new_netns = layers["user"], layers["new_netns"]

    def apply() -> None:
        for folder in (policy.cgroups or {}).values() if root else ():  # as root, before the switch
            _write(os.path.join(folder, "cgroup.procs"), "0")
        if new_netns:
            enter_network_namespace()
        resource.setrlimit(resource.RLIMIT_CPU, (policy.cpu_seconds, policy.cpu_seconds + 5))
        resource.setrlimit(resource.RLIMIT_AS, (policy.memory_bytes, policy.memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (policy.file_bytes, policy.file_bytes))
        if root:
            resource.setrlimit(resource.RLIMIT_NPROC, (policy.processes, policy.processes))
            os.setgroups([])
            os.setgid(policy.uid)
            os.setuid(policy.uid)
        # After the uid change (which clears it): the worker dies when its parent does.
        _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL)

    return apply


def enter_network_namespace() -> None:
    """Leave the network: a new, empty network namespace (as root, or inside a new user
    namespace that maps only our own ids)."""
    if _is_root():
        _unshare(_CLONE_NEWNET)
    else:
        uid, gid = os.getuid(), os.getgid()
        _unshare(_CLONE_NEWUSER | _CLONE_NEWNET)
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")


def worker_paths() -> list[Path]:
    """The paths of the course a worker may read inside bubblewrap: an allow-list."""
    package = COURSE_ROOT / "autograder"
    # i18n.py and locale/: a worker words its messages in the student's language;
    # outcomes.py: the engine's verdict rules (engine/verdict.py) name its exceptions.
    # Not data/: the checks hand a worker the examples it needs, and the held-out labels
    # must stay out of its reach (a model could look its answers up in them).
    return [Path(sys.prefix), package / "__init__.py", package / "i18n.py", package / "outcomes.py",
            package / "locale", package / "engine", package / "probes"]


def writable_in_view(home: Path) -> list[Path]:
    """What a clean worker may write inside its read-only view: its home and its exchange."""
    return [home, home.with_name(home.name + "-exchange")]


def wrap(policy: Policy, command: list[str], scratch: Path, home: Path | None = None) -> list[str]:
    """`command` prefixed with bubblewrap when the policy asks for it and it works;
    `scratch` (the submission's scratch folder) is the only place it can write. A clean
    worker's (`policy.clean_view`) sees the read-only copy there instead, and may write
    only its `home` and its exchange folder."""
    if not (policy.use_bwrap and bwrap_works(policy.uid if switches_user(policy) else None)):
        return command
    size = str(policy.tmpfs_bytes)
    args = ["bwrap", "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc",
            "--proc", "/proc", "--dev", "/dev", "--size", size, "--tmpfs", "/dev/shm",
            "--size", size, "--tmpfs", "/tmp"]
    for name in ("bin", "sbin", "lib", "lib64", "lib32"):
        target = Path("/") / name
        if target.is_symlink():
            args += ["--symlink", os.readlink(target), str(target)]
        elif target.is_dir():
            args += ["--ro-bind", str(target), str(target)]
    if policy.isolate_network:
        args.append("--unshare-net")
    for path in worker_paths():
        args += ["--ro-bind", str(path), str(path)]
    if policy.clean_view and home is not None:
        args += ["--ro-bind", policy.clean_view, str(scratch)]
        for path in writable_in_view(home):
            args += ["--bind", str(path), str(path)]
    else:
        args += ["--bind", str(scratch), str(scratch)]
    args += ["--chdir", str(scratch)]
    return args + ["--"] + command


def hand_over(policy: Policy, *paths: Path) -> None:
    """Give each of `paths` (a folder we created just now, in a folder only we can write)
    to the sandbox uid so its worker can write there. Never recursive, never through a
    link: a worker's files are never chowned, walked or followed by us."""
    if not switches_user(policy):
        return
    for path in paths:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            os.fchown(fd, policy.uid, policy.uid)
        finally:
            os.close(fd)


def bounds_reached(policy: Policy) -> str:
    """The per-submission bound its processes ran into ("" if none), for a message."""
    if not policy.cgroups:
        return ""
    from autograder.engine.containment import Containment

    return Containment(name="", uid=policy.uid, cgroups=policy.cgroups, bounds=policy.bounds or {}).reached()


def environment(policy: Policy, home: Path | None) -> dict[str, str]:
    """The worker's environment: nothing of the grader's but what Python and TF need."""
    if not switches_user(policy) and not policy.use_bwrap:
        env = dict(os.environ)  # a student's own run: their environment is theirs
        env.pop(ENV_VAR, None)
        if home is not None:  # but temporary files (AutoGraph writes one per converted function) go with the worker
            env["TMPDIR"] = str(home)
        return env
    keep = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "VIRTUAL_ENV", LANGUAGE_VARIABLE)  # i18n: the chosen language
    env = {key: os.environ[key] for key in keep if key in os.environ}
    if home is not None:  # a home the sandbox user owns (and, in bubblewrap, can see)
        env.update({"HOME": str(home), "TMPDIR": str(home), "MPLCONFIGDIR": str(home),
                    "KERAS_HOME": str(home / ".keras")})
    return env


@lru_cache(maxsize=None)
def bwrap_works(uid: int | None) -> bool:
    """Can bubblewrap start a process here (as `uid` when given)?"""
    if shutil.which("bwrap") is None:
        return False

    def become():
        if uid is not None:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)

    try:
        done = subprocess.run(["bwrap", "--unshare-all", "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev",
                               "true"], preexec_fn=become, capture_output=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


@lru_cache(maxsize=None)
def _network_namespace_works() -> bool:
    try:
        done = subprocess.run([sys.executable, "-c", "from autograder.engine import sandbox; "
                               "sandbox.enter_network_namespace()"],
                              capture_output=True, timeout=30, env={**os.environ, "PYTHONPATH": str(COURSE_ROOT)})
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def describe(policy: Policy) -> dict[str, str]:
    """Which layers are active under `policy` on this machine, and why others are not."""
    root = _is_root()
    user = switches_user(policy)
    bwrap = policy.use_bwrap and bwrap_works(policy.uid if user else None)
    layers = {"scratch copy": "on: each submission runs in a private copy in a new temporary folder"}
    if user:
        layers["unprivileged user"] = (f"on: uid {policy.uid} + 2 × submission number, from a block reserved "
                                       "on this machine and checked unused (a fresh uid per submission, "
                                       "another for its clean workers)")
    else:
        layers["unprivileged user"] = "off: " + ("not asked" if root else "the grader does not run as root")
    nproc = f", processes {policy.processes}" if user else " (processes: off, RLIMIT_NPROC is ignored for root)"
    layers["resource limits"] = (f"on: CPU {policy.cpu_seconds} s, address space {policy.memory_bytes / GiB:.1f} GiB, "
                                 f"file size {policy.file_bytes >> 20} MiB{nproc}")
    layers["wall-clock timeouts"] = "on: per check and per submission, killing the process group"
    from autograder.engine.containment import Containment

    layers["per-submission bounds"] = ("on: " if user else "off: ") + Containment.mechanism(user)
    layers["scratch storage"] = ("on: a tmpfs of its own per submission, bounded in bytes and files" if user
                                 else "off: without root, writes are bounded per file only")
    layers["no new namespaces"] = ("on: a seccomp filter in every worker refuses namespaces and mounts"
                                   if seccomp.available() else "off: no filter for this machine's architecture")
    if not policy.isolate_network:
        layers["no network"] = "off: not asked"
    elif bwrap:
        layers["no network"] = "on: bubblewrap --unshare-net"
    elif _network_namespace_works():
        layers["no network"] = "on: a new network namespace"
    else:
        layers["no network"] = "off: no permission to create a network namespace here"
    if not policy.use_bwrap:
        layers["bubblewrap"] = "off: not asked"
    elif bwrap:
        layers["bubblewrap"] = "on: only the venv, engine, probes, i18n and the scratch folder are visible"
    elif shutil.which("bwrap") is None:
        layers["bubblewrap"] = "off: not installed (Debian package bubblewrap)"
    else:
        layers["bubblewrap"] = "off: installed but cannot create namespaces here"
    if user and not bwrap:
        exposed = exposed_to_workers()
        if exposed:
            layers["unprivileged user"] += (f"; but {', '.join(exposed[:6])} can be read by every user: "
                                            "run `make grading-setup` (chmod o-rwx)")
    return layers


def exposed_to_workers() -> list[str]:
    """Parts of the course outside the allow-list (`worker_paths`) that another user can
    read or enter: what a worker without bubblewrap could see (.git, tests/, solutions/, ...)."""
    allowed = {path.resolve() for path in worker_paths()}
    exposed = []
    for folder in (COURSE_ROOT, COURSE_ROOT / "autograder"):
        for entry in sorted(folder.iterdir()):
            if entry.resolve() in allowed or entry.name in ("autograder", "__pycache__"):
                continue
            try:
                mode = entry.lstat().st_mode
            except OSError:
                continue
            if mode & 0o004 or (entry.is_dir() and mode & 0o001):
                exposed.append(str(entry.relative_to(COURSE_ROOT)))
    return exposed
