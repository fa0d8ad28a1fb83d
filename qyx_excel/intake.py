"""Intake: read a group's sheet by its header contract, never by fixed cell positions.

A fill-in file (one group sheet) or the ledger (all nine group sheets) becomes a list of
:class:`~qyx_excel.submission.Submission`.  The file's identity comes from the very hidden
``_meta`` sheet (``docs/contracts.md``); tables are found by their header text, columns mapped by
header text, rows keyed by 序号 — so a clerk may insert a blank row or column or widen columns.

Reading is python-calamine over the file's bytes (read once).  calamine gives a formula's cached
value and shows Excel error cells and formulas without a cached value as empty; when a cell that
should hold a number is empty, the sheet's XML is scanned once (same zip, opened once) for
``<f>`` without a value and ``t="e"`` cells, so neither is ever read as a silent blank.

:func:`read_grid` is the core and works on a plain 2-D list of cell values (row 0 = sheet row 1),
so the xlwings buttons can pass the open workbook's values without any file.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import html
import io
import math
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .cells import a1_base0, column_base0, letters_base0, split_base1
from .errors import PlanDataError, UnreadableFile
from .findings import Finding, make
from .glossary import (
    APPLICATION_GROUP,
    APPLICATION_HEADERS,
    DOMAINS,
    GROUPS,
    HEADER_BLOCK,
    INDICATOR_HEADERS,
    PERCENT_UNITS,
    PROJECT_GROUP,
    PROJECT_HEADERS,
    SHEET_CATALOGUE,
    SHEET_SUMMARY,
    TASK_HEADERS,
)
from .layout import SUMMARY_PERIOD_CELL
from .periods import FIRST_YEAR, LAST_YEAR, period_code
from .plan import load_plan
from .safeio import illegal_chars, open_package
from .submission import (
    META_KEYS,
    META_SHEET,
    META_TEMPLATE,
    ApplicationEntry,
    IndicatorEntry,
    ProjectEntry,
    Submission,
    TaskEntry,
)
from .targets import Adjustment, parse_target
from .values import Value, format_number, normalise_text, parse_value

if TYPE_CHECKING:
    from .safeio import Package

Grid = list[list[Any]]
Merged = list[tuple[tuple[int, int], tuple[int, int]]]


class SheetSource(Protocol):
    """Where a workbook's cells come from: a file (calamine over its zip, :class:`_Book`) or the
    workbook open in Excel (xlwings, :class:`qyx_excel.xlreader.OpenBook`).  Every reading rule —
    ``_meta``, the ledger's period, percent cells, the sheets themselves — is written once, over this."""

    name: str
    sheet_names: list[str]

    @property
    def date1904(self) -> bool: ...

    def grid(self, sheet: str) -> tuple[Grid, Merged]:
        """The sheet's values from A1 (row 0 = row 1) and its merged ranges (0-based)."""
        ...

    def cell(self, sheet: str, row: int, col: int) -> Any:
        """One cell's value (1-based ``row``/``col``), None when empty or unreadable."""
        ...

    def cell_states(self, sheet: str) -> tuple[dict[tuple[int, int], str], set[tuple[int, int]]]:
        """Excel error cells and formulas without a cached value (0-based)."""
        ...

    def percent_cells(self, sheet: str, cells: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
        """Which of ``cells`` (0-based) show their number as a percentage."""
        ...


#: Most cells (rows × columns of the used range) a sheet may span before it is read.  A reader
#: allocates the whole rectangle from A1 to the last cell holding a value: one stray value at
#: XFD1048576 in a 20 KB file would make it allocate 17 billion cells (the process is killed, not
#: an exception).  A fill-in sheet spans about 60 × 12; the limit leaves room for any real sheet.
MAX_SHEET_CELLS = 2_000_000
#: Header-block labels looked for in the rows above the first table (and no further down than this).
HEADER_BLOCK_ROWS = 15
#: Columns of each table that hold what the group types in (merged-input checks these).
INDICATOR_INPUTS = ("本期完成值", "数据来源", "进展情况说明")
TASK_INPUTS = ("本期进展", "完成情况", "存在问题", "下步计划")
PROJECT_INPUTS = PROJECT_HEADERS[1:]
APPLICATION_INPUTS = ("贯通状态", "本期进展", "存在问题")
#: Columns of the indicator table that the builder fills and the group must not change.
INDICATOR_PROTECTED = ("指标名称", "单位", "2022年基数", "本年目标", "2027年目标")
TASK_PROTECTED = ("重点任务", "牵头单位", "2027年目标")
ADJUSTMENT_TITLE = "目标调整记录"
ADJUSTMENT_HEADERS = ("指标序号", "年度", "原目标", "调整后目标", "调整日期", "调整文号", "调整原因")

_ID = re.compile(r"^\d+(?:-\d+)?$")
_DASHES = str.maketrans({"—": "-", "–": "-", "－": "-", "‐": "-", "―": "-", "_": "-"})
_CONTROL = illegal_chars(received=True)
_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[\sT].*)?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_MONTH_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
_EXCEL_1900 = date(1899, 12, 30)
_EXCEL_1904 = date(1904, 1, 1)

# sheet XML scanning (only when a number cell reads empty)
_XML_REF = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_XML_TYPE = re.compile(rb'\bt="(\w+)"')
_XML_STYLE = re.compile(rb'\bs="(\d+)"')
_XML_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_XML_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_XML_ATTR = re.compile(r'([\w:]+)="([^"]*)"')
_XML_WORKBOOK_PR = re.compile(r"<(?:\w+:)?workbookPr\b([^>]*)>")
_XML_DATE1904 = re.compile(r'\bdate1904="(?:1|true)"')
_XML_SHEET = re.compile(r"<(?:\w+:)?sheet\b([^>]*)/?>")
_XML_RELATIONSHIP = re.compile(r"<(?:\w+:)?Relationship\b([^>]*)/?>")
# --- the far-cell guard (sheet_extent): a tokenizer of row and cell tags, linear in the part's size ---
# Every legal spelling counts: any namespace prefix, either case, either quote, spaces around "=",
# character references (&#88;) in the value.  None of these patterns can look past the next "<",
# so no input makes them slow.
_NAME_PREFIX = rb"""(?:[^\s<>/:'"=]+:)?"""
_TAG = re.compile(
    rb"<(?:(/)" + _NAME_PREFIX + rb"(row)|" + _NAME_PREFIX + rb"(c|row))(?=[\s/>])"
    rb"""((?:[^<>"'/]|/(?!>)|"[^"<]*"|'[^'<]*')*)(/?)>""",
    re.I,
)
# where a row or cell tag starts (to tell a tag the tokenizer could not read: not XML, refused)
_TAG_START = re.compile(rb"<(?:/" + _NAME_PREFIX + rb"row|" + _NAME_PREFIX + rb"(?:c|row))(?=[\s/>])", re.I)
_ATTR_R = re.compile(
    rb"""(?:^|[\s"'])""" + _NAME_PREFIX + rb"""r\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'/>]+))""", re.I
)
_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")
_CELL_CLOSE = re.compile(rb"</" + _NAME_PREFIX + rb"c\s*>", re.I)
# the usual sheet (Excel, openpyxl, XlsxWriter): every cell written <c r="B7" s="3" t="s"> near A1 (past
# column Z or row 999 is "far"), with no attributes but s and t; any other way of writing a cell:
_NOT_NEAR_CELL = re.compile(rb'<c (?!r="[A-Z][1-9][0-9]{0,2}"(?: [st]="[^"<>]*")*/?>)')
_UNUSUAL_CELL = re.compile(rb"<c[>/\t\r\n]|<C[\s/>]")
_PREFIXED_CELL = re.compile(rb":[cC][\s/>]")
# a cell's start tag (group 2: attributes, 3: "/" when empty) or its end tag (group 1), for scan_cell_states
_CELL_TOKEN = re.compile(
    rb"<(?:(/)" + _NAME_PREFIX + rb"c\s*>|" + _NAME_PREFIX + rb"c(?=[\s/>])"
    rb"""((?:[^<>"'/]|/(?!>)|"[^"<]*"|'[^'<]*')*)(/?)>)""",
    re.I,
)
#: What a reference too long to be real is taken as (past any limit: refused).
_HUGE = 1 << 40


