"""汇总: check every submission of a period, merge the accepted ones, judge every indicator, rank.

Two entry points share one core:

* :func:`consolidate` — the command line and the office's routine: the ledger's nine group sheets
  (a sheet counts only when something is filled in) and every file in the inbox are received into
  the history store (archived, checked, recorded), then the period is consolidated from the store
  and the results are written into the ledger (汇总, 晾晒, 校验结果);
* :func:`consolidate_submissions` — the same from :class:`Submission` objects (the xlwings 汇总
  button reads them from the open workbook's cells with ``intake.read_grid``).

Which submission counts: per group, the latest accepted submission of the period (received time,
ties by file name). A submission with errors is refused — listed with a reminder — and never
replaces an accepted one; a group with only refused submissions is listed as refused (its
indicators 未填报), the other groups go through. Quarters (``YYYY-Qn``) and years (``YYYY``) are
consolidated from history: per group, the last month of the quarter/year that has an accepted
submission; no new files are read.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .errors import UnreadableFile, UsageError
from .findings import ERROR, WARNING, Finding, make
from .glossary import APPLICATION_GROUP, DOMAINS, GROUPS, PROJECT_GROUP, Kind, ProjectState
from .model import (
    ApplicationRow,
    Consolidation,
    GroupStatus,
    IndicatorRow,
    ProjectRow,
    TaskRow,
)
from .periods import Period, parse_period
from .plan import Plan, load_plan
from .store import (
    ACCEPTED,
    DUPLICATE,
    IGNORED,
    REFUSED,
    SOURCE_INBOX,
    SOURCE_LEDGER,
    UNREADABLE,
    CheckFn,
    Outcome,
    Receipt,
    Store,
    StoredSubmission,
    default_store_dir,
    mtime_text,
    now_text,
    run_stamp,
)
from .submission import Submission
from .targets import Adjustment, Rules, evaluate, load_rules
from .values import format_number

#: Outcome status of a file that belongs to another period (recorded there, not used here).
OTHER_PERIOD = "other-period"
#: Outcome status of an accepted submission replaced by a later one of the same group.
SUPERSEDED = "superseded"

Progress = Callable[[int, int], None]


@dataclass
class ConsolidationResult:
    """A consolidated period, with what happened to every file received in this run."""

    consolidation: Consolidation
    reports: list[Outcome] = field(default_factory=list)
    store_dir: Path | None = None
    ledger: Path | None = None
    written: list[Path] = field(default_factory=list)
    supervision: Any = None  # supervision.Board of the period (督办 sheet), set by consolidate()

    @property
    def refused(self) -> list[str]:
        """Groups that sent something but have nothing accepted for the period."""
        return [g.group for g in self.consolidation.refused_groups]

    @property
    def missing(self) -> list[str]:
        """Groups that have not reported."""
        return [g.group for g in self.consolidation.missing_groups]

    @property
    def refused_files(self) -> list[Outcome]:
        return [r for r in self.reports if r.status in (REFUSED, UNREADABLE)]

    @property
    def ok(self) -> bool:
        """Everyone reported and nothing received in this run was refused."""
        return not self.refused and not self.missing and not self.refused_files

    def summary_text(self) -> str:
        """A few Chinese lines for the command line and the button's result cell."""
        c = self.consolidation
        counts = "、".join(f"{k} {v} 项" for k, v in c.status_counts().items() if v)
        lines = [f"{c.label}汇总完成：指标 {len(c.indicators)} 项（{counts}）。"]
        accepted = [g.group for g in c.groups if g.accepted]
        lines.append(f"已受理 {len(accepted)} 个专项组" + (f"：{'、'.join(accepted)}。" if accepted else "。"))
        if self.refused:
            lines.append(f"被退回 {len(self.refused)} 个：{'、'.join(self.refused)}（详见“校验结果”）。")
        if self.missing:
            lines.append(f"未报送 {len(self.missing)} 个：{'、'.join(self.missing)}。")
        bad = [r for r in self.refused_files if r.group not in self.refused]
        if bad:
            lines.append(f"另有 {len(bad)} 个文件未通过校验：{'、'.join(sorted({r.file_name for r in bad}))}。")
        if self.written:
            lines.append("已写入：" + "、".join(str(p) for p in self.written))
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        # The consolidation's own keys (period, indicators, groups, ranking …) sit at the top level:
        # they are the contract other programs read (MISSION §4).
        return {
            **self.consolidation.to_json(),
            "ok": self.ok,
            "refused": self.refused,
            "missing": self.missing,
            "files": [r.to_json() for r in self.reports],
            "store": str(self.store_dir) if self.store_dir else None,
            "ledger": str(self.ledger) if self.ledger else None,
            "written": [str(p) for p in self.written],
        }


