"""The four buttons on xlwings' real remote engine, from and back to a real ledger file.

A ledger is built (``workbook.build_workbook``) and filled with openpyxl as the groups would fill it
(``sample.group_fill``); one group's file comes through the inbox (``distribute`` + ``sample.fill_file``).
The button functions run on ``xw.Book(json=...)`` made from that file (client Office.js, with notes),
and the actions they return are replayed onto a copy with ``tests.xlwings_harness``; the copy is then
reopened to check what a clerk sees.  Nothing of xlwings is faked.
"""

from __future__ import annotations

import itertools
import shutil
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from xlwings_harness import apply_actions, book_payload  # sets XLWINGS_LICENSE_KEY before xlwings loads

from qyx_excel import buttons
from qyx_excel.glossary import GROUPS, SHEET_FINDINGS, SHEET_RANKING, SHEET_SUMMARY, SHEET_TABLES
from qyx_excel.layout import (
    OUTPUT_HEADER_ROW,
    SUMMARY_HEADER_ROW,
    SUMMARY_INBOX_CELL,
    SUMMARY_PERIOD_CELL,
    SUMMARY_RESULT,
    TABLES_HEADERS,
)
from qyx_excel.ledger import SUMMARY_COLUMNS, WORD_FILLS
from qyx_excel.periods import parse_period
from qyx_excel.sample import GroupFill, fill_file, group_fill

MARCH = parse_period("2024-03")
BROKEN = "住有宜居"  # types 120 into a % cell and text into a number cell: refused
MISSING = "弱有众扶"  # leaves its sheet empty and sends nothing
BY_INBOX = "重大项目"  # sends a fill-in file instead of typing into the ledger
_PRESSES = itertools.count(1)
FORMULA_NOTE = '=HYPERLINK("http://x")是说明'  # a note that must stay text everywhere


# ================================================================================================
# Fixtures: a ledger filled as people fill it
# ================================================================================================


def type_into_ledger(path: Path, fills: dict[str, GroupFill], summary: dict[str, Any] | None = None) -> None:
    """Type ``fills`` into the ledger's group sheets with openpyxl (cells found as intake finds them)."""
    from datetime import date

    from qyx_excel import intake

    subs = {s.sheet: s for s in intake.read_file(path)}
    wb = openpyxl.load_workbook(path, keep_vba=True)
    for group, fill in fills.items():
        ws, sub = wb[group], subs[group]
        for label, value in fill.header.items():
            if sub.header_cells.get(label):
                ws[sub.header_cells[label]].value = value
                if isinstance(value, date):
                    ws[sub.header_cells[label]].number_format = "yyyy-mm-dd"
        for ind_id, (value, source, note) in fill.indicators.items():
            entry = sub.indicators[ind_id]
            ws[entry.value_cell].value = value
            ws[entry.cells["数据来源"]].value = source or None
            ws[entry.note_cell].value = note or None
            if isinstance(note, str) and note.startswith("="):
                ws[entry.note_cell].data_type = "s"  # typed as text (Excel: a leading apostrophe)
        for task_id, values in fill.tasks.items():
            entry = sub.tasks[task_id]
            for header, value in zip(("本期进展", "完成情况", "存在问题", "下步计划"), values, strict=True):
                ws[entry.cells[header]].value = value or None
        for app in sub.applications:
            if app.number in fill.applications:
                for header, value in zip(
                    ("贯通状态", "本期进展", "存在问题"), fill.applications[app.number], strict=True
                ):
                    ws[app.cells[header]].value = value or None
    for cell, value in (summary or {}).items():
        wb[SHEET_SUMMARY][cell].value = value
    wb.save(path)


