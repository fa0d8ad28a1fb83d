"""Write a consolidation's results into the ledger: 汇总, 晾晒, 校验结果 (with 报送情况), 进度表, ``_meta`` period.

The ledger is an ``.xlsm`` with buttons and a VBA project, so it is re-saved with openpyxl
``load_workbook(keep_vba=True)`` (keeps ``vbaProject.bin``, the form buttons, validation, protection
and print settings: ``test_openpyxl_keep_vba_round_trip_keeps_buttons`` in tests/test_workbook.py)
and written through :func:`safeio.atomic_write` — a temporary file, reopened to verify, the
previous version kept under ``备份/``; a ledger held open by Excel raises
:class:`~qyx_excel.errors.OutputLocked` and is left as it was.

Old results are cleared first (values, styles and merges below the header rows), so a shorter
result never leaves stale rows behind. Every status cell carries the status word *and* a fill, so
the sheet reads the same printed in black and white. Text that came from submissions is always
stored as text (a note starting with ``=`` stays a note).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import glossary
from .cells import letters_base1
from .findings import CODES, ERROR, SEVERITY_WORDS, WARNING, severity_word
from .glossary import (
    GROUPS,
    SHEET_FINDINGS,
    SHEET_RANKING,
    SHEET_SUMMARY,
    SHEET_TABLES,
    STATUS_ORDER,
    Status,
)
from .layout import (
    FINDINGS_DETAIL_HEADERS,
    FINDINGS_HEADERS,
    FINDINGS_WIDTHS,
    OUTPUT_HEADER_ROW,
    OUTPUT_NOTE_ROW,
    RANKING_HEADERS,
    SUMMARY_COLUMNS,
    SUMMARY_COUNTS_CELL,
    SUMMARY_HEADER_ROW,
    SUMMARY_PERIOD_CELL,
    SUMMARY_RESULT,
    TABLES_HEADERS,
    TABLES_WIDTHS,
)
from .model import Consolidation, GroupStatus, IndicatorRow, RankEntry
from .plan import load_plan
from .ranking import DIMENSION_LABELS, rule_text
from .safeio import atomic_write
from .sheetstyle import _clear, _data_row, _header_row, _load, _print_area, _put, _Styles
from .submission import META_SHEET
from .supervision import board_levels, sheet_blocks, summary_level_block, write_sheet, write_summary_levels
from .textfit import row_height
from .values import expected_shown, format_number

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from .model import ConsolidationResult

# The sheets' columns and widths are layout's, which the builder draws too: 汇总 SUMMARY_COLUMNS,
# 晾晒 RANKING_HEADERS, 校验结果 FINDINGS_HEADERS (报送情况) then FINDINGS_DETAIL_HEADERS, both tables
# sharing FINDINGS_WIDTHS, 进度表 TABLES_HEADERS / TABLES_WIDTHS.
FINDINGS_TITLE = "校验问题明细"

#: Fill colour per status word (glossary.STATUS_FILLS; the word is always written too).
STATUS_FILLS: dict[str, str] = {s.value: fill for s, fill in glossary.STATUS_FILLS.items()}


def write_results(ledger: Path, result: ConsolidationResult | Consolidation) -> Path:
    """Write 汇总, 晾晒, 校验结果, 进度表 and ``_meta`` ``period`` of ``result`` into ``ledger``; return its path."""

    consolidation = result if isinstance(result, Consolidation) else result.consolidation
    summary = "" if isinstance(result, Consolidation) else result.summary_text()
    supervision = getattr(result, "supervision", None)
    ledger = Path(ledger)

    def write(tmp: Path) -> None:
        wb = _load(ledger)
        fill_workbook(wb, consolidation, summary=summary, levels=progress_levels(supervision))
        if supervision is not None:  # the 督办 sheet (levels from history, slips, replies), 汇总's 预警等级
            write_sheet(wb, supervision)
            write_summary_levels(wb[SHEET_SUMMARY], supervision)
        wb.save(tmp)

    def verify(tmp: Path) -> None:
        _verify(ledger, tmp, consolidation)

    return atomic_write(ledger, write, verify=verify, backup=True)


def fill_workbook(
    wb: Any, consolidation: Consolidation, *, summary: str = "", levels: dict[str, str] | None = None
) -> None:
    """Fill an open openpyxl workbook (the ledger) with the results; nothing is saved here.

    The 进度表 sheet is filled when the ledger has one (``levels``: its 预警等级 column, :func:`progress_levels`).
    """
    styles = _Styles()
    for name in (SHEET_SUMMARY, SHEET_RANKING, SHEET_FINDINGS):
        if name not in wb.sheetnames:
            wb.create_sheet(name)
    _write_summary(wb[SHEET_SUMMARY], consolidation, summary, styles)
    _write_ranking(wb[SHEET_RANKING], consolidation, styles)
    _write_findings(wb[SHEET_FINDINGS], consolidation, styles)
    if SHEET_TABLES in wb.sheetnames:
        _write_progress(wb[SHEET_TABLES], consolidation, levels, styles)
    _set_meta_period(wb, consolidation.period)


# ================================================================================================
# Sheets
# ================================================================================================


def _write_summary(ws: Worksheet, c: Consolidation, summary: str, st: _Styles) -> None:
    header = SUMMARY_HEADER_ROW
    _clear(ws, header + 1)
    _header_row(ws, header, [name for name, _ in SUMMARY_COLUMNS], st, widths=[w for _, w in SUMMARY_COLUMNS])
    ws[SUMMARY_PERIOD_CELL].value = c.period
    text = summary or f"{c.label}汇总完成（{c.generated_at}）"
    _put(ws[SUMMARY_RESULT.value_cell], text)
    # the merged result cell does not grow with its text: room for every line, or the first and
    # last are cut off
    result_row = int("".join(ch for ch in SUMMARY_RESULT.value_cell if ch.isdigit()))
    ws.row_dimensions[result_row].height = result_height(text)
    _put(ws[SUMMARY_COUNTS_CELL], counts_line(c))
    row = header + 1
    for r, values in zip(c.indicators, summary_rows(c), strict=True):
        _data_row(
            ws,
            row,
            values,
            st,
            centered={1, 2, 4, 11, 17},
            numbers={8, 9, 10, 12, 13},
            widths=[w for _, w in SUMMARY_COLUMNS],
            fills={11: STATUS_FILLS.get(r.status.value)},
            bold={11} if r.status is Status.SEVERELY_LAGGING else set(),
            formats={10: "0.0", 13: "+0.####;-0.####;0"},
        )
        row += 1
    _print_area(ws, row - 1, len(SUMMARY_COLUMNS))


def summary_rows(c: Consolidation) -> list[list[Any]]:
    """The 汇总 table's rows (columns :data:`SUMMARY_COLUMNS`), one per indicator.

    序时目标 is rounded as the notice and the print tables show it (:func:`values.expected_shown`)."""

    return [
        [
            r.id,
            r.domain,
            r.name,
            r.unit,
            r.responsible_unit,
            r.target_text,
            r.original_target_text or "",
            expected_shown(r.id, r.expected, r.value),
            r.value if r.value is not None else r.value_text,
            r.completion,
            r.status.value,
            r.previous_value,
            r.change,
            r.note,
            r.reason,
            r.source_file or "",
            r.source_cell or "",
        ]
        for r in c.indicators
    ]


def counts_line(c: Consolidation) -> str:
    """``2024年3月 47 项指标：已达标 30 项（较上期 +2）…`` for the 汇总 sheet's counts row."""
    counts = c.status_counts()
    parts = []
    for word, n in counts.items():
        text = f"{word} {n} 项"
        if c.previous_counts is not None:
            delta = n - c.previous_counts.get(word, 0)
            if delta:
                text += f"（较上期{delta:+d}）"
        parts.append(text)
    return f"{c.label}共 {len(c.indicators)} 项指标：" + "，".join(parts) + "。"


