"""The ledger's four buttons (校验本表, 汇总, 生成通报, 打印进度表) as xlwings functions.

The macros in ``vba/Qyx.bas`` run ``import qyx_excel.buttons as b; b.<function>()`` (after a guard
that explains a Python without qyx_excel, ``vbaproject.python_guard``) through xlwings' ``RunPython``:
the add-in's, or the one a standalone ledger carries.  Each function takes the calling workbook from
``xw.Book.caller()`` (tests pass ``book=`` or use ``Book.set_mock_caller()``) and is a thin layer
over the library the ``qyx`` command line uses:

* it reads the *open* workbook's cells — one range read per sheet — not the file on disk, which
  may be unsaved: ``xlreader.OpenBook`` is the open book as an ``intake.SheetSource``, so every
  reading rule (``_meta``, the ledger's period, percent cells) is intake's, as for the file;
* the work is ``checks.check_submission``, ``consolidate.consolidate_submissions``,
  ``notice.render_notice``, ``tables.render_tables``;
* results go back in bulk through ``xlwriter``: one range write per table (``ledger.result_blocks``),
  status colours per contiguous run, findings marked on the sheet (fill and a note per cell, cleared
  on the next run), a one-line result in the sheet's result cell, the status bar where the engine has one;
* problems are a Chinese message box (``app.alert``), never a traceback: :func:`button` turns a
  :class:`~qyx_excel.errors.QyxError` into an alert with its message and anything else into
  “内部错误…请联系维护人员”, with the traceback logged to ``qyx-buttons.log`` next to the workbook;
  when there is no workbook to show it in (``Book.caller()`` or ``import xlwings`` failed), the
  message goes to stderr with exit code 1, which ``RunPython`` shows in its own message box.

Engines: desktop Excel (Windows/macOS) and xlwings' remote engine (Office.js add-in, xlwings
Server/Lite), which has no file path, no status bar and no PDF export.  The workbook's folder —
where the inbox, the history store (``历史库``) and the outputs are — is the folder of the
workbook's file; on the remote engine (or for a workbook never saved) it is the environment
variable ``QYX_WORKBOOK_DIR``, else the current directory.
"""

from __future__ import annotations

import contextlib
import functools
import os
import warnings
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from . import intake
from .cells import split_base1
from .checks import check_submission
from .consolidate import consolidate_submissions, load_consolidation
from .errors import QyxError, UsageError
from .findings import severity_word
from .glossary import (
    GROUPS,
    SHEET_CATALOGUE,
    SHEET_FINDINGS,
    SHEET_RANKING,
    SHEET_SUMMARY,
    SHEET_SUPERVISION,
    SHEET_TABLES,
)
from .layout import SUMMARY_INBOX_CELL, SUMMARY_PERIOD_CELL, SUMMARY_RESULT, group_layout
from .ledger import result_blocks
from .notice import NUMBERS_FILE, due_warning, notice_to_pdf, render_notice, supervision_for_notice
from .office import has_soffice
from .periods import parse_period, period_code
from .store import DB_NAME, STORE_DIR_NAME, Store, prior_for
from .supervision import indicator_levels, supervise
from .tables import render_tables
from .xlreader import OpenBook, read_sheet
from .xlwriter import (
    ENV_SHEET_PASSWORD,
    MARK_FILLS,
    META_SHEET_PASSWORD,
    clear_marks,
    mark_findings,
    rectangles,
    sheet_password,
    write_progress_sheet,
    write_result_blocks,
    write_values,
)

if TYPE_CHECKING:
    from xlwings import Book, Sheet

    from .findings import Finding
    from .model import Consolidation
    from .periods import Period
    from .submission import Submission

#: Title of every message box.
TITLE = "七优享台账"
#: Where a button's traceback is logged (next to the workbook, else in the temp folder).
LOG_NAME = "qyx-buttons.log"
#: The workbook's folder when the engine cannot tell it (remote engine, unsaved workbook).
ENV_WORKBOOK_DIR = "QYX_WORKBOOK_DIR"
#: How many findings the message box lists (the rest are marked on the sheet).
ALERT_FINDINGS = 12
INTERNAL_ERROR = "内部错误（{kind}），操作未完成。请联系维护人员，并把日志文件“{log}”发给他们。"

# The result cell of the 汇总 sheet: 汇总, 生成通报 and 打印进度表 report there.
_SUMMARY_RESULT_CELL = SUMMARY_RESULT.value_cell


# ================================================================================================
# The wrapper every button goes through
# ================================================================================================


