"""督办: warnings that escalate (蓝色提醒 → 黄色预警 → 红色督办), slips to units, replies tracked.

Levels come from history, never from a single month.  For every *matter* — an indicator (or part),
a key task, a major project — the monthly consolidations in the store give one class per month:

* ``ok``: 已达标 / 序时推进 (a task 已完成 / 序时推进, a project on its investment path);
* ``lag``: 进度滞后 (a task 滞后, a project behind its investment path);
* ``severe``: 严重滞后 (a task 未启动 by default — ``task_not_started`` in ``data/supervision.csv`` —,
  a project 停缓建);
* ``missing``: 未填报 (the group did not report, was refused, or left the cell empty);
* ``na``: 不适用, or a month nobody consolidated and nobody reported for (it changes nothing).

The rules are data (``data/escalation.csv``, one row per level): a level is reached after so many
lagging months in a row, or so many 严重滞后 months within that run, or so many months in a row not
reported — not reporting is its own path, and a month not reported neither breaks nor extends a
lagging run.  While a matter stays behind its level never goes down.

Catching up (the 瓯海 rule): the month a matter is back on track shows no warning (its light is
green), and the level it had stays *on record* one step lower (红色督办 → 黄色预警; the steps are
data: ``降级所需正常月数`` consecutive good months per level); the record then steps down further
after more good months.  A matter that lags again while a level is on record goes straight to one
level above the record (``relapse_step``).

Everything is recomputed from the store on every call: re-running a month or receiving a late
resubmission of an old month gives the same levels as if the files had come in time.  A month
whose stored consolidation no longer matches the submissions now current (a late resubmission)
is re-assembled in memory from those submissions.

Slips (督办单, :func:`issue_slips`): one per responsible unit per month, grouping the unit's matters
at a level whose ``出督办单`` is 是 (黄色预警, 红色督办) — one document per unit keeps what a unit
must answer in one place, and one reply answers it.  Numbers (瑞七优享督〔2024〕12号) are given once
and never reused; issuing the month again keeps every number and the first issue date, refreshes
the content, and marks a slip whose unit no longer has such matters 已撤销 (withdrawn).  The reply
deadline is the issue date plus ``reply_working_days`` working days (workcalendar).

Replies (整改反馈, :func:`record_replies`): a unit's written reply is a file (Word, PDF, a scan)
put in the replies folder (``反馈/`` next to the ledger by default), its name carrying the slip's
number (``瑞七优享督〔2024〕12号`` or just ``督〔2024〕12号`` / ``督2024-12``); it is kept byte for
byte in the store and recorded against the slip, late when received after the deadline.  A slip
past its deadline without a reply is listed as 逾期未反馈.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .assemble import assemble as _assemble
from .cells import a1_base1
from .cells import letters_base1 as col_letter
from .errors import PlanDataError, TemplateError, UsageError
from .glossary import (
    FILL_GREEN,
    FILL_RED,
    FILL_YELLOW,
    GROUPS,
    LEVEL_FILLS,
    LEVEL_ORDER,
    PROJECT_GROUP,
    SHEET_FINDINGS,
    SHEET_RANKING,
    SHEET_SUMMARY,
    SHEET_SUPERVISION,
    SHEET_TABLES,
    Level,
    ProjectState,
    Status,
    TaskState,
)
from .layout import SUMMARY_COLUMNS, SUMMARY_HEADER_ROW, SUPERVISION_COLUMNS, SUPERVISION_SLIP_HEADERS
from .office import require_soffice
from .periods import Period, as_period, parse_period
from .plan import load_plan
from .safeio import atomic_write, is_ignorable_name
from .sheetstyle import _clear, _data_row, _header_row, _load, _print_area, _put, _Styles
from .slip_template import SLIP_COLUMNS, TABLE_LINES, build_slip_template, chars_per_line
from .store import DB_NAME, Store, mtime_text
from .values import format_number
from .workcalendar import add_working_days, coverage_warning, next_working_day

if TYPE_CHECKING:
    from .model import Consolidation
    from .store import Store

DATA_DIR = Path(__file__).with_name("data")

OK, LAG, SEVERE, MISSING, NA = "ok", "lag", "severe", "missing", "na"
_CLASS_OF_STATUS = {
    Status.MET.value: OK,
    Status.ON_TRACK.value: OK,
    Status.LAGGING.value: LAG,
    Status.SEVERELY_LAGGING.value: SEVERE,
    Status.NOT_REPORTED.value: MISSING,
    Status.NOT_APPLICABLE.value: NA,
}

#: Slip states.
ISSUED = "issued"
WITHDRAWN = "withdrawn"
SLIP_STATE_WORDS = {ISSUED: "已发出", WITHDRAWN: "已撤销"}


# ================================================================================================
# Rules (data/escalation.csv, data/supervision.csv)
# ================================================================================================


@dataclass(frozen=True)
class LevelRule:
    """One row of ``escalation.csv``: what reaches ``level`` and how it steps down."""

    level: Level
    lags: int | None  # months lagging in a row
    severe: int | None  # 严重滞后 months within the lagging run
    missing: int | None  # months not reported in a row
    step_down_after: int  # good months in a row before the record steps down one level
    slip: bool  # a slip goes to the unit
    note: str = ""


@dataclass(frozen=True)
class SupervisionRules:
    levels: tuple[LevelRule, ...]
    number_format: str = "瑞七优享督〔{year}〕{number}号"
    reply_working_days: int = 10
    relapse_step: int = 1
    task_not_started: str = SEVERE
    issuer: str = ""
    contact_group: str = ""
    contact_phone: str = ""
    explanation_chars: int = 48
    matters_per_slip: int = 3
    requirement: str = ""

    def rule(self, level: Level) -> LevelRule | None:
        return next((r for r in self.levels if r.level is level), None)

    @property
    def slip_levels(self) -> tuple[Level, ...]:
        return tuple(r.level for r in self.levels if r.slip)

    def slip_number(self, year: int, number: int) -> str:
        return self.number_format.format(year=year, number=number)


def _int_cell(row: dict[str, str], key: str, path: Path, line: int, *, required: bool = False) -> int | None:
    text = (row.get(key) or "").strip()
    if not text:
        if required:
            raise PlanDataError(f"督办规则 {path.name} 第 {line} 行“{key}”不能为空。")
        return None
    try:
        value = int(text)
    except ValueError:
        raise PlanDataError(f"督办规则 {path.name} 第 {line} 行“{key}”应为正整数，现为“{text}”。") from None
    if value < 1:
        raise PlanDataError(f"督办规则 {path.name} 第 {line} 行“{key}”应为正整数，现为“{text}”。")
    return value


@cache
def load_supervision_rules(escalation: Path | None = None, settings: Path | None = None) -> SupervisionRules:
    """Read ``data/escalation.csv`` and ``data/supervision.csv``; a wrong cell is named with its line."""
    escalation = escalation or DATA_DIR / "escalation.csv"
    settings = settings or DATA_DIR / "supervision.csv"
    levels = []
    try:
        with escalation.open(encoding="utf-8-sig", newline="") as fh:
            for line, row in enumerate(csv.DictReader(fh), start=2):
                name = (row.get("级别") or "").strip()
                try:
                    level = Level(name)
                except ValueError:
                    raise PlanDataError(
                        f"督办规则 {escalation.name} 第 {line} 行的级别“{name}”不是 蓝色提醒、"
                        "黄色预警、红色督办 之一。"
                    ) from None
                if level is Level.NONE:
                    raise PlanDataError(f"督办规则 {escalation.name} 第 {line} 行：级别“无”不用写。")
                slip = (row.get("出督办单") or "").strip()
                if slip not in ("是", "否"):
                    raise PlanDataError(f"督办规则 {escalation.name} 第 {line} 行“出督办单”只能填 是 或 否。")
                levels.append(
                    LevelRule(
                        level=level,
                        lags=_int_cell(row, "连续滞后月数", escalation, line),
                        severe=_int_cell(row, "严重滞后次数", escalation, line),
                        missing=_int_cell(row, "连续未填报月数", escalation, line),
                        step_down_after=_int_cell(row, "降级所需正常月数", escalation, line, required=True)
                        or 1,
                        slip=slip == "是",
                        note=(row.get("说明") or "").strip(),
                    )
                )
        values: dict[str, str] = {}
        with settings.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                values[(row.get("键") or "").strip()] = (row.get("值") or "").strip()
    except OSError as exc:
        raise PlanDataError(f"无法读取督办规则文件：{exc}") from exc
    except KeyError as exc:
        raise PlanDataError(f"督办规则文件缺少列“{exc.args[0]}”。") from None
    if len({r.level for r in levels}) != len(levels):
        raise PlanDataError(f"督办规则 {escalation.name} 中同一级别写了两行。")
    levels.sort(key=lambda r: r.level.rank)
    not_started = values.get("task_not_started", Status.SEVERELY_LAGGING.value)
    if not_started not in (Status.SEVERELY_LAGGING.value, Status.LAGGING.value):
        raise PlanDataError(f"督办设置 {settings.name} 中 task_not_started 只能填 严重滞后 或 进度滞后。")
    try:
        days = int(values.get("reply_working_days", "10"))
        relapse = int(values.get("relapse_step", "1"))
        chars = int(values.get("explanation_chars", "48"))
        per_slip = int(values.get("matters_per_slip", "3"))
    except ValueError as exc:
        raise PlanDataError(f"督办设置 {settings.name} 中的天数、级数、字数应为整数：{exc}") from None
    number_format = values.get("number_format") or "瑞七优享督〔{year}〕{number}号"
    if "{year}" not in number_format or "{number}" not in number_format:
        raise PlanDataError(f"督办设置 {settings.name} 中 number_format 须含 {{year}} 和 {{number}}。")
    return SupervisionRules(
        levels=tuple(levels),
        number_format=number_format,
        reply_working_days=days,
        relapse_step=relapse,
        task_not_started=SEVERE if not_started == Status.SEVERELY_LAGGING.value else LAG,
        issuer=values.get("issuer", ""),
        contact_group=values.get("contact_group", ""),
        contact_phone=values.get("contact_phone", ""),
        explanation_chars=chars,
        matters_per_slip=max(per_slip, 1),
        requirement=values.get("requirement", ""),
    )


def rule_text(rules: SupervisionRules | None = None) -> str:
    """The escalation rules in one Chinese paragraph (for the 督办 sheet), generated from the data."""
    rules = rules or load_supervision_rules()
    parts = []
    for r in rules.levels:
        when = []
        if r.lags:
            when.append(f"连续{r.lags}个月滞后")
        if r.severe:
            when.append(f"滞后期间严重滞后{r.severe}次")
        if r.missing:
            when.append(f"连续{r.missing}个月未填报")
        slip = "，发督办单" if r.slip else ""
        parts.append(f"{r.level.value}：{'或'.join(when) or '（不自动触发）'}{slip}")
    steps = "；".join(f"{r.level.value}{r.step_down_after}个月" for r in rules.levels)
    relapse = f"；降级后尚未解除又滞后的，比留档等级再升{rules.relapse_step}级" if rules.relapse_step else ""
    return (
        "预警规则：" + "；".join(parts) + "。赶上序时进度的当月不预警，原等级降一级留档，连续正常达到所需月数"
        f"再降一级（{steps}）{relapse}。"
    )


def rules_markdown(rules: SupervisionRules | None = None) -> str:
    """The levels table of ``docs/supervision.md``, generated from ``data/escalation.csv``."""
    rules = rules or load_supervision_rules()
    lines = [
        "| 级别 | 连续滞后月数 | 滞后期间严重滞后次数 | 连续未填报月数 | 赶上后降一级所需正常月数 | 发督办单 |",
        "|---|---|---|---|---|---|",
    ]
    for r in rules.levels:
        cells = [
            r.level.value,
            *(str(x) if x else "—" for x in (r.lags, r.severe, r.missing)),
            str(r.step_down_after),
            "是" if r.slip else "否",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# ================================================================================================
# Matters and their monthly classes
# ================================================================================================


@dataclass(frozen=True)
class Observation:
    """What one month's consolidation says about one matter."""

    key: str  # indicator:12 / task:5-1 / project:3
    kind: str  # indicator / task / project
    ref: str
    name: str
    unit: str
    group: str
    cls: str  # ok / lag / severe / missing / na
    status: str  # the word shown (序时推进, 滞后, 停缓建 …)
    behind: str = ""  # how far behind, in words
    explanation: str = ""  # the unit's own words


