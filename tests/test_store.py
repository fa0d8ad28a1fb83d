"""The history store: archive byte for byte, idempotent receiving, supersession, queries, rebuild."""

from __future__ import annotations

import copy
import hashlib
import json
import sqlite3
from datetime import datetime

import pytest
from month_files import MARCH, filled, filled_file

from qyx_excel.archive import SOURCE_INBOX
from qyx_excel.model import ACCEPTED, DUPLICATE, REFUSED, UNREADABLE
from qyx_excel.receive import ReceivingStore as Store
from qyx_excel.receive import rebuild
from qyx_excel.store import default_store_dir
from qyx_excel.submission import submission_from_json, submission_to_json
from qyx_excel.values import parse_value


def test_default_store_dir_is_next_to_the_ledger(tmp_path):
    assert default_store_dir(tmp_path / "台账.xlsm") == tmp_path.resolve() / "历史库"


def test_file_is_archived_byte_for_byte_and_received_once(tmp_path, blank):
    path = filled_file(blank, "幼有善育", tmp_path / "inbox", mtime=datetime(2024, 4, 2, 9))
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    with Store(tmp_path / "store") as st:
        first = st.receive_file(path, period=MARCH)
        again = st.receive_file(path, period=MARCH)
        assert [o.status for o in first] == [ACCEPTED]
        assert [o.to_json() for o in again] == [o.to_json() for o in first]
        archived = tmp_path / "store" / "archive" / sha[:2] / f"{sha}.xlsx"
        assert archived.read_bytes() == data
        receipt = json.loads((archived.parent / f"{sha}.receipt.json").read_text(encoding="utf-8"))
        assert receipt["file_name"] == path.name and receipt["received_at"] == "2024-04-02T09:00:00"
        assert receipt["source"] == SOURCE_INBOX and receipt["period_hint"] == "2024-03"
        (row,) = st.submissions()
        assert (row.sha256, row.group, row.period, row.file_name) == (sha, "幼有善育", "2024-03", path.name)
        assert row.accepted and row.current
        assert len(st.load_submission(row.id).indicators) == len(blank["幼有善育"][1].indicators)
    with sqlite3.connect(tmp_path / "store" / "qyx.sqlite") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {
        "submissions",
        "values",
        "tasks",
        "projects",
        "applications",
        "findings",
        "consolidations",
    } <= tables


def test_later_submission_supersedes_earlier_by_received_time_then_name(tmp_path, blank):
    late = filled_file(
        blank, "学有优教", tmp_path / "a", mtime=datetime(2024, 4, 3, 9), name="b.xlsx", seed=1
    )
    early = filled_file(
        blank, "学有优教", tmp_path / "a", mtime=datetime(2024, 4, 2, 9), name="a.xlsx", seed=2
    )
    with Store(tmp_path / "store") as st:
        # the later file is received first; the earlier one, arriving after it, must not win
        (o1,) = st.receive_file(late, period=MARCH)
        (o2,) = st.receive_file(early, period=MARCH)
        assert st.current(MARCH, "学有优教").id == o1.submission_id
        assert st.submission(o2.submission_id).superseded_by == o1.submission_id
        # same received time: the name decides
        tie = filled_file(
            blank, "学有优教", tmp_path / "a", mtime=datetime(2024, 4, 3, 9), name="c.xlsx", seed=3
        )
        (o3,) = st.receive_file(tie, period=MARCH)
        assert st.current(MARCH, "学有优教").id == o3.submission_id
        history = st.history(o3.submission_id)
        assert [h.file_name for h in history] == ["a.xlsx", "b.xlsx", "c.xlsx"]
        assert [h.superseded_by for h in history] == [o3.submission_id, o3.submission_id, None]


def test_refused_submission_never_replaces_an_accepted_one(tmp_path, blank):
    good = filled_file(blank, "住有宜居", tmp_path / "in", mtime=datetime(2024, 4, 2, 9), name="good.xlsx")
    bad = filled_file(
        blank, "住有宜居", tmp_path / "in", mtime=datetime(2024, 4, 4, 9), name="bad.xlsx", broken=True
    )
    with Store(tmp_path / "store") as st:
        (g,) = st.receive_file(good, period=MARCH)
        (b,) = st.receive_file(bad, period=MARCH)
        assert (g.status, b.status) == (ACCEPTED, REFUSED)
        assert {f.code for f in b.findings} >= {"value-percent-range", "value-not-number"}
        assert all(f.file == "bad.xlsx" for f in b.findings)
        assert st.current(MARCH, "住有宜居").id == g.submission_id
        assert st.submission(g.submission_id).superseded_by is None
        assert st.findings(b.submission_id) == b.findings


def test_same_content_in_another_file_is_a_duplicate(tmp_path, blank):
    with Store(tmp_path) as st:
        sub = filled(blank, "劳有所得")
        (first,) = st.receive_submission(sub, period=MARCH, received_at="2024-04-02T09:00:00")
        copy_of = copy.deepcopy(sub)
        copy_of.source = "另存为.xlsx"  # another file, same content
        (second,) = st.receive_submission(copy_of, period=MARCH, received_at="2024-04-05T09:00:00")
        assert (first.status, second.status) == (ACCEPTED, DUPLICATE)
        assert second.submission_id == first.submission_id
        assert len(st.submissions(MARCH, "劳有所得")) == 1


def test_unreadable_file_is_archived_and_reported(tmp_path):
    bogus = tmp_path / "报表.xlsx"
    bogus.write_bytes(b"%PDF-1.4 not a workbook")
    with Store(tmp_path / "store") as st:
        (o,) = st.receive_file(bogus, period=MARCH)
        assert o.status == UNREADABLE and o.findings[0].code == "file-not-excel"
        assert o.findings[0].file == "报表.xlsx"
        assert st.recorded_outcomes(o.sha256)[0].status == UNREADABLE
        assert st.archive_path(o.sha256, "xlsx").read_bytes() == bogus.read_bytes()


