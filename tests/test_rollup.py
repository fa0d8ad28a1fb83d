"""Roll-up of county exports into a city view: counts, distribution, ranking, refusals, workbook."""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from conftest import requires_soffice
from consolidations import judged_consolidation as build_consolidation
from python_calamine import CalamineWorkbook

from qyx_excel.errors import UsageError
from qyx_excel.export import export_consolidation, read_export
from qyx_excel.glossary import Status
from qyx_excel.plan import load_plan
from qyx_excel.rollup import ROLLUP_SHEETS, rollup
from qyx_excel.safeio import sniff
from qyx_excel.targets import load_rules

PERIOD = "2024-03"


def _edit_json(path: Path, edit) -> Path:
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def county_files(tmp_path_factory) -> dict[str, Path]:
    """Synthetic county exports of 2024-03, good and bad, made from the real plan."""
    d = tmp_path_factory.mktemp("exports")
    files = {
        "good": export_consolidation(build_consolidation(factor=1.3), d / "瑞安市.json", county="瑞安市"),
        "missing-5": export_consolidation(
            build_consolidation(factor=1.0, skip=("5",)), d / "永嘉县.csv", county="永嘉县"
        ),
        "lagging": export_consolidation(build_consolidation(factor=0.9), d / "乐清市.json", county="乐清市"),
        "duplicate": export_consolidation(
            build_consolidation(factor=1.3), d / "乐清市-重发.csv", county="乐清市"
        ),
        "v2": export_consolidation(build_consolidation(), d / "平阳县.json", county="平阳县"),
        "unknown-id": export_consolidation(build_consolidation(), d / "苍南县.json", county="苍南县"),
        "wrong-period": export_consolidation(
            build_consolidation(period="2024-02"), d / "文成县.json", county="文成县"
        ),
    }
    _edit_json(files["v2"], lambda data: data.update(schema_version="2.0"))
    _edit_json(
        files["unknown-id"],
        lambda data: data["indicators"].append({**data["indicators"][0], "indicator_id": "46"}),
    )
    broken = d / "损坏.json"
    broken.write_text('{"schema": "qyx-export", "county": ', encoding="utf-8")
    files["broken"] = broken
    return files


ORDER = ("good", "missing-5", "lagging", "duplicate", "v2", "unknown-id", "wrong-period", "broken")


@pytest.fixture(scope="module")
def result(county_files, tmp_path_factory):
    out = tmp_path_factory.mktemp("rollup") / "温州市汇总.xlsx"
    seen = []
    res = rollup(
        PERIOD,
        [county_files[k] for k in ORDER],
        out,
        expected_counties=["瑞安市", "泰顺县"],
        progress=lambda done, total: seen.append((done, total)),
    )
    res.progress_seen = seen
    return res


def test_findings_codes_and_refusals(result) -> None:
    by_file: dict[str, list[str]] = {}
    for f in result.findings:
        by_file.setdefault(f.file or "", []).append(f.code)
    assert by_file["乐清市-重发.csv"] == ["export-duplicate-county"]
    assert by_file["平阳县.json"] == ["export-schema"]
    assert by_file["苍南县.json"] == ["export-unknown-indicator"]
    assert by_file["文成县.json"] == ["export-period-mismatch"]
    assert by_file["损坏.json"] == ["file-unreadable"]
    assert by_file[""] == ["submission-missing"]  # 泰顺县 sent nothing
    assert "瑞安市.json" not in by_file and "永嘉县.csv" not in by_file and "乐清市.json" not in by_file
    dup = next(f for f in result.findings if f.code == "export-duplicate-county")
    assert dup.message == "县（市、区）“乐清市”的数据出现了不止一份，请只保留一份。"
    period = next(f for f in result.findings if f.code == "export-period-mismatch")
    assert period.message == "上报文件的期别为 2024-02，应为 2024-03。"
    assert not result.ok
    assert result.progress_seen == [(i, 8) for i in range(1, 9)]
    # the same findings as a report: one entry per file with findings, the missing county run-level
    report = result.report
    assert {f.file: [x.code for x in f.findings] for f in report.files} == {
        k: v for k, v in by_file.items() if k
    }
    assert [f.code for f in report.findings] == ["submission-missing"]
    assert report.valid is result.ok is False and result.summary()["errors"] == len(report.errors) == 5


def test_county_states(result) -> None:
    states = {c.county: (c.state, c.file) for c in result.counties}
    assert states == {
        "瑞安市": ("accepted", "瑞安市.json"),
        "泰顺县": ("missing", None),
        "永嘉县": ("accepted", "永嘉县.csv"),
        "乐清市": ("accepted", "乐清市.json"),  # the first file kept, the resent one refused
        "平阳县": ("refused", "平阳县.json"),
        "苍南县": ("refused", "苍南县.json"),
        "文成县": ("refused", "文成县.json"),
    }
    assert [c.county for c in result.counties][:2] == ["瑞安市", "泰顺县"]  # expected counties first
    assert result.summary() == {
        "files": 8,
        "counties": 7,
        "accepted": 3,
        "refused": 3,
        "missing": 1,
        "errors": 5,
    }


