"""The target engine: read every target text the plan writes, and judge a reported value.

Target texts (as ``data/indicators.csv`` holds them; docs/rules.md 一): plain numbers, ``<5``,
``>1.2``, ``≥40``, ``≧12500`` (full width), ``全覆盖``, ``开展试点``, ``无统计``, ``/``, pairs ``1/5``
and compounds ``职工85%城乡居民68%``.
A plain number means "at least" when higher is better and "at most" when lower is better.

Judging (rules in ``data/rules.csv``, explained in ``docs/rules.md``; one rule in every month,
quarter and year):

* a table's strict ``>``/``<`` is read inclusively where the plan's text says 以上/不少于
  (``Indicator.wording``; switchable in ``data/notes.csv``);
* a period without a new figure for the indicator (a yearly statistic before December, a
  quarterly one between quarter ends) is **不适用**;
* the **expected value** at the period's end follows the indicator's path from last year's end
  (a flow from 0; a cumulative count with no base from 0) to this year's target: linear by months
  elapsed, or a step / milestone taken in its month; the target itself when the year starts at
  it or when a level has no base;
* **已达标** when this year's target is met, **序时推进** when the value is on or ahead of the
  expected value (or within the tolerance, except at the year's end), otherwise **进度滞后** or
  **严重滞后** by the gap as a share of the year's planned change (全年应完成量); at the year's last
  period any shortfall is at least 进度滞后. Shares are compared exactly (:func:`exact`).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from .errors import PlanDataError
from .glossary import Direction, Kind, Status
from .periods import FIRST_YEAR, LAST_YEAR, Period
from .plan import DATA_DIR, YEARS, Indicator, plan_readings
from .values import (
    DECLARATIONS,
    Value,
    expected_shown,
    format_beside,
    format_number,
    normalise_text,
    parse_value,
)

_OPS = {"<": "<", ">": ">", "≤": "<=", "≦": "<=", "≥": ">=", "≧": ">=", "<=": "<=", ">=": ">=", "=": "="}
_BOUND = re.compile(r"^(<=|>=|[<>≤≦≥≧=])?\s*(\d+(?:\.\d+)?)\s*(%)?$")
_PAIR = re.compile(r"^(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)$")
_COMPOUND_PART = re.compile(r"([\u4e00-\u9fff]+)\s*(<=|>=|[<>≤≦≥≧])?\s*(\d+(?:\.\d+)?)\s*%?")

YEARS_FIRST = YEARS[0]  # 2022: the base year
QUALITATIVE_WORDS = ("全覆盖", "开展试点")
NONE_WORDS = ("无统计", "/", "／", "")


@dataclass(frozen=True)
class Target:
    """A target text read into structure.

    ``form`` is one of ``bound`` (a number with a comparison), ``qualitative`` (全覆盖, 开展试点),
    ``none`` (无统计, ``/``: nothing to judge), ``parts`` (a pair or a compound).
    """

    text: str
    form: str
    op: str | None = None  # ">=", ">", "<=", "<", "="
    value: float | None = None
    label: str = ""  # the qualitative word
    parts: tuple[Target, ...] = ()
    part_labels: tuple[str, ...] = ()

    @property
    def numeric(self) -> bool:
        return self.value is not None and self.form in ("bound", "qualitative")

    def met(self, value: float) -> bool:
        """Whether ``value`` satisfies the target's bound."""
        if self.value is None or self.op is None:
            return False
        return _compare(value, self.op, self.value)

    def display(self) -> str:
        return self.text

    def to_json(self) -> dict:
        return {
            "text": self.text,
            "form": self.form,
            "op": self.op,
            "value": self.value,
            "label": self.label or None,
            "parts": [p.to_json() for p in self.parts],
            "part_labels": list(self.part_labels),
        }