#: Key of the marker saying the 重大项目 group did not report this month.
ALL_PROJECTS = "project:*"


def _fmt(x: float | None) -> str:
    return format_number(x) if x is not None else "—"


def observations(c: Consolidation, rules: SupervisionRules) -> dict[str, Observation]:
    """Every matter of a month's consolidation, classed (indicators, key tasks, major projects)."""
    out: dict[str, Observation] = {}
    for r in c.indicators:
        cls = _CLASS_OF_STATUS.get(r.status.value, NA)
        behind = ""
        if cls in (LAG, SEVERE):
            unit = "" if r.unit in ("%",) else r.unit
            pct = "%" if r.unit == "%" else ""
            behind = (
                f"完成值{r.value_text or _fmt(r.value)}{pct}{unit}，序时进度{_fmt(r.expected)}{pct}{unit}"
            )
            if r.completion is not None:
                behind += f"，完成率{r.completion:.1f}%"
        key = f"indicator:{r.id}"
        out[key] = Observation(
            key,
            "indicator",
            r.id,
            f"指标{r.id} {r.name}",
            r.responsible_unit,
            r.group,
            cls,
            r.status.value,
            behind,
            r.note,
        )
    project_reported = any(g.group == PROJECT_GROUP and g.accepted for g in c.groups)
    if not project_reported:  # every project known from earlier months counts as not reported
        out[ALL_PROJECTS] = Observation(
            ALL_PROJECTS, "project", "*", "", "", PROJECT_GROUP, MISSING, Status.NOT_REPORTED.value
        )
    for t in c.tasks:
        state = t.state or ""
        if state in (TaskState.DONE.value, TaskState.ON_TRACK.value):
            cls = OK
        elif state == TaskState.LAGGING.value:
            cls = LAG
        elif state == TaskState.NOT_STARTED.value:
            cls = rules.task_not_started
        else:
            cls = MISSING
        words = "；".join(
            x
            for x in (t.problems and f"存在问题：{t.problems}", t.progress and f"本期进展：{t.progress}")
            if x
        )
        behind = f"完成情况：{state}" if cls in (LAG, SEVERE) else ""
        key = f"task:{t.id}"
        out[key] = Observation(
            key,
            "task",
            t.id,
            f"重点任务{t.id} {t.title}",
            t.lead_unit,
            t.domain,
            cls,
            state or Status.NOT_REPORTED.value,
            behind,
            words,
        )
    if project_reported:
        for p in c.projects:
            if p.state == ProjectState.STALLED.value:
                cls = SEVERE
            elif p.behind:
                cls = LAG
            else:
                cls = OK
            behind = ""
            if cls in (LAG, SEVERE):
                behind = (
                    f"{p.state + '，' if p.state else ''}本年完成投资{_fmt(p.completed_this_year)}万元，"
                    f"序时应完成{_fmt(p.expected_this_year)}万元"
                )
            key = f"project:{p.number}"
            out[key] = Observation(
                key,
                "project",
                str(p.number),
                f"重大项目 {p.name}",
                p.unit,
                PROJECT_GROUP,
                cls,
                p.state or ("进度落后" if p.behind else "正常"),
                behind,
                p.problems,
            )
    return out


