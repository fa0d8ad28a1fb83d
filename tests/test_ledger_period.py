"""A group typing into the shared ledger reports for the period the office picked in 汇总!C2."""

from __future__ import annotations

from openpyxl import load_workbook

from qyx_excel.consolidate import consolidate
from qyx_excel.intake import read_file
from qyx_excel.layout import SUMMARY_PERIOD_CELL
from qyx_excel.workbook import build_workbook


def _type(ledger, cells):
    wb = load_workbook(ledger, keep_vba=True)
    for (sheet, cell), value in cells.items():
        wb[sheet][cell].value = value
    wb.save(ledger)


def test_ledger_sheets_follow_the_summary_period(tmp_path):
    ledger = build_workbook(tmp_path / "七优享台账.xlsm", year=2024)
    assert {s.period for s in read_file(ledger)} == {None}  # nothing picked yet

    _type(
        ledger,
        {("弱有众扶", "G7"): 12600, ("弱有众扶", "C3"): "胡慧杰", ("汇总", SUMMARY_PERIOD_CELL): "2024-03"},
    )
    march = consolidate("2024-03", ledger)
    assert {g.group: g.accepted for g in march.consolidation.groups}["弱有众扶"]

    # April: the office picks the new month; the group types April's figure into the same sheet
    _type(ledger, {("弱有众扶", "G7"): 12700, ("汇总", SUMMARY_PERIOD_CELL): "2024-04"})
    assert {s.period for s in read_file(ledger)} == {"2024-04"}
    april = consolidate("2024-04", ledger)
    row = next(r for r in april.consolidation.indicators if r.id == "40")
    assert row.value == 12700 and row.source_cell == "弱有众扶!G7"
    # March keeps March's figure: nothing typed for April leaked into it
    again = consolidate("2024-03", ledger, write=False)
    assert next(r for r in again.consolidation.indicators if r.id == "40").value == 12600
