"""The ``qyx`` command line: a thin layer over the library (one call per command).

Exit codes: 0 success, 1 findings or refusals, 2 unusable input.  With ``--json`` standard output
holds the JSON alone; messages and progress go to standard error.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from . import weekly
from .checks import check_paths
from .consolidate import _ledger_adjustments, consolidate, load_consolidation
from .demo import run_demo
from .distribute import distribute
from .doctor import SystemProbe, default_ledger, project_folder, report, run_checks, to_json
from .duedates import due_date
from .errors import QyxError, UsageError
from .export import export_consolidation
from .findings import Report, catalogue_markdown, severity_word
from .newyear import new_year
from .notice import NUMBERS_FILE, due_warning, notice_to_pdf, render_notice, supervision_for_notice
from .periods import FIRST_YEAR, LAST_YEAR, Period, Week, parse_period, parse_week
from .plan import load_plan, notes_markdown
from .receive import inbox_listing, rebuild_store
from .rollup import rollup
from .safeio import display_name
from .store import Store, default_store_dir, store_problem
from .supervision import SLIP_STATE_WORDS, indicator_levels, slip_reply_state, supervise
from .tables import render_tables
from .targets import evaluate, shown_target_text
from .values import format_number, parse_value
from .vbaproject import xlwings_standalone_modules
from .weekly import month_overview
from .workbook import build_workbook, check_year, default_year

# argparse's own words (usage:, options: …) in Chinese, for our parsers only (see _Parser).
_ARGPARSE_ZH = {
    "usage: ": "用法：",
    "options": "选项",
    "positional arguments": "位置参数",
    "show this help message and exit": "显示本帮助并退出",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选项 %(value)r（可选：%(choices)s）",
    "expected one argument": "需要一个参数值",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 有歧义，可能是 %(matches)s",
}


def _argparse_zh(text: str) -> str:
    return _ARGPARSE_ZH.get(text, text)


@contextlib.contextmanager
def _argparse_in_chinese() -> Iterator[None]:
    """argparse looks its words up through ``argparse._`` at call time: swap it in while one of
    our parsers builds, formats or parses, and put the process's own back after."""
    saved = argparse._  # type: ignore[attr-defined]
    argparse._ = _argparse_zh  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._ = saved  # type: ignore[attr-defined]