@lru_cache(maxsize=8192)
def exact(x: float) -> Fraction:
    """``x`` as the decimal it was typed as (float noise beyond 9 decimals dropped), exactly.

    Statuses are decided on these exact rationals, so equal gaps give equal statuses: 4.5 − 4.35
    against 0.6 is exactly 25 %, where binary floating point makes it 25.0000000000001 %.
    """
    return Fraction(repr(round(float(x), 9)))  # cached: targets and starts repeat in every file


def _compare(value: float | Fraction, op: str, bound: float | Fraction) -> bool:
    v = value if isinstance(value, Fraction) else exact(value)
    b = bound if isinstance(bound, Fraction) else exact(bound)
    if op == ">=":
        return v >= b
    if op == ">":
        return v > b
    if op == "<=":
        return v <= b
    if op == "<":
        return v < b
    return v == b


@lru_cache(maxsize=4096)
def parse_target(text: str, direction: Direction, unit: str = "", *, where: str = "") -> Target:
    """Read one target text; raise :class:`PlanDataError` naming ``where`` when it cannot be read.

    Cached: the plan has a few hundred texts and every file checked asks for the same ones
    (a :class:`Target` is immutable, so sharing it is safe).
    """
    raw = text
    cleaned = normalise_text(text).replace("＜", "<").replace("＞", ">").replace(" ", "")
    default_op = ">=" if direction is Direction.HIGHER else "<="
    if cleaned in NONE_WORDS:
        return Target(raw, "none", label=cleaned)
    if cleaned in QUALITATIVE_WORDS:
        # 全覆盖 of a percentage is 100 %; of a head count it is a declaration by the group.
        value = 100.0 if cleaned == "全覆盖" and unit == "%" else None
        return Target(raw, "qualitative", op=">=" if value is not None else None, value=value, label=cleaned)
    match = _BOUND.match(cleaned)
    if match:
        op = _OPS[match.group(1)] if match.group(1) else default_op
        return Target(raw, "bound", op=op, value=float(match.group(2)))
    match = _PAIR.match(cleaned)
    if match:
        parts = tuple(Target(g, "bound", op=default_op, value=float(g)) for g in match.groups())
        return Target(raw, "parts", parts=parts)
    compact = re.sub(r"[,，、;；]", "", cleaned)
    parts_found = _COMPOUND_PART.findall(compact)
    if len(parts_found) >= 2 and _COMPOUND_PART.sub("", compact) == "":
        parts = tuple(
            Target(f"{num}%", "bound", op=_OPS[op] if op else default_op, value=float(num))
            for _, op, num in parts_found
        )
        return Target(raw, "parts", parts=parts, part_labels=tuple(lab for lab, _, _ in parts_found))
    raise PlanDataError(
        f"无法识别目标“{raw}”{('（' + where + '）') if where else ''}，请改为数字、“≥数字”“<数字”“全覆盖”等形式。"
    )


@dataclass(frozen=True)
class Adjustment:
    """A target changed by the office (指标库 sheet): new text, with date, document and reason."""

    indicator_id: str
    year: int
    text: str
    date: str = ""
    document: str = ""
    reason: str = ""


INCLUSIVE_ABOVE = ("以上", "不少于", "不低于")
INCLUSIVE_BELOW = ("以下", "不超过", "不高于", "以内")


def _reading(indicator: Indicator, key: str) -> str:
    readings = plan_readings()
    return readings.get(f"指标{indicator.id}.{key}") or readings.get(f"指标{indicator.number}.{key}", "")


def reads_inclusively(indicator: Indicator, op: str | None) -> bool:
    """Whether a table's strict ``>``/``<`` is read as ≥/≤ because the plan's text says 以上/不少于
    (以下/不超过/以内) — 民法典第一千二百五十九条: 以上、以下、以内 include the number. The register
    (notes.csv, switch ``指标N.比较``) may set 含本数 / 不含本数 explicitly."""
    if op not in (">", "<"):
        return False
    switch = _reading(indicator, "比较")
    if switch:
        return switch == "含本数"
    words = INCLUSIVE_ABOVE if op == ">" else INCLUSIVE_BELOW
    return any(word in indicator.wording for word in words)


