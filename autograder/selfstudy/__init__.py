"""The self-study loop: `watch`, `progress`, `hint` and `reset` (rustlings for TensorFlow).

    state.py    saved progress (.course-progress.json in the submission folder): results
                per exercise, keyed by the file they were checked against; hint tiers shown
    checker.py  runs one exercise's checks, cold (a fresh worker) or warm (forked from a
                zygote that has imported TensorFlow: engine/warm.py)
    reset.py    puts an exercise back to its blank, keeping a backup of the student's version
    commands.py the plain subcommands `progress`, `hint`, `reset` and the text they print
    lookup.py   topic and exercise names as typed (with "did you mean ...?"), the folder checked
    watch.py    the full-screen loop: re-check on save, keys h n l r q
"""
from autograder.i18n import _


def _lazy(module: str, name: str):
    """The command function `name` of `autograder.selfstudy.<module>`, imported when run
    (so that building the parser stays cheap for every other command)."""
    def run(args):
        from importlib import import_module
        return getattr(import_module(f"autograder.selfstudy.{module}"), name)(args)
    return run


def add_commands(commands, add_submission_options) -> None:
    """Adds `watch`, `progress`, `hint` and `reset` to the command line's subparsers."""
    watch = commands.add_parser("watch", help=_("self-study loop: re-check the current exercise on every save"))
    watch.add_argument("exercise", nargs="?",
                       help=_("start on this exercise, or on a topic's first exercise that does not pass "
                            "(default: the first that does not pass)"))
    add_submission_options(watch)
    watch.add_argument("--manual", action="store_true",
                       help=_("re-check when you press Enter instead of on save (for network file systems)"))
    watch.add_argument("--seed", type=int, help=_("seed of the random inputs"))
    watch.set_defaults(run=_lazy("watch", "cmd_watch"))

    progress = commands.add_parser("progress", help=_("a table of every exercise: passes or not, points"))
    progress.add_argument("topics", nargs="*", help=_("only these topics (e01, tensors, ...); default: all"))
    add_submission_options(progress)
    progress.add_argument("--recheck", action="store_true", help=_("check every topic again, not only changed ones"))
    progress.add_argument("--seed", type=int, help=_("seed of the random inputs"))
    progress.set_defaults(run=_lazy("commands", "cmd_progress"))

    hint = commands.add_parser("hint", help=_("the next hint for an exercise (e.g. `hint standardize`)"))
    hint.add_argument("exercise", help=_("exercise name, optionally with its topic: standardize, e01.standardize; "
                                       "or a topic (e01): its first exercise that does not pass"))
    add_submission_options(hint)
    hint.add_argument("--all", action="store_true", help=_("show every hint tier at once"))
    hint.set_defaults(run=_lazy("commands", "cmd_hint"))

    reset = commands.add_parser("reset", help=_("put an exercise back to its blank (your version is backed up)"))
    reset.add_argument("exercise", help=_("exercise name, optionally with its topic: standardize, e01.standardize"))
    add_submission_options(reset)
    reset.set_defaults(run=_lazy("commands", "cmd_reset"))
