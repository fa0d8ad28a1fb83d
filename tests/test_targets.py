"""The target engine on every target text of the plan, and its judging rules."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qyx_excel.errors import PlanDataError
from qyx_excel.glossary import Direction, Kind, Status
from qyx_excel.periods import parse_period
from qyx_excel.plan import YEARS
from qyx_excel.targets import Adjustment, evaluate, parse_target, target_for

# Every one of the plan's 270 target cells (45 indicators × 2022–2027), read by hand from the
# source table: (op, value) for bounds, the word for qualitative/none, a list for parts.
H, L = Direction.HIGHER, Direction.LOWER


def test_table_has_270_cells(plan):
    cells = [(i.id, y) for i in plan.indicators if not i.is_part for y in YEARS]
    assert len(cells) == 270
    assert all(plan.indicator(i).target_text(y) for i, y in cells)


@pytest.mark.parametrize(
    ("text", "direction", "unit", "form", "op", "value"),
    [
        ("3.85", H, "个", "bound", ">=", 3.85),
        ("<5", L, "%", "bound", "<", 5.0),
        (">1.2", H, "万人", "bound", ">", 1.2),
        ("≥40", H, "%", "bound", ">=", 40.0),
        ("≧12500", H, "元", "bound", ">=", 12500.0),
        ("≦3", L, "分钟", "bound", "<=", 3.0),
        ("＜9", L, "分钟", "bound", "<", 9.0),
        ("＞45", H, "万人", "bound", ">", 45.0),
        ("10.58", L, "%", "bound", "<=", 10.58),
        ("全覆盖", H, "%", "qualitative", ">=", 100.0),
        ("全覆盖", H, "万人", "qualitative", None, None),
        ("开展试点", H, "%", "qualitative", None, None),
        ("无统计", H, "%", "none", None, None),
        ("/", H, "千套", "none", None, None),
    ],
)
def test_parse_target_forms(text, direction, unit, form, op, value):
    target = parse_target(text, direction, unit)
    assert (target.form, target.op, target.value) == (form, op, value)
    assert target.text == text


def test_pairs_and_compounds():
    pair = parse_target("4/18", H, "个")
    assert pair.form == "parts" and [p.value for p in pair.parts] == [4.0, 18.0]
    compound = parse_target("职工85%城乡居民68%", H, "%")
    assert compound.part_labels == ("职工", "城乡居民")
    assert [p.value for p in compound.parts] == [85.0, 68.0]
    comma = parse_target("职工85%,城乡居民70%", H, "%")
    assert [p.value for p in comma.parts] == [85.0, 70.0]


@pytest.mark.parametrize("text", ["约50", "50左右", "职工85%外加", "abc", "5%%"])
def test_unreadable_target_is_a_clear_error(text):
    with pytest.raises(PlanDataError) as info:
        parse_target(text, H, "%", where="指标 99 2025年")
    assert "指标 99 2025年" in info.value.message and text in info.value.message


def test_every_plan_cell_parses(plan):
    forms: dict[str, int] = {}
    for ind in plan.indicators:
        for year in YEARS:
            target = target_for(ind, year)
            forms[target.form] = forms.get(target.form, 0) + 1
            if target.form == "bound":
                assert target.value is not None and target.op in (">=", ">", "<=", "<")
    # parts are judged on their own rows: 27-1/27-2/32-1/32-2 read their parent's compound text
    assert forms["parts"] == 11  # 27 (2023–2027) and 32 (2022–2027)
    assert forms["none"] == 4  # 27, 27-1, 27-2 in 2022 (无统计) and 39 in 2022 (/)
    assert forms["qualitative"] == 5  # 17 in 2022 and 2027; 30 in 2025–2027


def test_specific_awkward_cells(plan):
    assert target_for(plan.indicator("17"), 2022).label == "开展试点"
    assert target_for(plan.indicator("17"), 2027).value == 100.0
    assert target_for(plan.indicator("30"), 2022).op == ">"  # ">45" even as a baseline
    assert target_for(plan.indicator("40"), 2023).value == 12500.0  # full-width ≧
    assert target_for(plan.indicator("27-2"), 2025).value == 70.0
    assert target_for(plan.indicator("32-1"), 2027).value == 17.0
    assert target_for(plan.indicator("32-2"), 2027).value == 100.0
    assert target_for(plan.indicator("13"), 2024).op == "<"


def ev(plan, ind, period, value, **kw):
    return evaluate(plan.indicator(ind), parse_period(period), value, **kw)


def test_level_expected_moves_from_last_year_target(plan):
    result = ev(plan, "1", "2024-06", 4.5)  # 4.2 → 4.8 over 2024
    assert result.expected == pytest.approx(4.5)
    assert result.status is Status.ON_TRACK
    assert ev(plan, "1", "2024-06", 4.9).status is Status.MET
    assert ev(plan, "1", "2024-06", 4.45).status is Status.LAGGING
    assert ev(plan, "1", "2024-06", 4.0).status is Status.SEVERELY_LAGGING


def test_a_rounding_sized_gap_is_still_on_track(plan):
    within = ev(plan, "1", "2024-06", 4.495)  # 0.005 short of 4.5 on a 0.6 year: under the 2 % tolerance
    assert within.status is Status.ON_TRACK and "容差" in within.reason
    assert ev(plan, "1", "2024-06", 4.48).status is Status.LAGGING  # 3.3 % short


def test_level_uses_accepted_previous_year_end(plan):
    result = ev(plan, "1", "2024-06", 4.5, previous_year_end=4.0)
    assert result.start == 4.0 and result.expected == pytest.approx(4.4)


def test_flow_counts_from_january(plan):
    result = ev(plan, "11", "2025-03", 0.3)  # 1.6万人次 of training in 2025, linear
    assert result.expected == pytest.approx(1.6 * 3 / 12)
    assert result.status is Status.LAGGING  # 0.1 short of 0.4 = 6 % of 1.6
    assert ev(plan, "11", "2025-12", 1.7).status is Status.MET
    assert ev(plan, "11", "2025-06", 0.3).status is Status.SEVERELY_LAGGING  # 0.5 short = 31 %


def test_cumulative_from_last_years_total(plan):
    result = ev(plan, "35", "2025-06", 2.07)  # 1.84 → 2.3万套 in 2025
    assert result.expected == pytest.approx(2.07)
    assert result.status is Status.ON_TRACK


def test_lower_is_better(plan):
    assert ev(plan, "13", "2024-06", 4.6).status is Status.MET  # <5, judged at quarter ends
    assert (
        ev(plan, "13", "2024-06", 5.0).status is Status.ON_TRACK
    )  # 低于5%: strict, so not met; but it is the line held since 2023
    assert ev(plan, "24", "2025-12", 8.9).status is Status.MET  # <9 minutes
    slow = ev(plan, "20", "2024-12", 10.7)  # 10.58 → 10.48, lower better: 0.22 over a 0.1 change
    assert slow.status is Status.SEVERELY_LAGGING
    assert slow.completion is not None and slow.completion < 100


def test_quarter_and_year_judge_their_last_month(plan):
    q = ev(plan, "11", "2025-Q2", 0.8)
    assert q.expected == pytest.approx(1.6 / 2) and q.status is Status.ON_TRACK
    y = ev(plan, "11", "2025", 1.0)
    assert y.expected == pytest.approx(1.6) and y.status is Status.SEVERELY_LAGGING


def test_qualitative_is_judged_from_declaration(plan):
    assert ev(plan, "30", "2026-06", "已完成").status is Status.MET
    assert ev(plan, "30", "2026-06", "推进中").status is Status.ON_TRACK
    year_end = ev(plan, "30", "2026", "推进中")  # the year is over: still in progress means missed
    assert year_end.status is Status.LAGGING and year_end.reason.startswith("全年目标未完成")
    assert ev(plan, "30", "2026-06", "未启动").status is Status.SEVERELY_LAGGING
    undeclared = ev(plan, "30", "2026-06", 50)
    assert undeclared.status is Status.NOT_APPLICABLE
    assert ev(plan, "30", "2026-06", 50, note="已实现参保人员全覆盖").status is Status.MET
    # 全覆盖 of a percentage means 100 %
    assert ev(plan, "17", "2027-12", 100).status is Status.MET
    assert ev(plan, "17", "2027-12", "全覆盖").status is Status.MET


def test_not_reported_and_not_applicable(plan):
    assert ev(plan, "1", "2024-03", None).status is Status.NOT_REPORTED
    assert ev(plan, "1", "2024-03", "—").status is Status.NOT_REPORTED
    assert ev(plan, "27", "2024-03", 80).status is Status.NOT_APPLICABLE  # judged by its parts
    assert ev(plan, "5", "2029-03", 1.2).status is Status.NOT_APPLICABLE  # outside the plan


def test_parts_and_adjustments(plan):
    part = ev(plan, "27-2", "2024-12", 69.5)
    assert part.target_text == "城乡居民69%" and part.status is Status.MET
    adj = {("2", 2024): Adjustment("2", 2024, "62", "2024-05-10", "瑞七优享办〔2024〕3号", "上级下调")}
    adjusted = ev(plan, "2", "2024-12", 61, adjustments=adj)
    assert adjusted.target == 62 and adjusted.original_target_text == "60"
    assert adjusted.status is Status.LAGGING  # 61 against 62 at the year's end: 1 of 7 (55 → 62) = 14 %


ORDER = {Status.MET: 3, Status.ON_TRACK: 2, Status.LAGGING: 1, Status.SEVERELY_LAGGING: 0}
NUMERIC_IDS = ["1", "6", "10", "13", "15", "16", "18", "20", "24", "27-1", "32-2", "36", "40"]


@settings(max_examples=300, deadline=None)
@given(
    ind_id=st.sampled_from(NUMERIC_IDS),
    year=st.integers(2023, 2027),
    month=st.integers(1, 12),
    a=st.floats(0, 20000, allow_nan=False),
    b=st.floats(0, 20000, allow_nan=False),
    previous=st.one_of(st.none(), st.floats(0, 20000, allow_nan=False)),
)
def test_better_value_never_gets_worse_status(plan, ind_id, year, month, a, b, previous):
    ind = plan.indicator(ind_id)
    period = parse_period(f"{year}-{month:02d}")
    better, worse = (max(a, b), min(a, b)) if ind.direction is Direction.HIGHER else (min(a, b), max(a, b))
    s_better = evaluate(ind, period, better, previous_year_end=previous).status
    s_worse = evaluate(ind, period, worse, previous_year_end=previous).status
    if Status.NOT_APPLICABLE in (s_better, s_worse):
        # a month without a new figure, or a milestone not yet due: not judged, unless already met
        assert s_better in (Status.NOT_APPLICABLE, Status.MET) and s_worse is Status.NOT_APPLICABLE
        return
    assert ORDER[s_better] >= ORDER[s_worse]


def test_property_covers_every_kind_and_direction(plan):
    kinds = {(plan.indicator(i).kind, plan.indicator(i).direction) for i in NUMERIC_IDS}
    assert {k for k, _ in kinds} == set(Kind)
    assert {d for _, d in kinds} == set(Direction)


def test_expected_is_shown_with_enough_decimals_to_differ_from_the_value(plan):
    from qyx_excel.values import format_beside

    assert format_beside(1.113333, 1.11) == "1.113" and format_beside(4.5, 4.5) == "4.5"
    assert format_beside(1147.5, 1000) == "1147.5" and format_beside(100.0, None) == "100"
    lagging = ev(plan, "1", "2026-10", 5.54)  # 5.5 → 5.55 in 2026: 5.5417 expected at October
    assert lagging.status is Status.LAGGING and "5.542" in lagging.reason


# --- issue 11: the cases seen with `qyx evaluate`, each with the one status the documented rule gives


@pytest.mark.parametrize(
    ("ind", "period", "value", "status", "words"),
    [
        # December, Q4 and the year keep the year's planned change (0.6 here), not 2 % of the target
        ("1", "2024-11", 4.7, Status.LAGGING, "全年应完成量（0.6）的 8%"),
        ("1", "2024-12", 4.7, Status.LAGGING, "全年目标未完成"),
        ("1", "2024-Q4", 4.7, Status.LAGGING, "全年应完成量（0.6）的 17%"),
        ("1", "2024", 4.7, Status.LAGGING, "全年应完成量（0.6）的 17%"),
        ("12", "2024", 57.5, Status.LAGGING, "全年应完成量（3）的 17%"),
        ("19", "2024", 81.45, Status.SEVERELY_LAGGING, "全年应完成量（0.1）的 100%"),
        # the year is over: a 1.85 % shortfall is no longer inside the tolerance
        ("10", "2024", 2120, Status.LAGGING, "全年目标未完成"),
        # >35 in the table, 不少于35人 in the text: 以上 / 不少于 include the number
        ("28", "2024-12", 35, Status.MET, "含本数"),
        # no base: a cumulative count starts at 0 (0.92 × 6/12 = 0.46 expected by June)
        ("39", "2023-06", 0.5, Status.ON_TRACK, "0.46"),
        # one care home cannot be half built; due 2027-12 in the text (register N02)
        ("33", "2025-06", 0, Status.NOT_APPLICABLE, "2027年12月到期"),
        ("33", "2027", 0, Status.SEVERELY_LAGGING, "全年目标未完成"),
        # the 低保 standard is raised once a year (July), not 1/12 a month
        ("40", "2024-03", 12500, Status.ON_TRACK, "12500"),
        ("40", "2024-07", 12500, Status.SEVERELY_LAGGING, "落后序时目标 13650"),
        # life expectancy exists once a year: a repeated figure mid-year is not judged
        ("19", "2024-06", 81.45, Status.NOT_APPLICABLE, "年度统计指标"),
        ("20", "2024-Q3", 10.58, Status.NOT_APPLICABLE, "年度统计指标"),
    ],
)
def test_the_issue_table_cases(plan, ind, period, value, status, words):
    result = ev(plan, ind, period, value)
    assert result.status is status, result.reason
    assert words in result.reason


def test_exactly_25_percent_behind_is_lagging_everywhere(plan):
    """Equal gaps, equal statuses: 0.15 of 0.6 and 0.75 of 3 are both exactly 25 %."""
    a = ev(plan, "1", "2024-06", 4.35)  # 4.5 expected − 4.35 = 0.15 (binary: 0.15000000000000036)
    b = ev(plan, "12", "2024-12", 57.25)  # 58 − 57.25 = 0.75 of 3
    assert (a.status, b.status) == (Status.LAGGING, Status.LAGGING)
    assert "25%" in a.reason and "25%" in b.reason
    assert ev(plan, "1", "2024-06", 4.349).status is Status.SEVERELY_LAGGING


def test_tolerance_at_its_boundary_is_exact(plan):
    # 2 % of 0.6 = 0.012: 4.488 is exactly at the tolerance, 4.4879 beyond it
    assert ev(plan, "1", "2024-06", 4.488).status is Status.ON_TRACK
    assert ev(plan, "1", "2024-06", 4.4879).status is Status.LAGGING


def test_a_level_without_base_is_judged_against_its_target(plan):
    first = ev(plan, "27-1", "2023", 80)  # 2022 无统计; 职工85%
    assert first.status is Status.LAGGING and first.reason.startswith("无2022年基数")
    assert first.expected == pytest.approx(85.0)
    assert ev(plan, "17", "2023", 40).status is Status.MET  # 开展试点 → ≥40


def test_the_two_percent_floor_only_where_the_target_is_flat_or_met(plan):
    flat = ev(plan, "7", "2025", 75.9)  # 76 → 76: 0.1 short of a flat target, floor 2 % × 76 = 1.52
    assert flat.status is Status.LAGGING and "全年应完成量（1.52）的 7%" in flat.reason
    held = ev(plan, "43", "2024-06", 99)  # 100 held since 2023: 1 short of 2 = 50 %
    assert held.status is Status.SEVERELY_LAGGING


def test_year_end_shortfall_under_the_tolerance_is_lagging_with_the_reason(plan):
    result = ev(plan, "1", "2024-12", 4.795)  # 0.005 short = 0.8 % of 0.6: tolerated in June, not in December
    assert result.status is Status.LAGGING and "全年目标未完成" in result.reason
    assert ev(plan, "1", "2024-06", 4.495).status is Status.ON_TRACK


def test_strict_bound_without_inclusive_text_stays_strict(plan):
    assert ev(plan, "24", "2025-12", 9).status is Status.LAGGING  # 少于9分钟: 9 is not less than 9
    assert ev(plan, "30", "2023-12", 47).status is Status.LAGGING  # >47, no 以上 in the text


def test_step_path_of_new_school_places(plan):
    """New places open with the school year: nothing is expected before September."""
    assert ev(plan, "10", "2025-06", 0).status is Status.ON_TRACK
    sept = ev(plan, "10", "2025-09", 4000)
    assert sept.expected == pytest.approx(4590) and sept.status is Status.LAGGING


def test_milestone_reading_can_be_switched_to_the_table(plan, monkeypatch):
    from qyx_excel import targets

    monkeypatch.setattr(targets, "plan_readings", lambda: {"指标33.到期": "2025-12"})
    assert ev(plan, "33", "2025-06", 0).status is Status.NOT_APPLICABLE  # due in December
    assert ev(plan, "33", "2025-12", 0).status is Status.SEVERELY_LAGGING
    assert ev(plan, "33", "2026-03", 0).status is Status.SEVERELY_LAGGING  # a line already due
    overdue = ev(plan, "33", "2026-03", 0, previous_year_end=0)  # not built in 2025: overdue all 2026
    assert overdue.status is Status.SEVERELY_LAGGING and overdue.expected == 1
    monkeypatch.setattr(targets, "plan_readings", lambda: {"指标28.比较": "不含本数"})
    assert ev(plan, "28", "2024-12", 35).status is Status.LAGGING


def test_inclusive_reading_shows_the_target_it_applied(plan):
    met = ev(plan, "3", "2026", 95)  # table >95, text 达95%以上
    assert met.status is Status.MET and met.target_text == "≥95"
    assert "目标表为“>95”" in met.reason
    assert ev(plan, "24", "2026", 8.9).target_text == "<9"  # 少于9分钟 stays strict


def test_a_parts_row_carries_its_own_2027_target(plan):
    from qyx_excel.model import IndicatorRow

    row = IndicatorRow.judged(plan.indicator("32-2"), ev(plan, "32-2", "2026", 91))
    assert (row.target_2027, row.next_year_target) == ("100", "100")
    assert (
        IndicatorRow.judged(plan.indicator("27-2"), ev(plan, "27-2", "2026", 70)).target_2027 == "城乡居民70%"
    )


def test_the_reason_shows_the_expected_figure_as_the_notice_and_tables_do(plan):
    """序时目标 in 汇总's 评价说明 at the plan's precision (values.expected_shown), not 5.5292; only a
    lagging value that would read the same as its 序时目标 gets the digits that tell them apart."""
    from qyx_excel.values import expected_shown, format_number

    ev = evaluate(plan.indicator("1"), parse_period("2026-07"), 5.5285)
    assert ev.status is Status.ON_TRACK and abs(ev.expected - 5.5291667) < 1e-6
    assert format_number(expected_shown("1", ev.expected, 5.5285)) == "5.53"
    assert ev.reason.startswith("略低于序时目标 5.53，") and "5.529" not in ev.reason
    lag = evaluate(plan.indicator("1"), parse_period("2026-07"), 5.51)
    assert lag.status is Status.SEVERELY_LAGGING and lag.reason.startswith("落后序时目标 5.53，")
