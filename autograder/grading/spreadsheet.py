"""CSV files a spreadsheet will open: no cell of ours can become a formula.

    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = spreadsheet.writer(file)
        writer.writerow(["=HYPERLINK(...)", 3])      # written as '=HYPERLINK(...),3

A text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is one that
Excel, LibreOffice or Google Sheets may run as a formula (OWASP's "CSV injection"): it
gets a leading apostrophe, which every spreadsheet shows as text. Numbers stay numbers.
Every CSV that `grade` writes goes through here (grades.csv, canvas.csv).
"""
from __future__ import annotations

import csv

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    """`value` as a spreadsheet shows it as text, never as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Writer:
    def __init__(self, file):
        self._writer = csv.writer(file)

    def writerow(self, row) -> None:
        self._writer.writerow([cell(value) for value in row])


def writer(file) -> _Writer:
    """A `csv.writer` whose every text cell goes through `cell`."""
    return _Writer(file)
