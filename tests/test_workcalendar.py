"""Working days: chinese-calendar for the years it knows, data/holidays.csv for the rest."""

from __future__ import annotations

import datetime as dt

import pytest

from qyx_excel import workcalendar
from qyx_excel.errors import PlanDataError
from qyx_excel.workcalendar import WorkCalendar

D = dt.date


def test_spring_festival_2024_is_not_working_and_moves_to_the_adjusted_sunday():
    # 2024 春节: 2月10日—17日 放假, 2月18日（星期日）上班.
    assert not workcalendar.is_working_day(D(2024, 2, 12))  # Monday, 春节
    assert workcalendar.next_working_day(D(2024, 2, 12)) == D(2024, 2, 18)
    assert workcalendar.day_name(D(2024, 2, 12)) == "春节"


def test_adjusted_saturday_is_a_working_day():
    # 2024-05-11 is a Saturday worked in lieu of the 劳动节 break.
    saturday = D(2024, 5, 11)
    assert saturday.weekday() == 5
    assert workcalendar.is_working_day(saturday)
    assert workcalendar.next_working_day(saturday) == saturday
    assert workcalendar.day_name(saturday) == "调休上班日"


def test_ordinary_weekend_and_weekday():
    assert not workcalendar.is_working_day(D(2024, 3, 9))  # Saturday
    assert workcalendar.is_working_day(D(2024, 3, 11))  # Monday
    assert workcalendar.next_working_day(D(2024, 3, 9)) == D(2024, 3, 11)


def test_add_working_days_crosses_national_day_2024():
    # 2024-09-30 (Mon) + 1 working day: 10月1日—7日 放假, 10月8日 上班.
    assert workcalendar.add_working_days(D(2024, 9, 30), 1) == D(2024, 10, 8)
    # 2024-09-27 (Fri) + 1: 9月28日 is not worked, 9月29日（星期日）is 调休上班.
    assert workcalendar.add_working_days(D(2024, 9, 27), 1) == D(2024, 9, 29)
    assert workcalendar.add_working_days(D(2024, 10, 8), -1) == D(2024, 9, 30)
    assert workcalendar.add_working_days(D(2024, 2, 12), 0) == D(2024, 2, 18)


def test_covered_year_has_no_warning():
    assert workcalendar.coverage_warning(D(2024, 2, 12)) is None


def test_year_nobody_covers_warns_and_falls_back_to_weekends():
    day = D(2031, 1, 1)  # Wednesday; neither the package nor the shipped file knows 2031
    warning = workcalendar.coverage_warning(day)
    assert warning is not None and "2031年的法定节假日" in warning and "holidays.csv" in warning
    assert workcalendar.is_working_day(day)  # weekday fallback: 元旦 is not known
    assert not workcalendar.is_working_day(D(2031, 1, 4))  # Saturday


def test_office_file_covers_a_year_and_wins(tmp_path):
    path = tmp_path / "holidays.csv"
    path.write_text(
        "\ufeff日期,类型,名称\n2031-01-01,休,元旦\n2031-01-04,班,元旦调休\n2024-03-11,休,测试改动\n",
        encoding="utf-8",
    )
    cal = WorkCalendar.load(path)
    assert cal.coverage_warning(D(2031, 6, 1)) is None
    assert not cal.is_working_day(D(2031, 1, 1))
    assert cal.is_working_day(D(2031, 1, 4))  # a Saturday the office marked 班
    assert cal.next_working_day(D(2031, 1, 1)) == D(2031, 1, 2)
    assert not cal.is_working_day(D(2024, 3, 11))  # the file overrides the package
    assert cal.day_name(D(2031, 1, 1)) == "元旦"


def test_bad_office_row_names_file_and_line(tmp_path):
    path = tmp_path / "holidays.csv"
    path.write_text("日期,类型,名称\n2031-01-01,休,元旦\n2031/1/2,休,x\n", encoding="utf-8")
    with pytest.raises(PlanDataError, match=r"holidays.csv 第 3 行：“日期”"):
        WorkCalendar.load(path)
    path.write_text("日期,类型,名称\n2031-01-02,放,x\n", encoding="utf-8")
    with pytest.raises(PlanDataError, match=r"第 2 行：“类型”只能填"):
        WorkCalendar.load(path)


def test_shipped_file_loads_and_package_covers_the_plan_years_it_knows():
    span = workcalendar.package_years()
    assert span is not None and span[0] <= 2023 and span[1] >= 2026
    WorkCalendar.load()  # the shipped data file is well formed
