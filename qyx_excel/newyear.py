"""Next year's ledger from this year's (``qyx new-year``).

A ledger shows one year's targets (``_meta`` ``target_year``). Each January the office makes the
new year's ledger from the old one; what the office set in the old one carries over:

* the 目标调整记录 rows of 指标库 (the latest adjustment per indicator and year, every year);
* 汇总!F2, the inbox folder; the xlwings.conf sheet (Python interpreter) when there is one;
* the sheet password: the old ledger keeps only its hash, so the password is given again
  (``--password``) and checked against the old ledger's before it is used;
* the history store and the inbox: the new ledger is written into the old ledger's folder, so it
  finds the same ``历史库`` (last year's year-end values) and the same relative inbox.

Liaisons and the plan's targets come from the plan data (``data/groups.csv`` …) and need no carrying.
After the plan's last year (2027) there is no next ledger: a clear refusal.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .cells import split_base1
from .errors import UsageError
from .intake import meta_year, read_adjustments
from .layout import ADJUSTMENT_ROWS, SUMMARY_INBOX_CELL, SUMMARY_INBOX_DEFAULT
from .periods import LAST_YEAR
from .submission import META_SHEET
from .workbook import SHEET_SUMMARY, XLWINGS_CONF_SHEET, Carried, build_workbook

_PROTECTION = re.compile(rb'<sheetProtection\b[^>]*\bpassword="([0-9A-Fa-f]{1,4})"')


@dataclass(frozen=True)
class OldLedger:
    """What ``new-year`` reads from the previous ledger."""

    path: Path
    year: int | None
    carried: Carried
    password_hashes: frozenset[str]  # the legacy sheet-protection hashes found (none: unprotected)


def _sheet_rows(wb, name: str) -> list[list]:
    try:
        return wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception:
        return []


def read_old_ledger(path: Path) -> OldLedger:
    """Read the year, the carried settings and the password hashes of a ledger (UsageError if unusable)."""
    from python_calamine import CalamineWorkbook

    path = Path(path)
    if not path.is_file():
        raise UsageError(f"找不到旧台账文件：{path}")
    try:
        wb = CalamineWorkbook.from_path(str(path))
        names = set(wb.sheet_names)
    except Exception as exc:
        raise UsageError(
            f"旧台账“{path.name}”无法读取（{exc}），请确认它是本工具生成的台账 .xlsm。"
        ) from None
    if META_SHEET not in names or SHEET_SUMMARY not in names:
        raise UsageError(
            f"“{path.name}”不是“七优享”台账（缺少标识表或“{SHEET_SUMMARY}”表），请指定旧年度的台账 .xlsm。"
        )
    meta = {
        str(r[0]).strip(): "" if r[1] is None else str(r[1]).strip()
        for r in _sheet_rows(wb, META_SHEET)
        if len(r) >= 2 and r[0]
    }
    if meta.get("kind") != "ledger":
        raise UsageError(f"“{path.name}”是填报表，不是台账；请指定旧年度的台账 .xlsm。")
    rows = _sheet_rows(wb, SHEET_SUMMARY)
    r, c = split_base1(SUMMARY_INBOX_CELL)
    inbox = (
        str(rows[r - 1][c - 1]).strip()
        if len(rows) >= r and len(rows[r - 1]) >= c and rows[r - 1][c - 1]
        else ""
    )
    conf = tuple(
        (str(row[0]).strip(), str(row[1]).strip())
        for row in _sheet_rows(wb, XLWINGS_CONF_SHEET)
        if len(row) >= 2 and row[0] and row[1] not in (None, "")
    )
    adjustments = tuple(
        sorted(read_adjustments(path).values(), key=lambda a: (a.year, a.date, _id_key(a.indicator_id)))
    )
    with zipfile.ZipFile(path) as z:
        hashes = frozenset(
            m.group(1).decode().upper()
            for n in z.namelist()
            if n.startswith("xl/worksheets/sheet")
            for m in [_PROTECTION.search(z.read(n))]
            if m
        )
    return OldLedger(
        path, meta_year(meta), Carried(adjustments, inbox or SUMMARY_INBOX_DEFAULT, conf), hashes
    )


def _id_key(indicator_id: str) -> tuple[int, ...]:
    return tuple(int(p) for p in indicator_id.split("-") if p.isdigit())


def new_year(
    old: Path, out: Path, *, password: str | None = None, year: int | None = None
) -> tuple[Path, OldLedger]:
    """Write next year's ledger ``out`` from ``old`` (see the module docstring); return its path and what was read."""
    from openpyxl.worksheet.protection import hash_password

    info = read_old_ledger(old)
    old, out = Path(old), Path(out)
    if year is None and info.year is None:
        raise UsageError(f"旧台账“{old.name}”没有记录年度（较早版本生成），请用 --year 指定新台账的年度。")
    target = year or (info.year or 0) + 1
    if target > LAST_YEAR:
        raise UsageError(
            f"“七优享”实施方案期为 2023—{LAST_YEAR} 年，{info.year}年台账已是最后一年，不再生成"
            f"{target}年台账。方案期满后的工作安排请按上级要求另行确定。"
        )
    if out.resolve() == old.resolve():
        raise UsageError(
            f"新台账不能覆盖旧台账“{old.name}”（旧台账是{info.year}年的记录，需保留）；"
            f"请换一个文件名，如 七优享台账{target}.xlsm。"
        )
    if out.resolve().parent != old.resolve().parent:
        raise UsageError(
            f"新台账请放在旧台账所在的文件夹（{old.resolve().parent}）：两本台账共用那里的“历史库”"
            f"（{info.year}年年末数据是{target}年评价的起点）和收件箱。"
        )
    if info.password_hashes:
        if not password:
            raise UsageError(
                f"旧台账“{old.name}”的工作表设有保护密码，新台账沿用同一密码：请用 --password 给出"
                "（会与旧台账核对）。"
            )
        if hash_password(password).upper() not in info.password_hashes:
            raise UsageError(f"--password 与旧台账“{old.name}”的工作表保护密码不符，请核对后重试。")
    elif password:
        raise UsageError(f"旧台账“{old.name}”的工作表没有设密码；新台账沿用旧台账，不加 --password。")
    if len(info.carried.adjustments) > ADJUSTMENT_ROWS:
        raise UsageError(
            f"旧台账的目标调整记录有 {len(info.carried.adjustments)} 条，超过新台账的 {ADJUSTMENT_ROWS} 行，"
            "请删去已不影响今后年度的记录后重试。"
        )
    path = build_workbook(out, password=password, year=target, carry=info.carried)
    return path, info