def _write_ranking(ws: Worksheet, c: Consolidation, st: _Styles) -> None:
    header = OUTPUT_HEADER_ROW
    _clear(ws, header + 1)
    _header_row(ws, header, list(RANKING_HEADERS), st)
    _put(ws.cell(OUTPUT_NOTE_ROW, 1), result_blocks_note(c, SHEET_RANKING))
    row = header + 1
    for values in ranking_rows(c):
        _data_row(
            ws,
            row,
            values,
            st,
            centered=set(range(1, 13)) - {3},
            numbers=set(range(4, 13)),
            formats={10: "0.0", 12: "+0;-0;0"},
        )
        row += 1
    row += 1
    last = len(RANKING_HEADERS)
    cell = ws.cell(row, 1)
    _put(cell, rule_text())
    st.apply(cell, font=st.font, alignment=st.wrap)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last)
    ws.row_dimensions[row].height = 96
    _print_area(ws, row, last)


def ranking_rows(c: Consolidation) -> list[list[Any]]:
    """The 晾晒 table's rows (columns :data:`RANKING_HEADERS`): domains, units, then groups, by rank."""
    return [_ranking_values(e) for dimension in ("domain", "unit", "group") for e in c.ranking_of(dimension)]


def _ranking_values(e: RankEntry) -> list[Any]:
    return [
        DIMENSION_LABELS.get(e.dimension, e.dimension),
        e.rank,
        e.name,
        *(e.counts.get(s.value, 0) for s in STATUS_ORDER),
        e.score,
        e.previous_rank,
        e.rank_change,
    ]