@pytest.fixture(scope="module")
def month(tmp_path_factory) -> Path:
    """A folder with the ledger (six groups typed in, one broken, one empty) and an inbox file."""
    from qyx_excel.distribute import distribute
    from qyx_excel.workbook import build_workbook

    root = tmp_path_factory.mktemp("buttons")
    ledger = build_workbook(root / "七优享台账.xlsm", year=2024)
    fills = {g: group_fill(g, MARCH, broken=g == BROKEN) for g in GROUPS if g not in (MISSING, BY_INBOX)}
    fills["幼有善育"].indicators["1"] = (*fills["幼有善育"].indicators["1"][:2], FORMULA_NOTE)
    type_into_ledger(ledger, fills, {SUMMARY_PERIOD_CELL: "2024-03"})
    inbox = root / "收件箱"
    (sent,) = distribute(MARCH, inbox, groups=(BY_INBOX,))
    fill_file(sent, BY_INBOX, group_fill(BY_INBOX, MARCH))
    return root


@pytest.fixture
def work(month, tmp_path, monkeypatch) -> Path:
    """A fresh copy of the month's folder; the remote engine's workbook folder points there."""
    folder = tmp_path / "台账"
    shutil.copytree(month, folder)
    monkeypatch.setenv(buttons.ENV_WORKBOOK_DIR, str(folder))
    return folder


def press(
    func, path: Path, sheet: str, out: Path | None = None
) -> tuple[Any, list[dict[str, Any]], Path, list]:
    """Press a button on ``path`` opened at ``sheet``, the documented way (``set_mock_caller``).

    Returns (the function's return value, the alerts, the file with the actions applied, the actions).
    """
    import xlwings as xw  # imported here, after the harness enabled the remote engine

    book = xw.Book(json=book_payload(path, active_sheet=sheet))
    book.set_mock_caller()
    try:
        returned = func()
    finally:
        del xw.Book._mock_caller  # the next test sets its own
    actions = book.json()["actions"]
    if out is None:  # same file name (the book's name is the archived submissions' name), new folder
        folder = path.parent / f"after-{func.__name__}-{next(_PRESSES)}"
        folder.mkdir()
        out = folder / path.name
    alerts = apply_actions(path, actions, out)
    return returned, alerts, out, actions


def rows_of(ws, first_row: int) -> list[tuple]:
    return [r for r in ws.iter_rows(min_row=first_row, values_only=True) if any(v is not None for v in r)]


def fill_of(cell) -> str:
    return (cell.fill.fgColor.rgb or "")[-6:].upper() if cell.fill and cell.fill.fill_type else ""


def assert_vba_kept(path: Path) -> None:
    from oletools.olevba import VBA_Parser

    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None and "xl/vbaProject.bin" in z.namelist()
    parser = VBA_Parser(str(path))
    try:
        code = "\n".join(src for _, _, _, src in parser.extract_macros())
    finally:
        parser.close()
    assert "Sub QyxConsolidate" in code and "Sub QyxCheckSheet" in code


# ================================================================================================
# 汇总
# ================================================================================================