class _Parser(argparse.ArgumentParser):
    """An argparse parser speaking Chinese, raising :class:`UsageError` instead of exiting."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        with _argparse_in_chinese():
            super().__init__(*args, **kwargs)

    def format_usage(self) -> str:
        with _argparse_in_chinese():
            return super().format_usage()

    def format_help(self) -> str:
        with _argparse_in_chinese():
            return super().format_help()

    def parse_args(self, *args: Any, **kwargs: Any) -> Any:
        with _argparse_in_chinese():
            return super().parse_args(*args, **kwargs)

    def parse_known_args(self, *args: Any, **kwargs: Any) -> Any:
        with _argparse_in_chinese():
            return super().parse_known_args(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise UsageError(message)


def _out(args: argparse.Namespace, data: Any, human: Callable[[], None]) -> None:
    """Print JSON alone on stdout with --json, else the human form."""
    if getattr(args, "json", False):
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        human()


def say(message: str) -> None:
    """A message for people: always standard error, so --json output stays clean."""
    print(message, file=sys.stderr)


class Progress:
    """``已处理 3/10 个文件`` on standard error, redrawn in place on a terminal."""

    def __init__(self, what: str = "文件") -> None:
        self.what = what
        self.tty = sys.stderr.isatty()
        self.last = -1

    def __call__(self, done: int, total: int) -> None:
        if total <= 1:
            return
        if self.tty:
            end = "\n" if done >= total else ""
            print(f"\r已处理 {done}/{total} 个{self.what}", end=end, file=sys.stderr, flush=True)
            return
        # in a log, a line at every quarter is enough
        quarter = done * 4 // total
        if quarter > self.last or done >= total:
            self.last = quarter
            if done >= total or total >= 20:
                print(f"已处理 {done}/{total} 个{self.what}", file=sys.stderr, flush=True)


# --- commands ------------------------------------------------------------------------------


def cmd_catalogue(args: argparse.Namespace) -> int:
    plan = load_plan()
    if getattr(args, "notes", False):
        return _catalogue_notes(args, plan)

    def human() -> None:
        for domain in dict.fromkeys(i.domain for i in plan.indicators):
            print(f"【{domain}】")
            for ind in plan.indicators_of(domain):
                targets = " ".join(f"{y}:{t}" for y in ind.targets if (t := shown_target_text(ind, y)))
                print(
                    f"  {ind.id:>5}  {ind.name}（{ind.unit}）{ind.kind.label}，{ind.direction.label}；{targets}"
                )
                if ind.reported:
                    print(f"         节奏：{ind.rhythm_label}（{ind.rhythm_basis}）")
        print(
            f"共 {sum(1 for i in plan.indicators if not i.is_part)} 项指标、{len(plan.tasks)} 项重点任务、"
            f"{sum(1 for g in plan.groups if g.reports)} 个专项组。方案自身的矛盾和缺漏见 qyx catalogue --notes。"
        )

    data = plan.to_json()
    for entry, ind in zip(data["indicators"], plan.indicators, strict=True):
        if ind.is_part:  # a part's own targets; the parent's combined text stays under parent_targets
            entry["parent_targets"] = entry["targets"]
            entry["targets"] = {str(y): shown_target_text(ind, y) for y in ind.targets}
    _out(args, data, human)
    return 0


def _catalogue_notes(args: argparse.Namespace, plan) -> int:
    """`qyx catalogue --notes`: the register of the plan's own contradictions and gaps (notes.csv)."""

    def human() -> None:
        print(
            f"方案问题登记（qyx_excel/data/notes.csv，共 {len(plan.notes)} 条；“影响判定：是”的改变状态，"
            "有开关的可改“取值”换读法）"
        )
        for n in plan.notes:
            print(f"{n.id}【{n.category}】{n.concerns}")
            print(f"  目标表/附件：{n.table_says}")
            print(f"  正文：      {n.text_says}")
            print(f"  采用读法：  {n.reading}")
            print(f"  另一读法：  {n.alternative}")
            switch = f"；开关 {n.switch} = {n.value}（可选 {' / '.join(n.choices)}）" if n.switch else ""
            print(f"  影响判定：  {'是' if n.changes_judgement else '否'}{switch}")

    _out(args, {"notes": [n.to_json() for n in plan.notes]}, human)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    plan = load_plan()
    try:
        indicator = plan.indicator(args.indicator)
    except KeyError:
        raise UsageError(
            f"没有序号为“{args.indicator}”的指标（可用 qyx catalogue 查看，子项如 27-1、32-2）。"
        ) from None
    period = parse_period(args.period)
    value = parse_value(args.value)
    if value.kind in ("text", "error"):
        raise UsageError(f"完成值“{args.value}”不是数值，也不是“已完成/推进中/滞后/未启动”等声明。")
    previous = None
    if args.previous_year_end is not None:
        prev = parse_value(args.previous_year_end)
        if not prev.is_number:
            raise UsageError(f"上年末值“{args.previous_year_end}”不是数值。")
        previous = prev.number
    result = evaluate(indicator, period, value, previous_year_end=previous, note=args.note or "")

    def human() -> None:
        print(f"指标 {indicator.id} {indicator.name}（{indicator.unit}），{period.label}")
        print(f"  节奏：    {indicator.rhythm_label}")
        print(f"  本年目标：{result.target_text or '—'}")
        print(f"  序时目标：{format_number(result.expected) or '—'}")
        print(f"  完成值：  {result.value_text or '—'}")
        print(f"  状态：    {result.status.value}（{result.reason}）")

    _out(args, result.to_json(), human)
    return 0


def cmd_build_workbook(args: argparse.Namespace) -> int:
    year = check_year(args.year) if args.year is not None else default_year()
    standalone = getattr(args, "standalone", False)
    path = build_workbook(Path(args.out), password=args.password, year=year, standalone=standalone)
    say(f"已生成{year}年台账：{path}")
    if standalone:
        say(
            f"独立版：已内嵌 xlwings {xlwings_standalone_modules().version} 的 VBA 模块，按钮不需要 xlwings 加载项。"
        )
    return 0


def cmd_weekly(args: argparse.Namespace) -> int:
    week = parse_week(args.week)
    if args.distribute:
        paths = weekly.distribute(week, Path(args.distribute))
        say(f"已生成 {len(paths)} 份 {week.label}（{week.span_label}）周盘点表：")
        for p in paths:
            say(f"  {p}")
        _say_due(week)
        return 0
    if not args.ledger:
        raise UsageError("汇总周盘点需要 --ledger（台账路径）；只下发周盘点表请用 --distribute 文件夹。")
    st, _reports, written = weekly.run(
        week,
        ledger=Path(args.ledger),
        inbox=Path(args.inbox) if args.inbox else None,
        out=Path(args.out) if args.out else None,
        store=Path(args.store) if args.store else None,
    )
    say(
        f"{week.label}（{week.span_label}）周盘点：已报送 {len(st.reported)} 个专项组，未报送 {len(st.missing)} 个"
        + (f"（{'、'.join(st.missing)}）" if st.missing else "")
        + f"；进展 {len(st.moved)} 项，问题 {len(st.stuck)} 项，"
        f"未来四周到期节点 {len(st.milestones)} 个。"
    )
    for path in written:
        say(f"  已写入：{path}")
    if st.warning:
        say(f"注意：{st.warning}")
    return 0


