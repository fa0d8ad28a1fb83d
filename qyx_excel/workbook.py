"""Build the ledger workbook ``七优享台账.xlsm`` (XlsxWriter) and the sheets fill-in files share.

Sheets, in order: 使用说明, 指标库, 方案问题 (the register of the plan's contradictions), the nine
group sheets, 汇总, 晾晒, 校验结果, 进度表 and the very hidden ``_meta``.  Positions come from :mod:`qyx_excel.layout`; the VBA project and the buttons
from :mod:`qyx_excel.vbaproject`.  ``distribute.py`` reuses the sheet writers for fill-in files.

Input cells are unlocked, shaded pale gold with a dark-gold border (the shade prints as a light
grey in black and white, everything else prints white); every other cell of a group sheet is
locked under sheet protection.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import TEMPLATE_VERSION, vbaproject
from .cells import letters_base1, split_base1
from .duedates import load_due_rules
from .errors import PlanDataError, UsageError
from .glossary import (
    APPLICATION_GROUP,
    DOMAINS,
    FILL_HEADER,
    GROUPS,
    LINE_GRID,
    PERCENT_UNITS,
    SHEET_CATALOGUE,
    SHEET_FINDINGS,
    SHEET_GUIDE,
    SHEET_NOTES,
    SHEET_RANKING,
    SHEET_SUMMARY,
    SHEET_TABLES,
    AppState,
    Kind,
    ProjectState,
    TaskState,
)
from .layout import (
    CATALOGUE_YEARS,
    GUIDE_WIDTHS,
    NOTE_ROW,
    OUTPUT_NOTE_ROW,
    SUMMARY_COUNTS_CELL,
    SUMMARY_INBOX_CELL,
    SUMMARY_INBOX_DEFAULT,
    SUMMARY_INBOX_END,
    SUMMARY_INBOX_LABEL,
    SUMMARY_PERIOD_CELL,
    SUMMARY_PERIOD_LABEL,
    TITLE_ROW,
    Field,
    SheetLayout,
    Table,
    catalogue_layout,
    group_layout,
    notes_layout,
    output_layout,
)
from .periods import FIRST_YEAR, LAST_YEAR
from .plan import load_plan
from .safeio import atomic_write
from .submission import META_KEYS, META_SHEET, META_TEMPLATE
from .targets import QUALITATIVE_WORDS, Adjustment, target_for
from .textfit import row_height, text_height

if TYPE_CHECKING:
    from xlsxwriter.format import Format
    from xlsxwriter.workbook import Workbook
    from xlsxwriter.worksheet import Worksheet

    from .plan import Indicator, Plan

#: The committed ledger, relative to the repository root.
LEDGER_NAME = "七优享台账.xlsm"
FONT = "宋体"
TITLE_FONT = "黑体"
#: Pale gold (Office palette "Gold, lighter 60%"): about 90 % grey in a black-and-white print.
INPUT_FILL = "#FFE699"
INPUT_BORDER = "#BF8F00"
FOOTER = "&C第 &P 页 共 &N 页"
#: Words a group may type for a qualitative target (全覆盖, 开展试点) instead of a number.
DECLARATION_CHOICES: tuple[str, ...] = ("已完成", "推进中", "滞后", "未启动")
#: Extra ``_meta`` rows after the contract's six (docs/contracts.md).
META_EXTRA_KEYS = ("target_year",)

# Workbook-level defined names for the buttons (xlwings reads them as ``book.names[...]``).
NAME_PERIOD = "QYX_PERIOD"
NAME_INBOX = "QYX_INBOX"
NAME_RESULT = "QYX_RESULT"


@dataclass(frozen=True)
class Carried:
    """What a new year's ledger takes over from the previous one (``qyx new-year``)."""

    adjustments: tuple[Adjustment, ...] = ()  # the 目标调整记录 rows, latest per indicator and year
    inbox: str = SUMMARY_INBOX_DEFAULT  # 汇总!F2 as the office set it
    xlwings_conf: tuple[tuple[str, str], ...] = ()  # the xlwings.conf sheet's rows (interpreter …)


def check_year(year: int) -> int:
    """``year`` if the plan has targets for it; else a UsageError saying the plan's span."""

    if not FIRST_YEAR <= int(year) <= LAST_YEAR:
        after = "方案期已结束，不再生成新台账；" if int(year) > LAST_YEAR else ""
        raise UsageError(
            f"台账年度 {year} 不在“七优享”实施方案期（{FIRST_YEAR}—{LAST_YEAR}年）内：{after}"
            f"请用 --year 指定 {FIRST_YEAR}—{LAST_YEAR} 之间的年份。"
        )
    return int(year)


def default_year(today: date | None = None) -> int:
    """The year whose targets a new ledger shows: this year, kept inside the plan (2023–2027)."""
    year = (today or date.today()).year
    return min(max(year, FIRST_YEAR), LAST_YEAR)


# --- formats ----------------------------------------------------------------------------------


class Formats:
    """The workbook's cell formats, created once per XlsxWriter workbook."""

    def __init__(self, wb: Workbook) -> None:
        self._wb = wb
        self._cache: dict[tuple, Format] = {}
        grid = {"border": 1, "border_color": "#" + LINE_GRID, "valign": "vcenter", "text_wrap": True}
        inp = {
            "border": 1,
            "border_color": INPUT_BORDER,
            "bg_color": INPUT_FILL,
            "locked": False,
            "valign": "vcenter",
            "text_wrap": True,
        }
        self.title = self._add(
            font_name=TITLE_FONT, font_size=16, bold=True, align="center", valign="vcenter"
        )
        self.note = self._add(
            font_size=9, font_color="#404040", text_wrap=True, valign="vcenter", align="left"
        )
        self.section = self._add(font_name=TITLE_FONT, font_size=11, bold=True, valign="vcenter")
        self.label = self._add(bold=True, align="right", valign="vcenter", indent=1)
        self.header = self._add(**grid, bold=True, align="center", bg_color="#" + FILL_HEADER)
        self.text = self._add(**grid, align="left")
        self.center = self._add(**grid, align="center")
        self.parent = self._add(**grid, align="left", bold=True)
        self.parent_center = self._add(**grid, align="center", bold=True)
        self.input = self._add(**inp, align="left")
        self.input_center = self._add(**inp, align="center")
        self.input_text = self._add(**inp, align="left", num_format="@")
        self.input_date = self._add(**inp, align="center", num_format="yyyy-mm-dd")
        self.input_sample = self._add(**(inp | {"locked": True}), align="center")  # the legend's swatch
        self.result = self._add(
            italic=True,
            font_color="#1F4E79",
            locked=False,
            valign="top",
            text_wrap=True,
            bottom=1,
            bottom_color="#" + LINE_GRID,
        )
        self.body = self._add(text_wrap=True, valign="top", align="left")
        self.plain = self._add(valign="vcenter")
        self.meta = self._add(num_format="@")

    def _add(self, **props: Any) -> Format:
        return self._wb.add_format(props)


def new_workbook(path: Path) -> Workbook:
    """An XlsxWriter workbook with our defaults (text stays text; 宋体 10)."""
    from xlsxwriter import Workbook

    return Workbook(
        str(path),
        {
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "default_format_properties": {"font_name": FONT, "font_size": 10},
        },
    )


