"""Writing into the workbook open in Excel (xlwings): result blocks, status colours, findings marked.

Everything the buttons put in the open ledger goes through here, in bulk: one range write per block
(``ledger.result_blocks`` — the same blocks the command line's openpyxl writer lays out), status
words coloured per contiguous run, the tables' header rows shaded, print areas set; on a group
sheet, findings as a fill and a note per input cell, cleared on the next run.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .cells import a1_base1, split_base1
from .errors import UsageError
from .findings import severity_word
from .glossary import FILL_HEADER, SHEET_FINDINGS, SHEET_SUMMARY, SHEET_TABLES
from .layout import OUTPUT_HEADER_ROW, SUMMARY_FIRST_ROW
from .ledger import WORD_FILLS, progress_blocks
from .safeio import safe_cell_text
from .workbook import INPUT_FILL

if TYPE_CHECKING:
    from xlwings import Book, Sheet

    from .findings import Finding
    from .model import Consolidation

#: Fill of a cell with a finding: errors red, warnings orange (the input shade is gold).
MARK_FILLS: dict[str, str] = {"error": "#FF9B9B", "warning": "#F4B084"}
#: Columns of the result tables whose words are coloured (ledger.WORD_FILLS), by header text.
COLOURED_HEADERS: frozenset[str] = frozenset({"状态", "报送情况", "级别", "预警等级", "留档等级", "反馈情况"})


def _cell_value(value: Any) -> Any:
    """A value as written through Excel: text always stays text.

    Excel (COM and Office.js alike) parses what is written as if typed: ``27-1`` would become a
    date, ``=…`` a formula.  A leading apostrophe makes it text and is not part of the value.
    """
    if isinstance(value, str):
        text = safe_cell_text(value)
        return "'" + text if text else None
    return value


def write_values(sheet: Sheet, top_left: str, rows: list[list[Any]]) -> None:
    """One range write: ``rows`` (padded to a rectangle) with ``top_left`` as their first cell."""
    width = max((len(r) for r in rows), default=0)
    if not rows or not width:
        return
    row, col = split_base1(top_left)
    values = [[_cell_value(v) for v in r] + [None] * (width - len(r)) for r in rows]
    sheet.range((row, col), (row + len(rows) - 1, col + width - 1)).value = values


def clear_area(sheet: Sheet, first_row: int, last_col: int) -> None:
    """Clear values, fills and merges from ``first_row`` to the last used row (a shorter result
    must not leave old rows behind)."""
    last = sheet.used_range.last_cell
    if last.row < first_row:
        return
    area = sheet.range((first_row, 1), (last.row, max(last.column, last_col)))
    area.unmerge()
    area.clear_contents()
    area.color = None
    with contextlib.suppress(NotImplementedError, AttributeError):  # xlwings < 0.37.1 has no borders
        area.borders.line_style = None


def format_table(sheet: Sheet, top_left: str, rows: list[list[Any]]) -> None:
    """Grid lines and wrapped text on a table block (a header row and its rows), rows fitted to the text."""
    width = max((len(r) for r in rows), default=0)
    if len(rows) < 2 or width < 2:
        return
    row, col = split_base1(top_left)
    table = sheet.range((row, col), (row + len(rows) - 1, col + width - 1))
    with contextlib.suppress(NotImplementedError, AttributeError):
        table.borders.line_style = "continuous"
    table.wrap_text = True
    table.rows.autofit()


def colour_words(sheet: Sheet, top_left: str, rows: list[list[Any]], fills: dict[str, str]) -> None:
    """Colour the word cells of a block: columns whose header (the block's first row) is in
    :data:`COLOURED_HEADERS`, one fill per contiguous run of the same colour."""
    if not rows:
        return
    row0, col0 = split_base1(top_left)
    for j, header in enumerate(rows[0]):
        if header not in COLOURED_HEADERS:
            continue
        colours = [fills.get(r[j]) if j < len(r) and isinstance(r[j], str) else None for r in rows[1:]]
        for start, stop, colour in _runs(colours):
            if colour:
                sheet.range((row0 + 1 + start, col0 + j), (row0 + stop, col0 + j)).color = "#" + colour


def _runs(items: list[Any]) -> Iterable[tuple[int, int, Any]]:
    """``(start, stop, item)`` for each run of equal consecutive items."""
    start = 0
    for i in range(1, len(items) + 1):
        if i == len(items) or items[i] != items[start]:
            yield start, i, items[start]
            start = i


def write_result_blocks(book: Book, blocks: dict[str, list[tuple[str, list[list[Any]]]]]) -> None:
    """Write ``ledger.result_blocks`` into the open book: old rows cleared, one write per block,
    status words coloured, the tables' header rows shaded, print areas set."""
    for name, items in blocks.items():
        if name not in book.sheet_names:
            continue
        sheet = book.sheets[name]
        width = max(split_base1(top_left)[1] - 1 + len(r) for top_left, rows in items for r in rows)
        first = SUMMARY_FIRST_ROW if name == SHEET_SUMMARY else OUTPUT_HEADER_ROW + 1
        clear_area(sheet, first, width)
        last_row = first
        for top_left, rows in items:
            write_values(sheet, top_left, rows)
            colour_words(sheet, top_left, rows, WORD_FILLS)
            format_table(sheet, top_left, rows)
            row, col = split_base1(top_left)
            last_row = max(last_row, row + len(rows) - 1)
            if name == SHEET_FINDINGS and row > OUTPUT_HEADER_ROW + 1 and len(rows) > 1:
                header = rows[1]  # the findings table: its title, then its own header row
                sheet.range((row + 1, col), (row + 1, col + len(header) - 1)).color = "#" + FILL_HEADER
        _print_area(sheet, last_row, width)


def _print_area(sheet: Sheet, last_row: int, last_col: int) -> None:
    with contextlib.suppress(NotImplementedError):
        sheet.page_setup.print_area = f"A1:{a1_base1(last_row, last_col)}"


def write_progress_sheet(book: Book, c: Consolidation, levels: dict[str, str] | None = None) -> None:
    """Refresh the ledger's printable 进度表 sheet for ``c`` (``ledger.progress_blocks``); ``levels``
    (indicator id → 督办 level word) adds a 预警等级 column after the table."""
    if SHEET_TABLES not in book.sheet_names:
        return
    write_result_blocks(book, {SHEET_TABLES: progress_blocks(c, levels)})


# --- findings on a group sheet --------------------------------------------------------------


def rectangles(cells: Iterable[str]) -> list[tuple[int, int, int, int]]:
    """Cover a set of A1 cells with rectangles ``(row0, col0, row1, col1)``: runs along each row,
    then equal runs on consecutive rows merged (a table's input columns become one rectangle)."""
    by_row: dict[int, list[int]] = {}
    for cell in cells:
        row, col = split_base1(cell)
        by_row.setdefault(row, []).append(col)
    spans: list[tuple[int, int, int]] = []
    for row in sorted(by_row):
        cols = sorted(by_row[row])
        start = prev = cols[0]
        for nxt in [*cols[1:], None]:
            if nxt is not None and nxt == prev + 1:
                prev = nxt
                continue
            spans.append((row, start, prev))
            if nxt is not None:
                start = prev = nxt
    out: list[list[int]] = []
    open_: dict[tuple[int, int], list[int]] = {}
    for row, c0, c1 in spans:
        rect = open_.get((c0, c1))
        if rect is not None and rect[2] == row - 1:
            rect[2] = row
        else:
            rect = [row, c0, row, c1]
            out.append(rect)
            open_[(c0, c1)] = rect
    return [(r0, c0, r1, c1) for r0, c0, r1, c1 in out]


def _noted(sheet: Sheet, cells: set[str]) -> set[str]:
    """Which of ``cells`` hold a note (desktop: the sheet's comments; remote: the payload's list)."""
    try:
        found = {n.location.address.replace("$", "") for n in sheet.notes}
        return found & cells
    except NotImplementedError:
        return {cell for cell in cells if sheet.range(cell).note is not None}


def clear_marks(sheet: Sheet, input_cells: set[str], *, password: str | None = None) -> None:
    """Undo the previous run's marks: the input shade back on every input cell, their notes deleted.

    Marks only ever go on input cells (the builder's own notes sit on locked cells and stay).  A
    protected sheet is first opened to macros (:func:`_allow_edits`): protection set by a macro is
    not saved with the file, so after the ledger is reopened the notes are protected again.
    """

    _allow_edits(sheet, password)
    for r0, c0, r1, c1 in rectangles(input_cells):
        sheet.range((r0, c0), (r1, c1)).color = INPUT_FILL
    for cell in sorted(_noted(sheet, input_cells), key=split_base1):
        note = sheet.range(cell).note
        if note is not None:
            note.delete()


def mark_findings(
    sheet: Sheet, findings: list[Finding], input_cells: set[str], *, password: str | None = None
) -> list[str]:
    """Fill and annotate every input cell with findings (one note per cell); return the cells marked.

    Findings on other cells (or on none) are reported in the message box only.
    """
    by_cell: dict[str, list[Finding]] = {}
    for f in findings:
        cell = (f.cell or "").replace("$", "").upper()
        if cell in input_cells:
            by_cell.setdefault(cell, []).append(f)
    _allow_edits(sheet, password)
    for cell, found in sorted(by_cell.items(), key=lambda item: split_base1(item[0])):
        severity = "error" if any(f.severity == "error" for f in found) else "warning"
        rng = sheet.range(cell)
        rng.color = MARK_FILLS[severity]
        text = "\n".join(f"【{severity_word(f.severity)}】{f.message}" for f in found)
        # a client without notes: the fill and the message box still show the finding
        with contextlib.suppress(NotImplementedError, ValueError):
            rng.add_note(text)
    return list(by_cell)


#: ``_meta`` key of the sheet password a ledger was built with (``qyx build-workbook --password``).
META_SHEET_PASSWORD = "sheet_password"
#: Environment variable that overrides it (a password changed by hand in Excel).
ENV_SHEET_PASSWORD = "QYX_SHEET_PASSWORD"


def sheet_password(meta: dict[str, str]) -> str:
    """The sheet password: ``QYX_SHEET_PASSWORD`` if set, else the ledger's own (``_meta``), else none."""
    return os.environ.get(ENV_SHEET_PASSWORD) or meta.get(META_SHEET_PASSWORD, "")


def _allow_edits(sheet: Sheet, password: str | None = None) -> None:
    """Desktop Excel: re-protect a protected sheet for the user interface only, so that the buttons
    may change fills and notes (protection otherwise forbids editing objects).

    Uses the sheet's current protection options and *password* (:func:`sheet_password`).  A
    password that does not fit is a Chinese message, not an internal error.  Nothing to do on
    the remote engine (``api`` is not Excel's object there).
    """
    try:
        api = sheet.api
        protected = bool(api.ProtectContents) if not isinstance(api, dict) else False
    except Exception:  # remote engine: no COM object behind the sheet
        return
    if not protected:
        return
    try:
        p = api.Protection
        api.Protect(
            Password=password or "",
            DrawingObjects=api.ProtectDrawingObjects,
            Contents=True,
            Scenarios=api.ProtectScenarios,
            UserInterfaceOnly=True,
            AllowFormattingCells=p.AllowFormattingCells,
            AllowFormattingColumns=p.AllowFormattingColumns,
            AllowFormattingRows=p.AllowFormattingRows,
            AllowInsertingRows=p.AllowInsertingRows,
            AllowDeletingRows=p.AllowDeletingRows,
            AllowSorting=p.AllowSorting,
            AllowFiltering=p.AllowFiltering,
        )
    except Exception as exc:
        raise UsageError(
            f"“{sheet.name}”表设有保护密码，按钮未能用台账记录的密码打开它（{type(exc).__name__}），无法标注问题。"
            f"请先在“审阅”选项卡点“撤消工作表保护”，再点“校验本表”；或设置环境变量 {ENV_SHEET_PASSWORD} 为该密码。"
        ) from None


__all__ = [
    "COLOURED_HEADERS",
    "ENV_SHEET_PASSWORD",
    "MARK_FILLS",
    "META_SHEET_PASSWORD",
    "clear_area",
    "clear_marks",
    "mark_findings",
    "rectangles",
    "sheet_password",
    "write_progress_sheet",
    "write_result_blocks",
    "write_values",
]
