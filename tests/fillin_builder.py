"""A small, independent builder of contract-following fill-in files (openpyxl), for intake tests.

It follows docs/contracts.md, Group sheets (header block, very hidden ``_meta``, indicator and task
tables) without using the project's own workbook builder, so intake is tested against the
contract rather than against one implementation.  Defaults give a clean file: every reported
indicator at this year's target, every task 序时推进 with a progress note.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from qyx_excel import TEMPLATE_VERSION
from qyx_excel.glossary import (
    APPLICATION_GROUP,
    APPLICATION_HEADERS,
    HEADER_BLOCK,
    INDICATOR_HEADERS,
    PROJECT_GROUP,
    PROJECT_HEADERS,
    TASK_HEADERS,
)
from qyx_excel.periods import parse_period
from qyx_excel.plan import load_plan
from qyx_excel.submission import META_SHEET, META_TEMPLATE
from qyx_excel.targets import target_for

HEADER_ROW = 6  # indicator / application / project table header (as layout.py puts it)

DEFAULT_HEADER: dict[str, Any] = {
    "填报单位": "市卫生健康局",
    "填报人": "张三",
    "联系电话": "0577-65812345",
    "填报日期": date(2024, 4, 3),
}


def clean_value(ind: Any, year: int) -> Any:
    """A value that meets this year's target (or declares it met)."""
    target = target_for(ind, year)
    if target.form == "none":
        return "—"
    if target.value is None:
        return "已完成"
    if target.op == ">":
        return target.value + 1
    if target.op == "<":
        return target.value - 0.5
    return target.value


def shown_target(ind: Any, year: int) -> str:
    return target_for(ind, year).text if ind.is_part else ind.target_text(year)


def build_fillin(
    path: Path,
    group: str = "幼有善育",
    period: str = "2024-03",
    *,
    values: dict[str, Any] | None = None,
    notes: dict[str, str] | None = None,
    sources: dict[str, str] | None = None,
    tasks: dict[int, dict[str, Any]] | None = None,
    header: dict[str, Any] | None = None,
    meta: dict[str, Any] | bool = True,
    projects: list[dict[str, Any]] | None = None,
    applications: dict[int, dict[str, Any]] | None = None,
    date1904: bool = False,
    edit: Callable[[Any], None] | None = None,
) -> Path:
    """Write a fill-in file for ``group`` and ``period``; ``edit(ws)`` may change it before saving.

    ``meta``: True for the standard ``_meta``, a dict to override keys, False for none.
    """
    plan = load_plan()
    year = parse_period(period).year
    wb = openpyxl.Workbook()
    if date1904:
        wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.title = group
    ws["A1"] = f"瑞安市公共服务“七优享”工程 {group}专项组 进度填报表"
    head = dict(DEFAULT_HEADER)
    head["填报期"] = parse_period(period).label
    head.update(header or {})
    spots = {"填报单位": (2, 2), "填报期": (2, 6), "填报日期": (2, 8), "填报人": (3, 2), "联系电话": (3, 6)}
    for label in HEADER_BLOCK:
        r, c = spots[label]
        ws.cell(r, c, label)
        ws.cell(r, c + 1, head.get(label))
    ws["A4"] = "说明：请在浅黄色单元格中填写。"
    if group == APPLICATION_GROUP:
        _applications(ws, plan, applications or {})
    elif group == PROJECT_GROUP:
        _projects(ws, projects if projects is not None else [{}])
    else:
        _domain(ws, plan, group, year, values or {}, notes or {}, sources or {}, tasks or {})
    if meta is not False:
        m = wb.create_sheet(META_SHEET)
        rows = {
            "template": META_TEMPLATE,
            "template_version": TEMPLATE_VERSION,
            "kind": "fill-in",
            "group": group,
            "period": period,
            "generated_at": "2024-04-01T09:00:00",
        }
        if isinstance(meta, dict):
            rows.update(meta)
        for i, (key, value) in enumerate(rows.items(), start=1):
            m.cell(i, 1, key)
            m.cell(i, 2, value)
        m.sheet_state = "veryHidden"
    if edit is not None:
        edit(ws)
    wb.save(path)
    return path


def indicator_rows(group: str) -> dict[str, int]:
    """1-based sheet row of each indicator id (parents included) in a built file."""
    plan = load_plan()
    return {ind.id: HEADER_ROW + 1 + i for i, ind in enumerate(plan.indicators_of(group))}


def task_rows(group: str) -> dict[str, int]:
    plan = load_plan()
    start = HEADER_ROW + len(plan.indicators_of(group)) + 4
    return {t.id: start + i for i, t in enumerate(plan.tasks_of(group))}


