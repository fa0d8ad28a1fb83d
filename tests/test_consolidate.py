"""The consolidation core on Submission objects: refusals, missing groups, judging, history views."""

from __future__ import annotations

import copy
import json
from datetime import datetime

import pytest

from qyx_excel.assemble import due_date
from qyx_excel.consolidate import consolidate_submissions, load_consolidation
from qyx_excel.errors import UsageError
from qyx_excel.glossary import DOMAINS, GROUPS, Status
from qyx_excel.model import consolidation_from_json
from qyx_excel.periods import parse_period
from qyx_excel.sample import fill_submission, group_fill
from qyx_excel.store import Store
from qyx_excel.targets import Adjustment, load_rules
from qyx_excel.values import parse_value

NOW = datetime(2024, 4, 8, 10, 0)


def month(blank, period: str, groups=GROUPS, **kw):
    subs = []
    for group in groups:
        sub = copy.deepcopy(blank[group][1])
        sub.period, sub.source = period, f"{period}_{group}.xlsx"
        sub.target_year = int(period[:4])  # a fill-in file of that period shows that year's targets
        subs.append(fill_submission(sub, group_fill(group, parse_period(period), **kw)))
    return subs


def test_refused_and_missing_groups_while_others_go_through(tmp_path, blank):
    subs = [s for s in month(blank, "2024-03") if s.group != "弱有众扶"]
    broken = next(s for s in subs if s.group == "住有宜居")
    broken.indicators["34"].value = parse_value(120)  # a percentage over 100
    progress = []
    result = consolidate_submissions(
        "2024-03",
        subs,
        store=tmp_path,
        received_at="2024-04-02T09:00:00",
        now=NOW,
        progress=lambda done, total: progress.append((done, total)),
    )
    c = result.consolidation
    assert progress[-1] == (8, 8)
    assert result.refused == ["住有宜居"] and result.missing == ["弱有众扶"] and not result.ok
    # not complete; the files part is the shared rule: the refused file is invalid by its error finding
    assert not result.complete and not result.report.valid
    assert [f.group for f in result.report.files if not f.valid] == ["住有宜居"]
    assert len(result.report.files) == 8
    # every row judged in March is 未填报; a yearly statistic (34, 36, 38) is not judged in March
    assert {r.id: r.status for r in c.rows_of("住有宜居")} == {
        "34": Status.NOT_APPLICABLE,
        "35": Status.NOT_REPORTED,
        "36": Status.NOT_APPLICABLE,
        "37": Status.NOT_REPORTED,
        "38": Status.NOT_APPLICABLE,
        "39": Status.NOT_REPORTED,
    }
    assert [r.id for r in c.rows_of("弱有众扶") if r.status is not Status.NOT_REPORTED] == ["42"]  # yearly
    assert all(r.status is not Status.NOT_REPORTED for r in c.rows_of("幼有善育"))
    refused = next(g for g in c.groups if g.group == "住有宜居")
    assert refused.submitted and not refused.accepted and refused.errors == 1
    assert (
        "钟阳峰同志" in refused.reminder
        and "未通过校验" in refused.reminder
        and "百分比 120" in refused.reminder
    )
    missing = next(g for g in c.groups if g.group == "弱有众扶")
    assert missing.reminder == (
        "胡慧杰同志：弱有众扶专项组2024年3月“七优享”工作进展填报表尚未报送，报送截止时间为"
        "2024年4月7日（星期日），原定4月5日逢清明节，顺延至4月7日（调休上班日），"
        "请尽快填报并报送专班办公室。"
    )
    assert missing.late  # NOW (8 April) is after the due day, moved off 清明 to the 调休 Sunday
    apps = next(g for g in c.groups if g.group == "应用贯通")
    assert apps.liaison == "伍颖莉、郑超凡" and apps.accepted and not apps.late
    assert {f.code for f in c.findings} >= {"value-percent-range"}
    assert [g.group for g in c.groups] == list(GROUPS)
    data = result.to_json()
    assert data["refused"] == ["住有宜居"] and data["missing"] == ["弱有众扶"]
    json.dumps(data, ensure_ascii=False)
    assert (
        "被退回 1 个：住有宜居" in result.summary_text() and "未报送 1 个：弱有众扶" in result.summary_text()
    )


