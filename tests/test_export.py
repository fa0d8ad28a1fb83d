"""Export of a consolidated period (schema qyx-export 1.0): JSON and CSV round trips, validation."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from consolidations import judged_consolidation

from qyx_excel import __version__
from qyx_excel.errors import UnreadableFile, UsageError
from qyx_excel.export import (
    CSV_COLUMNS,
    ROW_FIELDS,
    SCHEMA,
    SCHEMA_VERSION,
    export_consolidation,
    read_export,
)
from qyx_excel.findings import CODES
from qyx_excel.glossary import Status
from qyx_excel.model import Consolidation
from qyx_excel.periods import parse_period
from qyx_excel.safeio import backups_of

STATUS_WORDS = {"已达标", "序时推进", "进度滞后", "严重滞后", "未填报", "不适用"}


def build_consolidation(
    period: str = "2024-03", factor: float = 1.0, skip: tuple[str, ...] = ()
) -> Consolidation:
    """A judged consolidation whose rows carry notes and sources, and one group's status."""
    return judged_consolidation(period, factor, skip, sourced=True)


def _assert_rows_equal(consolidation: Consolidation, back, county: str) -> None:
    assert [r.indicator_id for r in back.indicators] == [r.id for r in consolidation.indicators]
    for row, got in zip(consolidation.indicators, back.indicators, strict=True):
        assert got.county == county
        assert got.period == consolidation.period
        assert got.status is row.status
        # exact equality: numbers survive the text form bit for bit
        assert (got.value, got.target, got.expected, got.completion) == (
            row.value,
            row.target,
            row.expected,
            row.completion,
        )
        assert (got.value_text, got.target_text, got.reason, got.note, got.source) == (
            row.value_text,
            row.target_text,
            row.reason,
            row.note,
            row.data_source,
        )
        assert (got.domain, got.name, got.unit) == (row.domain, row.name, row.unit)
        assert got.source_file == Path(row.source_file).name
        assert got.source_cell == row.source_cell


def test_json_round_trip(tmp_path: Path) -> None:
    c = build_consolidation(factor=0.98)
    out = export_consolidation(c, tmp_path / "瑞安市_2024-03.json")
    data = json.loads(out.read_text(encoding="utf-8"))  # an independent reader
    assert data["schema"] == SCHEMA == "qyx-export" and data["schema_version"] == SCHEMA_VERSION == "1.0"
    assert data["county"] == "瑞安市" and data["period"] == "2024-03"
    assert data["generator"] == f"qyx_excel {__version__}"
    assert data["generated_at"][:2] == "20" and "T" in data["generated_at"]
    assert len(data["indicators"]) == 49
    first = data["indicators"][0]
    assert list(first) == list(ROW_FIELDS)
    assert {
        "county",
        "indicator_id",
        "period",
        "value",
        "value_text",
        "target",
        "target_text",
        "expected",
        "status",
        "completion",
        "source",
    } <= set(first)
    assert {r["status"] for r in data["indicators"]} <= STATUS_WORDS
    assert data["groups"] == [
        {
            "group": "幼有善育",
            "submitted": True,
            "accepted": True,
            "late": False,
            "received_at": "2024-04-03",
            "errors": 0,
            "warnings": 0,
        }
    ]
    back = read_export(out, period="2024-03")
    assert back.ok, back.findings
    assert back.format == "json" and back.county == "瑞安市" and back.period == "2024-03"
    _assert_rows_equal(c, back, "瑞安市")
    assert back.groups == data["groups"]


def test_csv_round_trip(tmp_path: Path) -> None:
    c = build_consolidation(factor=0.9)
    out = export_consolidation(c, tmp_path / "瑞安市.csv", county="瑞安市")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    records = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert tuple(records[0]) == CSV_COLUMNS  # the first row is the header, no comment lines
    assert len(records) == 1 + 49
    assert {r[0] for r in records[1:]} == {"qyx-export"} and {r[1] for r in records[1:]} == {"1.0"}
    by_id = {
        r[CSV_COLUMNS.index("indicator_id")]: dict(zip(CSV_COLUMNS, r, strict=True)) for r in records[1:]
    }
    assert by_id["1"]["county"] == "瑞安市" and by_id["1"]["status"] in STATUS_WORDS
    assert by_id["27-1"]["period"] == "2024-03"
    back = read_export(out, period="2024-03")
    assert back.ok, back.findings
    assert back.format == "csv"
    _assert_rows_equal(c, back, "瑞安市")