# ================================================================================================
# Public API
# ================================================================================================


def read_file(path: str | Path, *, display: str | None = None, data: bytes | None = None) -> list[Submission]:
    """Read a fill-in file (one Submission) or the ledger (nine, ``kind="ledger"``).

    Raises :class:`~qyx_excel.errors.UnreadableFile` (carrying a finding: ``file-corrupt`` …)
    when the file cannot be read at all; everything else is a finding on the submissions.
    File-level warnings of the safe-open step go on the first submission.  ``data``: the file's
    bytes when the caller has them already (the file is then not read again).
    """
    path = Path(path)
    name = display if display is not None else str(path)
    package = _open_package(path, name, data)
    file_findings = list(package.warnings)
    book = _Book(package, name)
    try:
        subs = book.read_all(hashlib.sha256(package.data).hexdigest())
    finally:
        book.close()
    if subs and file_findings:
        if subs[0].kind == "ledger":  # the ledger carries its buttons' macros by design
            file_findings = [f for f in file_findings if f.code != "file-has-macros"]
        subs[0].findings[:0] = file_findings
    return subs


def read_grid(
    grid: Grid,
    sheet: str,
    source: str,
    *,
    group: str | None = None,
    period: str | None = None,
    template_version: str | None = None,
    kind: str = "workbook",
    sha256: str | None = None,
    date1904: bool = False,
    merged: Merged | None = None,
    errors: dict[tuple[int, int], str] | None = None,
    uncached: set[tuple[int, int]] | None = None,
    percent: set[tuple[int, int]] | None = None,
) -> Submission:
    """Read one group's sheet from its cell values (row 0 = sheet row 1, column 0 = A).

    ``group`` defaults to the sheet name when it is a group's; ``period`` (a code such as
    ``2024-03``) defaults to what the header block's 填报期 says.  ``merged`` (0-based
    ``((r0, c0), (r1, c1))`` ranges), ``errors`` (cell → Excel error text) and ``uncached``
    (cells holding a formula without a cached value) come from the file when there is one;
    ``percent``: cells shown with a percent format (a value 0.85 there reads as 85 %).
    """
    extras = _Extras(
        date1904=date1904,
        merged=merged or [],
        errors=errors or {},
        uncached=uncached or set(),
        percent=percent,
    )
    return _SheetReader(grid, sheet, source, extras).read(
        group=group, period=period, template_version=template_version, kind=kind, sha256=sha256
    )


def read_adjustments(path_or_grid: str | Path | Grid) -> dict[tuple[str, int], Adjustment]:
    """Target adjustments from the 指标库 sheet's 目标调整记录 table; the latest per (indicator, year) wins
    (by 调整日期; rows without a readable date count as earliest; on equal dates the lower row).

    Takes the ledger's path or the 指标库 sheet's cell values.  A filled-in row that cannot be
    used (unknown indicator, a year outside the plan, an empty or unreadable target) raises
    :class:`~qyx_excel.errors.PlanDataError` naming the cell: a wrong target must not be applied
    silently.
    """
    if isinstance(path_or_grid, (str, Path)):
        grid, date1904 = _catalogue_grid(Path(path_or_grid))
    else:
        grid, date1904 = path_or_grid, False
    return _adjustments_from_grid(grid, date1904)


def parse_date(raw: Any, date1904: bool = False) -> date | None:
    """A date as people type it: a datetime, an Excel serial (1900 or 1904 system), or text
    such as ``2024-03-05``, ``2024/3/5``, ``2024.3.5``, ``2024年3月5日``, ``20240305``."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        return _serial_date(float(raw), date1904)
    text = normalise_text(str(raw))
    match = _DATE_TEXT.match(text) or _DATE_COMPACT.match(text)
    if match:
        try:
            found = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            return None
        return found if 1990 <= found.year <= 2100 else None
    if text.isdigit() and len(text) == 5:
        return _serial_date(float(text), date1904)
    return None


# ================================================================================================
# Files
# ================================================================================================


def _unreadable(code: str, name: str, detail: str | None = None) -> UnreadableFile:
    finding = make(code, file=name, detail=detail)
    return UnreadableFile(finding.message, finding)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]


def _open_package(path: Path, name: str, data: bytes | None = None) -> Package:
    """The safe-open step: refuse what no reader may see (raises); the file's bytes, parts and warnings."""

    return open_package(path, display=name, data=data)