# ================================================================================================
# Entry points
# ================================================================================================


def consolidate(
    period: Period | str,
    ledger: Path,
    *,
    inbox: Path | None = None,
    store: Path | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
    write: bool = True,
    check: CheckFn | None = None,
    backfill: bool = False,
) -> ConsolidationResult:
    """Consolidate ``period`` from the ledger's sheets and the inbox; write the results into the ledger.

    ``backfill`` marks the period as back-filled (补录, kept in the store): reports for a month that
    was past due before the tool was introduced are then not 逾期.

    ``store`` defaults to ``历史库`` next to the ledger. A quarter or a year is consolidated from
    the store's history (the inbox and the ledger's sheets are not read). ``write=False`` leaves
    the ledger untouched.
    """
    period = _as_period(period)
    ledger = Path(ledger)
    if not ledger.is_file():
        raise UsageError(f"找不到台账文件“{ledger}”。")
    if inbox is not None and not Path(inbox).is_dir():
        raise UsageError(f"收件箱文件夹“{inbox}”不存在。")
    store_dir = Path(store) if store else default_store_dir(ledger)
    with Store(store_dir) as st:
        if backfill:
            st.mark_backfill(period)
        if period.kind != "month":
            result = _assemble(period, st, [], adjustments={}, now=now)
        else:
            adjustments = _ledger_adjustments(ledger)
            files = [(ledger, SOURCE_LEDGER)] + [(p, SOURCE_INBOX) for p in inbox_files(inbox, exclude=[ledger])]
            outcomes = receive_files(st, files, period, adjustments=adjustments, progress=progress, check=check)
            result = _assemble(period, st, outcomes, adjustments=adjustments, now=now)
        st.save_consolidation(result.consolidation)
        from .supervision import ledger_board

        result.supervision = ledger_board(st, period, adjustments=None if period.kind != "month" else adjustments,
                                          today=(now or datetime.now()).date())
    result.store_dir, result.ledger = store_dir, ledger
    if write:
        from .ledger import write_results

        result.written.append(write_results(ledger, result))
    return result


def _ledger_adjustments(ledger: Path) -> dict[tuple[str, int], Adjustment]:
    """The office's target adjustments; a ledger that cannot be opened is named as the ledger.

    (The safe-open messages speak to a group that sent a file; here the office's own workbook is
    damaged, and the way back is its last backup.)
    """
    from . import intake
    from .safeio import backups_of

    try:
        return intake.read_adjustments(ledger)
    except UnreadableFile as exc:
        what = exc.finding.title if exc.finding is not None else exc.message.rstrip("。")
        backups = backups_of(ledger)
        hint = (f"可从旁边“备份”文件夹中取回最近的一版“{backups[-1].name}”，改回原名后重试"
                if backups else "请换用完好的台账（可用 qyx build-workbook 重新生成）后重试")
        raise UnreadableFile(f"台账“{ledger.name}”无法打开（{what}）。{hint}。", exc.finding) from exc


def consolidate_submissions(
    period: Period | str,
    submissions: Iterable[Submission],
    *,
    store: Path | Store | None = None,
    inbox: Path | None = None,
    adjustments: dict[tuple[str, int], Adjustment] | None = None,
    received_at: str | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
    check: CheckFn | None = None,
) -> ConsolidationResult:
    """Consolidate ``period`` from submissions already read (no files needed), plus the inbox's files.

    Each submission is checked, archived (as JSON) and recorded in ``store``; without a store a
    throw-away one is used, so only these submissions count. ``received_at`` (default: now) is
    their received time; among several of one group the later in the list wins. Submissions of
    ``kind`` ``workbook`` or ``ledger`` (the ledger's own sheets, e.g. read by the 汇总 button with
    ``intake.read_grid``) count only when something is filled in, as in :func:`consolidate`.
    Nothing is written to the ledger: the caller writes ``ledger.result_blocks``.
    """
    period = _as_period(period)
    subs = list(submissions)
    args = (period, subs, inbox, adjustments, received_at, now, progress, check)
    if isinstance(store, Store):
        return _consolidate_into(store, *args)
    if store is not None:
        with Store(store) as st:
            result = _consolidate_into(st, *args)
        result.store_dir = Path(store)
        return result
    with tempfile.TemporaryDirectory(prefix="qyx-store-") as tmp, Store(Path(tmp)) as st:
        return _consolidate_into(st, *args)