def test_queries_prior_values_year_end_and_trace(tmp_path, blank):
    with Store(tmp_path) as st:
        for period in ("2023-12", "2024-01", "2024-02"):
            sub = filled(blank, "幼有善育", period)
            for entry in sub.indicators.values():  # the 2024 template shows 2024's targets
                entry.shown.pop("本年目标", None)
            (o,) = st.receive_submission(sub, period=period, received_at=f"{period}-28T09:00:00")
            assert o.status == ACCEPTED, o.findings
        jan = st.values_of("2024-01", "幼有善育")
        feb = st.values_of("2024-02", "幼有善育")
        assert jan["1"].value is not None and jan["1"].period == "2024-01"
        last = st.last_values("幼有善育", MARCH)
        assert last["1"].period == "2024-02" and last["1"].value == feb["1"].value
        assert st.last_values("幼有善育", "2024-02")["1"].period == "2024-01"
        assert st.year_end_values(2023, "幼有善育")["1"] == st.values_of("2023-12", "幼有善育")["1"].value
        trace = st.trace("2024-02", "1", "幼有善育")
        assert trace.file_name == "2024-02_幼有善育.xlsx" and trace.cell == "G7" and trace.sheet == "幼有善育"
        assert trace.archive_path.is_file() and trace.where == "2024-02_幼有善育.xlsx › 幼有善育!G7"
        assert st.latest_in("2024-Q1", "幼有善育").period == "2024-02"
        # the Prior checks use: last period's values, last totals, last year's December
        from qyx_excel.store import prior_for

        prior = prior_for(st, "幼有善育", MARCH)
        assert prior.period == "2024-02" and prior.values["1"] == feb["1"].value
        assert prior.cumulative["6"][1] == "2024-02" and "1" in prior.year_end


def test_submission_json_round_trip(blank):
    sub = filled(blank, "重大项目")
    sub.indicators.clear()
    again = submission_from_json(json.loads(json.dumps(submission_to_json(sub), ensure_ascii=False)))
    assert again == sub
    dom = filled(blank, "老有康养")
    dom.indicators["30"].value = parse_value("推进中")
    assert submission_from_json(submission_to_json(dom)) == dom


def test_load_submission_gives_back_what_was_recorded(tmp_path, blank):
    with Store(tmp_path) as st:
        for group in ("病有良医", "应用贯通", "重大项目"):
            sub = filled(blank, group)
            (o,) = st.receive_submission(sub, period=MARCH, received_at="2024-04-02T09:00:00")
            back = st.load_submission(o.submission_id)
            assert back.indicators == sub.indicators
            assert back.tasks == sub.tasks
            assert back.projects == sub.projects
            assert back.applications == sub.applications
            assert back.header == sub.header


def test_rebuild_from_archive_gives_identical_database(tmp_path, blank):
    inbox = tmp_path / "inbox"
    files = [
        filled_file(blank, "幼有善育", inbox, mtime=datetime(2024, 4, 2, 9)),
        filled_file(blank, "住有宜居", inbox, mtime=datetime(2024, 4, 2, 10), broken=True),
        filled_file(blank, "住有宜居", inbox, mtime=datetime(2024, 4, 3, 10), name="住有宜居-改.xlsx"),
    ]
    bogus = inbox / "坏文件.xlsx"
    bogus.write_bytes(b"PK\x03\x04 truncated")
    store = tmp_path / "store"
    with Store(store) as st:
        st.receive_submission(
            filled(blank, "弱有众扶", "2024-02"), period="2024-02", received_at="2024-03-03T09:00:00"
        )
        for path in [*files, bogus]:
            st.receive_file(path, period=MARCH)
        before = st.dump()
    assert rebuild(store) == 5
    with Store(store) as st:
        assert st.dump() == before
    kept = [p for p in store.glob("qyx.sqlite.old-*") if not p.name.endswith(("-wal", "-shm"))]
    assert len(kept) == 1 and kept[0].is_file()  # the database replaced is kept beside the new one


def test_a_run_killed_half_way_loses_nothing_and_reruns_to_the_same_result(tmp_path, blank):
    from qyx_excel.receive import default_check

    inbox = tmp_path / "inbox"
    files = [
        filled_file(blank, g, inbox, mtime=datetime(2024, 4, 2, 9 + i))
        for i, g in enumerate(("幼有善育", "学有优教", "劳有所得"))
    ]

    class Killed(BaseException):
        pass

    calls = []

    def dies_on_second(sub, period, expected_group, store, adjustments):
        calls.append(sub.group)
        if len(calls) == 2:
            raise Killed  # after the archive is written, before the database rows
        return default_check(sub, period, expected_group, store, adjustments)

    killed, clean = tmp_path / "killed", tmp_path / "clean"
    with Store(killed) as st, pytest.raises(Killed):
        for path in files:
            st.receive_file(path, period=MARCH, check=dies_on_second)
    with Store(killed) as st:
        assert len(st.submissions()) == 1  # the first was committed, the second rolled back
        assert len(st.receipts()) == 2  # ... but its bytes are archived
        for path in files:
            st.receive_file(path, period=MARCH)
        after = st.dump()
    with Store(clean) as st:
        for path in files:
            st.receive_file(path, period=MARCH)
        reference = st.dump()

    def stable(dump):  # the run stamps differ between the two stores, nothing else
        files_rows = [r[:7] + r[8:] for r in dump["files"]]
        return {**dump, "files": files_rows}

    assert stable(after) == stable(reference)