def cmd_new_year(args: argparse.Namespace) -> int:
    path, info = new_year(Path(args.ledger), Path(args.out), password=args.password, year=args.year)
    carried = info.carried
    years = sorted({a.year for a in carried.adjustments})
    say(f"已由{info.year or '旧'}年台账“{info.path.name}”生成新台账：{path}")
    say(
        f"  沿用目标调整记录 {len(carried.adjustments)} 条"
        + (f"（{'、'.join(f'{y}年' for y in years)}）" if years else "")
        + f"；收件箱：{carried.inbox}；"
        + ("工作表保护密码：与旧台账相同" if info.password_hashes else "工作表未设密码")
        + ("；xlwings 设置：已沿用" if carried.xlwings_conf else "")
        + "。"
    )
    say(f"  历史库：{path.resolve().parent / '历史库'}（与旧台账共用）。旧台账保留原样，请勿删除。")
    return 0


def cmd_distribute(args: argparse.Namespace) -> int:
    period = parse_period(args.period)
    paths = distribute(period, Path(args.out), ledger=Path(args.ledger) if args.ledger else None)
    say(f"已生成 {len(paths)} 份 {period.label} 填报表：")
    for p in paths:
        say(f"  {p}")
    _say_due(period)
    return 0


def _say_due(period: Period | Week) -> None:
    """The due date of what was just distributed, with its rule and any holiday-data warning."""
    due = due_date(period)
    say(f"报送截止：{due.text}（规则“{due.rule}”，见 qyx_excel/data/calendar.csv）。")
    if due.warning:
        say(f"注意：{due.warning}")


def _expand(paths: Sequence[str], skipped: list[tuple[Path, str]] | None = None) -> list[Path]:
    # a folder lists what consolidation would receive from it: no Office owner files, LibreOffice
    # locks, our temporaries or system files (Thumbs.db …); what it would list but not read (a
    # subfolder, a link, a hidden or ~$ file) goes to ``skipped`` with the reason
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found, passed_over = inbox_listing(p)
            out.extend(found)
            if skipped is not None:
                skipped.extend(passed_over)
        else:
            out.append(p)
    return out


def _findings_table(findings: Sequence[Any]) -> None:
    for f in findings:
        level = severity_word(f.severity)
        where = " ".join(
            part for part in (f.sheet, f.cell, f"指标{f.indicator}" if f.indicator else "") if part
        )
        print(f"    [{level}] {where + ' ' if where else ''}{f.message}（{f.code}）")


#: What became of a received file that was not simply accepted, for people.
_OUTCOME_WORDS = {
    "unreadable": "无法读取，已拒收",
    "refused": "未通过校验，已退回",
    "superseded": "未采用",
    "other-period": "属于其他填报期",
    "duplicate": "与已收到的内容相同",
    "skipped": "未读取",
}


def _outcomes_table(reports: Sequence[Any]) -> None:
    """Files of this run that were not simply accepted: what became of each, and why (errors only)."""
    shown = [r for r in reports if r.status in _OUTCOME_WORDS]
    if not shown:
        return
    print("未受理或被替代的文件：")
    for r in shown:
        name = f"{r.file_name} › {r.sheet}" if r.sheet else r.file_name
        note = f"（{r.note}）" if r.note else ""
        print(f"  {name}：{_OUTCOME_WORDS[r.status]}{note}")
        if r.status in ("unreadable", "refused"):
            _findings_table([f for f in r.findings if f.severity == "error"])


def cmd_check(args: argparse.Namespace) -> int:
    period = parse_period(args.period) if args.period else None
    skipped: list[tuple[Path, str]] = []
    paths = _expand(args.paths, skipped)
    for path, reason in skipped:  # as consolidation lists them: a clerk must not think a file was checked
        say(f"未读取：{display_name(str(path))}（{reason}）")
    if not paths:
        raise UsageError("没有找到要校验的文件。")
    results = check_paths(paths, period=period, progress=Progress(), keep_submissions=False)

    def human() -> None:
        for r in results:
            mark = "通过" if r.ok else "未通过"
            print(f"{r.path}：{mark}（{r.group or '未知专项组'}，{r.period or '未知填报期'}）")
            _findings_table(r.findings)
        bad = sum(1 for r in results if not r.ok)
        print(f"共 {len(results)} 个文件，{len(results) - bad} 个通过，{bad} 个未通过。")

    listed = [{"path": str(path), "reason": reason} for path, reason in skipped]
    _out(args, {"files": [r.to_json() for r in results], "skipped": listed}, human)
    report = Report(list(results))
    if report.unreadable:
        return 2
    return 0 if report.ok else 1


