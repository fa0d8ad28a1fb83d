"""Reporting periods: ``YYYY-MM``, ``YYYY-Qn`` and ``YYYY`` (README.md 每月怎么用), and ISO weeks ``YYYY-Www``.

A value reported for a period is the indicator's value at the period's end, so every period
is judged at its last month.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from .errors import UsageError
from .values import normalise_text

# read on text with every blank removed and full-width digits made half-width
_CODE = re.compile(r"^(\d{4})(?:-(?:(0?[1-9]|1[0-2])|[Qq]([1-4])))?$")
_LABEL_MONTH = re.compile(r"^(\d{4})年(\d{1,2})月(?:份)?$")
_LABEL_QUARTER = re.compile(r"^(\d{4})年(?:第)?([一二三四1-4])季度$")
_LABEL_YEAR = re.compile(r"^(\d{4})年(?:度)?$")

FIRST_YEAR = 2023
LAST_YEAR = 2027
_QUARTER_WORDS = ("一", "二", "三", "四")
_QUARTER_NUMBERS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


@dataclass(frozen=True, order=True)
class Period:
    """A month, a quarter or a year. ``kind`` is ``month``, ``quarter`` or ``year``."""

    year: int
    end_month: int
    kind: str

    @property
    def code(self) -> str:
        """The canonical text form: ``2024-03``, ``2024-Q1`` or ``2024``."""
        if self.kind == "month":
            return f"{self.year:04d}-{self.end_month:02d}"
        if self.kind == "quarter":
            return f"{self.year:04d}-Q{self.end_month // 3}"
        return f"{self.year:04d}"

    @property
    def label(self) -> str:
        """Chinese label used in sheets and the notice."""
        if self.kind == "month":
            return f"{self.year}年{self.end_month}月"
        if self.kind == "quarter":
            return f"{self.year}年第{_QUARTER_WORDS[self.end_month // 3 - 1]}季度"
        return f"{self.year}年度"

    @property
    def months(self) -> tuple[int, ...]:
        """Months of the year covered by the period."""
        if self.kind == "month":
            return (self.end_month,)
        if self.kind == "quarter":
            return tuple(range(self.end_month - 2, self.end_month + 1))
        return tuple(range(1, 13))

    @property
    def end(self) -> Period:
        """The month at which the period is judged."""
        return Period(self.year, self.end_month, "month")

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        if self.kind == "month":
            if self.end_month == 1:
                return Period(self.year - 1, 12, "month")
            return Period(self.year, self.end_month - 1, "month")
        if self.kind == "quarter":
            if self.end_month == 3:
                return Period(self.year - 1, 12, "quarter")
            return Period(self.year, self.end_month - 3, "quarter")
        return Period(self.year - 1, 12, "year")

    def __str__(self) -> str:
        return self.code


def read_period(raw: object) -> Period | None:
    """The period a cell or argument names, or None when it names none; the one period parser.

    Takes a code (``2024-03``, ``2024-3``, ``2024-Q1``, ``2024``), a Chinese label (``2024年3月``,
    ``2024年3月份``, ``2024年第一季度``, ``2024年1季度``, ``2024年度``, ``2024年``) or a date
    (its month).  Blanks anywhere and full-width digits are allowed; the year is not checked
    against the plan's years (:func:`parse_period` does that).
    """
    if raw is None or raw == "":
        return None
    if isinstance(raw, date):  # datetime too
        return Period(raw.year, raw.month, "month")
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = "".join(normalise_text(str(raw)).split())
    match = _CODE.match(text)
    if match:
        year = int(match.group(1))
        if match.group(2):
            return Period(year, int(match.group(2)), "month")
        if match.group(3):
            return Period(year, int(match.group(3)) * 3, "quarter")
        return Period(year, 12, "year")
    match = _LABEL_MONTH.match(text)
    if match and 1 <= int(match.group(2)) <= 12:
        return Period(int(match.group(1)), int(match.group(2)), "month")
    match = _LABEL_QUARTER.match(text)
    if match:
        return Period(int(match.group(1)), _QUARTER_NUMBERS[match.group(2)] * 3, "quarter")
    match = _LABEL_YEAR.match(text)
    if match:
        return Period(int(match.group(1)), 12, "year")
    return None


def period_code(raw: object) -> str | None:
    """The code (``2024-03``, ``2024-Q1``, ``2024``) of :func:`read_period`'s period, or None."""
    period = read_period(raw)
    return period.code if period is not None else None