# --- shared helpers --------------------------------------------------------------------------


def _rc(address: str) -> tuple[int, int]:
    """0-based (row, col) for XlsxWriter from an A1 address."""
    row, col = split_base1(address)
    return row - 1, col - 1


def _setup_page(ws: Worksheet, layout: SheetLayout, last_row: int) -> None:
    for i, width in enumerate(layout.widths):
        ws.set_column(i, i, width)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=0.55, bottom=0.6)
    ws.set_footer(FOOTER)
    first, last = layout.print_title_rows
    ws.repeat_rows(first - 1, last - 1)
    # A second table (a domain sheet's 重点任务) starts a printed page of its own, with its header row
    # at the top: repeating the first table's header would mislabel it, and without the break its
    # rows ran onto a page with no header at all.
    later = [t.section_row - 1 for t in layout.tables[1:] if t.section_row > 1]
    if later:
        ws.set_h_pagebreaks(later)
    ws.print_area(0, 0, last_row - 1, layout.last_col - 1)
    if layout.freeze_rows:
        ws.freeze_panes(layout.freeze_rows, 0)
    ws.ignore_errors(
        {"number_stored_as_text": f"A1:{letters_base1(layout.last_col)}{max(last_row, 1) + 200}"}
    )


def _protect(ws: Worksheet, password: str | None) -> None:
    ws.protect(
        password or "",
        {
            "select_locked_cells": True,
            "select_unlocked_cells": True,
            # Let people widen columns and rows for long text; formatting is harmless here.
            "format_cells": True,
            "format_columns": True,
            "format_rows": True,
        },
    )


def _title(ws: Worksheet, fmt: Formats, layout: SheetLayout, text: str) -> None:
    ws.merge_range(TITLE_ROW - 1, 0, TITLE_ROW - 1, layout.last_col - 1, text, fmt.title)
    ws.set_row(TITLE_ROW - 1, 36)


def _merged_note(ws: Worksheet, fmt: Formats, row: int, last_col: int, text: str, width: float) -> None:
    ws.merge_range(row - 1, 0, row - 1, last_col - 1, text, fmt.note)
    ws.set_row(row - 1, text_height(text, width, line=12.0))


def _write_field(ws: Worksheet, fmt: Formats, f: Field, value: str | None, value_fmt: Format) -> None:
    r, c = _rc(f.label_cell)
    ws.write_string(r, c, f.label, fmt.label)
    vr, vc = _rc(f.value_cell)
    if f.merged:
        er, ec = _rc(f.value_end)
        ws.merge_range(vr, vc, er, ec, value or "", value_fmt)
    elif value:
        ws.write_string(vr, vc, value, value_fmt)
    else:
        ws.write_blank(vr, vc, None, value_fmt)


def _write_headers(ws: Worksheet, fmt: Formats, table: Table, height: float = 28) -> None:
    if table.title:
        ws.write_string(table.section_row - 1, table.first_col - 1, table.title, fmt.section)
        ws.set_row(table.section_row - 1, 20)
    for i, header in enumerate(table.headers):
        ws.write_string(table.header_row - 1, table.first_col - 1 + i, header, fmt.header)
    ws.set_row(table.header_row - 1, height)


def _validate(ws: Worksheet, address: str, options: dict[str, Any], end: str | None = None) -> None:
    r, c = _rc(address)
    er, ec = _rc(end) if end else (r, c)
    options = {"ignore_blank": True, "show_input": True, "show_error": True, "error_type": "stop", **options}
    if ws.data_validation(r, c, er, ec, options) != 0:  # XlsxWriter returns -1/-2 instead of raising
        raise ValueError(f"invalid data validation at {address}: {options}")


def _list_validation(choices: Iterable[str], what: str, input_message: str = "") -> dict[str, Any]:
    choices = list(choices)
    joined = "、".join(choices)
    opts: dict[str, Any] = {
        "validate": "list",
        "source": choices,
        "error_title": "请从下拉列表中选择",
        "error_message": f"{what}只能选择：{joined}。",
    }
    if input_message:
        opts |= {"input_title": what, "input_message": input_message}
    return opts


# --- header block and result ----------------------------------------------------------------


def _header_block(ws: Worksheet, fmt: Formats, layout: SheetLayout, values: dict[str, str]) -> None:
    for f in layout.fields:
        if f.label == "填报日期":
            _write_field(ws, fmt, f, None, fmt.input_date)
            _validate(
                ws,
                f.value_cell,
                {
                    "validate": "date",
                    "criteria": "between",
                    "minimum": date(FIRST_YEAR, 1, 1),
                    "maximum": date(LAST_YEAR + 3, 12, 31),
                    "input_title": "填报日期",
                    "input_message": "填写报送日期，如 2024-04-05。",
                    "error_title": "日期格式不对",
                    "error_message": "请填写 2023—2030 年间的日期，如 2024-04-05。",
                },
            )
        elif f.label == "联系电话":
            _write_field(ws, fmt, f, None, fmt.input_text)
            _validate(
                ws,
                f.value_cell,
                {
                    "validate": "length",
                    "criteria": "between",
                    "minimum": 5,
                    "maximum": 40,
                    "input_title": "联系电话",
                    "input_message": "填写手机或座机号码，如 13800000000 或 0577-65800000。",
                    "error_title": "联系电话长度不对",
                    "error_message": "联系电话应为 5～40 个字符，请核对后重新填写。",
                },
            )
        else:
            _write_field(
                ws, fmt, f, values.get(f.label), fmt.input_text if f.label == "填报期" else fmt.input
            )
            if f.label == "填报期":
                _validate(
                    ws,
                    f.value_cell,
                    {
                        "validate": "any",
                        "input_title": "填报期",
                        "input_message": "本表所属的填报期，如 2024年3月、2024年第一季度；下发的填报表已填好，请勿修改。",
                    },
                )
    for r in {split_base1(f.label_cell)[0] for f in layout.fields}:
        ws.set_row(r - 1, 24)


def _result_cell(ws: Worksheet, fmt: Formats, f: Field, text: str = "") -> None:
    r, c = _rc(f.label_cell)
    ws.write_string(r, c, f.label, fmt.label)
    vr, vc = _rc(f.value_cell)
    if f.merged:
        er, ec = _rc(f.value_end)
        ws.merge_range(vr, vc, er, ec, text, fmt.result)
    elif text:
        ws.write_string(vr, vc, text, fmt.result)
    else:
        ws.write_blank(vr, vc, None, fmt.result)


# --- group sheets ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetOptions:
    """What differs between the ledger's group sheets and a fill-in file's."""

    year: int
    kind: str = "ledger"  # ledger | fill-in
    period_label: str = ""
    adjustments: dict[tuple[str, int], Adjustment] | None = None
    password: str | None = None
    due_text: str = ""  # fill-in files: when the file is due, e.g. 2024年4月7日（星期日）…

    @property
    def ledger(self) -> bool:
        return self.kind == "ledger"


def _target_text(ind: Indicator, year: int, adjustments: dict[tuple[str, int], Adjustment] | None) -> str:
    try:
        return target_for(ind, year, adjustments).text
    except PlanDataError:
        return ind.target_text(year)


