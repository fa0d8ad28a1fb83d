"""Reporting periods: ``YYYY-MM``, ``YYYY-Qn`` and ``YYYY`` (MISSION §4).

A value reported for a period is the indicator's value at the period's end, so every period
is judged at its last month.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import UsageError

_PATTERN = re.compile(r"^\s*(\d{4})(?:-(?:(0?[1-9]|1[0-2])|[Qq]([1-4])))?\s*$")

FIRST_YEAR = 2023
LAST_YEAR = 2027
_QUARTER_WORDS = ("一", "二", "三", "四")


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
            return f"{self.year}-{self.end_month:02d}"
        if self.kind == "quarter":
            return f"{self.year}-Q{self.end_month // 3}"
        return str(self.year)

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


def parse_period(text: str) -> Period:
    """Parse ``YYYY-MM``, ``YYYY-Qn`` or ``YYYY``; raise :class:`UsageError` otherwise."""
    match = _PATTERN.match(str(text))
    if not match:
        raise UsageError(f"填报期“{text}”格式不对，应为 YYYY-MM（如 2024-03）、YYYY-Qn（如 2024-Q1）或 YYYY。")
    year = int(match.group(1))
    if not FIRST_YEAR - 1 <= year <= LAST_YEAR + 5:
        raise UsageError(f"填报期“{text}”的年份超出方案期（{FIRST_YEAR}—{LAST_YEAR}年）。")
    if match.group(2):
        return Period(year, int(match.group(2)), "month")
    if match.group(3):
        return Period(year, int(match.group(3)) * 3, "quarter")
    return Period(year, 12, "year")