def test_rows_carry_value_target_path_completion_source_and_task_project_app_lines(tmp_path, blank):
    result = consolidate_submissions(
        "2024-03", month(blank, "2024-03"), store=tmp_path, received_at="2024-04-02T09:00:00", now=NOW
    )
    c = result.consolidation
    assert result.ok and len(c.indicators) == 47 and c.label == "2024年3月" and c.kind == "month"
    assert result.complete and result.report.valid and len(result.report.files) == 9
    row = next(r for r in c.indicators if r.id == "2")
    assert row.target == 60 and row.expected == pytest.approx(
        55 + (60 - 55) * 3 / 12
    )  # from 2023's target 55
    assert row.source_file == "2024-03_幼有善育.xlsx" and row.source_cell == "幼有善育!G8"
    assert row.completion == pytest.approx(row.value / 60 * 100, abs=0.01)
    assert row.target_2027 == ">70" and row.next_year_target == "65"
    assert {r.id for r in c.indicators} >= {"27-1", "27-2", "32-1", "32-2"} and "27" not in {
        r.id for r in c.indicators
    }
    assert len(c.tasks) == 31 and all(t.state for t in c.tasks)
    assert c.tasks[0].lead_unit and c.tasks[0].source_cell.startswith("幼有善育!F")
    assert any(t.state == "滞后" for t in c.tasks)
    assert len(c.applications) == 14 and all(a.state for a in c.applications)
    behind = [p.name for p in c.projects if p.behind]
    assert "城南未来社区建设项目" in behind and "市级公办养老机构（颐养中心）建设工程" in behind
    assert "县域医共体急救站点建设项目" not in behind  # not due to start yet
    south = next(p for p in c.projects if p.name == "城南未来社区建设项目")
    assert south.expected_this_year == pytest.approx(12000 * 3 / 12)
    assert south.source_cell.startswith("重大项目!")
    counts = {e.name: e for e in c.ranking if e.dimension == "group"}
    assert set(counts) == set(GROUPS) and all(e.rank for e in counts.values())


def test_adjusted_target_is_used_and_the_original_kept(tmp_path, blank):
    adj = {("2", 2024): Adjustment("2", 2024, "58", "2024-06-30", "瑞政办〔2024〕12号", "上级下调")}
    result = consolidate_submissions(
        "2024-03",
        month(blank, "2024-03", groups=("幼有善育",)),
        store=tmp_path,
        adjustments=adj,
        received_at="2024-04-02T09:00:00",
        now=NOW,
    )
    row = next(r for r in result.consolidation.indicators if r.id == "2")
    assert row.target == 58 and row.target_text == "58" and row.original_target_text == "60" and row.adjusted


def test_previous_year_end_and_change_from_last_period_come_from_the_store(tmp_path, blank):
    with Store(tmp_path) as st:
        dec = month(blank, "2023-12", groups=("学有优教",))[0]
        for entry in dec.indicators.values():
            entry.shown.pop("本年目标", None)
        dec.indicators["9"].value = parse_value(74)  # 2023 target 73: last year ended above it
        consolidate_submissions("2023-12", [dec], store=st, received_at="2024-01-03T09:00:00", now=NOW)
        feb = consolidate_submissions(
            "2024-02", month(blank, "2024-02"), store=st, received_at="2024-03-02T09:00:00", now=NOW
        ).consolidation
        mar = consolidate_submissions(
            "2024-03", month(blank, "2024-03"), store=st, received_at="2024-04-02T09:00:00", now=NOW
        ).consolidation
    row = next(r for r in mar.indicators if r.id == "9")
    assert row.expected == pytest.approx(74 + (76 - 74) * 3 / 12)  # from December's 74, not 2023's target 73
    before = next(r for r in feb.indicators if r.id == "9")
    assert row.previous_value == before.value and row.change == pytest.approx(
        row.value - before.value, abs=1e-6
    )
    flow = next(r for r in mar.indicators if r.id == "10")
    assert flow.previous_value is not None  # same year: year-to-date figures compare
    assert mar.previous_period == "2024-02" and mar.previous_counts == feb.status_counts()
    assert any(e.previous_rank is not None for e in mar.ranking)


