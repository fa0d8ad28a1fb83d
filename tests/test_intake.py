"""Intake: fill-in files and the ledger read by header text, with what openpyxl wrote read back by calamine."""

from __future__ import annotations

import hashlib
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from fillin_builder import build_fillin, indicator_rows, patch_xml, task_rows

from qyx_excel import TEMPLATE_VERSION, layout
from qyx_excel.cells import a1_base0 as a1
from qyx_excel.distribute import distribute
from qyx_excel.errors import PlanDataError, UnreadableFile
from qyx_excel.glossary import GROUPS, INDICATOR_HEADERS
from qyx_excel.intake import (
    parse_date,
    read_adjustments,
    read_file,
    read_grid,
    scan_cell_states,
)
from qyx_excel.periods import period_code as period_from_text
from qyx_excel.submission import META_SHEET, META_TEMPLATE
from qyx_excel.workbook import build_workbook

CJK = re.compile(r"[\u4e00-\u9fff]")
ROWS = indicator_rows("幼有善育")
TASKS = task_rows("幼有善育")


def codes(sub):
    return [f.code for f in sub.findings]


def only(path: Path):
    subs = read_file(path)
    assert len(subs) == 1
    return subs[0]


# --- a clean file ---------------------------------------------------------------------------


def test_clean_fill_in_file_reads_identity_header_rows_and_cells(tmp_path, plan):
    path = build_fillin(tmp_path / "2024-03_幼有善育.xlsx", "幼有善育", "2024-03")
    sub = only(path)
    assert (sub.group, sub.period, sub.kind, sub.template_version) == (
        "幼有善育",
        "2024-03",
        "fill-in",
        TEMPLATE_VERSION,
    )
    assert sub.sheet == "幼有善育" and sub.source == str(path)
    assert sub.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert sub.header == {
        "填报单位": "市卫生健康局",
        "填报期": "2024年3月",
        "填报人": "张三",
        "联系电话": "0577-65812345",
        "填报日期": "2024-04-03",
    }
    assert sub.header_cells["填报单位"] == "C2" and sub.header_cells["填报日期"] == "I2"
    assert list(sub.indicators) == [i.id for i in plan.indicators_of("幼有善育")]
    one = sub.indicators["1"]
    assert one.value.kind == "number" and one.value.number == pytest.approx(4.8)
    assert one.value_cell == f"G{ROWS['1']}" and one.note_cell == f"I{ROWS['1']}"
    assert one.row == ROWS["1"] and one.data_source == "部门统计"
    assert one.shown["指标名称"] == "每千人口拥有3岁以下婴幼儿托位数" and one.shown["本年目标"] == "4.8"
    assert one.cells["序号"] == f"A{ROWS['1']}"
    assert list(sub.tasks) == ["1-1", "1-2", "1-3", "1-4"]
    task = sub.tasks["1-2"]
    assert (
        task.state == "序时推进" and task.progress == "按计划推进" and task.state_cell == f"F{TASKS['1-2']}"
    )
    assert task.shown["牵头单位"] == "市卫生健康局"
    assert sub.findings == []


def test_parent_rows_of_parts_are_read_without_findings(tmp_path):
    sub = only(build_fillin(tmp_path / "f.xlsx", "病有良医"))
    assert {"27", "27-1", "27-2"} <= set(sub.indicators)
    assert sub.indicators["27"].value.kind == "none"
    assert sub.findings == []


def test_application_and_project_sheets(tmp_path, plan):
    apps = only(build_fillin(tmp_path / "a.xlsx", "应用贯通", applications={1: {"贯通状态": "已贯通"}}))
    assert len(apps.applications) == len(plan.applications)
    first = apps.applications[0]
    assert (first.number, first.name, first.state, first.state_cell) == (1, "安心托", "已贯通", "F7")
    projects = only(
        build_fillin(
            tmp_path / "p.xlsx",
            "重大项目",
            projects=[{}, {"项目名称": "塘下中学扩建", "总投资": "１２,５００", "计划开工": 45444}],
        )
    )
    assert [p.name for p in projects.projects] == [
        "瑞安市妇幼保健院迁建工程",
        "塘下中学扩建",
    ]  # blank rows skipped
    second = projects.projects[1]
    assert second.total_investment.number == 12500
    assert second.planned_start == "2024-06-01"
    assert projects.projects[0].planned_start == "2023-06" and second.cells["总投资"] == "E8"