def _statuses(county_files) -> dict[str, dict[str, Status]]:
    """Each accepted county's statuses, read back independently of the roll-up."""
    out = {}
    for key, county in (("good", "瑞安市"), ("missing-5", "永嘉县"), ("lagging", "乐清市")):
        export = read_export(county_files[key])
        out[county] = {r.indicator_id: r.status for r in export.indicators}
    return out


def test_per_indicator_counts(result, county_files) -> None:
    statuses = _statuses(county_files)
    keys = {
        Status.MET: "met",
        Status.ON_TRACK: "on_track",
        Status.LAGGING: "lagging",
        Status.SEVERELY_LAGGING: "severely_lagging",
        Status.NOT_REPORTED: "missing",
        Status.NOT_APPLICABLE: "not_applicable",
    }
    plan = load_plan()
    assert [i.id for i in result.indicators] == [i.id for i in plan.reported_indicators()]
    assert len(result.indicators) == 47
    for ind in result.indicators:
        expected = dict.fromkeys(keys.values(), 0)
        expected["missing"] = 4  # 3 refused counties + 泰顺县
        for county_statuses in statuses.values():
            if ind.id in county_statuses:
                expected[keys[county_statuses[ind.id]]] += 1
            else:
                expected["missing"] += 1
        assert ind.counts == expected, ind.id
        assert sum(ind.counts.values()) == 7
    five = next(i for i in result.indicators if i.id == "5")
    assert five.counts["missing"] == 5  # 永嘉县 sent no row for indicator 5
    one = next(i for i in result.indicators if i.id == "1")
    assert one.counts["met"] == 1 and one.counts["on_track"] == 1 and one.counts["missing"] == 4


def test_distribution(result, county_files) -> None:
    values = [read_export(county_files[k]).row("1").value for k in ("good", "missing-5", "lagging")]
    one = next(i for i in result.indicators if i.id == "1")
    assert one.distribution == {
        "n": 3,
        "min": min(values),
        "median": statistics.median(values),
        "max": max(values),
        "mean": pytest.approx(statistics.fmean(values)),
    }
    five = next(i for i in result.indicators if i.id == "5")
    assert five.distribution["n"] == 2


def test_ranking_scores(result, county_files) -> None:
    rules = load_rules()
    reported = [i.id for i in load_plan().reported_indicators()]
    expected = {}
    for county, statuses in _statuses(county_files).items():
        scores = [rules.score(statuses.get(i, Status.NOT_REPORTED)) for i in reported]
        expected[county] = round(statistics.fmean(s for s in scores if s is not None), 1)
    got = {c.county: c.score for c in result.counties if c.state == "accepted"}
    assert got == expected
    assert [(c.rank, c.county) for c in result.ranking][:3] == [(1, "瑞安市"), (2, "永嘉县"), (3, "乐清市")]
    assert all(c.rank is None and c.score is None for c in result.ranking[3:])
    data = result.to_json()
    assert {"period", "counties", "indicators", "ranking", "findings"} <= set(data)
    assert data["period"] == "2024-03"
    assert data["ranking"][0] == {
        "rank": 1,
        "county": "瑞安市",
        "score": expected["瑞安市"],
        "state": "accepted",
        "counts": result.ranking[0].counts,
    }
    assert data["indicators"][0]["counts"].keys() == {
        "met",
        "on_track",
        "lagging",
        "severely_lagging",
        "missing",
        "not_applicable",
    }
    json.dumps(data, ensure_ascii=False)


def test_ties_share_a_rank(tmp_path: Path) -> None:
    same = build_consolidation(factor=1.0)
    files = [
        export_consolidation(same, tmp_path / "a.json", county="甲县"),
        export_consolidation(same, tmp_path / "b.json", county="乙县"),
        export_consolidation(build_consolidation(factor=0.5), tmp_path / "c.json", county="丙县"),
    ]
    res = rollup(PERIOD, files, None)
    assert [(c.county, c.rank) for c in res.ranking] == [("乙县", 1), ("甲县", 1), ("丙县", 3)]
    assert res.ok and res.out is None