def _write_findings(ws: Worksheet, c: Consolidation, st: _Styles) -> None:
    header = OUTPUT_HEADER_ROW
    _clear(ws, header)
    _put(ws.cell(OUTPUT_NOTE_ROW, 1), result_blocks_note(c, SHEET_FINDINGS))
    _header_row(ws, header, list(FINDINGS_HEADERS), st, widths=list(FINDINGS_WIDTHS))
    row = header + 1
    for values in reporting_rows(c):
        word = values[1]
        _data_row(
            ws,
            row,
            values,
            st,
            centered={1, 2, 3, 4, 6, 7, 8},
            numbers={7, 8},
            widths=list(FINDINGS_WIDTHS),
            fills={2: WORD_FILLS.get(word)},
            bold={2} if word == "已退回" else set(),
        )
        row += 1
    row += 1
    _put(ws.cell(row, 1), FINDINGS_TITLE)
    # one line, running over the empty cells to its right (wrapped in the narrow 序号 column it
    # overlapped the header row below)
    st.apply(ws.cell(row, 1), font=st.section, alignment=st.nowrap)
    ws.row_dimensions[row].height = 20
    row += 1
    _header_row(ws, row, list(FINDINGS_DETAIL_HEADERS), st)
    row += 1
    for values in findings_rows(c):
        _data_row(
            ws,
            row,
            values,
            st,
            centered={1, 2, 4, 6, 7, 8},
            numbers=set(),
            widths=list(FINDINGS_WIDTHS),
            fills={2: WORD_FILLS.get(values[1])},
            bold={2} if values[1] == SEVERITY_WORDS[ERROR] else set(),
        )
        row += 1
    if not c.findings:
        _put(ws.cell(row, 1), "本期报送文件未发现问题。")
        row += 1
    _print_area(ws, row - 1, len(FINDINGS_DETAIL_HEADERS))