def button(
    where: Callable[[Book], tuple[Sheet, str] | None],
) -> Callable[[Callable[[Book], str]], Callable[..., str | None]]:
    """Make a button: resolve the calling book, turn every failure into a Chinese message box.

    ``where(book)`` names the sheet and cell that show the button's one-line result (an error's
    message goes there too).  The wrapped function returns its one-line result; the button
    returns it, or ``None`` when it failed.
    """

    def wrap(func: Callable[[Book], str]) -> Callable[..., str | None]:
        @functools.wraps(func)
        def run(book: Book | None = None) -> str | None:
            try:
                if book is None:
                    book = _caller()
                with warnings.catch_warnings():
                    # RunPython shows anything on stderr as an error box: no warning may reach it
                    warnings.simplefilter("ignore")
                    return func(book)
            except QyxError as exc:
                message = exc.message
            except Exception:  # a clerk gets a message box, the maintainer the log
                message = INTERNAL_ERROR.format(
                    kind=_exception_kind(), log=_log_traceback(book, func.__name__)
                )
            if book is None:  # no workbook to show it in: RunPython shows what the process printed
                _exit_with(message)
            shown_in = book  # narrowed: a lambda does not keep the narrowing of a reassigned name
            _quietly(lambda: _show_result(shown_in, where(shown_in), f"未完成：{message}"))
            _quietly(lambda: set_status(shown_in, None))
            _quietly(lambda: alert(shown_in, message, critical=True))
            return None

        return run

    return wrap


def _caller() -> Book:
    """``xw.Book.caller()``, with a Chinese message when xlwings or the calling workbook is missing."""
    try:
        import xlwings as xw
    except ImportError as exc:
        raise UsageError(
            f"运行按钮的 Python 中没有可用的 xlwings（{exc}）。请运行 scripts\\qyx-doctor.cmd 检查本机，"
            "或在该 Python 中安装本项目。"
        ) from None
    try:
        return xw.Book.caller()
    except Exception as exc:
        raise UsageError(
            f"找不到调用按钮的工作簿（{type(exc).__name__}: {exc}）。请在 Excel 中打开台账后点按钮；"
            "若仍如此，请运行 scripts\\qyx-doctor.cmd 检查本机。"
        ) from None


def _exit_with(message: str) -> NoReturn:
    """End the process with *message* on stderr and exit code 1: xlwings' RunPython shows what a
    failed process wrote to stderr in a message box (no workbook to show it in otherwise)."""
    import sys

    sys.stderr.write(f"{TITLE}：{message}\n")
    raise SystemExit(1)


def _exception_kind() -> str:
    import sys

    exc = sys.exc_info()[1]
    return type(exc).__name__ if exc else "未知错误"


def _log_traceback(book: Book | None, name: str) -> Path:
    """Append the current traceback to the log next to the workbook (or in the temp folder)."""
    import tempfile
    import traceback

    where = _book_name(book) if book is not None else "?"
    text = f"==== {datetime.now().isoformat(timespec='seconds')} {name} ({where})\n{traceback.format_exc()}\n"
    for folder in (_folder_or_none(book) if book is not None else None, Path(tempfile.gettempdir())):
        if folder is None:
            continue
        path = folder / LOG_NAME
        try:
            with path.open("a", encoding="utf-8") as fh:
                fh.write(text)
            return path
        except OSError:
            continue
    return Path(tempfile.gettempdir()) / LOG_NAME


def _quietly(action: Callable[[], Any]) -> None:
    """Run a reporting step that must not hide the error being reported."""
    with contextlib.suppress(Exception):  # the original error is already on its way to the user
        action()


def alert(book: Book, message: str, *, critical: bool = False) -> None:
    """A message box (``MsgBox`` on desktop Excel; an ``alert`` action on the remote engine)."""
    book.app.alert(message, title=TITLE, mode="critical" if critical else "info")


def set_status(book: Book, text: str | None) -> None:
    """Show ``text`` in Excel's status bar (``None`` gives it back to Excel); the remote engine has none."""
    with contextlib.suppress(NotImplementedError):
        book.app.status_bar = text if text else False


def _show_result(book: Book, target: tuple[Sheet, str] | None, text: str) -> None:
    if target is not None:
        sheet, cell = target
        write_values(sheet, cell, [[text]])


def _summary_result(book: Book) -> tuple[Sheet, str] | None:
    return (book.sheets[SHEET_SUMMARY], _SUMMARY_RESULT_CELL) if SHEET_SUMMARY in book.sheet_names else None