def _is_qualitative(text: str) -> bool:
    return text.strip() in QUALITATIVE_WORDS


_KIND_HINT = {
    Kind.LEVEL: "填本期末的水平值。",
    Kind.CUMULATIVE: "填截至本期末的累计总数。",
    Kind.FLOW: "填本年1月至本期末的累计数（年度新增）。",
}


def value_validation(ind: Indicator, target_text: str) -> dict[str, Any]:
    """The data validation of an indicator's 本期完成值 cell for a year whose target is ``target_text``."""
    percent = ind.unit in PERCENT_UNITS
    hint = _KIND_HINT[ind.kind] + ("填数字，不带%号（85 表示 85%）。" if percent else "")
    message = f"单位：{ind.unit}；本年目标：{target_text or '—'}。{hint}无数据请留空并说明原因。"
    common = {"input_title": f"本期完成值（{ind.unit}）"[:32], "input_message": message[:255]}
    if _is_qualitative(target_text):
        bound = "0～100 的数字" if percent else "不小于 0 的数字"
        words = "、".join(DECLARATION_CHOICES)
        return (
            common
            | {
                "validate": "custom",
                "value": "=__CUSTOM__",  # replaced per cell by _value_formula
                "input_message": f"单位：{ind.unit}；本年目标：{target_text}。可填{bound}，或填写：{words}。"[
                    :255
                ],
                "error_title": "请填数值或完成情况",
                "error_message": f"本年目标为“{target_text}”：请填{bound}，或填写 {words} 之一。",
            }
        )
    if percent:
        return common | {
            "validate": "decimal",
            "criteria": "between",
            "minimum": 0,
            "maximum": 100,
            "error_title": "数值超出范围",
            "error_message": "本期完成值应为 0～100 之间的数字（单位 %，不带百分号，如 85）。",
        }
    return common | {
        "validate": "decimal",
        "criteria": ">=",
        "value": 0,
        "error_title": "请填写数字",
        "error_message": f"本期完成值应为不小于 0 的数字（单位：{ind.unit}）。无数据请留空，在“进展情况说明”中写明原因。",
    }


def _value_formula(address: str, percent: bool) -> str:
    bound = f"AND(ISNUMBER({address}),{address}>=0" + (f",{address}<=100)" if percent else ")")
    words = ",".join(f'{address}="{w}"' for w in DECLARATION_CHOICES)
    return f"=OR({bound},{words})"


def write_group_sheet(
    wb: Workbook, fmt: Formats, plan: Plan, group: str, opts: SheetOptions
) -> tuple[Worksheet, SheetLayout]:
    """Add group sheet ``group`` (a domain, 应用贯通 or 重大项目) to ``wb``."""
    layout = group_layout(group, plan)
    ws = wb.add_worksheet(group)
    ws.set_tab_color("#9BC2E6")
    title = layout.title + (f"（{opts.period_label}）" if opts.period_label else "")
    _title(ws, fmt, layout, title)
    lead = _lead_unit(plan, group)
    _header_block(ws, fmt, layout, {"填报单位": lead, "填报期": opts.period_label})
    if opts.ledger and layout.result is not None:
        _result_cell(ws, fmt, layout.result)
    width = sum(layout.widths)
    if group in DOMAINS:
        _merged_note(ws, fmt, NOTE_ROW, layout.last_col, _due_prefix(opts) + _domain_note(opts), width)
        _indicator_table(ws, fmt, plan, layout, group, opts)
        _task_table(ws, fmt, plan, layout, group)
    elif group == APPLICATION_GROUP:
        _merged_note(ws, fmt, NOTE_ROW, layout.last_col, _due_prefix(opts) + _application_note(), width)
        _application_table(ws, fmt, plan, layout)
    else:
        _merged_note(ws, fmt, NOTE_ROW, layout.last_col, _due_prefix(opts) + _project_note(), width)
        _project_table(ws, fmt, layout)
    _setup_page(ws, layout, layout.last_row)
    _protect(ws, opts.password)
    return ws, layout


def _lead_unit(plan: Plan, group: str) -> str:
    try:
        lead = plan.group(group).lead_unit
    except KeyError:
        lead = ""
    return lead or plan.domain_leads.get(group, "")


def _due_prefix(opts: SheetOptions) -> str:
    return f"报送截止：{opts.due_text}。" if opts.due_text else ""


def _domain_note(opts: SheetOptions) -> str:
    return (
        f"填报说明：浅黄色带框的单元格为填报区，其余单元格已锁定。“本年目标”为{opts.year}年目标。"
        "本期完成值填期末数（水平值填当前水平，累计值填累计总数，年度新增填本年1月至本期末的数），百分比不带%号；"
        f"目标为“全覆盖”等文字的，可填数值或“{'/'.join(DECLARATION_CHOICES)}”。"
        "重点任务的“完成情况”请从下拉列表选择。鼠标停在任务名称上可查看方案原文。"
    )


def _application_note() -> str:
    states = "/".join(s.value for s in AppState)
    return (
        "填报说明：浅黄色带框的单元格为填报区，其余单元格已锁定。"
        f"“贯通状态”请从下拉列表选择（{states}）；“本期进展”写明本期完成的对接、上线、使用情况，“存在问题”写明需协调的事项。"
    )


def _project_note() -> str:
    states = "/".join(s.value for s in ProjectState)
    return (
        "填报说明：每个重大项目填一行，序号已编好，多余行留空。投资单位为万元，填数字；"
        f"计划开工、计划竣工填年月（如 2024-03）；“状态”请从下拉列表选择（{states}）；“所属领域”从下拉列表选择。"
    )


def _indicator_table(
    ws: Worksheet, fmt: Formats, plan: Plan, layout: SheetLayout, group: str, opts: SheetOptions
) -> None:
    table = layout.table("indicators")
    _write_headers(ws, fmt, table)
    col = {h: table.col_of(h) - 1 for h in table.headers}
    for ind in plan.indicators_of(group):
        r = table.row_of(ind.id) - 1
        this_year = _target_text(ind, opts.year, opts.adjustments)
        shown = {
            "序号": ind.id,
            "指标名称": ind.name,
            "单位": ind.unit,
            "2022年基数": _target_text(ind, 2022, None),
            "本年目标": this_year,
            "2027年目标": _target_text(ind, 2027, opts.adjustments),
        }
        widths = {h: layout.widths[col[h]] for h in table.headers}
        ws.set_row(
            r, row_height(((v, widths[h]) for h, v in shown.items()), min_lines=1 if not ind.reported else 2)
        )
        if not ind.reported:
            for header, value in shown.items():
                style = fmt.parent if header == "指标名称" else fmt.parent_center
                ws.write_string(r, col[header], value, style)
            for header in table.inputs:
                ws.write_blank(r, col[header], None, fmt.parent_center)
            continue
        for header, value in shown.items():
            ws.write_string(r, col[header], value, fmt.text if header == "指标名称" else fmt.center)
        adjusted = (opts.adjustments or {}).get((ind.id, opts.year))
        if adjusted is not None:
            ws.write_comment(
                r,
                col["本年目标"],
                _adjustment_comment(ind, opts.year, adjusted),
                {"x_scale": 2, "y_scale": 1.2},
            )
        ws.write_blank(r, col["本期完成值"], None, fmt.input_center)
        ws.write_blank(r, col["数据来源"], None, fmt.input)
        ws.write_blank(r, col["进展情况说明"], None, fmt.input)
        address = table.cell(ind.id, "本期完成值")
        rule = value_validation(ind, this_year)
        if rule["validate"] == "custom":
            rule["value"] = _value_formula(address, ind.unit in PERCENT_UNITS)
        _validate(ws, address, rule)
        _validate(
            ws,
            table.cell(ind.id, "数据来源"),
            {
                "validate": "any",
                "input_title": "数据来源",
                "input_message": "写明数据出处，如：省统计快报、XX系统导出、部门台账。",
            },
        )


