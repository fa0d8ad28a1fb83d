"""晾晒: scores, shared ranks, rank changes, the app/project rules and the rule text."""

from __future__ import annotations

from qyx_excel.glossary import DOMAINS, GROUPS, Status
from qyx_excel.model import ApplicationRow, Consolidation, GroupStatus, IndicatorRow, ProjectRow, RankEntry
from qyx_excel.ranking import (
    app_status,
    assign_ranks,
    build_ranking,
    counts_of,
    project_status,
    rule_text,
    score_of,
    task_counts,
)
from qyx_excel.targets import load_rules


def _row(i: int, domain: str, unit: str, status: Status) -> IndicatorRow:
    return IndicatorRow(
        id=str(i),
        domain=domain,
        name=f"指标{i}",
        unit="%",
        responsible_unit=unit,
        kind="level",
        direction="higher",
        group=domain,
        status=status,
    )


def _consolidation(rows: list[IndicatorRow], ranking: list[RankEntry] | None = None, **kw) -> Consolidation:
    return Consolidation(
        period="2024-03",
        label="2024年3月",
        kind="month",
        generated_at="2024-04-08T10:00:00",
        indicators=rows,
        ranking=ranking or [],
        **kw,
    )


def test_scores_follow_rules_csv_and_skip_not_applicable():
    rules = load_rules()
    assert score_of([Status.MET, Status.ON_TRACK]) == round(
        (rules.score(Status.MET) + rules.score(Status.ON_TRACK)) / 2, 1
    )
    assert score_of([Status.MET, Status.NOT_APPLICABLE]) == rules.score(Status.MET)
    assert score_of([Status.NOT_APPLICABLE]) is None
    assert score_of([Status.NOT_REPORTED, Status.LAGGING]) == 30.0
    assert counts_of([Status.MET, Status.MET, Status.LAGGING]) == {
        "已达标": 2,
        "序时推进": 0,
        "进度滞后": 1,
        "严重滞后": 0,
        "未填报": 0,
        "不适用": 0,
    }


def test_ties_share_a_rank_and_the_next_rank_skips():
    entries = [
        RankEntry("domain", n, {}, s, None)
        for n, s in (("甲", 80.0), ("乙", 90.0), ("丙", 90.0), ("丁", None))
    ]
    assign_ranks(entries)
    assert {e.name: e.rank for e in entries} == {"甲": 3, "乙": 1, "丙": 1, "丁": None}


def test_three_dimensions_and_rank_change_against_previous():
    statuses = [
        Status.MET,
        Status.LAGGING,
        Status.ON_TRACK,
        Status.SEVERELY_LAGGING,
        Status.MET,
        Status.NOT_REPORTED,
        Status.ON_TRACK,
    ]
    rows = [
        _row(i, d, "市甲局" if i % 2 else "市乙局", s)
        for i, (d, s) in enumerate(zip(DOMAINS, statuses, strict=True))
    ]
    before = _consolidation(
        rows, ranking=[RankEntry("domain", DOMAINS[0], {}, 50.0, 4), RankEntry("unit", "市乙局", {}, 50.0, 1)]
    )
    now = _consolidation(rows)
    ranking = build_ranking(now, before)
    assert [e.dimension for e in ranking].count("domain") == 7
    assert [e.dimension for e in ranking].count("group") == 9
    first = next(e for e in ranking if e.dimension == "domain" and e.name == DOMAINS[0])
    assert first.score == 100.0 and first.rank == 1
    assert first.previous_rank == 4 and first.rank_change == 3  # moved up three places
    fourth = next(e for e in ranking if e.dimension == "domain" and e.name == DOMAINS[4])
    assert fourth.rank == 1  # 100 too: shared first place
    unreported = next(e for e in ranking if e.dimension == "domain" and e.name == DOMAINS[5])
    assert unreported.score == 0.0 and unreported.rank == 7
    unit = next(e for e in ranking if e.dimension == "unit" and e.name == "市乙局")
    assert unit.previous_rank == 1 and unit.rank_change == unit.previous_rank - unit.rank
    assert {e.name for e in ranking if e.dimension == "group"} == set(GROUPS)


def test_application_and_project_groups_are_scored_on_the_same_scale():
    apps = [
        ApplicationRow(1, "安心托", state="已上线运行"),
        ApplicationRow(2, "浙里就业创业", state="对接中"),
        ApplicationRow(3, "码上维权", state=""),
    ]
    projects = [
        ProjectRow(
            1,
            "甲",
            "市教育局",
            state="在建",
            planned_this_year=1200,
            completed_this_year=400,
            expected_this_year=300,
            behind=False,
        ),
        ProjectRow(
            2,
            "乙",
            "市住建局",
            state="在建",
            planned_this_year=1200,
            completed_this_year=100,
            expected_this_year=300,
            behind=True,
        ),
        ProjectRow(
            3,
            "丙",
            "市民政局",
            state="未开工",
            planned_this_year=800,
            completed_this_year=0,
            expected_this_year=200,
            behind=True,
        ),
        ProjectRow(
            4,
            "丁",
            "市残联",
            state="已竣工",
            planned_this_year=600,
            completed_this_year=600,
            expected_this_year=150,
        ),
        ProjectRow(5, "戊", "市卫生健康局", state="未开工", planned_this_year=500, expected_this_year=125),
    ]
    assert [app_status(a) for a in apps] == [Status.MET, Status.ON_TRACK, Status.NOT_REPORTED]
    rules = load_rules()
    assert [project_status(p, rules) for p in projects] == [
        Status.ON_TRACK,
        Status.LAGGING,
        Status.SEVERELY_LAGGING,
        Status.MET,
        Status.NOT_APPLICABLE,
    ]
    c = _consolidation(
        [],
        applications=apps,
        projects=projects,
        groups=[GroupStatus("重大项目", submitted=True, accepted=True)],
    )
    ranking = {e.name: e for e in build_ranking(c) if e.dimension == "group"}
    assert ranking["应用贯通"].score == round((100 + 90 + 0) / 3, 1)
    assert ranking["重大项目"].counts["不适用"] == 1
    assert ranking["重大项目"].score == round((90 + 60 + 30 + 100) / 4, 1)


def test_rule_text_states_the_scores_in_force():
    text = rule_text()
    rules = load_rules()
    assert f"已达标 {rules.score(Status.MET):g} 分" in text
    assert "不适用”不计分" in text and "名次并列" in text and "应用贯通" in text and "重大项目" in text


def test_task_counts_per_state():
    from qyx_excel.model import TaskRow

    tasks = [
        TaskRow("1-1", "幼有善育", 1, "甲", "市卫生健康局", state="滞后"),
        TaskRow("1-2", "幼有善育", 2, "乙", "市卫生健康局", state=None),
        TaskRow("2-1", "学有优教", 1, "丙", "市教育局", state="已完成"),
    ]
    c = _consolidation([], tasks=tasks)
    assert task_counts(c, "幼有善育") == {"已完成": 0, "序时推进": 0, "滞后": 1, "未启动": 0, "未填报": 1}
    assert task_counts(c)["已完成"] == 1
