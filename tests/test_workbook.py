"""The ledger workbook: built with XlsxWriter, read back with openpyxl, olevba, LibreOffice."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from datetime import date, datetime
from pathlib import Path, PurePosixPath

import openpyxl
import pytest
from conftest import requires_soffice
from openpyxl.cell.cell import MergedCell

from qyx_excel import TEMPLATE_VERSION
from qyx_excel.cells import letters_base1 as col_letter
from qyx_excel.errors import PlanDataError, UsageError
from qyx_excel.glossary import (
    APPLICATION_HEADERS,
    DOMAINS,
    GROUPS,
    HEADER_BLOCK,
    INDICATOR_HEADERS,
    LEDGER_SHEETS,
    PROJECT_HEADERS,
    SHEET_CATALOGUE,
    SHEET_GUIDE,
    SHEET_NOTES,
    SHEET_SUMMARY,
    TASK_HEADERS,
    AppState,
    ProjectState,
    TaskState,
)
from qyx_excel.intake import read_adjustments
from qyx_excel.layout import (
    ADJUSTMENT_HEADERS,
    ADJUSTMENT_TITLE,
    CATALOGUE_HEADERS,
    FINDINGS_HEADERS,
    FINDINGS_WIDTHS,
    NOTES_HEADERS,
    SUMMARY_HEADERS,
    SUMMARY_PERIOD_CELL,
    SUMMARY_WIDTHS,
    catalogue_layout,
    group_layout,
    notes_layout,
    output_first_row,
    output_header_row,
    output_layout,
    stored_width,
)
from qyx_excel.submission import META_KEYS, META_SHEET, META_TEMPLATE
from qyx_excel.workbook import (
    FOOTER,
    INPUT_FILL,
    build_workbook,
    committed_ledger_path,
)

YEAR = 2026
SHOTS = Path("/tmp/qyx/shots")


@pytest.fixture(scope="module")
def ledger(tmp_path_factory) -> Path:
    return build_workbook(tmp_path_factory.mktemp("ledger") / "七优享台账.xlsm", year=YEAR, backup=False)


@pytest.fixture(scope="module")
def book(ledger):
    return openpyxl.load_workbook(ledger)


def _row_values(ws, row: int, first_col: int = 1, count: int | None = None) -> tuple:
    cells = ws[row][first_col - 1 :]
    values = tuple(c.value for c in cells)
    return values[:count] if count else values


def _find_row(ws, headers: tuple[str, ...]) -> int:
    """Row whose first cells are exactly ``headers`` (found by text, as intake does)."""
    for row in ws.iter_rows():
        if tuple(c.value for c in row[: len(headers)]) == headers:
            return row[0].row
    raise AssertionError(f"header row {headers} not found on {ws.title}")


def _unlocked(ws) -> set[str]:
    return {
        c.coordinate
        for row in ws.iter_rows()
        for c in row
        if not isinstance(c, MergedCell) and c.protection.locked is False
    }


def _validations(ws) -> dict[str, object]:
    """Cell -> its data validation (each cell of every sqref range)."""
    found = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            for row in ws.iter_rows(
                min_row=rng.min_row, max_row=rng.max_row, min_col=rng.min_col, max_col=rng.max_col
            ):
                for c in row:
                    found[c.coordinate] = dv
    return found


# --- structure ------------------------------------------------------------------------------


def test_sheets_in_order_and_meta_very_hidden(book):
    assert book.sheetnames == [*LEDGER_SHEETS, META_SHEET]
    assert book[META_SHEET].sheet_state == "veryHidden"
    assert all(book[name].sheet_state == "visible" for name in LEDGER_SHEETS)
    assert book.active.title == SHEET_GUIDE


def test_meta_rows(book):
    ws = book[META_SHEET]
    rows = {r[0]: r[1] for r in ws.iter_rows(values_only=True)}
    assert [r[0].value for r in ws.iter_rows()][: len(META_KEYS)] == list(META_KEYS)
    assert rows["template"] == META_TEMPLATE
    assert rows["template_version"] == TEMPLATE_VERSION
    assert rows["kind"] == "ledger"
    assert rows["group"] is None and rows["period"] is None
    assert datetime.fromisoformat(rows["generated_at"]).year >= 2024
    assert rows["target_year"] == str(YEAR)
    assert ws.protection.sheet


@pytest.mark.parametrize("domain", DOMAINS)
def test_domain_sheet_tables(book, plan, domain):
    ws = book[domain]
    layout = group_layout(domain, plan)
    indicators, tasks = layout.table("indicators"), layout.table("tasks")
    assert _find_row(ws, INDICATOR_HEADERS) == indicators.header_row
    assert _find_row(ws, TASK_HEADERS) == tasks.header_row
    ids = [ws.cell(r, 1).value for r in range(indicators.first_row, indicators.last_row + 1)]
    assert ids == [i.id for i in plan.indicators_of(domain)]
    assert all(isinstance(i, str) for i in ids)
    numbers = [ws.cell(r, 1).value for r in range(tasks.first_row, tasks.last_row + 1)]
    assert numbers == [t.number for t in plan.tasks_of(domain)]
    for ind in plan.indicators_of(domain):
        row = indicators.row_of(ind.id)
        assert ws.cell(row, 2).value == ind.name
        assert ws.cell(row, 6).value == (ind.target_text(2027) or None) or ind.is_part
    assert ws.cell(indicators.last_row + 1, 1).value is None  # a blank row between the tables


def test_parts_have_their_own_rows_under_a_locked_parent(book, plan):
    ws = book["病有良医"]
    table = group_layout("病有良医", plan).table("indicators")
    row27 = table.row_of("27")
    assert [ws.cell(row27 + i, 1).value for i in range(3)] == ["27", "27-1", "27-2"]
    value_col = table.col_of("本期完成值")
    assert ws.cell(row27, value_col).protection.locked is True
    assert ws.cell(row27 + 1, value_col).protection.locked is False
    assert ws.cell(row27, table.col_of("本年目标")).value == "职工85%城乡居民70%"
    assert ws.cell(row27 + 1, table.col_of("本年目标")).value == "85%"
    assert ws.cell(row27 + 2, table.col_of("本年目标")).value == "70%"
    ws = book["老有康养"]
    table = group_layout("老有康养", plan).table("indicators")
    assert ws[table.cell("32-1", "本年目标")].value == "15"
    assert ws[table.cell("32-2", "2027年目标")].value == "100"


def test_this_year_targets_follow_the_year(book, plan):
    ws = book["幼有善育"]
    table = group_layout("幼有善育", plan).table("indicators")
    assert ws[table.cell("1", "本年目标")].value == plan.indicator("1").target_text(YEAR)
    assert ws[table.cell("1", "2022年基数")].value == "3.85"
    assert f"{YEAR}年目标" in ws.cell(4, 1).value  # the note names the year


@pytest.mark.parametrize("group", GROUPS)
def test_header_block_labels_then_inputs(book, plan, group):
    ws = book[group]
    layout = group_layout(group, plan)
    labels = {}
    for row in ws.iter_rows(min_row=1, max_row=5):
        for c in row:
            if c.value in HEADER_BLOCK:
                labels[c.value] = c
    assert set(labels) == set(HEADER_BLOCK)
    for label, c in labels.items():
        right = ws.cell(c.row, c.column + 1)
        assert right.coordinate == layout.header_field(label).value_cell
        assert right.protection.locked is False
        assert right.fill.fgColor.rgb.endswith(INPUT_FILL[1:])
    assert ws[layout.header_field("填报单位").value_cell].value == plan.group(group).lead_unit
    assert ws[layout.header_field("填报期").value_cell].value is None


def test_application_and_project_sheets(book, plan):
    ws = book["应用贯通"]
    table = group_layout("应用贯通", plan).table("applications")
    assert _find_row(ws, APPLICATION_HEADERS) == table.header_row
    names = [ws.cell(r, 2).value for r in range(table.first_row, table.last_row + 1)]
    assert names == [a.name for a in plan.applications] and len(names) >= 10
    ws = book["重大项目"]
    table = group_layout("重大项目", plan).table("projects")
    assert _find_row(ws, PROJECT_HEADERS) == table.header_row
    assert len(table.keys) == 30
    assert ws.cell(table.last_row, 1).value == 30
    assert "万元" in ws.cell(table.section_row, 1).value


def test_catalogue_and_adjustment_register(book, plan):
    ws = book[SHEET_CATALOGUE]
    layout = catalogue_layout(plan)
    cat, adj = layout.table("catalogue"), layout.table("adjustments")
    assert _row_values(ws, cat.header_row, count=len(CATALOGUE_HEADERS)) == CATALOGUE_HEADERS
    assert [ws.cell(r, 1).value for r in range(cat.first_row, cat.last_row + 1)] == [
        i.id for i in plan.indicators
    ]
    row17 = cat.row_of("17")
    assert ws.cell(row17, 8).value == "开展试点" and ws.cell(row17, 13).value == "全覆盖"
    assert ws.cell(cat.row_of("13"), 6).value == "越低越好"
    assert ws.cell(adj.section_row, 1).value == ADJUSTMENT_TITLE
    assert _row_values(ws, adj.header_row, count=len(ADJUSTMENT_HEADERS)) == ADJUSTMENT_HEADERS
    assert str(ws[adj.cell("1", "原目标")].value).startswith("=IF(")  # looked up, not typed
    assert _unlocked(ws) == layout.input_cells()


def test_catalogue_shows_each_rhythm_and_the_register_sheet(book, plan):
    ws = book[SHEET_CATALOGUE]
    cat = catalogue_layout(plan).table("catalogue")
    col = {h: cat.col_of(h) for h in ("节奏", "正文表述", "节奏依据")}
    assert ws.cell(cat.row_of("40"), col["节奏"]).value == "月度，阶跃，7月到位"
    assert ws.cell(cat.row_of("19"), col["节奏"]).value == "年度，线性"
    assert ws.cell(cat.row_of("28"), col["正文表述"]).value == "不少于35人"
    assert ws.cell(cat.row_of("32"), col["节奏"]).value in (None, "")  # a parent: its parts carry the rhythm
    assert "年末评价" in ws.cell(cat.row_of("32-1"), col["节奏依据"]).value
    assert ws.cell(cat.row_of("27-2"), 11).value == "70%"  # the part's own 2025 target
    notes = book[SHEET_NOTES]
    table = notes_layout(plan).table("notes")
    assert _row_values(notes, table.header_row, count=len(NOTES_HEADERS)) == NOTES_HEADERS
    assert [notes.cell(r, 1).value for r in range(table.first_row, table.last_row + 1)] == [
        n.id for n in plan.notes
    ]
    assert notes.cell(table.row_of("N02"), 9).value == "指标33.到期 = 2027-12（可选 2027-12 / 2025-12）"
    assert notes.protection.sheet and _unlocked(notes) == set()


def test_output_sheets_have_titles_and_headers_only(book):
    for name in ("汇总", "晾晒", "校验结果", "进度表"):
        ws = book[name]
        layout = output_layout(name)
        assert ws.cell(1, 1).value == layout.title
        header = output_header_row(name)
        assert _row_values(ws, header, count=len(layout.tables[0].headers)) == layout.tables[0].headers
        assert output_first_row(name) == header + 1
        assert ws.max_row == header
        assert not ws.protection.sheet  # the buttons write here through Excel
    ws = book[SHEET_SUMMARY]
    assert _row_values(ws, output_header_row(SHEET_SUMMARY), count=len(SUMMARY_HEADERS)) == SUMMARY_HEADERS
    assert ws[SUMMARY_PERIOD_CELL].protection.locked is False


def test_builder_and_writer_lay_out_the_output_sheets_alike(ledger, tmp_path):
    """The ledger writer rewrites the header rows and widths the builder drew: the same names, the
    same widths (one definition in layout), on every output sheet, after a real consolidation."""
    from qyx_excel.consolidate import consolidate
    from qyx_excel.sample import make_sample_month

    def layout_of(path: Path) -> dict[str, tuple[tuple, tuple]]:
        wb = openpyxl.load_workbook(path, keep_vba=True)
        out = {}
        for name in ("汇总", "晾晒", "校验结果", "进度表"):
            ws, cols = wb[name], len(output_layout(name).tables[0].headers)
            widths: dict[int, float] = {}
            for dim in ws.column_dimensions.values():  # a <col> element may span several columns
                for c in range(dim.min or 0, (dim.max or 0) + 1):
                    widths.setdefault(c, dim.width)
            out[name] = (
                _row_values(ws, output_header_row(name), count=cols),
                tuple(widths.get(c) for c in range(1, cols + 1)),
            )
        return out

    filled = shutil.copy(ledger, tmp_path / ledger.name)
    make_sample_month(f"{YEAR}-03", tmp_path / "收件箱", ledger=filled)
    built = layout_of(filled)
    consolidate(f"{YEAR}-03", filled, inbox=tmp_path / "收件箱", store=tmp_path / "历史库")
    written = layout_of(filled)
    assert written == built
    assert built["汇总"] == (SUMMARY_HEADERS, tuple(map(stored_width, SUMMARY_WIDTHS)))
    assert built["校验结果"][1] == tuple(map(stored_width, FINDINGS_WIDTHS[: len(FINDINGS_HEADERS)]))


# --- protection and validation ---------------------------------------------------------------


@pytest.mark.parametrize("group", GROUPS)
def test_only_input_cells_are_unlocked(book, plan, group):
    ws = book[group]
    layout = group_layout(group, plan)
    assert ws.protection.sheet is True
    assert ws.protection.password is None  # no password by default
    assert _unlocked(ws) == layout.unlocked_cells(with_result=True)
    for address in layout.input_cells():
        cell = ws[address]
        assert cell.fill.fgColor.rgb.endswith(INPUT_FILL[1:]), address
        assert cell.border.left.style == "thin", address
    result = ws[layout.result.value_cell]
    assert not result.fill.fgColor.rgb.endswith(INPUT_FILL[1:])
    assert ws[layout.result.label_cell].value == "校验结果"


def test_guide_and_meta_fully_locked(book):
    assert book[SHEET_GUIDE].protection.sheet and not _unlocked(book[SHEET_GUIDE])
    assert not _unlocked(book[META_SHEET])


def test_password_is_configurable(tmp_path):
    path = build_workbook(tmp_path / "p.xlsm", password="qyx2024", year=YEAR)
    ws = openpyxl.load_workbook(path)["幼有善育"]
    assert ws.protection.sheet and ws.protection.password  # stored as a hash


def test_value_validations(book, plan):
    ws = book["劳有所得"]
    table = group_layout("劳有所得", plan).table("indicators")
    dvs = _validations(ws)
    percent = dvs[table.cell("14", "本期完成值")]
    assert (percent.type, percent.formula1, percent.formula2) == ("decimal", "0", "100")
    assert percent.operator in (None, "between")  # "between" is the default, XlsxWriter omits it
    assert percent.showErrorMessage and percent.showInputMessage
    assert percent.errorStyle in (None, "stop")
    assert percent.errorTitle == "数值超出范围" and "0～100" in percent.error
    assert "单位：%" in percent.prompt
    count = dvs[table.cell("16", "本期完成值")]
    assert (count.type, count.operator, count.formula1) == ("decimal", "greaterThanOrEqual", "0")
    assert "万人" in count.error and count.showErrorMessage
    # 30 in 2026: 全覆盖 of a head count -> a number or a declaration word
    ws = book["老有康养"]
    table = group_layout("老有康养", plan).table("indicators")
    qualitative = _validations(ws)[table.cell("30", "本期完成值")]
    assert qualitative.type == "custom"
    assert "已完成" in qualitative.formula1 and "ISNUMBER" in qualitative.formula1
    assert qualitative.showErrorMessage and "已完成" in qualitative.error


def test_dropdowns(book, plan):
    for domain in DOMAINS:
        ws = book[domain]
        table = group_layout(domain, plan).table("tasks")
        dvs = _validations(ws)
        for key in table.keys:
            dv = dvs[table.cell(key, "完成情况")]
            assert dv.type == "list"
            assert dv.formula1 == '"' + ",".join(s.value for s in TaskState) + '"'
            assert dv.showErrorMessage and dv.errorTitle == "请从下拉列表中选择"
    ws = book["应用贯通"]
    table = group_layout("应用贯通", plan).table("applications")
    dv = _validations(ws)[table.cell(table.keys[-1], "贯通状态")]
    assert dv.formula1 == '"' + ",".join(s.value for s in AppState) + '"'
    ws = book["重大项目"]
    table = group_layout("重大项目", plan).table("projects")
    dvs = _validations(ws)
    assert dvs[table.cell("30", "状态")].formula1 == '"' + ",".join(s.value for s in ProjectState) + '"'
    money = dvs[table.cell("1", "总投资")]
    assert money.type == "decimal" and "万元" in money.error
    date_dv = _validations(book["幼有善育"])["I2"]
    assert date_dv.type == "date" and date_dv.showErrorMessage


# --- page set-up ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*GROUPS, SHEET_CATALOGUE, SHEET_NOTES, SHEET_SUMMARY])
def test_print_setup(book, plan, name):
    ws = book[name]
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0  # 1 is the default
    assert ws.oddFooter.center.text == FOOTER[2:]
    assert ws.print_options.horizontalCentered
    assert ws.print_title_rows and ws.print_title_rows.startswith("$1:")
    layout = (
        group_layout(name, plan)
        if name in GROUPS
        else (
            catalogue_layout(plan)
            if name == SHEET_CATALOGUE
            else notes_layout(plan)
            if name == SHEET_NOTES
            else output_layout(name)
        )
    )
    assert ws.freeze_panes == f"A{layout.freeze_rows + 1}"
    widths = {c: d.width for d in ws.column_dimensions.values() for c in range(d.min, d.max + 1)}
    for i, width in enumerate(layout.widths, start=1):  # XlsxWriter stores the width plus padding
        assert abs(widths[i] - width) < 1, (name, col_letter(i))
    title = ws.cell(1, 1)
    assert title.alignment.horizontal == "center" and title.font.b
    assert any(str(r).startswith("A1:") for r in ws.merged_cells.ranges)


# --- VBA and buttons --------------------------------------------------------------------------


_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "p": "http://schemas.openxmlformats.org/package/2006/relationships",
}


def _rels(z: zipfile.ZipFile, part: str) -> dict[str, str]:
    """Relationship id -> absolute part name, for ``part``'s relationships."""
    p = PurePosixPath(part)
    rels_name = str(p.parent / "_rels" / (p.name + ".rels"))
    if rels_name not in z.namelist():
        return {}
    out = {}
    for rel in ET.fromstring(z.read(rels_name)).findall("p:Relationship", _NS):
        target = rel.get("Target")
        if target.startswith("/"):
            out[rel.get("Id")] = target[1:]
        else:
            parts: list[str] = []
            for piece in (p.parent / target).parts:
                if piece == "..":
                    parts.pop()
                elif piece != ".":
                    parts.append(piece)
            out[rel.get("Id")] = "/".join(parts)
    return out