def _adjustment_comment(ind: Indicator, year: int, adj: Adjustment) -> str:
    parts = [f"{year}年目标已调整为“{adj.text}”", f"方案原目标：{ind.target_text(year) or '—'}"]
    if adj.document:
        parts.append(f"文号：{adj.document}")
    if adj.date:
        parts.append(f"调整日期：{adj.date}")
    if adj.reason:
        parts.append(f"原因：{adj.reason}")
    return "\n".join(parts)


def _task_table(ws: Worksheet, fmt: Formats, plan: Plan, layout: SheetLayout, group: str) -> None:
    table = layout.table("tasks")
    _write_headers(ws, fmt, table)
    col = {h: table.col_of(h) - 1 for h in table.headers}
    for task in plan.tasks_of(group):
        r = table.row_of(task.id) - 1
        ws.set_row(
            r,
            row_height(
                [
                    (task.title, layout.widths[col["重点任务"]]),
                    (task.lead_unit, layout.widths[col["牵头单位"]]),
                    (task.target_2027, layout.widths[col["2027年目标"]]),
                ],
                min_lines=3,
            ),
        )
        ws.write_number(r, col["序号"], task.number, fmt.center)
        ws.write_string(r, col["重点任务"], task.title, fmt.text)
        ws.write_string(r, col["牵头单位"], task.lead_unit, fmt.center)
        ws.write_string(r, col["2027年目标"], task.target_2027, fmt.text)
        if task.text:
            ws.write_comment(
                r,
                col["重点任务"],
                f"{task.number}. {task.title}\n{task.text}"[:2000],
                {"x_scale": 4, "y_scale": 3},
            )
        for header in table.inputs:
            ws.write_blank(r, col[header], None, fmt.input_center if header == "完成情况" else fmt.input)
    if table.keys:
        first, last = table.keys[0], table.keys[-1]
        _validate(
            ws,
            table.cell(first, "完成情况"),
            _list_validation(
                [s.value for s in TaskState], "完成情况", "从下拉列表选择：已完成、序时推进、滞后、未启动。"
            ),
            table.cell(last, "完成情况"),
        )


def _application_table(ws: Worksheet, fmt: Formats, plan: Plan, layout: SheetLayout) -> None:
    table = layout.table("applications")
    _write_headers(ws, fmt, table)
    col = {h: table.col_of(h) - 1 for h in table.headers}
    for app in plan.applications:
        r = table.row_of(str(app.number)) - 1
        ws.set_row(
            r,
            row_height(
                [
                    (app.name, layout.widths[col["应用名称"]]),
                    (app.responsible_unit, layout.widths[col["责任单位"]]),
                    (app.connects_to, layout.widths[col["贯通对象"]]),
                ],
                min_lines=2,
            ),
        )
        ws.write_number(r, col["序号"], app.number, fmt.center)
        ws.write_string(r, col["应用名称"], app.name, fmt.text)
        ws.write_string(r, col["所属领域"], app.domain, fmt.center)
        ws.write_string(r, col["责任单位"], app.responsible_unit, fmt.center)
        ws.write_string(r, col["贯通对象"], app.connects_to, fmt.text)
        if app.source_text:
            ws.write_comment(
                r, col["应用名称"], f"方案原文：{app.source_text}"[:2000], {"x_scale": 3, "y_scale": 2}
            )
        for header in table.inputs:
            ws.write_blank(r, col[header], None, fmt.input_center if header == "贯通状态" else fmt.input)
    if table.keys:
        _validate(
            ws,
            table.cell(table.keys[0], "贯通状态"),
            _list_validation(
                [s.value for s in AppState],
                "贯通状态",
                "从下拉列表选择：" + "、".join(s.value for s in AppState) + "。",
            ),
            table.cell(table.keys[-1], "贯通状态"),
        )


def _project_table(ws: Worksheet, fmt: Formats, layout: SheetLayout) -> None:
    table = layout.table("projects")
    _write_headers(ws, fmt, table)
    col = {h: table.col_of(h) - 1 for h in table.headers}
    centered = {"所属领域", "总投资", "本年计划投资", "本年累计完成投资", "计划开工", "计划竣工", "状态"}
    for key in table.keys:
        r = table.row_of(key) - 1
        ws.set_row(r, row_height([], min_lines=2))
        ws.write_number(r, col["序号"], int(key), fmt.center)
        for header in table.inputs:
            style = fmt.input_center if header in centered else fmt.input
            if header in ("计划开工", "计划竣工"):
                style = fmt.input_text
            ws.write_blank(r, col[header], None, style)
    first, last = table.keys[0], table.keys[-1]
    for header in ("总投资", "本年计划投资", "本年累计完成投资"):
        _validate(
            ws,
            table.cell(first, header),
            {
                "validate": "decimal",
                "criteria": ">=",
                "value": 0,
                "input_title": f"{header}（万元）",
                "input_message": "填数字，单位万元，如 12000。",
                "error_title": "请填写数字",
                "error_message": f"{header}应为不小于 0 的数字，单位万元。",
            },
            table.cell(last, header),
        )
    for header in ("计划开工", "计划竣工"):
        _validate(
            ws,
            table.cell(first, header),
            {
                "validate": "any",
                "input_title": header,
                "input_message": "填年月，如 2024-03。",
            },
            table.cell(last, header),
        )
    domain_rule = _list_validation(DOMAINS, "所属领域", "从下拉列表选择项目所属领域。")
    domain_rule["error_type"] = "warning"  # a project may serve several domains: allow other words
    domain_rule["error_message"] = "所属领域一般为七个领域之一；确需填写其他内容，请点“是”。"
    _validate(ws, table.cell(first, "所属领域"), domain_rule, table.cell(last, "所属领域"))
    _validate(
        ws,
        table.cell(first, "状态"),
        _list_validation(
            [s.value for s in ProjectState],
            "状态",
            "从下拉列表选择：" + "、".join(s.value for s in ProjectState) + "。",
        ),
        table.cell(last, "状态"),
    )


# --- 使用说明 ---------------------------------------------------------------------------------


