"""The workbook open in Excel as an :class:`intake.SheetSource` (xlwings; desktop or remote engine).

The buttons read the *open* workbook — which may be unsaved — not its file on disk; this module is
the xlwings side of that reading, cells only: one range read per sheet, one cell for 汇总!C2, number
formats asked for the few cells ``intake`` wants to know about.  What the cells mean is ``intake``'s.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .cells import a1_base0

if TYPE_CHECKING:
    from xlwings import Book, Sheet

    from .intake import Grid, Merged


def read_sheet(sheet: Sheet) -> list[list[Any]]:
    """Every value of ``sheet`` from A1 to its last used cell, in one range read (row 0 = row 1)."""
    last = sheet.used_range.last_cell
    rng = sheet.range((1, 1), (max(last.row, 1), max(last.column, 1)))
    try:
        values = rng.options(ndim=2, err_to_str=True).value
    except ValueError:
        # xlwings' remote engine takes any ISO-looking text for a date and fails on text with a
        # UTC offset (``_meta``'s generated_at): the values as the client sent them, then.
        values = rng.raw_value
        values = (
            [[None if v == "" else v for v in row] for row in values] if isinstance(values, list) else values
        )
    if not isinstance(values, (list, tuple)) or (values and not isinstance(values[0], (list, tuple))):
        values = [[values]]
    return [list(row) for row in values or [[None]]]


class OpenBook:
    """An open xlwings :class:`~xlwings.Book` read through ``intake``'s rules.

    Excel has already turned serial numbers into dates (``date1904`` is then moot), shows error
    cells as their text (``#DIV/0!``) and has calculated every formula, so no cell states; merged
    ranges are not asked for (the ledger's input cells are never merged).
    """

    date1904 = False

    def __init__(self, book: Book) -> None:
        self.book = book
        self.name = str(book.name)
        self.sheet_names: list[str] = list(book.sheet_names)

    def grid(self, sheet: str) -> tuple[Grid, Merged]:
        return read_sheet(self.book.sheets[sheet]), []

    def cell(self, sheet: str, row: int, col: int) -> Any:
        return self.book.sheets[sheet].range((row, col)).value

    def cell_states(self, sheet: str) -> tuple[dict[tuple[int, int], str], set[tuple[int, int]]]:
        return {}, set()

    def percent_cells(self, sheet: str, cells: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
        found: set[tuple[int, int]] = set()
        rng_sheet = self.book.sheets[sheet]
        for r, c in cells:
            try:
                number_format = rng_sheet.range(a1_base0(r, c)).number_format
            except NotImplementedError:  # remote engine: formats are not in the payload
                return set()
            if number_format and "%" in str(number_format):
                found.add((r, c))
        return found


__all__ = ["OpenBook", "read_sheet"]
