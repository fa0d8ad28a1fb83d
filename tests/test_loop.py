"""The whole month on real files: distribute → fill (openpyxl, as a person) → consolidate → ledger.

Resubmission, a refused group, a missing group, a group filling the ledger directly, quarter and
year views, re-running, rebuilding the store, and the ledger reopened with openpyxl and olevba.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from conftest import requires_soffice

from qyx_excel.consolidate import consolidate, load_consolidation
from qyx_excel.glossary import GROUPS, SHEET_FINDINGS, SHEET_RANKING, SHEET_SUMMARY, Status
from qyx_excel.layout import OUTPUT_HEADER_ROW, SUMMARY_HEADER_ROW
from qyx_excel.ledger import STATUS_FILLS, SUMMARY_COLUMNS
from qyx_excel.model import ACCEPTED, IGNORED, OTHER_PERIOD, REFUSED, SUPERSEDED
from qyx_excel.periods import parse_period
from qyx_excel.receive import rebuild
from qyx_excel.sample import fill_file, group_fill, make_history, make_sample_month
from qyx_excel.store import Store

NOW = datetime(2024, 4, 8, 10, 0)
MARCH = parse_period("2024-03")


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    """A ledger, January and February in history, March's files in the inbox, consolidated once."""
    from qyx_excel.workbook import build_workbook

    root = tmp_path_factory.mktemp("loop")
    ledger = build_workbook(root / "七优享台账.xlsm", year=2024)
    assert make_history(MARCH, root / "历史库") == ["2024-01", "2024-02"]
    paths = make_sample_month(MARCH, root / "收件箱")
    first = consolidate(MARCH, ledger, inbox=root / "收件箱", now=NOW)
    return root, ledger, paths, first


