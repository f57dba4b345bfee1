"""The one look of every HTML page `grade` writes (feedback, the class summary, look-alike pairs):
a self-contained page, its style inside."""
from __future__ import annotations

import html

STYLE = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1f2328}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #d0d7de;padding:.35rem .5rem;
text-align:left;vertical-align:top}.passed{color:#1a7f37}.failed,.error,.timeout{color:#cf222e}
.not_attempted{color:#9a6700}.msg{white-space:pre-wrap;font-family:ui-monospace,monospace;font-size:.9em}
.hint{color:#0969da}img{max-width:100%}small{color:#59636e}
.note{background:#f6f8fa;border-left:3px solid #0969da;padding:.4rem .6rem}"""


def page(title: str, body: str) -> str:
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body>{body}</body></html>")
