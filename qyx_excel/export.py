"""The upward path: a county's consolidated period as a versioned file for the city and province.

The plan asks the work to interconnect with the province and Wenzhou (与省、温州市级…互联互通).
:func:`export_consolidation` writes a :class:`~qyx_excel.model.Consolidation` in the stable schema
``qyx-export`` (JSON or CSV, documented in ``docs/export-schema.md``); :func:`read_export` reads
such a file back and validates it, returning findings rather than raising for bad content.
:mod:`qyx_excel.rollup` merges many counties' exports.

Versioning: ``schema_version`` is ``MAJOR.MINOR``.  A reader accepts every file of its own major
version (unknown fields are ignored, missing optional fields take their defaults); another major
version, or another ``schema`` name, is refused with ``export-schema``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import __version__
from .errors import UnreadableFile, UsageError
from .findings import FileReport, Finding, make
from .glossary import Status
from .model import Consolidation, IndicatorRow
from .periods import Period, as_period, parse_code
from .plan import Plan, load_plan
from .safeio import MAX_FILE_BYTES, atomic_write, is_formula_like
from .values import parse_value

SCHEMA = "qyx-export"
SCHEMA_VERSION = "1.0"
SCHEMA_MAJOR = SCHEMA_VERSION.split(".")[0]
GENERATOR = f"qyx_excel {__version__}"
DEFAULT_COUNTY = "瑞安市"
FORMATS = ("json", "csv")

#: Fields of one indicator row, in the order of the CSV columns (after ``schema``, ``schema_version``).
ROW_FIELDS: tuple[str, ...] = (
    "county",
    "indicator_id",
    "period",
    "domain",
    "name",
    "unit",
    "value",
    "value_text",
    "target",
    "target_text",
    "expected",
    "status",
    "completion",
    "reason",
    "note",
    "source",
    "source_file",
    "source_cell",
)
NUMBER_FIELDS = frozenset({"value", "target", "expected", "completion"})
REQUIRED_FIELDS: tuple[str, ...] = ("county", "indicator_id", "period", "status")
CSV_COLUMNS: tuple[str, ...] = ("schema", "schema_version", *ROW_FIELDS)
#: Fields of one group entry (JSON only).
GROUP_FIELDS: tuple[str, ...] = (
    "group",
    "submitted",
    "accepted",
    "late",
    "received_at",
    "errors",
    "warnings",
)

_STATUSES = {s.value: s for s in Status}


@dataclass
class ExportRow:
    """One indicator of one county for one period, as exported."""

    county: str
    indicator_id: str
    period: str
    status: Status
    domain: str = ""
    name: str = ""
    unit: str = ""
    value: float | None = None
    value_text: str = ""
    target: float | None = None
    target_text: str = ""
    expected: float | None = None
    completion: float | None = None
    reason: str = ""
    note: str = ""
    source: str = ""
    source_file: str = ""
    source_cell: str = ""

    def to_json(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in ROW_FIELDS}
        data["status"] = self.status.value
        return data


@dataclass
class CountyExport:
    """An export file read back: its header, its rows and what was wrong with it."""

    path: str
    format: str  # json | csv
    schema: str
    schema_version: str
    county: str
    period: str
    generated_at: str = ""
    generator: str = ""
    label: str = ""
    consolidated_at: str = ""
    indicators: list[ExportRow] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def file_report(self) -> FileReport:
        """This file's findings as a file report."""
        return FileReport(self.path, period=self.period or None, findings=list(self.findings))

    @property
    def ok(self) -> bool:
        """True when the file is valid, no finding an error (it may be rolled up)."""
        return self.file_report.valid

    def row(self, indicator_id: str) -> ExportRow | None:
        for r in self.indicators:
            if r.indicator_id == indicator_id:
                return r
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "format": self.format,
            "schema": self.schema,
            "schema_version": self.schema_version,
            "county": self.county,
            "period": self.period,
            "generated_at": self.generated_at,
            "generator": self.generator,
            "ok": self.ok,
            "indicators": [r.to_json() for r in self.indicators],
            "groups": self.groups,
            "findings": [f.to_dict() for f in self.findings],
        }