def cmd_consolidate(args: argparse.Namespace) -> int:
    period = parse_period(args.period)
    if not FIRST_YEAR <= period.year <= LAST_YEAR:
        raise UsageError(
            f"填报期“{args.period}”不在方案期（{FIRST_YEAR}—{LAST_YEAR}年）内，没有可汇总的目标。"
        )
    result = consolidate(
        period,
        Path(args.ledger),
        inbox=Path(args.inbox) if args.inbox else None,
        store=Path(args.store) if args.store else None,
        progress=Progress(),
        require_store=not args.new_store,
        backfill=args.backfill,
    )

    def human() -> None:
        print(result.summary_text())
        _outcomes_table(result.reports)

        warning = due_date(period).warning
        if warning:
            say(f"注意：是否逾期按截止日判断，{warning}")
        if period.kind == "month" and result.store_dir is not None:
            weeks = month_overview(result.store_dir, period.year, period.end_month)
            if weeks:
                print("本月周盘点：")
                for line in weeks:
                    print(f"  {line}")

    _out(args, result.to_json(), human)
    return 0 if result.ok else 1


def _stored(args: argparse.Namespace):  # -> Consolidation
    """The consolidated period named by --period, from the store next to --ledger (or --store)."""

    return load_consolidation(parse_period(args.period), ledger=_path(args.ledger), store=_path(args.store))


def cmd_notice(args: argparse.Namespace) -> int:
    if args.number is not None and args.number < 1:
        raise UsageError(f"发文字号的序号应为正整数，收到的是 {args.number}。")
    consolidation = _stored(args)
    store = _store_dir(args)
    path = render_notice(
        consolidation,
        Path(args.out),
        kind=args.kind,
        number=args.number,
        numbers_file=Path(store) / NUMBERS_FILE,
        supervision=supervision_for_notice(Path(store), consolidation.period),
    )
    say(f"已生成{consolidation.label}进度通报：{path}")
    if warning := due_warning(consolidation, args.kind):
        say(f"注意：通报中的下期报送截止日期只避开了周末。{warning}")
    if args.pdf:
        say(f"PDF：{notice_to_pdf(path)}")
    return 0


