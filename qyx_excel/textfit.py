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


def text_units(text: str) -> float:
    """Width of ``text`` on one line, in Excel column units."""
    return sum(CJK_UNITS if ord(ch) > _WIDE_FROM else 1.0 for ch in text)


def row_height(cells: Iterable[tuple[str, float]], *, min_lines: int = 1, line: float = LINE_HEIGHT) -> float:
    """Row height (points) for wrapped ``(text, column width)`` cells, at least ``min_lines`` lines."""
    lines = min_lines
    for text, width in cells:
        if text:
            lines = max(lines, sum(max(1, math.ceil(text_units(p) / max(width - CELL_MARGIN, 1.0)))
                                   for p in str(text).split("\n")))
    return lines * line + 4


def text_height(text: str, width: float, *, line: float = LINE_HEIGHT, pad: float = 5.0) -> float:
    """Row height (points) that shows ``text`` wrapped in ``width`` characters (merged cells)."""
    lines = 0
    for part in text.split("\n"):
        lines += max(1, math.ceil(text_units(part) / max(width * MERGED_FILL, 1.0)))
    return lines * line + pad


__all__ = ["CJK_UNITS", "LINE_HEIGHT", "row_height", "text_height", "text_units"]
