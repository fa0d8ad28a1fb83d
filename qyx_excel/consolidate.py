"""汇总: check every submission of a period, merge the accepted ones, judge every indicator, rank.

Two entry points share one core, :func:`.assemble.assemble` (the period from the store's accepted
submissions):

* :func:`consolidate` — the command line and the office's routine, top to bottom: the ledger is
  checked to be a ledger; under the store's lock, the ledger's nine group sheets (a sheet counts
  only when something is filled in) and every file in the inbox are received into the history
  store (:mod:`.receive`: archived, checked, recorded); the period is assembled from the store's
  accepted submissions (:func:`.assemble.assemble`) and kept in the store; the 督办 board is worked out;
  the results are written into the ledger (汇总, 晾晒, 校验结果, 督办);
* :func:`consolidate_submissions` — the same from :class:`Submission` objects (the xlwings 汇总
  button reads them from the open workbook's cells with ``intake.read_grid``).

A submission with errors is refused — listed with a reminder — and never replaces an accepted one;
the other groups go through. Quarters (``YYYY-Qn``) and years (``YYYY``) are consolidated from
history; no new files are read.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from . import intake
from .archive import ARCHIVE_DIR, SOURCE_INBOX, SOURCE_LEDGER
from .assemble import assemble, behind_projects, due_date
from .errors import UnreadableFile, UsageError
from .ledger import write_results
from .model import (
    IGNORED,
    OTHER_PERIOD,
    SKIPPED,
    SUPERSEDED,
    Consolidation,
    ConsolidationResult,
    Outcome,
)
from .periods import Period
from .receive import (
    CheckFn,
    Progress,
    inbox_files,
    inbox_listing,
    receive_files,
    receive_submission,
    skipped_outcomes,
)
from .safeio import backups_of, clean_stale_temps
from .store import (
    DB_NAME,
    Store,
    as_period,
    default_store_dir,
    now_text,
    run_stamp,
    store_lock,
)
from .submission import Submission
from .supervision import ledger_board
from .targets import Adjustment

# ================================================================================================
# The month: the ledger's sheets and the inbox received, the period assembled, the ledger written
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
    require_store: bool = False,
    backfill: bool = False,
) -> ConsolidationResult:
    """Consolidate ``period`` from the ledger's sheets and the inbox; write the results into the ledger.

    ``backfill`` marks the period as back-filled (补录, kept in the store): reports for a month that
    was past due before the tool was introduced are then not 逾期.

    ``store`` defaults to ``历史库`` next to the ledger. A quarter or a year is consolidated from
    the store's history (the inbox and the ledger's sheets are not read). ``write=False`` leaves
    the ledger untouched.  The store's lock is held throughout (:func:`store.store_lock`: a second run
    at the same time is refused with a message naming the first).  ``require_store``: refuse when the
    store is missing but expected (the ledger was consolidated before) instead of starting it empty.
    """
    period = as_period(period)
    ledger = Path(ledger)
    if not ledger.is_file():
        raise UsageError(f"找不到台账文件“{ledger}”。")
    if inbox is not None and not Path(inbox).is_dir():
        raise UsageError(f"收件箱文件夹“{inbox}”不存在。")
    store_dir = Path(store) if store else default_store_dir(ledger)
    # the ledger is checked to be a ledger (not a fill-in file, not any workbook) before anything is done
    meta = _ledger_meta(ledger) if write or period.kind == "month" else None
    if require_store:
        _require_store(store_dir, meta)
    # one consolidation at a time: the store's lock covers the ledger, the store and the outputs
    with store_lock(store_dir, "汇总"):
        clean_stale_temps(ledger.parent)  # a ledger write killed in an earlier run left its temporary file
        adjustments = _ledger_adjustments(ledger) if period.kind == "month" else {}
        with Store(store_dir) as st:
            if backfill:
                st.mark_backfill(period)
            if period.kind != "month":
                result = assemble(period, st, [], adjustments={}, now=now)
            else:
                found, skipped = inbox_listing(inbox, exclude=[ledger])
                files = [(ledger, SOURCE_LEDGER)] + [(p, SOURCE_INBOX) for p in found]
                outcomes = receive_files(
                    st, files, period, adjustments=adjustments, progress=progress, check=check
                )
                outcomes += skipped_outcomes(skipped)
                result = assemble(period, st, outcomes, adjustments=adjustments, now=now)
            st.save_consolidation(result.consolidation)
            result.supervision = ledger_board(
                st,
                period,
                adjustments=None if period.kind != "month" else adjustments,
                today=(now or datetime.now()).date(),
            )
        result.store_dir, result.ledger = store_dir, ledger
        if write:
            result.written.append(write_results(ledger, result))
    return result


def _ledger_meta(ledger: Path) -> dict[str, str]:
    """The ledger's ``_meta``; :class:`UsageError` when the workbook is not a ledger (a fill-in file
    named by mistake must not get 汇总 written into it)."""
    meta = _named_ledger(ledger, lambda: intake.workbook_meta(ledger))
    if meta is None or meta.get("kind") != "ledger":
        what = (
            f"是“{meta.get('group') or '某专项组'}”的填报表"
            if meta is not None
            else "不是“七优享”台账（缺少台账标识）"
        )
        raise UsageError(
            f"“{ledger.name}”{what}，汇总结果不会写入其中；请用 --ledger 指定台账"
            "（如 七优享台账.xlsm，可用 qyx build-workbook 生成）。"
        )
    return meta


def _named_ledger(ledger: Path, read: Callable[[], Any]) -> Any:
    """``read()``, an unreadable ledger named as the ledger.

    (The safe-open messages speak to a group that sent a file; here the office's own workbook is
    damaged, and the way back is its last backup.)
    """
    try:
        return read()
    except UnreadableFile as exc:
        what = exc.finding.title if exc.finding is not None else exc.message.rstrip("。")
        backups = backups_of(ledger)
        hint = (
            f"可从旁边“备份”文件夹中取回最近的一版“{backups[-1].name}”，改回原名后重试"
            if backups
            else "请换用完好的台账（可用 qyx build-workbook 重新生成）后重试"
        )
        raise UnreadableFile(f"台账“{ledger.name}”无法打开（{what}）。{hint}。", exc.finding) from exc


def _require_store(store_dir: Path, meta: dict[str, str] | None) -> None:
    """Refuse to start a new, empty store where one is expected (the ledger was consolidated before,
    or the archive is there without its database): month-on-month checks would lose their baseline."""
    if (store_dir / DB_NAME).is_file():
        return
    if (store_dir / ARCHIVE_DIR).is_dir() and any((store_dir / ARCHIVE_DIR).glob("*/*")):
        raise UsageError(
            f"历史库“{store_dir}”的数据库 {DB_NAME} 不见了，归档文件还在：请先运行 "
            f'qyx rebuild-store --store "{store_dir}" 从归档重建，再汇总。'
        )
    last = (meta or {}).get("period")
    if last:
        raise UsageError(
            f"台账已汇总过（最近一次：{last}），但找不到它的历史库“{store_dir}”（可能被移动或删除）。"
            "请用 --store 指定原来的历史库；确需从空的历史库重新开始，请加 --new-store。"
        )


def _ledger_adjustments(ledger: Path) -> dict[tuple[str, int], Adjustment]:
    """The office's target adjustments; a ledger that cannot be opened is named as the ledger."""
    return _named_ledger(ledger, lambda: intake.read_adjustments(ledger))