def test_ledger_reads_nine_group_sheets(tmp_path):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for group in GROUPS:
        built = openpyxl.load_workbook(build_fillin(tmp_path / f"{group}.xlsx", group))
        src, ws = built[group], wb.create_sheet(group)
        for row in src.iter_rows():
            for cell in row:
                ws.cell(cell.row, cell.column, cell.value)
    meta = wb.create_sheet(META_SHEET)
    for i, (k, v) in enumerate(
        [
            ("template", META_TEMPLATE),
            ("template_version", TEMPLATE_VERSION),
            ("kind", "ledger"),
            ("group", None),
            ("period", "2024-02"),
        ],
        start=1,
    ):
        meta.cell(i, 1, k)
        meta.cell(i, 2, v)
    meta.sheet_state = "veryHidden"
    path = tmp_path / "七优享台账.xlsx"
    wb.save(path)
    subs = read_file(path)
    assert [s.group for s in subs] == list(GROUPS)
    assert {s.kind for s in subs} == {"ledger"}
    assert subs[0].period == "2024-03"  # the sheet's own 填报期 wins over the ledger's last period
    assert all(s.findings == [] for s in subs)


# --- the header contract, not positions ------------------------------------------------------


def test_inserted_rows_and_columns_and_spaced_headers_are_followed(tmp_path):
    def edit(ws):
        ws.insert_rows(5, 2)
        ws.insert_cols(3)
        ws.cell(8, 8).value = "本期\n完成值"  # header typed with a line break (G moved to H, row 6 to 8)
        ws.column_dimensions["B"].width = 60

    sub = only(build_fillin(tmp_path / "f.xlsx", values={"2": 61}, edit=edit))
    assert sub.findings == []
    assert sub.indicators["2"].value.number == 61
    assert sub.indicators["2"].value_cell == f"H{ROWS['2'] + 2}"
    assert sub.header["填报单位"] == "市卫生健康局" and sub.header_cells["填报单位"] == "D2"


def test_missing_and_duplicated_headers(tmp_path):
    def edit(ws):
        ws.cell(6, 7).value = "完成值"
        ws.cell(6, 10).value = "数据来源"

    sub = only(build_fillin(tmp_path / "f.xlsx", edit=edit))
    found = {(f.code, f.cell) for f in sub.findings}
    assert ("header-missing", "G6") in found and ("header-duplicate", "J6") in found
    assert sub.indicators == {}  # without 本期完成值 no value can be read


def test_no_indicator_table_at_all(tmp_path):
    def edit(ws):
        for c in range(1, 10):
            ws.cell(6, c).value = None

    sub = only(build_fillin(tmp_path / "f.xlsx", edit=edit))
    assert "header-missing" in codes(sub)


def test_rows_keyed_by_number_duplicate_and_unknown(tmp_path):
    def edit(ws):
        ws.cell(ROWS["4"], 1).value = "3"  # a second 3
        ws.cell(ROWS["5"], 1).value = None  # a row without 序号 but with a value
        ws.cell(ROWS["6"], 1).value = "６"  # full-width still 6

    sub = only(build_fillin(tmp_path / "f.xlsx", edit=edit))
    assert [(f.code, f.cell) for f in sub.findings] == [
        ("row-duplicate", f"A{ROWS['4']}"),
        ("row-unknown", f"A{ROWS['5']}"),
    ]
    assert "6" in sub.indicators and "4" not in sub.indicators


def test_number_keys_written_as_numbers_and_dashes(tmp_path):
    def edit(ws):
        ws.cell(ROWS["1"], 1).value = 1
        ws.cell(ROWS["2"], 1).value = 2.0

    sub = only(build_fillin(tmp_path / "f.xlsx", edit=edit))
    assert {"1", "2"} <= set(sub.indicators)
    rows = indicator_rows("病有良医")
    sub = only(
        build_fillin(
            tmp_path / "g.xlsx",
            "病有良医",
            edit=lambda ws: setattr(ws.cell(rows["27-1"], 1), "value", "27—1"),
        )
    )
    assert "27-1" in sub.indicators and sub.findings == []


# --- values as typed ---------------------------------------------------------------------------


