"""周盘点: the weekly stock-take of key tasks, applications and major projects.

Each week (an ISO week, :class:`~qyx_excel.periods.Week`) every group gets a short fill-in file
``2024-W14_周盘点_幼有善育.xlsx``: one row per key task of its domain (应用贯通: per application;
重大项目: blank rows for its projects) with 本周进展, 下周计划, 存在问题, 需协调事项. Files come back
into their own inbox folder (default ``周盘点收件箱`` beside the ledger), are checked, archived
byte for byte under ``历史库/周盘点/`` (first arrival time kept, like the monthly files) and summed
up by :func:`stocktake` into a one-page 周盘点: what moved, what is stuck, the plan's milestones
due in the next four weeks (``data/milestones.csv``), who did not report. :func:`write_docx`
writes it as Word, :func:`write_sheet` as the ledger's 周盘点 sheet.
"""

from __future__ import annotations

import calendar
import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cells import split_base1
from .duedates import due_date
from .errors import UnreadableFile, UsageError
from .findings import ERROR, WARNING, Finding, is_valid, make
from .glossary import APPLICATION_GROUP, DOMAINS, GROUPS, PROJECT_GROUP
from .intake import parse_date
from .periods import Week, parse_week, weeks_of_month
from .plan import load_plan
from .receive import inbox_files
from .safeio import atomic_write, atomic_write_bytes, atomic_write_text, open_package
from .sheetstyle import _load
from .store import default_store_dir, mtime_text
from .submission import META_SHEET
from .workbook import (
    Formats,
    _lead_unit,
    meta_rows,
    new_workbook,
    verify_package,
    write_atomically,
    write_meta_sheet,
)

if TYPE_CHECKING:
    from .plan import Plan

SHEET = "周盘点"
KIND = "weekly"
INBOX_DEFAULT = "周盘点收件箱"
STORE_SUBDIR = "周盘点"
HEADERS: tuple[str, ...] = ("类别", "编号", "名称", "本周进展", "下周计划", "存在问题", "需协调事项")
INPUTS: tuple[str, ...] = HEADERS[3:]
WIDTHS = (9.0, 7.0, 28.0, 32.0, 26.0, 22.0, 22.0)
HEADER_ROW = 5
PROJECT_ROWS = 10
LOOKAHEAD_DAYS = 28
#: header block: label cell -> value cell (row 2 given by the office, row 3 by the group)
FIELDS = {
    "填报单位": ("A2", "B2", "C2"),
    "填报周": ("D2", "E2", None),
    "报送截止": ("F2", "G2", None),
    "填报人": ("A3", "B3", "C3"),
    "联系电话": ("D3", "E3", None),
    "填报日期": ("F3", "G3", None),
}
KIND_TASK, KIND_APP, KIND_PROJECT = "重点任务", "数字化应用", "重大项目"


def file_name(week: Week, group: str) -> str:
    return f"{week.code}_周盘点_{group}.xlsx"


def items_for(group: str, plan: Plan) -> list[tuple[str, str, str]]:
    """(类别, 编号, 名称) rows of a group's weekly file."""
    if group in DOMAINS:
        return [(KIND_TASK, t.id, t.title) for t in plan.tasks_of(group)]
    if group == APPLICATION_GROUP:
        return [(KIND_APP, str(a.number), a.name) for a in plan.applications]
    if group == PROJECT_GROUP:
        return [(KIND_PROJECT, str(n), "") for n in range(1, PROJECT_ROWS + 1)]
    raise UsageError(f"没有这个专项组：{group}（应为 {'、'.join(GROUPS)}）。")


# ================================================================================================
# The weekly fill-in file
# ================================================================================================


