"""Run button code on xlwings' real remote engine, from and back to a real workbook file.

``book_payload(path)`` builds the JSON an Office.js client sends (every sheet's values, notes),
``xw.Book(json=payload)`` runs our button function on it, and ``apply_actions`` replays the
returned actions onto a copy of the file with openpyxl, so tests can reopen what a clerk sees.
No part of xlwings is faked: the engine and its action list are xlwings' own.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day).isoformat()
    return value


def book_payload(path: Path, active_sheet: str | None = None) -> dict[str, Any]:
    """The remote engine's book JSON for a file: values (as Excel shows them) and notes."""
    wb = openpyxl.load_workbook(path, data_only=True, keep_vba=path.suffix == ".xlsm")
    sheets = []
    for ws in wb.worksheets:
        rows = [[_json_value(c) for c in row] for row in ws.iter_rows(values_only=True)] or [[None]]
        width = max(len(r) for r in rows)
        rows = [list(r) + [None] * (width - len(r)) for r in rows]
        notes = [{"address": c.coordinate} for row in ws.iter_rows() for c in row if c.comment is not None]
        visibility = {"visible": "Visible", "hidden": "Hidden", "veryHidden": "VeryHidden"}[ws.sheet_state]
        sheets.append(
            {
                "name": ws.title,
                "values": rows,
                "pictures": [],
                "tables": [],
                "notes": notes,
                "visibility": visibility,
            }
        )
    names = wb.sheetnames
    active = names.index(active_sheet) if active_sheet else 0
    import xlwings

    return {
        "client": "Office.js",
        "version": xlwings.__version__,
        "book": {"name": path.name, "active_sheet_index": active, "selection": "A1"},
        "names": [],
        "sheets": sheets,
    }


def _hex_fill(color: str | None) -> PatternFill:
    if not color:
        return PatternFill(fill_type=None)
    return PatternFill("solid", fgColor=color.lstrip("#").upper())


def apply_actions(path: Path, actions: list[dict[str, Any]], out: Path) -> list[dict[str, Any]]:
    """Replay xlwings actions onto ``path`` with openpyxl, saving to ``out``; returns the alerts."""
    wb = openpyxl.load_workbook(path, keep_vba=path.suffix == ".xlsm")
    alerts = []
    for action in actions:
        func = action["func"]
        if func == "alert":
            alerts.append({"prompt": action["args"][0], "title": action["args"][1]})
            continue
        if func == "addSheet":  # args: [index, name]
            wb.create_sheet(action["args"][1], action["args"][0])
            continue
        if func == "activateSheet":
            index = action["args"]
            wb.active = index[0] if isinstance(index, list) else index
            continue
        if action.get("sheet_position") is None:
            continue
        ws = wb.worksheets[action["sheet_position"]]
        if func == "setPrintArea":
            ws.print_area = action["args"][0]
            continue
        r0, c0 = action["start_row"] + 1, action["start_column"] + 1
        nrows, ncols = action["row_count"], action["column_count"]
        cells = [ws.cell(row=r, column=c) for r in range(r0, r0 + nrows) for c in range(c0, c0 + ncols)]
        if func == "setValues":
            tails = merged_tails(ws)
            for i, row in enumerate(action["values"]):
                for j, value in enumerate(row):
                    if (r0 + i, c0 + j) in tails:
                        raise AssertionError(f"{ws.title}!{column(c0 + j)}{r0 + i} is inside a merged range")
                    cell = ws.cell(row=r0 + i, column=c0 + j)
                    if value == "":
                        cell.value = None  # Excel: writing "" empties the cell
                    elif isinstance(value, str) and value.startswith("'"):
                        cell.value = value[1:]  # Excel: a leading apostrophe makes text, not part of it
                        cell.data_type = "s"
                    elif isinstance(value, str) and value.startswith("="):
                        raise AssertionError(f"a formula would be written: {value!r}")
                    else:
                        cell.value = value
        elif func == "setRangeColor":
            for cell in cells:
                if not isinstance(cell, MergedCell):
                    cell.fill = _hex_fill(action["args"][0] if action["args"] else None)
        elif func in ("rangeClearContents", "rangeClear"):
            for cell in cells:
                if not isinstance(cell, MergedCell):
                    cell.value = None
        elif func == "rangeUnmerge":
            for merged in list(ws.merged_cells.ranges):
                if (
                    merged.min_row >= r0
                    and merged.max_row < r0 + nrows
                    and merged.min_col >= c0
                    and merged.max_col < c0 + ncols
                ):
                    ws.unmerge_cells(str(merged))
        elif func == "addNote":
            address, text = action["args"]
            ws[address.replace("$", "").split("!")[-1]].comment = Comment(text, "qyx")
        elif func == "deleteNote":
            ws[action["args"][0].replace("$", "").split("!")[-1]].comment = None
        elif func in (
            "setAutofit",
            "setWrapText",
            "setNumberFormat",
            "setColumnWidth",
            "setRowHeight",
            "setBorderProperty",
        ):  # formatting only: values, fills and notes are what is checked
            continue
        else:
            raise AssertionError(f"action not replayed by the harness: {func}")
    wb.save(out)
    return alerts


def merged_tails(ws: Any) -> set[tuple[int, int]]:
    """Cells inside a merged range other than its top-left one (Excel refuses to write there)."""
    return {
        (r, c)
        for merged in ws.merged_cells.ranges
        for r in range(merged.min_row, merged.max_row + 1)
        for c in range(merged.min_col, merged.max_col + 1)
        if (r, c) != (merged.min_row, merged.min_col)
    }


def column(n: int) -> str:
    return get_column_letter(n)
