"""督办: levels from a year of history, slips per unit, replies, the 督办 sheet."""

from __future__ import annotations

import pytest

from qyx_excel.glossary import Level
from qyx_excel.supervision import (
    LAG,
    MISSING,
    NA,
    OK,
    SEVERE,
    Observation,
    escalate,
    load_supervision_rules,
    rule_text,
)

RULES = load_supervision_rules()


def run(classes: str) -> list:
    """Levels for one matter over months given as letters: o ok, l lag, s severe, m missing, n n/a."""
    cls = {"o": OK, "l": LAG, "s": SEVERE, "m": MISSING, "n": NA}
    months = []
    for i, c in enumerate(classes):
        code = f"2024-{i + 1:02d}" if i < 12 else f"2025-{i - 11:02d}"
        months.append((code, {"indicator:2": Observation("indicator:2", "indicator", "2", "指标2 普惠托位占比",
                                                          "市卫生健康局", "幼有善育", cls[c], "")}))
    return escalate(months, RULES)["indicator:2"]


def levels(classes: str) -> str:
    return "".join(m.level.short for m in run(classes))


def test_rules_come_from_the_data_file_and_read_as_a_sentence():
    assert [r.level for r in RULES.levels] == [Level.BLUE, Level.YELLOW, Level.RED]
    assert RULES.rule(Level.RED).lags == 3 and RULES.rule(Level.RED).severe == 2
    assert RULES.slip_levels == (Level.YELLOW, Level.RED)
    assert RULES.slip_number(2024, 12) == "瑞七优享督〔2024〕12号"
    assert "红色督办：连续3个月滞后或滞后期间严重滞后2次或连续3个月未填报，发督办单" in rule_text()


def test_lagging_months_escalate_blue_yellow_red_with_the_reason():
    seq = run("olll")
    assert levels("olll") == "—蓝黄红"
    assert seq[-1].reason == "自2024年2月起连续3个月进度滞后" and seq[-1].since == "2024-04"
    assert seq[-1].behind_since == "2024-02"


def test_severe_twice_is_red_and_once_is_yellow():
    assert levels("osls") == "—黄黄红"
    assert run("osls")[-1].reason == "自2024年2月起连续3个月进度滞后（其中严重滞后2次）"


def test_not_reported_is_its_own_path_and_does_not_break_a_lagging_run():
    assert levels("ommm") == "—蓝黄红"
    assert run("ommm")[-1].reason == "自2024年2月起连续3个月未填报"
    assert levels("llml") == "蓝黄黄红"  # the missing month neither resets nor extends the run


def test_catching_up_turns_the_month_green_and_keeps_red_on_record_as_yellow():
    seq = run("llloooo")
    assert levels("llloooo") == "蓝黄红————"
    assert [m.standing.short for m in seq] == list("蓝黄红黄黄蓝—")
    assert seq[3].reason == "已赶上序时进度，红色督办降为黄色预警留档，本月不预警"
    assert seq[3].caught_up and seq[3].previous_level is Level.RED
    assert seq[6].reason == "已赶上序时进度，蓝色提醒解除"


def test_lagging_again_while_on_record_goes_one_above_the_record():
    seq = run("llloll")
    assert levels("llloll") == "蓝黄红—红红"
    assert seq[4].reason == "本月进度滞后；此前黄色预警尚未解除，再次滞后升为红色督办"
    assert levels("looool") == "蓝————蓝"  # the blue record was cleared: a fresh start


def test_not_applicable_months_change_nothing():
    assert levels("lnl") == "蓝蓝黄"