# ================================================================================================
# History: every month up to a period, as consolidated (or re-assembled when stale)
# ================================================================================================


@dataclass
class MonthRecord:
    period: str
    consolidation: Consolidation | None
    reassembled: bool = False  # a late resubmission made the stored consolidation stale


def _month_codes(st: Store, end: Period) -> list[str]:
    months = {p for p in st.consolidated_periods() if re.fullmatch(r"\d{4}-\d{2}", p)}
    months |= {
        r[0]
        for r in st.db.execute("SELECT DISTINCT period FROM submissions WHERE period IS NOT NULL")
        if re.fullmatch(r"\d{4}-\d{2}", r[0] or "")
    }
    return sorted(m for m in months if m <= end.code)


def _stale(st: Store, c: Consolidation) -> bool:
    """Whether the submissions now current for the month differ from those the consolidation used."""
    shown = {g.group: g for g in c.groups}
    for group in GROUPS:
        current = st.current(c.period, group)
        g = shown.get(group)
        if current is None:
            if g is not None and g.accepted:
                return True
            continue
        if g is None or not g.accepted or (g.file, g.received_at) != (current.file_name, current.received_at):
            return True
    return False


def history(st: Store, period: Period | str, *, adjustments: dict | None = None) -> list[MonthRecord]:
    """Every month up to ``period``'s last month that was consolidated or has submissions, oldest first."""

    end = as_period(period).end
    out = []
    for code in _month_codes(st, end):
        stored = st.load_consolidation(code)
        if stored is not None and not _stale(st, stored):
            out.append(MonthRecord(code, stored))
            continue
        fresh = _assemble(
            parse_period(code),
            st,
            [],
            adjustments=adjustments or {},
            now=dt.datetime.fromisoformat(stored.generated_at) if stored else None,
        ).consolidation
        out.append(MonthRecord(code, fresh, reassembled=True))
    return out


# ================================================================================================
# Escalation
# ================================================================================================


@dataclass
class MatterLevel:
    """A matter's level for one month, with the reason in words."""

    key: str
    kind: str
    ref: str
    name: str
    unit: str
    group: str
    period: str
    level: Level
    standing: Level  # the level on record (after a catch-up: one step below what it was)
    previous_level: Level
    reason: str
    status: str
    since: str | None = None  # the month the current level was reached
    behind_since: str | None = None  # first month of the current lagging or not-reported run
    run: int = 0  # months lagging in a row
    severe: int = 0  # 严重滞后 months in the run
    missing_run: int = 0
    behind: str = ""
    explanation: str = ""

    @property
    def caught_up(self) -> bool:
        return self.level is Level.NONE and self.previous_level is not Level.NONE

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["level"], data["standing"], data["previous_level"] = (
            self.level.value,
            self.standing.value,
            self.previous_level.value,
        )
        return data


def _label(code: str | None) -> str:
    return parse_period(code).label if code else ""


def _up(level: Level, steps: int) -> Level:
    return LEVEL_ORDER[min(level.rank + steps, len(LEVEL_ORDER) - 1)]


def _path_level(rules: SupervisionRules, *, run: int = 0, severe: int = 0, missing: int = 0) -> Level:
    found = Level.NONE
    for r in rules.levels:
        if (
            (r.lags and run >= r.lags)
            or (r.severe and severe >= r.severe)
            or (r.missing and missing >= r.missing)
        ):
            found = max(found, r.level, key=lambda x: x.rank)
    return found


def _max(*levels: Level) -> Level:
    return max(levels, key=lambda x: x.rank)


class _Track:
    """One matter's state while the months are replayed."""

    def __init__(self) -> None:
        self.level = self.standing = Level.NONE
        self.run = self.severe = self.missing = self.good = 0
        self.run_start: str | None = None
        self.missing_start: str | None = None
        self.relapse_base = Level.NONE
        self.last_ok = False
        self.since: str | None = None
        self.reason = ""

    def step(self, month: str, cls: str, rules: SupervisionRules) -> None:
        if cls == NA:
            return
        caught_up = self.last_ok  # the month before (not counting n/a months) was on track
        self._step(month, cls, rules, caught_up)
        self.last_ok = cls == OK

    def _step(self, month: str, cls: str, rules: SupervisionRules, caught_up: bool) -> None:
        before = self.level
        if cls == OK:
            self.run = self.severe = self.missing = 0
            self.run_start = self.missing_start = None
            self.level = Level.NONE
            self.good += 1
            record = self.standing
            rule = rules.rule(record)
            if record is Level.NONE:
                self.reason = ""
            elif rule is not None and self.good >= rule.step_down_after:
                self.standing = LEVEL_ORDER[record.rank - 1]
                self.good = 0
                if self.standing is Level.NONE:
                    self.reason = f"已赶上序时进度，{record.value}解除"
                else:
                    self.reason = f"已赶上序时进度，{record.value}降为{self.standing.value}留档，本月不预警"
            else:
                need = (rule.step_down_after if rule else 1) - self.good
                self.reason = (
                    f"已连续{self.good}个月赶上序时进度，{record.value}留档，再正常{need}个月降级，本月不预警"
                )
            if self.level is not before:
                self.since = month if self.level is not Level.NONE else None
            return
        self.good = 0
        if cls == MISSING:
            if self.missing == 0:
                self.missing_start = month
            self.missing += 1
            path = _path_level(rules, missing=self.missing)
            self.level = _max(path, self.standing)
            what = (
                f"自{_label(self.missing_start)}起连续{self.missing}个月未填报"
                if self.missing > 1
                else "本月未填报"
            )
            self.reason = what if path.rank >= self.standing.rank else f"{what}，维持{self.level.value}"
        else:  # LAG or SEVERE
            self.missing, self.missing_start = 0, None
            if self.run == 0:
                self.run_start = month
                # a relapse: lagging again right after catching up, while a level is still on record
                self.relapse_base = self.standing if caught_up else Level.NONE
            self.run += 1
            self.severe += cls == SEVERE
            path = _path_level(rules, run=self.run, severe=self.severe)
            relapse = (
                _up(self.relapse_base, rules.relapse_step)
                if self.relapse_base is not Level.NONE and rules.relapse_step
                else Level.NONE
            )
            self.level = _max(path, relapse, self.standing)
            if self.run > 1:
                what = f"自{_label(self.run_start)}起连续{self.run}个月进度滞后"
                if self.severe:
                    what += f"（其中严重滞后{self.severe}次）"
            else:
                what = "本月严重滞后" if cls == SEVERE else "本月进度滞后"
            if relapse.rank > path.rank and relapse is self.level:
                what += f"；此前{self.relapse_base.value}尚未解除，再次滞后升为{self.level.value}"
            elif self.level.rank > path.rank:
                what += f"，维持{self.level.value}"
            self.reason = what
        self.standing = self.level
        if self.level is not before:
            self.since = month