def write_fillin(path: Path, group: str, week: Week, *, plan: Plan, password: str | None = None) -> None:
    """Write one group's weekly file to ``path`` directly (see :func:`distribute`)."""

    wb = new_workbook(path)
    wb.set_properties({"title": f"{group}专项组 {week.label} 周盘点表", "author": "七优享工程专班办公室"})
    fmt = Formats(wb)
    ws = wb.add_worksheet(SHEET)
    for i, width in enumerate(WIDTHS):
        ws.set_column(i, i, width)
    last = len(HEADERS) - 1
    ws.merge_range(
        0, 0, 0, last, f"瑞安市公共服务“七优享”工程 {group}专项组 周盘点表（{week.label}）", fmt.title
    )
    ws.set_row(0, 32)
    due = due_date(week)
    given = {
        "填报单位": _lead_unit(plan, group),
        "填报周": f"{week.label}（{week.span_label}）",
        "报送截止": due.text,
    }
    for label, (label_cell, value_cell, end) in FIELDS.items():
        ws.write_string(label_cell, label, fmt.label)
        style = fmt.text if label in given else (fmt.input_date if label == "填报日期" else fmt.input_text)
        value = given.get(label, "")
        if end:
            ws.merge_range(f"{value_cell}:{end}", value, style)
        elif value:
            ws.write_string(value_cell, value, style)
        else:
            ws.write_blank(value_cell, None, style)
    ws.set_row(1, 30)
    ws.set_row(2, 24)
    note = (
        "填报说明：每行写一句到两句，写本周实际完成的事（有数字写数字）；没有进展的写“无”。"
        "“存在问题”“需协调事项”写需要专班或其他单位解决的事，专班办公室汇总进本周的周盘点。"
        + ("重大项目每个项目一行，项目名称自填，多余行留空。" if group == PROJECT_GROUP else "")
    )
    ws.merge_range(3, 0, 3, last, note, fmt.note)
    ws.set_row(3, 30)
    for c, header in enumerate(HEADERS):
        ws.write_string(HEADER_ROW - 1, c, header, fmt.header)
    for i, (kind, key, name) in enumerate(items_for(group, plan)):
        r = HEADER_ROW + i
        ws.write_string(r, 0, kind, fmt.center)
        ws.write_string(r, 1, key, fmt.center)
        if kind == KIND_PROJECT:
            ws.write_blank(r, 2, None, fmt.input)
        else:
            ws.write_string(r, 2, name, fmt.text)
        for c in range(3, len(HEADERS)):
            ws.write_blank(r, c, None, fmt.input)
        ws.set_row(r, 48)
    ws.freeze_panes(HEADER_ROW, 0)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.protect(password or "", {"format_columns": True, "format_rows": True})
    write_meta_sheet(wb, fmt, _meta(group, week), password=password)
    ws.activate()
    wb.close()


def _meta(group: str, week: Week) -> list[tuple[str, str]]:
    return meta_rows(KIND, group=group, period=week.code, year=week.month[0])


def distribute(
    week: Week | str,
    out_dir: Path,
    *,
    plan: Plan | None = None,
    groups: tuple[str, ...] = GROUPS,
    password: str | None = None,
) -> list[Path]:
    """Write the weekly files of ``week`` into ``out_dir``; return their paths in group order."""

    week = week if isinstance(week, Week) else parse_week(week)
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        raise UsageError(f"没有这个专项组：{'、'.join(unknown)}（应为 {'、'.join(GROUPS)}）。")
    plan = plan or load_plan()
    paths = []
    for group in groups:

        def write(tmp: Path, group: str = group) -> None:
            write_fillin(tmp, group, week, plan=plan, password=password)

        paths.append(write_atomically(Path(out_dir) / file_name(week, group), write, verify=verify_package))
    return paths


# ================================================================================================
# Reading and checking a returned file
# ================================================================================================


@dataclass
class WeeklyItem:
    kind: str
    key: str
    name: str
    progress: str = ""
    plan: str = ""
    problem: str = ""
    coordination: str = ""

    @property
    def filled(self) -> bool:
        return any((self.progress, self.plan, self.problem, self.coordination))


