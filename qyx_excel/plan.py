"""The 七优享 plan as data: indicators, tasks, milestones, groups, applications.

Everything is read from the CSV files in ``qyx_excel/data/`` (clerk-editable; see its README).
Loading is cached: the plan is immutable for the life of a process.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .errors import PlanDataError
from .glossary import DIRECTION_LABELS, DOMAINS, GROUPS, KIND_LABELS, Direction, Kind

DATA_DIR = Path(__file__).with_name("data")
YEARS: tuple[int, ...] = (2022, 2023, 2024, 2025, 2026, 2027)
TARGET_YEARS: tuple[int, ...] = YEARS[1:]


@dataclass(frozen=True)
class Indicator:
    """One of the plan's 45 indicators, or one part (27-1, 27-2, 32-1, 32-2) of a pair/compound."""

    id: str
    number: int
    domain: str
    name: str
    unit: str
    targets: dict[int, str]  # year -> the plan's text; parts carry their parent's text
    kind: Kind
    direction: Direction
    responsible_unit: str
    responsible_basis: str = ""
    part: int | None = None  # 1 or 2 for parts
    part_label: str = ""  # 职工 / 城乡居民 / 镇街 / 村社
    parts: tuple[str, ...] = ()  # ids of the parts, for a parent
    frequency: str = "月"  # how often its statistic exists: 月 / 季 / 年
    path: str = "线性"  # the expected path over a year: 线性 / 阶跃 / 里程碑
    due_month: int | None = None  # 阶跃: the month the step is taken; 里程碑: the month it is due
    wording: str = ""  # how the plan's text words the target (以上 / 不少于 … read inclusively)
    rhythm_basis: str = ""  # why it got its frequency and path

    @property
    def rhythm_label(self) -> str:
        """``月度，线性`` / ``月度，阶跃，7月到位`` / ``年度，里程碑，12月到期``."""
        due = ""
        if self.due_month is not None:
            due = f"，{self.due_month}月到位" if self.path == "阶跃" else f"，{self.due_month}月到期"
        return f"{self.frequency}度，{self.path}{due}"

    @property
    def judged_months(self) -> tuple[int, ...]:
        """Months whose period end has a new figure to judge (年: December; 季: quarter ends)."""
        return {"年": (12,), "季": (3, 6, 9, 12)}.get(self.frequency, tuple(range(1, 13)))

    @property
    def is_part(self) -> bool:
        return self.part is not None

    @property
    def has_parts(self) -> bool:
        return bool(self.parts)

    @property
    def parent_id(self) -> str | None:
        return str(self.number) if self.is_part else None

    @property
    def reported(self) -> bool:
        """True when groups report a value for this row (parents of parts are not reported)."""
        return not self.has_parts

    def target_text(self, year: int) -> str:
        return self.targets.get(year, "")

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "domain": self.domain,
            "name": self.name,
            "unit": self.unit,
            "targets": {str(y): t for y, t in self.targets.items()},
            "kind": self.kind.value,
            "direction": self.direction.value,
            "responsible_unit": self.responsible_unit,
            "parent": self.parent_id,
            "part_label": self.part_label or None,
            "parts": list(self.parts),
            "frequency": self.frequency,
            "path": self.path,
            "due_month": self.due_month,
            "wording": self.wording or None,
            "rhythm_basis": self.rhythm_basis,
        }


@dataclass(frozen=True)
class Milestone:
    """A dated, quantified milestone inside a key task's text."""

    task_id: str
    number: int
    what: str
    comparison: str
    value: float | None
    unit: str
    deadline: str  # "2027", "2023-12" or "每年"
    source_text: str

    def to_json(self) -> dict:
        return {
            "task": self.task_id,
            "what": self.what,
            "comparison": self.comparison,
            "value": self.value,
            "unit": self.unit,
            "deadline": self.deadline,
            "source_text": self.source_text,
        }


@dataclass(frozen=True)
class Task:
    """One of the 31 key tasks. ``id`` is ``<domain no>-<task no>``, e.g. ``5-1``."""

    id: str
    domain_number: int
    number: int
    domain: str
    title: str
    lead_unit: str
    target_2027: str
    text: str
    milestones: tuple[Milestone, ...] = ()

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "domain": self.domain,
            "number": self.number,
            "title": self.title,
            "lead_unit": self.lead_unit,
            "target_2027": self.target_2027,
            "text": self.text,
            "milestones": [m.to_json() for m in self.milestones],
        }


