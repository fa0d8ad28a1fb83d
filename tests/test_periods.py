"""Periods: one parser for codes and Chinese labels, the year checked only by parse_period."""

from __future__ import annotations

import pytest

from qyx_excel.errors import UsageError
from qyx_excel.periods import Period, as_period, parse_period, read_period


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("2024年3月", "2024-03"),
        ("2024年第一季度", "2024-Q1"),
        ("2024年度", "2024"),
        ("２０２４－０３", "2024-03"),
    ],
)
def test_labels_and_codes_name_the_same_period(label, code):
    assert parse_period(label) == parse_period(code) == read_period(code)
    assert parse_period(code).label == parse_period(parse_period(code).label).label


def test_the_year_is_checked_by_parse_period_only():
    assert read_period("1999-03") == Period(1999, 3, "month")
    with pytest.raises(UsageError, match="方案期"):
        parse_period("1999-03")
    with pytest.raises(UsageError, match="格式不对"):
        parse_period("2024年13月")
    assert as_period("2024-Q2") == Period(2024, 6, "quarter")
