"""The core of 汇总: a period assembled from the history store's accepted submissions.

Which submission counts: per group, the latest accepted submission of the period (received time,
ties by file name); a group with only refused submissions is listed as refused (its indicators
未填报). Quarters (``YYYY-Qn``) and years (``YYYY``) are assembled from history: per group, the
last month of the quarter/year that has an accepted submission.  Nothing is received or written
here: :mod:`.consolidate` runs the workflow (receive, assemble, keep, write), and the 督办 board
(:mod:`.supervision`) re-assembles months from history with :func:`assemble`.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from . import intake
from .duedates import due_date as calendar_due
from .findings import ERROR, WARNING, Finding, make
from .glossary import APPLICATION_GROUP, DOMAINS, GROUPS, PROJECT_GROUP, Kind, ProjectState
from .model import (
    ACCEPTED,
    DUPLICATE,
    OTHER_PERIOD,
    REFUSED,
    SKIPPED,
    SUPERSEDED,
    UNREADABLE,
    ApplicationRow,
    Consolidation,
    ConsolidationResult,
    GroupStatus,
    IndicatorRow,
    Outcome,
    ProjectRow,
    TaskRow,
)
from .periods import Period
from .plan import Plan, load_plan
from .ranking import build_ranking
from .store import Store, StoredSubmission
from .submission import Submission
from .targets import Adjustment, Rules, evaluate, load_rules
from .values import format_number


def assemble(
    period: Period,
    st: Store,
    outcomes: list[Outcome],
    *,
    adjustments: dict[tuple[str, int], Adjustment],
    now: datetime | None = None,
    plan: Plan | None = None,
    rules: Rules | None = None,
) -> ConsolidationResult:
    """The period from the store's accepted submissions: every indicator judged, tasks, projects,
    applications, the groups' reporting status, the period's findings and the ranking; ``outcomes``
    (what became of this run's files) are seen as this period sees them (:func:`_report_status`)."""
    plan = plan or load_plan()
    rules = rules or load_rules()
    now = now or datetime.now()
    reports = [_report_status(o, period, st) for o in outcomes]

    chosen: dict[str, tuple[Submission, StoredSubmission] | None] = {}
    groups: list[GroupStatus] = []
    for group in GROUPS:
        stored = st.current(period, group) if period.kind == "month" else st.latest_in(period, group)
        chosen[group] = (st.load_submission(stored.id), stored) if stored else None
        groups.append(_group_status(group, period, st, stored, plan, rules, now))

    previous_period = period.previous()
    previous = st.load_consolidation(previous_period)
    indicators = _indicator_rows(period, st, chosen, plan, rules, adjustments)
    consolidation = Consolidation(
        period=period.code,
        label=period.label,
        kind=period.kind,
        generated_at=now.replace(microsecond=0).isoformat(),
        indicators=indicators,
        tasks=_task_rows(chosen, plan),
        projects=_project_rows(period, chosen.get(PROJECT_GROUP)),
        applications=_application_rows(chosen.get(APPLICATION_GROUP), plan),
        groups=groups,
        findings=_period_findings(period, st, reports),
        previous_counts=previous.status_counts() if previous else None,
        previous_period=previous_period.code if previous else None,
    )
    consolidation.ranking = build_ranking(consolidation, previous, rules)
    return ConsolidationResult(consolidation=consolidation, reports=reports)


def _report_status(outcome: Outcome, period: Period, st: Store) -> Outcome:
    """This run's view of an outcome: another period's file, or one since superseded."""
    if outcome.status in (ACCEPTED, REFUSED, DUPLICATE) and outcome.period and outcome.period != period.code:
        note = f"填报期为 {outcome.period}，已按该期存入历史库，不计入本期"
        mismatch = make(
            "period-mismatch",
            file=outcome.file_name,
            sheet=outcome.sheet or None,
            severity=WARNING,
            found=outcome.period,
            expected=period.code,
        )
        return replace(outcome, status=OTHER_PERIOD, note=note, findings=[*outcome.findings, mismatch])
    if outcome.status in (ACCEPTED, REFUSED) and outcome.submission_id is not None:
        stored = st.submission(outcome.submission_id)
        if stored.superseded_by is not None:
            later = st.submission(stored.superseded_by)
            return replace(outcome, status=SUPERSEDED, note=f"已被后收到的“{later.file_name}”替代")
    return outcome


def _group_status(
    group: str,
    period: Period,
    st: Store,
    current: StoredSubmission | None,
    plan: Plan,
    rules: Rules,
    now: datetime,
) -> GroupStatus:
    try:
        liaison = plan.group(group).liaison.replace("；", "、")
    except KeyError:
        liaison = ""
    due_info = calendar_due(period)
    due = due_info.due
    codes = {period.code, *(f"{period.year}-{m:02d}" for m in period.months)}
    backfill = bool(codes & st.backfill_periods())
    if period.kind == "month":
        all_subs = st.submissions(period, group)
    else:
        all_subs = [s for m in period.months for s in st.submissions(f"{period.year}-{m:02d}", group)]
    status = GroupStatus(group=group, liaison=liaison, due=due.isoformat(), backfill=backfill)
    who = f"{liaison}同志" if liaison else f"{group}专项组联络员"
    if not all_subs:
        status.late = now.date() > due and not backfill
        if backfill:
            status.reminder = (
                f"{who}：{group}专项组{period.label}“七优享”工作进展填报表尚未补录，请补填后报送专班办公室。"
            )
            return status
        status.reminder = (
            f"{who}：{group}专项组{period.label}“七优享”工作进展填报表尚未报送，报送截止时间为{due_info.text}，"
            "请尽快填报并报送专班办公室。"
        )
        return status
    latest = all_subs[-1]
    status.submitted = True
    status.accepted = current is not None
    shown = current or latest
    status.file = shown.file_name
    status.received_at = shown.received_at
    status.errors, status.warnings = latest.errors, latest.warnings
    # late = the first arrival after the due date; a back-filled period (补录) is never late
    status.late = datetime.fromisoformat(all_subs[0].received_at).date() > due and not backfill
    status.filled_on = _filled_on(st, shown)
    status.superseded = [s.file_name for s in all_subs if s.superseded_by is not None]
    if not latest.accepted:
        first = next((f.message for f in st.findings(latest.id) if f.severity == ERROR), "").rstrip("。")
        tail = f"如：{first}" if first else "详见“校验结果”"
        if current is None:
            status.reminder = (
                f"{who}：{group}专项组报送的{period.label}填报表“{latest.file_name}”有 {latest.errors} 处错误未通过校验"
                f"（{tail}），已退回，请按“校验结果”修改后尽快重新报送。"
            )
        else:
            status.reminder = (
                f"{who}：{group}专项组后报送的“{latest.file_name}”有 {latest.errors} 处错误未通过校验（{tail}），"
                f"本期暂按此前已受理的“{current.file_name}”汇总；如需更正，请修改后重新报送。"
            )
    return status


def due_date(period: Period, rules: Rules | None = None) -> date:
    """The working day ``period``'s reports are due on (``data/calendar.csv``, see :mod:`.duedates`).

    ``rules`` is no longer read (the due day moved from rules.csv to calendar.csv); kept so old
    callers still work.
    """
    return calendar_due(period).due


def _filled_on(st: Store, sub: StoredSubmission) -> str:
    """The form's own 填报日期 (ISO when readable, else as typed; '' when left empty)."""
    try:
        header = st.header(sub.id)
    except (TypeError, ValueError, KeyError):
        return ""
    raw = str(header.get("填报日期") or "").strip()
    found = intake.parse_date(raw) if raw else None
    return found.isoformat() if found else raw


def _date_label(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


# --- indicators ---------------------------------------------------------------------------------


def _indicator_rows(
    period: Period,
    st: Store,
    chosen: dict[str, tuple[Submission, StoredSubmission] | None],
    plan: Plan,
    rules: Rules,
    adjustments: dict[tuple[str, int], Adjustment],
) -> list[IndicatorRow]:
    rows: list[IndicatorRow] = []
    previous_period = period.previous()
    for domain in DOMAINS:
        picked = chosen.get(domain)
        sub = picked[0] if picked else None
        year_end = st.year_end_values(period.year - 1, domain)
        before = st.values_of(previous_period, domain)
        for ind in plan.reported_indicators(domain):
            entry = sub.indicators.get(ind.id) if sub else None
            value: Any = entry.value if entry else None
            note = entry.note if entry else ""
            # a quarter or a year is judged at its last month (Period.end_month)
            ev = evaluate(
                ind,
                period,
                value,
                previous_year_end=year_end.get(ind.id),
                adjustments=adjustments,
                rules=rules,
                note=note,
            )
            prev = before.get(ind.id)
            prev_value = prev.value if prev else None
            if ind.kind is Kind.FLOW and previous_period.year != period.year:
                prev_value = None  # a year-to-date figure does not compare across years
            rows.append(
                IndicatorRow.judged(
                    ind,
                    ev,
                    group=domain,
                    previous_value=prev_value,
                    note=note,
                    data_source=entry.data_source if entry else "",
                    source_file=picked[1].file_name if picked and entry else None,
                    source_cell=f"{picked[1].sheet}!{entry.value_cell}"
                    if picked and entry and entry.value_cell
                    else None,
                )
            )
    return rows


def _round(x: float | None, digits: int = 4) -> float | None:
    return None if x is None else round(x, digits)


# --- tasks, projects, applications ---------------------------------------------------------------


def _task_rows(chosen: dict[str, tuple[Submission, StoredSubmission] | None], plan: Plan) -> list[TaskRow]:
    rows = []
    for domain in DOMAINS:
        picked = chosen.get(domain)
        for task in plan.tasks_of(domain):
            entry = picked[0].tasks.get(task.id) if picked else None
            cell = entry.state_cell if entry else ""
            rows.append(
                TaskRow(
                    id=task.id,
                    domain=domain,
                    number=task.number,
                    title=task.title,
                    lead_unit=task.lead_unit,
                    target_2027=task.target_2027,
                    progress=entry.progress if entry else "",
                    state=(entry.state or None) if entry else None,
                    problems=entry.problems if entry else "",
                    next_steps=entry.next_steps if entry else "",
                    source_file=picked[1].file_name if picked and entry else None,
                    source_cell=f"{picked[1].sheet}!{cell}" if picked and cell else None,
                )
            )
    return rows


def _project_rows(period: Period, picked: tuple[Submission, StoredSubmission] | None) -> list[ProjectRow]:
    if picked is None:
        return []
    sub, stored = picked
    share = period.end_month / 12
    rows = []
    for p in sub.projects:
        planned = p.planned_this_year.number if p.planned_this_year else None
        done = p.completed_this_year.number if p.completed_this_year else None
        expected = planned * share if planned is not None else None
        completion = done / planned * 100 if planned and done is not None else None
        start = _month_of(p.planned_start)
        due_to_start = start is not None and start <= (period.year, period.end_month)
        behind = False
        if p.state == ProjectState.STALLED.value:
            behind = True
        elif p.state == ProjectState.NOT_STARTED.value:
            behind = due_to_start
        elif p.state != ProjectState.DONE.value and expected is not None and expected > 0:
            behind = (done or 0.0) < expected - 1e-9
        cell = p.cells.get("本年累计完成投资") or p.cells.get("项目名称") or ""
        rows.append(
            ProjectRow(
                number=p.number,
                name=p.name,
                unit=p.unit,
                domain=p.domain,
                total_investment=p.total_investment.number if p.total_investment else None,
                planned_this_year=planned,
                completed_this_year=done,
                expected_this_year=_round(expected, 2),
                completion=_round(completion, 2),
                image_progress=p.image_progress,
                planned_start=p.planned_start,
                planned_finish=p.planned_finish,
                state=p.state,
                problems=p.problems,
                behind=behind,
                source_file=stored.file_name,
                source_cell=f"{stored.sheet}!{cell}" if cell else f"{stored.sheet}!第{p.row}行",
            )
        )
    return rows


def _month_of(text: str) -> tuple[int, int] | None:
    """(year, month) from 2024-03, 2024/3, 2024年3月, 2024.3 or a date; None if not a date."""
    match = re.search(r"(\d{4})\s*[-/.年]\s*(\d{1,2})", text or "")
    if match and 1 <= int(match.group(2)) <= 12:
        return int(match.group(1)), int(match.group(2))
    match = re.fullmatch(r"\s*(\d{4})\s*年?\s*", text or "")
    return (int(match.group(1)), 1) if match else None


def _application_rows(picked: tuple[Submission, StoredSubmission] | None, plan: Plan) -> list[ApplicationRow]:
    if picked is None:
        return [
            ApplicationRow(
                number=a.number,
                name=a.name,
                domain=a.domain,
                unit=a.responsible_unit,
                connects_to=a.connects_to,
            )
            for a in plan.applications
        ]
    sub, stored = picked
    return [
        ApplicationRow(
            number=a.number,
            name=a.name,
            domain=a.domain,
            unit=a.unit,
            connects_to=a.connects_to,
            state=a.state,
            progress=a.progress,
            problems=a.problems,
            source_file=stored.file_name,
            source_cell=f"{stored.sheet}!{a.state_cell}" if a.state_cell else None,
        )
        for a in sub.applications
    ]


# --- findings of the period ---------------------------------------------------------------------


def _period_findings(period: Period, st: Store, reports: list[Outcome]) -> list[Finding]:
    """Findings of the period's submissions that still stand (not replaced by a later accepted one),
    the groups' resubmissions (:func:`resubmission_findings`), plus this run's unreadable and
    other-period files."""
    found: list[Finding] = []
    if period.kind == "month":
        for s in st.submissions(period):
            if s.superseded_by is None:
                found.extend(st.findings(s.id))
        found.extend(resubmission_findings(period, st))
    for r in reports:
        if r.status in (UNREADABLE, OTHER_PERIOD, SKIPPED):
            found.extend(r.findings)
    seen, out = set(), []
    for f in found:
        key = (f.file, f.sheet, f.cell, f.code, f.indicator, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def resubmission_findings(period: Period, st: Store) -> list[Finding]:
    """Warnings about groups that sent more than one submission for the month (on the one that counts).

    ``submission-superseded`` once per such group, naming the submission that counts (the last
    received); ``submission-conflict`` for each earlier *accepted* submission it replaced — two
    accepted submissions of one group and month always differ in content (the same content again
    is recorded as a duplicate, not as a submission). Earlier ones stay in history.
    """
    out: list[Finding] = []
    for group in GROUPS:
        current = st.current(period, group)
        if current is None:
            continue
        replaced = [s for s in st.submissions(period, group) if s.superseded_by == current.id]
        if not replaced:
            continue
        where = {"file": current.file_name, "sheet": current.sheet}
        out.append(make("submission-superseded", **where, found=current.file_name))
        out.extend(
            make("submission-conflict", **where, found=f"“{s.file_name}”") for s in replaced if s.accepted
        )
    return out


# --- helpers ------------------------------------------------------------------------------------


def behind_projects(consolidation: Consolidation) -> list[ProjectRow]:
    """Projects behind the time-elapsed path or not started though due (for the notice)."""
    return [p for p in consolidation.projects if p.behind]


def describe_value(row: IndicatorRow) -> str:
    """A value as shown in tables: the typed text, else the number."""
    return row.value_text or format_number(row.value)