@dataclass
class Board:
    """Levels of every matter for a period, and the months they were computed from."""

    period: str
    label: str
    matters: list[MatterLevel]
    months: list[str]
    reassembled: list[str] = field(default_factory=list)
    slips: list[dict[str, Any]] = field(default_factory=list)  # slips of the period (see issue_slips)
    all_slips: list[dict[str, Any]] = field(default_factory=list)
    replies: list[dict[str, Any]] = field(default_factory=list)

    def at(self, *levels: Level) -> list[MatterLevel]:
        return [m for m in self.matters if m.level in levels]

    def level_of(self, key: str) -> Level:
        """The level of a matter (``indicator:12``, ``task:5-1``, ``project:3``); 无 when unknown."""
        found = next((m for m in self.matters if m.key == key), None)
        return found.level if found else Level.NONE

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "months": self.months,
            "reassembled": self.reassembled,
            "matters": [m.to_json() for m in self.matters],
            "summary": summary_of(self),
            "slips": self.slips,
        }


def escalate(
    months: Iterable[tuple[str, dict[str, Observation]]],
    rules: SupervisionRules,
) -> dict[str, list[MatterLevel]]:
    """Replay the months (oldest first) and give every matter's level per month (pure function)."""
    tracks: dict[str, _Track] = {}
    out: dict[str, list[MatterLevel]] = {}
    last: dict[str, Observation] = {}
    for month, seen in months:
        absent = seen.get(ALL_PROJECTS)
        for key in [k for k in seen if k != ALL_PROJECTS] + [k for k in tracks if k not in seen]:
            obs = seen.get(key)
            track = tracks.setdefault(key, _Track())
            before = track.level
            cls = obs.cls if obs is not None else (MISSING if absent and key.startswith("project:") else NA)
            track.step(month, cls, rules)
            shown = obs or last[key]
            if obs is not None:
                last[key] = obs
            out.setdefault(key, []).append(
                MatterLevel(
                    key=key,
                    kind=shown.kind,
                    ref=shown.ref,
                    name=shown.name,
                    unit=shown.unit,
                    group=shown.group,
                    period=month,
                    level=track.level,
                    standing=track.standing,
                    previous_level=before,
                    reason=track.reason,
                    status=obs.status if obs else (Status.NOT_REPORTED.value if cls == MISSING else ""),
                    since=track.since,
                    behind_since=track.run_start or track.missing_start,
                    run=track.run,
                    severe=track.severe,
                    missing_run=track.missing,
                    behind=obs.behind if obs else "",
                    explanation=obs.explanation if obs else "",
                )
            )
    return out


def board(
    st: Store, period: Period | str, *, adjustments: dict | None = None, rules: SupervisionRules | None = None
) -> Board:
    """Every matter's level for ``period`` (a quarter or year: its last month), from the store's history."""
    period = as_period(period)
    rules = rules or load_supervision_rules()
    records = history(st, period, adjustments=adjustments)
    replay = [
        (r.period, observations(r.consolidation, rules)) for r in records if r.consolidation is not None
    ]
    levels = escalate(replay, rules)
    end = period.end.code
    # a matter with nothing said this month (a project taken off the list) is not on the board
    matters = [seq[-1] for seq in levels.values() if seq and seq[-1].period == end and seq[-1].status]
    order = {"indicator": 0, "task": 1, "project": 2}
    matters.sort(key=lambda m: (-m.level.rank, order.get(m.kind, 9), _natural(m.ref)))
    return Board(
        period=period.code,
        label=period.label,
        matters=matters,
        months=[r.period for r in records],
        reassembled=[r.period for r in records if r.reassembled],
    )


def _natural(ref: str) -> tuple:
    return tuple(int(x) if x.isdigit() else x for x in re.split(r"[-:]", ref))


def level_lookup(bd: Board) -> dict[str, Level]:
    """``{matter key: level}`` (e.g. ``indicator:12`` → 黄色预警) for a column in 汇总 or the print tables."""
    return {m.key: m.level for m in bd.matters}


# ================================================================================================
# Summary for the notice (wired by the coordinator)
# ================================================================================================


def summary_of(bd: Board) -> dict[str, Any]:
    """Counts by level, new red matters, matters closed this month, slips issued, replies, overdue."""
    counts = {
        lv.value: sum(1 for m in bd.matters if m.level is lv) for lv in LEVEL_ORDER if lv is not Level.NONE
    }
    new_red = [m for m in bd.matters if m.level is Level.RED and m.previous_level is not Level.RED]
    closed = [
        m for m in bd.matters if m.level is Level.NONE and m.previous_level in (Level.YELLOW, Level.RED)
    ]
    live = [s for s in bd.slips if s["state"] == ISSUED]
    return {
        "period": bd.period,
        "counts": counts,
        "new_red": [{"key": m.key, "name": m.name, "unit": m.unit, "reason": m.reason} for m in new_red],
        "closed": [
            {"key": m.key, "name": m.name, "unit": m.unit, "was": m.previous_level.value} for m in closed
        ],
        "slips": [{"number": s["number_text"], "unit": s["unit"], "level": s["level"]} for s in live],
        "overdue": [
            {"number": s["number_text"], "unit": s["unit"], "deadline": s["deadline"]}
            for s in bd.all_slips
            if s.get("reply_state") == OVERDUE
        ],  # as of attach_slips' day
    }


def ledger_board(
    st: Store, period: Period | str, *, adjustments: dict | None = None, today: dt.date | None = None
) -> Board:
    """The board written into the ledger's 督办 sheet at consolidation: levels plus recorded slips and replies."""
    return attach_slips(st, board(st, period, adjustments=adjustments), today=today)