@dataclass(frozen=True)
class Group:
    """A group of the work team (the 9 reporting groups and the office's two)."""

    name: str
    category: str
    leader: str
    leader_title: str
    deputy: str
    deputy_title: str
    liaison: str
    liaison_title: str
    lead_unit: str
    member_units: tuple[str, ...]
    duties: str = ""

    @property
    def reports(self) -> bool:
        """True for the nine groups that fill in a sheet every month."""
        return self.name in GROUPS

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "category": self.category,
            "leader": self.leader,
            "leader_title": self.leader_title,
            "deputy": self.deputy or None,
            "liaison": self.liaison,
            "liaison_title": self.liaison_title,
            "lead_unit": self.lead_unit,
            "member_units": list(self.member_units),
        }


@dataclass(frozen=True)
class Application:
    """A digital application the 应用贯通 group must interconnect."""

    number: int
    name: str
    domain: str
    responsible_unit: str
    connects_to: str
    source_text: str

    def to_json(self) -> dict:
        return {
            "number": self.number,
            "name": self.name,
            "domain": self.domain,
            "responsible_unit": self.responsible_unit,
            "connects_to": self.connects_to,
        }


@dataclass(frozen=True)
class TeamMember:
    role: str
    name: str
    title: str
    unit: str


@dataclass(frozen=True)
class Note:
    """One entry of the register of the plan's own contradictions and gaps (``data/notes.csv``).

    ``switch`` (e.g. ``指标33.到期``) names a reading the engine follows; ``value`` is the reading
    chosen, one of ``choices``. Entries without a switch are recorded for the office only.
    """

    id: str
    category: str
    concerns: str
    table_says: str
    text_says: str
    reading: str
    alternative: str
    changes_judgement: bool
    switch: str = ""
    value: str = ""
    choices: tuple[str, ...] = ()

    def cells(self, switch: str) -> list[str]:
        """The register's columns for this entry (docs/plan-notes.md, the ledger's 方案问题 sheet), with
        the switch shown as the caller writes it."""
        judged = "是" if self.changes_judgement else "否"
        return [self.id, self.category, self.concerns, self.table_says, self.text_says, self.reading,
                self.alternative, judged, switch]  # fmt: skip

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "category": self.category,
            "concerns": self.concerns,
            "table_says": self.table_says,
            "text_says": self.text_says,
            "reading": self.reading,
            "alternative": self.alternative,
            "changes_judgement": self.changes_judgement,
            "switch": self.switch or None,
            "value": self.value or None,
            "choices": list(self.choices),
        }


def _notes(data_dir: Path) -> tuple[Note, ...]:
    out = []
    for row in _optional_rows("notes.csv", data_dir):
        where = f"notes.csv 第 {row['_line']} 行"
        choices = tuple(c.strip() for c in row.get("可选值", "").split("/") if c.strip())
        switch, value = row.get("开关", ""), row.get("取值", "")
        if switch and value not in choices:
            raise PlanDataError(
                f"{where}：开关“{switch}”的取值“{value}”应为 {' / '.join(choices) or '（未列可选值）'} 之一。"
            )
        if row.get("影响判定", "") not in ("是", "否"):
            raise PlanDataError(f"{where}：“影响判定”应为 是 或 否。")
        out.append(
            Note(
                id=row["编号"],
                category=row.get("类别", ""),
                concerns=row.get("涉及", ""),
                table_says=row.get("目标表或附件的写法", ""),
                text_says=row.get("正文的写法", ""),
                reading=row.get("采用的读法", ""),
                alternative=row.get("另一读法", ""),
                changes_judgement=row.get("影响判定") == "是",
                switch=switch,
                value=value,
                choices=choices,
            )
        )
    return tuple(out)


