"""Checks: what is wrong with a submission, as findings (codes in ``findings.CODES``).

:func:`check_submission` judges one :class:`~qyx_excel.submission.Submission` against the plan,
the period asked for, the group expected and what was accepted before (:class:`Prior`);
:func:`check_paths` reads and checks files for ``qyx check``.  Nothing here raises for bad data:
every problem is a finding located at file › sheet › cell, with the indicator (or task) id and
a Chinese message.  Only an unreadable file is fatal, and only for that file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import TEMPLATE_VERSION
from .errors import PlanDataError, UnreadableFile, UsageError
from .findings import FileReport, Finding, make
from .glossary import (
    APPLICATION_GROUP,
    DOMAINS,
    GROUPS,
    NONE_MARKERS,
    PERCENT_UNITS,
    PROJECT_GROUP,
    AppState,
    Kind,
    ProjectState,
    Status,
    TaskState,
)
from .periods import Period, as_period, parse_period
from .plan import Indicator, Plan, Task, load_plan
from .safeio import excel_length
from .sandbox import shared
from .submission import IndicatorEntry, Prior, Submission
from .targets import Adjustment, Rules, evaluate, load_rules, target_for
from .values import DECLARATIONS, Value, format_beside, format_number, normalise_text

#: Excel's limit on the characters in one cell.
EXCEL_CELL_LIMIT = 32767
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_HEADER_REQUIRED = ("填报单位", "填报人", "联系电话")
_STRUCTURAL = frozenset({"sheet-missing", "header-missing", "template-unknown"})


@dataclass
class FileResult(FileReport):
    """One checked file (a :class:`~qyx_excel.findings.FileReport`), with the submissions read from it.

    ``submissions`` is empty when the file is unreadable (or when they were not kept).
    """

    submissions: list[Submission] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.file

    @property
    def ok(self) -> bool:
        return self.valid

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "group": self.group,
            "period": self.period,
            "ok": self.ok,
            "unreadable": self.unreadable,
            "findings": [f.to_dict() for f in self.findings],
        }


# ================================================================================================
# One submission
# ================================================================================================


def check_submission(
    sub: Submission,
    *,
    period: Period | str | None = None,
    expected_group: str | None = None,
    prior: Prior | None = None,
    plan: Plan | None = None,
    adjustments: dict[tuple[str, int], Adjustment] | None = None,
    rules: Rules | None = None,
) -> list[Finding]:
    """All findings about ``sub``: those intake found while reading, then the checks' own.

    ``period`` is the period being consolidated (a mismatch is ``period-mismatch``; values are
    judged for it); without it the submission's own period is used.  ``expected_group`` gives
    ``group-mismatch``; ``prior`` enables ``value-cumulative-decrease`` and ``value-jump``;
    ``adjustments`` are the office's target adjustments (指标库).  ``sub`` is not changed.
    """
    checker = _Checker(sub, plan or load_plan(), adjustments or {}, rules or load_rules(), prior)
    return checker.run(_as_period(period), expected_group)


def _as_period(period: Period | str | None) -> Period | None:
    return None if period is None else as_period(period)


def _try_period(code: str | None) -> Period | None:
    if not code:
        return None
    try:
        return parse_period(code)
    except UsageError:
        return None


class _Checker:
    def __init__(
        self,
        sub: Submission,
        plan: Plan,
        adjustments: dict[tuple[str, int], Adjustment],
        rules: Rules,
        prior: Prior | None,
    ) -> None:
        self.sub = sub
        self.plan = plan
        self.adjustments = adjustments
        self.rules = rules
        self.prior = prior
        self.shown_year: int | None = None  # the year whose 本年目标 the sheet should show
        self.out: list[Finding] = list(sub.findings)
        self.flagged = {f.cell for f in sub.findings if f.cell and f.code.startswith("value-")}

    def add(self, code: str, cell: str | None = None, indicator: str | None = None, **fields: Any) -> None:
        self.out.append(
            make(
                code,
                file=self.sub.source,
                sheet=self.sub.sheet,
                cell=cell or None,
                indicator=indicator,
                **fields,
            )
        )

    # --- the whole -----------------------------------------------------------------------------
    def run(self, period: Period | None, expected_group: str | None) -> list[Finding]:
        sub = self.sub
        codes = {f.code for f in sub.findings}
        if sub.template_version is not None and sub.template_version != TEMPLATE_VERSION:
            self.add("template-stale", found=sub.template_version, expected=TEMPLATE_VERSION)
        if expected_group is not None and sub.group != expected_group:
            self.add("group-mismatch", found=sub.group or "未知专项组", expected=expected_group)
        own = _try_period(sub.period)
        if period is not None:
            if own is None and sub.kind == "fill-in" and not codes & {"template-unknown", "file-is-weekly"}:
                self.add("period-mismatch", found=f"“{sub.period or '空'}”", expected=period.label)
            elif own is not None and own.code != period.code:
                self.add(
                    "period-mismatch",
                    cell=sub.header_cells.get("填报期"),
                    found=own.label,
                    expected=period.label,
                )
        judge = period or own
        self.shown_year = judge.year if judge is not None else None
        if (
            judge is not None
            and sub.target_year is not None
            and sub.target_year != judge.year
            and not any(f.code == "period-mismatch" for f in self.out)
        ):
            # a ledger (or file) built for another year: name both years, not the clerk
            self.add(
                "period-year-mismatch",
                cell=sub.header_cells.get("填报期"),
                book="台账" if sub.kind == "ledger" else "填报表",
                year=sub.target_year,
                period=judge.label,
                period_year=judge.year,
            )
            self.shown_year = sub.target_year
        if "sheet-missing" in codes or sub.group not in GROUPS:
            return self.out  # nothing of ours to check in a sheet that is no group's
        self.header_block()
        structural = bool(codes & _STRUCTURAL)
        if sub.group in DOMAINS:
            self.indicators(judge, structural)
            self.tasks(structural)
        elif sub.group == PROJECT_GROUP:
            self.projects()
        elif sub.group == APPLICATION_GROUP:
            self.applications()
        return self.out

    def header_block(self) -> None:
        for label in _HEADER_REQUIRED:
            if not self.sub.header.get(label, "").strip():
                self.add("header-block-empty", self.sub.header_cells.get(label), found=label)
        for label, text in self.sub.header.items():
            if label not in ("填报期", "填报日期"):
                self.text(text, self.sub.header_cells.get(label))

    # --- indicators ----------------------------------------------------------------------------
    def indicators(self, period: Period | None, structural: bool) -> None:
        domain = self.sub.group
        known = {ind.id: ind for ind in self.plan.indicators_of(domain or "")}
        entries = self.sub.indicators
        if not structural:
            for expected_row in known.values():
                if expected_row.reported and expected_row.id not in entries:
                    self.add("row-missing", indicator=expected_row.id)
        for entry in entries.values():
            ind = known.get(entry.id)
            if ind is None:
                self.add("row-unknown", entry.cells.get("序号"), found=entry.id)
                continue
            self.protected_indicator(entry, ind, period)
            if ind.reported:
                self.value(entry, ind, period)
            self.text(entry.data_source, entry.cells.get("数据来源"), ind.id)
            self.text(entry.note, entry.note_cell, ind.id)

    def protected_indicator(self, entry: IndicatorEntry, ind: Indicator, period: Period | None) -> None:
        expected: dict[str, Sequence[str]] = {
            "指标名称": _plan_memo(self.plan, ("name", ind.id), lambda: tuple(_name_options(ind, self.plan))),
            "单位": [ind.unit],
            "2022年基数": self.target_options(ind, 2022),
            "2027年目标": self.target_options(ind, 2027),
        }
        shown = self.shown_year or (period.year if period is not None else None)
        if shown is not None and 2023 <= shown <= 2027:
            expected["本年目标"] = self.target_options(ind, shown)
        for column, options in expected.items():
            if column not in entry.shown:
                continue
            found = entry.shown[column]
            if not any(_same(found, option) for option in options):
                self.add(
                    "protected-changed",
                    entry.cells.get(column),
                    ind.id,
                    column=column,
                    found=found or "（空）",
                    expected=options[0] or "（空）",
                )

    def target_options(self, ind: Indicator, year: int) -> list[str]:
        """Texts the builder may show for a target: adjusted first, the part's, the parent's."""
        options: list[str] = []
        adjusted = self.adjustments.get((ind.id, year))
        if adjusted is not None:
            options.append(adjusted.text)
        options.extend(
            _plan_memo(self.plan, ("target", ind.id, year), lambda: _plan_target_options(ind, year))
        )
        return options

    def value(self, entry: IndicatorEntry, ind: Indicator, period: Period | None) -> None:
        cell = entry.value_cell
        if cell in self.flagged:
            return  # intake already said why (uncached formula)
        value = entry.value
        target = self.year_target(ind, period)
        if value.kind == "error":
            self.add("value-excel-error", cell, ind.id, found=value.text)
            return
        if value.kind == "text" or (value.kind == "declared" and not _declaration_fits(value, ind, target)):
            self.add("value-not-number", cell, ind.id, found=value.text)
            return
        if value.kind == "none":
            off_month = (
                period is not None and period.end_month not in ind.judged_months
            )  # e.g. a yearly statistic
            if not entry.note.strip() and (target is None or target.form != "none") and not off_month:
                self.add("value-missing", cell, ind.id)
            elif _qualitative(target) and not _declares(entry.note):
                self.add("qualitative-unclear", cell, ind.id, expected=target.text)
            return
        if value.kind == "declared":
            if period is not None:
                self.lagging(entry, ind, period, value)  # 滞后 / 未启动 declared need a reason too
            return
        if _qualitative(target) and not _declares(entry.note):
            self.add("qualitative-unclear", cell, ind.id, expected=target.text)
        number = value.number
        assert number is not None
        if ind.unit in PERCENT_UNITS and not 0 <= number <= 100:
            self.add("value-percent-range", cell, ind.id, found=value.text or format_number(number))
            return
        if number < 0:
            self.add("value-negative", cell, ind.id, found=value.text or format_number(number))
            return
        if period is None:
            return
        self.history(entry, ind, period, number)
        self.lagging(entry, ind, period, value)

    def year_target(self, ind: Indicator, period: Period | None) -> Any:
        if period is None or not 2023 <= period.year <= 2027:
            return None
        try:
            return target_for(ind, period.year, self.adjustments)
        except PlanDataError:
            return None

    def history(self, entry: IndicatorEntry, ind: Indicator, period: Period, number: float) -> None:
        prior = self.prior
        if prior is None:
            return
        cell = entry.value_cell
        before = _try_period(prior.period) or period.previous()
        previous = prior.values.get(ind.id)
        if ind.kind is Kind.CUMULATIVE and ind.id in prior.cumulative:
            last, last_period = prior.cumulative[ind.id]
            when = _try_period(last_period)
            if (when is None or when.end <= period.end) and number < last - 1e-9:
                self.add(
                    "value-cumulative-decrease",
                    cell,
                    ind.id,
                    found=format_number(number),
                    expected=format_number(last),
                    detail=f"{when.label if when else last_period}已受理",
                )
                return
        restarts = ind.kind is Kind.FLOW and period.kind != "year" and before.year != period.year
        if ind.kind is Kind.FLOW and not restarts and previous is not None and number < previous - 1e-9:
            self.add(
                "value-cumulative-decrease",
                cell,
                ind.id,
                found=format_number(number),
                expected=format_number(previous),
                detail=f"{before.label}已受理的本年累计数",
            )
            return
        if previous is None or restarts or previous == 0:
            return
        if ind.kind is Kind.FLOW and period.kind != "year":
            # A flow's year-to-date grows month by month: compare the monthly pace instead.
            now, then = number / period.end_month, previous / before.end_month
            change = abs(now - then) / abs(then) if then else 0.0
            detail = f"月均 {change:.0%}"
        else:
            change = abs(number - previous) / abs(previous)
            detail = f"{change:.0%}"
        if change > self.rules.jump_share + 1e-9:
            self.add(
                "value-jump",
                cell,
                ind.id,
                found=format_number(number),
                expected=format_number(previous),
                detail=detail,
                threshold=f"{self.rules.jump_share:.0%}",
            )

    def lagging(self, entry: IndicatorEntry, ind: Indicator, period: Period, value: Value) -> None:
        if entry.note.strip():
            return
        previous_year_end = self.prior.year_end.get(ind.id) if self.prior else None
        try:
            result = evaluate(
                ind,
                period,
                value,
                previous_year_end=previous_year_end,
                adjustments=self.adjustments,
                rules=self.rules,
                note=entry.note,
            )
        except PlanDataError:
            return
        if result.status in (Status.LAGGING, Status.SEVERELY_LAGGING):
            expected = (
                format_beside(result.expected, result.value)
                if result.expected is not None
                else result.target_text
            )
            self.add(
                "lagging-no-note", entry.value_cell, ind.id, found=result.status.value, expected=expected
            )

    # --- tasks ---------------------------------------------------------------------------------
    def tasks(self, structural: bool) -> None:
        known = {t.id: t for t in self.plan.tasks_of(self.sub.group or "")}
        entries = self.sub.tasks
        if not structural:
            for expected_task in known.values():
                if expected_task.id not in entries:
                    self.add(
                        "row-missing",
                        indicator=expected_task.id,
                        indicator_id=f"{expected_task.number}（重点任务）",
                    )
        states = [s.value for s in TaskState]
        for entry in entries.values():
            task = known.get(entry.id)
            if task is None:
                self.add("row-unknown", entry.cells.get("序号"), found=entry.id.split("-", 1)[-1])
                continue
            self.protected_task(entry.shown, entry.cells, task)
            if entry.state and entry.state not in states:
                self.add(
                    "task-state-invalid",
                    entry.state_cell,
                    task.id,
                    found=entry.state,
                    expected="、".join(states),
                )
            if not entry.progress.strip():
                self.add("task-progress-missing", entry.progress_cell, task.id)
            if entry.state == TaskState.LAGGING.value and not entry.problems.strip():
                self.add("task-lagging-no-problem", entry.cells.get("存在问题"), task.id, found=entry.state)
            for header, text in (
                ("本期进展", entry.progress),
                ("存在问题", entry.problems),
                ("下步计划", entry.next_steps),
            ):
                self.text(text, entry.cells.get(header), task.id)

    def protected_task(self, shown: dict[str, str], cells: dict[str, str], task: Task) -> None:
        for column, expected in (("重点任务", task.title), ("牵头单位", task.lead_unit)):
            if column in shown and not _same(shown[column], expected):
                self.add(
                    "protected-changed",
                    cells.get(column),
                    task.id,
                    column=column,
                    found=shown[column] or "（空）",
                    expected=expected,
                )

    # --- the two special sheets ----------------------------------------------------------------
    def projects(self) -> None:
        states = [s.value for s in ProjectState]
        for p in self.sub.projects:
            numbers: dict[str, float] = {}
            for header, value in (
                ("总投资", p.total_investment),
                ("本年计划投资", p.planned_this_year),
                ("本年累计完成投资", p.completed_this_year),
            ):
                cell = p.cells.get(header)
                if value is None or value.kind == "none" or cell in self.flagged:
                    continue
                if value.kind == "error":
                    self.add("value-excel-error", cell, found=value.text)
                elif value.number is None or value.number < 0:
                    self.add("project-number-invalid", cell, found=value.text or format_number(value.number))
                else:
                    numbers[header] = value.number
            if p.state and p.state not in states:
                self.add(
                    "project-state-invalid", p.cells.get("状态"), found=p.state, expected="、".join(states)
                )
            planned, done = numbers.get("本年计划投资"), numbers.get("本年累计完成投资")
            if planned is not None and done is not None and planned > 0 and done > planned + 1e-9:
                self.add(
                    "project-over-plan",
                    p.cells.get("本年累计完成投资"),
                    found=format_number(done),
                    expected=format_number(planned),
                )
            for header, text in (
                ("项目名称", p.name),
                ("责任单位", p.unit),
                ("形象进度", p.image_progress),
                ("存在问题", p.problems),
            ):
                self.text(text, p.cells.get(header))

    def applications(self) -> None:
        states = [s.value for s in AppState]
        for app in self.sub.applications:
            if app.state and app.state not in states:
                self.add("app-state-invalid", app.state_cell, found=app.state, expected="、".join(states))
            for header, text in (("本期进展", app.progress), ("存在问题", app.problems)):
                self.text(text, app.cells.get(header))

    # --- text hygiene --------------------------------------------------------------------------
    def text(self, text: str, cell: str | None, indicator: str | None = None) -> None:
        if not text:
            return
        if len(text) > EXCEL_CELL_LIMIT // 2:  # shorter texts cannot be too long, even all in UTF-16 pairs
            length = excel_length(text)
            if length > EXCEL_CELL_LIMIT:
                self.add("text-too-long", cell, indicator, found=str(length), expected=str(EXCEL_CELL_LIMIT))
        if text.startswith(FORMULA_PREFIXES) and text.strip() not in NONE_MARKERS:
            self.add(
                "text-formula-like",
                cell,
                indicator,
                found=text[0].replace("\t", "制表符").replace("\r", "回车"),
            )


# ================================================================================================
# Comparisons
# ================================================================================================


#: Texts derived from the plan alone, kept between submissions: key -> (the plan, the texts).  The
#: plan is kept with its texts, so a key (which holds ``id(plan)``) can never be taken for another plan's.
_MEMO: dict[tuple[Any, ...], tuple[Plan, tuple[str, ...]]] = {}


def _plan_memo(plan: Plan, key: tuple[Any, ...], compute: Callable[[], tuple[str, ...]]) -> tuple[str, ...]:
    """``compute()`` for ``plan``, once per key."""
    full = (id(plan), *key)
    hit = _MEMO.get(full)
    if hit is not None and hit[0] is plan:
        return hit[1]
    if len(_MEMO) > 4096:  # many plans (tests): start over rather than grow
        _MEMO.clear()
    value = compute()
    _MEMO[full] = (plan, value)
    return value


def _plan_target_options(ind: Indicator, year: int) -> tuple[str, ...]:
    """The plan's texts for a target (the part's, labelled, the parent's), without adjustments."""
    options: list[str] = []
    if ind.is_part:
        try:
            part = target_for(ind, year)
            options.append(part.text)
            if ind.part_label:
                options.append(f"{ind.part_label}{part.text}")
        except PlanDataError:
            pass
    options.append(ind.target_text(year))
    return tuple(options)


