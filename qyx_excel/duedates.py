"""The reporting calendar: when each period's fill-in file is due (``data/calendar.csv``).

The office writes one rule per period kind (月, 季, 年, 周) in plain words:

* ``次月N日`` — the N-th day of the month after the period's last month (``季后N日`` is the same
  for quarters: 2024-Q1 with ``季后10日`` is due on 2024-04-10);
* ``次年M月N日`` — a fixed day of the next year (annual reports);
* ``期末后N个工作日`` — the N-th working day after the period's last day;
* ``本周N`` / ``下周N`` (N = 一…五、六、日) — for weekly periods.

A trailing ``前`` is allowed and changes nothing ("次月5日前" = due on the 5th, the 5th included).
A date that falls on a weekend or public holiday moves to the next working day, as 民法典
第二百零三条 moves the last day of a period that falls on a 法定休假日 to the day after the holiday;
a 调休 working Saturday or Sunday is a working day (:mod:`qyx_excel.workcalendar`).
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .errors import PlanDataError
from .workcalendar import WorkCalendar, default_calendar

DATA_FILE = Path(__file__).with_name("data") / "calendar.csv"

#: 填报期类型 column -> Period.kind
KIND_WORDS = {"月": "month", "季": "quarter", "年": "year", "周": "week"}
WEEKDAYS = "一二三四五六日"

_NEXT_MONTH = re.compile(r"^(?:次月|季后|年后)(\d{1,2})日$")
_NEXT_YEAR = re.compile(r"^次年(\d{1,2})月(\d{1,2})日$")
_WORKING = re.compile(r"^期末后(\d{1,2})个工作日$")
_WEEK = re.compile(r"^(本|下)周([一二三四五六日1-7])$")


@dataclass(frozen=True)
class DueRule:
    kind: str  # month | quarter | year | week
    text: str  # as the office wrote it, e.g. 次月5日前


@dataclass(frozen=True)
class DueDate:
    """A period's due date: the rule's date, and the working day it moved to."""

    rule: str
    nominal: dt.date
    due: dt.date
    nominal_name: str  # 周末 / 春节 / 工作日 … (why it moved)
    warning: str | None  # the year is in no holiday data

    @property
    def moved(self) -> bool:
        return self.due != self.nominal

    @property
    def label(self) -> str:
        """``2024年2月18日（星期日）``."""
        return f"{date_label(self.due)}（星期{WEEKDAYS[self.due.weekday()]}）"

    @property
    def note(self) -> str:
        """Why the date moved, or ''. E.g. ``原定2月12日逢春节，顺延至2月18日（调休上班日）``."""
        if not self.moved:
            return ""
        after = "调休上班日" if self.due.weekday() >= 5 else f"星期{WEEKDAYS[self.due.weekday()]}"
        return (
            f"原定{self.nominal.month}月{self.nominal.day}日逢{self.nominal_name}，"
            f"顺延至{self.due.month}月{self.due.day}日（{after}）"
        )

    @property
    def text(self) -> str:
        """The label with the note and the coverage warning, for a sheet or a message."""
        out = self.label
        if self.note:
            out += f"，{self.note}"
        return out


def date_label(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _clean(text: str) -> str:
    text = text.strip().replace(" ", "")
    return text[:-1] if text.endswith("前") else text


def _check_rule(kind: str, text: str, where: str) -> None:
    body = _clean(text)
    ok = (
        bool(_WEEK.match(body))
        if kind == "week"
        else bool(_NEXT_MONTH.match(body) or _NEXT_YEAR.match(body) or _WORKING.match(body))
    )
    if not ok:
        allowed = (
            "本周五、下周一" if kind == "week" else "次月5日前、季后10日前、次年1月15日前、期末后5个工作日"
        )
        raise PlanDataError(f"{where}：截止规则“{text}”看不懂，应写成如 {allowed}。")
    m = _NEXT_MONTH.match(body)
    if m and not 1 <= int(m.group(1)) <= 28:
        raise PlanDataError(f"{where}：截止规则“{text}”的日子应在 1～28 日之间（每个月都有的日子）。")


@cache
def load_due_rules(path: Path | None = None) -> dict[str, DueRule]:
    """Read ``data/calendar.csv``: period kind -> rule. Raises PlanDataError naming the line."""
    path = path or DATA_FILE
    rules: dict[str, DueRule] = {}
    try:
        fh = path.open(encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise PlanDataError(f"方案数据文件缺失：{path}") from None
    with fh:
        for line_no, row in enumerate(csv.DictReader(fh), start=2):
            row = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k}
            word, text = row.get("填报期类型", ""), row.get("截止规则", "")
            where = f"{path.name} 第 {line_no} 行"
            if word not in KIND_WORDS:
                raise PlanDataError(f"{where}：“填报期类型”只能填 {'、'.join(KIND_WORDS)}，实为“{word}”。")
            kind = KIND_WORDS[word]
            _check_rule(kind, text, where)
            rules[kind] = DueRule(kind, text)
    missing = [w for w, k in KIND_WORDS.items() if k not in rules]
    if missing:
        raise PlanDataError(f"{path.name} 缺少“{'、'.join(missing)}”的截止规则。")
    return rules


def _period_last_day(period) -> dt.date:
    if period.kind == "week":
        return period.last_day
    return dt.date(period.year, period.end_month, calendar.monthrange(period.year, period.end_month)[1])


def nominal_date(period, rule: str, cal: WorkCalendar | None = None) -> dt.date:
    """The date the rule names for ``period`` before moving it off a day off."""
    body = _clean(rule)
    last = _period_last_day(period)
    if m := _WEEK.match(body):
        day = m.group(2)
        weekday = WEEKDAYS.index(day) if day in WEEKDAYS else int(day) - 1
        monday = last - dt.timedelta(days=last.weekday())
        return monday + dt.timedelta(days=weekday + (7 if m.group(1) == "下" else 0))
    if m := _NEXT_MONTH.match(body):
        first_next = last + dt.timedelta(days=1)
        return first_next.replace(day=int(m.group(1)))
    if m := _NEXT_YEAR.match(body):
        return dt.date(last.year + 1, int(m.group(1)), int(m.group(2)))
    if m := _WORKING.match(body):
        return (cal or default_calendar()).add_working_days(last, int(m.group(1)))
    raise PlanDataError(f"截止规则“{rule}”看不懂。")


def due_date(period, *, rules: dict[str, DueRule] | None = None, cal: WorkCalendar | None = None) -> DueDate:
    """When ``period``'s fill-in file is due, moved onto a working day (see the module docstring)."""
    cal = cal or default_calendar()
    rule = (rules or load_due_rules())[period.kind]
    nominal = nominal_date(period, rule.text, cal)
    due = cal.next_working_day(nominal)
    return DueDate(
        rule=rule.text,
        nominal=nominal,
        due=due,
        nominal_name=cal.day_name(nominal),
        warning=cal.coverage_warning(nominal)
        or (cal.coverage_warning(due) if due.year != nominal.year else None),
    )