def _guide_sections(
    plan: Plan, kind: str, group: str | None, period_label: str, due_text: str = ""
) -> list[tuple[str, list[str]]]:
    due_rules = load_due_rules()
    due = due_rules["month"].text.removesuffix("前")
    moved = "（截止日逢周末或法定节假日，顺延至其后第一个工作日；调休上班的周末算工作日）"
    fill_rules = [
        "1. 只在浅黄色带框的单元格中填写，其余单元格已锁定；请勿增删行列、修改表名或表头。",
        "2. 本期完成值填期末数：水平值（如覆盖率、人均数）填本期末水平；累计值（名称含“累计”）填截至本期末的累计总数；"
        "年度新增（如新增学位、培训人次、体检人数）填本年1月至本期末的累计数。",
        "3. 百分比指标直接填数字，不带%号（85 表示 85%）；数值后不要加单位。",
        f"4. 本年目标为“全覆盖”“开展试点”等文字的，可填数值，也可填“{'/'.join(DECLARATION_CHOICES)}”。",
        "5. 确无数据的留空，并在“进展情况说明”中写明原因；“数据来源”写明数据出处。",
        "6. 重点任务的“完成情况”从下拉列表选择（已完成/序时推进/滞后/未启动），并填写本期进展、存在问题、下步计划。",
        "7. 应用贯通表的“贯通状态”、重大项目表的“状态”“所属领域”均从下拉列表选择；重大项目投资单位为万元。",
        "8. 输入不符合要求时 Excel 会弹出提示，请按提示修改。",
    ]
    rhythm = [
        f"周盘点：专班办公室每周下发周盘点表（qyx weekly），各专项组填写重点任务、应用、重大项目的本周进展、下周计划、"
        f"存在问题和需协调事项，{due_rules['week'].text}报回{moved}；专班办公室汇总成一页的周盘点。",
        f"月调度：{due}前报送上月填报表{moved}，专班办公室汇总、校验、晾晒并印发月度进度通报。",
        "季推进：每季度末按季度汇总（填报期如 2024-Q1），通报季度进展，对滞后事项专题推进。",
        "年总结：每年年底按年度汇总（填报期如 2024），总结全年完成情况；上级调整目标时在“指标库”的“目标调整记录”中登记。",
    ]
    if kind == "fill-in":
        intro = [
            f"本表为{group}专项组{period_label}进度填报表，由专班办公室下发。"
            f"请联络员按要求填写后，于{due_text or due}前发回专班办公室，文件名请保持不变。",
            "文件中已写明所属专项组和填报期，请勿另存为其他格式（如 .xls、.wps），也不要复制到其他工作簿中填报。",
        ]
        return [("一、本表说明", intro), ("二、填报规则", fill_rules), ("三、工作节奏", rhythm)]
    steps = [
        "1. 专班办公室在“汇总”表填写填报期（如 2024-03、2024-Q1、2024），"
        "用命令 qyx distribute --period 2024-03 --out 下发 生成各专项组的填报表，发给各组联络员；"
        "联络员也可以直接在本台账的本组工作表中填报。",
        "2. 联络员填好后点本组工作表右上角的“校验本表”，按“校验结果”提示修改后报送。",
        f"3. 收到的填报表（{due}前{moved}）放入台账所在文件夹下的“{SUMMARY_INBOX_DEFAULT}”文件夹（可在“汇总”表修改）。",
        "4. 点“汇总”表的“汇总”按钮：逐一校验报送文件，合并通过校验的数据，按序时进度评价每项指标"
        "（已达标/序时推进/进度滞后/严重滞后/未填报/不适用），分领域、分单位、分专项组晾晒排名，并列出未报送的专项组以便催报。"
        "结果写入“汇总”“晾晒”“校验结果”“进度表”。",
        "5. 点“生成通报”生成本期进度通报（Word 文档），修改后签发；点“打印进度表”打印月度进度表。",
    ]
    buttons = [
        "按钮通过 xlwings 调用 Python 程序 qyx_excel：加载项版台账需要本机装有 xlwings 加载项；独立版台账"
        "（qyx build-workbook --standalone 生成）内嵌了 xlwings 模块，不需要加载项。未安装时点按钮会弹出中文提示。"
        "安装方法：安装 Python，在 qyx_excel 项目文件夹中双击 scripts\\demo.cmd（自动安装），运行 "
        ".venv\\Scripts\\xlwings config create --force（指定 Python），加载项版再运行 .venv\\Scripts\\xlwings addin install，"
        "重新打开本工作簿并启用宏。按钮不能用时双击 scripts\\qyx-doctor.cmd 检查本机，它会逐项说明要怎么改"
        "（详见项目 README“在 Windows 办公电脑上安装”）。",
        "不使用按钮时，可在命令行运行 qyx check、qyx consolidate、qyx notice、qyx tables 完成同样的工作（qyx --help 查看说明）。",
    ]
    intro = [
        "本台账是瑞安市公共服务“七优享”工程（2023—2027年）的进度台账：每个专项组一张工作表，"
        "“指标库”列出方案全部 45 项指标的基数、年度目标和评价节奏，“方案问题”列出方案自身的矛盾及所取读法，"
        "“汇总”“晾晒”“校验结果”“进度表”由汇总按钮生成。",
    ]
    return [
        ("一、台账简介", intro),
        ("二、每月工作步骤", steps),
        ("三、工作节奏（周盘点、月调度、季推进、年总结）", rhythm),
        ("四、填报规则", fill_rules),
        ("五、按钮和加载项", buttons),
    ]


GUIDE_CONTACT_HEADERS = ("专项组", "类别", "组长", "牵头单位", "联络员", "联络员职务")


def write_guide_sheet(
    wb: Workbook,
    fmt: Formats,
    plan: Plan,
    *,
    kind: str = "ledger",
    group: str | None = None,
    period_label: str = "",
    password: str | None = None,
    due_text: str = "",
) -> Worksheet:
    """Add the 使用说明 sheet: how to fill in, the month's steps, colours, whom to call."""
    ws = wb.add_worksheet(SHEET_GUIDE)
    ws.set_tab_color("#A6A6A6")
    ws.hide_gridlines(2)
    for i, width in enumerate(GUIDE_WIDTHS):
        ws.set_column(i, i, width)
    first_col, last_col = 1, len(GUIDE_WIDTHS) - 2
    text_width = sum(GUIDE_WIDTHS[first_col : last_col + 1])
    ws.merge_range(0, 0, 0, len(GUIDE_WIDTHS) - 1, "瑞安市公共服务“七优享”工程台账 使用说明", fmt.title)
    ws.set_row(0, 36)
    row = 2
    for heading, paragraphs in _guide_sections(plan, kind, group, period_label, due_text):
        ws.write_string(row, first_col, heading, fmt.section)
        ws.set_row(row, 22)
        row += 1
        for text in paragraphs:
            ws.merge_range(row, first_col, row, last_col, text, fmt.body)
            ws.set_row(row, text_height(text, text_width))
            row += 1
        row += 1
    ws.write_string(row, first_col, "颜色说明", fmt.section)
    ws.set_row(row, 22)
    row += 1
    for style, sample, meaning in (
        (fmt.input_sample, "浅黄色带框", "填报区：未锁定，可以输入；部分单元格有下拉列表或输入提示。"),
        (fmt.header, "蓝色", "表头：不可修改。"),
        (fmt.text, "白色带框", "方案内容（指标、目标、任务）：已锁定，只读。"),
        (fmt.parent, "加粗行", "分项指标的总行：不填，按下方分项（如 27-1、27-2）分别填报。"),
    ):
        ws.write_string(row, first_col, sample, style)
        ws.merge_range(row, first_col + 1, row, last_col, meaning, fmt.plain)
        ws.set_row(row, 20)
        row += 1
    row += 1
    ws.write_string(row, first_col, "联系人（专班及各专项组联络员）", fmt.section)
    ws.set_row(row, 22)
    row += 1
    for i, header in enumerate(GUIDE_CONTACT_HEADERS):
        ws.write_string(row, first_col + i, header, fmt.header)
    row += 1
    groups = [g for g in plan.groups if kind == "ledger" or not g.reports or g.name == group]
    for g in groups:
        values = (g.name, g.category, g.leader, g.lead_unit, g.liaison, g.liaison_title)
        for i, value in enumerate(values):
            ws.write_string(row, first_col + i, value, fmt.center if i in (0, 2, 4) else fmt.text)
        ws.set_row(row, row_height(zip(values, GUIDE_WIDTHS[first_col:], strict=False)))
        row += 1
    if not groups:
        ws.merge_range(row, first_col, row, last_col, "（名单数据缺失：qyx_excel/data/groups.csv）", fmt.text)
        row += 1
    ws.set_portrait()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.center_horizontally()
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    ws.set_footer(FOOTER)
    ws.repeat_rows(0, 0)
    ws.print_area(0, 0, row, len(GUIDE_WIDTHS) - 1)
    _protect(ws, password)
    return ws