@dataclass
class WeeklyReport:
    """One group's weekly file as received."""

    file_name: str
    sha256: str
    group: str | None
    week: str | None
    received_at: str = ""
    filled_on: str = ""
    reporter: str = ""
    items: list[WeeklyItem] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.group in GROUPS and is_valid(self.findings)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WeeklyReport:
        return cls(
            **{
                **data,
                "items": [WeeklyItem(**i) for i in data.get("items", [])],
                "findings": [Finding(**f) for f in data.get("findings", [])],
            }
        )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_report(
    path: Path, week: Week, *, plan: Plan | None = None, data: bytes | None = None
) -> WeeklyReport:
    """Read and check one weekly file (never raises for a bad file: the findings say why)."""
    from python_calamine import CalamineWorkbook

    path = Path(path)
    name = path.name
    plan = plan or load_plan()
    try:
        package = open_package(path, display=name, data=data)
    except UnreadableFile as exc:
        finding = exc.finding or make("file-unreadable", file=name, detail=exc.message)
        return WeeklyReport(name, "", None, None, findings=[finding])
    report = WeeklyReport(
        name, hashlib.sha256(package.data).hexdigest(), None, None, findings=list(package.warnings)
    )
    try:
        import io

        wb = CalamineWorkbook.from_filelike(io.BytesIO(package.data))
        sheets = set(wb.sheet_names)
        meta = {}
        if META_SHEET in sheets:
            for meta_row in wb.get_sheet_by_name(META_SHEET).to_python():
                if len(meta_row) >= 2 and meta_row[0]:
                    meta[str(meta_row[0]).strip()] = _text(meta_row[1])
        if meta.get("kind") != KIND or meta.get("group") not in GROUPS or SHEET not in sheets:
            report.findings.append(make("template-unknown", file=name))
            return report
        report.group, report.week = meta["group"], meta.get("period")
        if report.week != week.code:
            report.findings.append(
                make(
                    "period-mismatch",
                    file=name,
                    sheet=SHEET,
                    found=_week_label(report.week),
                    expected=week.label,
                )
            )
        grid = wb.get_sheet_by_name(SHEET).to_python(skip_empty_area=False)
    except Exception as exc:  # a damaged part calamine cannot parse
        report.findings.append(make("file-unreadable", file=name, detail=str(exc)[:80]))
        return report

    def cell(address: str) -> Any:
        r, c = split_base1(address)
        return grid[r - 1][c - 1] if len(grid) >= r and len(grid[r - 1]) >= c else None

    report.reporter = _text(cell(FIELDS["填报人"][1]))
    raw_date = cell(FIELDS["填报日期"][1])
    found = parse_date(raw_date) if raw_date not in (None, "") else None
    report.filled_on = found.isoformat() if found else _text(raw_date)
    if not report.reporter:
        report.findings.append(
            make("header-block-empty", file=name, sheet=SHEET, cell=FIELDS["填报人"][1], found="填报人")
        )
    header = [_text(v) for v in (grid[HEADER_ROW - 1] if len(grid) >= HEADER_ROW else [])]
    if tuple(header[: len(HEADERS)]) != HEADERS:
        missing = next((h for h in HEADERS if h not in header), HEADERS[0])
        report.findings.append(make("header-missing", file=name, sheet=SHEET, expected=missing))
        return report
    expected = {(kind, key): nm for kind, key, nm in items_for(report.group, plan)}
    for r in range(HEADER_ROW, len(grid)):
        row = [_text(v) for v in grid[r]] + [""] * len(HEADERS)
        kind, key = row[0], row[1]
        if not kind and not key:
            continue
        where = f"A{r + 1}"
        if (kind, key) not in expected:
            report.findings.append(
                make("row-unknown", file=name, sheet=SHEET, cell=where, found=f"{kind}{key}")
            )
            continue
        item = WeeklyItem(kind, key, row[2] if kind == KIND_PROJECT else expected[(kind, key)], *(row[3:7]))
        if kind == KIND_PROJECT and not item.name and not item.filled:
            continue  # a spare project row
        report.items.append(item)
    if not any(i.filled for i in report.items):  # an untouched form: the group has not reported
        report.findings.append(make("submission-blank", file=name, sheet=SHEET))
    elif not any(i.progress for i in report.items):
        report.findings.append(
            make("task-progress-missing", file=name, sheet=SHEET, cell=f"D{HEADER_ROW + 1}", severity=WARNING)
        )
    return report


def _week_label(code: str | None) -> str:
    try:
        return parse_week(code or "").label
    except UsageError:
        return f"“{code or '空'}”"


# ================================================================================================
# Receiving into the history store (历史库/周盘点)
# ================================================================================================


