"""The engine against docs/rules.md, case by case: every reported indicator × every plan year ×
every month, quarter and the year, with values on, around and exactly at the thresholds.

The documented rule is written again here from the doc, in exact decimals, without calling the
engine's judging code (only its reading of target texts, which test_targets checks cell by cell
against the plan's table)."""

from __future__ import annotations

import csv
import random
from decimal import Decimal
from fractions import Fraction

from qyx_excel.glossary import Direction, Kind, Status
from qyx_excel.periods import parse_period
from qyx_excel.plan import DATA_DIR, TARGET_YEARS, load_plan
from qyx_excel.targets import evaluate, load_rules, table_target

RULES = load_rules()
ON_TRACK = Fraction(str(RULES.on_track_gap_share))
SEVERE = Fraction(str(RULES.severe_gap_share))
FLOOR = Fraction(str(RULES.min_span_share))
with (DATA_DIR / "notes.csv").open(encoding="utf-8-sig", newline="") as fh:
    SWITCHES = {row["开关"]: row["取值"] for row in csv.DictReader(fh) if row["开关"]}


def dec(x: float) -> Fraction:
    return Fraction(Decimal(str(x)))


def switch(ind, key: str) -> str:
    return SWITCHES.get(f"指标{ind.id}.{key}") or SWITCHES.get(f"指标{ind.number}.{key}", "")


def bound(ind, year: int) -> tuple[str, Fraction] | None:
    """(op, value) of the year's target as the doc's section 一 reads it; None if not numeric."""
    t = table_target(ind, year)
    if t.value is None or t.op is None:
        return None
    op = t.op
    if op in (">", "<"):
        chosen = switch(ind, "比较")
        words = ("以上", "不少于", "不低于") if op == ">" else ("以下", "不超过", "不高于", "以内")
        if chosen == "含本数" or (not chosen and any(w in ind.wording for w in words)):
            op += "="
    return op, dec(t.value)


def meets(v: Fraction, op: str, t: Fraction) -> bool:
    return {">=": v >= t, ">": v > t, "<=": v <= t, "<": v < t}[op]


def documented(ind, year: int, m: int, value: float | None, previous: float | None) -> Status:
    table = table_target(ind, year)
    if table.form == "none":
        return Status.NOT_APPLICABLE
    months = {"年": (12,), "季": (3, 6, 9, 12)}.get(ind.frequency, tuple(range(1, 13)))
    if m not in months:
        return Status.NOT_APPLICABLE
    if value is None:
        return Status.NOT_REPORTED
    b = bound(ind, year)
    assert b is not None
    op, t = b
    v = dec(value)
    fixed = switch(ind, "到期")
    # start: a flow from 0; else last year's accepted year-end, else last year's target
    if ind.kind is Kind.FLOW:
        s: Fraction | None = Fraction(0)
    elif previous is not None:
        s = dec(previous)
    else:
        last_year = year - 1
        if fixed and year <= int(fixed[:4]):
            last_year = 2022
        last = bound(ind, last_year)
        s = last[1] if last else (Fraction(0) if ind.kind is Kind.CUMULATIVE else None)
    due = None
    if fixed and ind.path == "里程碑":
        due = (int(fixed[:4]), int(fixed[5:]))
    elif ind.path != "线性":
        due = (year, ind.due_month)
    if ind.path == "里程碑" and due and year < due[0]:
        final = bound(ind, due[0])
        return Status.MET if final and meets(v, *final) else Status.NOT_APPLICABLE
    if meets(v, op, t):
        return Status.MET
    inclusive = op if op.endswith("=") else op + "="
    hold = s is not None and meets(s, inclusive, t)
    if s is None or hold:
        expected = t
    elif due:
        expected = t if (year, m) >= due else s
    else:
        expected = s + (t - s) * Fraction(m, 12)
    if ind.path == "里程碑" and not hold and due and (year, m) < due:
        return Status.NOT_APPLICABLE
    gap = (expected - v) if ind.direction is Direction.HIGHER else (v - expected)
    span = abs(t) if (ind.kind is Kind.FLOW or s is None) else abs(t - s)
    if hold or span == 0:
        span = FLOOR * abs(t)
    share = max(gap, Fraction(0)) / span
    if m == 12:
        return Status.SEVERELY_LAGGING if share > SEVERE else Status.LAGGING
    if gap <= 0 or share <= ON_TRACK:
        return Status.ON_TRACK
    return Status.SEVERELY_LAGGING if share > SEVERE else Status.LAGGING


def values_for(ind, year: int, rng: random.Random) -> list[float | None]:
    """On the target, at the start, at the exact 2 % and 25 % gaps of each month's path, and random."""
    b, last = bound(ind, year), bound(ind, year - 1)
    if b is None:
        return [None]
    t = b[1]
    s = Fraction(0) if ind.kind is Kind.FLOW or last is None else last[1]
    span = abs(t - s) or FLOOR * abs(t) or Fraction(1)
    sign = 1 if ind.direction is Direction.HIGHER else -1
    out: list[float | None] = [None, float(t), float(s)]
    for m in (6, 12):
        expected = t if s == t else s + (t - s) * Fraction(m, 12)
        for share in (ON_TRACK, SEVERE, Fraction(1, 10)):
            out.append(round(float(expected - sign * share * span), 6))
    low, high = float(min(s, t) - span), float(max(s, t) + span)
    out += [round(rng.uniform(low, high), 3) for _ in range(3)]
    return out


def test_engine_equals_the_documented_rule_everywhere():
    plan = load_plan()
    rng = random.Random(11)
    periods = [*(f"-{m:02d}" for m in range(1, 13)), *(f"-Q{q}" for q in range(1, 5)), ""]
    checked = 0
    mismatches = []
    for ind in plan.reported_indicators():
        for year in TARGET_YEARS:
            if table_target(ind, year).form != "none" and bound(ind, year) is None:
                continue  # qualitative (全覆盖 of a head count, 开展试点): declared, tested in test_targets
            values = values_for(ind, year, rng)
            for suffix in periods:
                period = parse_period(f"{year}{suffix}")
                for i, value in enumerate(values):
                    # last year's accepted year-end: none (last year's target), or the value at the start
                    for previous in (None, values[2]) if i % 2 else (None,):
                        got = evaluate(ind, period, value, previous_year_end=previous).status
                        want = documented(ind, year, period.end_month, value, previous)
                        checked += 1
                        if got is not want:
                            mismatches.append((ind.id, period.code, value, previous, got.value, want.value))
    assert mismatches[:10] == []
    assert checked >= 10_000