def test_values_as_people_type_them(tmp_path):
    sub = only(
        build_fillin(
            tmp_path / "f.xlsx",
            values={"1": "５.２", "2": "61%", "3": " 1,234.5 ", "4": "—", "5": "92", "6": True},
        )
    )
    v = {k: e.value for k, e in sub.indicators.items()}
    assert v["1"].number == pytest.approx(5.2)
    assert v["2"].number == 61 and v["2"].percent_sign
    assert v["3"].number == 1234.5
    assert v["4"].kind == "none"
    assert v["5"].number == 92
    assert v["6"].kind == "text"


def test_percent_typed_in_excel_reads_as_shown(tmp_path):
    def edit(ws):
        ws.cell(ROWS["2"], 7).number_format = "0%"  # Excel's built-in format 9
        ws.cell(ROWS["3"], 7).number_format = "0.0%"  # a custom format
        ws.cell(ROWS["4"], 7).number_format = '0.00"%"'  # a literal sign: not a percentage

    sub = only(
        build_fillin(tmp_path / "f.xlsx", values={"2": 0.61, "3": 0.925, "4": 0.9, "5": 0.95}, edit=edit)
    )
    v = {k: e.value for k, e in sub.indicators.items()}
    assert (v["2"].number, v["2"].percent_sign, v["2"].text) == (61, True, "61%")
    assert v["3"].number == pytest.approx(92.5) and v["3"].text == "92.5%"
    assert v["4"].number == 0.9 and not v["4"].percent_sign
    assert v["5"].number == 0.95  # 5 is not measured in %: never looked at


def test_formula_without_cached_value_is_a_finding_never_a_blank(tmp_path):
    path = build_fillin(
        tmp_path / "f.xlsx", edit=lambda ws: setattr(ws.cell(ROWS["1"], 7), "value", "=5+0.2")
    )
    sub = only(path)
    assert [(f.code, f.cell, f.indicator) for f in sub.findings] == [
        ("value-formula-uncached", f"G{ROWS['1']}", "1")
    ]
    assert sub.indicators["1"].value.kind == "none"
    assert all(CJK.search(f.message) for f in sub.findings)


def test_formula_with_cached_value_reads_the_value(tmp_path):
    path = build_fillin(
        tmp_path / "f.xlsx", edit=lambda ws: setattr(ws.cell(ROWS["1"], 7), "value", "=5+0.2")
    )
    patch_xml(path, b"<f>5+0.2</f><v></v>", b"<f>5+0.2</f><v>5.2</v>")
    sub = only(path)
    assert sub.findings == [] and sub.indicators["1"].value.number == pytest.approx(5.2)


def test_excel_error_cell_is_read_as_the_error(tmp_path):
    path = build_fillin(tmp_path / "f.xlsx", values={"2": "#DIV/0!"})
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    assert b't="e"' in xml  # openpyxl writes a real error cell
    sub = only(path)
    assert sub.indicators["2"].value.kind == "error" and sub.indicators["2"].value.text == "#DIV/0!"


def test_scan_cell_states_unit():
    xml = (
        b'<sheetData><row r="3"><c r="B3"><f>1/0</f><v></v></c><c r="C3" t="e"><v>#N/A</v></c>'
        b'<c r="D3" t="str"><f>IF(1,"","")</f><v></v></c><c r="E3"><f>1+1</f><v>2</v></c>'
        b'<c r="F3" s="1"/><c r="AA3"><f t="shared" si="0"/></c></row></sheetData>'
    )
    errors, uncached = scan_cell_states(xml)
    assert errors == {(2, 2): "#N/A"}
    assert uncached == {(2, 1), (2, 26)}
    assert scan_cell_states(b'<sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData>') == ({}, set())


def test_merged_input_cells(tmp_path):
    def edit(ws):
        ws.merge_cells(f"G{ROWS['3']}:H{ROWS['3']}")  # value and source joined
        ws.merge_cells(f"F{ROWS['4']}:G{ROWS['4']}")  # a protected cell merged over the value
        ws.merge_cells("C2:E2")  # the header block's own wide input cell is fine

    sub = only(build_fillin(tmp_path / "f.xlsx", edit=edit))
    assert [(f.code, f.cell) for f in sub.findings] == [
        ("merged-input", f"H{ROWS['3']}"),
        ("merged-input", f"G{ROWS['4']}"),
    ]
    assert "合并" in sub.findings[0].message