def milestone_due(indicator: Indicator, year: int) -> tuple[int, int] | None:
    """(year, month) a milestone or step of ``year`` is due; the register may move a milestone's
    year (switch ``指标33.到期`` = ``2027-12``). None for a linear path."""
    switch = _reading(indicator, "到期")
    if switch:
        y, m = switch.split("-")
        return int(y), int(m)
    if indicator.path == "线性" or indicator.due_month is None:
        return None
    return year, indicator.due_month


def target_for(
    indicator: Indicator, year: int, adjustments: dict[tuple[str, int], Adjustment] | None = None
) -> Target:
    """This year's target of an indicator (or part), the office's adjustment taking precedence.

    The plan's own texts are read as the register (``data/notes.csv``) says: a strict ``>35`` whose
    text says 不少于35 is read as ≥35 (the text stays ``>35``). (A milestone the register moves to a
    later year keeps the table's texts; :func:`evaluate` does not judge it before it is due.)
    """
    adjusted = (adjustments or {}).get((indicator.id, year))
    if adjusted is not None:
        return parse_target(
            adjusted.text,
            indicator.direction,
            indicator.unit,
            where=f"指标 {indicator.id} {year}年调整后目标",
        )
    target = table_target(indicator, year)
    if target.form == "bound" and reads_inclusively(indicator, target.op):
        return replace(target, op=_inclusive(target.op))
    return target


def shown_target_text(indicator: Indicator, year: int) -> str:
    """The target text of ``year`` as shown for this row: a part shows its own share of the
    parent's pair or compound (27-2 in 2025: ``城乡居民70%``; 32-1 in 2027: ``17``), not the whole."""
    if not indicator.is_part:
        return indicator.target_text(year)
    own = table_target(indicator, year)
    parent = parse_target(indicator.target_text(year), indicator.direction, indicator.unit)
    if parent.form == "parts" and parent.part_labels:
        return f"{parent.part_labels[(indicator.part or 1) - 1]}{own.text}"
    return own.text


def table_target(indicator: Indicator, year: int) -> Target:
    """The target exactly as the plan's table writes it (parts: their own share of the pair)."""
    text = indicator.target_text(year)
    target = parse_target(text, indicator.direction, indicator.unit, where=f"指标 {indicator.id} {year}年")
    if indicator.is_part:
        if target.form != "parts":
            # e.g. 27's 2022 "无统计": the parts share the parent's non-numeric text.
            return target
        index = (indicator.part or 1) - 1
        if index >= len(target.parts):
            raise PlanDataError(f"指标 {indicator.id} {year}年：目标“{text}”没有第 {index + 1} 项。")
        return replace(target.parts[index], text=target.parts[index].text)
    return target


@dataclass(frozen=True)
class Rules:
    """Thresholds from ``data/rules.csv``."""

    severe_gap_share: float = 0.25
    on_track_gap_share: float = 0.02
    min_span_share: float = 0.02
    jump_share: float = 0.5
    scores: dict[str, float] = field(default_factory=dict)

    def score(self, status: Status) -> float | None:
        return self.scores.get(status.value)


@cache
def load_rules(path: Path | None = None) -> Rules:
    """Read the thresholds and scores (``data/rules.csv``)."""
    path = path or DATA_DIR / "rules.csv"
    values: dict[str, str] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            values[row["键"].strip()] = row["值"].strip()
    try:
        scores = {
            Status.MET.value: float(values["score_met"]),
            Status.ON_TRACK.value: float(values["score_on_track"]),
            Status.LAGGING.value: float(values["score_lagging"]),
            Status.SEVERELY_LAGGING.value: float(values["score_severely_lagging"]),
            Status.NOT_REPORTED.value: float(values["score_not_reported"]),
        }
        return Rules(
            severe_gap_share=float(values["severe_gap_share"]),
            on_track_gap_share=float(values.get("on_track_gap_share", "0")),
            min_span_share=float(values["min_span_share"]),
            jump_share=float(values["jump_share"]),
            scores=scores,
        )
    except (KeyError, ValueError) as exc:
        raise PlanDataError(f"规则文件 {path} 缺少或写错了“{exc.args[0]}”。") from None