def _write_progress(ws: Worksheet, c: Consolidation, levels: dict[str, str] | None, st: _Styles) -> None:
    """The 进度表 sheet, as :func:`progress_blocks` lays it out (the button writes the same blocks)."""
    _clear(ws, OUTPUT_HEADER_ROW + 1)
    _put(ws.cell(OUTPUT_NOTE_ROW, 1), progress_note(c))
    headers = list(TABLES_HEADERS) + (["预警等级"] if levels is not None else [])
    _header_row(ws, OUTPUT_HEADER_ROW, headers, st)
    status = TABLES_HEADERS.index("状态") + 1
    row = OUTPUT_HEADER_ROW + 1
    for r, values in zip(c.indicators, progress_rows(c), strict=True):
        if levels is not None:
            values = [*values, levels.get(r.id, "")]
        fills = {status: WORD_FILLS.get(r.status.value)}
        if levels is not None:
            fills[len(headers)] = WORD_FILLS.get(values[-1])
        _data_row(
            ws,
            row,
            values,
            st,
            centered={1, 2, 4, status, len(TABLES_HEADERS) + 1},
            numbers={7, 8, 9},
            widths=list(TABLES_WIDTHS),
            fills=fills,
        )
        row += 1
    _print_area(ws, row - 1, len(headers))


def progress_rows(c: Consolidation) -> list[list[Any]]:
    """The 进度表 sheet's rows (columns ``layout.TABLES_HEADERS``), one per indicator."""

    plan = load_plan()

    def baseline(ind_id: str) -> str:
        try:
            return plan.indicator(ind_id).target_text(2022)
        except KeyError:
            return ""

    def rounded(x: float | None, digits: int) -> float | None:
        return None if x is None else round(x, digits)

    return [
        [
            r.domain,
            r.id,
            r.name,
            r.unit,
            baseline(r.id),
            r.target_text,
            rounded(r.expected, 2),
            r.value if r.value is not None else r.value_text,
            rounded(r.completion, 1),
            r.status.value,
            r.note,
        ]
        for r in c.indicators
    ]


def progress_note(c: Consolidation) -> str:
    """The 进度表 sheet's note row."""
    return f"{c.label}七优享工程指标进度表（生成于 {c.generated_at.replace('T', ' ')}）：状态按本年目标和时间进度判定。"


def progress_levels(board: Any) -> dict[str, str] | None:
    """``{indicator id: 督办 level word}`` (levels above 无) of a :class:`~qyx_excel.supervision.Board`
    for the 进度表's 预警等级 column; None without a board (no column)."""

    return None if board is None else board_levels(board)


def progress_blocks(
    c: Consolidation, levels: dict[str, str] | None = None
) -> list[tuple[str, list[list[Any]]]]:
    """The 进度表 sheet as blocks (see :func:`result_blocks`); ``levels`` adds a 预警等级 column after the table."""
    blocks = [
        (f"A{OUTPUT_NOTE_ROW}", [[progress_note(c)]]),
        (f"A{OUTPUT_HEADER_ROW}", [list(TABLES_HEADERS), *progress_rows(c)]),
    ]
    if levels is not None:
        blocks.append(
            (
                f"{letters_base1(len(TABLES_HEADERS) + 1)}{OUTPUT_HEADER_ROW}",
                [["预警等级"], *[[levels.get(r.id, "")] for r in c.indicators]],
            )
        )
    return blocks


def reporting_rows(c: Consolidation) -> list[list[Any]]:
    """The 报送情况 table's rows (columns :data:`FINDINGS_HEADERS`), one per group."""
    return [reporting_values(i, g) for i, g in enumerate(c.groups, start=1)]


def finding_title(code: str) -> str:
    """The Chinese name of a finding code, as the clerk reads it in 校验结果 (the code itself if unknown)."""

    known = CODES.get(code)
    return known.title if known else code


def result_height(text: str) -> float:
    """Row height (points) for the 汇总 result cell (merged over C–Q) holding ``text``: every line, at least four."""
    return row_height([(str(text), 200.0)], min_lines=4)


