"""晾晒: the plan's ranking "分领域、分单位、分层级" — by domain, by responsible unit and by group.

Every item judged for the period gets a status word; an entry's **score** is the mean of the
status scores in ``data/rules.csv`` over its judged items (不适用 left out); entries are ranked by
score, highest first, equal scores sharing a rank (1, 2, 2, 4); the rank change is measured
against the previous period's stored consolidation (positive = moved up).

What is judged:

* **by domain** and **by responsible unit**: the indicators of the domain / of the unit, with the
  status the target engine gave them;
* **by group**: a domain group's indicators (as for its domain); the 应用贯通 group's applications
  by their 贯通状态 (:data:`APP_STATUS`); the 重大项目 group's projects by their investment against
  the time-elapsed path (:func:`project_status`) — so all nine groups are scored on the same scale.
  A group that did not report has its items 未填报 (score 0).
"""

from __future__ import annotations

from collections.abc import Iterable
from statistics import fmean

from .glossary import (
    APPLICATION_GROUP,
    DOMAINS,
    GROUPS,
    PROJECT_GROUP,
    STATUS_ORDER,
    AppState,
    ProjectState,
    Status,
    TaskState,
)
from .model import ApplicationRow, Consolidation, ProjectRow, RankEntry
from .targets import Rules, load_rules

DIMENSIONS: tuple[str, ...] = ("domain", "unit", "group")
DIMENSION_LABELS: dict[str, str] = {"domain": "领域", "unit": "责任单位", "group": "专项组"}

#: 贯通状态 -> status used for scoring.
APP_STATUS: dict[str, Status] = {
    AppState.IN_USE.value: Status.MET,
    AppState.CONNECTED.value: Status.MET,
    AppState.IN_PROGRESS.value: Status.ON_TRACK,
    AppState.NOT_STARTED.value: Status.SEVERELY_LAGGING,
}
#: 完成情况 of a key task -> status (used by summaries of tasks; tasks are not part of the score).
TASK_STATUS: dict[str, Status] = {
    TaskState.DONE.value: Status.MET,
    TaskState.ON_TRACK.value: Status.ON_TRACK,
    TaskState.LAGGING.value: Status.LAGGING,
    TaskState.NOT_STARTED.value: Status.SEVERELY_LAGGING,
}


def rule_text(rules: Rules | None = None) -> str:
    """The ranking rule in Chinese, with the scores in force (the ledger puts it under 晾晒)."""
    rules = rules or load_rules()

    def s(status: Status) -> str:
        value = rules.score(status)
        return "—" if value is None else f"{value:g}"

    return (
        "晾晒规则：按领域、责任单位、专项组三个维度排名。"
        f"每项指标按本期状态计分：已达标 {s(Status.MET)} 分、序时推进 {s(Status.ON_TRACK)} 分、"
        f"进度滞后 {s(Status.LAGGING)} 分、严重滞后 {s(Status.SEVERELY_LAGGING)} 分、"
        f"未填报 {s(Status.NOT_REPORTED)} 分，“不适用”不计分；得分为参评各项的平均分（保留一位小数），"
        "得分高者排名在前，得分相同名次并列。"
        "领域、责任单位按所属指标计分；七个分领域专项组按本领域指标计分；"
        "应用贯通专项组按各应用贯通状态计分（已上线运行、已贯通按已达标，对接中按序时推进，未启动按严重滞后，"
        "未填报按未填报）；重大项目专项组按各项目本年累计完成投资与序时计划（本年计划投资×已过月数/12）比较计分"
        f"（已竣工按已达标，达到序时计划按序时推进，差距不超过本年计划的 {rules.severe_gap_share:.0%} 按进度滞后，"
        "超过的以及应开工未开工、停缓建的按严重滞后，尚未到开工时间的不计分）。"
        "名次变化与上期相比，正数为上升、负数为下降。"
    )


def project_status(project: ProjectRow, rules: Rules | None = None) -> Status:
    """A major project's status for scoring (see the module docstring)."""
    rules = rules or load_rules()
    if project.state == ProjectState.DONE.value:
        return Status.MET
    if project.state == ProjectState.STALLED.value:
        return Status.SEVERELY_LAGGING
    if project.state == ProjectState.NOT_STARTED.value:
        return Status.SEVERELY_LAGGING if project.behind else Status.NOT_APPLICABLE
    planned = project.planned_this_year
    expected = project.expected_this_year
    done = project.completed_this_year
    if not planned or expected is None:
        return Status.NOT_APPLICABLE if done is None else Status.ON_TRACK
    if done is None:
        return Status.NOT_REPORTED
    if done >= planned - 1e-9:
        return Status.MET
    gap = expected - done
    if gap <= 1e-9:
        return Status.ON_TRACK
    return Status.SEVERELY_LAGGING if gap / planned > rules.severe_gap_share else Status.LAGGING


