"""Roll-up: many counties' exports merged into a city (or province) view of one period.

Every export is read and validated (:func:`qyx_excel.export.read_export`); a file with an error
finding is refused and its county counts as missing; a second accepted file of the same county is
refused (``export-duplicate-county``, the first one given is kept); files that cannot be read
at all are reported and the rest still processed.  Counties keep the statuses they judged
against their own targets: the roll-up counts them, it does not re-judge values.

Per indicator: how many counties are 已达标 / 序时推进 / 进度滞后 / 严重滞后 / missing (未填报, no row,
or nothing accepted from the county) / 不适用, and the distribution of the values sent (min,
median, max, mean).  Counties are ranked by the mean score of their statuses (``data/rules.csv``,
as in the county's own 晾晒; a missing indicator scores as 未填报, 不适用 is left out); equal scores
share a rank.  The result goes to a workbook with the sheets 汇总(全市), 县市排名 and 校验结果.
"""

from __future__ import annotations

import io
import statistics
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from . import TEMPLATE_VERSION
from .errors import UnreadableFile, UsageError
from .export import CountyExport, read_export
from .findings import Finding, Report, make, severity_word
from .glossary import FILL_GREY, FILL_SHADE, Status
from .periods import Period, as_period
from .plan import Indicator, Plan, load_plan
from .safeio import atomic_write, safe_cell_text
from .submission import META_SHEET, META_TEMPLATE
from .targets import Rules, load_rules

SHEET_ROLLUP_SUMMARY = "汇总(全市)"
SHEET_ROLLUP_RANKING = "县市排名"
SHEET_ROLLUP_FINDINGS = "校验结果"
ROLLUP_SHEETS: tuple[str, ...] = (SHEET_ROLLUP_SUMMARY, SHEET_ROLLUP_RANKING, SHEET_ROLLUP_FINDINGS)
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")

#: English count keys (JSON) and the words shown in sheets, in display order.
COUNT_KEYS: tuple[tuple[str, str], ...] = (
    ("met", Status.MET.value),
    ("on_track", Status.ON_TRACK.value),
    ("lagging", Status.LAGGING.value),
    ("severely_lagging", Status.SEVERELY_LAGGING.value),
    ("missing", Status.NOT_REPORTED.value),
    ("not_applicable", Status.NOT_APPLICABLE.value),
)
_KEY_OF: dict[Status, str] = {
    Status.MET: "met",
    Status.ON_TRACK: "on_track",
    Status.LAGGING: "lagging",
    Status.SEVERELY_LAGGING: "severely_lagging",
    Status.NOT_REPORTED: "missing",
    Status.NOT_APPLICABLE: "not_applicable",
}
#: County states: accepted (rolled up), refused (every file it sent had errors), missing (sent nothing).
STATE_LABELS: dict[str, str] = {"accepted": "已受理", "refused": "已拒收", "missing": "未报送"}

_XLSX_MAIN = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_XLSM_MAIN = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"


def _zero_counts() -> dict[str, int]:
    return {key: 0 for key, _ in COUNT_KEYS}


