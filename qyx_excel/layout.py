"""Where things sit in the ledger workbook and the fill-in files (1-based rows, A1 addresses).

The workbook builder (``workbook.py``), the fill-in builder (``distribute.py``), the ledger
writer (汇总/晾晒/校验结果/进度表) and the buttons share these positions.  Intake never relies on
them: it finds header labels and table headers by their text.

Every group sheet has the same top part:

====  ==============================================================================
row   content
====  ==============================================================================
1     title (merged over the table's width); the 校验本表 button floats at its right end
2     header block: 填报单位 ▸ value, 填报期 ▸ value, 填报日期 ▸ value
3     header block: 填报人 ▸ value, 联系电话 ▸ value, 校验结果 ▸ result cell (ledger only)
4     how-to note (merged)
5     section title of the first table
6     first table's header row (frozen with the rows above)
7…    first table's rows
====  ==============================================================================

A domain sheet then has one blank row, the task section title, the task header and the tasks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .cells import a1_base1
from .glossary import (
    APPLICATION_GROUP,
    APPLICATION_HEADERS,
    DOMAINS,
    INDICATOR_HEADERS,
    PROJECT_GROUP,
    PROJECT_HEADERS,
    SHEET_CATALOGUE,
    SHEET_FINDINGS,
    SHEET_NOTES,
    SHEET_RANKING,
    SHEET_SUMMARY,
    SHEET_TABLES,
    STATUS_ORDER,
    TASK_HEADERS,
)
from .plan import load_plan

if TYPE_CHECKING:
    from .plan import Plan

# --- group sheets ---------------------------------------------------------------------------

TITLE_ROW = 1
HEADER_ROWS = (2, 3)
NOTE_ROW = 4
SECTION_ROW = 5
TABLE_HEADER_ROW = 6
FIRST_DATA_ROW = 7
#: Blank, numbered rows on the 重大项目 sheet for the group's projects.
PROJECT_ROWS = 30
#: Rows frozen at the top of every group sheet (title … first table header).
FREEZE_ROWS = TABLE_HEADER_ROW

INDICATOR_INPUTS: tuple[str, ...] = ("本期完成值", "数据来源", "进展情况说明")
TASK_INPUTS: tuple[str, ...] = ("本期进展", "完成情况", "存在问题", "下步计划")
APPLICATION_INPUTS: tuple[str, ...] = ("贯通状态", "本期进展", "存在问题")
PROJECT_INPUTS: tuple[str, ...] = PROJECT_HEADERS[1:]

RESULT_LABEL = "校验结果"


@dataclass(frozen=True)
class Field:
    """A label cell and the (possibly merged) value cell to its right."""

    label: str
    label_cell: str
    value_cell: str
    value_end: str = ""  # last cell of a merged value area; "" when not merged

    @property
    def merged(self) -> bool:
        return bool(self.value_end) and self.value_end != self.value_cell


@dataclass(frozen=True)
class Table:
    """A table on a sheet: section title row, header row, one row per key."""

    name: str  # indicators | tasks | applications | projects | catalogue | adjustments | output
    title: str  # the section title shown above the header row
    section_row: int
    headers: tuple[str, ...]
    keys: tuple[str, ...]  # row keys in order (indicator id, task id, number as text)
    inputs: tuple[str, ...] = ()  # headers of the input columns
    first_col: int = 1

    @property
    def header_row(self) -> int:
        return self.section_row + 1

    @property
    def first_row(self) -> int:
        return self.section_row + 2

    @property
    def last_row(self) -> int:
        return self.first_row + len(self.keys) - 1

    @property
    def last_col(self) -> int:
        return self.first_col + len(self.headers) - 1

    def row_of(self, key: str) -> int:
        return self.first_row + self.keys.index(str(key))

    def col_of(self, header: str) -> int:
        return self.first_col + self.headers.index(header)

    def cell(self, key: str, header: str) -> str:
        """A1 address of the cell of row ``key`` under ``header``."""
        return a1_base1(self.row_of(key), self.col_of(header))

    def input_cells(self, keys: Iterable[str] | None = None) -> list[str]:
        """A1 addresses of the input cells of ``keys`` (default: every row)."""
        return [self.cell(k, h) for k in (self.keys if keys is None else keys) for h in self.inputs]


@dataclass(frozen=True)
class SheetLayout:
    """Positions on one sheet of the ledger or a fill-in file."""

    name: str
    kind: str  # domain | application | project | guide | catalogue | output | meta
    widths: tuple[float, ...]  # column widths (characters), from column A
    title: str = ""
    fields: tuple[Field, ...] = ()  # header block (label ▸ input)
    result: Field | None = None  # where a button writes its one-line result (ledger only)
    button_cell: str = ""  # anchor (top-left) of the first button
    tables: tuple[Table, ...] = ()
    print_title_rows: tuple[int, int] = (1, 1)
    freeze_rows: int = 0
    extra_inputs: tuple[str, ...] = ()  # other input cells (e.g. 汇总's 填报期)
    locked_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)  # table -> rows w/o inputs

    @property
    def last_col(self) -> int:
        return len(self.widths)

    def table(self, name: str) -> Table:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(name)

    def header_field(self, label: str) -> Field:
        for f in self.fields:
            if f.label == label:
                return f
        raise KeyError(label)

    @property
    def last_row(self) -> int:
        return max([t.last_row for t in self.tables] + [TITLE_ROW])

    def input_cells(self) -> set[str]:
        """Every cell a person types into (shaded and unlocked); not the result cell."""
        cells = {f.value_cell for f in self.fields} | set(self.extra_inputs)
        for table in self.tables:
            locked = set(self.locked_keys.get(table.name, ()))
            cells.update(table.input_cells(k for k in table.keys if k not in locked))
        return cells

    def unlocked_cells(self, *, with_result: bool) -> set[str]:
        """Cells left unlocked under sheet protection: the inputs, and the result cell if shown."""
        cells = self.input_cells()
        if with_result and self.result is not None:
            cells.add(self.result.value_cell)
        return cells


def _fields(spec: Iterable[tuple[str, str, str, str]]) -> tuple[Field, ...]:
    return tuple(Field(label, lc, vc, ve) for label, lc, vc, ve in spec)


# Column widths in characters; a CJK character is about two.
DOMAIN_WIDTHS = (6.0, 28.0, 11.0, 26.0, 26.0, 11.0, 20.0, 22.0, 30.0)  # A–I
APPLICATION_WIDTHS = (6.0, 24.0, 11.0, 15.0, 26.0, 13.0, 40.0, 32.0)  # A–H
PROJECT_WIDTHS = (6.0, 26.0, 16.0, 11.0, 10.0, 11.0, 13.0, 22.0, 10.0, 10.0, 9.0, 26.0)  # A–L

_DOMAIN_FIELDS = _fields(
    [
        ("填报单位", "B2", "C2", "E2"),
        ("填报期", "F2", "G2", ""),
        ("填报日期", "H2", "I2", ""),
        ("填报人", "B3", "C3", "E3"),
        ("联系电话", "F3", "G3", ""),
    ]
)
_DOMAIN_RESULT = Field(RESULT_LABEL, "H3", "I3", "")
_APPLICATION_FIELDS = _fields(
    [
        ("填报单位", "B2", "C2", "D2"),
        ("填报期", "E2", "F2", ""),
        ("填报日期", "G2", "H2", ""),
        ("填报人", "B3", "C3", "D3"),
        ("联系电话", "E3", "F3", ""),
    ]
)
_APPLICATION_RESULT = Field(RESULT_LABEL, "G3", "H3", "")
_PROJECT_FIELDS = _fields(
    [
        ("填报单位", "B2", "C2", "D2"),
        ("填报期", "E2", "F2", "G2"),
        ("填报日期", "H2", "I2", "J2"),
        ("填报人", "B3", "C3", "D3"),
        ("联系电话", "E3", "F3", "G3"),
    ]
)
_PROJECT_RESULT = Field(RESULT_LABEL, "H3", "I3", "L3")

INDICATOR_SECTION = "一、主要指标完成情况"
TASK_SECTION = "二、重点任务推进情况"
APPLICATION_SECTION = "数字化应用贯通情况"
PROJECT_SECTION = "重大项目推进情况（投资单位：万元）"


def sheet_title(group: str) -> str:
    """Title row text of a group sheet."""
    return f"瑞安市公共服务“七优享”工程 {group}专项组 进度填报表"


def group_layout(group: str, plan: Plan | None = None) -> SheetLayout:
    """The layout of group sheet ``group`` (rows depend on the plan's indicators and tasks)."""
    if plan is None:
        plan = load_plan()
    if group in DOMAINS:
        indicator_keys = tuple(i.id for i in plan.indicators_of(group))
        parents = tuple(i.id for i in plan.indicators_of(group) if not i.reported)
        indicators = Table(
            "indicators", INDICATOR_SECTION, SECTION_ROW, INDICATOR_HEADERS, indicator_keys, INDICATOR_INPUTS
        )
        task_section = indicators.last_row + 2
        tasks = Table(
            "tasks",
            TASK_SECTION,
            task_section,
            TASK_HEADERS,
            tuple(t.id for t in plan.tasks_of(group)),
            TASK_INPUTS,
        )
        return SheetLayout(
            name=group,
            kind="domain",
            widths=DOMAIN_WIDTHS,
            title=sheet_title(group),
            fields=_DOMAIN_FIELDS,
            result=_DOMAIN_RESULT,
            button_cell=a1_base1(TITLE_ROW, len(DOMAIN_WIDTHS)),
            tables=(indicators, tasks),
            print_title_rows=(TITLE_ROW, TITLE_ROW),
            freeze_rows=FREEZE_ROWS,
            locked_keys={"indicators": parents},
        )
    if group == APPLICATION_GROUP:
        table = Table(
            "applications",
            APPLICATION_SECTION,
            SECTION_ROW,
            APPLICATION_HEADERS,
            tuple(str(a.number) for a in plan.applications),
            APPLICATION_INPUTS,
        )
        return SheetLayout(
            name=group,
            kind="application",
            widths=APPLICATION_WIDTHS,
            title=sheet_title(group),
            fields=_APPLICATION_FIELDS,
            result=_APPLICATION_RESULT,
            button_cell=a1_base1(TITLE_ROW, len(APPLICATION_WIDTHS)),
            tables=(table,),
            print_title_rows=(TITLE_ROW, TABLE_HEADER_ROW),
            freeze_rows=FREEZE_ROWS,
        )
    if group == PROJECT_GROUP:
        table = Table(
            "projects",
            PROJECT_SECTION,
            SECTION_ROW,
            PROJECT_HEADERS,
            tuple(str(n) for n in range(1, PROJECT_ROWS + 1)),
            PROJECT_INPUTS,
        )
        return SheetLayout(
            name=group,
            kind="project",
            widths=PROJECT_WIDTHS,
            title=sheet_title(group),
            fields=_PROJECT_FIELDS,
            result=_PROJECT_RESULT,
            button_cell=a1_base1(TITLE_ROW, len(PROJECT_WIDTHS) - 1),
            tables=(table,),
            print_title_rows=(TITLE_ROW, TABLE_HEADER_ROW),
            freeze_rows=FREEZE_ROWS,
        )
    raise KeyError(group)


# --- 指标库 -----------------------------------------------------------------------------------

CATALOGUE_YEARS: tuple[int, ...] = (2023, 2024, 2025, 2026, 2027)
CATALOGUE_HEADERS: tuple[str, ...] = (
    "序号",
    "领域",
    "指标名称",
    "单位",
    "类型",
    "方向",
    "责任单位",
    "2022年基数",
    *(f"{y}年目标" for y in CATALOGUE_YEARS),
    "节奏",
    "正文表述",
    "节奏依据",
)
ADJUSTMENT_TITLE = "目标调整记录"
ADJUSTMENT_HEADERS: tuple[str, ...] = (
    "指标序号",
    "年度",
    "原目标",
    "调整后目标",
    "调整日期",
    "调整文号",
    "调整原因",
)
#: 原目标 is looked up by a formula; the others are typed by the office.
ADJUSTMENT_INPUTS: tuple[str, ...] = ("指标序号", "年度", "调整后目标", "调整日期", "调整文号", "调整原因")
ADJUSTMENT_ROWS = 30
CATALOGUE_WIDTHS = (
    7.0,
    10.0,
    32.0,
    12.0,
    11.0,
    14.0,
    20.0,
    10.0,
    12.0,
    12.0,
    12.0,
    12.0,
    12.0,
    14.0,
    24.0,
    40.0,
)  # A–P: N–P the indicator's rhythm (docs/rules.md 二)
CATALOGUE_SECTION_ROW = 2  # the catalogue's own section/note row; header on row 3


def catalogue_layout(plan: Plan | None = None) -> SheetLayout:
    """The 指标库 sheet: the catalogue (every indicator and part), then 目标调整记录."""
    if plan is None:
        plan = load_plan()
    catalogue = Table(
        "catalogue", "", CATALOGUE_SECTION_ROW, CATALOGUE_HEADERS, tuple(i.id for i in plan.indicators)
    )
    adjustments = Table(
        "adjustments",
        ADJUSTMENT_TITLE,
        catalogue.last_row + 2,
        ADJUSTMENT_HEADERS,
        tuple(str(n) for n in range(1, ADJUSTMENT_ROWS + 1)),
        ADJUSTMENT_INPUTS,
    )
    return SheetLayout(
        name=SHEET_CATALOGUE,
        kind="catalogue",
        widths=CATALOGUE_WIDTHS,
        title="瑞安市公共服务“七优享”工程 指标库（2023—2027年）",
        tables=(catalogue, adjustments),
        print_title_rows=(1, catalogue.header_row),
        freeze_rows=catalogue.header_row,
    )


# --- 方案问题 (the register of the plan's contradictions, data/notes.csv) --------------------

NOTES_HEADERS: tuple[str, ...] = (
    "编号",
    "类别",
    "涉及",
    "目标表或附件的写法",
    "正文的写法",
    "采用的读法",
    "另一读法",
    "影响判定",
    "开关 = 取值",
)
NOTES_WIDTHS = (6.0, 9.0, 13.0, 28.0, 30.0, 32.0, 22.0, 7.0, 18.0)  # A–I
NOTES_SECTION_ROW = 2


def notes_layout(plan: Plan | None = None) -> SheetLayout:
    """The 方案问题 sheet: one row per entry of the register (read-only; edited in notes.csv)."""
    if plan is None:
        plan = load_plan()
    table = Table("notes", "", NOTES_SECTION_ROW, NOTES_HEADERS, tuple(n.id for n in plan.notes))
    return SheetLayout(
        name=SHEET_NOTES,
        kind="notes",
        widths=NOTES_WIDTHS,
        title="七优享实施方案问题登记（矛盾、缺漏及所取读法）",
        tables=(table,),
        print_title_rows=(1, table.header_row),
        freeze_rows=table.header_row,
    )


# --- 使用说明 ---------------------------------------------------------------------------------

GUIDE_WIDTHS = (3.0, 14.0, 16.0, 12.0, 22.0, 12.0, 40.0, 3.0)  # A–H; text spans B–G
GUIDE_TEXT_COLS = (2, 7)

# --- output sheets (filled by the ledger writer with openpyxl keep_vba=True) ---------------

# Columns and widths of the output sheets, defined here once: the builder (workbook.py) draws the
# header rows and sets the widths; the ledger writer (ledger.py, and the buttons through the same
# ``ledger.result_blocks``) rewrites the header rows with these names and these widths
# (tests/test_workbook.py holds the two together).
#: 汇总 columns and widths (header row ``SUMMARY_HEADER_ROW``).
SUMMARY_COLUMNS: tuple[tuple[str, float], ...] = (
    ("序号", 6.0),
    ("领域", 9.0),
    ("指标名称", 30.0),
    ("单位", 8.0),
    ("责任单位", 13.0),
    ("本年目标", 13.0),
    ("原目标", 10.0),
    ("序时进度", 10.0),
    ("本期完成值", 11.0),
    ("完成率(%)", 9.0),
    ("状态", 9.0),
    ("上期值", 10.0),
    ("较上期", 9.0),
    ("进展情况说明", 30.0),
    ("评价说明", 28.0),
    ("来源文件", 23.0),
    ("来源单元格", 13.0),
)
SUMMARY_HEADERS: tuple[str, ...] = tuple(name for name, _ in SUMMARY_COLUMNS)
SUMMARY_WIDTHS: tuple[float, ...] = tuple(width for _, width in SUMMARY_COLUMNS)
#: 汇总: the office types the period (2024-03 / 2024-Q1 / 2024) and the inbox folder here.
SUMMARY_PERIOD_LABEL = "B2"
SUMMARY_PERIOD_CELL = "C2"
SUMMARY_INBOX_LABEL = "E2"
SUMMARY_INBOX_CELL = "F2"
SUMMARY_INBOX_END = "H2"
SUMMARY_INBOX_DEFAULT = "收件箱"
SUMMARY_BUTTON_CELL = "B3"
SUMMARY_RESULT = Field("运行结果", "B4", "C4", "Q4")
#: One line of status counts written by the ledger writer (merged A5:Q5).
SUMMARY_COUNTS_CELL = "A5"
SUMMARY_HEADER_ROW = 6
SUMMARY_FIRST_ROW = 7

RANKING_HEADERS: tuple[str, ...] = (
    "维度",
    "排名",
    "名称",
    *(s.value for s in STATUS_ORDER),
    "得分",
    "上期排名",
    "名次变化",
)
RANKING_WIDTHS = (10.0, 7.0, 22.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 10.0, 10.0)
#: 校验结果 starts with the 报送情况 table (header row ``OUTPUT_HEADER_ROW``); the findings table
#: (:data:`FINDINGS_DETAIL_HEADERS`, under its title) follows it, written by the ledger writer.
FINDINGS_HEADERS: tuple[str, ...] = (
    "序号",
    "报送情况",
    "专项组",
    "是否逾期",
    "采用文件",
    "收到时间",
    "错误",
    "提醒",
    "催报/退回提示",
)
#: 问题 is the finding's Chinese name for the clerk; the stable code sits in the last column, for the maintainer.
FINDINGS_DETAIL_HEADERS: tuple[str, ...] = (
    "序号",
    "级别",
    "问题",
    "专项组",
    "文件",
    "工作表",
    "单元格",
    "指标",
    "问题说明",
    "代码（维护用）",
)
#: Widths of the 校验结果 sheet's columns, which both tables share (the builder sets the first
#: ``len(FINDINGS_HEADERS)``; the writer all of them).
FINDINGS_WIDTHS: tuple[float, ...] = (6.0, 9.0, 20.0, 10.0, 26.0, 16.0, 8.0, 8.0, 72.0, 22.0)
TABLES_HEADERS: tuple[str, ...] = (
    "领域",
    "序号",
    "指标名称",
    "单位",
    "2022年基数",
    "本年目标",
    "序时进度",
    "本期完成值",
    "完成率(%)",
    "状态",
    "进展情况说明",
)
TABLES_WIDTHS = (10.0, 7.0, 30.0, 8.0, 10.0, 14.0, 10.0, 11.0, 10.0, 10.0, 40.0)
#: 督办 (made by the writer, not the builder): the matters table's columns and widths, then the
#: slips table's headers under it (same columns).
SUPERVISION_COLUMNS: tuple[tuple[str, float], ...] = (
    ("序号", 6.0),
    ("督办事项", 34.0),
    ("责任单位", 14.0),
    ("专项组", 9.0),
    ("预警等级", 10.0),
    ("留档等级", 10.0),
    ("本月情况", 12.5),
    ("等级起始", 12.5),
    ("原因", 40.0),
    ("督办单编号", 22.0),
    ("反馈时限", 12.5),
    ("反馈情况", 11.0),
)
SUPERVISION_SLIP_HEADERS: tuple[str, ...] = (
    "序号",
    "督办单编号",
    "填报期",
    "责任单位",
    "预警等级",
    "事项数",
    "发出日期",
    "反馈时限",
    "反馈情况",
    "反馈文件",
    "状态",
)
#: Header row and first data row of 晾晒, 校验结果 and 进度表 (row 2 holds a note / the period).
OUTPUT_NOTE_ROW = 2
OUTPUT_HEADER_ROW = 3
OUTPUT_FIRST_ROW = 4

OUTPUT_TITLES: dict[str, str] = {
    SHEET_SUMMARY: "七优享工程指标进度汇总",
    SHEET_RANKING: "七优享工程多维晾晒（分领域、分单位、分专项组）",
    SHEET_FINDINGS: "报送文件校验结果",
    SHEET_TABLES: "七优享工程指标进度表",
}


def stored_width(chars: float) -> float:
    """The width Excel stores for a column ``chars`` characters wide (the builder's XlsxWriter adds the
    cell padding, 5 pixels at 7 a character, in 1/256 steps); the openpyxl writer stores this too, so a
    column keeps its width when the results are written."""
    if chars <= 0:
        return 0.0
    pixels = int(chars * 7 + 0.5) + 5 if chars >= 1 else int(chars * 12 + 0.5)
    return (pixels * 256 // 7) / 256


def output_layout(name: str) -> SheetLayout:
    """Layout of 汇总, 晾晒, 校验结果 or 进度表 (title and header rows only; data below)."""
    if name == SHEET_SUMMARY:
        table = Table("output", "", SUMMARY_HEADER_ROW - 1, SUMMARY_HEADERS, ())
        return SheetLayout(
            name=name,
            kind="output",
            widths=SUMMARY_WIDTHS,
            title=OUTPUT_TITLES[name],
            tables=(table,),
            result=SUMMARY_RESULT,
            button_cell=SUMMARY_BUTTON_CELL,
            print_title_rows=(1, SUMMARY_HEADER_ROW),
            freeze_rows=SUMMARY_HEADER_ROW,
            extra_inputs=(SUMMARY_PERIOD_CELL, SUMMARY_INBOX_CELL),
        )
    headers, widths = {
        SHEET_RANKING: (RANKING_HEADERS, RANKING_WIDTHS),
        SHEET_FINDINGS: (FINDINGS_HEADERS, FINDINGS_WIDTHS[: len(FINDINGS_HEADERS)]),
        SHEET_TABLES: (TABLES_HEADERS, TABLES_WIDTHS),
    }[name]
    table = Table("output", "", OUTPUT_HEADER_ROW - 1, headers, ())
    return SheetLayout(
        name=name,
        kind="output",
        widths=widths,
        title=OUTPUT_TITLES[name],
        tables=(table,),
        print_title_rows=(1, OUTPUT_HEADER_ROW),
        freeze_rows=OUTPUT_HEADER_ROW,
    )


def output_header_row(name: str) -> int:
    """Header row of an output sheet (data starts on the next row)."""
    return SUMMARY_HEADER_ROW if name == SHEET_SUMMARY else OUTPUT_HEADER_ROW


def output_first_row(name: str) -> int:
    """First data row of an output sheet."""
    return output_header_row(name) + 1