def _buttons(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Sheet name -> [(macro, caption)] of its form buttons, following the relationships."""
    found: dict[str, list[tuple[str, str]]] = {}
    with zipfile.ZipFile(path) as z:
        book_rels = _rels(z, "xl/workbook.xml")
        for sheet in ET.fromstring(z.read("xl/workbook.xml")).find("m:sheets", _NS):
            part = book_rels[sheet.get(f"{{{_NS['r']}}}id")]
            for target in _rels(z, part).values():
                if not target.endswith(".vml"):
                    continue
                vml = z.read(target).decode("utf-8", "replace")
                for shape in vml.split("<v:shape ")[1:]:
                    macro = re.search(r"<x:FmlaMacro>\[0\]!(\w+)</x:FmlaMacro>", shape)
                    box = re.search(r"<v:textbox[^>]*>(.*?)</v:textbox>", shape, re.S)
                    if macro and box:
                        caption = re.sub(r"<[^>]+>", "", box.group(1)).strip()
                        found.setdefault(sheet.get("name"), []).append((macro.group(1), caption))
    return found


def test_buttons_bound_to_macros(ledger):
    buttons = _buttons(ledger)
    for group in GROUPS:
        assert buttons[group] == [("QyxCheckSheet", "校验本表")]
    assert buttons[SHEET_SUMMARY] == [
        ("QyxConsolidate", "汇总"),
        ("QyxNotice", "生成通报"),
        ("QyxPrintTables", "打印进度表"),
    ]
    assert set(buttons) == {*GROUPS, SHEET_SUMMARY}


def test_vba_project_and_message_names(ledger, book):
    from oletools.olevba import VBA_Parser

    with zipfile.ZipFile(ledger) as z:
        data = z.read("xl/vbaProject.bin")
        workbook_xml = z.read("xl/workbook.xml").decode()
    assert 'codeName="ThisWorkbook"' in workbook_xml
    parser = VBA_Parser("vbaProject.bin", data=data)
    sources = {name: code for _, _, name, code in parser.extract_macros()}
    parser.close()
    qyx = sources["Qyx.bas"]
    for macro in ("QyxCheckSheet", "QyxConsolidate", "QyxNotice", "QyxPrintTables"):
        assert f"Public Sub {macro}()" in qyx
    assert len([n for n in sources if n.startswith("Sheet")]) == len(book.sheetnames)
    names = book.defined_names
    assert "未找到 xlwings 加载项" in names["QYX_MSG_NO_ADDIN"].attr_text
    assert names["QYX_PERIOD"].attr_text == "'汇总'!$C$2"
    assert names["QYX_RESULT"].attr_text == "'汇总'!$C$4"


def test_openpyxl_keep_vba_round_trip_keeps_buttons(ledger, tmp_path, plan):
    """The ledger writer re-saves with openpyxl: buttons, macros, validation and protection stay."""
    wb = openpyxl.load_workbook(ledger, keep_vba=True)
    wb[SHEET_SUMMARY].cell(output_first_row(SHEET_SUMMARY), 1, "1")
    out = tmp_path / "resaved.xlsm"
    wb.save(out)
    assert _buttons(out) == _buttons(ledger)
    with zipfile.ZipFile(out) as z:
        assert z.read("xl/vbaProject.bin") == zipfile.ZipFile(ledger).read("xl/vbaProject.bin")
    again = openpyxl.load_workbook(out)
    ws = again["幼有善育"]
    assert ws.protection.sheet
    assert _unlocked(ws) == group_layout("幼有善育", plan).unlocked_cells(with_result=True)
    assert len(ws.data_validations.dataValidation) == len(
        openpyxl.load_workbook(ledger)["幼有善育"].data_validations.dataValidation
    )
    assert again[META_SHEET].sheet_state == "veryHidden"


def test_refuses_a_non_xlsm_name(tmp_path):
    with pytest.raises(UsageError):
        build_workbook(tmp_path / "台账.xlsx")


def test_rebuild_keeps_a_backup(tmp_path):
    target = tmp_path / "台账.xlsm"
    build_workbook(target, year=YEAR)
    build_workbook(target, year=YEAR)
    assert list((tmp_path / "备份").glob("台账.*.xlsm"))


# --- the office's target adjustments ----------------------------------------------------------


def _fill_adjustments(ledger: Path, rows: list[tuple], out: Path) -> Path:
    wb = openpyxl.load_workbook(ledger, keep_vba=True)
    ws = wb[SHEET_CATALOGUE]
    first = _find_row(ws, ADJUSTMENT_HEADERS) + 1
    for i, (ind, year, text, when, doc, reason) in enumerate(rows):
        r = first + i
        ws.cell(r, 1, ind)
        ws.cell(r, 2, year)
        ws.cell(r, 4, text)
        ws.cell(r, 5, when)
        ws.cell(r, 6, doc)
        ws.cell(r, 7, reason)
    wb.save(out)
    return out


def test_read_adjustments_from_the_ledger(ledger, tmp_path, plan):
    path = _fill_adjustments(
        ledger,
        [
            (1, 2024, "5", datetime(2024, 5, 1), "瑞政办〔2024〕1号", "上级下达"),
            ("1", 2024, "5.2", datetime(2024, 6, 30), "瑞政办〔2024〕9号", "再次调整"),
            ("27-1", 2025, "86", date(2025, 3, 1), "", ""),
            (13, 2026, "<5.5", None, "温政办〔2026〕3号", ""),
        ],
        tmp_path / "adj.xlsm",
    )
    adjustments = read_adjustments(path)
    assert set(adjustments) == {("1", 2024), ("27-1", 2025), ("13", 2026)}
    latest = adjustments[("1", 2024)]
    assert (latest.text, latest.date, latest.document) == ("5.2", "2024-06-30", "瑞政办〔2024〕9号")
    assert adjustments[("27-1", 2025)].text == "86"
    assert read_adjustments(ledger) == {}


@pytest.mark.parametrize(
    ("row", "words"),
    [
        (("99", 2024, "5", None, "", ""), "不在指标库中"),
        (("1", 2030, "5", None, "", ""), "2023—2027"),
        (("1", 2024, "大约五个", None, "", ""), "无法识别目标"),
    ],
)
def test_bad_adjustment_rows_are_named(ledger, tmp_path, plan, row, words):
    path = _fill_adjustments(ledger, [row], tmp_path / "bad.xlsm")
    with pytest.raises(PlanDataError, match=words) as info:
        read_adjustments(path)
    assert "目标调整记录" in info.value.message


# --- the committed workbook -------------------------------------------------------------------


def snapshot(path: Path) -> dict:
    """What a person or a program sees in a workbook, without timestamps."""
    wb = openpyxl.load_workbook(path)
    sheets = {}
    for ws in wb.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c, MergedCell) or (c.value is None and not c.has_style):
                    continue
                if ws.title == META_SHEET and ws.cell(c.row, 1).value == "generated_at" and c.column == 2:
                    continue
                fill = c.fill.fgColor.rgb if c.fill.fill_type else None
                cells[c.coordinate] = (
                    c.value,
                    c.protection.locked,
                    fill,
                    c.font.b,
                    c.alignment.horizontal,
                    c.comment.text if c.comment else None,
                )
        sheets[ws.title] = {
            "state": ws.sheet_state,
            "cells": cells,
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "validations": sorted(
                (str(dv.sqref), dv.type, dv.operator, dv.formula1, dv.formula2, dv.error, dv.prompt)
                for dv in ws.data_validations.dataValidation
            ),
            "protected": ws.protection.sheet,
            "print": (ws.print_title_rows, ws.print_area, ws.page_setup.orientation, ws.freeze_panes),
            "widths": {k: d.width for k, d in ws.column_dimensions.items()},
            "heights": {k: d.height for k, d in ws.row_dimensions.items() if d.height},
        }
    names = {n: wb.defined_names[n].attr_text for n in wb.defined_names}
    with zipfile.ZipFile(path) as z:
        vba = z.read("xl/vbaProject.bin")
    return {"sheets": sheets, "names": names, "vba": vba, "buttons": _buttons(path)}


def test_committed_workbook_is_up_to_date(tmp_path):
    committed = committed_ledger_path()
    assert committed.is_file(), f"missing {committed}; build it with qyx_excel.workbook.rebuild_committed()"
    meta = {r[0]: r[1] for r in openpyxl.load_workbook(committed)[META_SHEET].iter_rows(values_only=True)}
    fresh = build_workbook(tmp_path / committed.name, year=int(meta["target_year"]), backup=False)
    old, new = snapshot(committed), snapshot(fresh)
    stale = [name for name in new["sheets"] if old["sheets"].get(name) != new["sheets"][name]]
    hint = (
        "workbook/七优享台账.xlsm is out of date with the plan data or the builder; rebuild it: "
        ".venv/bin/python -c 'from qyx_excel.workbook import rebuild_committed; rebuild_committed()'"
    )
    assert not stale, f"{hint} (sheets differing: {stale})"
    assert old["names"] == new["names"], hint
    assert old["vba"] == new["vba"], hint + " (VBA project differs)"
    assert old["buttons"] == new["buttons"], hint


# --- LibreOffice render -----------------------------------------------------------------------


def _pdf_pages(pdf: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")


@requires_soffice
def test_libreoffice_renders_domain_sheet_and_summary(ledger, tmp_path, plan):
    from qyx_excel.office import convert

    if not shutil.which("pdftotext") or not shutil.which("pdftoppm"):
        pytest.skip("poppler-utils (pdftotext, pdftoppm) not installed")
    pdf = convert(ledger, "pdf", tmp_path)
    pages = _pdf_pages(pdf)
    layout = group_layout("病有良医", plan)
    domain_pages = [i for i, p in enumerate(pages) if layout.title in p]
    assert domain_pages, "the domain sheet's title is not in the PDF"
    text = re.sub(r"\s+", "", "".join(pages[i] for i in domain_pages))
    for header in (*INDICATOR_HEADERS, *TASK_HEADERS, *HEADER_BLOCK):
        assert header in text, header
    assert re.search(r"第\d+页共\d+页", text)
    for ind in plan.indicators_of("病有良医"):
        assert ind.target_text(2027).replace(",", "").replace(" ", "")[:4] in text.replace(",", "")
    summary = output_layout(SHEET_SUMMARY)
    summary_pages = [i for i, p in enumerate(pages) if summary.title in p]
    assert summary_pages
    summary_text = re.sub(r"\s+", "", pages[summary_pages[0]])
    for header in SUMMARY_HEADERS:
        assert header in summary_text, header
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, index in (("domain-病有良医", domain_pages[0]), ("summary-汇总", summary_pages[0])):
        prefix = tmp_path / name
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                "80",
                "-png",
                "-singlefile",
                "-f",
                str(index + 1),
                "-l",
                str(index + 1),
                str(pdf),
                str(prefix),
            ],
            check=True,
        )
        png = prefix.with_suffix(".png")
        assert png.stat().st_size > 10_000
        shutil.copy(png, SHOTS / png.name)


@requires_soffice
def test_libreoffice_sees_the_buttons_bound_to_macros(ledger, tmp_path):
    from qyx_excel.office import convert

    ods = convert(ledger, "ods", tmp_path)
    with zipfile.ZipFile(ods) as z:
        content = z.read("content.xml").decode()
        basic = [n for n in z.namelist() if n.startswith("Basic/") and n.endswith(".xml")]
    labels = re.findall(r'form:button [^>]*form:label="([^"]+)"', content)
    assert sorted(labels) == sorted(["校验本表"] * len(GROUPS) + ["汇总", "生成通报", "打印进度表"])
    assert any(n.endswith("/Qyx.xml") for n in basic)
    # the validation's Chinese error box is switched on ("stop") as LibreOffice reads it
    errors = re.findall(r"<table:error-message ([^>]*)>", content)
    titles = {
        m.group(1)
        for e in errors
        if 'table:display="true"' in e and 'table:message-type="stop"' in e
        for m in [re.search(r'table:title="([^"]*)"', e)]
        if m
    }
    assert {
        "数值超出范围",
        "请从下拉列表中选择",
        "请填写数字",
        "请填数值或完成情况",
        "日期格式不对",
    } <= titles