def test_format_override_and_unknown_extension(tmp_path: Path) -> None:
    c = build_consolidation()
    out = export_consolidation(c, tmp_path / "上报.txt", fmt="csv")
    assert out.read_bytes().startswith(b"\xef\xbb\xbfschema,schema_version,county")
    assert read_export(out, fmt="csv").ok
    assert read_export(out).ok  # no recognised extension: sniffed (not "{" → CSV)
    with pytest.raises(UsageError, match=r"\.json 或 \.csv"):
        export_consolidation(c, tmp_path / "上报.xlsx")
    with pytest.raises(UsageError, match="县"):
        export_consolidation(c, tmp_path / "上报.json", county="  ")


def test_formula_like_text_stays_text_in_csv(tmp_path: Path) -> None:
    c = build_consolidation()
    c.indicators[0].note = '=HYPERLINK("http://x")'
    c.indicators[1].data_source = "-统计局"
    out = export_consolidation(c, tmp_path / "a.csv")
    records = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    note_col = CSV_COLUMNS.index("note")
    assert records[1][note_col] == '\'=HYPERLINK("http://x")'
    back = read_export(out)
    assert back.indicators[0].note == '=HYPERLINK("http://x")'
    assert back.indicators[1].source == "-统计局"


def test_rewrite_keeps_a_backup(tmp_path: Path) -> None:
    target = tmp_path / "a.json"
    export_consolidation(build_consolidation(factor=1.0), target)
    first = target.read_bytes()
    export_consolidation(build_consolidation(factor=0.5), target)
    assert target.read_bytes() != first
    assert [b.read_bytes() for b in backups_of(target)] == [first]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("~qyx-")] == []


# --- validation --------------------------------------------------------------------------------


def _json_export(tmp_path: Path, name: str = "x.json", **changes) -> tuple[Path, dict]:
    out = export_consolidation(build_consolidation(), tmp_path / name)
    data = json.loads(out.read_text(encoding="utf-8"))
    data.update(changes)
    return out, data