def notes_markdown(plan: Plan) -> str:
    """``docs/plan-notes.md``: the register of the plan's contradictions and gaps, from notes.csv."""
    lines = [
        "# 方案问题登记",
        "",
        "《瑞安市公共服务“七优享”工程实施方案(2023—2027年)》的目标表、正文和附件有几处互相矛盾或缺漏。",
        "工具对每一处取一种读法，登记在 `qyx_excel/data/notes.csv`（本页由 `qyx docs` 从该文件生成，",
        "`qyx catalogue --notes` 显示同样内容，台账“方案问题”工作表也列出）。",
        "“影响判定”为“是”的，会改变指标状态；有“开关”的，专班办公室把“取值”改为“可选值”中的另一个即换用另一读法",
        "（如 `指标33.到期` 改为 `2025-12` 即按目标表 2025 年到期评价）。判定规则见 [rules.md](rules.md)。",
        "",
        "| 编号 | 类别 | 涉及 | 目标表或附件的写法 | 正文的写法 | 采用的读法 | 另一读法 | 影响判定 | 开关 = 取值（可选值） |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for n in plan.notes:
        switch = f"`{n.switch}` = `{n.value}`（{' / '.join(n.choices)}）" if n.switch else "—"
        cells = n.cells(switch)
        lines.append("| " + " | ".join(c.replace("|", "／") for c in cells) + " |")
    return "\n".join(lines) + "\n"


@cache
def plan_readings(data_dir: Path | None = None) -> dict[str, str]:
    """The readings chosen in the register: switch (``指标33.到期``) → value (``2027-12``)."""
    return {n.switch: n.value for n in _notes(data_dir or DATA_DIR) if n.switch}


@dataclass(frozen=True)
class Plan:
    """The whole plan: look-ups by id and by domain."""

    indicators: tuple[Indicator, ...]
    tasks: tuple[Task, ...]
    groups: tuple[Group, ...]
    applications: tuple[Application, ...]
    team: tuple[TeamMember, ...]
    domain_leads: dict[str, str] = field(default_factory=dict)
    notes: tuple[Note, ...] = ()

    def indicator(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == str(indicator_id).strip():
                return ind
        raise KeyError(indicator_id)

    def indicators_of(self, domain: str) -> list[Indicator]:
        return [i for i in self.indicators if i.domain == domain]

    def reported_indicators(self, domain: str | None = None) -> list[Indicator]:
        """Rows a group fills in: every indicator but the parents of parts."""
        return [i for i in self.indicators if i.reported and (domain is None or i.domain == domain)]

    def tasks_of(self, domain: str) -> list[Task]:
        return [t for t in self.tasks if t.domain == domain]

    def group(self, name: str) -> Group:
        for g in self.groups:
            if g.name == name:
                return g
        raise KeyError(name)

    def to_json(self) -> dict:
        return {
            "indicators": [i.to_json() for i in self.indicators],
            "tasks": [t.to_json() for t in self.tasks],
            "groups": [g.to_json() for g in self.groups],
            "applications": [a.to_json() for a in self.applications],
        }


def _rows(name: str, data_dir: Path) -> Iterator[dict[str, str]]:
    path = data_dir / name
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for line_no, row in enumerate(csv.DictReader(fh), start=2):
                yield {k.strip(): (v or "").strip() for k, v in row.items() if k} | {"_line": str(line_no)}
    except FileNotFoundError:
        raise PlanDataError(f"方案数据文件缺失：{path}") from None


def _int(row: dict[str, str], key: str, source: str) -> int:
    try:
        return int(row[key])
    except (KeyError, ValueError):
        raise PlanDataError(
            f"{source} 第 {row['_line']} 行：“{key}”应为整数，实为“{row.get(key, '')}”。"
        ) from None


_KINDS = {label: kind for kind, label in KIND_LABELS.items()}
FREQUENCIES = ("月", "季", "年")
PATHS = ("线性", "阶跃", "里程碑")


def _rhythm(row: dict[str, str], where: str) -> tuple[str, str, int | None]:
    frequency = row.get("统计频率") or "月"
    path = row.get("路径") or "线性"
    if frequency not in FREQUENCIES:
        raise PlanDataError(f"{where}：统计频率“{frequency}”应为 月、季 或 年。")
    if path not in PATHS:
        raise PlanDataError(f"{where}：路径“{path}”应为 线性、阶跃 或 里程碑。")
    month_text = row.get("到位月份", "")
    if path == "线性":
        return frequency, path, None
    try:
        month = int(month_text or "12")
    except ValueError:
        month = 0
    if not 1 <= month <= 12:
        raise PlanDataError(
            f"{where}：到位月份“{month_text}”应为 1—12 的整数（{path}路径到位或到期的月份）。"
        )
    return frequency, path, month


_DIRECTIONS = {label: d for d, label in DIRECTION_LABELS.items()}


def _indicators(data_dir: Path) -> tuple[Indicator, ...]:
    parents: dict[int, dict[int, str]] = {}
    raw: list[tuple[dict[str, str], int, int | None]] = []
    for row in _rows("indicators.csv", data_dir):
        number = _int(row, "序号", "indicators.csv")
        part = _int(row, "子项", "indicators.csv") if row.get("子项") else None
        raw.append((row, number, part))
        if part is None:
            parents[number] = {y: row.get(f"{y}年", "") for y in YEARS}
    part_ids: dict[int, list[str]] = {}
    for _, number, part in raw:
        if part is not None:
            part_ids.setdefault(number, []).append(f"{number}-{part}")
    out: list[Indicator] = []
    for row, number, part in raw:
        where = f"indicators.csv 第 {row['_line']} 行"
        if row["领域"] not in DOMAINS:
            raise PlanDataError(f"{where}：领域“{row['领域']}”不是七个领域之一。")
        try:
            kind = _KINDS[row["类型"]]
            direction = _DIRECTIONS[row["方向"]]
        except KeyError as exc:
            raise PlanDataError(
                f"{where}：无法识别“{exc.args[0]}”（类型应为 水平值/累计值/年度新增，方向应为 越高越好/越低越好）。"
            ) from None
        frequency, path, due_month = _rhythm(row, where)
        targets = parents.get(number, {}) if part is not None else {y: row.get(f"{y}年", "") for y in YEARS}
        out.append(
            Indicator(
                id=f"{number}-{part}" if part is not None else str(number),
                number=number,
                domain=row["领域"],
                name=row["指标名称"],
                unit=row["单位"],
                targets=dict(targets),
                kind=kind,
                direction=direction,
                responsible_unit=row["责任单位"],
                responsible_basis=row.get("责任单位依据", ""),
                part=part,
                part_label=row.get("子项名称", ""),
                parts=tuple(part_ids.get(number, ())) if part is None else (),
                frequency=frequency,
                path=path,
                due_month=due_month,
                wording=row.get("原文表述", ""),
                rhythm_basis=row.get("节奏依据", ""),
            )
        )
    return tuple(out)


def _optional_rows(name: str, data_dir: Path) -> list[dict[str, str]]:
    if not (data_dir / name).exists():
        return []
    return list(_rows(name, data_dir))


def _float_or_none(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _tasks(data_dir: Path) -> tuple[Task, ...]:
    milestones: dict[str, list[Milestone]] = {}
    for row in _optional_rows("milestones.csv", data_dir):
        task_id = f"{_int(row, '领域序号', 'milestones.csv')}-{_int(row, '任务序号', 'milestones.csv')}"
        milestones.setdefault(task_id, []).append(
            Milestone(
                task_id=task_id,
                number=_int(row, "节点序号", "milestones.csv"),
                what=row["事项"],
                comparison=row["比较"],
                value=_float_or_none(row["数值"]),
                unit=row["单位"],
                deadline=row["期限"],
                source_text=row.get("原文", ""),
            )
        )
    tasks = []
    for row in _optional_rows("tasks.csv", data_dir):
        dn = _int(row, "领域序号", "tasks.csv")
        tn = _int(row, "任务序号", "tasks.csv")
        task_id = f"{dn}-{tn}"
        tasks.append(
            Task(
                id=task_id,
                domain_number=dn,
                number=tn,
                domain=row["领域"],
                title=row["任务名称"],
                lead_unit=row["牵头单位"],
                target_2027=row.get("2027年目标", ""),
                text=row.get("任务内容", ""),
                milestones=tuple(sorted(milestones.get(task_id, []), key=lambda m: m.number)),
            )
        )
    return tuple(tasks)


def _split_units(text: str) -> tuple[str, ...]:
    return tuple(u.strip() for u in text.replace("，", "、").replace(",", "、").split("、") if u.strip())


def _groups(data_dir: Path) -> tuple[Group, ...]:
    return tuple(
        Group(
            name=row["组别"],
            category=row.get("类别", ""),
            leader=row.get("组长", ""),
            leader_title=row.get("组长职务", ""),
            deputy=row.get("副组长", ""),
            deputy_title=row.get("副组长职务", ""),
            liaison=row.get("联络员", ""),
            liaison_title=row.get("联络员职务", ""),
            lead_unit=row.get("牵头单位", ""),
            member_units=_split_units(row.get("成员单位", "")),
            duties=row.get("主要职责", ""),
        )
        for row in _optional_rows("groups.csv", data_dir)
    )


def _applications(data_dir: Path) -> tuple[Application, ...]:
    return tuple(
        Application(
            number=_int(row, "序号", "applications.csv"),
            name=row["应用名称"],
            domain=row.get("所属领域", ""),
            responsible_unit=row.get("责任单位", ""),
            connects_to=row.get("贯通对象", ""),
            source_text=row.get("方案原文", ""),
        )
        for row in _optional_rows("applications.csv", data_dir)
    )


def _team(data_dir: Path) -> tuple[TeamMember, ...]:
    return tuple(
        TeamMember(row["角色"], row.get("姓名", ""), row.get("职务", ""), row.get("单位", ""))
        for row in _optional_rows("team.csv", data_dir)
    )


def _domain_leads(data_dir: Path) -> dict[str, str]:
    return {row["领域"]: row["牵头单位"] for row in _optional_rows("domains.csv", data_dir)}


def load_plan(data_dir: Path | None = None) -> Plan:
    """Read the plan from ``data_dir`` (default: the package's data folder)."""
    data_dir = data_dir or DATA_DIR
    if data_dir == DATA_DIR:
        return _cached_plan()
    return _load(data_dir)


@cache
def _cached_plan() -> Plan:
    return _load(DATA_DIR)


def _load(data_dir: Path) -> Plan:
    return Plan(
        indicators=_indicators(data_dir),
        tasks=_tasks(data_dir),
        groups=_groups(data_dir),
        applications=_applications(data_dir),
        team=_team(data_dir),
        domain_leads=_domain_leads(data_dir),
        notes=_notes(data_dir),
    )