# ================================================================================================
# Writing
# ================================================================================================


def export_consolidation(
    consolidation: Consolidation,
    out: str | Path,
    *,
    county: str = DEFAULT_COUNTY,
    fmt: str | None = None,
) -> Path:
    """Write ``consolidation`` to ``out`` in the ``qyx-export`` schema; return the path written.

    The format is ``fmt`` (``json`` or ``csv``) or else the extension of ``out``.  The file is
    written atomically (previous version kept in ``备份/``) and read back before it replaces the old one.
    Raises :class:`UsageError` for an unknown format or an empty county name, and
    :class:`~qyx_excel.errors.OutputLocked` / :class:`~qyx_excel.errors.OutputFailed` from the writer.
    """
    out = Path(out)
    chosen = export_format(out, fmt)
    county = (county or "").strip()
    if not county:
        raise UsageError("请填写县（市、区）名称（--county），上报文件需要写明是哪个县（市、区）的数据。")
    document = export_document(consolidation, county=county)
    if chosen == "json":
        payload = (json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False) + "\n").encode("utf-8")
    else:
        payload = _csv_bytes(document)
    expected_rows = len(document["indicators"])

    def write(tmp: Path) -> None:
        tmp.write_bytes(payload)

    def verify(tmp: Path) -> None:
        back = read_export(tmp, fmt=chosen)
        if len(back.indicators) != expected_rows or back.county != county or back.schema != SCHEMA:
            raise ValueError("导出文件读回校验不一致")

    return atomic_write(out, write, verify)


def export_format(path: str | Path, fmt: str | None = None) -> str:
    """``json`` or ``csv``: ``fmt`` when given, else from the extension; :class:`UsageError` otherwise."""
    chosen = (fmt or Path(path).suffix.lstrip(".")).lower()
    if chosen not in FORMATS:
        raise UsageError(
            f"无法确定上报文件格式“{fmt or Path(path).suffix or '无扩展名'}”，请使用 .json 或 .csv 文件名，或指定 --format json/csv。"
        )
    return chosen


def export_document(consolidation: Consolidation, *, county: str = DEFAULT_COUNTY) -> dict[str, Any]:
    """The export as a JSON-ready dict (what the JSON file holds)."""
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "county": county,
        "period": consolidation.period,
        "label": consolidation.label,
        "generated_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "generator": GENERATOR,
        "consolidated_at": consolidation.generated_at,
        "indicators": [_row_json(county, consolidation.period, r) for r in consolidation.indicators],
        "groups": [
            {
                "group": g.group,
                "submitted": g.submitted,
                "accepted": g.accepted,
                "late": g.late,
                "received_at": g.received_at,
                "errors": g.errors,
                "warnings": g.warnings,
            }
            for g in consolidation.groups
        ],
    }


def _row_json(county: str, period: str, row: IndicatorRow) -> dict[str, Any]:
    return {
        "county": county,
        "indicator_id": row.id,
        "period": period,
        "domain": row.domain,
        "name": row.name,
        "unit": row.unit,
        "value": _finite(row.value),
        "value_text": row.value_text or "",
        "target": _finite(row.target),
        "target_text": row.target_text or "",
        "expected": _finite(row.expected),
        "status": Status(row.status).value,
        "completion": _finite(row.completion),
        "reason": row.reason or "",
        "note": row.note or "",
        "source": row.data_source or "",
        "source_file": Path(row.source_file).name if row.source_file else "",
        "source_cell": row.source_cell or "",
    }


def _finite(x: float | None) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _csv_bytes(document: dict[str, Any]) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in document["indicators"]:
        cells = [document["schema"], document["schema_version"]]
        for name in ROW_FIELDS:
            value = row[name]
            cells.append(_csv_number(value) if name in NUMBER_FIELDS else _csv_text(value))
        writer.writerow(cells)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _csv_number(x: float | None) -> str:
    """Exact text of a number: ``float(text) == x`` (integers without ``.0``)."""
    if x is None:
        return ""
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    # the shortest text that reads back exactly, written without an exponent (5e-05 -> 0.00005),
    # as people, Excel and our own reader expect numbers in a CSV
    return format(Decimal(repr(float(x))), "f")