class _Book:
    """One workbook: calamine over its bytes, and its parts (zip directory parsed once, by the
    safe-open step) for XML look-ups."""

    def __init__(self, package: Package, name: str) -> None:
        from python_calamine import CalamineWorkbook

        self.package = package
        self.name = name
        check_declared_counts(package, name)
        try:
            self.wb = CalamineWorkbook.from_filelike(io.BytesIO(package.data))
            self.sheet_names: list[str] = list(self.wb.sheet_names)
        except Exception as exc:  # calamine raises many types; none may escape as a traceback
            raise _unreadable("file-corrupt", name, _short(exc)) from exc
        self._paths: dict[str, str] | None = None
        self._date1904: bool | None = None
        self._xml: dict[str, bytes] = {}
        self._percent_styles: set[int] | None = None

    def close(self) -> None:
        with contextlib.suppress(Exception):  # already closed
            self.wb.close()

    # --- zip side (lazy) -------------------------------------------------------------------
    def _workbook_xml(self) -> None:
        text = self.package.read("xl/workbook.xml").decode("utf-8", "replace")
        pr = _XML_WORKBOOK_PR.search(text)
        self._date1904 = bool(pr and _XML_DATE1904.search(pr.group(1)))
        ids: dict[str, str] = {}
        for tag in _XML_SHEET.finditer(text):
            attrs = dict(_XML_ATTR.findall(tag.group(1)))
            rid = next((v for k, v in attrs.items() if k.endswith(":id")), None)
            if "name" in attrs and rid:
                ids[html.unescape(attrs["name"])] = rid
        rels = self.package.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
        targets = {}
        for tag in _XML_RELATIONSHIP.finditer(rels):
            attrs = dict(_XML_ATTR.findall(tag.group(1)))
            if "Id" in attrs and "Target" in attrs:
                target = html.unescape(attrs["Target"])
                if target.startswith("/"):
                    target = target[1:]
                else:  # as PurePosixPath("xl") / target, without its cost
                    target = "/".join(["xl", *(p for p in target.split("/") if p not in ("", "."))])
                targets[attrs["Id"]] = target
        self._paths = {name: targets[rid] for name, rid in ids.items() if rid in targets}

    @property
    def date1904(self) -> bool:
        if self._date1904 is None:
            try:
                self._workbook_xml()
            except KeyError:
                self._date1904, self._paths = False, {}
        return bool(self._date1904)

    def sheet_xml(self, sheet: str) -> bytes:
        """The worksheet part of ``sheet`` (read once); empty when it cannot be found."""
        if sheet not in self._xml:
            if self._paths is None:
                _ = self.date1904
            member = (self._paths or {}).get(sheet)
            try:
                self._xml[sheet] = self.package.read(member) if member else b""
            except KeyError:
                self._xml[sheet] = b""
        return self._xml[sheet]

    def cell_states(self, sheet: str) -> tuple[dict[tuple[int, int], str], set[tuple[int, int]]]:
        """Excel error cells and formulas without a cached value in ``sheet`` (from its XML)."""
        return scan_cell_states(self.sheet_xml(sheet))

    def percent_cells(self, sheet: str, cells: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
        """Which of ``cells`` show their number as a percentage (``85%`` typed in Excel is 0.85)."""
        xml = self.sheet_xml(sheet)
        styles = self.percent_styles()
        found: set[tuple[int, int]] = set()
        if not xml or not styles:
            return found
        for r, c in cells:
            tag = re.search(rb'<(?:\w+:)?c\b[^>]*?\br="' + a1_base0(r, c).encode() + rb'"[^>]*>', xml)
            style = _XML_STYLE.search(tag.group(0)) if tag else None
            if style is not None and int(style.group(1)) in styles:
                found.add((r, c))
        return found

    def percent_styles(self) -> set[int]:
        """Indexes of the cell formats (``cellXfs``) whose number format is a percentage."""
        if self._percent_styles is None:
            self._percent_styles = set()
            try:
                styles = self.package.read("xl/styles.xml").decode("utf-8", "replace")
            except KeyError:
                return self._percent_styles
            percent_ids = {9, 10}  # Excel's built-in 0% and 0.00%
            for tag in re.finditer(r"<(?:\w+:)?numFmt\b([^>]*)/?>", styles):
                attrs = dict(_XML_ATTR.findall(tag.group(1)))
                code = re.sub(r'"[^"]*"|\\.', "", html.unescape(attrs.get("formatCode", "")))
                if "%" in code and attrs.get("numFmtId", "").isdigit():
                    percent_ids.add(int(attrs["numFmtId"]))
            # the first cellXfs and its end, found once each (a lazy pattern retried at every start
            # tag of a crafted styles part would be quadratic)
            opening = re.search(r"<(?:\w+:)?cellXfs\b", styles)
            closing = re.search(r"</(?:\w+:)?cellXfs>", styles[opening.end() :]) if opening else None
            if opening and closing:
                block = styles[opening.start() : opening.end() + closing.end()]
                for i, tag in enumerate(re.finditer(r"<(?:\w+:)?xf\b([^>]*)>", block)):
                    fmt = re.search(r'\bnumFmtId="(\d+)"', tag.group(1))
                    if fmt and int(fmt.group(1)) in percent_ids:
                        self._percent_styles.add(i)
        return self._percent_styles

    # --- calamine side ---------------------------------------------------------------------
    def guard(self, sheet: str) -> None:
        """Refuse (``sheet-too-large``) a sheet whose used range calamine could not allocate.

        Call before every ``get_sheet_by_name``: calamine allocates the whole rectangle from A1 to
        the farthest value, and an allocation it cannot make aborts the process.
        """
        try:
            rows, cols = sheet_extent(self.sheet_xml(sheet))
        except SheetXmlError as exc:
            raise _unreadable("file-corrupt", self.name, f"工作表“{sheet}”：{exc}") from exc
        if rows * cols > MAX_SHEET_CELLS:
            raise _unreadable(
                "sheet-too-large",
                self.name,
                f"工作表“{sheet}”一直用到 {a1_base0(rows - 1, cols - 1)}，共 {rows} 行 × {cols} 列，"
                f"上限 {MAX_SHEET_CELLS // 10000} 万个单元格",
            )

    def grid(self, sheet: str) -> tuple[Grid, Merged]:
        self.guard(sheet)
        try:
            ws = self.wb.get_sheet_by_name(sheet)
            return ws.to_python(skip_empty_area=False), list(ws.merged_cell_ranges or [])
        except Exception as exc:  # a damaged sheet part: the file is corrupt, say which sheet
            raise _unreadable("file-corrupt", self.name, f"工作表“{sheet}”：{_short(exc)}") from exc

    def cell(self, sheet: str, row: int, col: int) -> Any:
        """One cell's value (1-based), read without the rest of the sheet below it; None when the
        sheet is damaged (a damaged 汇总 sheet does not make the group sheets unreadable)."""
        self.guard(sheet)
        try:
            rows = self.wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False, nrows=row)
        except Exception:
            return None
        if len(rows) < row or len(rows[row - 1]) < col:
            return None
        return rows[row - 1][col - 1]

    def read_all(self, sha256: str) -> list[Submission]:
        meta = read_meta(self)
        problem = _meta_problem(meta)
        if problem is not None:
            return self._unknown(sha256)
        assert meta is not None
        version = meta.get("template_version") or None
        kind = meta.get("kind", "")
        group = meta.get("group", "")
        period = period_code(meta.get("period")) or None
        if kind == "weekly":  # a 周盘点 file dropped into the monthly inbox: say where it belongs
            sub = Submission(
                source=self.name,
                sheet="周盘点",
                group=None,
                period=None,
                template_version=version,
                kind="fill-in",
                sha256=sha256,
            )
            sub.findings.append(make("file-is-weekly", file=self.name, found=meta.get("period", "")))
            return [sub]
        if kind == "ledger" or (kind != "fill-in" and group not in GROUPS):
            # A ledger sheet without its own 填报期 belongs to the period the office picked in 汇总
            # (the same cell the 汇总 button reads); ``_meta`` only remembers the last consolidation.
            period = ledger_period(self, meta)
            subs = [
                read_sheet(
                    self, sheet, group=sheet, period=period, version=version, kind="ledger", sha256=sha256
                )
                for sheet in GROUPS
            ]
        elif group not in GROUPS:
            return self._unknown(sha256)
        else:
            subs = [
                read_sheet(
                    self, group, group=group, period=period, version=version, kind="fill-in", sha256=sha256
                )
            ]
        year = meta_year(meta)
        for sub in subs:
            sub.target_year = year
        return subs

    def _unknown(self, sha256: str) -> list[Submission]:
        """No usable ``_meta``: template-unknown, and whatever group sheets the file has, read."""
        present = [s for s in GROUPS if s in self.sheet_names]
        kind = "ledger" if len(present) > 1 else "fill-in"
        subs = [
            read_sheet(self, s, group=s, period=None, version=None, kind=kind, sha256=sha256) for s in present
        ]
        if not subs:
            first = next((s for s in self.sheet_names if s != META_SHEET), "")
            subs = [
                Submission(
                    source=self.name,
                    sheet=first,
                    group=None,
                    period=None,
                    template_version=None,
                    kind="fill-in",
                    sha256=sha256,
                )
            ]
        for sub in subs:
            sub.findings.insert(0, make("template-unknown", file=self.name, sheet=sub.sheet or None))
        return subs


def read_meta(source: SheetSource) -> dict[str, str] | None:
    """The very hidden ``_meta`` sheet's key/value rows, as text; None when the workbook has none."""
    if META_SHEET not in source.sheet_names:
        return None
    rows, _ = source.grid(META_SHEET)
    meta: dict[str, str] = {}
    for row in rows:
        if len(row) >= 2 and isinstance(row[0], str) and row[0].strip():
            meta[row[0].strip()] = _plain(row[1])
    return meta


def summary_period(source: SheetSource) -> str | None:
    """The period typed in the ledger's 汇总 sheet (``layout.SUMMARY_PERIOD_CELL``), as a code, if any."""

    if SHEET_SUMMARY not in source.sheet_names:
        return None
    return period_code(source.cell(SHEET_SUMMARY, *split_base1(SUMMARY_PERIOD_CELL)))


