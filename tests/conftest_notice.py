"""A realistic consolidated period built from the real plan, for the notice and table tests.

Values are chosen per indicator so that every status occurs (met, on track, lagging, severely
lagging, not reported, not judged), one target is adjusted, one group's note is full of characters
that break naive XML (``R&D <Ops> "A"`` and a line break), and some groups did not report.
"""

from __future__ import annotations

import random

from qyx_excel.glossary import DOMAINS, GROUPS, STATUS_ORDER, Direction, Kind, Status, TaskState
from qyx_excel.model import (
    ApplicationRow,
    Consolidation,
    GroupStatus,
    IndicatorRow,
    ProjectRow,
    RankEntry,
    TaskRow,
)
from qyx_excel.periods import parse_period
from qyx_excel.plan import load_plan
from qyx_excel.targets import Adjustment, evaluate, load_rules, target_for, year_start

TRICKY = "R&D <Ops> \"A\"\n第二行：a < b && c > d，'单引号'{{ not_a_tag }}"
LONG = "托育机构备案、人员持证和普惠价格监管同步推进，" * 40


def _value_for(ind, period, adjustments, scenario: str):
    target = target_for(ind, period.year, adjustments)
    if scenario == "none":
        return None
    if not target.numeric:
        return {"met": "已完成", "on": "推进中", "lag": "滞后", "severe": "未启动"}.get(scenario, "推进中")
    start = year_start(ind, period.year, None, adjustments)
    share = period.end_month / 12
    goal = target.value
    if ind.kind is Kind.FLOW:
        expected = goal * share
        begin = 0.0
    else:
        begin = start if start is not None else goal
        expected = begin + (goal - begin) * share
    higher = ind.direction is Direction.HIGHER
    step = abs(goal - begin) or abs(goal) * 0.02 or 1.0  # the rule's 全年应完成量 (2 % floor when flat)
    sign = 1 if higher else -1
    value = {
        "met": goal + sign * step * 0.1,
        "on": expected + sign * step * 0.01,
        "lag": expected - sign * step * 0.15,
        "severe": expected - sign * step * 0.6,
    }[scenario]
    if ind.unit == "%":
        value = max(0.0, min(100.0, value))
    return round(value, 2)


def build_consolidation(
    period_code: str = "2024-03",
    *,
    seed: int = 7,
    previous: bool = True,
    missing_groups: tuple[str, ...] = ("住有宜居", "重大项目"),
    tricky_note: str = TRICKY,
    scenarios: tuple[str, ...] | None = None,
) -> Consolidation:
    """A consolidation of the real 45 indicators and 31 tasks with varied, deterministic values.

    ``scenarios`` cycles over the reported indicators (met, on, lag, severe, none); the default mix
    has every status."""
    plan = load_plan()
    rules = load_rules()
    period = parse_period(period_code)
    rng = random.Random(seed)
    adjustments = {
        ("2", period.year): Adjustment(
            "2", period.year, "62", "2024-02-20", "瑞七优享办〔2024〕2号", "省里调整"
        )
    }
    scenarios = list(scenarios or ("met", "on", "on", "lag", "severe", "none", "on", "met"))
    rows: list[IndicatorRow] = []
    # scenarios rotate over the indicators judged this month (a yearly statistic is 不适用 in March)
    judged = 0
    tricky_placed = False
    for i, ind in enumerate(plan.reported_indicators()):
        scenario = scenarios[judged % len(scenarios)] if ind.domain not in missing_groups else "none"
        if period.end_month in ind.judged_months and ind.path == "线性":
            judged += 1
        else:
            scenario = "on" if scenario != "none" else scenario
        value = _value_for(ind, period, adjustments, scenario)
        note = ""
        if scenario == "lag" and not tricky_placed:  # lagging: its note is quoted in the notice
            note, tricky_placed = tricky_note, True
        elif scenario in ("lag", "severe"):
            note = rng.choice(
                [
                    "受项目审批进度影响，部分点位尚未投用，预计下季度集中建成。",
                    "统计口径调整，数据待省平台核定后更新。",
                    LONG,
                ]
            )
        ev = evaluate(ind, period, value, adjustments=adjustments, rules=rules, note=note)
        rows.append(
            IndicatorRow.judged(
                ind,
                ev,
                note=note,
                data_source="市统计局月报",
                source_file=f"{period.code}_{ind.domain}.xlsx",
                source_cell=f"{ind.domain}!G{10 + i}",
            )
        )
    states = [
        TaskState.ON_TRACK.value,
        TaskState.DONE.value,
        TaskState.LAGGING.value,
        TaskState.ON_TRACK.value,
        TaskState.NOT_STARTED.value,
    ]
    tasks = []
    for j, task in enumerate(plan.tasks):
        reported = task.domain not in missing_groups
        state = states[j % len(states)] if reported else None
        tasks.append(
            TaskRow(
                id=task.id,
                domain=task.domain,
                number=task.number,
                title=task.title,
                lead_unit=task.lead_unit,
                target_2027=task.target_2027,
                progress=(f"{task.title}按计划推进，本期完成阶段性工作{j + 1}项。" if reported else ""),
                state=state,
                problems=("要素保障不足，项目前期手续办理较慢。" if state in ("滞后", "未启动") else ""),
                next_steps=(f"加快推进{task.title}，确保完成年度节点目标。" if reported else ""),
            )
        )
    projects = [
        ProjectRow(
            1,
            "市妇幼保健院迁建工程（示例）",
            "市卫生健康局",
            "幼有善育",
            52000,
            12000,
            3500,
            3000,
            29.17,
            "主体结构施工",
            "2023-06",
            "2026-12",
            "在建",
            "",
            False,
        ),
        ProjectRow(
            2,
            "城东未来社区（示例）",
            "市住建局",
            "住有宜居",
            86000,
            20000,
            2100,
            5000,
            10.5,
            "土方开挖",
            "2024-01",
            "2027-06",
            "在建",
            "征地拆迁滞后 & 资金缺口",
            True,
        ),
        ProjectRow(
            3,
            "市第二养老服务中心（示例）",
            "市民政局",
            "老有康养",
            30000,
            8000,
            0,
            2000,
            0.0,
            "",
            "2024-03",
            "2026-06",
            "未开工",
            "用地指标未落实",
            True,
        ),
    ]
    applications = [
        ApplicationRow(
            a.number,
            a.name,
            a.domain,
            a.responsible_unit,
            a.connects_to,
            ["已上线运行", "对接中", "未启动", "已贯通"][k % 4],
            "完成接口联调。",
            "" if k % 3 else "省级接口尚未开放",
        )
        for k, a in enumerate(plan.applications)
    ]
    groups = [
        GroupStatus(
            g,
            submitted=g not in missing_groups,
            accepted=g not in missing_groups,
            file=None if g in missing_groups else f"{period.code}_{g}.xlsx",
            late=(g == "学有优教"),
            liaison=plan.group(g).liaison,
        )
        for g in GROUPS
    ]
    c = Consolidation(
        period=period.code,
        label=period.label,
        kind=period.kind,
        generated_at="2024-04-06T09:00:00",
        indicators=rows,
        tasks=tasks,
        projects=projects,
        applications=applications,
        groups=groups,
    )
    c.ranking = _ranking(c, rules)
    if previous:
        counts = c.status_counts()
        counts[Status.MET.value] = max(0, counts[Status.MET.value] - 2)
        counts[Status.ON_TRACK.value] += 3
        counts[Status.LAGGING.value] = max(0, counts[Status.LAGGING.value] - 1)
        c.previous_counts = counts
        c.previous_period = parse_period(period_code).previous().code
    return c


