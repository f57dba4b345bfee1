"""What a student names on the command line, found kindly: topics (`e01`, `tensors`,
`e01_tensors`), exercises (`standardize`, `e01.standardize`, `tensors::one_hot`) and the
submission folder. Every answer is in the student's language; an unknown name comes with
the closest known ones (difflib), a folder without any exercise file with a warning.

    find_topics(course, ["tensor"], "en")   # LookupError: No topic 'tensor'. Did you mean `e01 tensors`? ...
    find_target(course, "e01", "en")        # (topic, None): a topic where an exercise may be named
    missing_files_warning(folder, course.topics, "en")
"""
from __future__ import annotations

import difflib
import re
from pathlib import Path

from autograder.course import Course, Exercise, Topic
from autograder.i18n import N_, Texts

UI = Texts(
    unknown_topic=N_("No topic {name!r}."),
    unknown_exercise=N_("No exercise or topic {name!r}."),
    suggest=N_("Did you mean {names}?"),
    or_=N_(" or "),
    topics=N_("The topics are: {known}"),
    exercises=N_("The exercises are: {known}"),
    ambiguous=N_("{name!r} names several exercises: {matches}; add the topic, e.g. {example}"),
    topic_not_exercise=N_("{name!r} is a topic; name one of its exercises: {exercises}"),
    no_submission=N_("submission folder {folder} does not exist"),
    no_files=N_("{folder} holds none of the exercise files ({files}), so nothing can be checked there: "
                "is --submission the right folder?"),
)
_SEPARATORS = ("::", ".", "/", ":")


def topic_label(topic: Topic) -> str:
    return f"{topic.id} {topic.slug}"


def exercise_label(exercise: Exercise) -> str:
    return f"{exercise.topic}.{exercise.name}"


def _topic_named(course: Course, name: str) -> Topic | None:
    key = name.strip().lower()
    for topic in course.topics:
        if key in (topic.id, topic.slug, topic.module, topic_label(topic)):
            return topic
    return None


def _suggestion(name: str, labels: dict[str, str], lang: str) -> str:
    """`Did you mean `a` or `b`?` for the labels whose keys are closest to `name`, or ""."""
    close = difflib.get_close_matches(name.strip().lower(), list(labels), n=6, cutoff=0.6)
    names = list(dict.fromkeys(labels[key] for key in close))[:3]
    if not names:
        return ""
    return UI[lang]["suggest"].format(names=UI[lang]["or_"].join(f"`{label}`" for label in names))


def _sentences(lang: str, *sentences: str) -> str:
    # Sentences are joined by a space, except after a full-width stop (Chinese needs none).
    return re.sub(r"(?<=[。？！]) ", "", " ".join(sentence for sentence in sentences if sentence))


def _topic_keys(course: Course) -> dict[str, str]:
    return {key: topic_label(topic) for topic in course.topics
            for key in (topic.id, topic.slug, topic.module, topic_label(topic))}


def find_topic(course: Course, name: str, lang: str = "en") -> Topic:
    topic = _topic_named(course, name)
    if topic is not None:
        return topic
    ui = UI[lang]
    known = ", ".join(topic_label(topic) for topic in course.topics)
    raise LookupError(_sentences(lang, ui["unknown_topic"].format(name=name), _suggestion(name, _topic_keys(course), lang),
                                 ui["topics"].format(known=known)))


def find_topics(course: Course, names: list[str], lang: str = "en") -> list[Topic]:
    """The topics `names` name, each once, in course order (all of them when none)."""
    if not names:
        return list(course.topics)
    chosen = {find_topic(course, name, lang).id for name in names}
    return [topic for topic in course.topics if topic.id in chosen]


def find_target(course: Course, name: str, lang: str = "en") -> tuple[Topic, Exercise | None]:
    """An exercise (`standardize`, `e01.standardize`, `tensors::one_hot`, ...), or a topic
    (`e01`, `tensors`): then the exercise is None."""
    topic = _topic_named(course, name)
    if topic is not None:
        return topic, None
    topic_key, exercise_name = None, name
    for separator in _SEPARATORS:
        if separator in name:
            topic_key, exercise_name = name.split(separator, 1)
            break
    owner = _topic_named(course, topic_key) if topic_key is not None else None
    candidates = [(topic, exercise) for topic in course.topics for exercise in topic.exercises
                  if topic_key is None or topic is owner]
    for same in (lambda a, b: a == b, lambda a, b: a.lower() == b.lower()):
        matches = [(t, e) for t, e in candidates if same(e.name, exercise_name)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            listed = ", ".join(exercise_label(e) for _, e in matches)
            raise LookupError(UI[lang]["ambiguous"].format(name=name, matches=listed,
                                                           example=exercise_label(matches[0][1])))
    labels = _topic_keys(course)
    for topic in course.topics:
        for exercise in topic.exercises:
            for key in (exercise.name.lower(), exercise_label(exercise).lower()):
                labels[key] = exercise_label(exercise)
    known = ", ".join(exercise_label(e) for t in course.topics for e in t.exercises)
    raise LookupError(_sentences(lang, UI[lang]["unknown_exercise"].format(name=name),
                                 _suggestion(exercise_name, labels, lang), UI[lang]["exercises"].format(known=known)))


def find_exercise(course: Course, name: str, lang: str = "en") -> tuple[Topic, Exercise]:
    """Like `find_target`, for commands that need one exercise (a topic is not enough)."""
    topic, exercise = find_target(course, name, lang)
    if exercise is None:
        listed = ", ".join(exercise_label(e) for e in topic.exercises)
        raise LookupError(UI[lang]["topic_not_exercise"].format(name=name, exercises=listed))
    return topic, exercise


def folder_problem(folder: Path, topics: list[Topic], lang: str) -> tuple[str, bool] | None:
    """(message, fatal) when the submission folder cannot be what the student meant: it
    does not exist (fatal), or holds none of the files of `topics` (a warning: everything
    would be "not attempted" without saying why)."""
    folder = Path(folder)
    if not folder.is_dir():
        return UI[lang]["no_submission"].format(folder=folder), True
    files = list(dict.fromkeys(topic.file for topic in topics))
    if files and not any((folder / file).is_file() for file in files):
        return UI[lang]["no_files"].format(folder=folder, files=", ".join(files)), False
    return None