def _csv_text(text: object) -> str:
    # Excel would run "=…" typed into a CSV cell as a formula; a leading apostrophe keeps it text.
    text = "" if text is None else str(text)
    return "'" + text if is_formula_like(text) else text


def _csv_untext(text: str) -> str:
    return text[1:] if text.startswith("'") and is_formula_like(text[1:]) else text


# ================================================================================================
# Reading and validating
# ================================================================================================


def read_export(
    path: str | Path,
    *,
    period: str | Period | None = None,
    plan: Plan | None = None,
    fmt: str | None = None,
) -> CountyExport:
    """Read and validate one county's export file (JSON or CSV).

    Content problems come back as findings on the result: ``export-schema`` (another schema or
    major version: nothing else is read), ``export-period-mismatch`` (the file's period is not
    ``period``, or a row's period is not the file's), ``export-unknown-indicator`` (an id that is
    not in the plan), ``export-invalid`` (a missing field, an unknown status word, a value that is
    not a number, a repeated indicator, rows of another county).  Every one is an error: such a
    file is not rolled up.  A file that cannot be read at all raises :class:`UnreadableFile`
    (its ``finding`` has code ``file-missing``, ``file-empty`` or ``file-unreadable``).
    """
    path = Path(path)
    name = path.name
    text = _read_text(path, name)
    kind = (fmt or "").lower() or _kind_of(path, text)
    if kind == "json":
        export = _parse_json(text, path, name)
    elif kind == "csv":
        export = _parse_csv(text, path, name)
    else:
        raise UsageError(f"无法识别上报文件格式“{fmt}”，应为 json 或 csv。")
    if export.findings and export.findings[0].code == "export-schema":
        return export
    _validate(export, name, period, plan or load_plan())
    return export


def _unreadable(code: str, name: str, detail: str | None = None) -> UnreadableFile:
    finding = make(code, file=name, detail=detail)
    return UnreadableFile(finding.message, finding)


