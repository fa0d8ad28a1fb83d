"""A ledger per year: build-workbook --year, the year read back, and new-year carrying the office's settings."""

from __future__ import annotations

import re
import zipfile
from datetime import datetime

import openpyxl
import pytest
from python_calamine import CalamineWorkbook
from xlwings_harness import apply_actions, book_payload  # sets XLWINGS_LICENSE_KEY before xlwings loads

from qyx_excel.checks import check_submission
from qyx_excel.cli import main
from qyx_excel.errors import UsageError
from qyx_excel.intake import read_adjustments, read_file
from qyx_excel.layout import ADJUSTMENT_HEADERS, SUMMARY_INBOX_CELL, SUMMARY_PERIOD_CELL, group_layout
from qyx_excel.newyear import new_year
from qyx_excel.submission import META_SHEET
from qyx_excel.workbook import SHEET_CATALOGUE, build_workbook


def _meta(path) -> dict[str, str]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(META_SHEET).to_python()
    return {str(r[0]): str(r[1]) for r in rows if r and r[0]}


def _cell(path, sheet: str, address: str):
    wb = openpyxl.load_workbook(path, read_only=True)
    return wb[sheet][address].value


def _hashes(path) -> set[str]:
    with zipfile.ZipFile(path) as z:
        return {
            m.group(1)
            for n in z.namelist()
            if n.startswith("xl/worksheets/sheet")
            for m in [re.search(r'sheetProtection[^>]*password="(\w+)"', z.read(n).decode())]
            if m
        }


def _office_edits(ledger, rows, inbox: str) -> None:
    wb = openpyxl.load_workbook(ledger, keep_vba=True)
    ws = wb[SHEET_CATALOGUE]
    first = next(r[0].row for r in ws.iter_rows() if tuple(c.value for c in r[:7]) == ADJUSTMENT_HEADERS) + 1
    for i, (ind, year, text, when, doc, reason) in enumerate(rows):
        for col, value in zip((1, 2, 4, 5, 6, 7), (ind, year, text, when, doc, reason), strict=True):
            ws.cell(first + i, col, value)
    wb["汇总"][SUMMARY_INBOX_CELL].value = inbox
    wb.save(ledger)


def test_2027_ledger_from_2026_carries_adjustment_inbox_and_password(tmp_path):
    old = build_workbook(tmp_path / "七优享台账.xlsm", year=2026, password="qyx2026", backup=False)
    _office_edits(
        old,
        [
            ("1", 2027, "5.6", datetime(2026, 11, 20), "瑞政办〔2026〕8号", "上级下达2027年目标"),
            ("13", 2026, "<5.5", None, "温政办〔2026〕3号", ""),
        ],
        inbox=r"D:\七优享\收件箱",
    )
    new, info = new_year(old, tmp_path / "七优享台账2027.xlsm", password="qyx2026")
    assert info.year == 2026
    assert _meta(new)["target_year"] == "2027"
    # the register carried, and the 2027 adjustment shown as 本年目标 on the group sheet
    assert read_adjustments(new) == read_adjustments(old)
    assert read_adjustments(new)[("1", 2027)].document == "瑞政办〔2026〕8号"
    target_cell = group_layout("幼有善育").table("indicators").cell("1", "本年目标")
    assert _cell(new, "幼有善育", target_cell) == "5.6"
    assert _cell(new, "汇总", SUMMARY_INBOX_CELL) == r"D:\七优享\收件箱"
    assert _hashes(new) == _hashes(old) and len(_hashes(new)) == 1
    # the new ledger's own sheet, filled for 2027, is checked against 2027's (adjusted) targets
    subs = [s for s in read_file(new) if s.group == "幼有善育"]
    assert subs[0].target_year == 2027
    codes = {f.code for f in check_submission(subs[0], period="2027-03", adjustments=read_adjustments(new))}
    assert not codes & {"protected-changed", "period-year-mismatch"}