def test_consolidate_writes_what_the_cli_writes(work):
    from qyx_excel.consolidate import consolidate

    ledger = work / "七优享台账.xlsm"
    line, alerts, out, actions = press(buttons.consolidate, ledger, SHEET_SUMMARY)
    # one range write per block, not cell by cell (15, and six for 汇总's 预警等级 column and the 督办 sheet)
    writes = [a for a in actions if a["func"] == "setValues"]
    assert len(writes) <= 21 and max(a["row_count"] for a in writes) >= 48
    prompt = alerts[0]["prompt"]
    assert prompt.startswith("2024年3月汇总完成")
    assert (
        f"被退回 1 个：{BROKEN}" in prompt
        and f"未报送 1 个：{MISSING}" in prompt
        and "请保存本台账" in prompt
    )
    wb = openpyxl.load_workbook(out, keep_vba=True)
    summary = wb[SHEET_SUMMARY]
    result = summary[SUMMARY_RESULT.value_cell].value
    assert result == line and "2024年3月汇总完成" in result and "\n" not in result
    rows = rows_of(summary, SUMMARY_HEADER_ROW)
    assert list(rows[0])[: len(SUMMARY_COLUMNS)] == [name for name, _ in SUMMARY_COLUMNS]
    col = {name: i for i, (name, _) in enumerate(SUMMARY_COLUMNS)}
    body = rows[1:]
    assert len(body) == 47 and body[0][0] == "1" and any(r[0] == "27-1" for r in body)  # ids stay text
    status_col = col["状态"] + 1
    for r in range(SUMMARY_HEADER_ROW + 1, SUMMARY_HEADER_ROW + 48):
        cell = summary.cell(r, status_col)
        assert fill_of(cell) == WORD_FILLS[cell.value]
    first = body[0]
    assert (
        first[col["进展情况说明"]] == FORMULA_NOTE
        and summary.cell(SUMMARY_HEADER_ROW + 1, col["进展情况说明"] + 1).data_type == "s"
    )
    assert first[col["来源文件"]] == "七优享台账.xlsm" and first[col["来源单元格"]] == "幼有善育!G7"
    reporting = {r[2]: r for r in rows_of(wb[SHEET_FINDINGS], OUTPUT_HEADER_ROW)[1:10]}
    assert reporting[BROKEN][1] == "已退回" and reporting[MISSING][1] == "未报送"
    assert reporting[BY_INBOX][1] == "已受理" and reporting[BY_INBOX][4] == "2024-03_重大项目.xlsx"
    broken_row = next(
        r
        for r in range(OUTPUT_HEADER_ROW + 1, OUTPUT_HEADER_ROW + 10)
        if wb[SHEET_FINDINGS].cell(r, 3).value == BROKEN
    )
    assert fill_of(wb[SHEET_FINDINGS].cell(broken_row, 2)) == WORD_FILLS["已退回"]
    findings = rows_of(wb[SHEET_FINDINGS], OUTPUT_HEADER_ROW)
    # the group of a finding in the ledger is its sheet's, though all nine sheets share the file
    assert any(
        r[2] == "百分比超出范围"
        and r[3] == BROKEN
        and r[5] == BROKEN
        and r[6] == "G7"
        and r[9] == "value-percent-range"
        for r in findings
    )  # the clerk reads Chinese; the code at the side
    tables = rows_of(wb[SHEET_TABLES], OUTPUT_HEADER_ROW)
    assert list(tables[0][: len(TABLES_HEADERS)]) == list(TABLES_HEADERS) and len(tables) == 48
    assert wb[SHEET_TABLES].print_area is not None
    wb.close()
    assert_vba_kept(out)

    # the command line, on the same file, writes the same tables
    cli = work.parent / "cli"
    shutil.copytree(work, cli, ignore=shutil.ignore_patterns("历史库", "after-*"))
    consolidate(MARCH, cli / ledger.name, inbox=cli / "收件箱")
    theirs = openpyxl.load_workbook(cli / ledger.name)
    ours = openpyxl.load_workbook(out)
    for name in (SHEET_SUMMARY, SHEET_RANKING, SHEET_FINDINGS, SHEET_TABLES):
        first_row = SUMMARY_HEADER_ROW if name == SHEET_SUMMARY else OUTPUT_HEADER_ROW
        a, b = rows_of(ours[name], first_row), rows_of(theirs[name], first_row)
        if name == SHEET_FINDINGS:  # received times: the file's mtime for the CLI, now for the button
            a, b = [r[:5] + r[6:] for r in a], [r[:5] + r[6:] for r in b]
        assert a == b, name


