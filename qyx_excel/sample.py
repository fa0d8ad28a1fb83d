"""A deterministic sample month: fill-in files filled in as a person would, and cheap prior history.

:func:`make_sample_month` takes the month's fill-in files from ``distribute`` and fills them with
openpyxl: values near the time-elapsed path to this year's target, a few indicators lagging with a
note and one lagging without, a few key tasks 滞后 with their problems, major projects with their
investment (one behind, one not started though due), applications with their states. One group
is late (no file); one file has errors (a percentage of 120, text in a number cell) so it is
refused. Files get fixed modification times (their received time), so everything downstream —
received order, lateness, the consolidation — comes out the same on every run.

:func:`make_history` records the months before (January … the month before) straight into the
history store from :class:`Submission` objects, so the change from last period and the rank
change have something to compare with, at a fraction of the cost of writing files.

Everything is seeded: the same ``seed`` gives the same numbers.
"""

from __future__ import annotations

import copy
import math
import os
import random
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from . import intake
from .consolidate import consolidate_submissions
from .distribute import distribute
from .errors import UsageError
from .glossary import APPLICATION_GROUP, DOMAINS, GROUPS, PROJECT_GROUP, Direction, Kind
from .periods import Period, as_period
from .plan import Indicator, Plan, load_plan
from .store import Store
from .submission import ProjectEntry, Submission
from .targets import expected_value, target_for, year_start
from .values import parse_value

DEFAULT_SEED = 20240
DEFAULT_LATE = ("弱有众扶",)
DEFAULT_BROKEN = ("住有宜居",)

#: Sample major projects: name, unit, domain, total, planned this year, start, finish, pace, state.
SAMPLE_PROJECTS: tuple[tuple[str, str, str, float, float, str, str, float, str], ...] = (
    ("城东片区公办中小学新建工程", "市教育局", "学有优教", 42000, 9600, "2023-03", "2025-08", 1.08, "在建"),
    (
        "市妇幼保健院综合楼改扩建工程",
        "市卫生健康局",
        "幼有善育",
        26000,
        7200,
        "2023-06",
        "2025-12",
        1.02,
        "在建",
    ),
    ("城南未来社区建设项目", "市住建局", "住有宜居", 58000, 12000, "2023-09", "2026-06", 0.62, "在建"),
    (
        "市级公办养老机构（颐养中心）建设工程",
        "市民政局",
        "老有康养",
        31000,
        8000,
        "{early}",
        "2026-12",
        0.0,
        "未开工",
    ),
    ("安居苑保障性租赁住房项目", "市住建局", "住有宜居", 18500, 5200, "2022-10", "2024-06", 1.0, "在建"),
    ("残疾人之家提档升级工程", "市残联", "弱有众扶", 1600, 600, "2023-02", "2023-12", 1.0, "已竣工"),
    (
        "县域医共体急救站点建设项目",
        "市卫生健康局",
        "病有良医",
        4800,
        1500,
        "{late}",
        "2025-10",
        0.0,
        "未开工",
    ),
)
_APP_STATES = ("已上线运行", "已贯通", "对接中", "对接中", "已贯通", "未启动", "已上线运行", "对接中")
_SOURCES = ("部门统计报表", "业务系统导出", "行业统计年报", "省平台数据")


@dataclass
class GroupFill:
    """What a liaison types into one group's sheet for one month."""

    header: dict[str, Any] = field(default_factory=dict)
    indicators: dict[str, tuple[Any, str, str]] = field(default_factory=dict)  # id -> (value, source, note)
    tasks: dict[str, tuple[str, str, str, str]] = field(
        default_factory=dict
    )  # id -> progress, state, problems, next
    projects: list[dict[str, Any]] = field(default_factory=list)  # header -> value
    applications: dict[int, tuple[str, str, str]] = field(
        default_factory=dict
    )  # number -> state, progress, problems


# ================================================================================================
# Public API
# ================================================================================================


