"""One English name per domain word, and the fixed Chinese words users see.

Every Chinese term the tool shows (sheet names, headers, statuses) is defined here once;
code refers to the English identifiers.  The table ``TERMS`` is the glossary a new engineer
reads first: Chinese word -> the identifier used for it in code, JSON and comments.
"""

from __future__ import annotations

from enum import Enum

#: Chinese domain word -> its one English name in code, JSON keys and comments.
TERMS: dict[str, str] = {
    "七优享": "programme",
    "实施方案": "plan",
    "领域": "domain",
    "指标": "indicator",
    "子指标": "part (of a pair or compound indicator, id like 27-1)",
    "2022年基数": "baseline",
    "目标": "target",
    "调整后目标": "adjusted target",
    "重点任务": "task",
    "节点目标": "milestone",
    "牵头单位": "lead unit",
    "责任单位": "responsible unit",
    "成员单位": "member unit",
    "专班": "work team",
    "专项组": "group",
    "组长": "leader",
    "联络员": "liaison",
    "专班办公室": "office",
    "台账": "ledger",
    "填报表": "fill-in file",
    "填报期": "period",
    "本期完成值": "value",
    "序时进度": "expected (value on the time-elapsed path)",
    "完成率": "completion",
    "状态": "status",
    "完成情况": "task state",
    "校验": "check",
    "问题": "finding",
    "汇总": "consolidation",
    "晾晒": "ranking",
    "催报": "reminder",
    "通报": "notice",
    "进度表": "progress tables",
    "重大项目": "project",
    "应用贯通": "application (digital application interconnection)",
    "收件箱": "inbox",
    "历史库": "store",
    "归档": "archive",
    "市县": "county",
    "上报": "export",
    "汇总上报": "roll-up",
    "台账年度": "ledger year (target_year: the year whose targets a ledger shows)",
    "截止日": "due date (data/calendar.csv, moved onto a working day)",
    "法定节假日": "public holiday",
    "调休": "adjusted working day (a weekend day worked in lieu)",
    "工作日": "working day",
    "逾期": "late (first arrival after the due date)",
    "补录": "backfill (a period reported after the fact; never late)",
    "填报日期": "filled-on date (the form's own date, shown beside the arrival time)",
    "周盘点": "weekly stock-take (ISO week, qyx_excel.weekly)",
    "加载项": "add-in (the xlwings Excel add-in, xlwings.xlam)",
    "独立版台账": "standalone ledger (carries xlwings' VBA module, needs no add-in)",
    "检查本机": "doctor",
    "启动器": "launcher (scripts/qyx-*.cmd, qyx-*.sh)",
}

DOMAINS: tuple[str, ...] = (
    "幼有善育",
    "学有优教",
    "劳有所得",
    "病有良医",
    "老有康养",
    "住有宜居",
    "弱有众扶",
)
APPLICATION_GROUP = "应用贯通"
PROJECT_GROUP = "重大项目"
#: The nine groups of the work team, in the plan's order; each has a sheet of this name.
GROUPS: tuple[str, ...] = (*DOMAINS, APPLICATION_GROUP, PROJECT_GROUP)


class Status(str, Enum):
    """Status of an indicator for a period (fixed words: README.md 每月怎么用, docs/rules.md)."""

    MET = "已达标"
    ON_TRACK = "序时推进"
    LAGGING = "进度滞后"
    SEVERELY_LAGGING = "严重滞后"
    NOT_REPORTED = "未填报"
    NOT_APPLICABLE = "不适用"

    def __str__(self) -> str:
        return self.value


#: Order in which statuses are listed in tables and counts.
STATUS_ORDER: tuple[Status, ...] = tuple(Status)

# --- palette: the colours the outputs share, as hex RGB without "#" (openpyxl and the Office XML
# take them as they are; XlsxWriter and xlwings take "#" + the value) ------------------------------

#: Light fills of statuses, task states, levels and result words (Excel's good / neutral / bad
#: cell styles, a light blue, a light grey) and plain white.
FILL_GREEN = "C6EFCE"
FILL_BLUE = "DDEBF7"
FILL_YELLOW = "FFEB9C"
FILL_RED = "FFC7CE"
FILL_GREY = "D9D9D9"
FILL_WHITE = "FFFFFF"
#: Header rows of the ledger's sheets and output tables.
FILL_HEADER = "BDD7EE"
#: Faint shading (the roll-up's alert counts, print-table headers).
FILL_SHADE = "F2F2F2"
#: Cell borders of the ledger and its output sheets.
LINE_GRID = "7F7F7F"
#: Chart outlines and axes, secondary text.
LINE_DARK = "595959"

#: Light cell fill per status, shared by the ledger, the tables, the notice and the buttons;
#: the word is always written too, so a black-and-white print still reads.
STATUS_FILLS: dict[Status, str] = {
    Status.MET: FILL_GREEN,
    Status.ON_TRACK: FILL_BLUE,
    Status.LAGGING: FILL_YELLOW,
    Status.SEVERELY_LAGGING: FILL_RED,
    Status.NOT_REPORTED: FILL_GREY,
    Status.NOT_APPLICABLE: FILL_WHITE,
}


class TaskState(str, Enum):
    """完成情况 of a key task, as chosen by the group from a dropdown."""

    DONE = "已完成"
    ON_TRACK = "序时推进"
    LAGGING = "滞后"
    NOT_STARTED = "未启动"

    def __str__(self) -> str:
        return self.value