def ledger_period(source: SheetSource, meta: dict[str, str] | None) -> str | None:
    """The period of a ledger sheet with no 填报期 of its own: the one the office picked in 汇总!C2,
    else ``_meta``'s (which only remembers the last consolidation)."""
    return summary_period(source) or period_code((meta or {}).get("period")) or None


def read_ledger_sheet(source: SheetSource, group: str, meta: dict[str, str] | None) -> Submission:
    """One group sheet of a ledger (``kind="ledger"``), read as :func:`read_file` reads the ledger's."""
    meta = meta or {}
    sub = read_sheet(
        source,
        group,
        group=group,
        period=ledger_period(source, meta),
        version=meta.get("template_version") or None,
        kind="ledger",
        sha256=None,
    )
    sub.target_year = meta_year(meta)
    return sub


def read_sheet(
    source: SheetSource,
    sheet: str,
    *,
    group: str,
    period: str | None,
    version: str | None,
    kind: str,
    sha256: str | None,
) -> Submission:
    """One group's sheet of ``source`` as a :class:`Submission`; ``period`` when the sheet shows none."""
    if sheet not in source.sheet_names:
        sub = Submission(
            source=source.name,
            sheet=sheet,
            group=group,
            period=period,
            template_version=version,
            kind=kind,
            sha256=sha256,
        )
        sub.findings.append(make("sheet-missing", file=source.name, sheet=sheet, expected=sheet))
        return sub
    grid, merged = source.grid(sheet)
    extras = _Extras(merged=merged, lazy=lambda: source, sheet=sheet)
    reader = _SheetReader(grid, sheet, source.name, extras)
    # The period is what the sheet shows (填报期): the hidden _meta only fills in when the sheet
    # shows none.  A fill-in file whose two disagree (a February file retitled 2024年3月 and
    # filled with March's figures) is taken for what the clerk sees, with a warning.
    sub = reader.read(group=group, period=None, template_version=version, kind=kind, sha256=sha256)
    if sub.period is None:
        sub.period = period
    elif kind == "fill-in" and period is not None and sub.period != period:
        sub.findings.append(
            make(
                "period-meta-mismatch",
                file=source.name,
                sheet=sheet,
                cell=sub.header_cells.get("填报期"),
                found=sub.period,
                expected=period,
            )
        )
    return sub


#: Shared strings a table may declare beyond those it holds (a writer's miscount costs this much memory
#: at most; a declaration of four billion is an attack on the reader, which reserves room for them all).
DECLARED_SLACK = 10_000
_SST_START = re.compile(rb"<" + _NAME_PREFIX + rb"sst(?=[\s/>])", re.I)
_SST_ATTRS = re.compile(rb"""((?:[^<>"']|"[^"<]*"|'[^'<]*')*)>""")
_SI_TAG = re.compile(rb"<" + _NAME_PREFIX + rb"si(?=[\s/>])", re.I)
_ATTR_COUNT = re.compile(
    rb"""(?:^|[\s"'])"""
    + _NAME_PREFIX
    + rb"""(uniqueCount|count)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'/>]+))""",
    re.I,
)


def check_declared_counts(package: Package, name: str) -> None:
    """Refuse (``file-corrupt``) a shared-string table that declares more entries than it holds.

    calamine reserves memory for the declared ``uniqueCount`` before it reads a string: a 2 KB part
    declaring 4,294,967,295 asks for about 100 GB and the process aborts.  The declaration is
    compared with the ``<si>`` entries really there (every spelling) before any reader opens the file.
    """
    for part in package.names:
        if not part.lower().endswith("sharedstrings.xml"):
            continue
        try:
            data = package.read(part)
        except KeyError:
            continue
        if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
            raise _unreadable("file-corrupt", name, f"部件“{part}”不是 UTF-8 编码")
        declared = 0
        for start in _SST_START.finditer(data):  # every one (one in a comment must not hide the real one)
            tag = _SST_ATTRS.match(data, start.end())
            if tag is None:
                raise _unreadable("file-corrupt", name, f"部件“{part}”的根元素无法识别")
            for _key, *values in _ATTR_COUNT.findall(tag.group(1)):
                raw = next((v for v in values if v), b"")
                if b"&" in raw:
                    raw = _CHAR_REF.sub(_char, raw)
                digits = bytes(ch for ch in raw if 48 <= ch <= 57)
                if digits:
                    declared = max(declared, int(digits) if len(digits) <= 18 else _HUGE)
        held = len(_SI_TAG.findall(data))
        if declared > held + DECLARED_SLACK:
            raise _unreadable(
                "file-corrupt",
                name,
                f"共享字符串表“{part}”声明有 {declared} 项，实际只有 {held} 项，读取会耗尽内存",
            )


def _meta_problem(meta: dict[str, str] | None) -> str | None:
    if meta is None:
        return "missing"
    if meta.get("template") != META_TEMPLATE:
        return "template"
    return None


def scan_cell_states(xml: bytes) -> tuple[dict[tuple[int, int], str], set[tuple[int, int]]]:
    """Error cells (``t="e"``) and formulas without a cached value in a worksheet's XML.

    Cheap when there is neither: two substring tests and no parsing.
    """
    errors: dict[tuple[int, int], str] = {}
    uncached: set[tuple[int, int]] = set()
    start, end = xml.find(b"sheetData"), xml.rfind(b"sheetData")
    if start >= 0:  # only cells: validations and conditional formats hold <formula1>, <formula> too
        xml = xml[start:end]
    if b't="e"' not in xml and _XML_FORMULA.search(xml) is None:
        return errors, uncached
    opened: tuple[bytes, int] | None = None  # the open cell's attributes and where its content starts
    for match in _CELL_TOKEN.finditer(xml):
        if match.group(1) is None:  # a start tag: a cell left open before it had nothing readable
            opened = None if match.group(3) else (match.group(2), match.end())
            continue
        if opened is None:
            continue
        attrs, start = opened
        opened = None
        body = xml[start : match.start()]
        ref = _XML_REF.search(attrs)
        if ref is None:
            continue
        pos = (int(ref.group(2)) - 1, column_base0(ref.group(1).decode()))
        typ = _XML_TYPE.search(attrs)
        typ_s = typ.group(1) if typ else b"n"
        value = _XML_VALUE.search(body)
        if typ_s == b"e":
            errors[pos] = html.unescape(value.group(1).decode("utf-8", "replace")) if value else "#VALUE!"
        elif _XML_FORMULA.search(body) is not None and (
            value is None or (not value.group(1) and typ_s != b"str")
        ):
            uncached.add(pos)
    return errors, uncached


class SheetXmlError(ValueError):
    """A worksheet part the far-cell guard cannot tokenize (not well-formed XML): refused as corrupt."""


def sheet_extent(xml: bytes) -> tuple[int, int]:
    """Rows and columns from A1 to the farthest cell that holds a value, in a worksheet's XML.

    What a reader (calamine) will allocate, never less: a cell counts when it is written as a start
    tag (``<c …>``, any prefix or case) with something inside; its place is its ``r`` attribute
    however it is spelt, or, without one, the place after the previous cell as readers count.
    Linear in the part's size whatever it holds.  A usual sheet (every cell ``<c r="…"`` near A1)
    is settled by a few substring counts (999 × 26); anything else is tokenized.  Raises :class:`SheetXmlError` when a row or cell tag
    cannot be read (not XML a reader could use either).

    (The usual-sheet test is sound: every cell start tag is either ``<c `` followed by a near
    reference and only ``s``/``t`` attributes — so no second ``r`` — or spelt another way, which
    sends the sheet to the tokenizer.)
    """
    if not xml:
        return 0, 0
    if xml.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in xml[:4096]:
        raise SheetXmlError("工作表部件不是 UTF-8 编码，可能被其他软件改写过")
    if (
        _NOT_NEAR_CELL.search(xml) is None
        and _UNUSUAL_CELL.search(xml) is None
        and _PREFIXED_CELL.search(xml) is None
    ):
        return 999, 26
    return _tokenized_extent(xml)


