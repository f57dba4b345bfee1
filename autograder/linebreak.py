"""Line breaking for Chinese mixed with code and English, in a given number of columns.

Chinese may break between any two characters, except before closing punctuation (，。）)
and after opening punctuation (（“); English and `code` break at spaces only. A Chinese
character takes two columns of a terminal. The lesson files (lessons.py) and the terminal
reports (report.py's hanging indents) both break lines here.

    wrap("张量是一个数组……", 40)              # lines of at most 40 columns
    wrap(text, 40, anywhere=False)            # only at spaces (Markdown shows other breaks)
    display_width("张量")                     # 4
"""
from __future__ import annotations

import re
import unicodedata

_CJK = "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_ATOM = re.compile(rf"\s+|[{_CJK}]|(?:`[^`]*`|[^\s`{_CJK}])+|`")
_NO_BREAK_BEFORE = set("，。、；：！？）」』”’》〉】…·%,.;:!?)]")
_NO_BREAK_AFTER = set("（「『“‘《〈【([")


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def wrap(text: str, width: int | None, anywhere: bool = True) -> list[str]:
    """`text` (Chinese with code and English words) in lines of at most `width` columns
    (a line is longer only for a word or `code` that does not fit alone), breaking between
    Chinese characters or at spaces, never before closing or after opening punctuation;
    only at spaces unless `anywhere` (Markdown shows any other break as a space); one line
    when `width` is None."""
    text = " ".join(part.strip() for part in text.split("\n"))
    if width is None:
        return [text]
    chunks: list[str] = []      # unbreakable pieces; " " marks a space where a break may go
    for atom in _ATOM.findall(text):
        if atom.isspace():
            chunks.append(" ")
        elif chunks and chunks[-1] != " " and (not anywhere or atom[0] in _NO_BREAK_BEFORE
                                                or chunks[-1][-1] in _NO_BREAK_AFTER):
            chunks[-1] += atom
        else:
            chunks.append(atom)
    lines, line, space = [], "", False
    for chunk in chunks:
        if chunk == " ":
            space = True
            continue
        joined = line + (" " if space and line else "") + chunk
        if line and display_width(joined) > width:
            lines.append(line)
            line = chunk
        else:
            line = joined
        space = False
    return lines + [line] if line else lines