def _summary_json(result) -> str:
    """The result without the ledger's own lines (the ledger's bytes change as results are written)."""
    data = result.to_json()
    data["files"] = [f for f in data["files"] if not f["file_name"].endswith(".xlsm")]
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _vml_macros(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        found = []
        for name in z.namelist():
            if name.endswith(".vml"):
                found += re.findall(
                    r"<x:FmlaMacro>\[0\]!(\w+)</x:FmlaMacro>", z.read(name).decode("utf-8", "replace")
                )
        return sorted(found)


def test_month_refused_and_missing_groups(month):
    root, ledger, paths, result = month
    c = result.consolidation
    assert len(paths) == 8 and not (root / "收件箱" / "2024-03_弱有众扶.xlsx").exists()
    assert result.missing == ["弱有众扶"] and result.refused == ["住有宜居"]
    statuses = {(r.file_name, r.sheet): r.status for r in result.reports}
    assert statuses[("2024-03_住有宜居.xlsx", "住有宜居")] == REFUSED
    assert statuses[("2024-03_幼有善育.xlsx", "幼有善育")] == ACCEPTED
    assert all(statuses[(ledger.name, g)] == IGNORED for g in GROUPS)  # the ledger's sheets are empty
    codes = {f.code for f in c.findings}
    assert {"value-percent-range", "value-not-number", "lagging-no-note"} <= codes
    assert c.previous_period == "2024-02" and c.previous_counts is not None
    assert any(e.rank_change not in (None, 0) for e in c.ranking)
    row = next(r for r in c.indicators if r.id == "1")
    assert row.source_file == "2024-03_幼有善育.xlsx" and row.source_cell == "幼有善育!G7"
    assert row.previous_value is not None
    assert result.written == [ledger]


def test_rerun_gives_identical_results(month):
    root, ledger, _, first = month
    again = consolidate(MARCH, ledger, inbox=root / "收件箱", now=NOW)
    assert _summary_json(again) == _summary_json(first)


def test_ledger_holds_results_vba_and_buttons_after_two_writes(month):
    from oletools.olevba import VBA_Parser
    from openpyxl import load_workbook

    root, ledger, _, result = month
    consolidate(MARCH, ledger, inbox=root / "收件箱", now=NOW)  # a second write
    wb = load_workbook(ledger, keep_vba=True)
    ws = wb[SHEET_SUMMARY]
    header = [ws.cell(SUMMARY_HEADER_ROW, i + 1).value for i in range(len(SUMMARY_COLUMNS))]
    assert header == [name for name, _ in SUMMARY_COLUMNS]
    rows = list(ws.iter_rows(min_row=SUMMARY_HEADER_ROW + 1, values_only=True))
    c = result.consolidation
    assert len([r for r in rows if r[0]]) == len(c.indicators) == 47
    first = rows[0]
    col = {name: i for i, (name, _) in enumerate(SUMMARY_COLUMNS)}
    assert first[col["序号"]] == "1" and first[col["来源文件"]] == "2024-03_幼有善育.xlsx"
    assert first[col["来源单元格"]] == "幼有善育!G7"
    status_col = col["状态"] + 1
    for r in range(SUMMARY_HEADER_ROW + 1, SUMMARY_HEADER_ROW + 48):
        cell = ws.cell(r, status_col)
        assert cell.value in STATUS_FILLS and cell.fill.fgColor.rgb.endswith(STATUS_FILLS[cell.value])
    assert "未填报" in ws["A5"].value and c.label in ws["A5"].value
    assert ws["C2"].value == "2024-03"
    rank = wb[SHEET_RANKING]
    ranked = [r for r in rank.iter_rows(min_row=OUTPUT_HEADER_ROW + 1, values_only=True) if r[0]]
    assert [r[0] for r in ranked].count("领域") == 7 and [r[0] for r in ranked].count("专项组") == 9
    assert any(isinstance(r[0], str) and r[0].startswith("晾晒规则") for r in ranked)
    findings = wb[SHEET_FINDINGS]
    table = list(findings.iter_rows(min_row=OUTPUT_HEADER_ROW, values_only=True))
    assert table[0][:3] == ("序号", "报送情况", "专项组")
    reporting = {r[2]: r for r in table[1:10]}
    assert reporting["弱有众扶"][1] == "未报送" and "胡慧杰同志" in reporting["弱有众扶"][8]
    assert reporting["住有宜居"][1] == "已退回" and reporting["幼有善育"][1] == "已受理"
    assert any(
        r[2] == "百分比超出范围" and r[4] == "2024-03_住有宜居.xlsx" and r[9] == "value-percent-range"
        for r in table
    )
    meta = {r[0]: r[1] for r in wb["_meta"].iter_rows(values_only=True)}
    assert meta["period"] == "2024-03" and meta["kind"] == "ledger"
    wb.close()
    # the macros and the buttons bound to them survive openpyxl's re-saves
    parser = VBA_Parser(str(ledger))
    try:
        code = "\n".join(src for _, _, _, src in parser.extract_macros())
    finally:
        parser.close()
    for macro in ("QyxCheckSheet", "QyxConsolidate", "QyxNotice", "QyxPrintTables"):
        assert f"Sub {macro}" in code
    assert _vml_macros(ledger) == sorted(
        ["QyxCheckSheet"] * 9 + ["QyxConsolidate", "QyxNotice", "QyxPrintTables"]
    )
    assert (root / "备份").is_dir()  # the previous ledger was kept


def test_resubmissions_supersede_and_a_group_can_fill_the_ledger(month, tmp_path):
    from openpyxl import load_workbook

    root, ledger, _, _ = month
    work = tmp_path / "work"
    shutil.copytree(root, work, ignore=shutil.ignore_patterns("备份"))
    ledger, inbox = work / ledger.name, work / "收件箱"
    # 住有宜居 sends a corrected file two days later; 幼有善育 sends a new version with another value
    fixed = inbox / "2024-03_住有宜居(修改).xlsx"
    shutil.copy(inbox / "2024-03_住有宜居.xlsx", fixed)
    fill_file(fixed, "住有宜居", group_fill("住有宜居", MARCH))
    redo = inbox / "2024-03_幼有善育-更正.xlsx"
    shutil.copy(inbox / "2024-03_幼有善育.xlsx", redo)
    wb = load_workbook(redo)
    wb["幼有善育"]["G7"].value = 4.5
    wb.save(redo)
    for path, day in ((fixed, 4), (redo, 5)):
        stamp = datetime(2024, 4, day, 16).timestamp()
        os.utime(path, (stamp, stamp))
    # 弱有众扶, late, types straight into the ledger's sheet
    wb = load_workbook(ledger, keep_vba=True)
    ws = wb["弱有众扶"]
    ws["G7"].value = 13000
    ws["C3"].value = "胡慧杰"
    wb.save(ledger)
    result = consolidate(MARCH, ledger, inbox=inbox, now=NOW)
    c = result.consolidation
    assert result.ok, result.summary_text()
    groups = {g.group: g for g in c.groups}
    assert groups["住有宜居"].accepted and groups["住有宜居"].file == fixed.name
    assert groups["住有宜居"].superseded == ["2024-03_住有宜居.xlsx"]
    assert groups["幼有善育"].file == redo.name and groups["幼有善育"].superseded == ["2024-03_幼有善育.xlsx"]
    assert groups["弱有众扶"].accepted and groups["弱有众扶"].file == ledger.name and groups["弱有众扶"].late
    row = next(r for r in c.indicators if r.id == "1")
    assert row.value == 4.5 and row.source_file == redo.name
    low = next(r for r in c.indicators if r.id == "40")
    assert low.value == 13000 and low.source_file == ledger.name and low.source_cell == "弱有众扶!G7"
    reports = {r.file_name: r.status for r in result.reports if r.sheet in ("幼有善育", "住有宜居")}
    assert reports["2024-03_幼有善育.xlsx"] == SUPERSEDED and reports[redo.name] == ACCEPTED
    assert reports["2024-03_住有宜居.xlsx"] == SUPERSEDED  # refused, then replaced by the corrected file
    assert "value-percent-range" not in {f.code for f in c.findings}  # resolved by the correction
    with Store(work / "历史库") as st:
        history = st.history(st.current(MARCH, "幼有善育").id)
        assert [h.file_name for h in history] == ["2024-03_幼有善育.xlsx", redo.name]
        trace = st.trace(MARCH, "1", "幼有善育")
        assert trace.archive_path.read_bytes() == redo.read_bytes() and trace.cell == "G7"
        before = st.dump()
    # re-running after the ledger was rewritten: its sheet is the same content, not a new submission
    again = consolidate(MARCH, ledger, inbox=inbox, now=NOW)
    assert _summary_json(again)  # runs
    assert again.consolidation.to_json()["indicators"] == c.to_json()["indicators"]
    with Store(work / "历史库") as st:
        assert len(st.submissions(MARCH)) == len([s for s in before["submissions"] if s[6] == "2024-03"])
        before = st.dump()
    # the store rebuilt from its archive is the same database
    rebuild(work / "历史库")
    with Store(work / "历史库") as st:
        assert st.dump() == before


def test_a_file_of_another_period_is_filed_there_not_here(month, tmp_path):
    from qyx_excel.distribute import distribute

    root, ledger, _, _ = month
    work = tmp_path / "w"
    shutil.copytree(root, work, ignore=shutil.ignore_patterns("备份"))
    (old,) = distribute("2024-02", work / "收件箱", groups=("学有优教",))
    fill_file(old, "学有优教", group_fill("学有优教", parse_period("2024-02"), seed=7))
    result = consolidate(MARCH, work / ledger.name, inbox=work / "收件箱", now=NOW, write=False)
    (report,) = [r for r in result.reports if r.file_name == old.name]
    assert report.status == OTHER_PERIOD and report.period == "2024-02"
    assert report.findings[-1].code == "period-mismatch" and report.findings[-1].severity == "warning"
    row = next(r for r in result.consolidation.indicators if r.id == "7")
    assert row.source_file == "2024-03_学有优教.xlsx"


def test_quarter_and_year_views_from_history(month, tmp_path):
    root, ledger, _, _ = month
    work = tmp_path / "q"
    shutil.copytree(root, work, ignore=shutil.ignore_patterns("备份"))
    result = consolidate("2024-Q1", work / ledger.name, now=NOW)
    c = result.consolidation
    assert c.kind == "quarter" and c.label == "2024年第一季度"
    assert result.reports == [] and result.missing == []  # no file is read for a quarter
    groups = {g.group: g for g in c.groups}
    assert groups["住有宜居"].accepted and groups["住有宜居"].file == "2024-02_住有宜居.xlsx"  # March refused
    assert groups["弱有众扶"].file == "2024-02_弱有众扶.xlsx"  # late in March: February stands
    assert {r.source_file for r in c.rows_of("幼有善育")} == {"2024-03_幼有善育.xlsx"}
    year = consolidate("2024", work / ledger.name, now=NOW)
    assert year.consolidation.kind == "year" and year.consolidation.label == "2024年度"
    assert load_consolidation("2024-Q1", ledger=work / ledger.name).to_json() == c.to_json()
    from openpyxl import load_workbook

    wb = load_workbook(work / ledger.name, read_only=True)
    assert wb[SHEET_SUMMARY]["C2"].value == "2024"
    wb.close()


def test_status_words_are_all_known(month):
    assert {r.status for r in month[3].consolidation.indicators} <= set(Status)


@requires_soffice
def test_libreoffice_still_sees_the_buttons(month, tmp_path):
    from qyx_excel.office import convert

    _, ledger, _, _ = month
    ods = convert(ledger, "ods", tmp_path)
    with zipfile.ZipFile(ods) as z:
        content = z.read("content.xml").decode("utf-8")
        names = z.namelist()
    assert 'form:label="汇总"' in content and 'form:label="校验本表"' in content
    assert any(n.startswith("Basic/") for n in names)


def _grid(ws) -> list[list]:
    return [list(row) for row in ws.iter_rows(values_only=True)]


def test_button_path_gives_the_same_consolidation_and_the_cells_the_writer_wrote(month, tmp_path):
    """The 汇总 button reads the open book's cells (intake.read_grid) and writes ledger.result_blocks."""
    from openpyxl import load_workbook

    from qyx_excel import intake
    from qyx_excel.cells import split_base1 as split_a1
    from qyx_excel.consolidate import consolidate_submissions
    from qyx_excel.ledger import result_blocks

    root, ledger, _, first = month
    work = tmp_path / "b"
    shutil.copytree(root, work, ignore=shutil.ignore_patterns("备份"))
    wb = load_workbook(work / ledger.name, keep_vba=True)
    subs = [intake.read_grid(_grid(wb[g]), g, ledger.name) for g in GROUPS]
    assert {s.kind for s in subs} == {"workbook"}
    calls = []
    result = consolidate_submissions(
        MARCH,
        subs,
        store=work / "历史库",
        inbox=work / "收件箱",
        now=NOW,
        progress=lambda d, t: calls.append((d, t)),
    )
    assert calls[-1] == (17, 17)  # 9 sheets + 8 files
    assert result.consolidation.to_json()["indicators"] == first.consolidation.to_json()["indicators"]
    assert result.missing == ["弱有众扶"] and result.refused == ["住有宜居"]
    # what the openpyxl writer put in the ledger is exactly what the blocks say
    summary = "\n".join(line for line in first.summary_text().splitlines() if not line.startswith("已写入"))
    blocks = result_blocks(first.consolidation, summary)  # the ledger was written before "已写入" was known
    written = load_workbook(ledger, read_only=False)
    for sheet, items in blocks.items():
        ws = written[sheet]
        for anchor, rows in items:
            r0, c0 = split_a1(anchor)
            for i, row in enumerate(rows):
                for j, value in enumerate(row):
                    cell = ws.cell(r0 + i, c0 + j).value
                    expected = None if value in ("", None) else value
                    if isinstance(expected, float):
                        assert cell == pytest.approx(expected), (sheet, r0 + i, c0 + j)
                    else:
                        assert cell == expected, (sheet, r0 + i, c0 + j)


def test_a_ledger_open_in_excel_is_reported_not_clobbered_and_nothing_is_lost(month, tmp_path):
    from qyx_excel.errors import OutputLocked

    root, ledger, _, _ = month
    work = tmp_path / "locked"
    shutil.copytree(root, work, ignore=shutil.ignore_patterns("备份"))
    target = work / ledger.name
    before = target.read_bytes()
    (work / f"~${ledger.name}").write_bytes(b"owner")  # what Excel leaves next to a book it has open
    with pytest.raises(OutputLocked) as caught:
        consolidate(MARCH, target, inbox=work / "收件箱", now=NOW)
    assert "请先关闭" in caught.value.message
    assert target.read_bytes() == before
    with Store(work / "历史库") as st:
        assert st.load_consolidation(MARCH) is not None  # the month itself is kept in the store


def test_sample_month_is_deterministic(tmp_path):
    from qyx_excel import intake

    a = make_sample_month(MARCH, tmp_path / "a", seed=5)
    b = make_sample_month(MARCH, tmp_path / "b", seed=5)
    c = make_sample_month(MARCH, tmp_path / "c", seed=6)
    assert [p.name for p in a] == [p.name for p in b]
    assert [p.stat().st_mtime for p in a] == [p.stat().st_mtime for p in b]

    def values(paths):
        return [
            {k: (e.value, e.note, e.data_source) for k, e in intake.read_file(p)[0].indicators.items()}
            for p in paths
        ]

    assert values(a) == values(b) and values(a) != values(c)