def supervision_summary(st: Store, period: Period | str, *, today: dt.date | None = None) -> dict[str, Any]:
    """:func:`summary_of` the period's board with its recorded slips and replies (for the notice section)."""
    bd = board(st, period)
    attach_slips(st, bd, today=today)
    return summary_of(bd)


# ================================================================================================
# Slips (督办单)
# ================================================================================================

REPLIED, LATE_REPLY, OVERDUE, WAITING = "已反馈", "逾期反馈", "逾期未反馈", "待反馈"


def _today(today: dt.date | None) -> dt.date:
    return today or dt.date.today()


def slip_reply_state(
    slip: dict[str, Any], replies: list[dict[str, Any]], today: dt.date | None = None
) -> str:
    """已反馈 / 逾期反馈 / 逾期未反馈 / 待反馈 (— for a withdrawn slip)."""
    if slip["state"] != ISSUED:
        return "—"
    mine = [r for r in replies if (r["year"], r["number"]) == (slip["year"], slip["number"])]
    if mine:
        return LATE_REPLY if all(r["late"] for r in mine) else REPLIED
    deadline = dt.date.fromisoformat(slip["deadline"])
    return OVERDUE if _today(today) > deadline else WAITING


def attach_slips(st: Store, bd: Board, *, today: dt.date | None = None) -> Board:
    """Put the store's slips and replies on the board (the period's, and all of them)."""
    bd.all_slips = st.slips()
    bd.slips = [s for s in bd.all_slips if s["period"] == bd.period]
    bd.replies = st.replies()
    for s in bd.all_slips:
        s["reply_state"] = slip_reply_state(s, bd.replies, today)
    return bd


def _clip(text: str, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: max(limit - 1, 1)] + "…"


def _contact(rules: SupervisionRules) -> str:
    try:
        g = load_plan().group(rules.contact_group)
    except KeyError:
        return ""
    names = g.liaison.split("；")
    titles = g.liaison_title.split("；")
    who = "、".join(
        f"{n}（{t}）" if t else n for n, t in zip(names, titles + [""] * len(names), strict=False) if n
    )
    return who + (f"，电话：{rules.contact_phone}" if rules.contact_phone else "")


def issue_slips(
    st: Store,
    bd: Board,
    *,
    issued_on: dt.date | None = None,
    rules: SupervisionRules | None = None,
    now: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """Record the period's slips in the store (one per unit with matters at a slip level); return them.

    A unit with more matters than ``matters_per_slip`` gets several slips (parts), each one page.
    Issuing again keeps numbers and the first issue date (unless ``issued_on`` is given), refreshes
    the matters, and withdraws a slip whose unit (or part) no longer has any.
    """

    rules = rules or load_supervision_rules()
    now = now or dt.datetime.now()
    stamp = now.replace(microsecond=0).isoformat()
    existing = {(s["unit"], s.get("part", 1)): s for s in st.slips(period=bd.period)}
    by_unit: dict[str, list[MatterLevel]] = {}
    for m in bd.matters:
        if m.level in rules.slip_levels:
            by_unit.setdefault(m.unit or "（未写明责任单位）", []).append(m)
    out = []
    for unit in sorted(by_unit, key=lambda u: (-max(m.level.rank for m in by_unit[u]), u)):
        matters = sorted(by_unit[unit], key=lambda m: (-m.level.rank, _natural(m.key.split(":", 1)[1])))
        for part, chunk in enumerate(_pack(matters, rules), start=1):
            old = existing.pop((unit, part), None)
            day = issued_on or (dt.date.fromisoformat(old["issued_on"]) if old else now.date())
            day = next_working_day(day)
            year, number = (old["year"], old["number"]) if old else (day.year, st.next_slip_number(day.year))
            slip = {
                "year": year,
                "number": number,
                "number_text": rules.slip_number(year, number),
                "period": bd.period,
                "period_label": bd.label,
                "unit": unit,
                "part": part,
                "level": _max(*(m.level for m in chunk)).value,
                "issued_on": day.isoformat(),
                "deadline": add_working_days(day, rules.reply_working_days).isoformat(),
                "state": ISSUED,
                "updated_at": stamp,
                "matters": [
                    {
                        "key": m.key,
                        "name": m.name,
                        "level": m.level.value,
                        "reason": m.reason,
                        "behind": m.behind,
                        "since": m.since,
                        "behind_since": m.behind_since,
                        "explanation": m.explanation,
                        "group": m.group,
                    }
                    for m in chunk
                ],
            }
            if old and _same(old, slip):
                slip = old
            else:
                st.save_slip(slip)
            out.append(slip)
    for old in existing.values():  # units (or parts) no longer at a slip level this month
        if old["state"] != WITHDRAWN:
            st.save_slip({**old, "state": WITHDRAWN, "updated_at": stamp})
    return out


def _width(text: str) -> float:
    return sum(0.6 if ord(ch) < 128 else 1.0 for ch in text)


def row_lines(m: MatterLevel | dict[str, Any], rules: SupervisionRules) -> int:
    """Estimated lines of a matter's row in the slip's table (the tallest of its cells)."""
    from math import ceil

    get: Callable[[str], Any] = m.get if isinstance(m, dict) else lambda k: getattr(m, k)
    widths = {name: width for name, width, _, _ in SLIP_COLUMNS}
    texts = {
        "督办事项": get("name"),
        "滞后情况": situation_text(get("reason"), get("behind")),
        "单位说明": _clip(get("explanation"), rules.explanation_chars) or "（未说明）",
    }
    return max(ceil(_width(t) / chars_per_line(widths[k])) for k, t in texts.items())


def _pack(matters: list[MatterLevel], rules: SupervisionRules) -> list[list[MatterLevel]]:
    """Split a unit's matters into slips of at most ``matters_per_slip`` whose rows fit one page."""

    chunks: list[list[MatterLevel]] = []
    lines = 0
    for m in matters:
        need = row_lines(m, rules)
        if not chunks or len(chunks[-1]) >= rules.matters_per_slip or lines + need > TABLE_LINES:
            chunks.append([])
            lines = 0
        chunks[-1].append(m)
        lines += need
    return chunks


def situation_text(reason: str, behind: str) -> str:
    """The 滞后情况 cell: the reason, then how far behind."""
    return reason + (f"。{behind}" if behind else "")


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    skip = {"updated_at", "reply_state"}
    return {k: v for k, v in a.items() if k not in skip} == {k: v for k, v in b.items() if k not in skip}


# ================================================================================================
# Replies (整改反馈)
# ================================================================================================

_NUMBER_IN_NAME = re.compile(r"督\s*[〔\[［(（]?\s*(\d{4})\s*[〕\]］)）]?\s*[-—_]?\s*(\d{1,4})\s*号?")
REPLY_SUFFIXES = frozenset(
    {".docx", ".doc", ".pdf", ".wps", ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".ofd", ".xlsx", ".txt"}
)


@dataclass
class ReplyOutcome:
    file_name: str
    status: str  # recorded / duplicate / unmatched / unknown-slip
    slip: str | None = None
    late: bool = False
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def slip_number_in(name: str) -> tuple[int, int] | None:
    """(year, number) from a reply file's name: ``…督〔2024〕12号…`` or ``…督2024-12…``."""
    match = _NUMBER_IN_NAME.search(name)
    return (int(match.group(1)), int(match.group(2))) if match else None


def record_replies(st: Store, folder: Path, *, now: dt.datetime | None = None) -> list[ReplyOutcome]:
    """Record every reply file in ``folder`` against its slip (the number in its name)."""

    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"反馈文件夹“{folder}”不存在。")
    now = now or dt.datetime.now()
    slips = {(s["year"], s["number"]): s for s in st.slips()}
    out = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        if is_ignorable_name(path.name) or path.suffix.lower() not in REPLY_SUFFIXES:
            continue
        found = slip_number_in(path.stem)
        if found is None:
            out.append(
                ReplyOutcome(
                    path.name,
                    "unmatched",
                    message="文件名中没有督办单编号（如“瑞七优享督〔2024〕12号”），未登记",
                )
            )
            continue
        slip = slips.get(found)
        if slip is None or slip["state"] != ISSUED:
            out.append(
                ReplyOutcome(
                    path.name,
                    "unknown-slip",
                    message=f"没有编号为〔{found[0]}〕{found[1]}号的有效督办单，未登记",
                )
            )
            continue
        try:
            data = path.read_bytes()
            received = mtime_text(path)
        except OSError as exc:
            out.append(ReplyOutcome(path.name, "unreadable", message=f"无法读取：{exc.strerror or exc}"))
            continue
        late = dt.datetime.fromisoformat(received).date() > dt.date.fromisoformat(slip["deadline"])
        reply = {
            "sha256": hashlib.sha256(data).hexdigest(),
            "year": found[0],
            "number": found[1],
            "number_text": slip["number_text"],
            "unit": slip["unit"],
            "file_name": path.name,
            "ext": path.suffix.lower().lstrip("."),
            "received_at": received,
            "late": late,
            "recorded_at": now.replace(microsecond=0).isoformat(),
        }
        new = st.save_reply(reply, data, reply["ext"])
        out.append(
            ReplyOutcome(
                path.name,
                "recorded" if new else "duplicate",
                slip["number_text"],
                late,
                ("已登记" if new else "此前已登记") + ("（逾期反馈）" if late else ""),
            )
        )
    return out