def findings_rows(c: Consolidation) -> list[list[Any]]:
    """The 校验问题明细 table's rows (columns :data:`FINDINGS_DETAIL_HEADERS`)."""
    group_of = _group_of_file(c)
    return [
        [
            i,
            severity_word(f.severity),
            finding_title(f.code),
            f.sheet if f.sheet in GROUPS else group_of.get(f.file or "", ""),
            f.file or "",
            f.sheet or "",
            f.cell or "",
            f.indicator or "",
            f.message,
            f.code,
        ]
        for i, f in enumerate(c.findings, start=1)
    ]


def result_blocks(
    c: Consolidation, summary: str = "", supervision: Any = None
) -> dict[str, list[tuple[str, list[list[Any]]]]]:
    """Every value the results put in the ledger, as ``{sheet: [(top-left A1, rows), …]}``.

    For writers other than openpyxl (the xlwings buttons write these ranges into the open book;
    clear each sheet from its first block's row down first). Colours: :data:`WORD_FILLS`.
    ``supervision`` (a :class:`~qyx_excel.supervision.Board`) adds 汇总's and 进度表's 预警等级
    columns and the 督办 sheet, as :func:`write_results` writes them.
    """
    reporting = reporting_rows(c)
    findings_title = OUTPUT_HEADER_ROW + len(reporting) + 2
    findings = findings_rows(c) or [["本期报送文件未发现问题。"]]
    ranking = ranking_rows(c)
    blocks = _result_blocks(c, summary, reporting, findings_title, findings, ranking)
    blocks[SHEET_TABLES] = progress_blocks(c, progress_levels(supervision))
    if supervision is not None:
        blocks[SHEET_SUMMARY].append(summary_level_block(supervision, [r.id for r in c.indicators]))
        split: list[tuple[str, list[list[Any]]]] = []
        for top_left, rows in sheet_blocks(supervision):
            # titles apart from tables, so that a table's first row is its header row
            row = int("".join(ch for ch in top_left if ch.isdigit()))
            header = next((i for i, r in enumerate(rows) if len(r) > 1), 0)
            if header:
                split.append((top_left, rows[:header]))
            split.append((f"A{row + header}", rows[header:]))
        blocks[glossary.SHEET_SUPERVISION] = split
    return blocks


def _result_blocks(
    c: Consolidation,
    summary: str,
    reporting: list[list[Any]],
    findings_title: int,
    findings: list[list[Any]],
    ranking: list[list[Any]],
) -> dict[str, list[tuple[str, list[list[Any]]]]]:
    return {
        SHEET_SUMMARY: [
            (SUMMARY_PERIOD_CELL, [[c.period]]),
            (SUMMARY_RESULT.value_cell, [[summary or f"{c.label}汇总完成（{c.generated_at}）"]]),
            (SUMMARY_COUNTS_CELL, [[counts_line(c)]]),
            (f"A{SUMMARY_HEADER_ROW}", [[name for name, _ in SUMMARY_COLUMNS], *summary_rows(c)]),
        ],
        SHEET_RANKING: [
            (f"A{OUTPUT_NOTE_ROW}", [[result_blocks_note(c, SHEET_RANKING)]]),
            (f"A{OUTPUT_HEADER_ROW}", [list(RANKING_HEADERS), *ranking]),
            (f"A{OUTPUT_HEADER_ROW + len(ranking) + 2}", [[rule_text()]]),
        ],
        SHEET_FINDINGS: [
            (f"A{OUTPUT_NOTE_ROW}", [[result_blocks_note(c, SHEET_FINDINGS)]]),
            (f"A{OUTPUT_HEADER_ROW}", [list(FINDINGS_HEADERS), *reporting]),
            (f"A{findings_title}", [[FINDINGS_TITLE], list(FINDINGS_DETAIL_HEADERS), *findings]),
        ],
    }


def result_blocks_note(c: Consolidation, sheet: str) -> str:
    """The note row of 晾晒 / 校验结果 for the period."""
    if sheet == SHEET_RANKING:
        return f"{c.label}多维晾晒：分领域、分责任单位、分专项组排名（规则见表下）。"
    return f"{c.label}报送与校验情况：“错误”须修改后重新报送，“提醒”请核实。"