def make_sample_month(
    period: Period | str,
    out_dir: Path,
    *,
    late_groups: Iterable[str] = DEFAULT_LATE,
    broken_groups: Iterable[str] = DEFAULT_BROKEN,
    seed: int = DEFAULT_SEED,
    ledger: Path | None = None,
    plan: Plan | None = None,
) -> list[Path]:
    """Write the month's filled-in files into ``out_dir`` (``P_组名.xlsx``); return their paths.

    ``late_groups`` send nothing; ``broken_groups`` send a file with errors. ``ledger`` passes the
    office's target adjustments on to ``distribute``.
    """

    period = _month(period)
    plan = plan or load_plan()
    late = set(late_groups)
    broken = set(broken_groups)
    groups = tuple(g for g in GROUPS if g not in late)
    paths = distribute(period, Path(out_dir), plan=plan, ledger=ledger, groups=groups)
    quiet = next((g for g in groups if g in DOMAINS and g not in broken), None)
    for i, path in enumerate(paths):
        group = groups[i]
        fill = group_fill(group, period, seed=seed, broken=group in broken, silent=group == quiet, plan=plan)
        fill_file(path, group, fill)
        stamp = received_time(period, i).timestamp()
        os.utime(path, (stamp, stamp))
    return paths


def make_history(
    period: Period | str,
    store: Path,
    *,
    seed: int = DEFAULT_SEED,
    months: Iterable[Period | str] | None = None,
    groups: Iterable[str] = GROUPS,
    plan: Plan | None = None,
) -> list[str]:
    """Record and consolidate the months before ``period`` (default: January … the month before).

    Submissions are built in code from the fill-in template of the year and filled as
    :func:`make_sample_month` would (every group reports on time, no errors). Returns the periods
    consolidated.
    """

    period = _month(period)
    plan = plan or load_plan()
    chosen = (
        [_month(m) for m in months]
        if months is not None
        else [Period(period.year, m, "month") for m in range(1, period.end_month)]
    )
    templates: dict[int, dict[str, Submission]] = {}
    done: list[str] = []
    with Store(store) as st:
        for month in chosen:
            if month.year not in templates:
                templates[month.year] = _templates(month, plan)
            subs = []
            for group in groups:
                sub = copy.deepcopy(templates[month.year][group])
                sub.period = month.code
                sub.source = f"{month.code}_{group}.xlsx"
                fill_submission(sub, group_fill(group, month, seed=seed, plan=plan))
                subs.append(sub)
            when = received_time(month, 0)
            consolidate_submissions(month, subs, store=st, received_at=when.isoformat(), now=when)
            done.append(month.code)
    return done