def app_status(app: ApplicationRow) -> Status:
    """An application's status for scoring: by 贯通状态; blank is 未填报."""
    return APP_STATUS.get(app.state, Status.NOT_REPORTED)


def counts_of(statuses: Iterable[Status]) -> dict[str, int]:
    """Counts per status word, every word present, in the fixed order."""
    items = list(statuses)
    return {s.value: sum(1 for x in items if x is s) for s in STATUS_ORDER}


def score_of(statuses: Iterable[Status], rules: Rules | None = None) -> float | None:
    """Mean status score over judged items (不适用 excluded), one decimal; None when nothing is judged."""
    rules = rules or load_rules()
    scores = [rules.score(s) for s in statuses if s is not Status.NOT_APPLICABLE]
    judged = [x for x in scores if x is not None]
    return round(fmean(judged), 1) if judged else None


def assign_ranks(entries: list[RankEntry]) -> list[RankEntry]:
    """Rank by score (highest first), ties sharing a rank; entries without a score get no rank."""
    scored = sorted((e for e in entries if e.score is not None), key=lambda e: -(e.score or 0.0))
    previous_score: float | None = None
    rank = 0
    for position, entry in enumerate(scored, start=1):
        if entry.score != previous_score:
            rank = position
            previous_score = entry.score
        entry.rank = rank
    for entry in entries:
        if entry.score is None:
            entry.rank = None
    return entries


def _group_statuses(c: Consolidation, group: str, rules: Rules) -> list[Status]:
    if group == APPLICATION_GROUP:
        return [app_status(a) for a in c.applications] or [Status.NOT_REPORTED]
    if group == PROJECT_GROUP:
        reported = next((g for g in c.groups if g.group == group), None)
        if not c.projects:
            accepted = reported is not None and reported.accepted
            return [Status.NOT_APPLICABLE] if accepted else [Status.NOT_REPORTED]
        return [project_status(p, rules) for p in c.projects]
    return [r.status for r in c.indicators if r.group == group or (not r.group and r.domain == group)]


def build_ranking(
    consolidation: Consolidation, previous: Consolidation | None = None, rules: Rules | None = None
) -> list[RankEntry]:
    """The three rankings of a consolidation, with rank changes against ``previous``."""
    rules = rules or load_rules()
    c = consolidation
    units: list[str] = []
    for row in c.indicators:
        if row.responsible_unit and row.responsible_unit not in units:
            units.append(row.responsible_unit)
    groups: dict[str, list[tuple[str, list[Status]]]] = {
        "domain": [(d, [r.status for r in c.indicators if r.domain == d]) for d in DOMAINS],
        "unit": [(u, [r.status for r in c.indicators if r.responsible_unit == u]) for u in units],
        "group": [(g, _group_statuses(c, g, rules)) for g in GROUPS],
    }
    before = {(e.dimension, e.name): e.rank for e in (previous.ranking if previous else [])}
    out: list[RankEntry] = []
    for dimension in DIMENSIONS:
        entries = [
            RankEntry(
                dimension=dimension,
                name=name,
                counts=counts_of(statuses),
                score=score_of(statuses, rules),
                rank=None,
            )
            for name, statuses in groups[dimension]
        ]
        assign_ranks(entries)
        for entry in entries:
            entry.previous_rank = before.get((dimension, entry.name))
            if entry.rank is not None and entry.previous_rank is not None:
                entry.rank_change = entry.previous_rank - entry.rank
        out.extend(sorted(entries, key=lambda e: (e.rank is None, e.rank or 0)))
    return out


def task_counts(consolidation: Consolidation, domain: str | None = None) -> dict[str, int]:
    """Counts of key tasks per 完成情况 word (plus 未填报), for a domain or all."""
    words = [s.value for s in TaskState] + [Status.NOT_REPORTED.value]
    counts = dict.fromkeys(words, 0)
    for t in consolidation.tasks:
        if domain is None or t.domain == domain:
            counts[t.state if t.state in counts else Status.NOT_REPORTED.value] += 1
    return counts
