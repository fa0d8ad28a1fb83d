"""The monthly cycle on the bundled sample, end to end: what ``scripts/demo`` and ``qyx demo`` run.

Build the ledger → record the months before (history) → distribute the month's fill-in files →
groups fill them (one late, one with mistakes) → check the inbox → consolidate and rank →
notice (.docx) → progress tables (.xlsx, PDF when LibreOffice is there) → export for the city.
Every step is a library call; this module only strings them together and says what it wrote.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

from .checks import check_paths
from .consolidate import consolidate
from .distribute import distribute
from .errors import UsageError
from .export import export_consolidation
from .notice import render_notice, supervision_for_notice
from .office import has_soffice
from .periods import Period
from .safeio import display_name, kind_of_entry
from .sample import DEFAULT_BROKEN, DEFAULT_LATE, make_history, make_sample_month
from .supervision import indicator_levels
from .tables import render_tables
from .workbook import build_workbook

Say = Callable[[str], None]


def default_period(today: date | None = None) -> Period:
    """The month a clerk reports in early ``today``'s month: the previous month."""
    today = today or date.today()
    year, month = (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
    year = min(max(year, 2023), 2027)
    return Period(year, month, "month")


def run_demo(
    out: Path,
    *,
    period: Period | None = None,
    progress: Callable[[int, int], None] | None = None,
    say: Say = lambda _msg: None,
) -> list[Path]:
    """Run the sample month into ``out`` (replacing an earlier demo there); return the files written."""

    period = period or default_period()
    out = Path(out)
    clear_demo_folder(out)
    written: list[Path] = []

    ledger = build_workbook(out / "七优享台账.xlsm", year=period.year)
    written.append(ledger)
    say(f"1. 生成台账：{ledger}")

    store = out / "历史库"
    history = make_history(period, store)
    if history:
        say(
            f"2. 历史数据：已汇总 {history[0]} 至 {history[-1]} 共 {len(history)} 个月（用于较上期变化和名次变化）"
        )

    sent = distribute(period, out / "下发" / period.code, ledger=ledger)
    written.extend(sent)
    say(f"3. 下发填报表：{len(sent)} 份，在 {sent[0].parent}")

    inbox = out / "收件箱" / period.code
    returned = make_sample_month(period, inbox, ledger=ledger)
    written.extend(returned)
    say(
        f"4. 各组交回 {len(returned)} 份（样例：{'、'.join(DEFAULT_LATE)} 未报送，{'、'.join(DEFAULT_BROKEN)} 的表有错误）"
    )

    results = check_paths(returned, period=period, progress=progress)
    bad = [r for r in results if not r.ok]
    say(f"5. 校验：{len(results)} 个文件，{len(results) - len(bad)} 个通过，{len(bad)} 个有错误")
    for r in bad:
        for f in r.errors[:3]:
            say(f"   {Path(r.path).name} {f.sheet or ''}!{f.cell or ''}：{f.message}")

    result = consolidate(period, ledger, inbox=inbox, store=store, progress=progress)
    say("6. " + result.summary_text().replace("\n", "\n   "))
    c = result.consolidation
    for g in c.groups:
        if g.reminder:
            say(f"   催报/退回提示（{g.group}）：{g.reminder}")
    ranked = c.ranking_of("domain")
    if ranked:
        say(
            "   晾晒（分领域）："
            + "；".join(f"{r.rank}. {r.name} {r.score:g} 分" for r in ranked if r.score is not None)
        )

    notice = render_notice(
        c, out / f"{period.code}_七优享工程进度通报.docx", supervision=supervision_for_notice(store, c.period)
    )
    written.append(notice)
    say(f"7. 进度通报：{notice}")

    pdf = has_soffice()
    tables = render_tables(
        c, out / f"{period.code}_七优享工程进度表.xlsx", pdf=pdf, levels=indicator_levels(store, c.period)
    )
    written.append(tables)
    if pdf and tables.with_suffix(".pdf").exists():
        written.append(tables.with_suffix(".pdf"))
    say(
        f"8. 打印用进度表：{tables}" + ("（含 PDF）" if pdf else "（安装 LibreOffice 后可加 --pdf 转为 PDF）")
    )

    exported = export_consolidation(c, out / f"{period.code}_瑞安市_上报.json")
    written.append(exported)
    say(f"9. 上报温州市/省级的数据文件：{exported}")
    _write_marker(out)
    return written


#: The file ``qyx demo`` leaves in its folder: what it made there (top-level names, one a line).
MARKER = ".qyx-demo"


def clear_demo_folder(out: Path) -> None:
    """Make ``out`` ready for a demo: create it, or empty a folder an earlier demo made.

    Nothing else is ever deleted.  Raises :class:`UsageError` (nothing touched) when ``out`` is a
    file, a link or a special file, or a folder that holds anything but what the demo left there
    (its marker :data:`MARKER` lists what that was): pointed at the office's folder by mistake, the
    demo must not delete the ledger, the history store or the inbox.
    """

    shown = display_name(str(out))
    try:
        info = out.lstat()
    except FileNotFoundError:
        try:
            out.mkdir(parents=True)
        except OSError as exc:
            raise UsageError(f"无法创建演示文件夹“{shown}”（{exc.strerror or exc}）。") from exc
        return
    kind = "普通文件" if kind_of_entry(info.st_mode) is None else kind_of_entry(info.st_mode)
    if kind != "文件夹":
        raise UsageError(
            f"“{shown}”是{kind}，不是文件夹；演示需要一个新的或空的文件夹，请用 --out 指定，如 --out demo-out。"
        )
    try:
        present = {entry.name for entry in out.iterdir()}
    except OSError as exc:
        raise UsageError(f"无法读取文件夹“{shown}”（{exc.strerror or exc}）。") from exc
    if not present:
        return
    made = _marker_names(out)
    foreign = sorted(present - made - {MARKER}) if made is not None else sorted(present)
    if foreign:
        what = "、".join(display_name(n) for n in foreign[:3]) + ("等" if len(foreign) > 3 else "")
        raise UsageError(
            f"文件夹“{shown}”中已有不是演示生成的内容（{what}），演示不会清空或覆盖它；"
            "请指定一个新的或空的文件夹，如 --out demo-out。"
        )
    for name in sorted((made or set()) & present):  # made is known here: no marker means foreign
        target = out / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            target.unlink()


def _marker_names(out: Path) -> set[str] | None:
    """The names an earlier demo made in ``out`` (None: no marker, so not a demo folder)."""
    marker = out / MARKER
    if marker.is_symlink() or not marker.is_file():
        return None
    try:
        text = marker.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    names = {line.strip() for line in text.splitlines()[1:] if line.strip()}
    return {n for n in names if n not in (".", "..") and "/" not in n and "\\" not in n}


def _write_marker(out: Path) -> None:
    names = sorted(entry.name for entry in out.iterdir() if entry.name != MARKER)
    header = "qyx demo 生成的文件夹；再次运行 qyx demo --out 本文件夹时，只删除下列内容后重新生成。"
    (out / MARKER).write_text("\n".join([header, *names]) + "\n", encoding="utf-8")