@dataclass(frozen=True)
class Evaluation:
    """An indicator judged for a period."""

    id: str
    period: str
    value: float | None
    value_text: str
    target: float | None
    target_text: str
    original_target_text: str | None
    expected: float | None
    start: float | None
    status: Status
    completion: float | None
    reason: str

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "period": self.period,
            "value": self.value,
            "value_text": self.value_text,
            "target": self.target,
            "target_text": self.target_text,
            "original_target_text": self.original_target_text,
            "expected": _round(self.expected),
            "start": self.start,
            "status": self.status.value,
            "completion": _round(self.completion),
            "reason": self.reason,
        }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def year_start(
    indicator: Indicator,
    year: int,
    previous_year_end: float | None = None,
    adjustments: dict[tuple[str, int], Adjustment] | None = None,
) -> float | None:
    """Where this year's path starts: last year's accepted year-end value, else last year's target.

    A yearly flow starts at 0; so does a cumulative count with no base (``/``, 无统计, 开展试点).
    None means a level with no base: its first year is judged against the target itself.
    """
    if indicator.kind is Kind.FLOW:
        return 0.0
    if previous_year_end is not None:
        return previous_year_end
    fixed = _reading(indicator, "到期")
    if fixed and year <= int(fixed.split("-")[0]):
        year = YEARS_FIRST + 1  # a milestone the register makes due this year or later: from the base
    last = target_for(indicator, year - 1, adjustments)
    if last.numeric:
        return last.value
    return 0.0 if indicator.kind is Kind.CUMULATIVE else None


def _holds_line(target: Target, start: float | None) -> bool:
    """The year starts at or beyond its target: the target itself is expected all year."""
    return (
        start is not None
        and target.value is not None
        and _compare(start, _inclusive(target.op), target.value)
    )


def _expected(indicator: Indicator, target: Target, period: Period, start: float | None) -> Fraction | None:
    if not target.numeric or target.value is None:
        return None
    goal = exact(target.value)
    if start is None or _holds_line(target, start):
        return goal  # no base, or holding a line already reached
    begin = exact(start)
    due = milestone_due(indicator, period.year)
    if due is not None:  # 阶跃 / 里程碑: the start until the month it is due, the target from then
        return goal if (period.year, period.end_month) >= due else begin
    return begin + (goal - begin) * Fraction(period.end_month, 12)


def expected_value(indicator: Indicator, target: Target, period: Period, start: float | None) -> float | None:
    """The value expected at the period's end (docs/rules.md 二): linear by months elapsed from the
    year's start to its target, or the start until a step's or milestone's month and the target
    from then; the target itself when there is no base or the start already meets it."""
    value = _expected(indicator, target, period, start)
    return None if value is None else float(value)


def _inclusive(op: str | None) -> str:
    return {">": ">=", "<": "<="}.get(op or ">=", op or ">=")


def _pct(share: Fraction, *thresholds: float) -> str:
    """A share as a percentage with enough decimals not to read as a threshold it is not (1.85 %
    beside a 2 % tolerance reads "1.9%", not "2%")."""
    text = f"{float(share):.0%}"
    for digits in (1, 2, 3):
        if not any(share != exact(t) and text == f"{t:.0%}" for t in thresholds):
            break
        text = f"{float(share):.{digits}%}"
    return text


def not_judged_this_month(indicator: Indicator, period: Period) -> str:
    """Why a period without a new figure is not judged ('' when it is judged)."""
    if period.end_month in indicator.judged_months:
        return ""
    if indicator.frequency == "年":
        return "年度统计指标，年末（12月）评价，本期不评价"
    return "季度统计指标，季末（3、6、9、12月）评价，本期不评价"