def load_consolidation(
    period: Period | str, *, ledger: Path | None = None, store: Path | None = None
) -> Consolidation:
    """The stored consolidation of ``period`` (quarters and years are built from history if needed)."""
    period = _as_period(period)
    if store is None:
        if ledger is None:
            raise UsageError("请用 --ledger 指定台账，或用 --store 指定历史库。")
        store = default_store_dir(ledger)
    if not (Path(store) / "qyx.sqlite").is_file():
        raise UsageError(f"历史库“{store}”还没有数据，请先运行 qyx consolidate 汇总{period.label}。")
    with Store(store) as st:
        found = st.load_consolidation(period)
        if found is not None:
            return found
        if period.kind != "month":
            result = _assemble(period, st, [], adjustments={})
            st.save_consolidation(result.consolidation)
            return result.consolidation
    raise UsageError(f"{period.label}尚未汇总，请先运行 qyx consolidate --period {period.code}。")


# ================================================================================================
# Receiving
# ================================================================================================


#: Files the system puts in folders; never submissions.
SYSTEM_FILES = frozenset({"thumbs.db", "desktop.ini", ".ds_store"})


def inbox_files(inbox: Path | None, *, exclude: Iterable[Path] = ()) -> list[Path]:
    """Files in the inbox (not in subfolders), skipping Office lock files, our temporaries, system
    files and ``exclude`` (the ledger, when the inbox is its own folder)."""
    from .safeio import is_ignorable_name

    if inbox is None:
        return []
    skip = {p.resolve() for p in exclude}
    return sorted(
        p for p in Path(inbox).iterdir()
        if p.is_file() and not p.name.startswith(".") and not is_ignorable_name(p.name)
        and p.name.lower() not in SYSTEM_FILES and p.resolve() not in skip
    )


def receive_files(
    st: Store,
    files: Sequence[tuple[Path, str]],
    period: Period,
    *,
    adjustments: dict | None = None,
    progress: Progress | None = None,
    check: CheckFn | None = None,
) -> list[Outcome]:
    """Receive files into the store in received order (a file seen before keeps its first receipt).

    Files are hashed first (to find their first receipt, which fixes their order) and read again
    one at a time when received, so memory stays flat however many files there are.
    """
    import hashlib

    run = run_stamp()
    items: list[tuple[tuple[str, str, str, str], Path, str, bool]] = []
    for path, source in files:
        try:
            digest = hashlib.sha256()
            with path.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
            sha = digest.hexdigest()
        except OSError:
            items.append((("", "", path.name, ""), path, source, False))
            continue
        known: Receipt | None = st.read_receipt(sha)
        key = known.order if known else (run, mtime_text(path), path.name, sha)
        items.append((key, path, source, True))
    items.sort(key=lambda item: item[0])
    outcomes: list[Outcome] = []
    for done, (_, path, source, readable) in enumerate(items, start=1):
        try:
            if not readable:
                raise OSError("无法读取文件")
            outcomes.extend(
                st.receive_file(path, source=source, period=period, adjustments=adjustments, run=run, check=check)
            )
        except OSError as exc:
            finding = make("file-unreadable", file=path.name, detail=getattr(exc, "strerror", None) or str(exc))
            outcomes.append(Outcome(file_name=path.name, sha256="", sheet="", status=UNREADABLE, findings=[finding]))
        if progress:
            progress(done, len(items))
    return outcomes


def _consolidate_into(
    st: Store,
    period: Period,
    subs: list[Submission],
    inbox: Path | None,
    adjustments: dict | None,
    received_at: str | None,
    now: datetime | None,
    progress: Progress | None,
    check: CheckFn | None,
) -> ConsolidationResult:
    outcomes: list[Outcome] = []
    if period.kind == "month":
        files = [(p, SOURCE_INBOX) for p in inbox_files(inbox)]
        total = len(subs) + len(files)
        run = run_stamp()
        stamp = received_at or now_text(now)
        for done, sub in enumerate(subs, start=1):
            outcomes.extend(st.receive_submission(sub, period=period, adjustments=adjustments,
                                                  received_at=stamp, run=f"{run}-{done:06d}", check=check))
            if progress:
                progress(done, total)
        if files:
            def shifted(done: int, _total: int) -> None:
                if progress:
                    progress(len(subs) + done, total)

            outcomes += receive_files(st, files, period, adjustments=adjustments, progress=shifted, check=check)
    result = _assemble(period, st, outcomes, adjustments=adjustments or {}, now=now)
    st.save_consolidation(result.consolidation)
    # the 督办 board, as consolidate() gives it: the 汇总 button writes it like the command line
    from .supervision import ledger_board

    result.supervision = ledger_board(st, period, adjustments=adjustments if period.kind == "month" else None,
                                      today=(now or datetime.now()).date())
    return result


