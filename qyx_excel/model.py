"""The consolidated period: what 汇总 produces and what the notice, tables, buttons and export read.

Plain dataclasses with ``to_json``; JSON keys are English and stable (README.md 命令行, docs/export-schema.md): the period's
:class:`Consolidation`, what became of each received file (:class:`Outcome`, with its status words)
and the two together (:class:`ConsolidationResult`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .findings import FileReport, Finding, Report, finding_counts
from .glossary import STATUS_ORDER, Status
from .plan import Indicator
from .submission import fields_json, finding_json
from .targets import Evaluation, shown_target_text


def _round(x: float | None, digits: int) -> float | None:
    return None if x is None else round(x, digits)


@dataclass
class IndicatorRow:
    """One indicator (or part) judged for the period: a line of 汇总."""

    id: str
    domain: str
    name: str
    unit: str
    responsible_unit: str
    kind: str
    direction: str
    group: str
    status: Status
    value: float | None = None
    value_text: str = ""
    target: float | None = None
    target_text: str = ""
    original_target_text: str | None = None  # set when the office adjusted this year's target
    expected: float | None = None
    completion: float | None = None  # 完成率, %
    previous_value: float | None = None
    change: float | None = None  # value - previous_value
    reason: str = ""
    note: str = ""  # 进展情况说明, the group's own words
    data_source: str = ""  # 数据来源 as typed by the group
    source_file: str | None = None
    source_cell: str | None = None  # e.g. "幼有善育!G12"
    target_2027: str = ""
    next_year_target: str = ""

    @property
    def adjusted(self) -> bool:
        return self.original_target_text is not None

    @classmethod
    def judged(
        cls,
        indicator: Indicator,
        evaluation: Evaluation,
        *,
        group: str | None = None,
        previous_value: float | None = None,
        **found: Any,
    ) -> IndicatorRow:
        """A line of 汇总 from the plan's indicator and its evaluation for the period.

        ``found`` carries what the group's submission adds: note, data_source, source_file, source_cell.
        """
        ev = evaluation
        year = int(ev.period[:4])
        return cls(
            id=indicator.id,
            domain=indicator.domain,
            name=indicator.name,
            unit=indicator.unit,
            responsible_unit=indicator.responsible_unit,
            kind=indicator.kind.value,
            direction=indicator.direction.value,
            group=group or indicator.domain,
            status=ev.status,
            value=ev.value,
            value_text=ev.value_text,
            target=ev.target,
            target_text=ev.target_text,
            original_target_text=ev.original_target_text,
            expected=_round(ev.expected, 4),
            completion=_round(ev.completion, 2),
            previous_value=previous_value,
            change=_round(ev.value - previous_value, 4)
            if ev.value is not None and previous_value is not None
            else None,
            reason=ev.reason,
            target_2027=shown_target_text(indicator, 2027),  # a part's own share, not the pair
            next_year_target=shown_target_text(indicator, year + 1),
            **found,
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        return data


@dataclass
class TaskRow:
    """A key task's progress as the group reported it."""

    id: str
    domain: str
    number: int
    title: str
    lead_unit: str
    target_2027: str = ""
    progress: str = ""  # 本期进展
    state: str | None = None  # 完成情况: 已完成 / 序时推进 / 滞后 / 未启动, None when not reported
    problems: str = ""  # 存在问题
    next_steps: str = ""  # 下步计划
    source_file: str | None = None
    source_cell: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ProjectRow:
    """A major project (重大项目 sheet), judged against this year's investment plan."""

    number: int
    name: str
    unit: str
    domain: str = ""
    total_investment: float | None = None  # 万元
    planned_this_year: float | None = None
    completed_this_year: float | None = None
    expected_this_year: float | None = None  # planned × months elapsed / 12
    completion: float | None = None  # completed / planned, %
    image_progress: str = ""  # 形象进度
    planned_start: str = ""
    planned_finish: str = ""
    state: str = ""  # 未开工 / 在建 / 已竣工 / 停缓建
    problems: str = ""
    behind: bool = False  # behind the time-elapsed path or not started though due
    source_file: str | None = None
    source_cell: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ApplicationRow:
    """A digital application's interconnection status (应用贯通 sheet)."""

    number: int
    name: str
    domain: str = ""
    unit: str = ""
    connects_to: str = ""
    state: str = ""
    progress: str = ""
    problems: str = ""
    source_file: str | None = None
    source_cell: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class GroupStatus:
    """Whether a group reported for the period, and how its submission fared."""

    group: str
    submitted: bool = False
    accepted: bool = False
    errors: int = 0
    warnings: int = 0
    file: str | None = None
    received_at: str | None = None
    late: bool = False
    superseded: list[str] = field(default_factory=list)
    liaison: str = ""
    reminder: str = ""  # ready-to-send reminder text when not reported or refused
    due: str = ""  # the period's due date (ISO), moved onto a working day
    filled_on: str = ""  # the form's own 填报日期 as read (the arrival time is received_at)
    backfill: bool = False  # a back-filled period (补录): arriving after the due date is not 逾期

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RankEntry:
    """One line of 晾晒: a domain, a responsible unit or a group, scored and ranked."""

    dimension: str  # "domain" | "unit" | "group"
    name: str
    counts: dict[str, int]
    score: float | None
    rank: int | None
    previous_rank: int | None = None
    rank_change: int | None = None  # positive = moved up

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Consolidation:
    """A consolidated period: everything the notice, the tables and the export need."""

    period: str
    label: str  # 2024年3月 / 2024年第一季度 / 2024年度
    kind: str  # month / quarter / year
    generated_at: str
    indicators: list[IndicatorRow]
    tasks: list[TaskRow] = field(default_factory=list)
    projects: list[ProjectRow] = field(default_factory=list)
    applications: list[ApplicationRow] = field(default_factory=list)
    groups: list[GroupStatus] = field(default_factory=list)
    ranking: list[RankEntry] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    previous_counts: dict[str, int] | None = None  # status counts of the previous period, if any
    previous_period: str | None = None

    def status_counts(self, domain: str | None = None) -> dict[str, int]:
        """Counts per status word, in the fixed order, over judged indicator rows."""
        counter = Counter(r.status.value for r in self.indicators if domain is None or r.domain == domain)
        return {s.value: counter.get(s.value, 0) for s in STATUS_ORDER}

    def rows_of(self, domain: str) -> list[IndicatorRow]:
        return [r for r in self.indicators if r.domain == domain]

    def ranking_of(self, dimension: str) -> list[RankEntry]:
        return sorted(
            (r for r in self.ranking if r.dimension == dimension), key=lambda r: (r.rank or 10**6, r.name)
        )

    @property
    def missing_groups(self) -> list[GroupStatus]:
        return [g for g in self.groups if not g.submitted]

    @property
    def refused_groups(self) -> list[GroupStatus]:
        return [g for g in self.groups if g.submitted and not g.accepted]

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "label": self.label,
            "kind": self.kind,
            "generated_at": self.generated_at,
            "counts": self.status_counts(),
            "previous_period": self.previous_period,
            "previous_counts": self.previous_counts,
            "indicators": [r.to_json() for r in self.indicators],
            "tasks": [t.to_json() for t in self.tasks],
            "projects": [p.to_json() for p in self.projects],
            "applications": [a.to_json() for a in self.applications],
            "groups": [g.to_json() for g in self.groups],
            "ranking": [r.to_json() for r in self.ranking],
            "findings": [f.to_dict() for f in self.findings],
        }


