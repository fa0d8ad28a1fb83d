"""The one result shape: a file's findings (FileReport) and a run's (Report), valid by one rule."""

from __future__ import annotations

import json

from qyx_excel.findings import FileReport, Report, is_valid, make


def test_valid_means_no_error_finding() -> None:
    warning = make("value-missing", file="a.xlsx", sheet="幼有善育", cell="F5", indicator="1")
    error = make("value-not-number", file="a.xlsx", sheet="幼有善育", cell="F6", indicator="2", found="八十")
    assert is_valid([]) and is_valid([warning])
    assert not is_valid([warning, error])
    assert FileReport("a.xlsx", findings=[warning]).valid
    assert not FileReport("a.xlsx", findings=[warning, error]).valid


def test_an_unreadable_file_is_invalid_by_its_error_finding() -> None:
    unreadable = FileReport(
        "坏.xlsx", findings=[make("file-corrupt", file="坏.xlsx", detail="截断")], unreadable=True
    )
    report = Report([FileReport("好.xlsx"), unreadable])
    assert not unreadable.valid and unreadable.errors[0].code == "file-corrupt"
    assert not report.valid and not report.ok and report.unreadable
    assert report.stats == {"files": 2, "invalid": 1, "errors": 1, "warnings": 0}


def test_a_run_level_error_makes_the_run_invalid_though_every_file_is_valid() -> None:
    run_error = make("export-schema", found="9", expected="1")
    report = Report([FileReport("a.json")], [run_error])
    assert all(f.valid for f in report.files) and not report.valid
    assert report.errors == [run_error]


def test_from_findings_gives_one_file_report_per_file_and_keeps_the_rest_for_the_run() -> None:
    findings = [
        make("export-schema", file="平阳县.json", found="0.9", expected="1"),
        make("submission-missing", expected="泰顺县"),
        make("export-duplicate-county", file="乐清市-重发.csv", found="乐清市"),
        make("export-invalid", file="平阳县.json", detail="缺少字段"),
    ]
    report = Report.from_findings(findings)
    assert [(f.file, [x.code for x in f.findings]) for f in report.files] == [
        ("平阳县.json", ["export-schema", "export-invalid"]),
        ("乐清市-重发.csv", ["export-duplicate-county"]),
    ]
    assert [f.code for f in report.findings] == ["submission-missing"]
    assert report.stats == {"files": 2, "invalid": 2, "errors": 3, "warnings": 1}


def test_to_json_has_valid_stats_and_each_file_with_its_findings() -> None:
    report = Report(
        [
            FileReport(
                "a.xlsx",
                group="幼有善育",
                period="2024-03",
                findings=[make("value-missing", file="a.xlsx", cell="F5", indicator="1")],
            )
        ]
    )
    data = json.loads(json.dumps(report.to_json(), ensure_ascii=False))
    assert data["valid"] is True and data["stats"] == {"files": 1, "invalid": 0, "errors": 0, "warnings": 1}
    (entry,) = data["files"]
    assert (entry["file"], entry["group"], entry["period"], entry["valid"]) == (
        "a.xlsx",
        "幼有善育",
        "2024-03",
        True,
    )
    assert entry["stats"] == {"errors": 0, "warnings": 1} and entry["findings"][0]["code"] == "value-missing"
    assert data["findings"] == []