def _ranking(c: Consolidation, rules) -> list[RankEntry]:
    entries: list[RankEntry] = []
    units = list(dict.fromkeys(r.responsible_unit for r in c.indicators))
    dims = {
        "domain": [(d, [r.status for r in c.indicators if r.domain == d]) for d in DOMAINS],
        "group": [(g, [r.status for r in c.indicators if r.group == g]) for g in DOMAINS],
        "unit": [(u, [r.status for r in c.indicators if r.responsible_unit == u]) for u in units],
    }
    for dim, items in dims.items():
        scored = []
        for name, statuses in items:
            scores = [rules.score(s) for s in statuses if rules.score(s) is not None]
            counts = {s.value: statuses.count(s) for s in STATUS_ORDER}
            scored.append(RankEntry(dim, name, counts, sum(scores) / len(scores) if scores else None, None))
        ranked = sorted((e for e in scored if e.score is not None), key=lambda e: -e.score)
        for k, e in enumerate(ranked, start=1):
            e.rank = k
            e.previous_rank = k + (1 if k % 2 else -1)
            e.rank_change = e.previous_rank - k
        entries.extend(scored)
    return entries


#: A 督办 summary as :func:`qyx_excel.supervision.supervision_summary` gives it, for a month with
#: every part of the notice's 督办 paragraph: three new red matters, two closed, one slip overdue.
SUPERVISION = {
    "period": "2024-03",
    "counts": {"蓝色提醒": 6, "黄色预警": 4, "红色督办": 3},
    "new_red": [
        {
            "key": "indicator:14",
            "name": "指标14 欠薪线索动态化解率",
            "unit": "市人力社保局",
            "reason": "连续3个月进度滞后",
        },
        {
            "key": "task:3-2",
            "name": "重点任务3-2 完善工资收入合理增长机制",
            "unit": "市人力社保局",
            "reason": "连续3个月未启动",
        },
        {
            "key": "project:3",
            "name": "重大项目 市第二养老服务中心（示例）",
            "unit": "市民政局",
            "reason": "严重滞后2个月",
        },
    ],
    "closed": [
        {
            "key": "indicator:1",
            "name": "指标1 每千人口拥有3岁以下婴幼儿托位数",
            "unit": "市卫生健康局",
            "was": "红色督办",
        },
        {
            "key": "indicator:29",
            "name": "指标29 基本养老保险参保人数",
            "unit": "市人力社保局",
            "was": "黄色预警",
        },
    ],
    "slips": [
        {"number": "瑞七优享督〔2024〕5号", "unit": "市人力社保局", "level": "红色督办"},
        {"number": "瑞七优享督〔2024〕6号", "unit": "市民政局", "level": "红色督办"},
    ],
    "overdue": [{"number": "瑞七优享督〔2024〕2号", "unit": "市住建局", "deadline": "2024-03-15"}],
}
