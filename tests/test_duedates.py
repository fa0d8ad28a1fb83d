"""The reporting calendar (data/calendar.csv): due dates per period kind, moved onto working days."""

from __future__ import annotations

import datetime as dt

import pytest
from python_calamine import CalamineWorkbook

from qyx_excel.distribute import distribute
from qyx_excel.duedates import due_date, load_due_rules
from qyx_excel.errors import PlanDataError
from qyx_excel.periods import parse_period

D = dt.date


def _write(tmp_path, rows: str):
    path = tmp_path / "calendar.csv"
    path.write_text("\ufeff填报期类型,截止规则,说明\n" + rows, encoding="utf-8")
    return path


ALL = "月,次月5日前,\n季,季后10日前,\n年,次年1月15日前,\n周,本周五,\n"


def test_a_due_date_in_the_2024_spring_festival_moves_to_the_adjusted_sunday(tmp_path):
    # January 2024 with 次月12日前: 2月12日 is 春节 (10–17 off), 2月18日 a Sunday worked in lieu.
    rules = load_due_rules(_write(tmp_path, ALL.replace("次月5日前", "次月12日前")))
    due = due_date(parse_period("2024-01"), rules=rules)
    assert due.nominal == D(2024, 2, 12) and due.due == D(2024, 2, 18)
    assert due.text == "2024年2月18日（星期日），原定2月12日逢春节，顺延至2月18日（调休上班日）"
    assert due.warning is None


def test_shipped_rules_month_quarter_year():
    assert due_date(parse_period("2024-01")).due == D(2024, 2, 5)  # a Monday, nothing moves
    assert not due_date(parse_period("2024-01")).moved
    # 2024-Q3 季后10日前: 10月10日 is a Thursday after 国庆
    assert due_date(parse_period("2024-Q3")).due == D(2024, 10, 10)
    # 2024 次年1月15日前: 2025-01-15 is a Wednesday
    assert due_date(parse_period("2024")).due == D(2025, 1, 15)
    # 2023-09 次月5日前: 国庆 and 中秋 29 Sep – 6 Oct 2023, 7 Oct (Saturday) worked
    assert due_date(parse_period("2023-09")).due == D(2023, 10, 7)


def test_working_day_rule_counts_past_a_holiday(tmp_path):
    rules = load_due_rules(_write(tmp_path, ALL.replace("次月5日前", "期末后3个工作日")))
    # 2024-09: 9月30日 last day; 10月1–7日 off; 8, 9, 10 October are the three working days
    assert due_date(parse_period("2024-09"), rules=rules).due == D(2024, 10, 10)


def test_a_year_no_holiday_data_covers_warns():
    due = due_date(parse_period("2030-12"))
    assert due.due == D(2031, 1, 6)  # 2031-01-05 is a Sunday: weekends only
    assert due.warning is not None and "2031年的法定节假日" in due.warning


def test_bad_rules_name_the_line(tmp_path):
    with pytest.raises(PlanDataError, match=r"calendar.csv 第 2 行：截止规则“下月五号”看不懂"):
        load_due_rules(_write(tmp_path, "月,下月五号,\n"))
    with pytest.raises(PlanDataError, match=r"第 2 行：截止规则“次月31日前”的日子应在 1～28 日"):
        load_due_rules(_write(tmp_path, "月,次月31日前,\n"))
    with pytest.raises(PlanDataError, match=r"缺少“周”的截止规则"):
        load_due_rules(_write(tmp_path, "月,次月5日前,\n季,季后10日,\n年,次年1月15日,\n"))
    with pytest.raises(PlanDataError, match=r"“填报期类型”只能填"):
        load_due_rules(_write(tmp_path, "旬,次月5日,\n"))


def test_fill_in_file_shows_the_due_date(tmp_path):
    paths = distribute("2024-03", tmp_path, groups=("幼有善育", "重大项目"))
    for path in paths:
        wb = CalamineWorkbook.from_path(str(path))
        group = path.stem.split("_")[1]
        cells = [str(c) for row in wb.get_sheet_by_name(group).to_python() for c in row]
        note = next(c for c in cells if c.startswith("报送截止："))
        assert note.startswith(
            "报送截止：2024年4月7日（星期日），原定4月5日逢清明节，顺延至4月7日（调休上班日）。"
        )
        guide = [str(c) for row in wb.get_sheet_by_name("使用说明").to_python() for c in row]
        assert any("于2024年4月7日（星期日）" in c and "前发回专班办公室" in c for c in guide)


def test_consolidate_warns_when_the_due_date_year_is_not_covered(tmp_path, capsys):
    from qyx_excel.cli import main
    from qyx_excel.workbook import build_workbook

    ledger = build_workbook(tmp_path / "台账.xlsm", year=2027, backup=False)
    main(["consolidate", "--period", "2027-12", "--ledger", str(ledger)])  # due in January 2028
    assert "注意：是否逾期按截止日判断，2028年的法定节假日和调休安排尚未收录" in capsys.readouterr().err