# ================================================================================================
# The core: from the store's accepted submissions to a Consolidation
# ================================================================================================


def _assemble(
    period: Period,
    st: Store,
    outcomes: list[Outcome],
    *,
    adjustments: dict[tuple[str, int], Adjustment],
    now: datetime | None = None,
    plan: Plan | None = None,
    rules: Rules | None = None,
) -> ConsolidationResult:
    from .ranking import build_ranking

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
        mismatch = make("period-mismatch", file=outcome.file_name, sheet=outcome.sheet or None,
                        severity=WARNING, found=outcome.period, expected=period.code)
        return replace(outcome, status=OTHER_PERIOD, note=note, findings=[*outcome.findings, mismatch])
    if outcome.status in (ACCEPTED, REFUSED) and outcome.submission_id is not None:
        stored = st.submission(outcome.submission_id)
        if stored.superseded_by is not None:
            later = st.submission(stored.superseded_by)
            return replace(outcome, status=SUPERSEDED, note=f"已被后收到的“{later.file_name}”替代")
    return outcome


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
        if r.status in (UNREADABLE, OTHER_PERIOD):
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
        out.extend(make("submission-conflict", **where, found=f"“{s.file_name}”") for s in replaced if s.accepted)
    return out


def due_date(period: Period, rules: Rules | None = None) -> date:
    """The working day ``period``'s reports are due on (``data/calendar.csv``, see :mod:`.duedates`).

    ``rules`` is no longer read (the due day moved from rules.csv to calendar.csv); kept so old
    callers still work.
    """
    from .duedates import due_date as calendar_due

    return calendar_due(period).due


def _filled_on(st: Store, sub: StoredSubmission) -> str:
    """The form's own 填报日期 (ISO when readable, else as typed; '' when left empty)."""
    from .intake import parse_date

    try:
        header = json.loads(st.db.execute("SELECT header FROM submissions WHERE id = ?", (sub.id,))
                            .fetchone()["header"] or "{}")
    except (TypeError, ValueError, KeyError):
        return ""
    raw = str(header.get("填报日期") or "").strip()
    found = parse_date(raw) if raw else None
    return found.isoformat() if found else raw


def _date_label(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


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
    from .duedates import due_date as calendar_due

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
            ev = evaluate(ind, period, value, previous_year_end=year_end.get(ind.id), adjustments=adjustments,
                          rules=rules, note=note)
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
                    source_cell=f"{picked[1].sheet}!{entry.value_cell}" if picked and entry and entry.value_cell
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


def _month_of(text: str) -> tuple[int, int] | None:
    """(year, month) from 2024-03, 2024/3, 2024年3月, 2024.3 or a date; None if not a date."""
    import re

    match = re.search(r"(\d{4})\s*[-/.年]\s*(\d{1,2})", text or "")
    if match and 1 <= int(match.group(2)) <= 12:
        return int(match.group(1)), int(match.group(2))
    match = re.fullmatch(r"\s*(\d{4})\s*年?\s*", text or "")
    return (int(match.group(1)), 1) if match else None


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


def _application_rows(picked: tuple[Submission, StoredSubmission] | None, plan: Plan) -> list[ApplicationRow]:
    if picked is None:
        return [
            ApplicationRow(number=a.number, name=a.name, domain=a.domain, unit=a.responsible_unit,
                           connects_to=a.connects_to)
            for a in plan.applications
        ]
    sub, stored = picked
    return [
        ApplicationRow(
            number=a.number, name=a.name, domain=a.domain, unit=a.unit, connects_to=a.connects_to, state=a.state,
            progress=a.progress, problems=a.problems, source_file=stored.file_name,
            source_cell=f"{stored.sheet}!{a.state_cell}" if a.state_cell else None,
        )
        for a in sub.applications
    ]


# --- helpers ------------------------------------------------------------------------------------


def behind_projects(consolidation: Consolidation) -> list[ProjectRow]:
    """Projects behind the time-elapsed path or not started though due (for the notice)."""
    return [p for p in consolidation.projects if p.behind]


def describe_value(row: IndicatorRow) -> str:
    """A value as shown in tables: the typed text, else the number."""
    return row.value_text or format_number(row.value)


def _as_period(period: Period | str) -> Period:
    return period if isinstance(period, Period) else parse_period(period)


__all__ = [
    "IGNORED",
    "OTHER_PERIOD",
    "SUPERSEDED",
    "ConsolidationResult",
    "behind_projects",
    "consolidate",
    "consolidate_submissions",
    "due_date",
    "inbox_files",
    "load_consolidation",
    "receive_files",
]