def _tokenized_extent(xml: bytes) -> tuple[int, int]:
    row = col = 0  # where a cell without a reference goes (0-based), as calamine counts
    max_row = max_col = 0
    tags = 0
    for match in _TAG.finditer(xml):
        tags += 1
        if match.group(1):  # </row>
            row, col = row + 1, 0
            continue
        attrs, empty = match.group(4), match.group(5)
        refs = [_ref(a or b or c) for a, b, c in _ATTR_R.findall(attrs)] if attrs else []
        if match.group(3).lower() == b"row":
            rows = [r for r, _c in refs if r is not None]
            if rows:
                row = max(rows) - 1
            if empty:  # <row/>: as if closed (a reader moves on at most this far)
                row, col = row + 1, 0
            continue
        places = [(r, c) for r, c in refs if r is not None and c is not None]
        if places:
            at_row, at_col = max(r for r, _c in places) - 1, max(c for _r, c in places) - 1
            col = at_col
        else:
            at_row, at_col = row, col
        col += 1
        if empty:
            continue
        nxt = xml.find(b"<", match.end())
        if nxt >= 0 and _CELL_CLOSE.match(xml, nxt):  # <c …></c>: nothing inside, not read
            continue
        max_row, max_col = max(max_row, at_row + 1), max(max_col, at_col + 1)
    if tags != len(_TAG_START.findall(xml)):
        raise SheetXmlError("工作表中有无法识别的单元格或行标记")
    return max_row, max_col


def _ref(raw: bytes) -> tuple[int | None, int | None]:
    """(row, column), 1-based, of a reference as a reader takes it; over-long parts count as huge."""
    if b"&" in raw:
        raw = _CHAR_REF.sub(_char, raw)
    letters = bytes(ch for ch in raw if 65 <= ch <= 90 or 97 <= ch <= 122)
    digits = bytes(ch for ch in raw if 48 <= ch <= 57)
    row = (int(digits) if len(digits) <= 9 else _HUGE) if digits else None
    if not letters:
        return row, None
    if len(letters) > 3:
        return row, _HUGE
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return row, n


def _char(match: re.Match[bytes]) -> bytes:
    code = int(match.group(1), 16) if match.group(1) else int(match.group(2))
    return chr(code).encode("utf-8", "replace") if code < 0x110000 else b"?"


def workbook_meta(path: str | Path) -> dict[str, str] | None:
    """The ``_meta`` key/values of a workbook of ours (``kind`` is ``ledger`` or ``fill-in``), or None
    when it has no usable ``_meta``.  Raises :class:`UnreadableFile` as :func:`read_file` does."""
    name = str(path)
    book = _Book(_open_package(Path(path), name), name)
    try:
        meta = read_meta(book)
    finally:
        book.close()
    return meta if _meta_problem(meta) is None else None


def _catalogue_grid(path: Path) -> tuple[Grid, bool]:
    name = str(path)
    book = _Book(_open_package(path, name), name)
    try:
        if SHEET_CATALOGUE not in book.sheet_names:
            return [], False
        grid, _ = book.grid(SHEET_CATALOGUE)
        return grid, book.date1904
    finally:
        book.close()


# ================================================================================================
# Cells
# ================================================================================================


class _Extras:
    """What a grid alone does not show: merged ranges, error cells, uncached formulas, date system.

    For a file these come lazily from its zip (``lazy`` returns the :class:`_Book`), and only when
    a reader asks — most fill-in files never need their XML looked at.
    """

    def __init__(
        self,
        *,
        date1904: bool = False,
        merged: Merged | None = None,
        errors: dict[tuple[int, int], str] | None = None,
        uncached: set[tuple[int, int]] | None = None,
        percent: set[tuple[int, int]] | None = None,
        lazy: Callable[[], SheetSource] | None = None,
        sheet: str = "",
    ) -> None:
        self._date1904 = date1904
        self.merged = merged or []
        self._errors = errors
        self._uncached = uncached
        self._percent = percent or set()
        self._lazy = lazy
        self._sheet = sheet

    @property
    def date1904(self) -> bool:
        if self._lazy is not None:
            return self._lazy().date1904
        return self._date1904

    def states(self) -> tuple[dict[tuple[int, int], str], set[tuple[int, int]]]:
        if self._errors is None or self._uncached is None:
            if self._lazy is not None:
                self._errors, self._uncached = self._lazy().cell_states(self._sheet)
            else:
                self._errors, self._uncached = {}, set()
        return self._errors, self._uncached

    def percent(self, cells: set[tuple[int, int]]) -> set[tuple[int, int]]:
        """Which of ``cells`` are formatted as percentages."""
        if self._lazy is not None:
            return self._lazy().percent_cells(self._sheet, sorted(cells))
        return cells & self._percent


@functools.cache
def _parent_ids() -> frozenset[str]:
    """Ids of indicators shown as title rows over their parts (27, 32)."""

    return frozenset(ind.id for ind in load_plan().indicators if ind.has_parts)


@functools.cache
def _percent_ids() -> frozenset[str]:
    """Ids of indicators measured in per cent."""

    return frozenset(ind.id for ind in load_plan().indicators if ind.unit in PERCENT_UNITS)


def _plain(raw: Any) -> str:
    """A cell as plain text (numbers without a trailing .0)."""
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw.strip()
    if isinstance(raw, bool):
        return "是" if raw else "否"
    if isinstance(raw, (int, float)):
        return format_number(float(raw), digits=6)
    if isinstance(raw, datetime):
        return raw.date().isoformat() if raw.time() == datetime.min.time() else raw.isoformat(sep=" ")
    if isinstance(raw, date):
        return raw.isoformat()
    return str(raw).strip()


def _norm(raw: Any) -> str:
    """Header text with every space and line break removed."""
    if isinstance(raw, str):
        return "".join(raw.split())
    return ""


@functools.lru_cache(maxsize=4096)
def _key(raw: Any) -> str:
    """序号 as text: ``1`` (from 1 or 1.0 or "１"), ``27-1`` (also from ``27—1``)."""
    if raw is None or raw == "":
        return ""
    if isinstance(raw, bool):
        return str(raw)
    if isinstance(raw, (int, float)):
        return format_number(float(raw), digits=6)
    return "".join(normalise_text(str(raw)).translate(_DASHES).split())


#: Largest magnitude a figure of the plan can have (the largest are yuan amounts, far below this):
#: past it a typed number is a slip (400 digits typed read as infinity, 1e308 …).
PLAUSIBLE_LIMIT = 1e15


def _unit_of(indicator_id: str) -> str:
    try:
        return load_plan().indicator(indicator_id).unit
    except KeyError:
        return ""


def _plausible(number: float | None) -> bool:
    return number is not None and math.isfinite(number) and abs(number) < PLAUSIBLE_LIMIT


def _shown(raw: Any) -> str:
    """A cell's content for a message, cut to a readable length."""
    text = _plain(raw) if not isinstance(raw, float) else repr(raw)
    return text if len(text) <= 24 else f"{text[:12]}…（共 {len(text)} 位）"


