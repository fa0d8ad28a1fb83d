"""The target engine: read every target text the plan writes, and judge a reported value.

Target texts (MISSION §2): plain numbers, ``<5``, ``>1.2``, ``≥40``, ``≧12500`` (full width),
``全覆盖``, ``开展试点``, ``无统计``, ``/``, pairs ``1/5`` and compounds ``职工85%城乡居民68%``.
A plain number means "at least" when higher is better and "at most" when lower is better.

Judging (rules in ``data/rules.csv``, explained in ``docs/rules.md``):

* the **expected value** at the period's end moves linearly over the year — a level from the
  previous year-end figure to this year's target, a cumulative count likewise from last year's
  total, a yearly flow from 0 — by months elapsed; a starting point that already meets the target
  means the target itself is expected (hold the line);
* **已达标** when this year's target is met, **序时推进** when the value is on or ahead of the
  expected value, otherwise **进度滞后** or **严重滞后** by how far behind it is, as a share of the
  year's planned change.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from pathlib import Path

from .errors import PlanDataError
from .glossary import Direction, Kind, Status
from .periods import FIRST_YEAR, LAST_YEAR, Period
from .plan import DATA_DIR, Indicator
from .values import Value, format_beside, format_number, normalise_text, parse_value

_OPS = {"<": "<", ">": ">", "≤": "<=", "≦": "<=", "≥": ">=", "≧": ">=", "<=": "<=", ">=": ">=", "=": "="}
_BOUND = re.compile(r"^(<=|>=|[<>≤≦≥≧=])?\s*(\d+(?:\.\d+)?)\s*(%)?$")
_PAIR = re.compile(r"^(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)$")
_COMPOUND_PART = re.compile(r"([\u4e00-\u9fff]+)\s*(<=|>=|[<>≤≦≥≧])?\s*(\d+(?:\.\d+)?)\s*%?")

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


def _compare(value: float, op: str, bound: float) -> bool:
    eps = 1e-9
    if op == ">=":
        return value >= bound - eps
    if op == ">":
        return value > bound + eps
    if op == "<=":
        return value <= bound + eps
    if op == "<":
        return value < bound - eps
    return abs(value - bound) <= eps


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
            Target(f"{num}%", "bound", op=_OPS[op] if op else default_op, value=float(num)) for _, op, num in parts_found
        )
        return Target(raw, "parts", parts=parts, part_labels=tuple(lab for lab, _, _ in parts_found))
    raise PlanDataError(f"无法识别目标“{raw}”{('（' + where + '）') if where else ''}，请改为数字、“≥数字”“<数字”“全覆盖”等形式。")


@dataclass(frozen=True)
class Adjustment:
    """A target changed by the office (指标库 sheet): new text, with date, document and reason."""

    indicator_id: str
    year: int
    text: str
    date: str = ""
    document: str = ""
    reason: str = ""


def target_for(indicator: Indicator, year: int, adjustments: dict[tuple[str, int], Adjustment] | None = None) -> Target:
    """This year's target of an indicator (or part), the office's adjustment taking precedence."""
    adjusted = (adjustments or {}).get((indicator.id, year))
    if adjusted is not None:
        return parse_target(adjusted.text, indicator.direction, indicator.unit, where=f"指标 {indicator.id} {year}年调整后目标")
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
    due_day: int = 5

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
            due_day=int(values.get("due_day", "5")),
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
    """Where this year's path starts: last year's accepted year-end value, else last year's target."""
    if indicator.kind is Kind.FLOW:
        return 0.0
    if previous_year_end is not None:
        return previous_year_end
    last = target_for(indicator, year - 1, adjustments)
    return last.value if last.numeric else None


def expected_value(indicator: Indicator, target: Target, period: Period, start: float | None) -> float | None:
    """The value on the time-elapsed path at the period's end."""
    if not target.numeric or target.value is None:
        return None
    share = period.end_month / 12
    if indicator.kind is Kind.FLOW:
        return target.value * share
    if start is None or _compare(start, _inclusive(target.op), target.value):
        return target.value
    return start + (target.value - start) * share