def parse_period(text: object) -> Period:
    """The period ``text`` names (as :func:`read_period` reads it) within the plan's years;
    :class:`UsageError` otherwise.  Only the CLI and the buttons should need it."""
    period = read_period(text)
    if period is None:
        raise UsageError(
            f"填报期“{text}”格式不对，应为 YYYY-MM（如 2024-03）、YYYY-Qn（如 2024-Q1）或 YYYY。"
        )
    if not FIRST_YEAR - 1 <= period.year <= LAST_YEAR + 5:
        raise UsageError(f"填报期“{text}”的年份超出方案期（{FIRST_YEAR}—{LAST_YEAR}年）。")
    return period


def parse_code(text: object) -> Period:
    """The period a machine-readable file (an export) writes as a code — ``YYYY-MM``, ``YYYY-Qn``
    or ``YYYY`` exactly, no Chinese label (docs/export-schema.md); :class:`UsageError` otherwise."""
    if not isinstance(text, str) or not _CODE.match(text):
        raise UsageError(f"期别“{text}”格式不对，应为 YYYY-MM、YYYY-Qn 或 YYYY。")
    return parse_period(text)


def as_period(period: Period | str) -> Period:
    """``period`` itself, or the period its text names (:func:`parse_period`): where a library
    function still takes a code for its callers' convenience."""
    return period if isinstance(period, Period) else parse_period(period)


# --- weeks (周盘点) ------------------------------------------------------------------------------

_WEEK = re.compile(r"^\s*(\d{4})\s*(?:-?\s*[Ww]\s*(\d{1,2})|年\s*第\s*(\d{1,2})\s*周)\s*$")


@dataclass(frozen=True, order=True)
class Week:
    """An ISO week (Monday to Sunday): ``2024-W14``, 2024年第14周.

    The ISO year can differ from the calendar year at the edges: 2024-W01 starts on Monday
    2024-01-01, 2026-W01 on Monday 2025-12-29, and 2020-W53 ends on Sunday 2021-01-03.
    """

    iso_year: int
    number: int
    kind: str = "week"

    @property
    def code(self) -> str:
        return f"{self.iso_year}-W{self.number:02d}"

    @property
    def label(self) -> str:
        return f"{self.iso_year}年第{self.number}周"

    @property
    def first_day(self) -> date:
        return date.fromisocalendar(self.iso_year, self.number, 1)

    @property
    def last_day(self) -> date:
        return date.fromisocalendar(self.iso_year, self.number, 7)

    @property
    def span_label(self) -> str:
        """``2024年4月1日—4月7日``; ``2025年12月29日—2026年1月4日`` across a year."""
        a, b = self.first_day, self.last_day
        end = f"{b.month}月{b.day}日" if a.year == b.year else f"{b.year}年{b.month}月{b.day}日"
        return f"{a.year}年{a.month}月{a.day}日—{end}"

    @property
    def months(self) -> tuple[tuple[int, int], ...]:
        """(year, month) pairs the week touches: one, or two for a week spanning a month end."""
        a, b = self.first_day, self.last_day
        return (
            ((a.year, a.month),)
            if (a.year, a.month) == (b.year, b.month)
            else ((a.year, a.month), (b.year, b.month))
        )

    @property
    def month(self) -> tuple[int, int]:
        """The month the week is counted in: the month of its Thursday (as ISO counts the year)."""
        thursday = date.fromisocalendar(self.iso_year, self.number, 4)
        return thursday.year, thursday.month

    def previous(self) -> Week:
        return week_of(self.first_day - timedelta(days=7))

    def next(self) -> Week:
        return week_of(self.first_day + timedelta(days=7))

    def __str__(self) -> str:
        return self.code


def week_of(day: date) -> Week:
    """The ISO week holding ``day``."""
    iso = day.isocalendar()
    return Week(iso[0], iso[1])


def weeks_of_month(year: int, month: int) -> list[Week]:
    """The weeks counted in a month (their Thursday falls in it), in order."""
    day = date(year, month, 1)
    out: list[Week] = []
    while day.month == month:
        w = week_of(day)
        if w.month == (year, month) and w not in out:
            out.append(w)
        day += timedelta(days=1)
    return out


def parse_week(text: str) -> Week:
    """Parse ``2024-W14``, ``2024W14`` or ``2024年第14周``; raise :class:`UsageError` otherwise."""
    match = _WEEK.match(str(text))
    if not match:
        raise UsageError(f"周“{text}”格式不对，应为 2024-W14（ISO 周）或 2024年第14周。")
    year, number = int(match.group(1)), int(match.group(2) or match.group(3))
    if not FIRST_YEAR - 1 <= year <= LAST_YEAR + 1:
        raise UsageError(f"周“{text}”的年份超出方案期（{FIRST_YEAR}—{LAST_YEAR}年）。")
    try:
        date.fromisocalendar(year, number, 1)
    except ValueError:
        last = date(year, 12, 28).isocalendar()[1]
        raise UsageError(f"{year}年只有 {last} 周，没有第 {number} 周。") from None
    return Week(year, number)