def test_new_year_refusals(tmp_path):
    last = build_workbook(tmp_path / "台账2027.xlsm", year=2027, backup=False)
    with pytest.raises(UsageError, match="2027年台账已是最后一年，不再生成2028年台账"):
        new_year(last, tmp_path / "台账2028.xlsm")
    old = build_workbook(tmp_path / "台账2026.xlsm", year=2026, password="pw", backup=False)
    with pytest.raises(UsageError, match="请用 --password 给出"):
        new_year(old, tmp_path / "台账2027b.xlsm")
    with pytest.raises(UsageError, match=r"与旧台账.*保护密码不符"):
        new_year(old, tmp_path / "台账2027b.xlsm", password="wrong")
    with pytest.raises(UsageError, match="不能覆盖旧台账"):
        new_year(old, old, password="pw")
    (tmp_path / "elsewhere").mkdir()
    with pytest.raises(UsageError, match="请放在旧台账所在的文件夹"):
        new_year(old, tmp_path / "elsewhere" / "台账2027.xlsm", password="pw")
    assert not (tmp_path / "台账2027b.xlsm").exists()


def test_a_2026_ledger_filled_for_a_2027_period_names_both_years(tmp_path):
    ledger = build_workbook(tmp_path / "七优享台账.xlsm", year=2026, backup=False)
    wb = openpyxl.load_workbook(ledger, keep_vba=True)
    wb["汇总"][SUMMARY_PERIOD_CELL].value = "2027-03"
    wb.save(ledger)
    sub = next(s for s in read_file(ledger) if s.group == "弱有众扶")
    assert (sub.period, sub.target_year) == ("2027-03", 2026)
    findings = check_submission(sub, period="2027-03")
    codes = [f.code for f in findings]
    assert "protected-changed" not in codes  # the clerk changed nothing
    year = next(f for f in findings if f.code == "period-year-mismatch")
    assert "2026 年" in year.message and "2027 年" in year.message and "qyx new-year" in year.message
    assert "这不是填报的错" in year.message


def test_build_workbook_year_option_and_refusal(tmp_path, capsys):
    assert main(["build-workbook", "--year", "2025", "--out", str(tmp_path / "a.xlsm")]) == 0
    assert _meta(tmp_path / "a.xlsm")["target_year"] == "2025"
    assert "已生成2025年台账" in capsys.readouterr().err
    assert main(["build-workbook", "--year", "2028", "--out", str(tmp_path / "b.xlsm")]) == 2
    assert "方案期已结束" in capsys.readouterr().err and not (tmp_path / "b.xlsm").exists()


def test_check_sheet_button_names_both_years(tmp_path, monkeypatch):
    """The 校验本表 button on a 2026 ledger whose 汇总 period is 2027-03 (xlwings remote engine)."""
    import xlwings as xw  # imported here, after the harness (module top) enabled the remote engine

    from qyx_excel import buttons

    ledger = build_workbook(tmp_path / "七优享台账.xlsm", year=2026, backup=False)
    wb = openpyxl.load_workbook(ledger, keep_vba=True)
    wb["汇总"][SUMMARY_PERIOD_CELL].value = "2027-03"
    wb.save(ledger)
    monkeypatch.setenv(buttons.ENV_WORKBOOK_DIR, str(tmp_path))
    book = xw.Book(json=book_payload(ledger, active_sheet="弱有众扶"))
    book.set_mock_caller()
    try:
        line = buttons.check_sheet()
    finally:
        del xw.Book._mock_caller
    (tmp_path / "after").mkdir()
    alerts = apply_actions(ledger, book.json()["actions"], tmp_path / "after" / ledger.name)
    prompt = alerts[0]["prompt"]
    assert "2027年3月" in line and "本台账是 2026 年的" in prompt and "2027 年" in prompt
    assert "请勿修改指标名称" not in prompt