# --- 指标库 -----------------------------------------------------------------------------------


def write_catalogue_sheet(
    wb: Workbook, fmt: Formats, plan: Plan, *, password: str | None = None, carried: Sequence[Adjustment] = ()
) -> Worksheet:
    """Add 指标库: every indicator with baseline and yearly targets, then 目标调整记录 (input rows).

    ``carried`` adjustments pre-fill the register's first rows (a new year's ledger carries last year's).
    """
    layout = catalogue_layout(plan)
    ws = wb.add_worksheet(SHEET_CATALOGUE)
    ws.set_tab_color("#A9D08E")
    _title(ws, fmt, layout, layout.title)
    catalogue, adjustments = layout.table("catalogue"), layout.table("adjustments")
    note = (
        "指标及目标摘自《瑞安市公共服务“七优享”工程实施方案（2023—2027年）》。上级调整目标时，在下方“目标调整记录”中登记"
        "（指标序号、年度、调整后目标、文号等），汇总评价和下发的填报表均以调整后目标为准。"
        "“节奏”为数据多久有一个新数（月/季/年度）和本年序时目标的走法（线性、阶跃、里程碑）：年度、季度统计指标只在年末、季末评价，"
        "其余月份为“不适用”；表中“>”“<”而正文写“以上”“不少于”的，按含本数理解。方案自身的矛盾见“方案问题”工作表。"
    )
    _merged_note(ws, fmt, catalogue.section_row, layout.last_col, note, sum(layout.widths))
    _write_headers(ws, fmt, catalogue)
    for ind in plan.indicators:
        r = catalogue.row_of(ind.id) - 1
        parent = not ind.reported
        values = [
            ind.id,
            ind.domain,
            ind.name,
            ind.unit,
            ind.kind.label,
            ind.direction.label,
            ind.responsible_unit,
            _target_text(ind, 2022, None),
            *(_target_text(ind, y, None) for y in CATALOGUE_YEARS),
            ind.rhythm_label if ind.reported else "",
            ind.wording,
            ind.rhythm_basis if ind.reported else "",
        ]
        ws.set_row(r, row_height(zip(values, layout.widths, strict=False)))
        for i, value in enumerate(values):
            if parent:
                style = fmt.parent if i == 2 else fmt.parent_center
            else:
                style = fmt.text if i in (2, 6, 14, 15) else fmt.center
            ws.write_string(r, i, value, style)
        if ind.responsible_basis and ind.responsible_basis != "领域牵头单位":
            ws.write_comment(r, 6, f"责任单位依据：{ind.responsible_basis}", {"x_scale": 2})
    _write_headers(ws, fmt, adjustments)
    col = {h: adjustments.col_of(h) - 1 for h in adjustments.headers}
    ids = [i.id for i in plan.indicators if i.reported]
    id_range = f"$A${catalogue.first_row}:$A${catalogue.last_row}"
    target_range = f"$I${catalogue.first_row}:$M${catalogue.last_row}"
    for key in adjustments.keys:
        r = adjustments.row_of(key) - 1
        ws.set_row(r, row_height([], min_lines=2))
        a_id, a_year = f"A{r + 1}", f"B{r + 1}"
        formula = (
            f'=IF(OR({a_id}="",{a_year}=""),"",IFERROR(INDEX({target_range},'
            f'MATCH({a_id}&"",{id_range},0),{a_year}-{CATALOGUE_YEARS[0] - 1}),""))'
        )
        ws.write_formula(r, col["原目标"], formula, fmt.center, "")
        adj = carried[int(key) - 1] if int(key) <= len(carried) else None
        for header in adjustments.inputs:
            style = {
                "指标序号": fmt.input_text,
                "年度": fmt.input_center,
                "调整日期": fmt.input_date,
                "调整后目标": fmt.input_center,
            }.get(header, fmt.input)
            carried_value = _carried_cell(adj, header) if adj is not None else None
            if carried_value is None or carried_value == "":
                ws.write_blank(r, col[header], None, style)
            elif isinstance(carried_value, date):
                ws.write_datetime(r, col[header], datetime.combine(carried_value, datetime.min.time()), style)
            elif isinstance(carried_value, int):
                ws.write_number(r, col[header], carried_value, style)
            else:
                ws.write_string(r, col[header], carried_value, style)
    first, last = adjustments.keys[0], adjustments.keys[-1]
    id_rule = _list_validation(ids, "指标序号", "选择要调整的指标序号（分项指标如 27-1）。")
    id_rule["error_message"] = "指标序号须为指标库中的序号，如 5、27-1、32-2（27、32 请按分项登记）。"
    _validate(ws, adjustments.cell(first, "指标序号"), id_rule, adjustments.cell(last, "指标序号"))
    _validate(
        ws,
        adjustments.cell(first, "年度"),
        {
            "validate": "integer",
            "criteria": "between",
            "minimum": CATALOGUE_YEARS[0],
            "maximum": CATALOGUE_YEARS[-1],
            "input_title": "年度",
            "input_message": "调整哪一年的目标：2023—2027。",
            "error_title": "年度不对",
            "error_message": "年度应为 2023—2027 之间的整数。",
        },
        adjustments.cell(last, "年度"),
    )
    _validate(
        ws,
        adjustments.cell(first, "调整后目标"),
        {
            "validate": "length",
            "criteria": "between",
            "minimum": 1,
            "maximum": 40,
            "input_title": "调整后目标",
            "input_message": "写法与方案一致：数字（如 5.6）、≥数字、<数字、全覆盖；分项指标只写本项的数（如 86）。",
            "error_title": "目标太长",
            "error_message": "调整后目标应为 1～40 个字符，如 5.6、≥60、<5、全覆盖。",
        },
        adjustments.cell(last, "调整后目标"),
    )
    _validate(
        ws,
        adjustments.cell(first, "调整日期"),
        {
            "validate": "date",
            "criteria": "between",
            "minimum": date(FIRST_YEAR, 1, 1),
            "maximum": date(LAST_YEAR + 3, 12, 31),
            "input_title": "调整日期",
            "input_message": "上级文件印发日期，如 2024-06-30。",
            "error_title": "日期格式不对",
            "error_message": "请填写 2023—2030 年间的日期，如 2024-06-30。",
        },
        adjustments.cell(last, "调整日期"),
    )
    # Printing covers the catalogue; the register is printed on request (its header would repeat wrongly).
    _setup_page(ws, layout, catalogue.last_row)
    _protect(ws, password)
    return ws