# ================================================================================================
# Writing: slips (.docx) and the list (督办 sheet / 督办清单.xlsx)
# ================================================================================================


def _date_text(day: str | dt.date) -> str:
    d = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return f"{d.year}年{d.month}月{d.day}日"


def slip_context(slip: dict[str, Any], rules: SupervisionRules | None = None) -> dict[str, Any]:
    """What the slip template's tags read (see ``slip_template.py``)."""
    rules = rules or load_supervision_rules()
    counts: dict[str, int] = {}
    for m in slip["matters"]:
        counts[m["level"]] = counts.get(m["level"], 0) + 1
    levels = "、".join(
        f"{lv.value}{counts[lv.value]}项" for lv in reversed(LEVEL_ORDER) if lv.value in counts
    )
    matters = []
    for i, m in enumerate(slip["matters"], start=1):
        situation = situation_text(m["reason"], m["behind"])
        silent = "未填报" in m["reason"] and not m["behind"]
        matters.append(
            {
                "index": i,
                "name": m["name"],
                "level": m["level"],
                "situation": situation,
                "explanation": _clip(m["explanation"], rules.explanation_chars)
                or ("（本月未填报）" if silent else "（未说明）"),
            }
        )
    return {
        "title": "公共服务“七优享”工程督办单",
        "number": slip["number_text"],
        "unit": slip["unit"],
        "intro": (
            f"根据{slip['period_label']}工作进展汇总，你单位以下{len(matters)}项工作"
            f"{'滞后或未按时填报' if any(x['explanation'] == '（本月未填报）' for x in matters) else '滞后'}"
            f"（{levels}），现予督办。"
        ),
        "matters": matters,
        "requirement": rules.requirement,
        "deadline": f"{_date_text(slip['deadline'])}前（{rules.reply_working_days}个工作日内）",
        "contact": _contact(rules),
        "issuer": rules.issuer,
        "date": _date_text(slip["issued_on"]),
    }


def _templates_dir() -> Path:
    here = Path(__file__).resolve().parent
    for folder in (here.parent / "templates", here / "templates"):
        if (folder / "supervision_slip.docx").is_file():
            return folder
    return here.parent / "templates"


SLIP_TEMPLATE = _templates_dir() / "supervision_slip.docx"


def render_slip(
    slip: dict[str, Any], out: Path, *, template: Path | None = None, rules: SupervisionRules | None = None
) -> Path:
    """Write one slip (.docx) from the template the office may restyle; return ``out``."""
    import io

    import jinja2
    from docxtpl import DocxTemplate

    source: Any
    if template is not None:
        if not Path(template).is_file():
            raise TemplateError(f"找不到督办单模板：{template}")
        source, where = Path(template), f"督办单模板 {Path(template).name} "
    elif SLIP_TEMPLATE.is_file():
        source, where = SLIP_TEMPLATE, f"督办单模板 {SLIP_TEMPLATE.name} "
    else:
        source, where = io.BytesIO(build_slip_template()), "内置督办单模板 "
    try:
        tpl = DocxTemplate(source)
        tpl.init_docx()
    except Exception as exc:
        raise TemplateError(f"{where}不是有效的 Word（.docx）文件：{exc}") from exc
    try:
        tpl.render(
            slip_context(slip, rules),
            jinja_env=jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=True),
            autoescape=True,
        )
    except jinja2.TemplateError as exc:
        raise TemplateError(f"{where}有错误：{exc}") from exc
    tpl.docx.core_properties.title = f"{slip['number_text']} {slip['unit']}"

    def write(tmp: Path) -> None:
        tpl.save(str(tmp))

    return atomic_write(Path(out), write)


def slip_to_pdf(docx: Path, outdir: Path | None = None) -> Path:
    """A slip's PDF (``outdir/<name>.pdf``) through the notice's layout-preserving path
    (:func:`qyx_excel.notice.notice_to_pdf`): LibreOffice opening the .docx directly reads the
    Word character grid differently (14–17 characters a line, the slip on two pages).  Raises
    :class:`~qyx_excel.office.OfficeNotFound` without LibreOffice."""
    # lazy: cycle, notice imports supervision at the top (and this is the allowed upward crossing)
    from .notice import notice_to_pdf

    return notice_to_pdf(Path(docx), outdir)


def slip_file_name(slip: dict[str, Any]) -> str:
    unit = re.sub(r'[\\/:*?"<>|]', "_", slip["unit"])
    return f"{slip['number_text']}_{unit}.docx"


#: 督办 sheet: the matters table (layout.SUPERVISION_COLUMNS), then the slips table (layout.SUPERVISION_SLIP_HEADERS).
SLIPS_TITLE = "督办单及整改反馈"