def receive(store_dir: Path, inbox: Path, week: Week, *, plan: Plan | None = None) -> list[WeeklyReport]:
    """Archive and record the weekly files in ``inbox``; return every report recorded for ``week``.

    A file seen before keeps its first arrival time (its modification time when first received).
    Per group the last received accepted report counts (:func:`current`).
    """

    root = Path(store_dir) / STORE_SUBDIR
    index_path = root / f"{week.code}.json"
    known = _load_index(index_path)
    seen = {r.sha256 for r in known}
    for path in inbox_files(Path(inbox)) if Path(inbox).is_dir() else []:
        try:
            data = path.read_bytes()
        except OSError as exc:
            known.append(
                WeeklyReport(
                    path.name,
                    "",
                    None,
                    None,
                    findings=[make("file-unreadable", file=path.name, detail=str(exc))],
                )
            )
            continue
        sha = hashlib.sha256(data).hexdigest()
        if sha in seen:
            continue
        report = read_report(path, week, plan=plan, data=data)
        if report.week not in (None, week.code) and report.group is not None:
            continue  # another week's file in the folder: it belongs to that week's stock-take
        report.received_at = mtime_text(path)
        archive = root / "归档" / f"{sha}{path.suffix.lower() or '.xlsx'}"
        if not archive.exists():
            atomic_write_bytes(archive, data, backup=False)
        known.append(report)
        seen.add(sha)
    known.sort(key=lambda r: (r.received_at, r.file_name))
    text = json.dumps(
        {"week": week.code, "reports": [r.to_json() for r in known]}, ensure_ascii=False, indent=1
    )
    root.mkdir(parents=True, exist_ok=True)
    atomic_write_text(index_path, text, backup=False)
    return known


def _load_index(path: Path) -> list[WeeklyReport]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise UsageError(f"周盘点记录“{path}”无法读取（{exc}）；可将其改名后重新汇总本周。") from None
    return [WeeklyReport.from_json(r) for r in data.get("reports", [])]


def current(reports: list[WeeklyReport]) -> dict[str, WeeklyReport]:
    """Per group, the last received accepted report."""
    out: dict[str, WeeklyReport] = {}
    for r in reports:
        if r.accepted and r.group:
            out[r.group] = r
    return out


# ================================================================================================
# The stock-take
# ================================================================================================


@dataclass
class DueMilestone:
    task_id: str
    what: str
    target: str
    deadline: date
    deadline_label: str
    lead: str


@dataclass
class Stocktake:
    week: Week
    due: str
    moved: list[tuple[str, WeeklyItem]] = field(default_factory=list)  # (group, item)
    stuck: list[tuple[str, WeeklyItem]] = field(default_factory=list)
    milestones: list[DueMilestone] = field(default_factory=list)
    reported: list[str] = field(default_factory=list)
    late: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (group or file, first error)
    missing: list[str] = field(default_factory=list)
    warning: str | None = None  # holiday data missing for the due date's year


def _deadline_dates(deadline: str, start: date, end: date) -> list[tuple[date, str]]:
    text = deadline.strip()
    if text == "每年":
        return [(date(y, 12, 31), f"{y}年底（每年）") for y in range(start.year, end.year + 1)]
    if len(text) == 4 and text.isdigit():
        return [(date(int(text), 12, 31), f"{text}年底")]
    if len(text) == 7 and text[4] == "-":
        y, m = int(text[:4]), int(text[5:])
        return [(date(y, m, calendar.monthrange(y, m)[1]), f"{y}年{m}月底")]
    return []


def milestones_due(plan: Plan, after: date, days: int = LOOKAHEAD_DAYS) -> list[DueMilestone]:
    """The plan's milestones whose deadline falls in (after, after + days]."""
    end = after + timedelta(days=days)
    out = []
    for task in plan.tasks:
        for m in task.milestones:
            for when, label in _deadline_dates(m.deadline, after, end):
                if after < when <= end:
                    value = "" if m.value is None else f"{m.value:g}"
                    out.append(
                        DueMilestone(
                            task.id, m.what, f"{m.comparison}{value}{m.unit}", when, label, task.lead_unit
                        )
                    )
    return sorted(out, key=lambda d: (d.deadline, d.task_id))