def cmd_tables(args: argparse.Namespace) -> int:
    consolidation = _stored(args)
    store = _store_dir(args)
    path = render_tables(
        consolidation,
        Path(args.out),
        paper=args.paper,
        pdf=args.pdf,
        levels=indicator_levels(Path(store), consolidation.period),
    )
    say(f"已生成{consolidation.label}进度表：{path}")
    if args.pdf:
        say(f"PDF：{Path(path).with_suffix('.pdf')}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    path = export_consolidation(_stored(args), Path(args.out), county=args.county)
    say(f"已导出上报文件：{path}")
    return 0


def cmd_rollup(args: argparse.Namespace) -> int:
    period = parse_period(args.period)
    result = rollup(period, [Path(p) for p in _expand(args.exports)], Path(args.out))

    def human() -> None:
        print(result.summary_text())

    _out(args, result.to_json(), human)
    return 0 if result.ok else 1


def _store_dir(args: argparse.Namespace) -> Path:
    if args.store:
        return Path(args.store)
    if args.ledger:
        return default_store_dir(Path(args.ledger))
    raise UsageError("请用 --ledger 指定台账，或用 --store 指定历史库。")


def _open_store(args: argparse.Namespace):  # -> Store

    folder = _store_dir(args)
    if not (folder / "qyx.sqlite").is_file():
        raise UsageError(f"历史库“{folder}”还没有数据，请先运行 qyx consolidate。")
    return Store(folder)


def cmd_history(args: argparse.Namespace) -> int:
    if getattr(args, "slips", False):
        return _history_slips(args)
    with _open_store(args) as store:
        if args.restore is not None:
            try:
                path = store.restore(args.restore, Path(args.out or "."))
            except (KeyError, OverflowError):
                raise UsageError(
                    f"没有编号为 {args.restore} 的报送（编号见 qyx history 列出的第一列）。"
                ) from None
            say(f"已取回第 {args.restore} 号报送的原始文件：{path}")
            return 0
        period = parse_period(args.period) if args.period else None
        rows = store.submissions(period, args.group)
        findings = {r.id: store.findings(r.id) for r in rows} if args.findings else {}

    def state(r) -> str:
        if not r.accepted:
            return "退回"
        return "采用" if r.superseded_by is None else f"被第 {r.superseded_by} 号取代"

    def human() -> None:
        if not rows:
            print("没有符合条件的报送记录。")
        for r in rows:
            print(
                f"{r.id:>4}  {r.received_at}  {r.period or '—':<8} {r.group or '未知':<5} {state(r):<10} "
                f"错误 {r.errors} 提醒 {r.warnings}  {r.file_name}"
            )
            for f in findings.get(r.id, []):
                print(f"        [{severity_word(f.severity)}] {f.sheet or ''}!{f.cell or ''} {f.message}")
        print(f"共 {len(rows)} 份报送。取回原始文件：qyx history --restore 编号 --out 文件夹")

    data = {
        "submissions": [
            dict(r.to_json(), state=state(r), findings=[f.to_dict() for f in findings.get(r.id, [])])
            for r in rows
        ]
    }
    _out(args, data, human)
    return 0


def cmd_trace(args: argparse.Namespace) -> int:
    period = parse_period(args.period)
    try:
        indicator = load_plan().indicator(args.indicator)
    except KeyError:
        raise UsageError(f"没有序号为“{args.indicator}”的指标。") from None
    with _open_store(args) as store:
        found = store.trace(period, indicator.id, indicator.domain)
    if found is None:
        raise UsageError(f"{period.label}没有已采用的指标 {indicator.id} 数据（该组未报送或被退回）。")
    data = {
        "period": found.period,
        "indicator": found.indicator_id,
        "group": found.group,
        "value": found.value,
        "value_text": found.value_text,
        "file": found.file_name,
        "sheet": found.sheet,
        "cell": found.cell,
        "received_at": found.received_at,
        "submission": found.submission_id,
        "sha256": found.sha256,
        "archive": str(found.archive_path),
    }

    def human() -> None:
        print(
            f"指标 {indicator.id} {indicator.name}，{period.label}：{found.value_text or '—'}{indicator.unit}"
        )
        print(f"  来自：{found.where}（{found.received_at} 收到，第 {found.submission_id} 号报送）")
        print(f"  归档：{found.archive_path}")

    _out(args, data, human)
    return 0


def cmd_rebuild_store(args: argparse.Namespace) -> int:
    folder = _store_dir(args)
    report = rebuild_store(folder, progress=Progress())
    say(f"已按归档文件重建历史库：{folder}（{report.replayed} 个文件）")
    if report.previous is not None:
        say(f"原数据库已保留为：{report.previous}")
    if report.skipped:
        say(f"以下 {len(report.skipped)} 个文件未能重放（其余照常）：")
        for name, why in report.skipped:
            say(f"  {name}：{why}")
        return 1
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    period = parse_period(args.period) if args.period else None
    if period is not None and period.kind != "month":
        raise UsageError("演示只能按月进行，请用 YYYY-MM 形式的填报期。")
    written = run_demo(Path(args.out), period=period, progress=Progress(), say=say)
    say("本次演示写出的文件：")
    for p in written:
        say(f"  {p}")
    return 0


def cmd_supervise(args: argparse.Namespace) -> int:
    import datetime as dt

    period = parse_period(args.period)
    ledger = _path(args.ledger)
    if args.out:
        out = Path(args.out)
    elif ledger is not None:
        out = ledger.parent / "督办单" / period.code
    else:
        raise UsageError(
            "请用 --out 指定督办单存放的文件夹（或用 --ledger 指定台账，督办单写在其旁边的“督办单”文件夹）。"
        )
    replies = _path(args.replies) or (ledger.parent / "反馈" if ledger is not None else None)
    if args.replies and not Path(args.replies).is_dir():
        raise UsageError(f"反馈文件夹“{args.replies}”不存在。")
    try:
        issued_on = dt.date.fromisoformat(args.date) if args.date else None
    except ValueError:
        raise UsageError(f"发单日期“{args.date}”应写成 YYYY-MM-DD，如 2024-05-08。") from None
    adjustments = None
    if ledger is not None:
        adjustments = _ledger_adjustments(ledger)
    with _open_store(args) as store:
        result = supervise(
            store,
            period,
            out_dir=out,
            ledger=ledger,
            replies=replies,
            issued_on=issued_on,
            adjustments=adjustments,
            pdf=args.pdf,
        )

    def human() -> None:
        print(result.summary_text())

    _out(args, result.to_json(), human)
    return 0


def _history_slips(args: argparse.Namespace) -> int:
    """``qyx history --slips``: every slip, its deadline and reply state, and the replies received."""

    with _open_store(args) as store:
        slips = store.slips(period=args.period) if args.period else store.slips()
        replies = store.replies()
    for s in slips:
        s["reply_state"] = slip_reply_state(s, replies)

    def human() -> None:
        if not slips:
            print("历史库中还没有督办单（用 qyx supervise --period P 发出）。")
        for s in slips:
            print(
                f"{s['number_text']}  {s['period']}  {s['unit']:<8} {s['level']}  {len(s['matters'])} 项  "
                f"发出 {s['issued_on']}  时限 {s['deadline']}  {s['reply_state']}  {SLIP_STATE_WORDS.get(s['state'], '')}"
            )
            for r in replies:
                if (r["year"], r["number"]) == (s["year"], s["number"]):
                    print(
                        f"        反馈：{r['file_name']}（{r['received_at'].replace('T', ' ')[:16]} 收到"
                        f"{'，逾期' if r['late'] else ''}）"
                    )
        print(f"共 {len(slips)} 张督办单，{len(replies)} 份整改反馈。")

    _out(args, {"slips": slips, "replies": replies}, human)
    return 0


def cli_reference_markdown() -> str:
    """The command reference (``docs/cli.md``), generated from the parser itself."""
    import os

    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"  # help text wraps by terminal width; the document must not vary
    try:
        parser = build_parser()
        return _reference(parser)
    finally:
        if saved is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = saved


def _reference(parser: argparse.ArgumentParser) -> str:
    lines = [
        "# qyx 命令参考",
        "",
        "Generated by `qyx docs` from `qyx_excel/cli.py`; a test keeps it equal.",
        "",
    ]
    lines += ["```", parser.format_help().rstrip(), "```", ""]
    sub = next(a for a in parser._actions if a.dest == "command")
    assert isinstance(sub.choices, dict)  # the subparsers action maps each command to its parser
    for name, p in sub.choices.items():
        lines += [f"## qyx {name}", "", p.description or "", "", "```", p.format_help().rstrip(), "```", ""]
    return "\n".join(lines)


def cmd_docs(args: argparse.Namespace) -> int:
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "findings.md").write_text(catalogue_markdown(), encoding="utf-8")
    (folder / "cli.md").write_text(cli_reference_markdown(), encoding="utf-8")

    (folder / "plan-notes.md").write_text(notes_markdown(load_plan()), encoding="utf-8")
    say(f"已更新 {folder / 'findings.md'}、{folder / 'cli.md'} 和 {folder / 'plan-notes.md'}")
    return 0


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