#: Fill colour of every word a result cell may hold: statuses, 报送情况, 级别.
WORD_FILLS: dict[str, str] = {
    **STATUS_FILLS,
    "已受理": glossary.FILL_GREEN,
    "已退回": glossary.FILL_RED,
    "未报送": glossary.FILL_GREY,
    SEVERITY_WORDS[ERROR]: glossary.FILL_RED,
    SEVERITY_WORDS[WARNING]: glossary.FILL_YELLOW,
    **{lv.value: fill for lv, fill in glossary.LEVEL_FILLS.items() if lv is not glossary.Level.NONE},
    "逾期未反馈": glossary.FILL_RED,
    "逾期反馈": glossary.FILL_YELLOW,
    "已反馈": glossary.FILL_GREEN,
}


def reporting_word(g: GroupStatus) -> str:
    """已受理 / 已退回 / 未报送."""
    if not g.submitted:
        return "未报送"
    return "已受理" if g.accepted else "已退回"


def late_word(g: GroupStatus) -> str:
    """是 / 否 / 补录 (a back-filled period is never 逾期)."""
    if g.backfill:
        return "补录"
    return "是" if g.late else "否"


def received_text(g: GroupStatus) -> str:
    """The arrival time, with the form's own 填报日期 beside it when it was filled in."""
    text = (g.received_at or "").replace("T", " ")[:16]
    if text and g.filled_on:
        text += f"（填报日期 {g.filled_on}）"
    return text


def reporting_values(i: int, g: GroupStatus) -> list[Any]:
    """One line of the 报送情况 table."""
    return [
        i,
        reporting_word(g),
        g.group,
        late_word(g),
        g.file or "",
        received_text(g),
        g.errors,
        g.warnings,
        g.reminder,
    ]


def _group_of_file(c: Consolidation) -> dict[str, str]:
    found = {}
    for g in c.groups:
        if g.file:
            found[g.file] = g.group
        for name in g.superseded:
            found.setdefault(name, g.group)
    return found


# ================================================================================================
# Cells
# ================================================================================================


def _set_meta_period(wb: Any, period: str) -> None:
    if META_SHEET not in wb.sheetnames:
        return
    ws = wb[META_SHEET]
    for row in ws.iter_rows(min_col=1, max_col=2):
        if row[0].value == "period":
            row[1].value = period
            row[1].data_type = "s"
            return
    ws.append(["period", period])


def _verify(original: Path, written: Path, c: Consolidation) -> None:
    """Reopen what was written (zip intact, macros kept, the results where they belong)."""
    with zipfile.ZipFile(original) as z:
        had_vba = "xl/vbaProject.bin" in z.namelist()
    with zipfile.ZipFile(written) as z:
        if z.testzip() is not None:
            raise ValueError("written ledger is not a valid zip package")
        if had_vba and "xl/vbaProject.bin" not in z.namelist():
            raise ValueError("the VBA project was lost")
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(written))
    try:
        # only the rows up to the first data row: a stray value far down the sheet must not make
        # the reader allocate the whole used range
        rows = book.get_sheet_by_name(SHEET_SUMMARY).to_python(
            skip_empty_area=False, nrows=SUMMARY_HEADER_ROW + 1
        )
    finally:
        book.close()
    first = (
        rows[SUMMARY_HEADER_ROW][0] if len(rows) > SUMMARY_HEADER_ROW and rows[SUMMARY_HEADER_ROW] else None
    )
    if c.indicators and str(first) != c.indicators[0].id:
        raise ValueError(f"汇总 row {SUMMARY_HEADER_ROW + 1} holds {first!r}")


def status_text(row: IndicatorRow) -> str:
    """The value as shown in 汇总 (the typed text when there is no number)."""
    return format_number(row.value) if row.value is not None else row.value_text