def _write(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _codes(export) -> list[str]:
    return [f.code for f in export.findings]


def test_wrong_schema_version_is_refused(tmp_path: Path) -> None:
    path, data = _json_export(tmp_path, schema_version="2.0")
    back = read_export(_write(path, data))
    assert _codes(back) == ["export-schema"] and not back.ok
    assert back.file_report.file == back.path and not back.file_report.valid
    assert (
        back.findings[0].message
        == "上报文件的格式版本为 qyx-export 2.0，应为 qyx-export 1.x，请用同一版本的 qyx 导出。"
    )
    assert back.indicators == []
    data.update(schema="other-tool", schema_version="1.0")
    assert _codes(read_export(_write(path, data))) == ["export-schema"]


def test_newer_minor_version_with_extra_fields_is_accepted(tmp_path: Path) -> None:
    path, data = _json_export(tmp_path, schema_version="1.7", extra={"a": 1})
    data["indicators"][0]["new_field"] = "x"
    back = read_export(_write(path, data), period="2024-03")
    assert back.ok, back.findings
    assert len(back.indicators) == 49
    assert back.file_report.valid and back.file_report.period == "2024-03"


def test_unknown_indicator_period_mismatch_and_invalid_rows(tmp_path: Path) -> None:
    path, data = _json_export(tmp_path)
    data["indicators"][0]["indicator_id"] = "99"
    data["indicators"][1]["period"] = "2024-02"
    data["indicators"][2]["status"] = "完成"
    data["indicators"][3]["value"] = "八十"
    data["indicators"][4] = dict(data["indicators"][5])  # a repeated indicator
    back = read_export(_write(path, data), period="2024-Q1")
    codes = _codes(back)
    assert codes.count("export-unknown-indicator") == 1
    unknown = next(f for f in back.findings if f.code == "export-unknown-indicator")
    assert unknown.indicator == "99" and unknown.message == "上报文件中的指标“99”不在指标库中。"
    mismatches = [f for f in back.findings if f.code == "export-period-mismatch"]
    # the file is for 2024-03, not 2024-Q1; and one row says 2024-02
    assert {f.message for f in mismatches} == {
        "上报文件的期别为 2024-03，应为 2024-Q1。",
        "上报文件的期别为 2024-02（指标 2），应为 2024-03。",
    }
    invalid = [f.message for f in back.findings if f.code == "export-invalid"]
    assert any("状态“完成”不是" in m for m in invalid)
    assert any("“value”的值“八十”不是数值" in m for m in invalid)
    assert any("出现了不止一次" in m for m in invalid)
    assert not back.ok
    assert all(f.severity == "error" for f in back.findings)


def test_period_forms_compare_as_periods(tmp_path: Path) -> None:
    path, _ = _json_export(tmp_path)
    assert read_export(path, period="2024-3").ok
    assert read_export(path, period=parse_period("2024-03")).ok


def test_csv_resaved_in_gbk_and_without_bom_is_read(tmp_path: Path) -> None:
    out = export_consolidation(build_consolidation(), tmp_path / "a.csv")
    text = out.read_text(encoding="utf-8-sig")
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(text.encode("gb18030"))
    back = read_export(gbk, period="2024-03")
    assert back.ok and back.county == "瑞安市" and len(back.indicators) == 49


def test_csv_wrong_version_and_missing_columns(tmp_path: Path) -> None:
    out = export_consolidation(build_consolidation(), tmp_path / "a.csv")
    text = out.read_text(encoding="utf-8-sig")
    (tmp_path / "v2.csv").write_text(text.replace(",1.0,", ",2.0,"), encoding="utf-8-sig")
    assert _codes(read_export(tmp_path / "v2.csv")) == ["export-schema"]
    (tmp_path / "plain.csv").write_text("序号,指标,数值\n1,托位数,4.5\n", encoding="utf-8")
    assert _codes(read_export(tmp_path / "plain.csv")) == ["export-schema"]
    (tmp_path / "header.csv").write_text(",".join(CSV_COLUMNS) + "\n", encoding="utf-8")
    assert _codes(read_export(tmp_path / "header.csv")) == ["export-invalid"]


@pytest.mark.parametrize(
    ("content", "code", "words"),
    [
        (b'{"schema": "qyx-export", ', "file-unreadable", "不是有效的 JSON"),
        (b"[1, 2]", "file-unreadable", "顶层应为对象"),
        (b"", "file-empty", "文件是空的"),
        (b"PK\x03\x04" + b"\x00" * 40, "file-unreadable", "Excel/Office 文件"),
        (b"\xff\xfe\x00\xd8\x00\xdc" * 3, "file-unreadable", "编码无法识别"),
    ],
)
def test_unreadable_files_raise_with_chinese_message(
    tmp_path: Path, content: bytes, code: str, words: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(UnreadableFile) as info:
        read_export(path)
    assert info.value.finding is not None and info.value.finding.code == code
    assert words in info.value.message
    assert info.value.finding.file == "bad.json"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile) as info:
        read_export(tmp_path / "nope.json")
    assert info.value.finding.code == "file-missing"


def test_export_codes_are_in_the_catalogue() -> None:
    for code in (
        "export-schema",
        "export-duplicate-county",
        "export-unknown-indicator",
        "export-period-mismatch",
        "export-invalid",
    ):
        assert code in CODES and CODES[code].severity == "error"


def test_schema_doc_names_every_field() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "export-schema.md").read_text(encoding="utf-8")
    for name in (
        *CSV_COLUMNS,
        "generated_at",
        "generator",
        "indicators",
        "groups",
        "label",
        "consolidated_at",
    ):
        assert f"`{name}`" in doc, name
    for status in Status:
        assert status.value in doc
    assert SCHEMA_VERSION in doc


def test_a_chinese_label_as_the_files_period_is_refused(tmp_path: Path) -> None:
    # the schema writes codes; a label is what a hand edit leaves, so the file is refused, not guessed
    path, data = _json_export(tmp_path)
    data["period"] = "2024年3月"
    back = read_export(_write(path, data), period="2024-03")
    assert "export-invalid" in _codes(back) and not back.ok
    assert any("期别“2024年3月”无法识别" in f.message for f in back.findings)


def test_a_number_too_long_for_python_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    # 5,000 digits exceed Python's int conversion limit (4,300): refused by row, the batch goes on
    path, data = _json_export(tmp_path)
    first = data["indicators"][0]["indicator_id"]
    data["indicators"][0]["value"] = 0
    text = json.dumps(data, ensure_ascii=False).replace('"value": 0,', '"value": ' + "9" * 5000 + ",", 1)
    path.write_text(text, encoding="utf-8")
    back = read_export(path, period="2024-03")
    assert not back.ok and _codes(back) == ["export-invalid"]
    assert back.findings[0].indicator == first and "不是数值" in back.findings[0].message

    out = export_consolidation(build_consolidation(), tmp_path / "县.csv", county="县")
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    rows[1][rows[0].index("value")] = "9" * 5000
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    out.write_text(buf.getvalue(), encoding="utf-8-sig")
    back = read_export(out, period="2024-03")
    assert not back.ok and _codes(back) == ["export-invalid"]
    assert "（共 5000 个字符）" in back.findings[0].message and len(back.findings[0].message) < 200