def _domain(
    ws: Any,
    plan: Any,
    group: str,
    year: int,
    values: dict[str, Any],
    notes: dict[str, str],
    sources: dict[str, str],
    tasks: dict[int, dict[str, Any]],
) -> None:
    ws.cell(HEADER_ROW - 1, 1, "一、主要指标完成情况")
    for c, h in enumerate(INDICATOR_HEADERS, start=1):
        ws.cell(HEADER_ROW, c, h)
    r = HEADER_ROW
    for ind in plan.indicators_of(group):
        r += 1
        base = ind.target_text(2022)
        try:
            base_cell: Any = float(base)
        except ValueError:
            base_cell = base
        row = [ind.id, ind.name, ind.unit, base_cell, shown_target(ind, year), shown_target(ind, 2027)]
        for c, v in enumerate(row, start=1):
            ws.cell(r, c, v)
        if ind.reported:
            ws.cell(r, 7, values.get(ind.id, clean_value(ind, year)))
            ws.cell(r, 8, sources.get(ind.id, "部门统计"))
            ws.cell(r, 9, notes.get(ind.id))
    r += 2
    ws.cell(r, 1, "二、重点任务推进情况")
    r += 1
    for c, h in enumerate(TASK_HEADERS, start=1):
        ws.cell(r, c, h)
    for task in plan.tasks_of(group):
        r += 1
        filled = {"本期进展": "按计划推进", "完成情况": "序时推进", "存在问题": None, "下步计划": "继续推进"}
        filled.update(tasks.get(task.number, {}))
        row = [
            task.number,
            task.title,
            task.lead_unit,
            task.target_2027,
            filled["本期进展"],
            filled["完成情况"],
            filled["存在问题"],
            filled["下步计划"],
        ]
        for c, v in enumerate(row, start=1):
            ws.cell(r, c, v)


def _applications(ws: Any, plan: Any, overrides: dict[int, dict[str, Any]]) -> None:
    ws.cell(HEADER_ROW - 1, 1, "数字化应用贯通情况")
    for c, h in enumerate(APPLICATION_HEADERS, start=1):
        ws.cell(HEADER_ROW, c, h)
    for i, app in enumerate(plan.applications, start=1):
        filled = {"贯通状态": "对接中", "本期进展": "完成接口联调", "存在问题": None}
        filled.update(overrides.get(app.number, {}))
        row = [
            app.number,
            app.name,
            app.domain,
            app.responsible_unit,
            app.connects_to,
            filled["贯通状态"],
            filled["本期进展"],
            filled["存在问题"],
        ]
        for c, v in enumerate(row, start=1):
            ws.cell(HEADER_ROW + i, c, v)


DEFAULT_PROJECT: dict[str, Any] = {
    "项目名称": "瑞安市妇幼保健院迁建工程",
    "责任单位": "市卫生健康局",
    "所属领域": "幼有善育",
    "总投资": 52000,
    "本年计划投资": 8000,
    "本年累计完成投资": 2100,
    "形象进度": "主体结构施工",
    "计划开工": "2023-06",
    "计划竣工": "2026-12",
    "状态": "在建",
    "存在问题": None,
}


def _projects(ws: Any, projects: list[dict[str, Any]]) -> None:
    ws.cell(HEADER_ROW - 1, 1, "重大项目推进情况（投资单位：万元）")
    for c, h in enumerate(PROJECT_HEADERS, start=1):
        ws.cell(HEADER_ROW, c, h)
    for n in range(1, 11):  # numbered rows, the first ones filled
        ws.cell(HEADER_ROW + n, 1, n)
    for n, overrides in enumerate(projects, start=1):
        filled = dict(DEFAULT_PROJECT)
        filled.update(overrides)
        for c, h in enumerate(PROJECT_HEADERS[1:], start=2):
            ws.cell(HEADER_ROW + n, c, filled[h])