def _carried_cell(adj: Adjustment, header: str) -> str | int | date | None:
    if header == "指标序号":
        return adj.indicator_id
    if header == "年度":
        return adj.year
    if header == "调整后目标":
        return adj.text
    if header == "调整日期":
        return date.fromisoformat(adj.date) if adj.date else None
    if header == "调整文号":
        return adj.document
    if header == "调整原因":
        return adj.reason
    return None


# --- 方案问题 -----------------------------------------------------------------------------------


def write_notes_sheet(wb: Workbook, fmt: Formats, plan: Plan, *, password: str | None = None) -> Worksheet:
    """Add 方案问题: the register of the plan's own contradictions and gaps (data/notes.csv), read-only."""
    layout = notes_layout(plan)
    ws = wb.add_worksheet(SHEET_NOTES)
    ws.set_tab_color("#A9D08E")
    _title(ws, fmt, layout, layout.title)
    table = layout.table("notes")
    note = (
        "方案的目标表、正文和附件有几处互相矛盾或缺漏，系统对每一处取一种读法，列于下表（与 qyx catalogue --notes、"
        "docs/plan-notes.md 相同）。“影响判定”为“是”的会改变指标状态；有开关的，专班办公室可在方案数据文件 notes.csv "
        "中把“取值”改为另一可选值，换用另一读法（如 指标33.到期 改为 2025-12 即按目标表评价），改后重新生成台账。"
    )
    _merged_note(ws, fmt, table.section_row, layout.last_col, note, sum(layout.widths))
    _write_headers(ws, fmt, table)
    for n in plan.notes:
        r = table.row_of(n.id) - 1
        switch = f"{n.switch} = {n.value}（可选 {' / '.join(n.choices)}）" if n.switch else ""
        values = n.cells(switch)
        ws.set_row(r, row_height(zip(values, layout.widths, strict=False)) + 8)  # quotes measure short
        for i, value in enumerate(values):
            ws.write_string(r, i, value, fmt.center if i in (0, 1, 7) else fmt.text)
    _setup_page(ws, layout, table.last_row)
    _protect(ws, password)
    return ws


# --- output sheets ----------------------------------------------------------------------------


def write_output_sheet(
    wb: Workbook, fmt: Formats, name: str, *, inbox: str = SUMMARY_INBOX_DEFAULT
) -> tuple[Worksheet, SheetLayout]:
    """Add 汇总, 晾晒, 校验结果 or 进度表 with its title and header row (the ledger writer fills it).

    These sheets are not protected: the buttons write into them through Excel.
    """
    layout = output_layout(name)
    ws = wb.add_worksheet(name)
    ws.set_tab_color("#F4B084")
    _title(ws, fmt, layout, layout.title)
    table = layout.tables[0]
    if name == SHEET_SUMMARY:
        for label_cell, label, value_cell, value, end in (
            (SUMMARY_PERIOD_LABEL, "填报期", SUMMARY_PERIOD_CELL, "", ""),
            (SUMMARY_INBOX_LABEL, "收件箱文件夹", SUMMARY_INBOX_CELL, inbox, SUMMARY_INBOX_END),
        ):
            _write_field(ws, fmt, Field(label, label_cell, value_cell, end), value, fmt.input_text)
        _validate(
            ws,
            SUMMARY_PERIOD_CELL,
            {
                "validate": "length",
                "criteria": "between",
                "minimum": 4,
                "maximum": 7,
                "input_title": "填报期",
                "input_message": "填 2024-03（月）、2024-Q1（季度）或 2024（年度），再点“汇总”。",
                "error_title": "填报期格式不对",
                "error_message": "填报期应写成 2024-03、2024-Q1 或 2024。",
            },
        )
        _validate(
            ws,
            SUMMARY_INBOX_CELL,
            {
                "validate": "any",
                "input_title": "收件箱文件夹",
                "input_message": "存放各专项组报送文件的文件夹；写相对路径时，相对于本台账所在文件夹。",
            },
        )
        ws.set_row(1, 24)
        ws.set_row(2, 32)  # the buttons
        assert layout.result is not None
        _result_cell(ws, fmt, layout.result)
        ws.set_row(3, row_height([], min_lines=4))  # four lines of result text (汇总 writes three or four)
        r, c = _rc(SUMMARY_COUNTS_CELL)
        ws.merge_range(r, c, r, layout.last_col - 1, "", fmt.note)
    else:
        note = {
            SHEET_RANKING: "按状态计分（规则见 qyx_excel/data/rules.csv），分领域、分责任单位、分专项组排名；点“汇总”后更新。",
            SHEET_FINDINGS: "每次汇总时对报送文件的校验结果；“错误”须修改后重新报送，“提醒”请核实。",
            SHEET_TABLES: "月度（季度、年度）进度表，点“汇总”后更新，点“打印进度表”打印。",
        }[name]
        _merged_note(ws, fmt, OUTPUT_NOTE_ROW, layout.last_col, note, sum(layout.widths))
    _write_headers(ws, fmt, table, height=30)
    _setup_page(ws, layout, table.header_row)
    return ws, layout


# --- _meta ------------------------------------------------------------------------------------