def _read_text(path: Path, name: str) -> str:
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise _unreadable("file-unreadable", name, "这是一个文件夹，不是上报文件")
        if size == 0:
            raise _unreadable("file-empty", name)
        if size > MAX_FILE_BYTES:
            raise _unreadable(
                "file-unreadable", name, f"文件过大（{size // (1024 * 1024)} MB），上报文件通常不超过 1 MB"
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise _unreadable("file-missing", name) from None
    except OSError as exc:
        raise _unreadable("file-unreadable", name, f"读取文件出错（{exc.strerror or exc}）") from exc
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise _unreadable(
            "file-unreadable", name, "这是 Excel/Office 文件，不是 qyx 导出的 .json 或 .csv 上报文件"
        )
    for encoding in ("utf-8-sig", "gb18030"):  # Excel on Chinese Windows re-saves CSV in GBK
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _unreadable("file-unreadable", name, "文件编码无法识别，应为 UTF-8")


def _kind_of(path: Path, text: str) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    return "json" if text.lstrip().startswith("{") else "csv"


def _json_int(digits: str) -> int | float:
    """A JSON integer; one too long for Python's int conversion (4,300 digits) is read as a float
    (infinite), which the row check then refuses as not a number, naming the row."""
    return int(digits) if len(digits) <= 300 else float(digits)


def _parse_json(text: str, path: Path, name: str) -> CountyExport:
    try:
        data = json.loads(text, parse_int=_json_int)
    except json.JSONDecodeError as exc:
        raise _unreadable(
            "file-unreadable", name, f"不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）"
        ) from exc
    except RecursionError as exc:
        raise _unreadable("file-unreadable", name, "JSON 嵌套层数过多") from exc
    if not isinstance(data, dict):
        raise _unreadable("file-unreadable", name, "JSON 顶层应为对象（{…}）")
    export = CountyExport(
        path=str(path),
        format="json",
        schema=_text(data.get("schema")),
        schema_version=_text(data.get("schema_version")),
        county=_text(data.get("county")).strip(),
        period=_text(data.get("period")).strip(),
        generated_at=_text(data.get("generated_at")),
        generator=_text(data.get("generator")),
        label=_text(data.get("label")),
        consolidated_at=_text(data.get("consolidated_at")),
    )
    if not _schema_ok(export, name):
        return export
    rows = data.get("indicators")
    if not isinstance(rows, list):
        export.findings.append(make("export-invalid", file=name, detail="缺少指标列表“indicators”"))
        return export
    for i, raw in enumerate(rows, start=1):
        if not isinstance(raw, dict):
            export.findings.append(
                make("export-invalid", file=name, cell=f"indicators[{i}]", detail=f"第 {i} 条指标不是对象")
            )
            continue
        row = _row_from(raw, name, f"indicators[{i}]", f"第 {i} 条指标", export.findings)
        if row is not None:
            export.indicators.append(row)
    groups = data.get("groups", [])
    if isinstance(groups, list):
        export.groups = [{k: g.get(k) for k in GROUP_FIELDS} for g in groups if isinstance(g, dict)]
    return export


def _parse_csv(text: str, path: Path, name: str) -> CountyExport:
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise _unreadable("file-unreadable", name, f"不是有效的 CSV（{exc}）") from exc
    records = [r for r in records if any(cell.strip() for cell in r)]
    if not records:
        raise _unreadable("file-empty", name)
    header = [h.strip().lstrip("\ufeff") for h in records[0]]
    export = CountyExport(path=str(path), format="csv", schema="", schema_version="", county="", period="")
    if "schema" not in header or "schema_version" not in header:
        export.schema = header[0] if header else ""
        export.findings.append(
            make(
                "export-schema",
                file=name,
                found="（缺少 schema、schema_version 列）",
                expected=f"{SCHEMA} {SCHEMA_MAJOR}.x",
            )
        )
        return export
    first = dict(zip(header, records[1] if len(records) > 1 else [], strict=False))
    export.schema = first.get("schema", "").strip() if len(records) > 1 else SCHEMA
    export.schema_version = first.get("schema_version", "").strip() if len(records) > 1 else SCHEMA_VERSION
    if not _schema_ok(export, name):
        return export
    for line_no, record in enumerate(records[1:], start=2):
        raw = {h: _csv_untext(v) for h, v in zip(header, record, strict=False) if h}
        if (raw.get("schema", "").strip(), raw.get("schema_version", "").strip()) != (
            export.schema,
            export.schema_version,
        ):
            export.findings.append(
                make(
                    "export-invalid",
                    file=name,
                    cell=f"第{line_no}行",
                    detail=f"第 {line_no} 行的格式版本与第 2 行不一致",
                )
            )
            continue
        row = _row_from(raw, name, f"第{line_no}行", f"第 {line_no} 行", export.findings)
        if row is not None:
            export.indicators.append(row)
    if len(records) == 1:
        export.findings.append(make("export-invalid", file=name, detail="只有表头，没有指标数据"))
    elif export.indicators:
        export.county = export.indicators[0].county
        export.period = export.indicators[0].period
    return export


def _schema_ok(export: CountyExport, name: str) -> bool:
    major = export.schema_version.split(".")[0].strip()
    if export.schema == SCHEMA and major == SCHEMA_MAJOR:
        return True
    found = f"{export.schema or '（无 schema）'} {export.schema_version or '（无版本）'}"
    export.findings.insert(
        0, make("export-schema", file=name, found=found, expected=f"{SCHEMA} {SCHEMA_MAJOR}.x")
    )
    return False


def _text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _row_from(
    raw: dict[str, Any], name: str, cell: str, where: str, findings: list[Finding]
) -> ExportRow | None:
    """One row from a JSON object or a CSV record; a finding and ``None`` when it is unusable."""
    problems: list[str] = []
    for key in REQUIRED_FIELDS:
        if not _text(raw.get(key)).strip():
            problems.append(f"缺少“{key}”")
    status_text = _text(raw.get("status")).strip()
    status = _STATUSES.get(status_text)
    if status_text and status is None:
        problems.append(f"状态“{status_text}”不是 {'、'.join(_STATUSES)} 之一")
    numbers: dict[str, Any] = {}
    for key in NUMBER_FIELDS:
        number, ok = _number(raw.get(key))
        if not ok:
            shown = str(raw.get(key))
            shown = shown if len(shown) <= 40 else f"{shown[:20]}…（共 {len(shown)} 个字符）"
            problems.append(f"“{key}”的值“{shown}”不是数值")
        numbers[key] = number
    indicator_id = _text(raw.get("indicator_id")).strip()
    if problems:
        findings.append(
            make(
                "export-invalid",
                file=name,
                cell=cell,
                indicator=indicator_id or None,
                detail=f"{where}：{'；'.join(problems)}",
            )
        )
        return None
    assert status is not None
    texts: dict[str, Any] = {
        k: _text(raw.get(k)) for k in ROW_FIELDS if k not in NUMBER_FIELDS and k != "status"
    }
    return ExportRow(
        **{
            **texts,
            "county": texts["county"].strip(),
            "indicator_id": indicator_id,
            "period": texts["period"].strip(),
        },
        status=status,
        **numbers,
    )


def _number(raw: object) -> tuple[float | None, bool]:
    """``(number, ok)``: JSON numbers pass; text is read as people (and Excel) write numbers."""
    if raw is None:
        return None, True
    if isinstance(raw, bool):
        return None, False
    if isinstance(raw, (int, float)):
        x = float(raw)
        return (x, True) if math.isfinite(x) else (None, False)
    if isinstance(raw, str):
        if not raw.strip():
            return None, True
        value = parse_value(raw)
        if value.is_number and value.number is not None and math.isfinite(value.number):
            return value.number, True
    return None, False


def _validate(export: CountyExport, name: str, period: str | Period | None, plan: Plan) -> None:
    """Cross-row checks: the file's county and period, each row against them and the plan."""
    findings = export.findings
    known = {ind.id for ind in plan.indicators}
    file_period: Period | None = None
    if export.period:
        try:
            file_period = parse_code(export.period)
        except UsageError:
            findings.append(make("export-invalid", file=name, detail=f"的期别“{export.period}”无法识别"))
    elif not any(f.code == "export-invalid" for f in findings):
        findings.append(make("export-invalid", file=name, detail="缺少期别“period”"))
    if not export.county and not any(f.code == "export-invalid" for f in findings):
        findings.append(make("export-invalid", file=name, detail="缺少县（市、区）名称“county”"))
    if period is not None and file_period is not None:
        wanted = as_period(period)
        if file_period != wanted:
            findings.append(
                make("export-period-mismatch", file=name, found=file_period.code, expected=wanted.code)
            )
    seen: set[str] = set()
    for i, row in enumerate(export.indicators, start=1):
        if row.county != export.county:
            findings.append(
                make(
                    "export-invalid",
                    file=name,
                    indicator=row.indicator_id,
                    detail=f"中指标 {row.indicator_id} 的县（市、区）为“{row.county}”，与文件的“{export.county}”不符",
                )
            )
        if file_period is not None and _period_code(row.period) != file_period.code:
            findings.append(
                make(
                    "export-period-mismatch",
                    file=name,
                    indicator=row.indicator_id,
                    cell=f"#{i}",
                    found=f"{row.period}（指标 {row.indicator_id}）",
                    expected=file_period.code,
                )
            )
        if row.indicator_id not in known:
            findings.append(
                make(
                    "export-unknown-indicator", file=name, indicator=row.indicator_id, found=row.indicator_id
                )
            )
        elif row.indicator_id in seen:
            findings.append(
                make(
                    "export-invalid",
                    file=name,
                    indicator=row.indicator_id,
                    detail=f"中指标 {row.indicator_id} 出现了不止一次",
                )
            )
        seen.add(row.indicator_id)


def _period_code(text: str) -> str | None:
    try:
        return parse_code(text).code
    except UsageError:
        return None