def test_workbook_read_back_with_openpyxl(result) -> None:
    wb = openpyxl.load_workbook(result.out)
    assert wb.sheetnames[:3] == list(ROLLUP_SHEETS) == ["汇总(全市)", "县市排名", "校验结果"]
    assert wb["_meta"].sheet_state == "veryHidden"
    assert wb["_meta"]["C1"].value is None and wb["_meta"]["B3"].value == "rollup"

    ws = wb["汇总(全市)"]
    assert "2024年3月" in ws["A1"].value
    header = [c.value for c in ws[3]]
    assert header[:10] == [
        "序号",
        "领域",
        "指标名称",
        "单位",
        "已达标",
        "序时推进",
        "进度滞后",
        "严重滞后",
        "未填报（含未报送）",
        "不适用",
    ]
    assert header[10:] == ["有数值县市数", "最小值", "中位数", "最大值", "平均值"]
    rows = {r[0]: r for r in ws.iter_rows(min_row=4, values_only=True)}
    assert len(rows) == 47
    for ind in result.indicators:
        r = rows[ind.id]
        assert r[2] == ind.name
        assert list(r[4:10]) == [
            ind.counts[k]
            for k in ("met", "on_track", "lagging", "severely_lagging", "missing", "not_applicable")
        ]
        assert r[10] == ind.distribution["n"]
        assert r[12] == pytest.approx(ind.distribution["median"], rel=1e-14)
    assert ws.freeze_panes == "A4"
    assert ws.print_title_rows == "$3:$3"

    ws = wb["县市排名"]
    ranking = list(ws.iter_rows(min_row=4, values_only=True))
    assert [(r[0], r[1], r[2]) for r in ranking[:3]] == [
        (c.rank, c.county, c.score) for c in result.ranking[:3]
    ]
    assert {r[1]: r[9] for r in ranking} == {
        "瑞安市": "已受理",
        "永嘉县": "已受理",
        "乐清市": "已受理",
        "泰顺县": "未报送",
        "平阳县": "已拒收",
        "苍南县": "已拒收",
        "文成县": "已拒收",
    }

    ws = wb["校验结果"]
    listed = list(ws.iter_rows(min_row=4, values_only=True))
    assert [r[2] for r in listed] == [f.code for f in result.findings]
    assert [r[7] for r in listed] == [f.message for f in result.findings]
    assert {r[1] for r in listed} == {"错误（拒收）", "提醒"}


def test_workbook_opens_with_calamine(result) -> None:
    wb = CalamineWorkbook.from_path(result.out)
    assert wb.sheet_names[:3] == list(ROLLUP_SHEETS)
    rows = wb.get_sheet_by_name("汇总(全市)").to_python()
    assert rows[2][0] == "序号" and len(rows) == 3 + 47


def test_xlsm_output_is_a_valid_macro_free_xlsm(county_files, tmp_path: Path) -> None:
    out = tmp_path / "LEDGER.xlsm"
    rollup(PERIOD, [county_files["good"], county_files["lagging"]], out)
    with zipfile.ZipFile(out) as zf:
        types = zf.read("[Content_Types].xml").decode()
        assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
        assert "spreadsheetml.sheet.main+xml" not in types
        assert not any(n.lower().endswith("vbaproject.bin") for n in zf.namelist())
    assert sniff(out) == "xlsx"  # no macros inside
    wb = openpyxl.load_workbook(out, keep_vba=True)
    assert wb.sheetnames[:3] == list(ROLLUP_SHEETS)
    assert CalamineWorkbook.from_path(str(out)).sheet_names[:3] == list(ROLLUP_SHEETS)
    # a second run replaces the previous roll-up (kept in 备份/)
    rollup(PERIOD, [county_files["good"]], out)
    assert len(list((tmp_path / "备份").iterdir())) == 1


@requires_soffice
def test_xlsm_output_opens_in_libreoffice(county_files, tmp_path: Path) -> None:
    out = tmp_path / "LEDGER.xlsm"
    rollup(PERIOD, [county_files["good"]], out)
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--headless",
            "--convert-to",
            "ods",
            "--outdir",
            str(tmp_path),
            str(out),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    ods = tmp_path / "LEDGER.ods"
    assert ods.is_file()
    content = zipfile.ZipFile(ods).read("content.xml").decode()
    assert "汇总(全市)" in content and "县市排名" in content and "瑞安市" in content


def test_refuses_to_overwrite_a_ledger_and_bad_names(county_files, tmp_path: Path) -> None:
    ledger = tmp_path / "七优享台账.xlsm"
    wb = openpyxl.Workbook()
    wb.active.title = "幼有善育"
    wb.create_sheet("汇总")
    wb.save(ledger)
    before = ledger.read_bytes()
    with pytest.raises(UsageError, match="为避免覆盖台账"):
        rollup(PERIOD, [county_files["good"]], ledger)
    assert ledger.read_bytes() == before
    with pytest.raises(UsageError, match=r"\.xlsx 或 \.xlsm"):
        rollup(PERIOD, [county_files["good"]], tmp_path / "汇总.csv")
    with pytest.raises(UsageError):
        rollup("2024-13", [county_files["good"]], tmp_path / "汇总.xlsx")


def test_no_files_at_all(tmp_path: Path) -> None:
    res = rollup("2024-Q1", [], tmp_path / "空.xlsx", expected_counties=["瑞安市"])
    assert [c.state for c in res.counties] == ["missing"]
    assert all(i.counts["missing"] == 1 and i.distribution["n"] == 0 for i in res.indicators)
    ws = openpyxl.load_workbook(tmp_path / "空.xlsx")["县市排名"]
    assert ws["B4"].value == "瑞安市" and ws["J4"].value == "未报送"