def _group_result(book: Book) -> tuple[Sheet, str] | None:
    sheet = book.sheets.active
    if sheet.name not in GROUPS:
        return None
    result = group_layout(sheet.name).result
    return (sheet, result.value_cell) if result is not None else None


# ================================================================================================
# The buttons
# ================================================================================================


@button(_group_result)
def check_sheet(book: Book) -> str:
    """校验本表: check the active group sheet as it is on screen and mark every finding on it."""

    sheet = book.sheets.active
    if sheet.name not in GROUPS:
        raise UsageError(
            f"“校验本表”用于专项组工作表（{'、'.join(GROUPS)}），当前工作表是“{sheet.name}”。"
            "请切换到本组的工作表后再点。"
        )
    set_status(book, f"正在校验“{sheet.name}”…")
    meta = read_meta(book)
    sub = read_group_sheet(book, sheet.name, meta)
    period = _check_period(sub)
    adjustments = read_adjustments(book)
    prior = _prior(book, sheet.name, period)
    findings = check_submission(
        sub, period=period, expected_group=sheet.name, prior=prior, adjustments=adjustments
    )
    layout = group_layout(sheet.name)
    password = sheet_password(meta)
    clear_marks(sheet, layout.input_cells(), password=password)
    marked = mark_findings(
        sheet,
        [f for f in findings if f.sheet in (None, "", sheet.name)],
        layout.input_cells(),
        password=password,
    )
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = len(findings) - errors
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M")
    if not findings:
        line = f"{stamp} {period.label}校验通过：未发现问题。"
    else:
        line = f"{stamp} {period.label}校验：错误 {errors} 处、提醒 {warnings} 处" + (
            f"，已在表中标出 {len(marked)} 格（鼠标移到格子上看批注）。" if marked else "。"
        )
    write_values(sheet, layout.result.value_cell if layout.result else "A1", [[line]])
    set_status(book, None)
    if findings:
        alert(book, _findings_message(sheet.name, period, findings, errors, warnings), critical=errors > 0)
    return line


@button(_summary_result)
def consolidate(book: Book) -> str:
    """汇总: the nine group sheets of the open book plus the inbox, into 汇总/晾晒/校验结果/进度表."""

    period, inbox_text = read_summary_inputs(book)
    folder = workbook_dir(book)
    inbox = _inbox(folder, inbox_text) if period.kind == "month" else None
    set_status(book, f"正在汇总{period.label}…")
    subs: list[Submission] = []
    adjustments: dict = {}
    if period.kind == "month":
        meta = read_meta(book)
        adjustments = read_adjustments(book)
        subs = [read_group_sheet(book, group, meta) for group in GROUPS if group in book.sheet_names]

    def progress(done: int, total: int) -> None:
        if total > 1:
            set_status(book, f"正在汇总{period.label}：已处理 {done}/{total}")

    result = consolidate_submissions(
        period, subs, store=_store_dir(folder), inbox=inbox, adjustments=adjustments, progress=progress
    )
    summary = result.summary_text()
    board, supervision_text = result.supervision, ""
    if (
        period.kind == "month" and board is not None
    ):  # 督办: replies recorded, slips issued, as `qyx supervise`
        board, supervision_text = _supervise(book, folder, period, adjustments)
    line = f"{datetime.now():%Y-%m-%d %H:%M} " + "".join(summary.splitlines())
    blocks = result_blocks(result.consolidation, summary=line, supervision=board)
    if board is not None:
        _ensure_supervision_sheet(book)
    write_result_blocks(book, blocks)  # 进度表 too (with its 预警等级 column when there is a board)
    set_status(book, None)
    sheets = "“汇总”“晾晒”“校验结果”“进度表”" + ("“督办”" if board is not None else "")
    alert(
        book,
        summary
        + (f"\n\n{supervision_text}" if supervision_text else "")
        + f"\n\n结果已写入{sheets}工作表；请保存本台账。",
        critical=not result.ok,
    )
    return line


def _supervise(book: Book, folder: Path, period: Period, adjustments: dict) -> tuple[Any, str]:
    """The month's 督办 as ``qyx supervise --ledger`` does it: replies in 反馈/ recorded, slips for
    黄/红 matters issued and written to 督办单/<period>/ beside the ledger; the board for the 督办 sheet."""

    set_status(book, f"正在生成{period.label}督办单…")
    with Store(_store_dir(folder)) as st:
        done = supervise(
            st,
            period,
            out_dir=folder / "督办单" / period.code,
            replies=folder / "反馈",
            adjustments=adjustments,
        )
    return done.board, done.summary_text()