@dataclass
class CountyEntry:
    """One county in the roll-up: whether it was accepted, its counts, score and rank."""

    county: str
    state: str  # accepted | refused | missing
    file: str | None = None
    counts: dict[str, int] = field(default_factory=_zero_counts)
    score: float | None = None
    rank: int | None = None

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class IndicatorRollup:
    """One indicator across counties: status counts and the distribution of values."""

    id: str
    domain: str
    name: str
    unit: str
    direction: str
    counts: dict[str, int] = field(default_factory=_zero_counts)
    distribution: dict[str, float | int | None] = field(default_factory=dict)  # n, min, median, max, mean

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RollupResult:
    """The city/province view of one period."""

    period: str
    label: str
    generated_at: str
    counties: list[CountyEntry]
    indicators: list[IndicatorRollup]
    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    out: str | None = None

    @property
    def ranking(self) -> list[CountyEntry]:
        """Accepted counties by rank (then name), then the unranked ones."""
        return sorted(self.counties, key=lambda c: (c.rank is None, c.rank or 0, c.county))

    @property
    def report(self) -> Report:
        """The findings as a report: one file report per export file, run-level ones (a county missing) apart."""
        return Report.from_findings(self.findings)

    @property
    def ok(self) -> bool:
        """True when no file was refused or unreadable (``report.valid``)."""
        return self.report.valid

    def summary(self) -> dict[str, int]:
        return {
            "files": self.files,
            "counties": len(self.counties),
            "accepted": sum(c.state == "accepted" for c in self.counties),
            "refused": sum(c.state == "refused" for c in self.counties),
            "missing": sum(c.state == "missing" for c in self.counties),
            "errors": len(self.report.errors),
        }

    def summary_text(self) -> str:
        """A few Chinese lines for the command line."""
        n = self.summary()
        lines = [
            f"{self.label}汇总：收到 {n['files']} 个文件，{n['counties']} 个县（市、区），"
            f"受理 {n['accepted']} 个，退回 {n['refused']} 个，未报 {n['missing']} 个。"
        ]
        ranked = [c for c in self.ranking if c.rank is not None]
        if ranked:
            lines.append("排名：" + "；".join(f"{c.rank}. {c.county}（{c.score} 分）" for c in ranked[:10]))
        for f in self.findings:
            level = severity_word(f.severity)
            lines.append(f"  [{level}] {f.file or ''} {f.message}（{f.code}）")
        if self.out:
            lines.append(f"已写入：{self.out}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "label": self.label,
            "generated_at": self.generated_at,
            "ok": self.ok,
            "summary": self.summary(),
            "counties": [c.to_json() for c in self.counties],
            "indicators": [i.to_json() for i in self.indicators],
            "ranking": [
                {"rank": c.rank, "county": c.county, "score": c.score, "state": c.state, "counts": c.counts}
                for c in self.ranking
            ],
            "findings": [f.to_dict() for f in self.findings],
            "out": self.out,
        }