def consolidation_from_json(data: dict[str, Any]) -> Consolidation:
    """Rebuild a :class:`Consolidation` from ``to_json`` output (store, export, tests)."""
    return Consolidation(
        period=data["period"],
        label=data["label"],
        kind=data["kind"],
        generated_at=data["generated_at"],
        indicators=[IndicatorRow(**{**r, "status": Status(r["status"])}) for r in data["indicators"]],
        tasks=[TaskRow(**t) for t in data.get("tasks", [])],
        projects=[ProjectRow(**p) for p in data.get("projects", [])],
        applications=[ApplicationRow(**a) for a in data.get("applications", [])],
        groups=[GroupStatus(**g) for g in data.get("groups", [])],
        ranking=[RankEntry(**r) for r in data.get("ranking", [])],
        findings=[Finding(**f) for f in data.get("findings", [])],
        previous_counts=data.get("previous_counts"),
        previous_period=data.get("previous_period"),
    )


# ================================================================================================
# What became of the files received in a run
# ================================================================================================

# Outcome statuses, as recorded when a file is received (receive.py) ...
ACCEPTED = "accepted"
REFUSED = "refused"
DUPLICATE = "duplicate"  # same content as a submission already recorded for the group and period
IGNORED = "ignored"  # a ledger sheet left empty, or holding another period's data
UNREADABLE = "unreadable"  # the file as a whole could not be read
#: ... an inbox entry that was not read (a subfolder, a link, a hidden or ~$ file) ...
SKIPPED = "skipped"
#: ... and as a consolidation sees them (consolidate.py): a file that belongs to another period
#: (recorded there, not used here) ...
OTHER_PERIOD = "other-period"
#: ... an accepted submission replaced by a later one of the same group.
SUPERSEDED = "superseded"
#: The statuses of a file judged for the period in this run (the files part of ``complete``).
JUDGED = (ACCEPTED, REFUSED, UNREADABLE)