def patch_xml(path: Path, old: bytes, new: bytes, *, member_prefix: str = "xl/worksheets/") -> Path:
    """Replace bytes inside the workbook's XML parts (what openpyxl cannot write: control
    characters, cached formula values, over-long text)."""
    import zipfile

    with zipfile.ZipFile(path) as zin:
        items = [(info, zin.read(info.filename)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in items:
            if info.filename.startswith(member_prefix):
                data = data.replace(old, new)
            zout.writestr(info, data)
    return path


# --- the same files, starting from the project's own fill-in builder (distribute) ---------------

_DISTRIBUTED: dict[tuple[str, str], Path] = {}
_FOLDER: list[Path] = []  # the one folder of this session's distributed files, removed at exit


def _distributed_folder() -> Path:
    if not _FOLDER or not _FOLDER[0].exists():
        _FOLDER[:] = [Path(tempfile.mkdtemp(prefix="qyx-distributed-"))]
        atexit.register(shutil.rmtree, _FOLDER[0], ignore_errors=True)
    return _FOLDER[0]


def distributed(group: str, period: str) -> Path:
    """The fill-in file ``distribute`` writes for ``group`` and ``period`` (built once per session)."""
    from qyx_excel.distribute import distribute

    key = (group, period)
    if key not in _DISTRIBUTED or not _DISTRIBUTED[key].exists():
        out = _distributed_folder() / f"{period}_{group}"
        out.mkdir(exist_ok=True)
        [path] = distribute(period, out, groups=(group,))
        _DISTRIBUTED[key] = path
    return _DISTRIBUTED[key]


def _rows_by_key(ws: Any, first: int, col: int = 1) -> dict[str, int]:
    rows: dict[str, int] = {}
    for r in range(first, ws.max_row + 1):
        key = ws.cell(r, col).value
        if key not in (None, ""):
            rows.setdefault(str(key).strip(), r)
    return rows


def fill_distributed(
    path: Path,
    group: str = "幼有善育",
    period: str = "2024-03",
    *,
    values: dict[str, Any] | None = None,
    notes: dict[str, str] | None = None,
    sources: dict[str, str] | None = None,
    tasks: dict[int, dict[str, Any]] | None = None,
    header: dict[str, Any] | None = None,
    meta: dict[str, Any] | bool = True,
    projects: list[dict[str, Any]] | None = None,
    applications: dict[int, dict[str, Any]] | None = None,
    date1904: bool = False,
    edit: Callable[[Any], None] | None = None,
) -> Path:
    """Like :func:`build_fillin` (same arguments), but fills in what ``distribute`` wrote, the way a
    liaison would: only the input cells (found by the header text and 序号), saved with openpyxl."""
    plan = load_plan()
    year = parse_period(period).year
    wb = openpyxl.load_workbook(distributed(group, period))
    if date1904:
        wb.epoch = CALENDAR_MAC_1904
    ws = wb[group]
    head = {k: v for k, v in DEFAULT_HEADER.items() if k != "填报单位"}
    head.update(header or {})
    labels = {ws.cell(r, c).value: (r, c) for r in range(1, 5) for c in range(1, ws.max_column + 1)}
    for label, value in head.items():
        r, c = labels[label]
        target = ws.cell(r, c + 1)
        target.value = value
    header_row = next(r for r in range(1, 10) if ws.cell(r, 1).value == "序号")
    heads = {ws.cell(header_row, c).value: c for c in range(1, ws.max_column + 1)}
    if group == APPLICATION_GROUP:
        rows = _rows_by_key(ws, header_row + 1)
        for app in plan.applications:
            filled = {"贯通状态": "对接中", "本期进展": "完成接口联调", "存在问题": None}
            filled.update((applications or {}).get(app.number, {}))
            for h, v in filled.items():
                ws.cell(rows[str(app.number)], heads[h], v)
    elif group == PROJECT_GROUP:
        for n, overrides in enumerate(projects if projects is not None else [{}], start=1):
            filled = dict(DEFAULT_PROJECT)
            filled.update(overrides)
            for h, v in filled.items():
                ws.cell(header_row + n, heads[h], v)
    else:
        rows = _rows_by_key(ws, header_row + 1)
        for ind in plan.indicators_of(group):
            if not ind.reported:
                continue
            r = rows[ind.id]
            ws.cell(r, heads["本期完成值"], (values or {}).get(ind.id, clean_value(ind, year)))
            ws.cell(r, heads["数据来源"], (sources or {}).get(ind.id, "部门统计"))
            ws.cell(r, heads["进展情况说明"], (notes or {}).get(ind.id))
        task_header = next(
            r for r in range(header_row + 1, ws.max_row + 1) if ws.cell(r, 2).value == "重点任务"
        )
        theads = {ws.cell(task_header, c).value: c for c in range(1, ws.max_column + 1)}
        for i, task in enumerate(plan.tasks_of(group), start=1):
            filled = {
                "本期进展": "按计划推进",
                "完成情况": "序时推进",
                "存在问题": None,
                "下步计划": "继续推进",
            }
            filled.update((tasks or {}).get(task.number, {}))
            for h, v in filled.items():
                ws.cell(task_header + i, theads[h], v)
    if meta is False:
        del wb[META_SHEET]
    elif isinstance(meta, dict):
        m = wb[META_SHEET]
        keys = {m.cell(r, 1).value: r for r in range(1, m.max_row + 1)}
        for key, value in meta.items():
            m.cell(keys[key], 2, value)
    if edit is not None:
        edit(ws)
    wb.save(path)
    return path