def test_quarter_and_year_views_come_from_history(tmp_path, blank):
    with Store(tmp_path) as st:
        for m in ("2024-01", "2024-02", "2024-03", "2024-04"):
            groups = [g for g in GROUPS if not (m == "2024-03" and g == "学有优教")]
            consolidate_submissions(
                m, month(blank, m, groups=groups), store=st, received_at=f"{m}-28T09:00:00", now=NOW
            )
    q1 = load_consolidation("2024-Q1", store=tmp_path)
    assert q1.kind == "quarter" and q1.label == "2024年第一季度" and q1.period == "2024-Q1"
    rows = {r.id: r for r in q1.indicators}
    assert rows["1"].source_file == "2024-03_幼有善育.xlsx"  # the quarter's last month
    assert rows["7"].source_file == "2024-02_学有优教.xlsx"  # 学有优教 skipped March: its February counts
    assert rows["1"].expected == pytest.approx(4.2 + (4.8 - 4.2) * 3 / 12)
    year = load_consolidation("2024", store=tmp_path)
    assert year.kind == "year" and {r.source_file for r in year.rows_of("幼有善育")} == {
        "2024-04_幼有善育.xlsx"
    }
    assert next(r for r in year.indicators if r.id == "1").expected == 4.8  # judged at year end
    with Store(tmp_path) as st:
        assert "2024-Q1" in st.consolidated_periods()
    with pytest.raises(UsageError):
        load_consolidation("2024-05", store=tmp_path)


def test_without_a_store_only_the_given_submissions_count(blank):
    subs = month(blank, "2024-03", groups=DOMAINS[:2])
    result = consolidate_submissions("2024-03", subs, now=NOW)
    assert result.missing == list(GROUPS[2:]) and result.store_dir is None
    again = consolidate_submissions("2024-03", subs, now=NOW)
    assert again.consolidation.to_json() == result.consolidation.to_json()
    assert consolidation_from_json(result.consolidation.to_json()).to_json() == result.consolidation.to_json()


def test_due_date_is_in_the_next_month_on_a_working_day():
    rules = load_rules()
    # 次月5日前: 2024-04-05 is 清明 (4–6 April off), 7 April a 调休 Sunday
    assert due_date(parse_period("2024-03"), rules).isoformat() == "2024-04-07"
    # 2025-01-05 is a Sunday: the next Monday
    assert due_date(parse_period("2024-12"), rules).isoformat() == "2025-01-06"
    assert due_date(parse_period("2024-04")).isoformat() == "2024-05-06"  # 劳动节 1–5 May


def test_inbox_skips_locks_temporaries_system_files_subfolders_and_the_ledger(tmp_path):
    from qyx_excel.receive import inbox_files

    for name in (
        "2024-03_幼有善育.xlsx",
        "~$2024-03_幼有善育.xlsx",
        ".~lock.a.xlsx#",
        "~qyx-1234.xlsx",
        "Thumbs.db",
        ".DS_Store",
        "七优享台账.xlsm",
        "说明.txt",
    ):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "历史库").mkdir()
    found = inbox_files(tmp_path, exclude=[tmp_path / "七优享台账.xlsm"])
    assert [p.name for p in found] == [
        "2024-03_幼有善育.xlsx",
        "说明.txt",
    ]  # a stray text file gets a message
    assert inbox_files(None) == []
