"""Fair 逾期: late means first arrival after the working-day due date; 补录 for back-filled months."""

from __future__ import annotations

import copy
from datetime import datetime

import pytest

from qyx_excel.consolidate import consolidate_submissions
from qyx_excel.ledger import late_word, received_text
from qyx_excel.periods import parse_period
from qyx_excel.receive import rebuild
from qyx_excel.sample import fill_submission, group_fill
from qyx_excel.store import BACKFILL_FILE, Store

NOW = datetime(2024, 4, 8, 10, 0)


@pytest.fixture(scope="module")
def blank(tmp_path_factory):
    from qyx_excel import intake
    from qyx_excel.distribute import distribute

    paths = distribute("2023-05", tmp_path_factory.mktemp("blank"), groups=("弱有众扶",))
    return intake.read_file(paths[0])[0]


def _sub(blank, period: str, filled_on: str = ""):
    sub = copy.deepcopy(blank)
    sub.period, sub.source = period, f"{period}_弱有众扶.xlsx"
    sub.target_year = int(period[:4])
    sub = fill_submission(sub, group_fill("弱有众扶", parse_period(period)))
    sub.header["填报日期"] = filled_on
    return sub


def _status(result):
    return next(g for g in result.consolidation.groups if g.group == "弱有众扶")


def test_backfilled_2023_month_is_buelu_not_late_and_survives_rebuild(tmp_path, blank):
    sub = _sub(blank, "2023-05", filled_on="2024-04-01")
    # Without --backfill, a 2023-05 report arriving in April 2024 is late (due 2023-06-05).
    first = _status(
        consolidate_submissions("2023-05", [sub], store=tmp_path, received_at="2024-04-02T09:00:00", now=NOW)
    )
    assert first.late and not first.backfill and first.due == "2023-06-05"
    assert late_word(first) == "是"
    # The office marks the month as back-filled: the same arrival is now 补录.
    with Store(tmp_path) as st:
        st.mark_backfill("2023-05")
    again = _status(
        consolidate_submissions("2023-05", [sub], store=tmp_path, received_at="2024-04-09T09:00:00", now=NOW)
    )
    assert again.backfill and not again.late and late_word(again) == "补录"
    # the arrival time is the first receipt's, and the form's 填报日期 is shown beside it
    assert again.received_at == "2024-04-02T09:00:00" and again.filled_on == "2024-04-01"
    assert received_text(again) == "2024-04-02 09:00（填报日期 2024-04-01）"
    # rebuild-store re-creates the database from the archive: arrival time and 补录 stay
    rebuild(tmp_path)
    assert (tmp_path / BACKFILL_FILE).is_file()
    rebuilt = _status(
        consolidate_submissions("2023-05", [sub], store=tmp_path, received_at="2024-05-01T09:00:00", now=NOW)
    )
    assert (rebuilt.received_at, rebuilt.backfill, rebuilt.late) == ("2024-04-02T09:00:00", True, False)


def test_late_is_judged_against_the_moved_due_date(tmp_path, blank):
    # 2024-03 is due 2024-04-07 (清明 4–6 April, 7 April a 调休 Sunday): arriving on the 7th is on time.
    on_time = _status(
        consolidate_submissions(
            "2024-03",
            [_sub(blank, "2024-03")],
            store=tmp_path / "a",
            received_at="2024-04-07T17:00:00",
            now=NOW,
        )
    )
    assert on_time.due == "2024-04-07" and not on_time.late and on_time.filled_on == ""
    late = _status(
        consolidate_submissions(
            "2024-03",
            [_sub(blank, "2024-03")],
            store=tmp_path / "b",
            received_at="2024-04-08T08:30:00",
            now=NOW,
        )
    )
    assert late.late


def test_missing_report_of_a_backfilled_month_asks_for_buelu(tmp_path, blank):
    with Store(tmp_path) as st:
        st.mark_backfill("2023-05")
    result = consolidate_submissions("2023-05", [], store=tmp_path, now=NOW)
    missing = _status(result)
    assert not missing.late and missing.backfill
    assert "尚未补录" in missing.reminder