def test_second_run_leaves_no_stale_rows_and_colours(work):
    ledger = work / "七优享台账.xlsm"
    _, _, first, _ = press(buttons.consolidate, ledger, SHEET_SUMMARY)
    before = len(rows_of(openpyxl.load_workbook(first)[SHEET_FINDINGS], OUTPUT_HEADER_ROW))
    # 住有宜居 corrects its sheet in the open ledger; the next 汇总 has fewer findings
    type_into_ledger(first, {BROKEN: group_fill(BROKEN, MARCH)})
    line, _, second, actions = press(buttons.consolidate, first, SHEET_SUMMARY)
    assert any(a["func"] == "rangeClearContents" for a in actions)
    wb = openpyxl.load_workbook(second)
    ws = wb[SHEET_FINDINGS]
    after = rows_of(ws, OUTPUT_HEADER_ROW)
    assert len(after) < before and "value-percent-range" not in {r[9] for r in after if len(r) > 9}
    reporting = {r[2]: r[1] for r in after[1:10]}
    assert reporting[BROKEN] == "已受理" and "被退回" not in line
    # nothing coloured or written below the last row
    last = OUTPUT_HEADER_ROW + len(after) + 5
    for r in range(last, last + 30):
        for c in range(1, 10):
            assert ws.cell(r, c).value is None and not fill_of(ws.cell(r, c))


def test_quarter_is_consolidated_from_history(work):
    ledger = work / "七优享台账.xlsm"
    _, _, done, _ = press(buttons.consolidate, ledger, SHEET_SUMMARY)
    type_into_ledger(done, {}, {SUMMARY_PERIOD_CELL: "2024年第一季度"})
    line, _, out, _ = press(buttons.consolidate, done, SHEET_SUMMARY)
    assert "2024年第一季度汇总完成" in line
    assert openpyxl.load_workbook(out)[SHEET_SUMMARY][SUMMARY_PERIOD_CELL].value == "2024-Q1"


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ({SUMMARY_PERIOD_CELL: None}, "请先在“汇总”表 C2 格填写填报期"),
        ({SUMMARY_PERIOD_CELL: "三月"}, "“三月”无法识别"),
        ({SUMMARY_PERIOD_CELL: "2035-03"}, "超出方案期"),
        ({SUMMARY_INBOX_CELL: "没有这个文件夹"}, "收件箱文件夹"),
        ({SUMMARY_INBOX_CELL: "."}, "收件箱不能是台账本身所在的文件夹"),
    ],
)
def test_consolidate_refuses_bad_inputs_with_a_message(work, cells, message):
    ledger = work / "七优享台账.xlsm"
    type_into_ledger(ledger, {}, cells)
    returned, alerts, out, actions = press(buttons.consolidate, ledger, SHEET_SUMMARY)
    assert returned is None and len(alerts) == 1 and message in alerts[0]["prompt"]
    assert actions[-1]["args"][3] == "critical"
    shown = openpyxl.load_workbook(out)[SHEET_SUMMARY][SUMMARY_RESULT.value_cell].value
    assert shown.startswith("未完成：") and message in shown
    assert not (work / "历史库").exists()  # nothing received


def test_remote_engine_without_folder_setting_uses_the_current_directory(work, monkeypatch):
    monkeypatch.delenv(buttons.ENV_WORKBOOK_DIR)
    monkeypatch.chdir(work)
    line, _, _, _ = press(buttons.consolidate, work / "七优享台账.xlsm", SHEET_SUMMARY)
    assert "汇总完成" in line and (work / "历史库" / "qyx.sqlite").is_file()