def _ensure_supervision_sheet(book: Book) -> None:
    """Add the 督办 sheet after the other result sheets when the ledger has none yet (the command line
    creates it the same way), and leave 汇总 the active sheet."""

    if SHEET_SUPERVISION in book.sheet_names:
        return
    names = book.sheet_names
    after = [n for n in (SHEET_SUMMARY, SHEET_RANKING, SHEET_FINDINGS, SHEET_TABLES) if n in names]
    book.sheets.add(SHEET_SUPERVISION, after=book.sheets[max(after, key=names.index)] if after else None)
    book.sheets[SHEET_SUMMARY].activate()


@button(_summary_result)
def notice(book: Book) -> str:
    """生成通报: the period's progress notice (.docx) beside the workbook."""

    period, _ = read_summary_inputs(book)
    folder = workbook_dir(book)
    c = _stored_consolidation(folder, period, "生成通报")
    set_status(book, f"正在生成{c.label}进度通报…")
    path = render_notice(
        c,
        folder / f"{period.code}_七优享工程进度通报.docx",
        numbers_file=_store_dir(folder) / NUMBERS_FILE,
        supervision=supervision_for_notice(_store_dir(folder), c.period),
    )
    # the PDF through the same layout-preserving path as `qyx notice --pdf` (28 characters a line)
    pdf = notice_to_pdf(path) if has_soffice() else None
    line = f"{datetime.now():%Y-%m-%d %H:%M} 已生成{c.label}进度通报：{path}" + (
        f"（PDF：{pdf.name}）" if pdf else ""
    )
    write_values(book.sheets[SHEET_SUMMARY], _SUMMARY_RESULT_CELL, [[line]])
    set_status(book, None)
    warning = due_warning(c)
    alert(
        book,
        f"已生成{c.label}进度通报：\n{path}"
        + (f"\n{pdf}" if pdf else "")
        + "\n\n请用 Word 打开，核对后签发。"
        + (f"\n\n注意：通报中的下期报送截止日期只避开了周末。{warning}" if warning else ""),
    )
    return line


@button(_summary_result)
def print_tables(book: Book) -> str:
    """打印进度表: refresh the 进度表 sheet; a PDF by Excel itself, else the printable .xlsx tables."""
    period, _ = read_summary_inputs(book)
    folder = workbook_dir(book)
    c = _stored_consolidation(folder, period, "打印进度表")
    set_status(book, f"正在生成{c.label}进度表…")

    levels = indicator_levels(_store_dir(folder), c.period)
    write_progress_sheet(book, c, levels)
    sheet = book.sheets[SHEET_TABLES]
    pdf = folder / f"{period.code}_七优享工程进度表.pdf"
    failed = ""
    if can_export_pdf(book):
        try:
            sheet.to_pdf(str(pdf))
        except NotImplementedError:
            failed = " "
        except Exception as exc:  # no printer driver, the PDF open in a viewer …: the .xlsx instead
            failed = f"（Excel 未能导出 PDF：{type(exc).__name__}；若该 PDF 正被打开，请关闭后重试）"
            _log_traceback(book, "print_tables")
    if failed or not can_export_pdf(book):  # the remote engine cannot print: the .xlsx tables
        xlsx = render_tables(c, folder / f"{period.code}_七优享工程进度表.xlsx", levels=levels)
        line = f"{datetime.now():%Y-%m-%d %H:%M} 已生成{c.label}进度表：{xlsx}"
        message = (
            f"已更新本台账的“进度表”工作表，并生成打印用进度表{failed.strip()}：\n{xlsx}\n\n"
            "请打开该文件，按 Ctrl+P 打印（已设为横向 A4、每页重复表头、页脚有页码）。"
        )
    else:
        line = f"{datetime.now():%Y-%m-%d %H:%M} 已生成{c.label}进度表 PDF：{pdf}"
        message = (
            f"已更新“进度表”工作表，并生成 PDF：\n{pdf}\n\n也可以切换到“进度表”工作表，按 Ctrl+P 直接打印。"
        )
    write_values(book.sheets[SHEET_SUMMARY], _SUMMARY_RESULT_CELL, [[line]])
    set_status(book, None)
    alert(book, message)
    return line


def is_remote(book: Book) -> bool:
    """Whether ``book`` is on xlwings' remote engine (Office.js add-in, xlwings Server/Lite)."""
    try:
        return book.app.engine.name == "remote"
    except Exception:
        return True