def _name_options(ind: Indicator, plan: Plan) -> list[str]:
    options = [ind.name]
    if ind.is_part:
        options.append(ind.part_label)
        try:
            parent = plan.indicator(str(ind.number))
            options += [parent.name, f"{parent.name}（{ind.part_label}）", f"其中：{ind.part_label}"]
        except KeyError:
            pass
    return options


@lru_cache(maxsize=8192)
def _canon(text: str) -> str:
    text = "".join(normalise_text(str(text)).split())
    return text.replace("（", "(").replace("）", ")").replace("，", ",").replace("％", "%")


def _number(text: str) -> float | None:
    text = text.removesuffix("%").replace(",", "")
    try:
        return float(text)
    except ValueError:
        return None


def _same(found: str, expected: str) -> bool:
    """Whether a protected cell still shows ``expected`` (spacing, full width, 85 vs 85.0 aside)."""
    a, b = _canon(found), _canon(expected)
    if a == b:
        return True
    x, y = _number(a), _number(b)
    return x is not None and y is not None and abs(x - y) <= 1e-9 * max(1.0, abs(y))


def _declaration_fits(value: Value, ind: Indicator, target: Any) -> bool:
    """A declaration word (已完成, 推进中 …) is a valid value only for a target that is not a number."""
    if target is None or target.form == "none":
        return True
    if value.text == "全覆盖" and ind.unit in PERCENT_UNITS:
        return True
    return _qualitative(target)


