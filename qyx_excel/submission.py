"""What intake reads out of one group's sheet: the data checks and consolidation work on.

Produced by ``qyx_excel.intake`` from a fill-in file, a ledger sheet or an open workbook's cells;
checked by ``qyx_excel.checks``; merged by ``qyx_excel.consolidate``; archived by ``qyx_excel.store``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .findings import Finding
from .values import Value

#: Hidden (very hidden) sheet that carries a file's identity; key in column A, value in column B.
META_SHEET = "_meta"
META_TEMPLATE = "qyx-七优享台账"
META_KEYS = ("template", "template_version", "kind", "group", "period", "generated_at")


@dataclass
class IndicatorEntry:
    """One indicator row as the group filled it."""

    id: str
    row: int  # 1-based sheet row
    value: Value
    value_cell: str  # A1 address of 本期完成值
    data_source: str = ""
    note: str = ""  # 进展情况说明
    note_cell: str = ""
    shown: dict[str, str] = field(default_factory=dict)  # protected columns as found (名称, 目标 …)
    cells: dict[str, str] = field(default_factory=dict)  # header -> A1 address of this row's cell


@dataclass
class TaskEntry:
    """One key-task row as the group filled it. ``id`` is ``<domain no>-<task no>``."""

    id: str
    row: int
    progress: str = ""
    state: str = ""
    problems: str = ""
    next_steps: str = ""
    state_cell: str = ""
    progress_cell: str = ""
    shown: dict[str, str] = field(default_factory=dict)  # 重点任务, 牵头单位, 2027年目标 as found
    cells: dict[str, str] = field(default_factory=dict)  # header -> A1 address of this row's cell


@dataclass
class ProjectEntry:
    """One row of the 重大项目 sheet (investment in 万元)."""

    number: int
    row: int
    name: str
    unit: str = ""
    domain: str = ""
    total_investment: Value | None = None
    planned_this_year: Value | None = None
    completed_this_year: Value | None = None
    image_progress: str = ""
    planned_start: str = ""
    planned_finish: str = ""
    state: str = ""
    problems: str = ""
    cells: dict[str, str] = field(default_factory=dict)  # header -> A1 address of this row's cell


@dataclass
class ApplicationEntry:
    """One row of the 应用贯通 sheet."""

    number: int
    row: int
    name: str
    domain: str = ""
    unit: str = ""
    connects_to: str = ""
    state: str = ""
    progress: str = ""
    problems: str = ""
    state_cell: str = ""
    cells: dict[str, str] = field(default_factory=dict)  # header -> A1 address of this row's cell


@dataclass
class Submission:
    """One group's sheet for one period, read from a file or an open workbook."""

    source: str  # file path (or "workbook name" for an open book)
    sheet: str
    group: str | None  # from the meta sheet / sheet name
    period: str | None  # from the meta sheet or the header block
    template_version: str | None
    kind: str = "fill-in"  # "fill-in" | "ledger" | "workbook"
    sha256: str | None = None
    header: dict[str, str] = field(default_factory=dict)  # 填报单位 … 填报日期 as typed
    header_cells: dict[str, str] = field(default_factory=dict)
    indicators: dict[str, IndicatorEntry] = field(default_factory=dict)
    tasks: dict[str, TaskEntry] = field(default_factory=dict)
    projects: list[ProjectEntry] = field(default_factory=list)
    applications: list[ApplicationEntry] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # found while reading
    target_year: int | None = None  # the year whose targets the file shows (_meta target_year)

    @property
    def file_name(self) -> str:
        from pathlib import PurePath

        return PurePath(self.source).name

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
