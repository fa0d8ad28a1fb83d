"""The openpyxl writing of the ledger's result sheets (汇总, 晾晒, 校验结果, 进度表, 督办): the cell
styles, loading the ledger (openpyxl without numpy), clearing old rows, a value into a cell, a
header row, a table row, the print area. Shared by :mod:`qyx_excel.ledger` and
:mod:`qyx_excel.supervision` (its own module so neither has to import the other for them).
openpyxl is imported inside the functions: it is heavy and this module is on the CLI's import path.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import glossary
from .cells import letters_base1
from .layout import OUTPUT_HEADER_ROW, stored_width
from .safeio import put_text
from .textfit import row_height

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

FONT = "宋体"


class _Styles:
    """openpyxl style objects, made once per write; :meth:`apply` reuses a finished style per combination.

    Setting ``cell.font`` and friends one by one makes openpyxl search its style lists each time
    (most of the writer's time on a full ledger); copying a cached style array does not.
    """

    def __init__(self) -> None:
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        side = Side(style="thin", color=glossary.LINE_GRID)
        self.border = Border(left=side, right=side, top=side, bottom=side)
        self.font = Font(name=FONT, size=10)
        self.bold = Font(name=FONT, size=10, bold=True)
        self.section = Font(name="黑体", size=11, bold=True)
        self.wrap = Alignment(wrap_text=True, vertical="center", horizontal="left")
        self.center = Alignment(wrap_text=True, vertical="center", horizontal="center")
        self.right = Alignment(vertical="center", horizontal="right")
        self.nowrap = Alignment(wrap_text=False, vertical="center", horizontal="left")
        self.no_fill = PatternFill(fill_type=None)
        self._fills: dict[str, Any] = {}
        self._cache: dict[tuple, Any] = {}
        self.header_fill = self.fill(glossary.FILL_HEADER)

    def fill(self, color: str | None) -> Any:
        from openpyxl.styles import PatternFill

        if not color:
            return self.no_fill
        if color not in self._fills:
            self._fills[color] = PatternFill("solid", fgColor=color)
        return self._fills[color]

    def apply(
        self,
        cell: Any,
        *,
        font: Any,
        alignment: Any,
        border: Any = None,
        fill: Any = None,
        number_format: str = "General",
    ) -> None:
        from copy import copy

        fill = fill if fill is not None else self.no_fill
        key = (id(font), id(alignment), id(border), id(fill), number_format)
        cached = self._cache.get(key)
        if cached is not None:
            cell._style = copy(cached)
            return
        cell.font, cell.alignment, cell.fill, cell.number_format = font, alignment, fill, number_format
        if border is not None:
            cell.border = border
        self._cache[key] = copy(cell._style)


def _load(ledger: Path) -> Any:
    _import_openpyxl_without_numpy()
    from openpyxl import load_workbook

    return load_workbook(ledger, keep_vba=ledger.suffix.lower() == ".xlsm")


def _import_openpyxl_without_numpy() -> None:
    """Import openpyxl without the numpy it would load only to recognise numpy scalars (≈ 60–70 ms,
    a tenth of the 汇总 run). We never hand it numpy values. numpy stays importable afterwards:
    the blocker is removed as soon as openpyxl is in, so pandas in the same process is unaffected."""
    import sys

    if "openpyxl" in sys.modules or "numpy" in sys.modules:
        return
    sys.modules["numpy"] = None  # type: ignore[assignment]  # makes "import numpy" raise ImportError
    try:
        import openpyxl  # noqa: F401
    finally:
        del sys.modules["numpy"]


def _clear(ws: Worksheet, first_row: int) -> None:
    """Remove values, styles and merges from ``first_row`` down."""
    for merged in list(ws.merged_cells.ranges):
        if merged.min_row >= first_row:
            ws.merged_cells.remove(merged)
    if ws.max_row >= first_row:
        ws.delete_rows(first_row, ws.max_row - first_row + 1)
    for r in list(ws.row_dimensions):
        if r >= first_row:
            del ws.row_dimensions[r]


def _put(cell: Any, value: Any) -> None:
    """A value into a cell: text stays text (never a formula), numbers stay numbers."""

    if value is None or value == "":
        cell.value = None
    elif isinstance(value, str):
        put_text(cell, value)
    else:
        cell.value = value


def _header_row(
    ws: Worksheet, row: int, names: list[str], st: _Styles, widths: list[float] | None = None
) -> None:
    for col, name in enumerate(names, start=1):
        cell = ws.cell(row, col)
        _put(cell, name)
        st.apply(cell, font=st.bold, alignment=st.center, border=st.border, fill=st.header_fill)
    for col in range(len(names) + 1, ws.max_column + 1):  # a wider old header must not linger
        ws.cell(row, col).value = None
    if widths:
        for col, width in enumerate(widths, start=1):
            ws.column_dimensions[letters_base1(col)].width = stored_width(width)


def _data_row(
    ws: Worksheet,
    row: int,
    values: list[Any],
    st: _Styles,
    *,
    centered: set[int],
    numbers: set[int],
    widths: list[float] | None = None,
    fills: dict[int, str | None] | None = None,
    bold: set[int] | frozenset[int] = frozenset(),
    formats: dict[int, str] | None = None,
) -> None:
    """One table row: values, grid, alignment; ``fills`` colour status cells (the word stays in them)."""
    for col, value in enumerate(values, start=1):
        cell = ws.cell(row, col)
        if isinstance(value, float) and col in numbers:
            value = round(value, 4)
        _put(cell, value)
        alignment = st.center if col in centered else (st.right if col in numbers else st.wrap)
        st.apply(
            cell,
            font=st.bold if col in bold else st.font,
            alignment=alignment,
            border=st.border,
            fill=st.fill((fills or {}).get(col)),
            number_format=(formats or {}).get(col, "General"),
        )
    if widths:  # LibreOffice and printing do not grow rows to fit wrapped text
        texts = [(v, w) for v, w in zip(values, widths, strict=False) if isinstance(v, str) and v]
        height = row_height(texts)
        if height > 18:
            ws.row_dimensions[row].height = height


def _print_area(ws: Worksheet, last_row: int, last_col: int) -> None:
    ws.print_area = f"A1:{letters_base1(last_col)}{max(last_row, OUTPUT_HEADER_ROW)}"