def can_export_pdf(book: Book) -> bool:
    """Whether the engine prints to PDF (desktop Excel does; the remote engine does not).

    Asked before calling ``to_pdf``: on the remote engine ``Sheet.to_pdf`` queues actions that
    hide every other sheet before it raises ``NotImplementedError`` (xlwings 0.37).
    """
    return not is_remote(book)


# ================================================================================================
# Reading the open workbook
# ================================================================================================


def read_adjustments(book: Book) -> dict:
    """The office's target adjustments from the open 指标库 sheet (``intake.read_adjustments``)."""
    if SHEET_CATALOGUE not in book.sheet_names:
        return {}
    return intake.read_adjustments(read_sheet(book.sheets[SHEET_CATALOGUE]))


def read_meta(book: Book) -> dict[str, str]:
    """The very hidden ``_meta`` sheet's key/value rows ({} when the book has none; ``intake.read_meta``)."""
    return intake.read_meta(OpenBook(book)) or {}


def read_group_sheet(book: Book, group: str, meta: dict[str, str]) -> Submission:
    """One group sheet of the open ledger as a :class:`Submission`, read as ``intake`` reads the
    ledger file (``intake.read_ledger_sheet``: a sheet with no 填报期 of its own takes 汇总!C2, else
    ``_meta``'s; a 0 < x ≤ 1 in a % indicator shown with a percent format reads as shown)."""
    return intake.read_ledger_sheet(OpenBook(book), group, meta)


def read_summary_inputs(book: Book) -> tuple[Period, str]:
    """The period (汇总!C2, validated) and the inbox folder text (汇总!F2) of the open ledger."""

    if SHEET_SUMMARY not in book.sheet_names:
        raise UsageError(f"本工作簿没有“{SHEET_SUMMARY}”工作表，请使用 qyx build-workbook 生成的台账。")
    sheet = book.sheets[SHEET_SUMMARY]
    (p_row, p_col), (i_row, i_col) = split_base1(SUMMARY_PERIOD_CELL), split_base1(SUMMARY_INBOX_CELL)
    top = sheet.range((1, 1), (max(p_row, i_row), max(p_col, i_col))).options(ndim=2).value
    raw, inbox = top[p_row - 1][p_col - 1], top[i_row - 1][i_col - 1]
    where = f"“{SHEET_SUMMARY}”表 {SUMMARY_PERIOD_CELL} 格"
    if raw is None or str(raw).strip() == "":
        raise UsageError(
            f"请先在{where}填写填报期（月度如 2024-03，季度如 2024-Q1，年度如 2024），再点按钮。"
        )
    code = period_code(raw)
    if code is None:
        raise UsageError(
            f"{where}的填报期“{_shown(raw)}”无法识别，请写成 2024-03（月）、2024-Q1（季度）或 2024（年度）。"
        )
    try:
        period = parse_period(code)
    except UsageError as exc:
        raise UsageError(f"{where}：{exc.message}") from None
    return period, "" if inbox is None else str(inbox).strip()


def _shown(raw: Any) -> str:
    return raw.strftime("%Y-%m-%d") if isinstance(raw, datetime) else str(raw).strip()


def _check_period(sub: Submission) -> Period:
    """The period a sheet is checked for: its own 填报期, else 汇总!C2, else ``_meta``'s (read_group_sheet)."""

    code = sub.period
    if not code:
        raise UsageError(
            "不知道本表是哪一期的填报：请在本表“填报期”格填写（如 2024年3月），"
            f"或在“{SHEET_SUMMARY}”表 {SUMMARY_PERIOD_CELL} 格填写（如 2024-03），再点“校验本表”。"
        )
    return parse_period(code)


# ================================================================================================
# Where things are on disk
# ================================================================================================


def _book_name(book: Book) -> str:
    try:
        return str(book.name)
    except Exception:
        return "?"


def _full_name(book: Book) -> str:
    try:
        return str(book.fullname)
    except Exception:
        return ""


def _folder_or_none(book: Book) -> Path | None:
    """The workbook's folder, or None when the desktop engine cannot tell (unsaved, or on OneDrive)."""
    full = _full_name(book)
    if full and "://" not in full and Path(full).is_absolute() and Path(full).parent.is_dir():
        return Path(full).parent
    env = os.environ.get(ENV_WORKBOOK_DIR)
    if env:
        return Path(env)
    if is_remote(book):  # the remote engine never has a path: the server's folder
        return Path.cwd()
    return None


