"""README.zh-CN.md covers README.md section by section: the same headings, level by level
and in the same order (a Chinese reader gets the whole README), the same code blocks and
tables, and no Chinese paragraph hard-wrapped between two characters (Markdown would show a
stray space there)."""
import re

from autograder import COURSE_ROOT

ENGLISH, CHINESE = COURSE_ROOT / "README.md", COURSE_ROOT / "README.zh-CN.md"
_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"


def outline(text: str) -> list[tuple[str, int]]:
    """("heading", level), ("code", 0) and ("table", rows) in order, fenced blocks' insides
    aside (a `# comment` in a bash block is not a heading; a block's comments may take more
    or fewer lines in the other language)."""
    found, fenced = [], None
    for line in text.splitlines():
        if line.startswith("```"):
            if fenced is None:
                fenced = 0
            else:
                found.append(("code", 0))
                fenced = None
        elif fenced is not None:
            fenced += 1
        elif re.match(r"#{1,6} ", line):
            found.append(("heading", len(line.split(" ")[0])))
        elif line.startswith("|---"):
            found.append(("table", 0))
        elif line.startswith("|") and found and found[-1][0] == "table":
            found[-1] = ("table", found[-1][1] + 1)
    return found


def test_the_chinese_readme_has_every_section_code_block_and_table_of_the_english_one():
    english, chinese = outline(ENGLISH.read_text("utf-8")), outline(CHINESE.read_text("utf-8"))
    assert chinese == english, "\n".join(f"{e!s:20} {c!s}" for e, c in zip(english + [None] * 99, chinese + [None] * 99)
                                        if e != c)


def test_a_missing_section_is_caught():
    text = ENGLISH.read_text("utf-8")
    assert outline(text.replace("\n## Data\n", "\n")) != outline(text)
    assert outline(text.replace("\n### Canvas\n", "\n## Canvas\n")) != outline(text)


def test_no_chinese_line_of_the_chinese_readme_breaks_between_two_characters():
    lines, fenced, broken = CHINESE.read_text("utf-8").splitlines(), False, []
    for this, after in zip(lines, lines[1:]):
        fenced = fenced != this.startswith("```")
        if not fenced and re.search(f"[{_CJK}]$", this) and re.match(f"[{_CJK}]", after):
            broken.append(this[-20:] + "|" + after[:20])
    assert not broken, broken