def matter_rows(bd: Board) -> list[list[Any]]:
    """One row per matter with a level this month, on record, or just closed (columns :data:`SUPERVISION_COLUMNS`)."""
    slip_of: dict[str, dict[str, Any]] = {}
    for s in bd.slips:
        if s["state"] == ISSUED:
            for m in s["matters"]:
                slip_of[m["key"]] = s
    rows = []
    shown = [
        m for m in bd.matters if m.level is not Level.NONE or m.standing is not Level.NONE or m.caught_up
    ]
    for i, m in enumerate(shown, start=1):
        slip = slip_of.get(m.key)
        rows.append(
            [
                i,
                m.name,
                m.unit,
                m.group,
                m.level.value,
                m.standing.value if m.standing is not m.level else "",
                m.status,
                _label(m.since) if m.level is not Level.NONE else "",
                m.reason,
                slip["number_text"] if slip else "",
                _date_text(slip["deadline"]) if slip else "",
                slip.get("reply_state", "") if slip else "",
            ]
        )
    return rows


def slip_rows(bd: Board) -> list[list[Any]]:
    """The period's slips and every earlier slip still waiting for its reply (columns :data:`SUPERVISION_SLIP_HEADERS`)."""
    shown = [
        s
        for s in bd.all_slips
        if s["period"] == bd.period or (s["state"] == ISSUED and s.get("reply_state") in (OVERDUE, WAITING))
    ]
    rows = []
    for i, s in enumerate(shown, start=1):
        files = "、".join(
            r["file_name"] for r in bd.replies if (r["year"], r["number"]) == (s["year"], s["number"])
        )
        rows.append(
            [
                i,
                s["number_text"],
                _label(s["period"]),
                s["unit"],
                s["level"],
                len(s["matters"]),
                _date_text(s["issued_on"]),
                _date_text(s["deadline"]),
                s.get("reply_state", ""),
                files,
                SLIP_STATE_WORDS.get(s["state"], s["state"]),
            ]
        )
    return rows


def sheet_note(bd: Board) -> str:
    c = summary_of(bd)["counts"]
    counts = "、".join(f"{k} {v} 项" for k, v in c.items())
    return f"{bd.label}督办情况：{counts}（按历史各月状态自动判定，规则见表下）。"


#: Fill of each word the 督办 sheet may hold (the word itself is always written).
SHEET_FILLS: dict[str, str] = {
    **{lv.value: fill for lv, fill in LEVEL_FILLS.items() if lv is not Level.NONE},
    OVERDUE: FILL_RED,
    LATE_REPLY: FILL_YELLOW,
    REPLIED: FILL_GREEN,
}


def write_sheet(wb: Any, bd: Board) -> None:
    """Fill (or create) the 督办 sheet of an open openpyxl workbook; nothing is saved here."""

    styles = _Styles()
    if SHEET_SUPERVISION not in wb.sheetnames:  # after the other result sheets, before hidden ones
        after = [
            i
            for i, n in enumerate(wb.sheetnames)
            if n in (SHEET_SUMMARY, SHEET_RANKING, SHEET_FINDINGS, SHEET_TABLES)
        ]
        wb.create_sheet(SHEET_SUPERVISION, max(after) + 1 if after else None)
    ws = wb[SHEET_SUPERVISION]
    _clear(ws, 1)
    from openpyxl.styles import Alignment

    one_line = Alignment(wrap_text=False, vertical="center", horizontal="left")
    _put(ws.cell(1, 1), f"{bd.label}督办台账")
    styles.apply(ws.cell(1, 1), font=styles.section, alignment=one_line)
    _put(ws.cell(2, 1), sheet_note(bd))
    styles.apply(ws.cell(2, 1), font=styles.font, alignment=one_line)
    widths = [w for _, w in SUPERVISION_COLUMNS]
    _header_row(ws, 3, [n for n, _ in SUPERVISION_COLUMNS], styles, widths=widths)
    row = 4
    for values in matter_rows(bd):
        _data_row(
            ws,
            row,
            values,
            styles,
            centered={1, 4, 5, 6, 7, 8, 11, 12},
            numbers=set(),
            widths=widths,
            fills={
                5: SHEET_FILLS.get(values[4]),
                6: SHEET_FILLS.get(values[5]),
                12: SHEET_FILLS.get(values[11]),
            },
            bold={5} if values[4] == Level.RED.value else set(),
        )
        row += 1
    if row == 4:
        _put(ws.cell(row, 1), "本月没有预警事项。")
        row += 1
    row += 1
    _put(ws.cell(row, 1), SLIPS_TITLE)
    styles.apply(ws.cell(row, 1), font=styles.section, alignment=one_line)
    row += 1
    _header_row(ws, row, list(SUPERVISION_SLIP_HEADERS), styles)
    row += 1
    for values in slip_rows(bd):
        _data_row(
            ws,
            row,
            values,
            styles,
            centered={1, 3, 5, 6, 7, 8, 9, 11},
            numbers=set(),
            widths=widths,
            fills={5: SHEET_FILLS.get(values[4]), 9: SHEET_FILLS.get(values[8])},
        )
        row += 1
    row += 1
    _put(ws.cell(row, 1), rule_text())
    styles.apply(ws.cell(row, 1), font=styles.font, alignment=styles.wrap)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(SUPERVISION_COLUMNS))
    ws.row_dimensions[row].height = 60
    ws.freeze_panes = "A4"
    ws.print_title_rows = "3:3"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    _print_area(ws, row, len(SUPERVISION_COLUMNS))


def sheet_blocks(bd: Board) -> list[tuple[str, list[list[Any]]]]:
    """The 督办 sheet's values as ``[(top-left A1, rows), …]`` for writers other than openpyxl (the
    xlwings buttons: clear the sheet first). Colours: :data:`SHEET_FILLS`."""
    matters = matter_rows(bd) or [["本月没有预警事项。"]]
    slips = slip_rows(bd)
    slips_at = 4 + len(matters) + 1
    return [
        ("A1", [[f"{bd.label}督办台账"], [sheet_note(bd)], [n for n, _ in SUPERVISION_COLUMNS], *matters]),
        (f"A{slips_at}", [[SLIPS_TITLE], list(SUPERVISION_SLIP_HEADERS), *slips]),
        (f"A{slips_at + len(slips) + 3}", [[rule_text()]]),
    ]


def summary_level_words(bd: Board, ids: Iterable[str]) -> list[str]:
    """The 预警等级 word of each 汇总 row (indicator id), '' for none: 蓝色提醒 / 黄色预警 / 红色督办."""
    levels = {m.ref: m.level for m in bd.matters if m.kind == "indicator"}
    return ["" if levels.get(str(i), Level.NONE) is Level.NONE else levels[str(i)].value for i in ids]


def summary_level_block(bd: Board, ids: Iterable[str]) -> tuple[str, list[list[Any]]]:
    """The 预警等级 column of 汇总 as a block ``(top-left A1, rows)`` for the buttons' writer: the
    same column, header and words :func:`write_summary_levels` writes with openpyxl."""

    top_left = a1_base1(SUMMARY_HEADER_ROW, len(SUMMARY_COLUMNS) + 1)
    return top_left, [[SUMMARY_LEVEL_HEADER], *[[w] for w in summary_level_words(bd, ids)]]