@dataclass
class Outcome:
    """What became of one sheet (or of the whole file, ``sheet == ""``) when it was received."""

    file_name: str
    sha256: str
    sheet: str
    status: str  # accepted / refused / duplicate / ignored / unreadable
    group: str | None = None
    period: str | None = None
    submission_id: int | None = None
    received_at: str | None = None
    findings: list[Finding] = field(default_factory=list)
    note: str = ""  # why a sheet was ignored, in Chinese

    @property
    def file_report(self) -> FileReport:
        """This outcome as a file report: the file (› sheet), its group, period and findings."""
        name = f"{self.file_name} › {self.sheet}" if self.sheet else self.file_name
        return FileReport(
            name,
            group=self.group,
            period=self.period,
            findings=list(self.findings),
            unreadable=self.status == UNREADABLE,
        )

    @property
    def errors(self) -> int:
        return finding_counts(self.findings)["errors"]

    @property
    def warnings(self) -> int:
        return finding_counts(self.findings)["warnings"]

    def to_json(self) -> dict[str, Any]:
        data = fields_json(self)
        data["findings"] = [finding_json(f) for f in self.findings]
        data["errors"] = self.errors
        data["warnings"] = self.warnings
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outcome:
        data = {k: v for k, v in data.items() if k not in ("errors", "warnings")}
        data["findings"] = [Finding(**f) for f in data.get("findings", [])]
        return cls(**data)


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
    def report(self) -> Report:
        """This run's files judged for the period (accepted, refused, unreadable), one file report each.

        Outcomes that are not judged in this run (a duplicate, another period's file, one since
        superseded, an ignored sheet, a skipped inbox item) are left out: their findings were
        judged when they were received.  A refused or unreadable outcome holds an error finding
        (that is why it was refused), so ``report.valid`` is ``not refused_files``.
        """
        return Report([r.file_report for r in self.reports if r.status in JUDGED])

    @property
    def complete(self) -> bool:
        """The month is complete: every group reported, none is refused, and this run's files are valid."""
        return not self.refused and not self.missing and self.report.valid

    @property
    def ok(self) -> bool:
        """The answer ``qyx consolidate`` gives (exit code 0 or 1, JSON ``ok``): :attr:`complete`."""
        return self.complete

    def summary_text(self) -> str:
        """A few Chinese lines for the command line and the button's result cell."""
        c = self.consolidation
        counts = "、".join(f"{k} {v} 项" for k, v in c.status_counts().items() if v)
        lines = [f"{c.label}汇总完成：指标 {len(c.indicators)} 项（{counts}）。"]
        accepted = [g.group for g in c.groups if g.accepted]
        lines.append(
            f"已受理 {len(accepted)} 个专项组" + (f"：{'、'.join(accepted)}。" if accepted else "。")
        )
        if self.refused:
            lines.append(f"被退回 {len(self.refused)} 个：{'、'.join(self.refused)}（详见“校验结果”）。")
        if self.missing:
            lines.append(f"未报送 {len(self.missing)} 个：{'、'.join(self.missing)}。")
        bad = [r for r in self.refused_files if r.group not in self.refused]
        if bad:
            lines.append(
                f"另有 {len(bad)} 个文件未通过校验：{'、'.join(sorted({r.file_name for r in bad}))}。"
            )
        skipped = [r.file_name for r in self.reports if r.status == SKIPPED]
        if skipped:
            lines.append(f"收件箱中另有 {len(skipped)} 项未读取：{'、'.join(skipped)}（原因见“校验结果”）。")
        if self.written:
            lines.append("已写入：" + "、".join(str(p) for p in self.written))
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        # The consolidation's own keys (period, indicators, groups, ranking …) sit at the top level:
        # they are the contract other programs read (docs/export-schema.md).
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