#: The same fills for a task's 完成情况 (a task not reported shows as 未报送, grey).
TASK_STATE_FILLS: dict[str, str] = {
    TaskState.DONE.value: STATUS_FILLS[Status.MET],
    TaskState.ON_TRACK.value: STATUS_FILLS[Status.ON_TRACK],
    TaskState.LAGGING.value: STATUS_FILLS[Status.LAGGING],
    TaskState.NOT_STARTED.value: STATUS_FILLS[Status.SEVERELY_LAGGING],
    "未报送": STATUS_FILLS[Status.NOT_REPORTED],
}


class Kind(str, Enum):
    """How an indicator's value accumulates over time."""

    LEVEL = "level"  # 水平值: the current level (a rate, a stock)
    CUMULATIVE = "cumulative"  # 累计值: running total since the plan started
    FLOW = "flow"  # 年度流量: counted from January each year

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS: dict[Kind, str] = {
    Kind.LEVEL: "水平值",
    Kind.CUMULATIVE: "累计值",
    Kind.FLOW: "年度新增",
}


class Direction(str, Enum):
    """Whether a higher or a lower value is better."""

    HIGHER = "higher"
    LOWER = "lower"

    @property
    def label(self) -> str:
        return DIRECTION_LABELS[self]


DIRECTION_LABELS: dict[Direction, str] = {
    Direction.HIGHER: "越高越好",
    Direction.LOWER: "越低越好",
}

# --- sheet names -------------------------------------------------------------------------
SHEET_GUIDE = "使用说明"
SHEET_CATALOGUE = "指标库"
SHEET_NOTES = "方案问题"  # the register of the plan's contradictions (data/notes.csv)
SHEET_SUMMARY = "汇总"
SHEET_RANKING = "晾晒"
SHEET_FINDINGS = "校验结果"
SHEET_TABLES = "进度表"
LEDGER_SHEETS: tuple[str, ...] = (
    SHEET_GUIDE,
    SHEET_CATALOGUE,
    SHEET_NOTES,
    *GROUPS,
    SHEET_SUMMARY,
    SHEET_RANKING,
    SHEET_FINDINGS,
    SHEET_TABLES,
)

# --- header contracts (docs/contracts.md, Group sheets) -------------------------------------
INDICATOR_HEADERS: tuple[str, ...] = (
    "序号",
    "指标名称",
    "单位",
    "2022年基数",
    "本年目标",
    "2027年目标",
    "本期完成值",
    "数据来源",
    "进展情况说明",
)
TASK_HEADERS: tuple[str, ...] = (
    "序号",
    "重点任务",
    "牵头单位",
    "2027年目标",
    "本期进展",
    "完成情况",
    "存在问题",
    "下步计划",
)
HEADER_BLOCK: tuple[str, ...] = ("填报单位", "填报期", "填报人", "联系电话", "填报日期")
PROJECT_HEADERS: tuple[str, ...] = (
    "序号",
    "项目名称",
    "责任单位",
    "所属领域",
    "总投资",
    "本年计划投资",
    "本年累计完成投资",
    "形象进度",
    "计划开工",
    "计划竣工",
    "状态",
    "存在问题",
)
APPLICATION_HEADERS: tuple[str, ...] = (
    "序号",
    "应用名称",
    "所属领域",
    "责任单位",
    "贯通对象",
    "贯通状态",
    "本期进展",
    "存在问题",
)


class ProjectState(str, Enum):
    """状态 of a major project."""

    NOT_STARTED = "未开工"
    UNDER_WAY = "在建"
    DONE = "已竣工"
    STALLED = "停缓建"

    def __str__(self) -> str:
        return self.value


class AppState(str, Enum):
    """贯通状态 of a digital application."""

    NOT_STARTED = "未启动"
    IN_PROGRESS = "对接中"
    CONNECTED = "已贯通"
    IN_USE = "已上线运行"

    def __str__(self) -> str:
        return self.value


#: Units for which a value is a percentage (validated 0–100).
PERCENT_UNITS: frozenset[str] = frozenset({"%"})

#: Cells that mean "nothing to report" when typed into a value cell.
NONE_MARKERS: frozenset[str] = frozenset({"—", "–", "-", "/", "／", "无", "——", "－"})


# --- supervision (督办) ---------------------------------------------------------------------------
TERMS.update(
    {
        "督办": "supervision",
        "督办事项": "matter (an indicator, key task or major project followed by supervision)",
        "预警等级": "level",
        "留档等级": "standing (the level a matter keeps on record after catching up)",
        "督办单": "slip",
        "整改反馈": "reply",
        "反馈时限": "deadline",
        "销号": "closed (a slip's matters all caught up)",
    }
)


class Level(str, Enum):
    """预警等级 of a matter for a period, lowest first (rules in ``data/escalation.csv``)."""

    NONE = "无"
    BLUE = "蓝色提醒"
    YELLOW = "黄色预警"
    RED = "红色督办"

    def __str__(self) -> str:
        return self.value

    @property
    def rank(self) -> int:
        return LEVEL_ORDER.index(self)

    @property
    def short(self) -> str:
        """蓝 / 黄 / 红 (— for none): the word that stays legible in black and white."""
        return {"无": "—", "蓝色提醒": "蓝", "黄色预警": "黄", "红色督办": "红"}[self.value]


LEVEL_ORDER: tuple[Level, ...] = tuple(Level)

#: Light fills per level; the word (蓝色提醒 …) is always written in the cell too.
LEVEL_FILLS: dict[Level, str] = {
    Level.NONE: FILL_WHITE,
    Level.BLUE: FILL_BLUE,
    Level.YELLOW: FILL_YELLOW,
    Level.RED: FILL_RED,
}

SHEET_SUPERVISION = "督办"