SUMMARY_LEVEL_HEADER = "预警等级"


def indicator_levels(store_dir: Path | None, period: Period | str) -> dict[str, str] | None:
    """``{indicator id: level word}`` (levels above 无 only) for the print tables' 预警等级 column, from
    the store in ``store_dir``; None when there is no store yet."""

    if store_dir is None or not (Path(store_dir) / DB_NAME).is_file():
        return None
    with Store(Path(store_dir)) as st:
        bd = board(st, period)
    return board_levels(bd)


def board_levels(bd: Board) -> dict[str, str]:
    """``{indicator id: level word}`` of the board's indicators above 无 (the 进度表's 预警等级 column)."""
    return {m.ref: m.level.value for m in bd.matters if m.kind == "indicator" and m.level is not Level.NONE}


def write_summary_levels(ws: Any, bd: Board) -> None:
    """Add a 预警等级 column to 汇总 (after its last column), one level per indicator row (the word
    written, 蓝/黄/红 legible in black and white; 无 left blank). Call after the 汇总 rows are written."""

    styles = _Styles()
    col = len(SUMMARY_COLUMNS) + 1
    levels = {m.ref: m.level for m in bd.matters if m.kind == "indicator"}
    head = ws.cell(SUMMARY_HEADER_ROW, col)
    _put(head, SUMMARY_LEVEL_HEADER)
    styles.apply(
        head, font=styles.bold, alignment=styles.center, border=styles.border, fill=styles.header_fill
    )
    ws.column_dimensions[col_letter(col)].width = 10.0
    row = SUMMARY_HEADER_ROW + 1
    while ws.cell(row, 1).value not in (None, ""):
        level = levels.get(str(ws.cell(row, 1).value), Level.NONE)
        word = "" if level is Level.NONE else level.value
        cell = ws.cell(row, col)
        _put(cell, word)
        styles.apply(
            cell,
            font=styles.bold if level is Level.RED else styles.font,
            alignment=styles.center,
            border=styles.border,
            fill=styles.fill(SHEET_FILLS.get(word)),
        )
        row += 1
    ws.print_area = f"A1:{col_letter(col)}{max(row - 1, SUMMARY_HEADER_ROW)}"


def write_list(bd: Board, out: Path) -> Path:
    """The 督办 sheet as a workbook of its own (督办清单)."""
    from openpyxl import Workbook

    def write(tmp: Path) -> None:
        wb = Workbook()
        wb.remove(wb.active)
        write_sheet(wb, bd)
        wb.save(tmp)

    return atomic_write(Path(out), write)


def write_ledger_sheet(ledger: Path, bd: Board) -> Path:
    """Write the 督办 sheet into the ledger (atomically, macros kept, the previous copy in 备份/)."""

    def write(tmp: Path) -> None:
        wb = _load(Path(ledger))
        write_sheet(wb, bd)
        wb.save(tmp)

    return atomic_write(Path(ledger), write, backup=True)


@dataclass
class SupervisionResult:
    board: Board
    slips: list[dict[str, Any]]
    written: list[Path] = field(default_factory=list)
    replies: list[ReplyOutcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. a deadline in a year the calendar does not know

    def summary_text(self) -> str:
        bd = self.board
        s = summary_of(bd)
        counts = "、".join(f"{k} {v} 项" for k, v in s["counts"].items())
        lines = [f"{bd.label}督办：{counts}。"]
        if bd.reassembled:
            lines.append("按后来收到的报送重新计算了：" + "、".join(_label(m) for m in bd.reassembled) + "。")
        if s["new_red"]:
            lines.append(
                "新增红色督办：" + "；".join(f"{m['name']}（{m['unit']}）" for m in s["new_red"]) + "。"
            )
        if s["closed"]:
            lines.append(
                "本月赶上、不再预警：" + "；".join(f"{m['name']}（{m['unit']}）" for m in s["closed"]) + "。"
            )
        lines.append(
            f"督办单 {len(self.slips)} 张"
            + (
                "：" + "、".join(f"{x['number_text']}（{x['unit']}）" for x in self.slips)
                if self.slips
                else ""
            )
            + "。"
        )
        for r in self.replies:
            lines.append(f"反馈文件“{r.file_name}”：{r.message}")
        if s["overdue"]:
            lines.append(
                "逾期未反馈：" + "、".join(f"{o['number']}（{o['unit']}）" for o in s["overdue"]) + "。"
            )
        lines += [f"注意：{w}" for w in self.warnings]
        if self.written:
            lines.append("已写出：" + "、".join(str(p) for p in self.written))
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            **self.board.to_json(),
            "issued": self.slips,
            "replies": [r.to_json() for r in self.replies],
            "warnings": self.warnings,
            "written": [str(p) for p in self.written],
        }


def supervise(
    st: Store,
    period: Period | str,
    *,
    out_dir: Path | None = None,
    ledger: Path | None = None,
    replies: Path | None = None,
    issued_on: dt.date | None = None,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    adjustments: dict | None = None,
    template: Path | None = None,
    pdf: bool = False,
) -> SupervisionResult:
    """The month's 督办 in one call: replies recorded, levels computed, slips issued and written, the list.

    ``out_dir`` receives one .docx per slip (and its PDF with ``pdf``, :func:`slip_to_pdf`) and
    ``督办清单_<period>.xlsx``; ``ledger`` (optional) gets its 督办 sheet rewritten.
    """
    period = as_period(period)
    if period.kind != "month":
        raise UsageError("督办单按月发出，请用 YYYY-MM 形式的填报期。")
    if pdf and out_dir is not None:  # before anything is issued: without LibreOffice, say so, change nothing
        require_soffice()
    rules = load_supervision_rules()
    bd = board(st, period, adjustments=adjustments, rules=rules)
    if period.code not in bd.months:
        raise UsageError(
            f"{period.label}尚未汇总，也没有收到报送，请先运行 qyx consolidate --period {period.code}。"
        )
    outcomes = record_replies(st, replies, now=now) if replies is not None and Path(replies).is_dir() else []
    slips = issue_slips(st, bd, issued_on=issued_on, rules=rules, now=now)
    attach_slips(st, bd, today=today or (now.date() if now else None))
    result = SupervisionResult(board=bd, slips=slips, replies=outcomes)

    for slip in slips:
        for day in (slip["issued_on"], slip["deadline"]):
            warning = coverage_warning(dt.date.fromisoformat(day))
            if warning and warning not in result.warnings:
                result.warnings.append(warning)
    if out_dir is not None:
        for slip in slips:
            docx = render_slip(slip, Path(out_dir) / slip_file_name(slip), template=template, rules=rules)
            result.written.append(docx)
            if pdf:
                result.written.append(slip_to_pdf(docx))
        result.written.append(write_list(bd, Path(out_dir) / f"督办清单_{period.code}.xlsx"))
    if ledger is not None:
        result.written.append(write_ledger_sheet(ledger, bd))
    return result
