"""Data set safely in GitHub-flavoured Markdown: the escaping depends on where the text sits.

- ``text``: running text (a list item, a table cell). Markdown's inline punctuation is
  backslash-escaped, so a name like ``*Jan*`` or ``<script>`` reads as written. A backslash
  escape of ``|`` also keeps a table cell whole, so one function serves both.
- ``code``: a code span. Nothing inside one is unescaped by Markdown (``&lt;`` would show as
  written), so the content stays as it is; only the fence grows past any backtick run in it.
  In a table cell GitHub still splits on ``|`` inside a code span, so there ``|`` is escaped.
- ``html``: text inside raw HTML such as ``<summary>``, where Markdown is not parsed at all:
  HTML entities.

Line breaks and other control characters become spaces everywhere: a value never starts a new
block (a heading, a list, the end of a table row).
"""

from __future__ import annotations

import html as _html
import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
# The ASCII punctuation that starts inline Markdown (emphasis, code, links, images, raw HTML,
# entities, strikethrough) or ends a table cell; CommonMark lets any of it be backslash-escaped.
_INLINE = re.compile(r"([\\`*_\[\]<>&|~!])")
_BACKTICKS = re.compile(r"`+")


def one_line(value: str) -> str:
    """``value`` with line breaks and control characters as spaces."""
    return _CONTROL.sub(" ", value)


def text(value: str) -> str:
    """``value`` as running Markdown text that reads exactly as written."""
    return _INLINE.sub(r"\\\1", one_line(value))


def code(value: str, *, in_table: bool = False) -> str:
    """``value`` in a code span that shows it exactly, whatever backticks or spaces it holds;
    ``in_table`` for a span inside a table cell."""
    value = one_line(value)
    if not value:
        return '""'
    if in_table:
        value = value.replace("|", "\\|")
    longest = max((len(run) for run in _BACKTICKS.findall(value)), default=0)
    fence = "`" * (longest + 1)
    if value[0] in "` " or value[-1] in "` ":
        value = f" {value} "  # CommonMark strips one space from each side of such a span
    return f"{fence}{value}{fence}"


def html(value: str) -> str:
    """``value`` inside raw HTML (a ``<summary>``)."""
    return _html.escape(one_line(value), quote=False)