def stocktake(week: Week, reports: list[WeeklyReport], *, plan: Plan | None = None) -> Stocktake:
    """Sum up a week: what moved, what is stuck, milestones due in four weeks, who did not report."""

    plan = plan or load_plan()
    due = due_date(week)
    st = Stocktake(week=week, due=due.text, warning=due.warning)
    chosen = current(reports)
    for group in GROUPS:
        report = chosen.get(group)
        if report is None:
            tried = [r for r in reports if r.group == group]
            if tried:
                first = next((f.message for f in tried[-1].findings if f.severity == ERROR), "")
                st.refused.append((group, first))
            st.missing.append(group)
            continue
        st.reported.append(group)
        first_arrival = min(r.received_at for r in reports if r.group == group and r.received_at)
        if first_arrival and datetime.fromisoformat(first_arrival).date() > due.due:
            st.late.append(group)
        for item in report.items:
            if item.progress and item.progress not in ("无", "暂无"):
                st.moved.append((group, item))
            if any(t and t not in ("无", "暂无") for t in (item.problem, item.coordination)):
                st.stuck.append((group, item))
    for r in reports:
        if r.group is None:
            first = next((f.message for f in r.findings if f.severity == ERROR), "")
            st.refused.append((r.file_name, first))
    st.milestones = milestones_due(plan, week.last_day)
    return st


def _item_title(item: WeeklyItem) -> str:
    if item.kind == KIND_TASK:
        return f"任务{item.key}“{item.name}”"
    if item.kind == KIND_APP:
        return f"应用“{item.name}”"
    return f"项目“{item.name or item.key}”"


def lines(st: Stocktake, *, limit: int = 6, width: int | None = 70) -> list[tuple[str, list[str]]]:
    """The stock-take as (heading, paragraphs), shared by the sheet and the Word file.

    The Word page keeps to one page: at most ``limit`` lines a section, each cut at ``width`` characters
    (the ledger sheet passes larger limits and no width).
    """

    def cut(text: str) -> str:
        return text if width is None or len(text) <= width else text[: width - 1] + "……"

    def cap(items: list[str]) -> list[str]:
        items = [cut(t) for t in items]
        return (
            items
            if len(items) <= limit
            else [*items[:limit], f"……另有 {len(items) - limit} 项，详见各组周盘点表。"]
        )

    moved = [f"{g}：{_item_title(i)}，{i.progress.rstrip('。')}。" for g, i in _round_robin(st.moved)]
    stuck = []
    for g, i in _round_robin(st.stuck):
        parts = [
            p
            for p in (
                i.problem and f"问题：{i.problem.rstrip('。')}",
                i.coordination and f"需协调：{i.coordination.rstrip('。')}",
            )
            if p
        ]
        stuck.append(f"{g}：{_item_title(i)}，{'；'.join(parts)}。")
    due = [f"{m.deadline_label}：任务{m.task_id} {m.what} {m.target}（{m.lead}）" for m in st.milestones]
    who = [
        f"已报送 {len(st.reported)} 个专项组"
        + (f"，其中逾期 {len(st.late)} 个：{'、'.join(st.late)}" if st.late else "")
        + "。"
    ]
    if st.missing:
        who.append(f"未报送 {len(st.missing)} 个：{'、'.join(st.missing)}。")
    who.extend(f"{g} 的周盘点表未通过校验：{msg}" for g, msg in st.refused if msg)
    return [
        ("一、本周进展", cap(moved) or ["本周各组未报告进展。"]),
        ("二、存在问题和需协调事项", cap(stuck) or ["本周各组未报告问题。"]),
        (
            f"三、未来四周到期的节点目标（{(st.week.last_day + timedelta(days=1)).month}月"
            f"{(st.week.last_day + timedelta(days=1)).day}日—"
            f"{(st.week.last_day + timedelta(days=LOOKAHEAD_DAYS)).month}月"
            f"{(st.week.last_day + timedelta(days=LOOKAHEAD_DAYS)).day}日）",
            cap(due) or ["无。"],
        ),
        ("四、报送情况", who),
    ]


def _round_robin(pairs: list[tuple[str, WeeklyItem]]) -> list[tuple[str, WeeklyItem]]:
    """Each group's first item, then each group's second …: a capped list names every group it can."""
    rank: dict[str, int] = {}
    keyed = []
    for n, (group, item) in enumerate(pairs):
        rank[group] = rank.get(group, -1) + 1
        keyed.append(((rank[group], n), (group, item)))
    return [pair for _, pair in sorted(keyed, key=lambda k: k[0])]


def title(st: Stocktake) -> str:
    return f"“七优享”工程周盘点（{st.week.label}，{st.week.span_label}）"