def rollup(
    period: str | Period,
    exports: Sequence[str | Path],
    out: str | Path | None,
    *,
    expected_counties: Sequence[str] = (),
    plan: Plan | None = None,
    rules: Rules | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RollupResult:
    """Merge county exports for ``period`` and, when ``out`` is given, write the roll-up workbook.

    ``exports`` are processed in the order given (the first file of a county wins);
    ``expected_counties`` are listed even when they sent nothing (state ``missing``).
    ``progress(done, total)`` is called after each file.  ``out`` must end in ``.xlsx`` or
    ``.xlsm`` (a macro-free workbook either way); an existing workbook is replaced only if it is a
    previous roll-up (sheets 汇总(全市), 县市排名, 校验结果), so a ledger is never overwritten.
    Raises :class:`UsageError` for a bad period or output name; content problems are findings.
    """
    wanted = as_period(period)
    if out is not None:
        out = Path(out)
        check_output(out)
    plan = plan or load_plan()
    rules = rules or load_rules()
    findings: list[Finding] = []
    accepted: dict[str, CountyExport] = {}
    refused: dict[str, str] = {}  # county -> first refused file
    total = len(exports)
    for done, path in enumerate(exports, start=1):
        path = Path(path)
        try:
            export = read_export(path, period=wanted, plan=plan)
        except UnreadableFile as exc:
            findings.append(exc.finding or make("file-unreadable", file=path.name, detail=exc.message))
        else:
            findings.extend(export.findings)
            county = export.county
            if export.ok and county in accepted:
                findings.append(make("export-duplicate-county", file=path.name, found=county))
            elif export.ok:
                accepted[county] = export
            elif county:
                refused.setdefault(county, path.name)
        if progress is not None:
            progress(done, total)

    names: list[str] = []
    for county in [*(c.strip() for c in expected_counties), *accepted, *refused]:
        if county and county not in names:
            names.append(county)
    counties = []
    for county in names:
        if county in accepted:
            counties.append(CountyEntry(county, "accepted", file=Path(accepted[county].path).name))
        elif county in refused:
            counties.append(CountyEntry(county, "refused", file=refused[county]))
        else:
            findings.append(make("submission-missing", expected=county))
            counties.append(CountyEntry(county, "missing"))

    reported = plan.reported_indicators()
    indicators = [_indicator_rollup(ind, counties, accepted) for ind in reported]
    _score(counties, accepted, reported, rules)
    result = RollupResult(
        period=wanted.code,
        label=wanted.label,
        generated_at=datetime.now().astimezone().isoformat(timespec="seconds"),
        counties=counties,
        indicators=indicators,
        findings=findings,
        files=total,
    )
    if out is not None:
        write_rollup_workbook(result, out)
        result.out = str(out)
    return result


def _indicator_rollup(
    ind: Indicator, counties: list[CountyEntry], accepted: dict[str, CountyExport]
) -> IndicatorRollup:
    entry = IndicatorRollup(ind.id, ind.domain, ind.name, ind.unit, ind.direction.value)
    values: list[float] = []
    for county in counties:
        row = accepted[county.county].row(ind.id) if county.state == "accepted" else None
        if row is None:
            entry.counts["missing"] += 1
            continue
        entry.counts[_KEY_OF[row.status]] += 1
        if row.value is not None:
            values.append(row.value)
    entry.distribution = _distribution(values)
    return entry


def _distribution(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "min": None, "median": None, "max": None, "mean": None}
    return {
        "n": len(values),
        "min": min(values),
        "median": statistics.median(values),
        "max": max(values),
        "mean": statistics.fmean(values),
    }


def _score(
    counties: list[CountyEntry], accepted: dict[str, CountyExport], reported: list[Indicator], rules: Rules
) -> None:
    """Counts, score (mean of status scores) and shared ranks of the accepted counties."""
    for county in counties:
        export = accepted.get(county.county)
        scores: list[float] = []
        for ind in reported:
            row = export.row(ind.id) if export is not None else None
            status = row.status if row is not None else Status.NOT_REPORTED
            county.counts[_KEY_OF[status]] += 1
            score = rules.score(status)
            if score is not None:
                scores.append(score)
        if export is not None and scores:
            county.score = round(statistics.fmean(scores), 1)  # as ranking.score_of (the county 晾晒)
    scored = [c for c in counties if c.score is not None]
    for county in scored:
        county.rank = 1 + sum(
            1 for other in scored if (other.score or 0.0) > (county.score or 0.0)
        )  # all scored


# ================================================================================================
# The workbook
# ================================================================================================


def check_output(out: Path) -> None:
    """Refuse an output name that is not a workbook, or an existing workbook that is not a roll-up."""
    if out.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise UsageError(f"汇总结果应保存为 .xlsx 或 .xlsm 工作簿，“{out.name}”不是。")
    if not out.is_file():
        return
    try:
        from python_calamine import CalamineWorkbook

        sheets = CalamineWorkbook.from_path(str(out)).sheet_names
    except Exception:  # unreadable old file: atomic_write keeps a backup of it
        return
    others = [s for s in sheets if s not in ROLLUP_SHEETS and s != META_SHEET]
    if others:
        raise UsageError(
            f"“{out.name}”已存在，且含有工作表“{'、'.join(others[:3])}”等，不是汇总上报结果；"
            "为避免覆盖台账，请另选一个输出文件名。"
        )


def write_rollup_workbook(result: RollupResult, out: str | Path) -> Path:
    """Write the three roll-up sheets to ``out`` (.xlsx, or .xlsm without macros), atomically."""
    out = Path(out)
    macro_enabled = out.suffix.lower() == ".xlsm"

    def write(tmp: Path) -> None:
        data = _workbook_bytes(result)
        if macro_enabled:
            data = _as_macro_enabled(data)
        tmp.write_bytes(data)

    def verify(tmp: Path) -> None:
        from python_calamine import CalamineWorkbook

        names = CalamineWorkbook.from_path(str(tmp)).sheet_names
        if list(ROLLUP_SHEETS) != [n for n in names if n != META_SHEET]:
            raise ValueError(f"工作表不完整：{names}")

    return atomic_write(out, write, verify)


def _as_macro_enabled(data: bytes) -> bytes:
    """Give a workbook the .xlsm content type (Excel refuses an .xlsm whose type says .xlsx).

    A macro-enabled workbook without a VBA project is what Excel itself saves when a workbook
    with no macros is saved as .xlsm.
    """
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                content = content.replace(_XLSX_MAIN, _XLSM_MAIN)
            dst.writestr(info, content)
    return buf.getvalue()


def _workbook_bytes(result: RollupResult) -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    # Strings are never read as formulas, numbers or URLs: every text cell holds exactly its text.
    wb = xlsxwriter.Workbook(
        buf,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    fmt = _Formats(wb)
    _summary_sheet(wb, fmt, result)
    _ranking_sheet(wb, fmt, result)
    _findings_sheet(wb, fmt, result)
    _meta_sheet(wb, result)
    wb.close()
    return buf.getvalue()


class _Formats:
    def __init__(self, wb: Any) -> None:
        base = {"font_name": "宋体", "font_size": 11, "valign": "vcenter"}
        self.title = wb.add_format({**base, "bold": True, "font_size": 16, "align": "center"})
        self.sub = wb.add_format({**base, "font_size": 10, "align": "center"})
        # Light grey with bold text and borders: reads the same printed in black and white.
        self.header = wb.add_format(
            {
                **base,
                "bold": True,
                "bg_color": "#" + FILL_GREY,
                "border": 1,
                "align": "center",
                "text_wrap": True,
            }
        )
        self.text = wb.add_format({**base, "border": 1, "text_wrap": True})
        self.center = wb.add_format({**base, "border": 1, "align": "center"})
        self.number = wb.add_format({**base, "border": 1, "num_format": "0.##"})
        self.count = wb.add_format({**base, "border": 1, "align": "center", "num_format": "0"})
        self.alert = wb.add_format(
            {
                **base,
                "border": 1,
                "align": "center",
                "num_format": "0",
                "bold": True,
                "bg_color": "#" + FILL_SHADE,
            }
        )
        self.score = wb.add_format({**base, "border": 1, "align": "center", "num_format": "0.0"})


def _page_setup(ws: Any, header_row: int, title: str) -> None:
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(header_row)
    ws.freeze_panes(header_row + 1, 0)
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    ws.set_footer("&C第 &P 页，共 &N 页")
    ws.set_header(f"&C{title.replace('&', '&&')}")


def _title(ws: Any, fmt: _Formats, last_col: int, title: str, sub: str) -> None:
    ws.merge_range(0, 0, 0, last_col, title, fmt.title)
    ws.merge_range(1, 0, 1, last_col, sub, fmt.sub)
    ws.set_row(0, 28)


def _put(ws: Any, row: int, col: int, value: object, cell_fmt: Any) -> None:
    if value is None or value == "":
        ws.write_blank(row, col, None, cell_fmt)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        ws.write_number(row, col, value, cell_fmt)
    else:
        ws.write_string(row, col, safe_cell_text(value), cell_fmt)


def _sub(result: RollupResult) -> str:
    s = result.summary()
    return (
        f"{result.label}　共 {s['counties']} 个县（市、区）：已受理 {s['accepted']}，已拒收 {s['refused']}，"
        f"未报送 {s['missing']}　生成时间 {result.generated_at[:16].replace('T', ' ')}"
    )


def _summary_sheet(wb: Any, fmt: _Formats, result: RollupResult) -> None:
    ws = wb.add_worksheet(SHEET_ROLLUP_SUMMARY)
    headers = [
        "序号",
        "领域",
        "指标名称",
        "单位",
        *(label for _, label in COUNT_KEYS),
        "有数值县市数",
        "最小值",
        "中位数",
        "最大值",
        "平均值",
    ]
    headers[8] = "未填报（含未报送）"
    last = len(headers) - 1
    title = f"七优享指标汇总（全市）{result.label}"
    _title(ws, fmt, last, title, _sub(result))
    header_row = 2
    ws.write_row(header_row, 0, headers, fmt.header)
    for i, ind in enumerate(result.indicators):
        r = header_row + 1 + i
        _put(ws, r, 0, ind.id, fmt.center)
        _put(ws, r, 1, ind.domain, fmt.center)
        _put(ws, r, 2, ind.name, fmt.text)
        _put(ws, r, 3, ind.unit, fmt.center)
        for j, (key, _) in enumerate(COUNT_KEYS):
            alert = key in ("severely_lagging", "missing") and ind.counts[key] > 0
            ws.write_number(r, 4 + j, ind.counts[key], fmt.alert if alert else fmt.count)
        d = ind.distribution
        for j, key in enumerate(("n", "min", "median", "max", "mean")):
            _put(ws, r, 10 + j, d.get(key), fmt.count if key == "n" else fmt.number)
    ws.set_column(0, 0, 6)
    ws.set_column(1, 1, 10)
    ws.set_column(2, 2, 40)
    ws.set_column(3, 3, 8)
    ws.set_column(4, 10, 9)
    ws.set_column(11, last, 10)
    ws.set_row(header_row, 32)
    if result.indicators:
        ws.autofilter(header_row, 0, header_row + len(result.indicators), last)
    _page_setup(ws, header_row, title)


def _ranking_sheet(wb: Any, fmt: _Formats, result: RollupResult) -> None:
    ws = wb.add_worksheet(SHEET_ROLLUP_RANKING)
    headers = ["排名", "县（市、区）", "得分", *(label for _, label in COUNT_KEYS), "报送情况", "上报文件"]
    headers[7] = "未填报（含未报送）"
    last = len(headers) - 1
    title = f"七优享县（市、区）排名 {result.label}"
    _title(ws, fmt, last, title, _sub(result) + "　得分为各指标状态得分的平均值，得分相同者名次并列")
    header_row = 2
    ws.write_row(header_row, 0, headers, fmt.header)
    for i, county in enumerate(result.ranking):
        r = header_row + 1 + i
        _put(ws, r, 0, county.rank, fmt.count)
        _put(ws, r, 1, county.county, fmt.center)
        _put(ws, r, 2, county.score, fmt.score)
        for j, (key, _) in enumerate(COUNT_KEYS):
            value = county.counts[key] if county.state == "accepted" else None
            _put(ws, r, 3 + j, value, fmt.count)
        _put(ws, r, 9, county.state_label, fmt.center)
        _put(ws, r, 10, county.file or "", fmt.text)
    ws.set_column(0, 0, 6)
    ws.set_column(1, 1, 14)
    ws.set_column(2, 8, 9)
    ws.set_column(9, 9, 10)
    ws.set_column(10, 10, 30)
    ws.set_row(header_row, 32)
    _page_setup(ws, header_row, title)


def _findings_sheet(wb: Any, fmt: _Formats, result: RollupResult) -> None:
    ws = wb.add_worksheet(SHEET_ROLLUP_FINDINGS)
    headers = ["序号", "级别", "问题代码", "问题", "文件", "指标", "位置", "说明"]
    last = len(headers) - 1
    title = f"汇总上报校验结果 {result.label}"
    s = result.summary()
    _title(
        ws,
        fmt,
        last,
        title,
        f"共处理 {s['files']} 个上报文件，发现 {len(result.findings)} 个问题（其中错误 {s['errors']} 个）",
    )
    header_row = 2
    ws.write_row(header_row, 0, headers, fmt.header)
    if not result.findings:
        ws.merge_range(header_row + 1, 0, header_row + 1, last, "未发现问题。", fmt.center)
    for i, f in enumerate(result.findings):
        r = header_row + 1 + i
        _put(ws, r, 0, i + 1, fmt.count)
        _put(ws, r, 1, severity_word(f.severity, refused=True), fmt.center)
        _put(ws, r, 2, f.code, fmt.text)
        _put(ws, r, 3, f.title, fmt.text)
        _put(ws, r, 4, f.file or "", fmt.text)
        _put(ws, r, 5, f.indicator or "", fmt.center)
        _put(ws, r, 6, f.cell or "", fmt.center)
        _put(ws, r, 7, f.message, fmt.text)
    ws.set_column(0, 0, 6)
    ws.set_column(1, 1, 12)
    ws.set_column(2, 2, 24)
    ws.set_column(3, 3, 16)
    ws.set_column(4, 4, 26)
    ws.set_column(5, 6, 10)
    ws.set_column(7, 7, 60)
    if result.findings:
        ws.autofilter(header_row, 0, header_row + len(result.findings), last)
    _page_setup(ws, header_row, title)


def _meta_sheet(wb: Any, result: RollupResult) -> None:
    ws = wb.add_worksheet(META_SHEET)
    rows = (
        ("template", META_TEMPLATE),
        ("template_version", TEMPLATE_VERSION),
        ("kind", "rollup"),
        ("group", ""),
        ("period", result.period),
        ("generated_at", result.generated_at),
    )
    for i, (key, value) in enumerate(rows):
        ws.write_string(i, 0, key)
        ws.write_string(i, 1, value)
    ws.very_hidden()
