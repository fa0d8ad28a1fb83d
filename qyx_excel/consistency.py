"""Check the plan data against what the plan's text states (``data/statements.csv``).

The text of the plan repeats many of the table's figures ("累计新增学位21660个" is the sum of
no. 10's yearly targets).  Each statement is checked; a disagreement is reported by indicator,
never silently fixed.  Cumulative indicators must never decrease from year to year.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from .errors import PlanDataError
from .glossary import Kind
from .plan import DATA_DIR, TARGET_YEARS, YEARS, Plan, load_plan
from .targets import Target, parse_target, table_target, target_for


@dataclass(frozen=True)
class Disagreement:
    """One place where the table and the text (or the data's own logic) disagree."""

    indicator: str
    rule: str
    expected: str
    found: str
    source_text: str

    def __str__(self) -> str:
        return f"指标 {self.indicator}：{self.rule}，原文“{self.source_text}”为 {self.expected}，表中为 {self.found}"


def _numbers(target: Target) -> list[float]:
    if target.form == "parts":
        return [p.value for p in target.parts if p.value is not None]
    return [target.value] if target.value is not None else []


def _years(text: str) -> list[int]:
    if "-" in text:
        first, last = (int(x) for x in text.split("-"))
        return list(range(first, last + 1))
    return [int(text)]


def check_consistency(plan: Plan | None = None, statements: Path | None = None) -> list[Disagreement]:
    """Every disagreement between the indicator table and the text's statements."""
    plan = plan or load_plan()
    out: list[Disagreement] = []
    with (statements or DATA_DIR / "statements.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        ind = plan.indicator(row["指标序号"])
        rule, stated, source = row["规则"], row["数值"], row["原文"]
        years = _years(row["年份"])
        targets = [
            parse_target(ind.target_text(y), ind.direction, ind.unit) for y in years
        ]  # the table as written
        if rule in ("合计等于", "合计不低于"):
            total = sum(sum(_numbers(t)) for t in targets)
            want = float(stated)
            ok = abs(total - want) < 1e-6 if rule == "合计等于" else total >= want - 1e-6
            if not ok:
                out.append(Disagreement(ind.id, f"{row['年份']}年目标{rule}", stated, f"{total:g}", source))
        elif rule == "每年不低于":
            for year, t in zip(years, targets, strict=False):
                if not _numbers(t) or min(_numbers(t)) < float(stated) - 1e-9:
                    out.append(Disagreement(ind.id, f"{year}年目标{rule}", stated, t.text, source))
        elif rule == "目标等于":
            stated_target = parse_target(stated, ind.direction, ind.unit)
            table = targets[0]
            same = (
                _numbers(stated_target) == _numbers(table)
                if _numbers(stated_target) or _numbers(table)
                else stated_target.label == table.label
            )
            if not same:
                out.append(Disagreement(ind.id, f"{row['年份']}年目标", stated, table.text, source))
        elif rule == "首次达到":
            first = _first_year_reaching(ind, stated)
            if first != years[0]:
                out.append(
                    Disagreement(
                        ind.id, f"首次达到 {stated} 的年份", str(years[0]), str(first or "无"), source
                    )
                )
        else:
            out.append(Disagreement(ind.id, "未知规则", rule, "", source))
    out.extend(_cumulative_never_decrease(plan))
    return out


def _first_year_reaching(ind, stated: str) -> int | None:
    goal = parse_target(stated, ind.direction, ind.unit)
    for year in TARGET_YEARS:
        target = _target(ind, year)
        if goal.form == "qualitative" and target.label == goal.label:
            return year
        numbers = _numbers(target)
        if (
            numbers
            and _numbers(goal)
            and target.op in (">=", "=", None)
            and numbers[0] >= _numbers(goal)[0] - 1e-9
        ):
            return year
    return None


def _cumulative_never_decrease(plan: Plan) -> list[Disagreement]:
    out = []
    for ind in plan.indicators:
        if ind.kind is not Kind.CUMULATIVE or ind.has_parts:
            continue
        previous: float | None = None
        for year in YEARS:
            numbers = _numbers(_target(ind, year))
            if not numbers:
                continue
            if previous is not None and numbers[0] < previous - 1e-9:
                out.append(
                    Disagreement(
                        ind.id, f"累计值不应减少（{year}年）", f"≥{previous:g}", f"{numbers[0]:g}", "累计指标"
                    )
                )
            previous = numbers[0]
    return out


def _target(ind, year: int) -> Target:
    """The table's own target: the register's readings (notes.csv) are not applied here, so that a
    disagreement between table and text is still reported."""

    return table_target(ind, year)


def unreadable_targets(plan: Plan | None = None) -> list[str]:
    """Target texts the engine cannot read (should be empty); each names indicator and year."""

    plan = plan or load_plan()
    problems = []
    for ind in plan.indicators:
        for year in (2022, *TARGET_YEARS):
            try:
                target_for(ind, year)
            except PlanDataError as exc:
                problems.append(exc.message)
    return problems
