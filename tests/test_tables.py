"""The printed progress tables: read back with openpyxl (an independent reader) and LibreOffice."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import requires_soffice
from conftest_notice import build_consolidation
from openpyxl import load_workbook

from qyx_excel.charts import STATUS_FILLS
from qyx_excel.errors import UsageError
from qyx_excel.glossary import Status
from qyx_excel.tables import render_tables

SHEETS = ["指标进度", "重点任务", "重大项目", "晾晒", "状态分布"]


@pytest.fixture(scope="module")
def consolidation():
    c = build_consolidation("2024-03")
    # text that a spreadsheet would take for a formula, typed by a group
    c.indicators[0].note = '=HYPERLINK("http://example.com","点我")'
    c.tasks[0].progress = "+1+1"
    c.tasks[1].problems = "-2 @SUM(A1)"
    return c


@pytest.fixture(scope="module")
def tables(consolidation, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tables") / "进度表.xlsx"
    assert render_tables(consolidation, out) == out
    return out


@pytest.fixture(scope="module")
def wb(tables):
    return load_workbook(tables)


def test_sheets_and_titles(wb):
    assert wb.sheetnames == SHEETS
    assert wb["指标进度"]["A1"].value == "2024年3月公共服务“七优享”工程指标进展情况表"
    assert wb["重点任务"]["A1"].value.startswith("2024年3月")
    header = [c.value for c in wb["指标进度"][3]]
    assert header[:10] == [
        "领域",
        "序号",
        "指标名称",
        "单位",
        "责任单位",
        "本年目标",
        "序时目标",
        "本期完成值",
        "完成率",
        "状态",
    ]


@pytest.mark.parametrize("sheet", SHEETS)
def test_print_setup_landscape_one_page_wide_titles_and_footer(wb, sheet):
    ws = wb[sheet]
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize == 9  # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth in (None, 1)  # 1 is the OOXML default, so XlsxWriter leaves it out
    if sheet != "状态分布":
        assert ws.page_setup.fitToHeight == 0  # as many pages tall as needed
    assert ws.print_title_rows == "$1:$3"  # title, subtitle and header row on every printed page
    assert ws.oddFooter.center.text == "第 &P 页 共 &N 页"
    assert ws.oddHeader.right.text == "2024年3月"


@pytest.mark.parametrize("sheet", ["指标进度", "重点任务"])
def test_every_row_shows_its_domain_so_continuation_pages_are_complete(wb, consolidation, sheet):
    ws = wb[sheet]
    items = consolidation.indicators if sheet == "指标进度" else consolidation.tasks
    rows = range(4, 4 + len(items))
    if sheet == "指标进度":
        assert [ws.cell(row=r, column=2).value for r in rows] == [r.id for r in consolidation.indicators]
    assert [ws.cell(row=r, column=1).value for r in rows] == [x.domain for x in items]
    assert not [rng for rng in ws.merged_cells.ranges if rng.min_col == 1 and rng.min_row >= 4]


def test_statuses_are_words_with_colour_fills(wb, consolidation):
    ws = wb["指标进度"]
    for i, row in enumerate(consolidation.indicators, start=4):
        cell = ws.cell(row=i, column=10)
        assert cell.value == row.status.value
        assert cell.fill.fgColor.rgb[-6:] == STATUS_FILLS[row.status]
        assert cell.fill.fill_type == "solid"
    severe = next(
        i for i, r in enumerate(consolidation.indicators, start=4) if r.status is Status.SEVERELY_LAGGING
    )
    assert ws.cell(row=severe, column=10).font.b  # bold too: distinct in black and white


def test_adjusted_target_shows_both(wb):
    ws = wb["指标进度"]
    row = next(r for r in range(4, ws.max_row + 1) if ws.cell(row=r, column=2).value == "2")
    assert ws.cell(row=row, column=6).value == "原目标60\n调整后62"


def test_typed_formulas_stay_text(tables, wb):
    ws = wb["指标进度"]
    assert ws["K4"].value == '=HYPERLINK("http://example.com","点我")' and ws["K4"].data_type == "s"
    tasks = wb["重点任务"]
    assert tasks["F4"].value == "+1+1" and tasks["F4"].data_type == "s"
    assert tasks["G5"].value == "-2 @SUM(A1)" and tasks["G5"].data_type == "s"
    with zipfile.ZipFile(tables) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert "<f>" not in zf.read(name).decode("utf-8"), name


def test_tasks_and_ranking_sheets(wb, consolidation):
    tasks = wb["重点任务"]
    states = [tasks.cell(row=r, column=5).value for r in range(4, 4 + len(consolidation.tasks))]
    assert states == [t.state or "未报送" for t in consolidation.tasks]
    ranking = wb["晾晒"]
    sections = [ranking.cell(row=r, column=1).value for r in range(1, ranking.max_row + 1)]
    assert {"分领域", "分专项组", "分责任单位"} <= set(sections)
    top = next(e for e in consolidation.ranking_of("domain") if e.rank == 1)
    first = sections.index("分领域") + 2
    assert (
        ranking.cell(row=first, column=1).value == 1 and ranking.cell(row=first, column=2).value == top.name
    )


def test_native_stacked_bar_chart_of_statuses_by_domain(tables, wb, consolidation):
    with zipfile.ZipFile(tables) as zf:
        chart = zf.read("xl/charts/chart1.xml").decode("utf-8")
    assert '<c:barDir val="bar"/>' in chart and '<c:grouping val="stacked"/>' in chart
    ws = wb["状态分布"]
    total_col = [c.value for c in ws[3]].index("合计") + 1
    total = sum(ws.cell(row=r, column=total_col).value for r in range(4, 11))
    assert total == len(consolidation.indicators)


def test_a3_and_annual_columns(tmp_path):
    out = render_tables(build_consolidation("2024"), tmp_path / "a3.xlsx", paper="a3")
    ws = load_workbook(out)["指标进度"]
    assert ws.page_setup.paperSize == 8
    assert "2025年目标" in [c.value for c in ws[3]]
    with pytest.raises(UsageError, match="A4 或 A3"):
        render_tables(build_consolidation(), tmp_path / "x.xlsx", paper="Letter")


def test_no_projects_no_project_sheet(tmp_path):
    c = build_consolidation()
    c.projects = []
    assert "重大项目" not in load_workbook(render_tables(c, tmp_path / "t.xlsx")).sheetnames


@requires_soffice
def test_pdf_through_libreoffice(tmp_path):
    # every indicator with a two-line 进展情况说明, as in a month where the groups explain their
    # figures: the indicator table then runs to a second page
    consolidation = build_consolidation()
    for r in consolidation.indicators:
        r.note = (
            r.note or "本期数据已按省平台口径核对，较上月稳步提升，相关工作按年度计划有序推进，下月继续跟踪。"
        )
    out = render_tables(consolidation, tmp_path / "进度表.xlsx", pdf=True)
    pdf = out.with_suffix(".pdf")
    assert pdf.is_file() and pdf.stat().st_size > 0
    if not shutil.which("pdfinfo") or not shutil.which("pdftotext"):
        pytest.skip("poppler-utils (pdfinfo/pdftotext) not installed")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert 4 <= pages <= 20, pages
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert f"第1页共{pages}页" in text.replace(" ", "")
    assert "2024年3月公共服务“七优享”工程指标进展情况表" in text.replace(" ", "")
    # the header row is repeated on the second page of the indicator table
    page2 = text.split("\f")[1]
    assert "序号" in page2 and "指标名称" in page2.replace(" ", "")
    assert "指标进展情况表" in page2.replace(" ", "")  # and so is the title


def test_chart_statuses_differ_in_black_and_white(tables):
    """序时推进, 严重滞后 and 未填报 printed as the same grey: two of them are hatched now."""
    with zipfile.ZipFile(tables) as zf:
        chart = zf.read("xl/charts/chart1.xml").decode("utf-8")
    assert chart.count("<a:pattFill") == 2
    assert 'prst="wdDnDiag"' in chart and 'prst="smGrid"' in chart


@requires_soffice
def test_pdf_has_no_near_empty_last_page(tmp_path):
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils (pdftotext) not installed")
    from qyx_excel.tables import _table_rows

    c = build_consolidation("2024-03")
    out = render_tables(c, tmp_path / "进度表.xlsx", pdf=True)
    text = subprocess.run(
        ["pdftotext", "-layout", str(out.with_suffix(".pdf")), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pages = text.split("\f")
    for title in ("指标进展情况表", "重点任务推进情况表"):
        own = [p for p in pages if title in p.replace(" ", "")]
        assert own, title
        if len(own) > 1:
            last, before = _table_rows(own[-1]), _table_rows(own[-2])
            assert last > max(7, before // 4), (title, [_table_rows(p) for p in own])
    # the .xlsx keeps “as tall as needed” for Excel, whose page breaks differ from LibreOffice's
    assert load_workbook(out)["指标进度"].page_setup.fitToHeight == 0


def test_levels_column_writes_the_word_beside_the_status(tmp_path):
    """督办 levels in the indicator table: 蓝色提醒/黄色预警/红色督办 as words (legible in black and
    white), red in bold; no column without levels (no store yet)."""
    c = build_consolidation()
    plain = load_workbook(render_tables(c, tmp_path / "plain.xlsx"))["指标进度"]
    assert "预警等级" not in [cell.value for cell in plain[3]]
    levels = {"13": "黄色预警", "14": "红色督办", "29": "蓝色提醒"}
    ws = load_workbook(render_tables(c, tmp_path / "levels.xlsx", levels=levels))["指标进度"]
    heads = [cell.value for cell in ws[3]]
    assert heads[9:12] == ["状态", "预警等级", "进展情况说明"]
    shown = {row[1].value: row[10] for row in ws.iter_rows(min_row=4) if row[1].value}
    assert {k: v.value for k, v in shown.items() if v.value} == levels
    assert shown["14"].font.b and not shown["13"].font.b
    assert shown["14"].fill.fgColor.rgb.endswith("FFC7CE")
