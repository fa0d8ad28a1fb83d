"""What a clerk sees printed from the ledger: group sheets keep their header rows on every printed
page, 汇总's result cell has room for its whole text, 校验结果 has no overlapping label and shows
finding codes in Chinese (the code itself in a side column for the maintainer)."""

from __future__ import annotations

import re

import openpyxl
import pytest

from qyx_excel.demo import run_demo
from qyx_excel.glossary import DOMAINS, SHEET_FINDINGS, SHEET_SUMMARY
from qyx_excel.layout import FINDINGS_DETAIL_HEADERS as FINDINGS_COLUMNS
from qyx_excel.layout import OUTPUT_HEADER_ROW, SUMMARY_RESULT, group_layout
from qyx_excel.ledger import FINDINGS_TITLE
from qyx_excel.periods import Period


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    run_demo(out, period=Period(2024, 3, "month"))
    return openpyxl.load_workbook(out / "七优享台账.xlsm", keep_vba=True)


@pytest.mark.parametrize("group", DOMAINS)
def test_task_table_starts_a_printed_page_with_its_own_header(ledger, group):
    ws = ledger[group]
    tasks = group_layout(group).table("tasks")
    assert [b.id for b in ws.row_breaks.brk] == [tasks.section_row - 1]  # break above the 重点任务 title
    assert ws.print_title_rows == "$1:$1"
    assert ws.cell(tasks.header_row, 1).value == "序号"


def test_summary_result_cell_has_room_for_every_line(ledger):
    ws = ledger[SHEET_SUMMARY]
    cell = ws[SUMMARY_RESULT.value_cell]
    lines = str(cell.value).count("\n") + 1
    assert lines >= 2
    row = cell.row
    assert ws.row_dimensions[row].height >= max(4, lines) * 13.5
    assert cell.alignment.vertical == "top" and cell.alignment.wrap_text


def test_findings_label_on_one_line_and_codes_in_chinese(ledger):
    ws = ledger[SHEET_FINDINGS]
    rows = list(ws.iter_rows(min_row=OUTPUT_HEADER_ROW, values_only=True))
    title_at = next(i for i, r in enumerate(rows) if r[0] == FINDINGS_TITLE)
    title = ws.cell(OUTPUT_HEADER_ROW + title_at, 1)
    assert not title.alignment.wrap_text  # it ran into the header row below when wrapped in column A
    assert rows[title_at + 1][: len(FINDINGS_COLUMNS)] == FINDINGS_COLUMNS
    findings = [r for r in rows[title_at + 2 :] if isinstance(r[0], int)]
    assert findings
    code = re.compile(r"^[a-z]+(?:-[a-z]+)+$")
    for r in findings:
        clerk_facing = r[: len(FINDINGS_COLUMNS) - 1]
        assert not any(isinstance(v, str) and code.match(v) for v in clerk_facing), r
        assert code.match(r[len(FINDINGS_COLUMNS) - 1])  # the code, for the maintainer
        assert re.search(r"[\u4e00-\u9fff]", r[2])