def _qualitative(target: Any) -> bool:
    """A target the group declares against (全覆盖 of a head count, 开展试点)."""
    return target is not None and target.form == "qualitative" and not target.numeric


def _declares(note: str) -> bool:
    return any(word in note for word in DECLARATIONS)


# ================================================================================================
# Files (``qyx check``)
# ================================================================================================


def check_paths(
    paths: Iterable[str | Path],
    period: Period | str | None = None,
    *,
    plan: Plan | None = None,
    adjustments: dict[tuple[str, int], Adjustment] | None = None,
    rules: Rules | None = None,
    progress: Callable[[int, int], None] | None = None,
    keep_submissions: bool = True,
) -> list[FileResult]:
    """Read and check each file; an unreadable file gives a result with ``unreadable=True``.

    Every file is processed whatever happens to the others.  ``progress(done, total)`` is
    called after each file.  ``keep_submissions=False`` drops what was read once a file is
    checked, so memory stays flat however many files there are (``qyx check`` needs only findings).
    """
    import functools

    items: Sequence[str | Path] = list(paths)
    # the plan's own data, not a caller's: the worker (which loads its own) may check too
    own_data = plan is None and rules is None
    plan = plan or load_plan()
    rules = rules or load_rules()
    wanted = _as_period(period)
    results: list[FileResult] = []
    # Read in the worker process (memory and time limits: one file cannot take the run down).  When
    # only findings are wanted it checks them too and sends back just those.
    jobs = ((str(path), str(path), None) for path in items)
    after = (
        functools.partial(_checked_in_worker, period=wanted.code if wanted else None, adjustments=adjustments)
        if own_data and not keep_submissions
        else None
    )
    for done, (job, subs) in enumerate(shared().read_many(jobs, after), start=1):
        name = job[1]
        if isinstance(subs, UnreadableFile):
            finding = subs.finding or make("file-unreadable", file=name, detail=subs.message)
            results.append(FileResult(name, findings=[finding], unreadable=True))
        elif isinstance(subs, FileResult):
            results.append(subs)
        else:
            result = _file_result(name, subs, wanted, plan, adjustments, rules)
            if not keep_submissions:
                result.submissions = []
            results.append(result)
        if progress is not None:
            progress(done, len(items))
    return results


