"""What intake reads out of one group's sheet: the data checks and consolidation work on.

Produced by ``qyx_excel.intake`` from a fill-in file, a ledger sheet or an open workbook's cells;
checked by ``qyx_excel.checks``; merged by ``qyx_excel.consolidate``; archived by ``qyx_excel.store``.
"""

from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .findings import Finding
from .glossary import Status
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


@dataclass
class Prior:
    """What was accepted before a submission's period, from the history store; checks compare with it.

    ``values``: the previous period's accepted value per indicator id (``period`` is that
    period's code, e.g. ``2024-02``); ``cumulative``: per cumulative indicator, the last accepted
    running total and the period it was reported for; ``year_end``: last year's accepted
    year-end values (where this year's path starts, see ``targets.evaluate``).
    """

    period: str | None = None
    values: dict[str, float] = field(default_factory=dict)
    cumulative: dict[str, tuple[float, str]] = field(default_factory=dict)
    year_end: dict[str, float] = field(default_factory=dict)


# ================================================================================================
# The JSON codec: a submission as plain JSON data (archived for an open workbook, stored per row)
# ================================================================================================
#: Canonical JSON text (keys sorted, anything else as its ``str``): stored columns and content hashes.
#: One encoder, built once (``json.dumps`` with options builds a new encoder per call).
canonical_json = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str).encode


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def fields_json(obj: Any) -> dict[str, Any]:
    """``dataclasses.asdict`` for our record types, without its deep copy: dicts and lists one level
    deep are copied, values turn into JSON data, any other nested record goes through ``asdict``."""
    data = {}
    kind: type = type(obj)
    for name in _field_names(kind):
        value = getattr(obj, name)
        if isinstance(value, Value):
            value = _value_json(value)
        elif isinstance(value, dict):
            value = {k: _plain(v) for k, v in value.items()}
        elif isinstance(value, (list, tuple)):
            value = type(value)(_plain(v) for v in value)
        elif hasattr(type(value), "__dataclass_fields__"):
            value = asdict(value)
        data[name] = value
    return data


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, float, type(None))):
        return value
    if isinstance(value, Finding):
        return finding_json(value)
    return asdict(value) if hasattr(type(value), "__dataclass_fields__") else value


def finding_json(f: Finding) -> dict[str, Any]:
    """``Finding.to_dict`` (a flat record) without ``asdict``'s deep copy."""
    return {name: getattr(f, name) for name in _field_names(Finding)}


def _value_json(value: Value | None) -> dict[str, Any] | None:
    if value is None:
        return None
    data = {name: getattr(value, name) for name in _field_names(Value)}
    data["declared"] = value.declared.value if value.declared else None
    return data


def _value_from_json(data: dict[str, Any] | None) -> Value | None:
    if data is None:
        return None
    declared = data.get("declared")
    return Value(
        data.get("kind", "none"),
        number=data.get("number"),
        text=data.get("text", ""),
        declared=Status(declared) if declared else None,
        percent_sign=bool(data.get("percent_sign", False)),
    )


_PROJECT_VALUES = ("total_investment", "planned_this_year", "completed_this_year")


def _entry_json(p: ProjectEntry) -> dict[str, Any]:
    return fields_json(p)  # its Value fields become JSON data there


def project_from_json(data: dict[str, Any]) -> ProjectEntry:
    data = dict(data)
    for key in _PROJECT_VALUES:
        data[key] = _value_from_json(data.get(key))
    return build_record(ProjectEntry, data)


def _indicator_json(e: IndicatorEntry) -> dict[str, Any]:
    return fields_json(e)


def indicator_from_json(data: dict[str, Any]) -> IndicatorEntry:
    return build_record(
        IndicatorEntry, {**data, "value": _value_from_json(data.get("value")) or Value("none")}
    )


def build_record(cls: type, data: dict[str, Any]) -> Any:
    """``cls(**data)`` ignoring keys the dataclass does not (or no longer) have."""
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


def submission_to_json(sub: Submission) -> dict[str, Any]:
    """A :class:`Submission` as plain JSON data (enums as their words)."""
    data: dict[str, Any] = {
        "source": sub.source,
        "sheet": sub.sheet,
        "group": sub.group,
        "period": sub.period,
        "template_version": sub.template_version,
        "kind": sub.kind,
        "sha256": sub.sha256,
        "header": dict(sub.header),
        "header_cells": dict(sub.header_cells),
        "indicators": {k: _indicator_json(e) for k, e in sub.indicators.items()},
        "tasks": {k: fields_json(t) for k, t in sub.tasks.items()},
        "projects": [_entry_json(p) for p in sub.projects],
        "applications": [fields_json(a) for a in sub.applications],
        "findings": [finding_json(f) for f in sub.findings],
    }
    if sub.target_year is not None:  # only when known, so older archives keep their hashes
        data["target_year"] = sub.target_year
    return data


def submission_from_json(data: dict[str, Any]) -> Submission:
    """The inverse of :func:`submission_to_json`."""
    return Submission(
        source=data["source"],
        sheet=data["sheet"],
        group=data.get("group"),
        period=data.get("period"),
        template_version=data.get("template_version"),
        kind=data.get("kind", "fill-in"),
        sha256=data.get("sha256"),
        header=dict(data.get("header", {})),
        header_cells=dict(data.get("header_cells", {})),
        indicators={k: indicator_from_json(e) for k, e in data.get("indicators", {}).items()},
        tasks={k: build_record(TaskEntry, t) for k, t in data.get("tasks", {}).items()},
        projects=[project_from_json(p) for p in data.get("projects", [])],
        applications=[build_record(ApplicationEntry, a) for a in data.get("applications", [])],
        findings=[Finding(**f) for f in data.get("findings", [])],
        target_year=data.get("target_year"),
    )