# ================================================================================================
# The same from submissions already read (the 汇总 button)
# ================================================================================================


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
    period = as_period(period)
    subs = list(submissions)
    args = (period, subs, inbox, adjustments, received_at, now, progress, check)
    if isinstance(store, Store):
        return _consolidate_into(store, *args)
    if store is not None:
        with store_lock(store, "汇总"), Store(store) as st:
            result = _consolidate_into(st, *args)
        result.store_dir = Path(store)
        return result
    with tempfile.TemporaryDirectory(prefix="qyx-store-") as tmp, Store(Path(tmp)) as st:
        return _consolidate_into(st, *args)


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
        found, skipped = inbox_listing(inbox)
        files = [(p, SOURCE_INBOX) for p in found]
        total = len(subs) + len(files)
        run = run_stamp()
        stamp = received_at or now_text(now)
        for done, sub in enumerate(subs, start=1):
            outcomes.extend(
                receive_submission(
                    st,
                    sub,
                    period=period,
                    adjustments=adjustments,
                    received_at=stamp,
                    run=f"{run}-{done:06d}",
                    check=check,
                )
            )
            if progress:
                progress(done, total)
        if files:

            def shifted(done: int, _total: int) -> None:
                if progress:
                    progress(len(subs) + done, total)

            outcomes += receive_files(
                st, files, period, adjustments=adjustments, progress=shifted, check=check
            )
        outcomes += skipped_outcomes(skipped)
    result = assemble(period, st, outcomes, adjustments=adjustments or {}, now=now)
    st.save_consolidation(result.consolidation)
    # the 督办 board, as consolidate() gives it: the 汇总 button writes it like the command line
    result.supervision = ledger_board(
        st,
        period,
        adjustments=adjustments if period.kind == "month" else None,
        today=(now or datetime.now()).date(),
    )
    return result


# ================================================================================================
# A stored consolidation (quarters and years assembled from history when needed)
# ================================================================================================


def load_consolidation(
    period: Period | str, *, ledger: Path | None = None, store: Path | None = None
) -> Consolidation:
    """The stored consolidation of ``period`` (quarters and years are built from history if needed)."""
    period = as_period(period)
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
            result = assemble(period, st, [], adjustments={})
            st.save_consolidation(result.consolidation)
            return result.consolidation
    raise UsageError(f"{period.label}尚未汇总，请先运行 qyx consolidate --period {period.code}。")


__all__ = [
    "IGNORED",
    "OTHER_PERIOD",
    "SKIPPED",
    "SUPERSEDED",
    "ConsolidationResult",
    "behind_projects",
    "consolidate",
    "consolidate_submissions",
    "due_date",
    "inbox_files",
    "inbox_listing",
    "load_consolidation",
    "receive_files",
]