def _serial_date(serial: float, date1904: bool) -> date | None:
    if not 1 <= serial < 2958466:
        return None
    days = int(serial)
    try:
        if date1904:
            found = _EXCEL_1904 + timedelta(days=days)
        elif days < 61:  # Excel's 1900 system counts a 29 February 1900 that never was
            found = _EXCEL_1900 + timedelta(days=days + 1)
        else:
            found = _EXCEL_1900 + timedelta(days=days)
    except OverflowError:
        return None
    return found if 1990 <= found.year <= 2100 else None


def _month_text(raw: Any, date1904: bool) -> str | None:
    """A date or a month (``2024-06``, ``2024年6月``) as ISO text; None when unreadable."""
    found = parse_date(raw, date1904)
    if found is not None:
        return found.isoformat()
    if isinstance(raw, str):
        match = _MONTH_TEXT.match(normalise_text(raw))
        if match and 1 <= int(match.group(2)) <= 12 and 1990 <= int(match.group(1)) <= 2100:
            return f"{match.group(1)}-{int(match.group(2)):02d}"
    return None


# ================================================================================================
# One sheet
# ================================================================================================


class _SheetReader:
    """Reads one group sheet's grid into a Submission; findings go on ``self.findings``."""

    def __init__(self, grid: Grid, sheet: str, source: str, extras: _Extras) -> None:
        self.grid = grid
        self.sheet = sheet
        self.source = source
        self.extras = extras
        self.findings: list[Finding] = []
        width = max((len(row) for row in grid), default=0)
        if any(len(row) != width for row in grid):  # calamine and xlwings give rectangles; others may not
            self.grid = [list(row) + [None] * (width - len(row)) for row in grid]
        self.width = width
        self.input_cells: set[tuple[int, int]] = set()  # single input cells (the header block)
        self.input_blocks: list[
            tuple[int, int, frozenset[int]]
        ] = []  # table rows: first, last, input columns

    # --- helpers -------------------------------------------------------------------------------
    def cell(self, r: int, c: int | None) -> Any:
        if c is None or r >= len(self.grid) or c >= self.width:
            return None
        value = self.grid[r][c]
        return None if value == "" else value

    def blank_column(self, c: int) -> bool:
        """Whether column ``c`` is empty in every row (a column a clerk inserted)."""
        return all(row[c] == "" or row[c] is None for row in self.grid)

    def finding(
        self,
        code: str,
        r: int | None = None,
        c: int | None = None,
        indicator: str | None = None,
        **fields: Any,
    ) -> None:
        cell = a1_base0(r, c) if r is not None and c is not None else None
        self.findings.append(
            make(code, file=self.source, sheet=self.sheet, cell=cell, indicator=indicator, **fields)
        )

    def text(self, r: int, c: int | None, indicator: str | None = None) -> str:
        """A text cell, stripped; control characters removed (and reported)."""
        if c is None or r >= len(self.grid) or c >= self.width:
            return ""
        raw = self.grid[r][c]
        if raw.__class__ is not str:
            return "" if raw is None else _plain(raw)
        text = raw.strip()
        if not text.isprintable() and _CONTROL.search(text):  # isprintable: a C-speed pre-test
            text = _CONTROL.sub("", text).strip()
            self.finding("text-control-chars", r, c, indicator)
        return text

    def number_cell(self, r: int, c: int | None, indicator: str | None = None) -> Any:
        """A cell meant to hold a number; an empty one is checked for an error or uncached formula."""
        raw = self.cell(r, c)
        if raw is not None or c is None:
            if isinstance(raw, str) and _CONTROL.search(raw):
                raw = _CONTROL.sub("", raw)
                self.finding("text-control-chars", r, c, indicator)
            return raw
        errors, uncached = self.extras.states()
        if (r, c) in errors:
            return errors[(r, c)]
        if (r, c) in uncached:
            self.finding("value-formula-uncached", r, c, indicator)
        return None

    def find_rows(self) -> dict[str, list[int]]:
        """Header rows of the tables on the sheet, by the header next to 序号."""
        found: dict[str, list[int]] = {}
        markers = {
            "指标名称": "indicator",
            "重点任务": "task",
            "项目名称": "project",
            "应用名称": "application",
        }
        rows = [r for r, row in enumerate(self.grid) if "序号" in row]  # exact text: fast, in C
        if not rows:  # spaces or line breaks typed into the header
            rows = [
                r
                for r, row in enumerate(self.grid)
                if any(isinstance(v, str) and "序号" in _norm(v) for v in row)
            ]
        for r in rows:
            texts = {_norm(v) for v in self.grid[r] if isinstance(v, str)}
            if "序号" not in texts:
                continue
            for marker, table in markers.items():
                if marker in texts:
                    found.setdefault(table, []).append(r)
        return found

    def map_headers(self, r: int, expected: tuple[str, ...]) -> dict[str, int]:
        """Column of each expected header in row ``r``; header-missing / header-duplicate findings."""
        columns: dict[str, int] = {}
        wanted = set(expected)
        for c, raw in enumerate(self.grid[r]):
            text = _norm(raw)
            if text not in wanted:
                continue
            if text in columns:
                self.finding("header-duplicate", r, c, found=text)
            else:
                columns[text] = c
        last = -1
        for header in expected:
            if header in columns:
                last = columns[header]
            else:
                self.finding("header-missing", r, last + 1, expected=header)
                last += 1
        return columns

    def mark_inputs(self, rows: range, columns: dict[str, int], names: tuple[str, ...]) -> None:
        """Remember a table's input cells (for merged-input), as a block rather than cell by cell."""
        cols = frozenset(columns[name] for name in names if name in columns)
        if rows and cols:
            self.input_blocks.append((rows.start, rows.stop - 1, cols))

    def is_input(self, r: int, c: int) -> bool:
        if (r, c) in self.input_cells:
            return True
        return any(first <= r <= last and c in cols for first, last, cols in self.input_blocks)

    # --- the sheet -----------------------------------------------------------------------------
    def read(
        self,
        *,
        group: str | None,
        period: str | None,
        template_version: str | None,
        kind: str,
        sha256: str | None,
    ) -> Submission:
        if group is None and self.sheet in GROUPS:
            group = self.sheet
        tables = self.find_rows()
        first_table = min(
            (rows[0] for rows in tables.values()), default=min(len(self.grid), HEADER_BLOCK_ROWS)
        )
        header, header_cells = self.read_header_block(first_table)
        if period is None:
            period = period_code(header.get("填报期"))
        sub = Submission(
            source=self.source,
            sheet=self.sheet,
            group=group,
            period=period,
            template_version=template_version,
            kind=kind,
            sha256=sha256,
            header=header,
            header_cells=header_cells,
        )
        if group == APPLICATION_GROUP or (group not in GROUPS and "application" in tables):
            sub.applications = self.read_applications(tables)
        elif group == PROJECT_GROUP or (group not in GROUPS and "project" in tables):
            sub.projects = self.read_projects(tables)
        else:
            domain_no = DOMAINS.index(group) + 1 if group in DOMAINS else 0
            sub.indicators = self.read_indicators(tables)
            sub.tasks = self.read_tasks(tables, domain_no)
        self.check_merged()
        sub.findings = self.findings
        return sub

    def read_header_block(self, limit: int) -> tuple[dict[str, str], dict[str, str]]:
        header: dict[str, str] = {}
        cells: dict[str, str] = {}
        labels = set(HEADER_BLOCK)
        merged_from = {(r0, c0): c1 for (r0, c0), (_r1, c1) in self.extras.merged}
        spots: dict[str, tuple[int, int]] = {}
        top = range(min(limit, len(self.grid), HEADER_BLOCK_ROWS))
        for r in top:  # exact label text first (fast), then labels typed with spaces or a colon
            row = self.grid[r]
            for label in HEADER_BLOCK:
                if label not in spots and label in row:
                    spots[label] = (r, row.index(label))
        if len(spots) < len(HEADER_BLOCK):
            for r in top:
                for c, raw in enumerate(self.grid[r]):
                    if isinstance(raw, str):
                        label = _norm(raw).rstrip(":：")
                        if label in labels and label not in spots:
                            spots[label] = (r, c)
        for label in HEADER_BLOCK:
            if label not in spots:
                continue
            r, c = spots[label]
            vc = merged_from.get((r, c), c) + 1
            # A blank column inserted after the label pushes the value right: skip columns that are
            # empty all the way down the sheet.
            while vc < self.width - 1 and self.cell(r, vc) is None and self.blank_column(vc):
                vc += 1
            self.input_cells.add((r, vc))
            cells[label] = a1_base0(r, vc)
            if label == "填报日期":
                header[label] = self.read_date(r, vc)
            elif label == "填报期":
                header[label] = _plain(self.cell(r, vc))
            else:
                header[label] = self.text(r, vc)
        return header, cells

    def read_date(self, r: int, c: int) -> str:
        raw = self.cell(r, c)
        if raw is None:
            return ""
        found = parse_date(raw, self.extras.date1904 if isinstance(raw, (int, float)) else False)
        if found is None:
            self.finding("date-invalid", r, c, found=_plain(raw))
            return _plain(raw)
        return found.isoformat()

    def table_rows(self, start: int, stops: list[int]) -> range:
        end = min((s for s in stops if s > start), default=len(self.grid))
        return range(start + 1, end)

    def all_starts(self, tables: dict[str, list[int]]) -> list[int]:
        return sorted(r for rows in tables.values() for r in rows)

    def read_indicators(self, tables: dict[str, list[int]]) -> dict[str, IndicatorEntry]:
        rows = tables.get("indicator")
        if not rows:
            self.finding("header-missing", expected="、".join(INDICATOR_HEADERS[:3]) + "…（指标表）")
            return {}
        hdr = rows[0]
        cols = self.map_headers(hdr, INDICATOR_HEADERS)
        c_no, c_value = cols.get("序号"), cols.get("本期完成值")
        if c_no is None or c_value is None:
            return {}
        c_source, c_note = cols.get("数据来源"), cols.get("进展情况说明")
        letters = {h: letters_base0(c) for h, c in cols.items()}
        protected = [(h, cols[h]) for h in INDICATOR_PROTECTED if h in cols]
        inputs = [c for c in (c_value, c_source, c_note) if c is not None]
        entries: dict[str, IndicatorEntry] = {}
        maybe_percent: dict[tuple[int, int], str] = {}
        body = self.table_rows(hdr, self.all_starts(tables))
        self.mark_inputs(body, cols, INDICATOR_INPUTS)
        for r in body:
            row = self.grid[r]
            key = _key(row[c_no])
            has_input = any(row[c] != "" and row[c] is not None for c in inputs)
            if not _ID.match(key):
                if has_input:
                    self.finding("row-unknown", r, c_no, found=key or "（空）")
                continue
            if key in entries:
                self.finding("row-duplicate", r, c_no, indicator=key, found=key)
                continue
            # A parent of parts (27, 32) is a title row: its empty value cell is by design.
            value_raw = self.cell(r, c_value) if key in _parent_ids() else self.number_cell(r, c_value, key)
            n = str(r + 1)
            cells = {h: letter + n for h, letter in letters.items()}
            value = parse_value(value_raw)
            if value.kind == "number" and not _plausible(value.number):
                self.finding("value-implausible", r, c_value, key, found=_shown(value_raw))
            entries[key] = IndicatorEntry(
                id=key,
                row=r + 1,
                value=value,
                value_cell=cells["本期完成值"],
                data_source=self.text(r, c_source, key),
                note=self.text(r, c_note, key),
                note_cell=cells.get("进展情况说明", ""),
                shown={h: _plain(row[c]) for h, c in protected},
                cells=cells,
            )
            if key in _percent_ids() and isinstance(value_raw, (int, float)) and 0 < value_raw <= 1:
                maybe_percent[(r, c_value)] = key
            elif value.percent_sign and key not in _percent_ids():
                self.finding(
                    "value-unit-mismatch", r, c_value, key, found=_shown(value_raw), expected=_unit_of(key)
                )
        if maybe_percent:
            # "85%" typed into a cell of a % indicator is stored as 0.85 with a percent format: read
            # what the person sees. Only looked up when such a value occurs.
            shown_as_percent = self.extras.percent(set(maybe_percent))
            for pos in shown_as_percent:
                entry = entries[maybe_percent[pos]]
                number = round(float(entry.value.number or 0) * 100, 9)
                entry.value = Value(
                    "number", number=number, text=f"{format_number(number, 6)}%", percent_sign=True
                )
            # 0.6 typed (not shown as 60%) into a per-cent indicator: every target of the plan is far
            # above 1 %, so it is most likely a fraction meant as 60 — ask, do not guess
            for (r, c), key in maybe_percent.items():
                if (r, c) not in shown_as_percent:
                    raw = self.grid[r][c]
                    self.finding(
                        "value-percent-fraction",
                        r,
                        c,
                        key,
                        found=_shown(raw),
                        expected=format_number(float(raw) * 100, 6),
                    )
        return entries

    def read_tasks(self, tables: dict[str, list[int]], domain_no: int) -> dict[str, TaskEntry]:
        rows = tables.get("task")
        if not rows:
            self.finding("header-missing", expected="、".join(TASK_HEADERS[:3]) + "…（重点任务表）")
            return {}
        hdr = rows[0]
        cols = self.map_headers(hdr, TASK_HEADERS)
        c_no = cols.get("序号")
        if c_no is None:
            return {}
        inputs = [cols[h] for h in TASK_INPUTS if h in cols]
        letters = {h: letters_base0(c) for h, c in cols.items()}
        protected = [(h, cols[h]) for h in TASK_PROTECTED if h in cols]
        entries: dict[str, TaskEntry] = {}
        body = self.table_rows(hdr, self.all_starts(tables))
        self.mark_inputs(body, cols, TASK_INPUTS)
        for r in body:
            row = self.grid[r]
            key = _key(row[c_no])
            has_input = any(row[c] != "" and row[c] is not None for c in inputs)
            if not key.isdigit():
                if has_input:
                    self.finding("row-unknown", r, c_no, found=key or "（空）")
                continue
            task_id = f"{domain_no}-{int(key)}"
            if task_id in entries:
                self.finding("row-duplicate", r, c_no, indicator=task_id, found=key)
                continue
            n = str(r + 1)
            cells = {h: letter + n for h, letter in letters.items()}
            entries[task_id] = TaskEntry(
                id=task_id,
                row=r + 1,
                progress=self.text(r, cols.get("本期进展"), task_id),
                state=self.text(r, cols.get("完成情况"), task_id),
                problems=self.text(r, cols.get("存在问题"), task_id),
                next_steps=self.text(r, cols.get("下步计划"), task_id),
                state_cell=cells.get("完成情况", ""),
                progress_cell=cells.get("本期进展", ""),
                shown={h: _plain(row[c]) for h, c in protected},
                cells=cells,
            )
        return entries

    def read_projects(self, tables: dict[str, list[int]]) -> list[ProjectEntry]:
        rows = tables.get("project")
        if not rows:
            self.finding("header-missing", expected="、".join(PROJECT_HEADERS[:3]) + "…（重大项目表）")
            return []
        hdr = rows[0]
        cols = self.map_headers(hdr, PROJECT_HEADERS)
        inputs = [cols[h] for h in PROJECT_INPUTS if h in cols]
        if not inputs:
            return []
        out: list[ProjectEntry] = []
        body = self.table_rows(hdr, self.all_starts(tables))
        self.mark_inputs(body, cols, PROJECT_INPUTS)
        letters = {h: letters_base0(c) for h, c in cols.items()}
        for r in body:
            if all(self.cell(r, c) is None for c in inputs):
                continue
            key = _key(self.cell(r, cols.get("序号")))
            number = int(key) if key.isdigit() else len(out) + 1

            out.append(
                ProjectEntry(
                    number=number,
                    row=r + 1,
                    name=self.text(r, cols.get("项目名称")),
                    unit=self.text(r, cols.get("责任单位")),
                    domain=self.text(r, cols.get("所属领域")),
                    total_investment=self.money(r, cols, "总投资"),
                    planned_this_year=self.money(r, cols, "本年计划投资"),
                    completed_this_year=self.money(r, cols, "本年累计完成投资"),
                    image_progress=self.text(r, cols.get("形象进度")),
                    planned_start=self.month(r, cols.get("计划开工")),
                    planned_finish=self.month(r, cols.get("计划竣工")),
                    state=self.text(r, cols.get("状态")),
                    problems=self.text(r, cols.get("存在问题")),
                    cells={h: letter + str(r + 1) for h, letter in letters.items()},
                )
            )
        return out

    def money(self, r: int, cols: dict[str, int], header: str) -> Value | None:
        if header not in cols:
            return None
        raw = self.number_cell(r, cols[header])
        value = parse_value(raw)
        if value.kind == "number" and not _plausible(value.number):
            self.finding("value-implausible", r, cols[header], found=_shown(raw))
        return value

    def month(self, r: int, c: int | None) -> str:
        raw = self.cell(r, c)
        if raw is None or c is None:
            return ""
        text = _month_text(raw, self.extras.date1904 if isinstance(raw, (int, float)) else False)
        if text is None:
            self.finding("date-invalid", r, c, found=_plain(raw))
            return _plain(raw)
        return text

    def read_applications(self, tables: dict[str, list[int]]) -> list[ApplicationEntry]:
        rows = tables.get("application")
        if not rows:
            self.finding("header-missing", expected="、".join(APPLICATION_HEADERS[:3]) + "…（应用贯通表）")
            return []
        hdr = rows[0]
        cols = self.map_headers(hdr, APPLICATION_HEADERS)
        if "应用名称" not in cols:
            return []
        out: list[ApplicationEntry] = []
        body = self.table_rows(hdr, self.all_starts(tables))
        self.mark_inputs(body, cols, APPLICATION_INPUTS)
        letters = {h: letters_base0(c) for h, c in cols.items()}
        for r in body:
            name = self.text(r, cols.get("应用名称"))
            inputs = [cols[h] for h in APPLICATION_INPUTS if h in cols]
            if not name and all(self.cell(r, c) is None for c in inputs):
                continue
            key = _key(self.cell(r, cols.get("序号")))
            out.append(
                ApplicationEntry(
                    number=int(key) if key.isdigit() else len(out) + 1,
                    row=r + 1,
                    name=name,
                    domain=self.text(r, cols.get("所属领域")),
                    unit=self.text(r, cols.get("责任单位")),
                    connects_to=self.text(r, cols.get("贯通对象")),
                    state=self.text(r, cols.get("贯通状态")),
                    progress=self.text(r, cols.get("本期进展")),
                    problems=self.text(r, cols.get("存在问题")),
                    state_cell=a1_base0(r, cols["贯通状态"]) if "贯通状态" in cols else "",
                    cells={h: letter + str(r + 1) for h, letter in letters.items()},
                )
            )
        return out

    def check_merged(self) -> None:
        """merged-input: a merge hides an input cell (not its top-left) or joins two input cells."""
        if not self.extras.merged:
            return
        for (r0, c0), (r1, c1) in self.extras.merged:
            covered = [(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1) if self.is_input(r, c)]
            if not covered:
                continue
            hidden = [pos for pos in covered if pos != (r0, c0)]
            if hidden:
                r, c = hidden[0]
                self.finding("merged-input", r, c)


