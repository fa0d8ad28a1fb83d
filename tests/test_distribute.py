"""Fill-in files: one plain .xlsx per group, read back with openpyxl and filled in as a person would."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.cell import MergedCell

from qyx_excel import TEMPLATE_VERSION
from qyx_excel.distribute import distribute, fill_in_name
from qyx_excel.errors import UsageError
from qyx_excel.glossary import GROUPS, INDICATOR_HEADERS, SHEET_CATALOGUE, SHEET_GUIDE, TaskState
from qyx_excel.intake import read_adjustments
from qyx_excel.layout import ADJUSTMENT_HEADERS, group_layout
from qyx_excel.periods import parse_period
from qyx_excel.submission import META_KEYS, META_SHEET, META_TEMPLATE
from qyx_excel.workbook import FOOTER, INPUT_FILL, build_workbook

PERIOD = "2024-03"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> list[Path]:
    return distribute(PERIOD, tmp_path_factory.mktemp("fill-in"))


def _meta(wb) -> dict[str, str | None]:
    return {r[0]: r[1] for r in wb[META_SHEET].iter_rows(values_only=True)}


def _unlocked(ws) -> set[str]:
    return {
        c.coordinate
        for row in ws.iter_rows()
        for c in row
        if not isinstance(c, MergedCell) and c.protection.locked is False
    }


def test_one_file_per_group_named_by_period(files):
    assert [p.name for p in files] == [f"{PERIOD}_{g}.xlsx" for g in GROUPS]
    assert fill_in_name(parse_period("2024-Q1"), "幼有善育") == "2024-Q1_幼有善育.xlsx"
    assert fill_in_name("2024", "重大项目") == "2024_重大项目.xlsx"


@pytest.mark.parametrize("index", range(len(GROUPS)))
def test_fill_in_file_content(files, plan, index):
    group, path = GROUPS[index], files[index]
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [group, SHEET_GUIDE, META_SHEET]
    assert wb.active.title == group
    assert wb[META_SHEET].sheet_state == "veryHidden"
    meta = _meta(wb)
    assert list(meta)[: len(META_KEYS)] == list(META_KEYS)
    assert (meta["template"], meta["template_version"], meta["kind"]) == (
        META_TEMPLATE,
        TEMPLATE_VERSION,
        "fill-in",
    )
    assert (meta["group"], meta["period"], meta["target_year"]) == (group, PERIOD, "2024")
    ws = wb[group]
    layout = group_layout(group, plan)
    assert ws[layout.header_field("填报单位").value_cell].value == plan.group(group).lead_unit
    assert ws[layout.header_field("填报期").value_cell].value == "2024年3月"
    assert "2024年3月" in ws["A1"].value
    # same protection as the ledger, but no result cell (no buttons here)
    assert ws.protection.sheet
    assert _unlocked(ws) == layout.input_cells()
    assert ws.oddFooter.center.text == FOOTER[2:]
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        assert not any("vbaProject" in n for n in names)
        assert not any(
            "FmlaMacro" in z.read(n).decode("utf-8", "replace") for n in names if n.endswith(".vml")
        )
        assert "macroEnabled" not in z.read("[Content_Types].xml").decode()


def test_targets_of_the_period_year(files, plan):
    ws = openpyxl.load_workbook(files[0])["幼有善育"]
    table = group_layout("幼有善育", plan).table("indicators")
    for ind in plan.indicators_of("幼有善育"):
        assert ws[table.cell(ind.id, "本年目标")].value == ind.target_text(2024)
        assert ws[table.cell(ind.id, "2027年目标")].value == ind.target_text(2027)


def test_qualitative_target_takes_words_in_2027(tmp_path, plan):
    [path] = distribute("2027-06", tmp_path, groups=("劳有所得",))
    ws = openpyxl.load_workbook(path)["劳有所得"]
    cell = group_layout("劳有所得", plan).table("indicators").cell("17", "本期完成值")
    dv = next(dv for dv in ws.data_validations.dataValidation if cell in dv.sqref)
    assert dv.type == "custom" and "推进中" in dv.formula1 and "<=100" in dv.formula1
    assert dv.showErrorMessage and "全覆盖" in dv.error


def test_adjustments_from_the_ledger(tmp_path, plan):
    ledger = build_workbook(tmp_path / "台账.xlsm", year=2024, backup=False)
    wb = openpyxl.load_workbook(ledger, keep_vba=True)
    ws = wb[SHEET_CATALOGUE]
    first = next(r[0].row for r in ws.iter_rows() if tuple(c.value for c in r[:7]) == ADJUSTMENT_HEADERS) + 1
    for r, row in enumerate(
        [
            ("1", 2024, "5", datetime(2024, 5, 6), "瑞政办〔2024〕5号", "省里调整"),
            ("27-1", 2024, "86", None, "", ""),
        ],
        start=first,
    ):
        for c, value in enumerate(row):
            ws.cell(r, (1, 2, 4, 5, 6, 7)[c], value)
    wb.save(ledger)
    assert set(read_adjustments(ledger)) == {("1", 2024), ("27-1", 2024)}
    paths = distribute(PERIOD, tmp_path / "out", ledger=ledger, groups=("幼有善育", "病有良医"))
    ws = openpyxl.load_workbook(paths[0])["幼有善育"]
    cell = ws[group_layout("幼有善育", plan).table("indicators").cell("1", "本年目标")]
    assert cell.value == "5"
    assert "瑞政办〔2024〕5号" in cell.comment.text and "4.8" in cell.comment.text
    ws = openpyxl.load_workbook(paths[1])["病有良医"]
    table = group_layout("病有良医", plan).table("indicators")
    assert ws[table.cell("27-1", "本年目标")].value == "86"
    assert ws[table.cell("27-2", "本年目标")].value == "69%"


def test_filled_in_by_a_person_keeps_identity_and_validation(files, plan, tmp_path):
    path = files[3]  # 病有良医
    layout = group_layout("病有良医", plan)
    wb = openpyxl.load_workbook(path)
    ws = wb["病有良医"]
    ind, tasks = layout.table("indicators"), layout.table("tasks")
    ws[layout.header_field("填报人").value_cell] = "张三"
    ws[layout.header_field("联系电话").value_cell] = "0577-65800000"
    ws[layout.header_field("填报日期").value_cell] = date(2024, 4, 3)
    ws[ind.cell("19", "本期完成值")] = 81.6
    ws[ind.cell("19", "数据来源")] = "市卫生健康局统计"
    ws[ind.cell("27-1", "本期完成值")] = 85
    ws[ind.cell("27-1", "进展情况说明")] = "按政策执行"
    ws[tasks.cell(tasks.keys[0], "本期进展")] = "新增重点专科1个"
    ws[tasks.cell(tasks.keys[0], "完成情况")] = TaskState.ON_TRACK.value
    out = tmp_path / path.name
    wb.save(out)

    again = openpyxl.load_workbook(out)
    meta = _meta(again)
    assert (meta["group"], meta["period"], meta["template_version"], meta["kind"]) == (
        "病有良医",
        PERIOD,
        TEMPLATE_VERSION,
        "fill-in",
    )
    assert again[META_SHEET].sheet_state == "veryHidden"
    ws = again["病有良医"]
    assert ws[ind.cell("19", "本期完成值")].value == 81.6
    assert ws[tasks.cell(tasks.keys[0], "完成情况")].value == "序时推进"
    assert ws.protection.sheet and _unlocked(ws) == layout.input_cells()
    kinds = {dv.type for dv in ws.data_validations.dataValidation}
    assert {"decimal", "list", "date", "textLength"} <= kinds
    value_dv = next(
        dv for dv in ws.data_validations.dataValidation if ind.cell("19", "本期完成值") in dv.sqref
    )
    assert value_dv.showErrorMessage and value_dv.error
    header_row = next(r[0].row for r in ws.iter_rows() if tuple(c.value for c in r[:9]) == INDICATOR_HEADERS)
    assert header_row == ind.header_row
    fill = ws[ind.cell("19", "本期完成值")].fill.fgColor.rgb
    assert fill.endswith(INPUT_FILL[1:])


def test_refusals(tmp_path):
    with pytest.raises(UsageError, match="方案期"):
        distribute("2029-01", tmp_path)
    with pytest.raises(UsageError, match="没有这个专项组"):
        distribute(PERIOD, tmp_path, groups=("综合协调组",))
    with pytest.raises(UsageError, match="格式不对"):
        distribute("2024-13", tmp_path)
    with pytest.raises(UsageError, match="找不到台账"):
        distribute(PERIOD, tmp_path, ledger=tmp_path / "none.xlsm")
    assert not list(tmp_path.iterdir())


def test_redistributing_replaces_and_keeps_a_backup(tmp_path):
    first = distribute(PERIOD, tmp_path, groups=("幼有善育",))
    before = first[0].read_bytes()
    again = distribute(PERIOD, tmp_path, groups=("幼有善育",))
    assert again == first and again[0].read_bytes() != b""
    backups = list((tmp_path / "备份").glob("2024-03_幼有善育.*.xlsx"))
    assert len(backups) == 1 and backups[0].read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("~qyx-")]