def meta_rows(
    kind: str, *, group: str = "", period: str = "", year: int | None = None, generated_at: str | None = None
) -> list[tuple[str, str]]:
    """The ``_meta`` key/value rows (docs/contracts.md), plus ``target_year``."""
    values = {
        "template": META_TEMPLATE,
        "template_version": TEMPLATE_VERSION,
        "kind": kind,
        "group": group,
        "period": period,
        "generated_at": generated_at or datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    rows = [(key, values[key]) for key in META_KEYS]
    rows.append(("target_year", str(year) if year else ""))
    return rows


def write_meta_sheet(
    wb: Workbook, fmt: Formats, rows: list[tuple[str, str]], *, password: str | None = None
) -> Worksheet:
    """Add the very hidden ``_meta`` sheet (column A keys, column B values)."""
    ws = wb.add_worksheet(META_SHEET)
    ws.set_column(0, 0, 18)
    ws.set_column(1, 1, 30)
    for i, (key, value) in enumerate(rows):
        ws.write_string(i, 0, key, fmt.meta)
        if value:
            ws.write_string(i, 1, value, fmt.meta)
    ws.very_hidden()
    _protect(ws, password)
    return ws


# --- the ledger ------------------------------------------------------------------------------


XLWINGS_CONF_SHEET = "xlwings.conf"


def write_xlwings_conf(wb: Workbook, rows: Sequence[tuple[str, str]]) -> Worksheet | None:
    """Add xlwings' hidden settings sheet when there are settings (none by default: the add-in's own apply)."""
    if not rows:
        return None
    ws = wb.add_worksheet(XLWINGS_CONF_SHEET)
    for i, (key, value) in enumerate(rows):
        ws.write_string(i, 0, key)
        ws.write_string(i, 1, value)
    ws.hide()
    return ws


def write_ledger(
    path: Path,
    *,
    password: str | None = None,
    plan: Plan | None = None,
    year: int | None = None,
    carry: Carried | None = None,
    standalone: bool = False,
) -> None:
    """Write the ledger to ``path`` directly (no temporary file; see :func:`build_workbook`).

    ``carry`` holds what a new year's ledger takes over from last year's (see ``qyx_excel.newyear``);
    ``standalone`` embeds xlwings' own VBA module so the buttons need no add-in.
    """

    plan = plan or load_plan()
    year = check_year(year or default_year())
    carry = carry or Carried()
    wb = new_workbook(path)
    wb.set_properties(
        {
            "title": "瑞安市公共服务“七优享”工程台账",
            "author": "七优享工程专班办公室",
            "company": "瑞安市公共服务“七优享”工程工作专班",
            "comments": f"qyx_excel {TEMPLATE_VERSION}",
        }
    )
    fmt = Formats(wb)
    guide = write_guide_sheet(wb, fmt, plan, kind="ledger", password=password)
    write_catalogue_sheet(wb, fmt, plan, password=password, carried=carry.adjustments)
    write_notes_sheet(wb, fmt, plan, password=password)
    adjusted = {(a.indicator_id, a.year): a for a in carry.adjustments} or None
    opts = SheetOptions(year=year, kind="ledger", password=password, adjustments=adjusted)
    for group in GROUPS:
        ws, layout = write_group_sheet(wb, fmt, plan, group, opts)
        r, c = _rc(layout.button_cell)
        vbaproject.add_buttons(ws, vbaproject.GROUP_SHEET_BUTTONS, r, c)
    for name in (SHEET_SUMMARY, SHEET_RANKING, SHEET_FINDINGS, SHEET_TABLES):
        ws, layout = write_output_sheet(wb, fmt, name, inbox=carry.inbox)
        if name == SHEET_SUMMARY:
            r, c = _rc(layout.button_cell)
            vbaproject.add_buttons(ws, vbaproject.SUMMARY_SHEET_BUTTONS, r, c)
    rows = meta_rows("ledger", year=year)
    if password:  # the buttons open a protected sheet to macros with it (buttons.sheet_password)
        rows.append(("sheet_password", password))
    write_meta_sheet(wb, fmt, rows, password=password)
    summary = f"'{SHEET_SUMMARY}'"
    wb.define_name(NAME_PERIOD, f"={summary}!${SUMMARY_PERIOD_CELL[0]}${SUMMARY_PERIOD_CELL[1:]}")
    wb.define_name(NAME_INBOX, f"={summary}!${SUMMARY_INBOX_CELL[0]}${SUMMARY_INBOX_CELL[1:]}")
    result = output_layout(SHEET_SUMMARY).result
    assert result is not None
    wb.define_name(NAME_RESULT, f"={summary}!${result.value_cell[0]}${result.value_cell[1:]}")
    write_xlwings_conf(wb, carry.xlwings_conf or vbaproject.xlwings_conf_rows())
    vbaproject.attach_vba(wb, standalone=standalone)
    guide.activate()
    wb.close()
    _rename_vml_parts(path)


_VML_PART = re.compile(r"^xl/drawings/vmlDrawing(\d{2,})\.vml$")


def _rename_vml_parts(path: Path) -> None:
    """Rename ``vmlDrawing10.vml`` … so that openpyxl (keep_vba=True) keeps them when it re-saves.

    openpyxl 3.1 copies legacy drawings matching ``vmlDrawing\\d\\.vml`` (one digit) only: the
    buttons on the tenth sheet with a drawing and later (汇总) would vanish when the ledger writer
    saves.  A part named ``…_vmlDrawing0.vml`` matches; the sheets' relationships are updated.
    """
    import zipfile

    with zipfile.ZipFile(path) as src:
        infos = src.infolist()
        renames = {}
        for info in infos:
            match = _VML_PART.match(info.filename)
            if match:
                renames[info.filename] = f"xl/drawings/legacy{match.group(1)}_vmlDrawing0.vml"
        if not renames:
            return
        parts = [(info, src.read(info)) for info in infos]
    tmp = path.with_name(path.name + ".vml")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in parts:
            name = renames.get(info.filename, info.filename)
            if info.filename.endswith(".rels"):
                text = data.decode("utf-8")
                for old, new in renames.items():
                    text = text.replace(
                        "../drawings/" + old.rsplit("/", 1)[1] + '"',
                        "../drawings/" + new.rsplit("/", 1)[1] + '"',
                    )
                data = text.encode("utf-8")
            out = zipfile.ZipInfo(name, date_time=info.date_time)
            out.compress_type = zipfile.ZIP_DEFLATED
            out.external_attr = info.external_attr
            dst.writestr(out, data)
    tmp.replace(path)


def build_workbook(
    out: Path,
    *,
    password: str | None = None,
    plan: Plan | None = None,
    year: int | None = None,
    backup: bool = True,
    carry: Carried | None = None,
    standalone: bool = False,
) -> Path:
    """Write the ledger workbook ``七优享台账.xlsm`` to ``out`` and return its path.

    ``year`` is the year whose targets the group sheets show as 本年目标 (default: this year,
    within 2023–2027).  ``password`` protects the sheets (none by default).  The file is written
    atomically (a previous file is kept under ``备份/`` unless ``backup=False``); raises
    :class:`~qyx_excel.errors.OutputLocked` when Excel holds it open.  ``standalone`` embeds the
    installed xlwings' own VBA module so that the buttons need no add-in
    (:func:`qyx_excel.vbaproject.attach_vba`).
    """
    out = Path(out)
    if out.suffix.lower() != ".xlsm":
        raise UsageError(f"台账文件必须以 .xlsm 结尾（含按钮和宏）：{out}")
    year = check_year(year or default_year())
    return write_atomically(
        out,
        lambda tmp: write_ledger(
            tmp, password=password, plan=plan, year=year, carry=carry, standalone=standalone
        ),
        verify=verify_package,
        backup=backup,
    )


def committed_ledger_path() -> Path:
    """Where the repository keeps the built ledger: ``workbook/七优享台账.xlsm``."""
    return Path(__file__).resolve().parent.parent / "workbook" / LEDGER_NAME


def rebuild_committed(year: int | None = None) -> Path:
    """Rebuild the repository's ``workbook/七优享台账.xlsm`` (no backup copy) and return its path."""
    return build_workbook(committed_ledger_path(), year=year, backup=False)


def verify_package(path: Path) -> None:
    """Check that a freshly written workbook is a readable zip package (``atomic_write``'s verify)."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        if z.testzip() is not None or "xl/workbook.xml" not in z.namelist():
            raise ValueError("written workbook is not a valid zip package")


def write_atomically(
    target: Path,
    write: Callable[[Path], None],
    *,
    verify: Callable[[Path], None] | None = None,
    backup: bool = True,
) -> Path:
    """Write an output through :func:`qyx_excel.safeio.atomic_write` (temporary file, backup, replace)."""

    return atomic_write(target, write, verify=verify, backup=backup)


# --- reading the office's target adjustments back --------------------------------------------


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()