def _checked_in_worker(
    name: str,
    subs: list[Submission],
    *,
    period: str | None,
    adjustments: dict[tuple[str, int], Adjustment] | None,
) -> FileResult:
    """:func:`_file_result` with the plan's data, submissions dropped (run in the reading worker)."""
    result = _file_result(name, subs, _as_period(period), load_plan(), adjustments, load_rules())
    result.submissions = []
    return result


def _file_result(
    name: str,
    subs: list[Submission],
    period: Period | None,
    plan: Plan,
    adjustments: dict[tuple[str, int], Adjustment] | None,
    rules: Rules,
) -> FileResult:
    findings: list[Finding] = []
    expected = _group_in_name(name)
    for sub in subs:
        group_wanted = expected if sub.kind == "fill-in" and sub.group is not None else None
        findings.extend(
            check_submission(
                sub,
                period=period,
                expected_group=group_wanted,
                plan=plan,
                adjustments=adjustments,
                rules=rules,
            )
        )
    groups = {s.group for s in subs}
    group = subs[0].group if len(subs) == 1 or len(groups) == 1 else None
    own = next((s.period for s in subs if s.period), None)
    return FileResult(name, group=group, period=own, findings=findings, submissions=subs)


def _group_in_name(name: str) -> str | None:
    """The group a file's name claims (``2024-03_幼有善育.xlsx``), when it names exactly one."""
    stem = Path(name).stem
    named = [g for g in GROUPS if g in stem]
    return named[0] if len(named) == 1 else None


__all__ = ["FileResult", "Prior", "check_paths", "check_submission"]
