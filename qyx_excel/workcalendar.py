"""Working days of the Chinese calendar: public holidays (法定节假日) and 调休 working weekends.

Two sources, in this order for any one date:

1. ``data/holidays.csv`` (日期, 类型 休/班, 名称), kept by the office: a row there wins. The office adds
   a year the package does not know yet (the State Council publishes next year's 放假安排 each
   November or December) or corrects a day.
2. The maintained ``chinese-calendar`` package for the years it covers.

A year found in neither falls back to "Monday to Friday are working days", and
:func:`coverage_warning` returns the Chinese warning to show beside any date computed in it.

The public functions (``is_working_day``, ``next_working_day``, ``add_working_days``,
``coverage_warning``) use the shipped data file; :class:`WorkCalendar` takes another file (tests,
an office's own copy).
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .errors import PlanDataError

DATA_FILE = Path(__file__).with_name("data") / "holidays.csv"
PACKAGE = "chinese-calendar"
#: 类型 column: 休 = a day off on a weekday (法定节假日), 班 = a weekend day worked (调休上班).
OFF = "休"
WORK = "班"


def _package_is_workday(day: dt.date) -> bool | None:
    """``chinese_calendar.is_workday(day)``, or None when the package lacks the year (or is missing)."""
    try:
        import chinese_calendar
    except ImportError:  # pragma: no cover - the dependency is declared; a stripped install still runs
        return None
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def _package_holiday_name(day: dt.date) -> str | None:
    try:
        import chinese_calendar
    except ImportError:  # pragma: no cover
        return None
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    if not on_holiday or name is None:
        return None
    return _HOLIDAY_NAMES.get(str(name), str(name))


_HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


@cache
def package_years() -> tuple[int, int] | None:
    """First and last year the installed ``chinese-calendar`` covers, or None without it."""
    try:
        import chinese_calendar  # noqa: F401
    except ImportError:  # pragma: no cover
        return None
    years = [y for y in range(2000, 2101) if _package_is_workday(dt.date(y, 6, 1)) is not None]
    return (years[0], years[-1]) if years else None


@dataclass(frozen=True)
class DayEntry:
    day: dt.date
    working: bool
    name: str


@dataclass
class WorkCalendar:
    """The office's holiday file over the package; see the module docstring."""

    path: Path = DATA_FILE
    entries: dict[dt.date, DayEntry] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None) -> WorkCalendar:
        path = path or DATA_FILE
        entries: dict[dt.date, DayEntry] = {}
        if not path.exists():
            return cls(path, entries)
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for line_no, row in enumerate(csv.DictReader(fh), start=2):
                row = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k}
                text, kind, name = row.get("日期", ""), row.get("类型", ""), row.get("名称", "")
                if not text and not kind:
                    continue
                try:
                    day = dt.date.fromisoformat(text)
                except ValueError:
                    raise PlanDataError(
                        f"{path.name} 第 {line_no} 行：“日期”应写成 2027-01-01 这样，实为“{text}”。"
                    ) from None
                if kind not in (OFF, WORK):
                    raise PlanDataError(
                        f"{path.name} 第 {line_no} 行：“类型”只能填“{OFF}”（放假）或“{WORK}”（调休上班），"
                        f"实为“{kind}”。"
                    )
                entries[day] = DayEntry(day, kind == WORK, name)
        return cls(path, entries)

    # -- coverage ---------------------------------------------------------------------------
    def file_years(self) -> set[int]:
        return {d.year for d in self.entries}

    def covers(self, year: int) -> bool:
        """True when the office file or the package knows the year's holidays."""
        if year in self.file_years():
            return True
        span = package_years()
        return span is not None and span[0] <= year <= span[1]

    def coverage_warning(self, day: dt.date) -> str | None:
        if self.covers(day.year):
            return None
        span = package_years()
        known = f"{PACKAGE} 只收录到 {span[1]} 年" if span else f"未安装 {PACKAGE}"
        return (
            f"{day.year}年的法定节假日和调休安排尚未收录（{known}，{self.path.name} 也没有 {day.year} 年的行），"
            f"截止日只避开了周六、周日。请按国务院办公厅{day.year}年放假安排通知，"
            f"把放假日（类型“{OFF}”）和调休上班日（类型“{WORK}”）补入 qyx_excel/data/{self.path.name}。"
        )

    # -- days -------------------------------------------------------------------------------
    def is_working_day(self, day: dt.date) -> bool:
        entry = self.entries.get(day)
        if entry is not None:
            return entry.working
        known = _package_is_workday(day)
        if known is not None:
            return known
        return day.weekday() < 5

    def day_name(self, day: dt.date) -> str:
        """Chinese word for the day: 工作日, 周末, 调休上班日, or the holiday's name (春节…)."""
        entry = self.entries.get(day)
        if entry is not None:
            if entry.working:
                return "调休上班日" if day.weekday() >= 5 else "工作日"
            return entry.name or ("周末" if day.weekday() >= 5 else "放假日")
        working = self.is_working_day(day)
        if working:
            return "调休上班日" if day.weekday() >= 5 else "工作日"
        name = _package_holiday_name(day)
        return name or "周末"

    def next_working_day(self, day: dt.date) -> dt.date:
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return day

    def previous_working_day(self, day: dt.date) -> dt.date:
        while not self.is_working_day(day):
            day -= dt.timedelta(days=1)
        return day

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        if n == 0:
            return self.next_working_day(day)
        step = dt.timedelta(days=1 if n > 0 else -1)
        left = abs(n)
        while left:
            day += step
            if self.is_working_day(day):
                left -= 1
        return day


@cache
def default_calendar() -> WorkCalendar:
    """The calendar from the shipped ``data/holidays.csv`` (read once per process)."""
    return WorkCalendar.load()


def is_working_day(d: dt.date) -> bool:
    """True on a working day: Monday–Friday that is not a public holiday, or a 调休 working weekend day."""
    return default_calendar().is_working_day(d)


def next_working_day(d: dt.date) -> dt.date:
    """``d`` itself when it is a working day, else the first working day after it."""
    return default_calendar().next_working_day(d)


def previous_working_day(d: dt.date) -> dt.date:
    """``d`` itself when it is a working day, else the last working day before it."""
    return default_calendar().previous_working_day(d)


def add_working_days(d: dt.date, n: int) -> dt.date:
    """The n-th working day after ``d`` (``d`` itself not counted); n < 0 counts back.

    ``n == 0`` gives :func:`next_working_day` of ``d``.
    """
    return default_calendar().add_working_days(d, n)


def coverage_warning(d: dt.date) -> str | None:
    """Chinese warning when ``d``'s year is in neither the package nor ``data/holidays.csv``; else None."""
    return default_calendar().coverage_warning(d)


def day_name(d: dt.date) -> str:
    """工作日 / 周末 / 调休上班日 / the holiday's name, for messages."""
    return default_calendar().day_name(d)