def received_time(period: Period, index: int) -> datetime:
    """When the ``index``-th group's file of ``period`` arrives: the first days of the next month."""
    year, month = (period.year + 1, 1) if period.end_month == 12 else (period.year, period.end_month + 1)
    return datetime(year, month, 1 + index // 3, 9 + (index % 3) * 3, 10 + index)


# ================================================================================================
# What a person types
# ================================================================================================


def group_fill(
    group: str,
    period: Period,
    *,
    seed: int = DEFAULT_SEED,
    broken: bool = False,
    silent: bool = False,
    plan: Plan | None = None,
) -> GroupFill:
    """The month's entries for ``group`` (deterministic in ``seed``, ``group`` and ``period``).

    ``broken`` puts errors in (a percentage of 120, text in a number cell); ``silent`` leaves one
    lagging indicator without its explanation.
    """
    plan = plan or load_plan()
    fill = GroupFill()
    lead = plan.group(group)
    filed = received_time(period, GROUPS.index(group)).date()
    fill.header = {
        "填报人": lead.liaison.split("；")[0],
        "联系电话": f"0577-658{GROUPS.index(group):02d}{seed % 1000:03d}",
        "填报日期": filed,
    }
    if group in DOMAINS:
        _indicator_fill(fill, group, period, seed, plan, broken, silent)
        _task_fill(fill, group, period, seed, plan)
    elif group == PROJECT_GROUP:
        fill.projects = _project_fill(period, seed)
    elif group == APPLICATION_GROUP:
        _application_fill(fill, period, seed, plan)
    if broken and group not in DOMAINS:
        if group == PROJECT_GROUP and fill.projects:
            fill.projects[0]["本年累计完成投资"] = "约三千万"
        elif group == APPLICATION_GROUP:
            first = min(fill.applications)
            fill.applications[first] = ("基本完成", *fill.applications[first][1:])
    return fill


def _rng(seed: int, *parts: object) -> random.Random:
    return random.Random("|".join(str(p) for p in (seed, *parts)))


def _indicator_fill(
    fill: GroupFill, group: str, period: Period, seed: int, plan: Plan, broken: bool, silent: bool
) -> None:
    indicators = plan.reported_indicators(group)
    # One indicator of the domain lags each month. A cumulative count or a flow, when it is the one,
    # lags all year (a running total never falls); otherwise a level, chosen month by month, so the
    # ranking moves.
    year_rng = _rng(seed, group, period.year)
    # only an indicator judged this month can be seen lagging (a yearly statistic is judged in
    # December, a step or milestone path is not linear)
    judged = [i for i in indicators if period.end_month in i.judged_months and i.path == "线性"] or indicators
    steady = [i.id for i in judged if i.kind is not Kind.LEVEL]
    levels = [i.id for i in judged if i.kind is Kind.LEVEL] or steady
    if steady and year_rng.random() < 0.4:
        lag = {year_rng.choice(steady)}
    else:
        lag = {_rng(seed, group, period.code).choice(levels)}
    silent_id = next(iter(lag)) if silent else None
    for ind in indicators:
        pace = _rng(seed, ind.id, period.year).uniform(1.0, 1.05)
        lagging = ind.id in lag
        if lagging:
            pace = _rng(seed, ind.id, period.year, "lag").uniform(0.55, 0.9)
        value = _value_for(ind, period, pace, plan)
        source = _SOURCES[_rng(seed, ind.id).randrange(len(_SOURCES))]
        note = ""
        if value is None:
            note = "本年度无统计口径，暂不填报"
        elif isinstance(value, str):
            note = "按计划推进，年底前完成"
        elif lagging and ind.id != silent_id:
            note = "受项目审批和资金拨付进度影响，进度慢于序时，下步将加快推进、按月调度"
        fill.indicators[ind.id] = (value, source, note)
    if broken:
        percents = [i for i in indicators if i.unit == "%"]
        numbers = [i for i in indicators if i.unit != "%"] or percents
        if percents:
            fill.indicators[percents[0].id] = (120, fill.indicators[percents[0].id][1], "")
        if numbers and numbers[-1].id != (percents[0].id if percents else None):
            fill.indicators[numbers[-1].id] = ("约" + "85", fill.indicators[numbers[-1].id][1], "")


def _value_for(ind: Indicator, period: Period, pace: float, plan: Plan) -> float | str | None:
    """A value on (pace ≈ 1) or behind (pace < 1) the path to this year's target."""
    target = target_for(ind, period.year)
    if target.form == "none":
        return None
    if not target.numeric or target.value is None:
        return "推进中"
    start = year_start(ind, period.year)
    expected = expected_value(ind, target, period, start)
    assert expected is not None
    if ind.kind is Kind.FLOW:
        value = expected * pace
    elif start is None:
        value = expected * pace if ind.direction is Direction.HIGHER else expected / pace
    else:
        # a step or milestone is reached, not overshot (a count rounded up would fall back next month)
        gained = (expected - start) * (min(pace, 1.0) if ind.path != "线性" else pace)
        value = start + gained
        if pace < 1 and abs(expected - start) < 1e-9:  # holding a line: fall a little short of it
            value = (
                expected * (1 - (1 - pace) / 10)
                if ind.direction is Direction.HIGHER
                else expected * (1 + (1 - pace) / 10)
            )
        elif pace >= 1 and ind.direction is Direction.LOWER:
            value = min(value, expected)
    if target.op in (">", "<") and pace >= 1 and abs(value - target.value) < 1e-9:
        value += 0.1 if target.op == ">" else -0.1
    if ind.unit == "%":
        value = min(value, 100.0)
    return _round_like(ind, value, pace < 1)


def _round_like(ind: Indicator, value: float, lagging: bool) -> float:
    texts = [ind.target_text(y) for y in range(2022, 2028)]
    whole = ind.unit in ("个", "家") and all("." not in t for t in texts)
    if whole:  # a count: whole units, rounded the same way all year so a running total never falls
        return float(math.floor(value + 1e-9) if lagging else math.ceil(value - 1e-9))
    return round(value, 2) if abs(value) < 1000 else round(value)


def _task_fill(fill: GroupFill, group: str, period: Period, seed: int, plan: Plan) -> None:
    tasks = plan.tasks_of(group)
    rng = _rng(seed, group, period.code, "tasks")
    lagging = {tasks[rng.randrange(len(tasks))].id} if group in DOMAINS[::2] else set()
    for i, task in enumerate(tasks):
        if task.id in lagging:
            state = "滞后"
            problems = "项目用地和要素保障尚未落实，推进慢于计划"
        elif i == 0 and period.end_month >= 10:
            state, problems = "已完成", ""
        else:
            state, problems = "序时推进", ""
        progress = f"{period.label}围绕“{task.title}”按年度清单推进，完成阶段性工作。"
        steps = "对照年度目标倒排时间节点，按月调度。"
        fill.tasks[task.id] = (progress, state, problems, steps)


def _project_fill(period: Period, seed: int) -> list[dict[str, Any]]:
    share = period.end_month / 12
    rows = []
    early = f"{period.year}-{max(1, period.end_month - 2):02d}"
    late = f"{period.year + (1 if period.end_month > 9 else 0)}-{(period.end_month + 2) % 12 + 1:02d}"
    for number, (name, unit, domain, total, planned, start, finish, pace, state) in enumerate(
        SAMPLE_PROJECTS, 1
    ):
        start = start.format(early=early, late=late)
        wobble = _rng(seed, name, period.code).uniform(0.98, 1.02)
        done = (
            0.0
            if state == "未开工"
            else planned
            if state == "已竣工"
            else round(planned * share * pace * wobble)
        )
        progress = {"未开工": "前期手续办理中", "已竣工": "已竣工验收"}.get(
            state, f"主体工程完成约 {min(99, round(share * pace * 100))}%"
        )
        rows.append(
            {
                "序号": number,
                "项目名称": name,
                "责任单位": unit,
                "所属领域": domain,
                "总投资": total,
                "本年计划投资": planned,
                "本年累计完成投资": done,
                "形象进度": progress,
                "计划开工": start,
                "计划竣工": finish,
                "状态": state,
                "存在问题": "施工进度慢于计划，正协调加快"
                if pace < 0.9 and state == "在建"
                else ("用地报批未完成" if state == "未开工" else ""),
            }
        )
    return rows


def _application_fill(fill: GroupFill, period: Period, seed: int, plan: Plan) -> None:
    for app in plan.applications:
        state = _APP_STATES[(app.number + period.end_month // 4) % len(_APP_STATES)]
        progress = {
            "已上线运行": "已上线运行，数据按日回流",
            "已贯通": "已与上级系统贯通",
            "对接中": "接口联调中",
            "未启动": "需求梳理中",
        }[state]
        problems = "上级接口规范未下发" if state == "未启动" else ""
        fill.applications[app.number] = (state, progress, problems)


# ================================================================================================
# Typing it in
# ================================================================================================


def fill_file(path: Path, group: str, fill: GroupFill) -> None:
    """Type ``fill`` into the fill-in file at ``path`` with openpyxl (cells found as intake finds them)."""
    from openpyxl import load_workbook

    sub = intake.read_file(path)[0]
    wb = load_workbook(path)
    type_into(wb[group], sub, fill)
    wb.save(path)


def type_into(ws: Any, sub: Submission, fill: GroupFill) -> None:
    """Type ``fill`` into an open openpyxl worksheet whose cells ``sub`` (intake's reading of it) locates."""
    for label, value in fill.header.items():
        cell = sub.header_cells.get(label)
        if cell:
            ws[cell].value = value
            if isinstance(value, date):
                ws[cell].number_format = "yyyy-mm-dd"
    for ind_id, (value, source, note) in fill.indicators.items():
        entry = sub.indicators.get(ind_id)
        if entry is None:
            continue
        ws[entry.value_cell].value = value
        if entry.cells.get("数据来源"):
            ws[entry.cells["数据来源"]].value = source or None
        if entry.note_cell:
            ws[entry.note_cell].value = note or None
    for task_id, (progress, state, problems, steps) in fill.tasks.items():
        task_entry = sub.tasks.get(task_id)
        if task_entry is None:
            continue
        for header, value in (
            ("本期进展", progress),
            ("完成情况", state),
            ("存在问题", problems),
            ("下步计划", steps),
        ):
            if task_entry.cells.get(header):
                ws[task_entry.cells[header]].value = value or None
    for app in sub.applications:
        if app.number in fill.applications:
            state, progress, problems = fill.applications[app.number]
            for header, value in (("贯通状态", state), ("本期进展", progress), ("存在问题", problems)):
                if app.cells.get(header):
                    ws[app.cells[header]].value = value or None
    if fill.projects:
        _fill_projects(ws, fill.projects)


def _fill_projects(ws: Any, projects: list[dict[str, Any]]) -> None:
    header_row, columns = None, {}
    for row in ws.iter_rows(min_row=1, max_row=min(ws.max_row, 30)):
        texts = {str(c.value).strip(): c.column for c in row if c.value is not None}
        if "序号" in texts and "项目名称" in texts:
            header_row, columns = row[0].row, texts
            break
    if header_row is None:
        return
    for offset, project in enumerate(projects, start=1):
        for header, value in project.items():
            if header in columns and header != "序号":
                ws.cell(header_row + offset, columns[header]).value = value


def fill_submission(sub: Submission, fill: GroupFill) -> Submission:
    """Apply ``fill`` to a :class:`Submission` read from a blank template (no file involved)."""

    for label, value in fill.header.items():
        sub.header[label] = value.isoformat() if isinstance(value, date) else str(value)
    for ind_id, (value, source, note) in fill.indicators.items():
        entry = sub.indicators.get(ind_id)
        if entry is not None:
            entry.value, entry.data_source, entry.note = parse_value(value), source, note
    for task_id, (progress, state, problems, steps) in fill.tasks.items():
        task_entry = sub.tasks.get(task_id)
        if task_entry is not None:
            task_entry.progress, task_entry.state, task_entry.problems, task_entry.next_steps = (
                progress,
                state,
                problems,
                steps,
            )
    for app in sub.applications:
        if app.number in fill.applications:
            app.state, app.progress, app.problems = fill.applications[app.number]
    for i, p in enumerate(fill.projects, start=1):
        sub.projects.append(
            ProjectEntry(
                number=p["序号"],
                row=6 + i,
                name=p["项目名称"],
                unit=p["责任单位"],
                domain=p["所属领域"],
                total_investment=parse_value(p["总投资"]),
                planned_this_year=parse_value(p["本年计划投资"]),
                completed_this_year=parse_value(p["本年累计完成投资"]),
                image_progress=p["形象进度"],
                planned_start=p["计划开工"],
                planned_finish=p["计划竣工"],
                state=p["状态"],
                problems=p["存在问题"],
            )
        )
    return sub


def _templates(period: Period, plan: Plan) -> dict[str, Submission]:
    """Blank submissions of every group for ``period``'s year, read from freshly distributed files."""

    with tempfile.TemporaryDirectory(prefix="qyx-sample-") as tmp:
        paths = distribute(period, Path(tmp), plan=plan)
        return {group: intake.read_file(path)[0] for group, path in zip(GROUPS, paths, strict=True)}


def _month(period: Period | str) -> Period:
    period = as_period(period)
    if period.kind != "month":
        raise UsageError(f"示例数据按月生成，“{period.code}”不是月份。")
    return period
