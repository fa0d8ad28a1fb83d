"""Text fitting: how wide text is in Excel column units and how tall a row must be to show it wrapped.

Rows are sized explicitly because LibreOffice (printing, PDF) and Excel do not grow rows written
by XlsxWriter or openpyxl to fit wrapped text.  The estimates are for the ledger's 10 pt 宋体:
a Chinese character is :data:`CJK_UNITS` column units wide, a line :data:`LINE_HEIGHT` points.

No third-party import: the ledger writer uses this on the button path.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

#: Points per line of 10 pt text.
LINE_HEIGHT = 13.5
#: Column units of one Chinese (or other wide) character; every other character counts 1.
CJK_UNITS = 1.85
#: Characters above this code point count as wide (CJK radicals onwards).
_WIDE_FROM = 0x2E7F
#: Column units a wrapped cell loses to its margins (row_height).
CELL_MARGIN = 2.5
#: Share of a merged area's width a wrapped note fills (text_height).
MERGED_FILL = 0.95


def text_units(text: str, *, cjk: float = CJK_UNITS) -> float:
    """Width of ``text`` on one line, in Excel column units (a wide character counts ``cjk``)."""
    return sum(cjk if ord(ch) > _WIDE_FROM else 1.0 for ch in text)


def wrapped_lines(
    text: str, width: float, *, margin: float = CELL_MARGIN, cjk: float = CJK_UNITS, whole_units: bool = False
) -> int:
    """Lines ``text`` takes wrapped in a column ``width`` units wide, of which ``margin`` is not used
    (at least one unit is); each line break starts a line.  ``whole_units``: only whole units of the
    usable width count (the print tables' estimate)."""
    usable = max(width - margin, 1.0)
    if whole_units:
        usable = int(usable)
    return sum(max(1, math.ceil(text_units(part, cjk=cjk) / usable)) for part in str(text).split("\n"))


def row_height(cells: Iterable[tuple[str, float]], *, min_lines: int = 1, line: float = LINE_HEIGHT) -> float:
    """Row height (points) for wrapped ``(text, column width)`` cells, at least ``min_lines`` lines."""
    lines = min_lines
    for text, width in cells:
        if text:
            lines = max(lines, wrapped_lines(text, width))
    return lines * line + 4


def text_height(text: str, width: float, *, line: float = LINE_HEIGHT, pad: float = 5.0) -> float:
    """Row height (points) that shows ``text`` wrapped in ``width`` characters (merged cells)."""
    return wrapped_lines(text, width * MERGED_FILL, margin=0.0) * line + pad


__all__ = ["CJK_UNITS", "LINE_HEIGHT", "row_height", "text_height", "text_units", "wrapped_lines"]