def test_control_characters_are_removed_and_reported(tmp_path):
    path = build_fillin(tmp_path / "f.xlsx", notes={"1": "托位CTRLMARK增加"})
    patch_xml(path, b"CTRLMARK", b"_x0007_")
    sub = only(path)
    assert sub.indicators["1"].note == "托位增加"
    assert [(f.code, f.cell) for f in sub.findings] == [("text-control-chars", f"I{ROWS['1']}")]


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw,expected",
    [
        (datetime(2024, 3, 5, 10, 30), date(2024, 3, 5)),
        (date(2024, 3, 5), date(2024, 3, 5)),
        (45356, date(2024, 3, 5)),
        (45356.75, date(2024, 3, 5)),
        ("2024-03-05", date(2024, 3, 5)),
        ("2024年3月5日", date(2024, 3, 5)),
        ("2024/3/5", date(2024, 3, 5)),
        ("2024.3.5", date(2024, 3, 5)),
        ("２０２４－０３－０５", date(2024, 3, 5)),
        ("20240305", date(2024, 3, 5)),
        ("2024-03-05 14:00", date(2024, 3, 5)),
        ("上周五", None),
        ("2024-02-30", None),
        (7, None),
        ("", None),
    ],
)
def test_parse_date(raw, expected):
    assert parse_date(raw) == expected


def test_parse_date_1904_system():
    assert parse_date(43894, date1904=True) == date(2024, 3, 5)
    assert parse_date(45356, date1904=False) == date(2024, 3, 5)


def test_header_dates_in_both_date_systems(tmp_path):
    for system, serial in ((False, 45356), (True, 43894)):
        sub = only(build_fillin(tmp_path / f"d{system}.xlsx", date1904=system, header={"填报日期": serial}))
        assert sub.header["填报日期"] == "2024-03-05", system
        # a real date typed in a 1904 workbook comes back as the same date
        sub = only(
            build_fillin(tmp_path / f"e{system}.xlsx", date1904=system, header={"填报日期": date(2024, 3, 5)})
        )
        assert sub.header["填报日期"] == "2024-03-05", system


def test_unreadable_header_date(tmp_path):
    sub = only(build_fillin(tmp_path / "f.xlsx", header={"填报日期": "三月初"}))
    assert [(f.code, f.cell) for f in sub.findings] == [("date-invalid", "I2")]
    assert "三月初" in sub.findings[0].message


@pytest.mark.parametrize(
    "raw,code",
    [
        ("2024-03", "2024-03"),
        ("2024年3月", "2024-03"),
        ("2024年第一季度", "2024-Q1"),
        ("2024-Q2", "2024-Q2"),
        ("2024年度", "2024"),
        (2024, "2024"),
        ("三月", None),
        (None, None),
    ],
)
def test_period_from_text(raw, code):
    assert period_from_text(raw) == code


# --- identity ------------------------------------------------------------------------------


def test_file_without_meta_is_template_unknown(tmp_path):
    sub = only(build_fillin(tmp_path / "f.xlsx", meta=False))
    assert codes(sub) == ["template-unknown"]
    assert sub.group == "幼有善育" and sub.indicators  # still read, to say what else is wrong
    assert CJK.search(sub.findings[0].message)