def test_an_unexpected_error_is_an_alert_and_a_log(work, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(buttons, "consolidate_submissions", broken)  # the name buttons calls
    returned, alerts, _, _ = press(buttons.consolidate, work / "七优享台账.xlsm", SHEET_SUMMARY)
    assert returned is None
    assert (
        alerts[0]["prompt"].startswith("内部错误（RuntimeError）") and "请联系维护人员" in alerts[0]["prompt"]
    )
    log = (work / buttons.LOG_NAME).read_text(encoding="utf-8")
    assert "Traceback" in log and "RuntimeError: boom" in log and "consolidate" in log


# ================================================================================================
# 校验本表
# ================================================================================================


def _notes(ws) -> dict[str, str]:
    return {c.coordinate: c.comment.text for row in ws.iter_rows() for c in row if c.comment is not None}


def test_check_sheet_marks_findings_and_the_next_run_clears_them(work):
    from qyx_excel.layout import group_layout
    from qyx_excel.workbook import INPUT_FILL

    ledger = work / "七优享台账.xlsm"
    builder_notes = _notes(openpyxl.load_workbook(ledger)[BROKEN])
    line, alerts, marked, actions = press(buttons.check_sheet, ledger, BROKEN)
    assert "错误 2 处" in line and "已在表中标出 2 格" in line
    prompt = alerts[0]["prompt"]
    assert prompt.startswith(f"“{BROKEN}”2024年3月校验发现 2 处错误") and "G7 指标34 百分比 120" in prompt
    assert actions[-1]["args"][3] == "critical"
    ws = openpyxl.load_workbook(marked)[BROKEN]
    result_cell = group_layout(BROKEN).result.value_cell
    assert ws[result_cell].value == line
    notes = _notes(ws)
    assert notes["G7"].startswith("【错误】百分比 120 不在 0—100 之间") and "不是数值" in notes["G12"]
    assert (
        fill_of(ws["G7"]) == buttons.MARK_FILLS["error"][1:]
        and fill_of(ws["G12"]) == buttons.MARK_FILLS["error"][1:]
    )
    assert {
        k: v for k, v in notes.items() if k not in ("G7", "G12")
    } == builder_notes  # the builder's notes stay

    # the liaison corrects both cells and presses 校验本表 again: the marks are gone
    fixed = group_fill(BROKEN, MARCH)
    type_into_ledger(marked, {BROKEN: fixed})
    line, alerts, again, _ = press(buttons.check_sheet, marked, BROKEN)
    assert "校验通过" in line and alerts == []
    ws = openpyxl.load_workbook(again)[BROKEN]
    assert _notes(ws) == builder_notes
    assert fill_of(ws["G7"]) == fill_of(ws["G12"]) == INPUT_FILL[1:]
    assert ws[result_cell].value == line
    assert_vba_kept(again)


def test_check_sheet_warnings_only_is_not_critical(work):
    ledger = work / "七优享台账.xlsm"
    fill = group_fill("幼有善育", MARCH)
    first = next(iter(fill.indicators))
    fill.indicators[first] = (None, "", "")  # left empty without a word: a warning
    type_into_ledger(ledger, {"幼有善育": fill})
    line, _, out, actions = press(buttons.check_sheet, ledger, "幼有善育")
    assert "错误 0 处" in line and "提醒" in line
    assert actions[-1]["func"] == "alert" and actions[-1]["args"][3] == "info"
    ws = openpyxl.load_workbook(out)["幼有善育"]
    assert fill_of(ws["G7"]) == buttons.MARK_FILLS["warning"][1:] and _notes(ws)["G7"].startswith("【提醒】")


def test_check_sheet_outside_a_group_sheet_says_so(work):
    returned, alerts, _, _ = press(buttons.check_sheet, work / "七优享台账.xlsm", SHEET_SUMMARY)
    assert returned is None and "“校验本表”用于专项组工作表" in alerts[0]["prompt"]


# ================================================================================================
# 生成通报, 打印进度表
# ================================================================================================


def test_notice_and_tables_before_and_after_consolidation(work):
    from docx import Document

    ledger = work / "七优享台账.xlsm"
    returned, alerts, _, _ = press(buttons.notice, ledger, SHEET_SUMMARY)
    assert returned is None and "尚未汇总" in alerts[0]["prompt"] and "点“汇总”" in alerts[0]["prompt"]

    _, _, done, _ = press(buttons.consolidate, ledger, SHEET_SUMMARY)
    line, alerts, out, _ = press(buttons.notice, done, SHEET_SUMMARY)
    docx = work / "2024-03_七优享工程进度通报.docx"
    assert docx.is_file() and str(docx) in alerts[0]["prompt"] and str(docx) in line
    assert openpyxl.load_workbook(out)[SHEET_SUMMARY][SUMMARY_RESULT.value_cell].value == line
    text = "\n".join(p.text for p in Document(str(docx)).paragraphs)
    assert "2024年3月" in text
    from qyx_excel.office import has_soffice

    if has_soffice():  # the PDF beside it, made the way `qyx notice --pdf` makes it
        assert docx.with_suffix(".pdf").is_file() and "PDF：" in line
    assert (work / "历史库" / "通报编号.json").is_file()  # the 发文字号 kept beside the store

    line, alerts, out, _ = press(buttons.print_tables, done, SHEET_SUMMARY)
    xlsx = work / "2024-03_七优享工程进度表.xlsx"
    assert xlsx.is_file() and "Ctrl+P" in alerts[0]["prompt"] and str(xlsx) in alerts[0]["prompt"]
    printed = openpyxl.load_workbook(xlsx)
    assert printed.sheetnames[0] == "指标进度"
    tables = rows_of(openpyxl.load_workbook(out)[SHEET_TABLES], OUTPUT_HEADER_ROW)
    assert len(tables) == 48 and tables[1][9] in WORD_FILLS


# ================================================================================================
# Pieces
# ================================================================================================


def test_rectangles_cover_input_cells_exactly():
    from qyx_excel.cells import split_base1 as rc
    from qyx_excel.layout import group_layout

    for group in GROUPS:
        cells = group_layout(group).input_cells()
        rects = buttons.rectangles(cells)
        covered = {(r, c) for r0, c0, r1, c1 in rects for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
        assert covered == {rc(cell) for cell in cells}
        assert len(rects) <= 12, group  # a handful of colour actions per sheet


def test_button_functions_are_the_macros_targets():
    from qyx_excel import vbaproject

    for b in vbaproject.BUTTONS:
        assert callable(getattr(buttons, b.function))


# ================================================================================================
# Failures before the workbook is known, unsaved workbooks, protected sheets
# ================================================================================================


def test_no_calling_workbook_is_a_chinese_message_on_stderr(capsys):
    """Book.caller() failing (no workbook called us): RunPython shows the process's stderr."""
    import xlwings as xw

    assert not hasattr(xw.Book, "_mock_caller")
    with pytest.raises(SystemExit) as caught:
        buttons.consolidate()
    assert caught.value.code == 1
    err = capsys.readouterr().err
    assert (
        err.startswith("七优享台账：找不到调用按钮的工作簿")
        and "qyx-doctor" in err
        and "Traceback" not in err
    )


def test_python_without_qyx_excel_gets_a_chinese_message_not_a_traceback(tmp_path):
    """The statement the macros hand to RunPython, run by a Python that has no qyx_excel."""
    import subprocess
    import sys

    from qyx_excel.vbaproject import CHECK_SHEET, NOT_INSTALLED_MESSAGE

    # -I -S: no site-packages, no current folder: qyx_excel cannot be found
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-W", "error", "-c", CHECK_SHEET.python],
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
        env={"PYTHONIOENCODING": "utf-8"},
    )
    assert proc.returncode == 1
    assert proc.stderr.decode("utf-8").strip() == NOT_INSTALLED_MESSAGE + sys.executable


def test_check_sheet_on_an_unsaved_workbook(work, monkeypatch):
    """Desktop Excel, a ledger never saved: no folder, yet 校验本表 needs none (no history to compare)."""
    monkeypatch.delenv(buttons.ENV_WORKBOOK_DIR)
    monkeypatch.setattr(buttons, "is_remote", lambda book: False)  # the engine says: desktop, no path
    line, alerts, _, _ = press(buttons.check_sheet, work / "七优享台账.xlsm", BROKEN)
    assert line is not None and "校验：错误" in line, alerts


class _FakeProtectedSheet:
    """Just enough of an xlwings Sheet on desktop Excel with a protected sheet behind ``api``.

    Excel forbids deleting a note on a protected sheet unless the protection was set with
    UserInterfaceOnly (by a macro, in this session: it is not saved with the file).  The remote
    engine ignores protection, so this order cannot be shown there.
    """

    name = "幼有善育"

    def __init__(self, password: str, noted: set[str]) -> None:
        sheet = self
        self.log: list[str] = []

        class Api:
            ProtectContents = True
            ProtectDrawingObjects = True
            ProtectScenarios = True
            Protection = type(
                "P",
                (),
                dict.fromkeys(
                    (
                        "AllowFormattingCells",
                        "AllowFormattingColumns",
                        "AllowFormattingRows",
                        "AllowInsertingRows",
                        "AllowDeletingRows",
                        "AllowSorting",
                        "AllowFiltering",
                    ),
                    True,
                ),
            )()
            ui_only = False

            def Protect(self, Password: str = "", **options: Any) -> None:
                if Password != password:
                    raise RuntimeError("(-2147352567, 'The password you supplied is not correct.')")
                self.ui_only = options["UserInterfaceOnly"]
                sheet.log.append("protect")

        self.api = Api()
        self.noted = set(noted)

        class Note:
            def __init__(self, cell: str) -> None:
                self.cell = cell
                self.location = type("L", (), {"address": "$" + cell[0] + "$" + cell[1:]})()

            def delete(self) -> None:
                if not sheet.api.ui_only:
                    raise RuntimeError("protected sheet")
                sheet.noted.discard(self.cell)
                sheet.log.append(f"delete {self.cell}")

        self._note = Note

    @property
    def notes(self) -> list:
        return [self._note(c) for c in sorted(self.noted)]

    def range(self, first: Any, last: Any = None) -> Any:
        sheet = self

        class Rng:
            color = None

            @property
            def note(self) -> Any:
                return sheet._note(first) if isinstance(first, str) and first in sheet.noted else None

        return Rng()


def test_clear_marks_opens_a_protected_sheet_before_deleting_notes():
    sheet = _FakeProtectedSheet("s3cret", {"G7", "H9"})
    buttons.clear_marks(sheet, {"G7", "H9", "G8"}, password="s3cret")  # type: ignore[arg-type]
    assert sheet.log == ["protect", "delete G7", "delete H9"] and not sheet.noted


def test_a_wrong_sheet_password_is_a_chinese_message():
    from qyx_excel.errors import UsageError

    sheet = _FakeProtectedSheet("s3cret", {"G7"})
    with pytest.raises(UsageError, match="撤消工作表保护") as caught:
        buttons.clear_marks(sheet, {"G7"}, password="")  # type: ignore[arg-type]
    assert "QYX_SHEET_PASSWORD" in caught.value.message and sheet.noted == {"G7"}


def test_the_password_comes_from_the_ledgers_own_settings(tmp_path, monkeypatch):
    from qyx_excel.submission import META_SHEET
    from qyx_excel.workbook import build_workbook

    monkeypatch.delenv(buttons.ENV_SHEET_PASSWORD, raising=False)
    ledger = build_workbook(tmp_path / "台账.xlsm", password="s3cret", year=2024)
    ws = openpyxl.load_workbook(ledger)[META_SHEET]
    meta = {r[0]: r[1] or "" for r in ws.iter_rows(values_only=True) if r[0]}
    assert buttons.sheet_password(meta) == "s3cret"
    assert openpyxl.load_workbook(ledger)["幼有善育"].protection.sheet
    monkeypatch.setenv(buttons.ENV_SHEET_PASSWORD, "changed-by-hand")
    assert buttons.sheet_password(meta) == "changed-by-hand"
    # and on the remote engine (which reads _meta the same way) the button reads it from the open book
    monkeypatch.delenv(buttons.ENV_SHEET_PASSWORD)
    import xlwings as xw

    book = xw.Book(json=book_payload(ledger, active_sheet="幼有善育"))
    assert buttons.sheet_password(buttons.read_meta(book)) == "s3cret"


def test_consolidate_with_history_writes_levels_the_supervision_sheet_and_slips(work):
    """January and February already consolidated (qyx demo's history, some matters lagging for
    months): the 汇总 button writes 汇总's 预警等级 column as the command line does, the 督办 sheet,
    and the slips of 黄/红 matters beside the ledger (as `qyx supervise`)."""
    from qyx_excel.consolidate import consolidate
    from qyx_excel.glossary import SHEET_SUPERVISION
    from qyx_excel.sample import make_history
    from qyx_excel.store import Store
    from qyx_excel.supervision import ledger_board, summary_level_words

    assert make_history(MARCH, work / "历史库") == ["2024-01", "2024-02"]
    cli = work.parent / "cli-history"
    shutil.copytree(work, cli)
    ledger = work / "七优享台账.xlsm"
    _, alerts, out, _ = press(buttons.consolidate, ledger, SHEET_SUMMARY)
    ours = openpyxl.load_workbook(out)
    header = [c.value for c in ours[SHEET_SUMMARY][SUMMARY_HEADER_ROW]]
    assert header[len(SUMMARY_COLUMNS)] == "预警等级"
    with Store(work / "历史库") as st:
        board = ledger_board(st, MARCH)
        slips = st.slips()
    ids = [r[0] for r in rows_of(ours[SHEET_SUMMARY], SUMMARY_HEADER_ROW + 1)]
    words = summary_level_words(board, ids)
    shown = [r[len(SUMMARY_COLUMNS)] or "" for r in rows_of(ours[SHEET_SUMMARY], SUMMARY_HEADER_ROW + 1)]
    assert shown == words and {"黄色预警", "红色督办"} & set(words)  # the case: levels above blue
    level_col = len(SUMMARY_COLUMNS) + 1
    for r, word in enumerate(words, start=SUMMARY_HEADER_ROW + 1):
        if word:
            assert fill_of(ours[SHEET_SUMMARY].cell(r, level_col)) == WORD_FILLS[word]
    # the ledger's own 进度表 (printed by Excel) has the column too
    tables = rows_of(ours[SHEET_TABLES], OUTPUT_HEADER_ROW)
    assert tables[0][len(TABLES_HEADERS)] == "预警等级"
    assert [r[len(TABLES_HEADERS)] or "" for r in tables[1:]] == words
    # the 督办 sheet after the result sheets, its matters those of the board, slips issued and written
    assert SHEET_SUPERVISION in ours.sheetnames and ours.active.title == SHEET_SUMMARY
    matters = [r for r in rows_of(ours[SHEET_SUPERVISION], 4) if isinstance(r[0], int)]
    assert len(matters) >= len([m for m in board.matters if m.level.value != "无"])
    assert slips and all(
        (work / "督办单" / "2024-03" / name).is_file()
        for name in [p.name for p in (work / "督办单" / "2024-03").glob("*.docx")]
    )
    assert len(list((work / "督办单" / "2024-03").glob("*.docx"))) == len(
        [s for s in slips if s["period"] == "2024-03"]
    )
    assert "督办单" in alerts[0]["prompt"]
    # the command line, on the same ledger and history, writes the same 汇总 (levels included)
    consolidate(MARCH, cli / ledger.name, inbox=cli / "收件箱")
    theirs = openpyxl.load_workbook(cli / ledger.name)
    assert rows_of(ours[SHEET_SUMMARY], SUMMARY_HEADER_ROW) == rows_of(
        theirs[SHEET_SUMMARY], SUMMARY_HEADER_ROW
    )
    assert [c.value for c in theirs[SHEET_SUMMARY][SUMMARY_HEADER_ROW]][len(SUMMARY_COLUMNS)] == "预警等级"
