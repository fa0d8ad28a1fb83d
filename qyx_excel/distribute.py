"""The month's fill-in files: one plain ``.xlsx`` per group, named ``P_组名.xlsx``.

Each file holds the group's sheet (same layout, validation and protection as in the ledger,
header block pre-filled, the period year's targets with the office's adjustments), the
使用说明 sheet and the very hidden ``_meta`` sheet (group, period, template version,
kind = fill-in).  No macros, no buttons.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .duedates import due_date
from .errors import UsageError
from .glossary import GROUPS
from .intake import read_adjustments
from .periods import FIRST_YEAR, LAST_YEAR, Period, as_period
from .plan import load_plan
from .workbook import (
    Formats,
    SheetOptions,
    meta_rows,
    new_workbook,
    verify_package,
    write_atomically,
    write_group_sheet,
    write_guide_sheet,
    write_meta_sheet,
)

if TYPE_CHECKING:
    from .plan import Plan
    from .targets import Adjustment

__all__ = ["distribute", "fill_in_name", "write_fill_in"]


def fill_in_name(period: Period | str, group: str) -> str:
    """File name of a group's fill-in file: ``2024-03_幼有善育.xlsx``."""
    code = as_period(period).code
    return f"{code}_{group}.xlsx"


def write_fill_in(
    path: Path,
    group: str,
    period: Period,
    *,
    plan: Plan,
    adjustments: dict[tuple[str, int], Adjustment] | None = None,
    password: str | None = None,
) -> None:
    """Write one group's fill-in file to ``path`` directly (see :func:`distribute`)."""

    due = due_date(period)
    due_text = due.text
    wb = new_workbook(path)
    wb.set_properties(
        {
            "title": f"{group}专项组 {period.label} 进度填报表",
            "author": "七优享工程专班办公室",
            "company": "瑞安市公共服务“七优享”工程工作专班",
        }
    )
    fmt = Formats(wb)
    opts = SheetOptions(
        year=period.year,
        kind="fill-in",
        period_label=period.label,
        adjustments=adjustments,
        password=password,
        due_text=due_text,
    )
    sheet, _ = write_group_sheet(wb, fmt, plan, group, opts)
    write_guide_sheet(
        wb,
        fmt,
        plan,
        kind="fill-in",
        group=group,
        period_label=period.label,
        password=password,
        due_text=due.text,
    )
    write_meta_sheet(
        wb, fmt, meta_rows("fill-in", group=group, period=period.code, year=period.year), password=password
    )
    sheet.activate()
    wb.close()


def distribute(
    period: Period | str,
    out_dir: Path,
    *,
    plan: Plan | None = None,
    ledger: Path | None = None,
    groups: tuple[str, ...] = GROUPS,
    password: str | None = None,
) -> list[Path]:
    """Write the fill-in files of ``period`` into ``out_dir``; return their paths in group order.

    With ``ledger``, the targets adjusted in its 指标库 (目标调整记录) replace the plan's.
    Each file is written atomically (see :func:`qyx_excel.safeio.atomic_write`).  Raises
    :class:`UsageError` for a period outside 2023–2027 or an unknown group,
    :class:`~qyx_excel.errors.PlanDataError` for an unusable adjustment row,
    :class:`~qyx_excel.errors.OutputLocked` when a file is open in Excel.
    """

    period = as_period(period)
    if not FIRST_YEAR <= period.year <= LAST_YEAR:
        raise UsageError(
            f"填报期“{period.code}”不在方案期（{FIRST_YEAR}—{LAST_YEAR}年）内，没有可下发的目标。"
        )
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        raise UsageError(f"没有这个专项组：{'、'.join(unknown)}（应为 {'、'.join(GROUPS)}）。")
    plan = plan or load_plan()
    if ledger is not None and not Path(ledger).is_file():
        raise UsageError(f"找不到台账文件：{ledger}")
    adjustments = read_adjustments(Path(ledger)) if ledger is not None else None
    out_dir = Path(out_dir)
    paths = []
    for group in groups:
        target = out_dir / fill_in_name(period, group)

        def write(tmp: Path, group: str = group) -> None:
            write_fill_in(tmp, group, period, plan=plan, adjustments=adjustments, password=password)

        paths.append(write_atomically(target, write, verify=verify_package))
    return paths