def write_docx(st: Stocktake, out: Path) -> Path:
    """The one-page 周盘点 as Word (A4, 仿宋 body, 黑体 headings); written atomically."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    def font(run: Any, name: str, size: float, bold: bool = False) -> None:
        run.font.name, run.font.size, run.font.bold = name, Pt(size), bold
        rfonts = run._element.get_or_add_rPr().get_or_add_rFonts()
        rfonts.set(qn("w:eastAsia"), name)

    def write(tmp: Path) -> None:
        doc = Document()
        section = doc.sections[0]
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        section.top_margin = section.bottom_margin = Cm(2.0)
        section.left_margin = section.right_margin = Cm(2.4)
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        font(p.add_run(title(st)), "方正小标宋简体", 16)
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        font(p.add_run(f"瑞安市公共服务“七优享”工程工作专班办公室　报送截止：{st.due}"), "仿宋_GB2312", 10.5)
        for heading, paragraphs in lines(st):
            p = doc.add_paragraph()
            p.paragraph_format.space_before = Pt(6)
            font(p.add_run(heading), "黑体", 12)
            for text in paragraphs:
                q = doc.add_paragraph()
                q.paragraph_format.first_line_indent = Pt(22)
                q.paragraph_format.space_after = Pt(0)
                font(q.add_run(text), "仿宋_GB2312", 11)
        doc.save(str(tmp))

    return atomic_write(Path(out), write, backup=False)


def write_sheet(ledger: Path, st: Stocktake) -> Path:
    """Write (or replace) the ledger's 周盘点 sheet; the ledger is saved atomically with a backup."""
    from openpyxl.styles import Alignment, Font

    ledger = Path(ledger)

    def write(tmp: Path) -> None:
        wb = _load(ledger)
        if SHEET in wb.sheetnames:
            del wb[SHEET]
        ws = wb.create_sheet(SHEET)
        ws.sheet_properties.tabColor = "C9A0DC"
        ws.column_dimensions["A"].width = 110
        ws["A1"] = title(st)
        ws["A1"].font = Font(name="黑体", size=14, bold=True)
        ws["A2"] = f"报送截止：{st.due}"
        r = 3
        for heading, paragraphs in lines(st, limit=200, width=None):
            r += 1
            ws.cell(r, 1, heading).font = Font(bold=True)
            for text in paragraphs:
                r += 1
                c = ws.cell(r, 1, text)
                c.alignment = Alignment(wrap_text=True, vertical="top")
        wb.save(tmp)

    return atomic_write(ledger, write, backup=True)


def run(
    week: Week | str,
    *,
    ledger: Path,
    inbox: Path | None = None,
    out: Path | None = None,
    store: Path | None = None,
    write_ledger: bool = True,
) -> tuple[Stocktake, list[WeeklyReport], list[Path]]:
    """``qyx weekly``: receive the week's files, sum up, write the .docx and the ledger sheet."""

    week = week if isinstance(week, Week) else parse_week(week)
    ledger = Path(ledger)
    if not ledger.is_file():
        raise UsageError(f"找不到台账文件“{ledger}”。")
    inbox = Path(inbox) if inbox else ledger.resolve().parent / INBOX_DEFAULT
    if not inbox.is_dir():
        raise UsageError(
            f"周盘点收件箱文件夹“{inbox}”不存在：请把各组交回的周盘点表放进这个文件夹（或用 --inbox 指定）。"
        )
    reports = receive(Path(store) if store else default_store_dir(ledger), inbox, week)
    st = stocktake(week, reports)
    written = [write_docx(st, Path(out) if out else ledger.resolve().parent / f"周盘点_{week.code}.docx")]
    if write_ledger:
        written.append(write_sheet(ledger, st))
    return st, reports, written


def month_overview(store_dir: Path, year: int, month: int) -> list[str]:
    """One line per week counted in the month that has a recorded 周盘点 (for the month's 汇总)."""

    out = []
    for week in weeks_of_month(year, month):
        reports = _load_index(Path(store_dir) / STORE_SUBDIR / f"{week.code}.json")
        if not reports:
            continue
        chosen = current(reports)
        missing = [g for g in GROUPS if g not in chosen]
        stuck = sum(
            1
            for r in chosen.values()
            for i in r.items
            if any(t and t not in ("无", "暂无") for t in (i.problem, i.coordination))
        )
        out.append(
            f"{week.label}（{week.span_label}）：已报 {len(chosen)}/{len(GROUPS)} 个专项组"
            + (f"，未报 {'、'.join(missing)}" if missing else "")
            + f"；问题和需协调事项 {stuck} 项。"
        )
    return out
