"""The course map is complete and agrees with the check modules and the solutions. The
list of topics and their files comes from the course map itself, so a topic added with
`python -m autograder new-topic` is held to the same rules."""
import ast
import re

from autograder.course import LANGUAGES, load_course


# The syllabus' files (the exercise contract): the course's first topics, in this order.
SYLLABUS_FILES = ["e01_tensors.py", "e02_autodiff.py", "e03_models.py", "e04_training.py", "e05_evaluation.py",
                  "e06_savedmodel.py", "e07_embedding.py", "e08_tf_function.py", "e09_checkpoint.py"]


def test_the_syllabus_files_come_first_in_order():
    assert [topic.file for topic in load_course().topics][:len(SYLLABUS_FILES)] == SYLLABUS_FILES


def test_topics_are_numbered_in_order_and_named_like_their_files():
    topics = load_course().topics
    assert [topic.id for topic in topics] == [f"e{number:02d}" for number in range(1, len(topics) + 1)]
    for topic in topics:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", topic.slug), topic.id
        assert topic.file == f"{topic.id}_{topic.slug}.py"


def test_every_topic_has_its_files():
    for topic in load_course().topics:
        for path in (topic.solution, topic.exercise_file, topic.notebook, topic.check_module, topic.probe_file,
                     topic.mistakes_file):
            assert path.is_file(), f"{topic.id}: {path} is missing"


def _check_functions(path):
    tree = ast.parse(path.read_text())
    return [node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]


def test_every_check_function_has_a_course_map_entry_and_back():
    course = load_course()
    for topic in course.topics:
        in_module = [name for path in topic.check_modules(include_hidden=True) for name in _check_functions(path)]
        in_map = [check.name for check in topic.checks]
        assert sorted(in_module) == sorted(in_map), topic.id
        assert len(set(in_map)) == len(in_map), f"duplicate check names in {topic.id}"


def test_every_check_has_points_a_time_limit_and_hints_in_both_languages():
    for check in load_course().checks:
        assert check.points > 0 and check.timeout > 0, check.id
        for lang in LANGUAGES:
            assert check.hints[lang] and all(hint.strip() for hint in check.hints[lang]), (check.id, lang)
        assert len(check.hints["en"]) == len(check.hints["zh"]), f"{check.id}: hint tiers differ between languages"


def test_each_exercise_names_a_definition_in_its_solution():
    for topic in load_course().topics:
        tree = ast.parse(topic.solution.read_text())
        defined = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
        defined |= {target.id for node in tree.body if isinstance(node, ast.Assign)
                    for target in node.targets if isinstance(target, ast.Name)}
        missing = [exercise.name for exercise in topic.exercises if exercise.name not in defined]
        assert not missing, f"{topic.file} lacks {missing}"
