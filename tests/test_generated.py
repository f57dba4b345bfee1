"""exercises/ is generated from solutions/ and must not drift."""
from autograder.generate import drifted, exercise_text, solution_files


def test_exercises_match_what_the_solutions_generate():
    assert drifted() == [], "run `python -m autograder generate` (never edit exercises/ by hand)"


def test_generated_blanks_raise_not_implemented_and_keep_no_solution():
    for solution in solution_files():
        text = exercise_text(solution)
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
        assert text.count("raise NotImplementedError()") == solution.read_text().count("### BEGIN SOLUTION")