# ================================================================================================
# Target adjustments (指标库)
# ================================================================================================


def _adjustments_from_grid(grid: Grid, date1904: bool) -> dict[tuple[str, int], Adjustment]:
    header_row = None
    for r, row in enumerate(grid):
        texts = {_norm(v) for v in row if isinstance(v, str)}
        if "指标序号" in texts and "调整后目标" in texts:
            header_row = r
            break
    if header_row is None:
        return {}
    cols: dict[str, int] = {}
    for c, raw in enumerate(grid[header_row]):
        text = _norm(raw)
        if text in ADJUSTMENT_HEADERS and text not in cols:
            cols[text] = c
    ids = {ind.id for ind in load_plan().indicators}

    def cell(r: int, header: str) -> Any:
        c = cols.get(header)
        if c is None or c >= len(grid[r]):
            return None
        value = grid[r][c]
        return None if value == "" else value

    out: dict[tuple[str, int], Adjustment] = {}
    for r in range(header_row + 1, len(grid)):
        key = _key(cell(r, "指标序号"))
        target = cell(r, "调整后目标")
        year_raw = cell(r, "年度")
        if not key and target is None and year_raw is None:
            continue
        where = f"{SHEET_CATALOGUE} 第 {r + 1} 行（{ADJUSTMENT_TITLE}）"
        if key not in ids:
            raise PlanDataError(f"{where}：指标序号“{key}”不在指标库中。")
        year_text = _key(year_raw).removesuffix("年")
        if not year_text.isdigit() or not FIRST_YEAR <= int(year_text) <= LAST_YEAR:
            raise PlanDataError(
                f"{where}：年度“{_plain(year_raw)}”应为 {FIRST_YEAR}—{LAST_YEAR} 之间的年份。"
            )
        text = _plain(target)
        if not text:
            raise PlanDataError(f"{where}：调整后目标为空。")
        raw_date = cell(r, "调整日期")
        found_date = parse_date(raw_date, date1904)
        if raw_date is not None and found_date is None:
            raise PlanDataError(
                f"{where}：调整日期“{_plain(raw_date)}”无法识别，请按 2024-03-05 的格式填写。"
            )
        adjustment = Adjustment(
            indicator_id=key,
            year=int(year_text),
            text=text,
            date=found_date.isoformat() if found_date else "",
            document=_plain(cell(r, "调整文号")),
            reason=_plain(cell(r, "调整原因")),
        )
        _validate_target(adjustment, where)
        previous = out.get((key, adjustment.year))
        # The latest 调整日期 wins; a row without a date counts as earliest; on a tie the lower row wins.
        if previous is None or adjustment.date >= previous.date:
            out[(key, adjustment.year)] = adjustment
    return out


def _validate_target(adjustment: Adjustment, where: str) -> None:
    indicator = load_plan().indicator(adjustment.indicator_id)
    parse_target(adjustment.text, indicator.direction, indicator.unit, where=where)


__all__ = [
    "META_KEYS",
    "SheetSource",
    "ledger_period",
    "meta_year",
    "parse_date",
    "read_adjustments",
    "read_file",
    "read_grid",
    "read_ledger_sheet",
    "read_meta",
    "read_sheet",
    "scan_cell_states",
    "sheet_extent",
    "summary_period",
    "workbook_meta",
]


def meta_year(meta: dict[str, str] | None) -> int | None:
    """``_meta``'s ``target_year`` (the year whose targets a ledger or fill-in file shows), or None."""
    text = (meta or {}).get("target_year", "").strip()
    try:
        return int(float(text)) if text else None
    except ValueError:
        return None