def test_foreign_workbook_is_template_unknown(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "随便什么表"
    wb.save(tmp_path / "x.xlsx")
    sub = only(tmp_path / "x.xlsx")
    assert codes(sub) == ["template-unknown"] and sub.group is None


def test_meta_of_another_template_is_template_unknown(tmp_path):
    sub = only(build_fillin(tmp_path / "f.xlsx", meta={"template": "别的模板"}))
    assert codes(sub)[0] == "template-unknown"


def test_sheet_named_otherwise_is_sheet_missing(tmp_path):
    sub = only(build_fillin(tmp_path / "f.xlsx", meta={"group": "学有优教"}))
    assert [(f.code, f.sheet) for f in sub.findings] == [("sheet-missing", "学有优教")]
    assert "学有优教" in sub.findings[0].message


# --- unreadable files ------------------------------------------------------------------------


def test_corrupt_and_foreign_files_raise_unreadable(tmp_path):
    good = build_fillin(tmp_path / "f.xlsx")
    truncated = tmp_path / "cut.xlsx"
    truncated.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    with pytest.raises(UnreadableFile) as info:
        read_file(truncated)
    assert info.value.finding.code == "file-corrupt" and info.value.finding.file == str(truncated)
    text = tmp_path / "t.xlsx"
    text.write_text("序号,指标名称\n1,托位\n", encoding="utf-8")
    with pytest.raises(UnreadableFile) as info:
        read_file(text)
    assert info.value.finding.code == "file-not-excel"


def test_file_level_warnings_of_the_safe_open_step_come_first(tmp_path):
    path = build_fillin(tmp_path / "f.xlsx")
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not run, not read")
    sub = only(path)
    assert codes(sub) == ["file-has-macros"] and sub.findings[0].cell is None
    assert sub.indicators  # the data is still read


def test_damaged_sheet_part_is_file_corrupt(tmp_path):
    path = build_fillin(tmp_path / "f.xlsx")
    patch_xml(
        path,
        b"<sheetData>",
        b'<sheetData><row r="1"><c r="A1" t="s"><v>999</v></c></row>',
        member_prefix="xl/worksheets/sheet1.xml",
    )
    with pytest.raises(UnreadableFile) as info:
        read_file(path)
    assert info.value.finding.code == "file-corrupt"
    assert "幼有善育" in info.value.message


# --- the grid path (xlwings) ----------------------------------------------------------------


def test_read_grid_on_plain_values_like_xlwings(tmp_path):
    wb = openpyxl.load_workbook(build_fillin(tmp_path / "f.xlsx", values={"1": 5.0}))
    ws = wb["幼有善育"]
    grid = [list(row) for row in ws.iter_rows(values_only=True)]  # None for blanks, rows may be ragged
    grid[10] = grid[10][:3]
    sub = read_grid(grid, "幼有善育", "七优享台账.xlsm")
    assert sub.group == "幼有善育" and sub.period == "2024-03" and sub.kind == "workbook"
    assert sub.indicators["1"].value.number == 5.0
    assert sub.header["填报日期"] == "2024-04-03"


def test_read_grid_with_extras_from_a_caller():
    grid = [[None] * 9 for _ in range(8)]
    grid[5] = list(INDICATOR_HEADERS)
    grid[6][0], grid[6][1] = "1", "每千人口拥有3岁以下婴幼儿托位数"
    sub = read_grid(grid, "幼有善育", "book", uncached={(6, 6)}, merged=[((6, 7), (6, 8))])
    found = {(f.code, f.cell) for f in sub.findings}
    assert {("value-formula-uncached", "G7"), ("merged-input", "I7")} <= found
    assert "header-missing" in codes(sub)  # no task table


def test_a1():
    assert a1(0, 0) == "A1" and a1(9, 25) == "Z10" and a1(0, 26) == "AA1" and a1(0, 702) == "AAA1"


# --- target adjustments (指标库) ---------------------------------------------------------------


def _catalogue(rows):
    grid = [
        ["瑞安市公共服务“七优享”工程 指标库"],
        ["序号", "领域", "指标名称"],
        ["1", "幼有善育", "托位数"],
        [],
        ["目标调整记录"],
        ["指标序号", "年度", "原目标", "调整后目标", "调整日期", "调整文号", "调整原因"],
    ]
    return grid + rows


def test_read_adjustments_latest_wins():
    grid = _catalogue(
        [
            ["1", 2024, 4.8, 5, "2024-05-01", "瑞七优〔2024〕3号", "省里上调"],
            ["1", "2024年", 4.8, "5.2", datetime(2024, 7, 1), "瑞七优〔2024〕5号", "再次上调"],
            ["1", 2024, 4.8, "5.1", None, None, "未写日期的一行算最早"],
            ["13", 2025, "<5", "<4.8", None, None, None],
            ["13", 2025, "<5", "<4.7", None, None, "同为无日期，靠下的一行为准"],
            [None, None, None, None, None, None, None],
        ]
    )
    adjustments = read_adjustments(grid)
    assert set(adjustments) == {("1", 2024), ("13", 2025)}
    assert adjustments[("13", 2025)].text == "<4.7"
    assert adjustments[("1", 2024)].text == "5.2" and adjustments[("1", 2024)].date == "2024-07-01"
    assert adjustments[("1", 2024)].document == "瑞七优〔2024〕5号"


def test_read_adjustments_refuses_unusable_rows():
    with pytest.raises(PlanDataError, match="指标序号"):
        read_adjustments(_catalogue([["99", 2024, None, "5", None, None, None]]))
    with pytest.raises(PlanDataError, match="年度"):
        read_adjustments(_catalogue([["1", 2030, None, "5", None, None, None]]))
    with pytest.raises(PlanDataError, match="目标"):
        read_adjustments(_catalogue([["1", 2024, None, "大约五个", None, None, None]]))
    with pytest.raises(PlanDataError, match="调整日期"):
        read_adjustments(_catalogue([["1", 2024, None, "5", "上个月", None, None]]))


def test_read_adjustments_from_a_file(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "指标库"
    for r, row in enumerate(_catalogue([["2", 2025, 65, 66, date(2025, 2, 1), "文号", "原因"]]), start=1):
        for c, v in enumerate(row, start=1):
            ws.cell(r, c, v)
    wb.save(tmp_path / "ledger.xlsx")
    adjustments = read_adjustments(tmp_path / "ledger.xlsx")
    assert adjustments[("2", 2025)].text == "66" and adjustments[("2", 2025)].date == "2025-02-01"


# --- what the project's own builders write (distribute, build_workbook) ----------------------------


@pytest.fixture(scope="module")
def distributed_files(tmp_path_factory):
    return distribute("2024-03", tmp_path_factory.mktemp("dist"))


def test_distributed_files_read_at_the_layout_positions(distributed_files, plan):
    assert [p.name for p in distributed_files] == [f"2024-03_{g}.xlsx" for g in GROUPS]
    for path, group in zip(distributed_files, GROUPS, strict=True):
        sub = only(path)
        assert (sub.group, sub.period, sub.kind, sub.template_version) == (
            group,
            "2024-03",
            "fill-in",
            TEMPLATE_VERSION,
        )
        assert not {
            "template-unknown",
            "sheet-missing",
            "header-missing",
            "header-duplicate",
            "merged-input",
            "value-formula-uncached",
        } & set(codes(sub)), group
        sheet = layout.group_layout(group, plan)
        for f in sheet.fields:
            assert sub.header_cells[f.label] == f.value_cell, (group, f.label)
        assert sub.header["填报期"] == "2024年3月" and sub.header["填报单位"]
        if sheet.kind == "domain":
            table = sheet.table("indicators")
            assert list(sub.indicators) == list(table.keys)
            for key, entry in sub.indicators.items():
                assert entry.value_cell == table.cell(key, "本期完成值")
                assert entry.note_cell == table.cell(key, "进展情况说明")
            tasks = sheet.table("tasks")
            assert list(sub.tasks) == list(tasks.keys)
            for key, entry in sub.tasks.items():
                assert entry.state_cell == tasks.cell(key, "完成情况")
        elif sheet.kind == "application":
            assert [str(a.number) for a in sub.applications] == list(sheet.table("applications").keys)
        else:
            assert sub.projects == []  # 30 numbered blank rows are not projects


def test_real_ledger_reads_nine_sheets_without_macro_warning(tmp_path):
    ledger = build_workbook(tmp_path / "七优享台账.xlsm")
    subs = read_file(ledger)
    assert [s.group for s in subs] == list(GROUPS) and {s.kind for s in subs} == {"ledger"}
    assert all(s.template_version == TEMPLATE_VERSION for s in subs)
    assert "file-has-macros" not in {f.code for s in subs for f in s.findings}
    assert not {
        "template-unknown",
        "sheet-missing",
        "header-missing",
        "merged-input",
        "value-formula-uncached",
    } & {f.code for s in subs for f in s.findings}
    assert read_adjustments(ledger) == {}
    # the office records an adjustment in 指标库 (typed with openpyxl, macros kept)
    wb = openpyxl.load_workbook(ledger, keep_vba=True)
    ws = wb["指标库"]
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "指标序号")
    for c, v in enumerate(
        ["2", 2024, None, "62", date(2024, 5, 6), "瑞七优〔2024〕2号", "省下达目标调整"], start=1
    ):
        if v is not None:
            ws.cell(header + 1, c, v)
    wb.save(ledger)
    adjusted = read_adjustments(ledger)
    assert adjusted[("2", 2024)].text == "62" and adjusted[("2", 2024)].date == "2024-05-06"