def evaluate(
    indicator: Indicator,
    period: Period,
    value: object,
    *,
    previous_year_end: float | None = None,
    adjustments: dict[tuple[str, int], Adjustment] | None = None,
    rules: Rules | None = None,
    note: str = "",
) -> Evaluation:
    """Judge a reported value (a number, a declaration word, or None) for ``period`` (docs/rules.md)."""
    rules = rules or load_rules()
    parsed = value if isinstance(value, Value) else parse_value(value)
    if parsed.kind == "declared" and parsed.text == "全覆盖" and indicator.unit == "%":
        parsed = Value("number", number=100.0, text=parsed.text)
    year = period.year
    adjusted = (adjustments or {}).get((indicator.id, year))
    base: dict[str, Any] = {
        "id": indicator.id,
        "period": period.code,
        "value": parsed.number,
        "value_text": parsed.text,
    }

    if not FIRST_YEAR <= year <= LAST_YEAR or indicator.has_parts:
        reason = "方案期外" if indicator.reported else "按子项分别评价"
        return Evaluation(
            **base,
            target=None,
            target_text="",
            original_target_text=None,
            expected=None,
            start=None,
            status=Status.NOT_APPLICABLE,
            completion=None,
            reason=reason,
        )
    target = target_for(indicator, year, adjustments)
    original = indicator.target_text(year) if adjusted else None
    target_text = (
        shown_target_text(indicator, year) if indicator.is_part and adjusted is None else target.text
    )
    if adjusted is None and target.op != table_target(indicator, year).op:
        # read inclusively (以上 / 不少于): show the reading that was applied, ">95" as "≥95"
        target_text = target_text.replace(">", "≥", 1).replace("<", "≤", 1)
    start = year_start(indicator, year, previous_year_end, adjustments)
    expected_exact = _expected(indicator, target, period, start)
    expected = None if expected_exact is None else float(expected_exact)
    common: dict[str, Any] = dict(
        base,
        target=target.value,
        target_text=target_text,
        original_target_text=original,
        expected=expected,
        start=start,
    )

    def result(status: Status, reason: str, completion: float | None = None) -> Evaluation:
        return Evaluation(**common, status=status, completion=completion, reason=reason)

    if target.form == "none":
        return result(Status.NOT_APPLICABLE, f"本年目标为“{target.text}”，不作评价")
    off_month = not_judged_this_month(indicator, period)
    if off_month:
        return result(Status.NOT_APPLICABLE, off_month)
    if parsed.kind == "none":
        return result(Status.NOT_REPORTED, "本期未填报")
    if not target.numeric:
        # 全覆盖 of a head count, 开展试点: the group declares where it stands.
        declared = parsed.declared or _declared_in(note)
        if declared is None:
            return result(
                Status.NOT_APPLICABLE,
                f"目标为“{target.text}”，需专项组声明完成情况（已完成/推进中/滞后/未启动）",
            )
        if declared is Status.ON_TRACK and period.end_month == 12:
            # time is up: a target still 推进中 at the year's end was missed
            return result(Status.LAGGING, f"全年目标未完成：目标为“{target.text}”，专项组声明：推进中")
        return result(declared, f"目标为“{target.text}”，专项组声明：{declared.value}")
    if parsed.number is None:
        return result(Status.NOT_REPORTED, f"“{parsed.text}”不是数值，按未填报处理")
    assert expected_exact is not None and target.value is not None and target.op is not None
    v = exact(parsed.number)
    completion = _completion(indicator, target, parsed.number)
    goal = exact(target.value)
    table_text = table_target(indicator, year).text
    inclusive_note = (
        f"（目标表为“{table_text}”，按方案正文“{indicator.wording}”含本数）"
        if adjusted is None and reads_inclusively(indicator, table_target(indicator, year).op)
        else ""
    )
    due = milestone_due(indicator, year) if indicator.path == "里程碑" else None
    if due is not None and year < due[0]:
        final = target_for(indicator, due[0], adjustments)
        if final.value is not None and _compare(v, final.op or ">=", final.value):
            return result(Status.MET, f"已提前完成 {due[0]} 年到期的目标 {final.text}", completion)
        return result(
            Status.NOT_APPLICABLE,
            f"里程碑指标，{due[0]}年{due[1]}月到期，到期前不按数值评价（见方案问题登记）",
            completion,
        )
    if _compare(v, target.op, goal):
        return result(Status.MET, f"已达到本年目标 {target_text}{inclusive_note}", completion)

    hold = _holds_line(target, start)
    if due is not None and not hold and (year, period.end_month) < due:
        return result(
            Status.NOT_APPLICABLE,
            f"里程碑指标，本年目标 {target.text} 于{due[1]}月底到期，到期前不按数值评价",
            completion,
        )
    higher = indicator.direction is Direction.HIGHER
    shortfall = (expected_exact - v) if higher else (v - expected_exact)
    # 全年应完成量 (docs/rules.md 三): this year's planned change; a flow's whole target; a level
    # with no base its target (from 0); at least min_span_share of the target only when the
    # target is flat or was already met at the year's start.
    no_base = start is None
    if indicator.kind is Kind.FLOW or no_base:
        planned = abs(goal)
    else:
        planned = abs(goal - exact(start))
    if hold or planned == 0:
        planned = exact(rules.min_span_share) * abs(goal)
    span = planned if planned > 0 else Fraction(1, 10**9)
    share = max(shortfall, Fraction(0)) / span
    prefix = "无2022年基数，首年按本年目标评价；" if no_base else ""
    span_text = f"全年应完成量（{format_number(float(span), 4)}）"
    severe = share > exact(rules.severe_gap_share)
    if period.end_month == 12:
        # time is up: any shortfall against the year's target is at least 进度滞后
        status = Status.SEVERELY_LAGGING if severe else Status.LAGGING
        return result(
            status,
            f"{prefix}全年目标未完成：完成值 {format_beside(parsed.number, target.value)}，"
            f"本年目标 {target_text}{inclusive_note}，差距为{span_text}的 "
            f"{_pct(share, rules.severe_gap_share, rules.on_track_gap_share)}",
            completion,
        )
    # 序时目标 as the notice, the print tables and 汇总's column show it (the plan's precision)
    shown = format_number(expected_shown(indicator.id, expected, parsed.number), 2)
    if shortfall <= 0:
        return result(
            Status.ON_TRACK,
            prefix + (f"不低于序时目标 {shown}" if higher else f"不高于序时目标 {shown}"),
            completion,
        )
    if share <= exact(rules.on_track_gap_share):
        return result(
            Status.ON_TRACK,
            f"{prefix}略低于序时目标 {shown}，差距在容差（{span_text}的 {rules.on_track_gap_share:.0%}）以内",
            completion,
        )
    status = Status.SEVERELY_LAGGING if severe else Status.LAGGING
    if shown == format_number(
        parsed.number, 2
    ):  # lagging must not read "5.54, behind 5.54": the digits it takes
        shown = format_beside(expected, parsed.number)
    return result(
        status,
        f"{prefix}落后序时目标 {shown}，差距为{span_text}的 "
        f"{_pct(share, rules.severe_gap_share, rules.on_track_gap_share)}",
        completion,
    )


def _completion(indicator: Indicator, target: Target, value: float) -> float | None:
    """完成率 (%): value against this year's target; inverted when lower is better."""
    if target.value in (None, 0):
        return None
    if indicator.direction is Direction.HIGHER:
        return value / target.value * 100
    return target.value / value * 100 if value > 0 else None


def _declared_in(note: str) -> Status | None:
    for word in sorted(DECLARATIONS, key=len, reverse=True):
        if word in note:
            return DECLARATIONS[word]
    return None