def _inclusive(op: str | None) -> str:
    return {">": ">=", "<": "<="}.get(op or ">=", op or ">=")


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
    """Judge a reported value (a number, a declaration word, or None) for ``period``."""
    rules = rules or load_rules()
    parsed = value if isinstance(value, Value) else parse_value(value)
    if parsed.kind == "declared" and parsed.text == "全覆盖" and indicator.unit == "%":
        parsed = Value("number", number=100.0, text=parsed.text)
    year = period.year
    adjusted = (adjustments or {}).get((indicator.id, year))
    base = {"id": indicator.id, "period": period.code, "value": parsed.number, "value_text": parsed.text}

    if not FIRST_YEAR <= year <= LAST_YEAR or indicator.has_parts:
        reason = "方案期外" if indicator.reported else "按子项分别评价"
        return Evaluation(**base, target=None, target_text="", original_target_text=None, expected=None,
                          start=None, status=Status.NOT_APPLICABLE, completion=None, reason=reason)
    target = target_for(indicator, year, adjustments)
    original = indicator.target_text(year) if adjusted else None
    if indicator.is_part and adjusted is None:
        parent = parse_target(indicator.target_text(year), indicator.direction, indicator.unit)
        label = parent.part_labels[(indicator.part or 1) - 1] if parent.part_labels else indicator.part_label
        target_text = f"{label}{target.text}" if parent.form == "parts" and parent.part_labels else target.text
    else:
        target_text = target.text
    start = year_start(indicator, year, previous_year_end, adjustments)
    expected = expected_value(indicator, target, period, start)
    common = dict(base, target=target.value, target_text=target_text, original_target_text=original,
                  expected=expected, start=start)

    def result(status: Status, reason: str, completion: float | None = None) -> Evaluation:
        return Evaluation(**common, status=status, completion=completion, reason=reason)

    if target.form == "none":
        return result(Status.NOT_APPLICABLE, f"本年目标为“{target.text}”，不作评价")
    if parsed.kind == "none":
        return result(Status.NOT_REPORTED, "本期未填报")
    if not target.numeric:
        # 全覆盖 of a head count, 开展试点: the group declares where it stands.
        declared = parsed.declared or _declared_in(note)
        if declared is None:
            return result(Status.NOT_APPLICABLE, f"目标为“{target.text}”，需专项组声明完成情况（已完成/推进中/滞后/未启动）")
        return result(declared, f"目标为“{target.text}”，专项组声明：{declared.value}")
    if parsed.number is None:
        return result(Status.NOT_REPORTED, f"“{parsed.text}”不是数值，按未填报处理")
    v = parsed.number
    completion = _completion(indicator, target, v)
    if target.met(v):
        return result(Status.MET, f"已达到本年目标 {target.text}", completion)
    assert expected is not None and target.value is not None
    higher = indicator.direction is Direction.HIGHER
    shortfall = (expected - v) if higher else (v - expected)
    if shortfall <= 1e-9:
        return result(Status.ON_TRACK, f"不低于序时目标 {format_number(expected)}" if higher
                      else f"不高于序时目标 {format_number(expected)}", completion)
    planned = abs(target.value - (start if start is not None and indicator.kind is not Kind.FLOW else 0.0))
    if indicator.kind is not Kind.FLOW and (start is None or expected == target.value):
        planned = 0.0
    span = max(planned, rules.min_span_share * abs(target.value), 1e-9)
    share = shortfall / span
    if share <= rules.on_track_gap_share:
        return result(Status.ON_TRACK, f"略低于序时目标 {format_beside(expected, v)}，差距在容差（全年应完成量的 "
                      f"{rules.on_track_gap_share:.0%}）以内", completion)
    status = Status.SEVERELY_LAGGING if share > rules.severe_gap_share else Status.LAGGING
    return result(status, f"落后序时目标 {format_beside(expected, v)}，差距为全年应完成量的 {share:.0%}", completion)


def _completion(indicator: Indicator, target: Target, value: float) -> float | None:
    """完成率 (%): value against this year's target; inverted when lower is better."""
    if target.value in (None, 0):
        return None
    if indicator.direction is Direction.HIGHER:
        return value / target.value * 100
    return target.value / value * 100 if value > 0 else None


def _declared_in(note: str) -> Status | None:
    from .values import DECLARATIONS

    for word in sorted(DECLARATIONS, key=len, reverse=True):
        if word in note:
            return DECLARATIONS[word]
    return None