def workbook_dir(book: Book) -> Path:
    """The folder of the workbook's file; else ``QYX_WORKBOOK_DIR``; else (remote engine) the current
    directory.  Desktop Excel with an unsaved workbook or one opened from OneDrive/SharePoint (a web
    address, no folder) gets a clear message instead of files written to Python's folder."""
    folder = _folder_or_none(book)
    if folder is None:
        raise UsageError(
            f"找不到台账所在的文件夹（{_full_name(book) or '尚未保存'}）：请先把台账保存到本机或共享盘上的文件夹"
            f"（OneDrive/SharePoint 上以网址打开的不行）再点按钮，或设置环境变量 {ENV_WORKBOOK_DIR} 指定该文件夹。"
        )
    if not folder.is_dir():
        raise UsageError(f"台账所在文件夹“{folder}”不存在（请检查环境变量 {ENV_WORKBOOK_DIR}）。")
    return folder.resolve()


def _store_dir(folder: Path) -> Path:
    return folder / STORE_DIR_NAME


def _inbox(folder: Path, text: str) -> Path | None:
    """The inbox folder named in 汇总!F2 (relative to the workbook's folder); None when left empty."""
    if not text:
        return None
    inbox = Path(text)
    if not inbox.is_absolute():
        inbox = folder / inbox
    if not inbox.is_dir():
        raise UsageError(
            f"收件箱文件夹“{inbox}”不存在。请在台账所在文件夹新建该文件夹并放入各组报送的文件，"
            f"或在“{SHEET_SUMMARY}”表 {SUMMARY_INBOX_CELL} 格改为正确的文件夹；"
            f"各组都直接在本台账中填报时，清空 {SUMMARY_INBOX_CELL} 格即可。"
        )
    if inbox.resolve() == folder.resolve():
        raise UsageError(
            f"收件箱不能是台账本身所在的文件夹，请新建一个子文件夹（如“收件箱”）并填在 {SUMMARY_INBOX_CELL} 格。"
        )
    return inbox


def _prior(book: Book, group: str, period: Period) -> Any:
    """What was accepted before (for the jump and running-total checks), if the store exists."""

    folder = _folder_or_none(book)  # an unsaved workbook has no history beside it: nothing to compare with
    if folder is None:
        return None
    store = _store_dir(folder)
    if not (store / DB_NAME).is_file():
        return None
    with Store(store) as st:
        return prior_for(st, group, period)


def _stored_consolidation(folder: Path, period: Period, action: str) -> Consolidation:
    store = _store_dir(folder)
    hint = f"请先在“{SHEET_SUMMARY}”表 {SUMMARY_PERIOD_CELL} 格填写 {period.code}，点“汇总”，再点“{action}”。"
    if not (store / DB_NAME).is_file():
        raise UsageError(f"台账旁边还没有历史库（{store}），{period.label}尚未汇总。{hint}")
    if period.kind == "month":
        with Store(store) as st:
            if st.load_consolidation(period) is None:
                raise UsageError(f"{period.label}尚未汇总。{hint}")
    return load_consolidation(period, store=store)


def _findings_message(sheet: str, period: Period, findings: list[Finding], errors: int, warnings: int) -> str:
    lines = [
        f"“{sheet}”{period.label}校验发现 {errors} 处错误、{warnings} 处提醒"
        + ("（错误须改正，否则汇总时本组会被退回）：" if errors else "（提醒请核实）：")
    ]
    ordered = sorted(
        findings, key=lambda f: (f.severity != "error", split_base1(f.cell) if f.cell else (0, 0))
    )
    for f in ordered[:ALERT_FINDINGS]:
        where = f.cell or "本表"
        ind = f"指标{f.indicator} " if f.indicator else ""
        lines.append(f"· [{severity_word(f.severity)}] {where} {ind}{f.message}")
    if len(findings) > ALERT_FINDINGS:
        lines.append(f"……另有 {len(findings) - ALERT_FINDINGS} 处，见表中标色的格子及其批注。")
    return "\n".join(lines)


__all__ = [
    "ENV_SHEET_PASSWORD",
    "ENV_WORKBOOK_DIR",
    "MARK_FILLS",
    "META_SHEET_PASSWORD",
    "check_sheet",
    "consolidate",
    "notice",
    "print_tables",
    "read_group_sheet",
    "read_meta",
    "read_sheet",
    "read_summary_inputs",
    "rectangles",
    "sheet_password",
    "workbook_dir",
]