def cmd_doctor(args: argparse.Namespace) -> int:
    probe = SystemProbe()
    project = project_folder()
    ledger = args.ledger or default_ledger(project, probe)
    if ledger and not args.json:
        say(f"检查台账：{ledger}")
    checks = run_checks(probe, ledger=ledger, project=project)
    _out(args, to_json(checks), lambda: print(report(checks)))
    return 1 if any(c.status == "fail" for c in checks) else 0


# --- parser --------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The ``qyx`` parser; every command has Chinese help."""
    parser = _Parser(
        prog="qyx",
        description="瑞安市公共服务“七优享”工程台账：填报表下发、校验、汇总、晾晒、通报与进度表。",
        epilog="退出码：0 成功；1 有问题或被拒收；2 输入无法使用。加 --json 时标准输出只含 JSON。",
    )
    sub = parser.add_subparsers(dest="command", metavar="命令", parser_class=_Parser)

    def command(
        name: str, help_text: str, func: Callable[[argparse.Namespace], int]
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func)
        return p

    def json_flag(p: argparse.ArgumentParser) -> None:
        p.add_argument("--json", action="store_true", help="以 JSON 输出到标准输出（提示信息输出到标准错误）")

    def source_flags(p: argparse.ArgumentParser) -> None:
        p.add_argument("--ledger", help="台账 .xlsm 路径（历史库默认在其旁边的“历史库”文件夹）")
        p.add_argument("--store", help="历史库文件夹路径（覆盖默认位置）")

    p = command("catalogue", "列出方案的全部指标（含目标）、重点任务和专项组", cmd_catalogue)
    p.add_argument("--notes", action="store_true", help="列出方案问题登记：方案自身的矛盾、缺漏及所取读法")
    json_flag(p)

    p = command("evaluate", "按填报期评价一个指标的完成值：本年目标、序时目标、状态", cmd_evaluate)
    p.add_argument("--indicator", required=True, help="指标序号，如 1、27-1、32-2")
    p.add_argument("--period", required=True, help="填报期：YYYY-MM、YYYY-Qn 或 YYYY")
    p.add_argument("--value", required=True, help="本期完成值（数字，或 已完成/推进中/滞后/未启动）")
    p.add_argument("--previous-year-end", help="上年末实际值（不填则按上年目标起算）")
    p.add_argument("--note", help="进展情况说明（定性目标可在此声明完成情况）")
    json_flag(p)

    p = command("build-workbook", "生成台账工作簿 七优享台账.xlsm（含按钮和宏）", cmd_build_workbook)
    p.add_argument("--out", required=True, help="输出路径，如 七优享台账.xlsm")
    p.add_argument("--password", help="工作表保护密码（默认不设密码）")
    p.add_argument("--year", type=int, help="台账年度（“本年目标”显示该年目标），默认今年（限 2023—2027）")
    p.add_argument(
        "--standalone",
        action="store_true",
        help="独立版：内嵌已安装 xlwings 自带的 VBA 模块（xlwings.bas），按钮不需要 xlwings 加载项",
    )

    p = command("new-year", "由上一年度台账生成新年度台账：沿用目标调整、收件箱、密码、历史库", cmd_new_year)
    p.add_argument("--ledger", required=True, help="上一年度台账 .xlsm")
    p.add_argument(
        "--out", required=True, help="新台账路径（须与旧台账在同一文件夹），如 七优享台账2027.xlsm"
    )
    p.add_argument("--password", help="旧台账的工作表保护密码（旧台账设了密码时必填，会核对）")
    p.add_argument("--year", type=int, help="新台账年度（默认旧台账年度的下一年）")

    p = command(
        "weekly", "周盘点：下发各组周盘点表，或汇总一周（进展、问题、四周内到期节点、未报送）", cmd_weekly
    )
    p.add_argument("--week", required=True, help="ISO 周：2024-W14 或 2024年第14周")
    p.add_argument("--distribute", metavar="DIR", help="只生成各组本周的周盘点表到该文件夹")
    p.add_argument("--ledger", help="台账 .xlsm 路径（汇总时必填：写入其中的“周盘点”表）")
    p.add_argument("--inbox", help="周盘点收件箱文件夹（默认台账旁的“周盘点收件箱”）")
    p.add_argument("--out", help="周盘点 Word 文件路径（默认台账旁的 周盘点_2024-W14.docx）")
    p.add_argument("--store", help="历史库文件夹路径（默认在台账旁边的“历史库”）")

    p = command("distribute", "生成本期各专项组的填报表（每组一个 .xlsx）", cmd_distribute)
    p.add_argument("--period", required=True, help="填报期：YYYY-MM")
    p.add_argument("--out", required=True, help="输出文件夹")
    p.add_argument("--ledger", help="台账路径（读取指标库中的目标调整）")

    p = command("check", "校验填报表，逐格列出问题", cmd_check)
    p.add_argument("paths", nargs="+", metavar="PATH", help="填报表文件或文件夹")
    p.add_argument("--period", help="应报的填报期，如 2024-03")
    json_flag(p)

    p = command("consolidate", "汇总本期：校验、合并、评价、晾晒、列出未报送专项组", cmd_consolidate)
    p.add_argument("--period", required=True, help="填报期：YYYY-MM、YYYY-Qn 或 YYYY")
    p.add_argument(
        "--ledger", required=True, help="台账 .xlsm 路径（结果写入其中的汇总、晾晒、校验结果、进度表）"
    )
    p.add_argument("--inbox", help="收件箱文件夹（各组交回的填报表）")
    p.add_argument("--store", help="历史库文件夹路径（默认在台账旁边的“历史库”）")
    p.add_argument(
        "--new-store",
        action="store_true",
        help="台账已汇总过但找不到历史库时，确认从空的历史库重新开始（默认拒绝，以免丢失比对基准）",
    )
    p.add_argument(
        "--backfill",
        action="store_true",
        help="本期为补录（启用本工具前已过截止日的月份）：晚于截止日收到的记为“补录”，不算逾期；记入历史库，以后汇总沿用",
    )
    json_flag(p)

    p = command("notice", "生成进度通报（Word，GB/T 9704 版式）", cmd_notice)
    p.add_argument("--period", required=True, help="填报期：YYYY-MM、YYYY-Qn 或 YYYY")
    p.add_argument("--out", required=True, help="输出 .docx 路径")
    p.add_argument("--kind", choices=["monthly", "quarterly", "annual"], help="通报类型（默认随填报期）")
    p.add_argument(
        "--pdf", action="store_true", help="同时用 LibreOffice 转为 PDF（版式与 Word 一致，每行 28 字）"
    )
    p.add_argument(
        "--number", type=int, help="发文字号的序号（默认按年自动编号，记在历史库的“通报编号.json”）"
    )
    source_flags(p)

    p = command("tables", "生成打印用的月度进度表（.xlsx，可另存 PDF）", cmd_tables)
    p.add_argument("--period", required=True, help="填报期：YYYY-MM、YYYY-Qn 或 YYYY")
    p.add_argument("--out", required=True, help="输出 .xlsx 路径")
    p.add_argument("--pdf", action="store_true", help="同时用 LibreOffice 转为 PDF")
    p.add_argument("--paper", choices=["A4", "A3"], default="A4", help="纸张（默认 A4 横向）")
    source_flags(p)

    p = command("export", "导出本期汇总数据（JSON 或 CSV，供温州市、省级系统汇总）", cmd_export)
    p.add_argument("--period", required=True, help="填报期")
    p.add_argument("--out", required=True, help="输出文件（.json 或 .csv）")
    p.add_argument("--county", default="瑞安市", help="县（市、区）名称，默认 瑞安市")
    source_flags(p)

    p = command("rollup", "汇总多个县（市、区）的导出文件，生成市级/省级视图", cmd_rollup)
    p.add_argument("--period", required=True, help="填报期")
    p.add_argument("--out", required=True, help="输出工作簿路径")
    p.add_argument("exports", nargs="+", metavar="COUNTY_EXPORT", help="各县导出文件或文件夹")
    json_flag(p)

    p = command("history", "列出历史库中收到的每一份报送；可取回任一份原始文件", cmd_history)
    p.add_argument("--period", help="只看某一填报期")
    p.add_argument("--group", help="只看某一专项组，如 幼有善育")
    p.add_argument("--findings", action="store_true", help="同时列出每份报送的问题")
    p.add_argument("--restore", type=int, metavar="编号", help="取回该编号报送的原始文件（逐字节相同）")
    p.add_argument("--out", help="取回文件存放的文件夹（默认当前文件夹）")
    p.add_argument(
        "--slips", action="store_true", help="改为列出督办单（编号、责任单位、反馈时限、反馈情况）和整改反馈"
    )
    source_flags(p)
    json_flag(p)

    p = command(
        "supervise",
        "督办：按历史各月状态判定蓝色提醒/黄色预警/红色督办，发督办单，登记整改反馈",
        cmd_supervise,
    )
    p.add_argument("--period", required=True, help="填报期：YYYY-MM")
    p.add_argument("--out", help="督办单（.docx）和督办清单存放的文件夹（默认台账旁的 督办单/填报期）")
    p.add_argument("--replies", help="整改反馈文件夹（文件名含督办单编号；默认台账旁的“反馈”）")
    p.add_argument("--date", help="发单日期 YYYY-MM-DD（默认今天，重发时沿用第一次的日期）")
    p.add_argument(
        "--pdf",
        action="store_true",
        help="同时用 LibreOffice 转为 PDF（与进度通报同样保持 Word 的版式，每行 28 字、一页）",
    )
    source_flags(p)
    json_flag(p)

    p = command("trace", "追溯汇总中的一个数字：来自哪个文件、哪个单元格、何时收到", cmd_trace)
    p.add_argument("--period", required=True, help="填报期")
    p.add_argument("--indicator", required=True, help="指标序号，如 1、27-1")
    source_flags(p)
    json_flag(p)

    p = command(
        "rebuild-store", "按归档的原始文件重建历史库数据库（数据库损坏或丢失时使用）", cmd_rebuild_store
    )
    source_flags(p)

    p = command("demo", "用内置样例跑一遍月度流程：生成台账、下发、填报、校验、汇总、通报、进度表", cmd_demo)
    p.add_argument(
        "--out",
        default="demo-out",
        help="输出文件夹（默认 demo-out）：须是新的或空的文件夹，或此前演示生成的文件夹（只清除演示自己生成的内容）",
    )
    p.add_argument("--period", help="演示的填报期（默认上个月），如 2026-10")

    p = command("docs", "重新生成文档：问题代码表 docs/findings.md 和命令参考 docs/cli.md", cmd_docs)
    p.add_argument("--out", default="docs", help="文档文件夹（默认 docs）")

    p = command(
        "doctor", "检查本机能否使用台账按钮：Python、xlwings、加载项或独立版、宏安全、代码页等", cmd_doctor
    )
    p.add_argument("--ledger", help="要检查的台账 .xlsm（默认 scripts 启动器使用的 台账\\七优享台账.xlsm）")
    json_flag(p)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``qyx``; returns the exit code (never lets a traceback reach the user)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="replace")
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help(sys.stderr)
            return 2
        return args.func(args)
    except QyxError as exc:
        say(f"错误：{exc.message}")
        return exc.exit_code
    except KeyboardInterrupt:
        say("已中断。")
        return 130
    except Exception as exc:  # last resort: a clerk sees one Chinese line, not a traceback
        known = _known_failure(exc)
        if known is not None and not _debug():
            say(f"错误：{known}。")
            return 2
        say(f"内部错误：{type(exc).__name__}: {exc}。请把这条信息发给维护人员。")
        if _debug():
            raise
        return 2


def _known_failure(exc: BaseException) -> str | None:
    """An instruction for failures of the machine rather than of qyx: the history store's database
    (damaged, read-only, locked), a full disk, a permission refused; None for anything else."""
    import errno
    import sqlite3

    if isinstance(exc, sqlite3.Error):
        return f"历史库数据库出错：{store_problem(exc)}"
    if isinstance(exc, OSError):
        where = f"（{exc.filename}）" if exc.filename else ""
        if exc.errno == errno.ENOSPC:
            return f"磁盘空间不足{where}，请清理磁盘后重试；已写好的文件不受影响"
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return f"没有写入或读取权限{where}，请检查文件夹权限或换一个位置"
        if exc.errno == errno.ENAMETOOLONG:
            return f"文件名或路径过长{where}，请换一个短一些的名字"
    return None


def _debug() -> bool:
    import os

    return os.environ.get("QYX_DEBUG") == "1"


if __name__ == "__main__":
    sys.exit(main())
