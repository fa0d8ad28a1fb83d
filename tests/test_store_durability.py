"""The store's durability design: archive files synced before the rows that refer to them, folders
synced once per batch, SQLite WAL with ``synchronous=NORMAL``.

What must hold (docs/bench.md, hot spot 4): a run killed for real — no exception handler, no
``close`` — and run again gives the same database as a clean run, and loses no accepted
submission; a recorded file whose archive copy went missing (a power cut before its folder was
synced) is archived again when the file comes in again; nothing temporary is left in the archive.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import pytest
from month_files import MARCH, filled, filled_file

from qyx_excel.model import ACCEPTED
from qyx_excel.receive import ReceivingStore as Store

GROUPS = ("幼有善育", "学有优教", "劳有所得", "病有良医")


@pytest.fixture()
def inbox(tmp_path: Path, blank) -> list[Path]:
    return [
        filled_file(blank, g, tmp_path / "inbox", mtime=datetime(2024, 4, 2, 9 + i))
        for i, g in enumerate(GROUPS)
    ]


def _stable(dump: dict) -> dict:
    """A dump without the run stamps (``files.ingested_at``), which differ between runs."""
    return {**dump, "files": [r[:7] + r[8:] for r in dump["files"]]}


def _receive_all(store: Path, files: list[Path]) -> dict:
    with Store(store) as st:
        for path in files:
            st.receive_file(path, period=MARCH)
        return st.dump()


def test_a_process_killed_for_real_reruns_to_the_same_result(tmp_path: Path, inbox: list[Path]) -> None:
    killed = tmp_path / "killed"
    script = textwrap.dedent(f"""
        import os
        from pathlib import Path
        from qyx_excel.receive import ReceivingStore as Store, default_check

        calls = []

        def dies_on_third(sub, period, expected_group, store, adjustments):
            calls.append(sub.group)
            if len(calls) == 3:
                os._exit(9)  # after the third file is archived, before its rows: no cleanup at all
            return default_check(sub, period, expected_group, store, adjustments)

        st = Store(Path({str(killed)!r}))
        for name in {[str(p) for p in inbox]!r}:
            st.receive_file(Path(name), period="2024-03", check=dies_on_third)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 9, done.stderr
    with Store(killed) as st:
        # the first two files' rows may still have been waiting for their group's commit ...
        assert len(st.submissions()) <= 2
        assert len(st.receipts()) == 3  # ... but all three files' bytes are archived
    after = _receive_all(killed, inbox)
    reference = _receive_all(tmp_path / "clean", inbox)
    assert _stable(after) == _stable(reference)
    with Store(killed) as st:
        assert [s.sheet for s in st.submissions() if s.accepted] == list(GROUPS)


def test_a_lost_archive_copy_is_archived_again(tmp_path: Path, inbox: list[Path]) -> None:
    store = tmp_path / "store"
    before = _receive_all(store, inbox)
    with Store(store) as st:
        sha = hashlib.sha256(inbox[1].read_bytes()).hexdigest()
        copy, receipt = st.archive_path(sha, "xlsx"), st.receipt_path(sha)
        kept = receipt.read_bytes()
    copy.unlink()  # as after a power cut before the folder entry reached the disk
    receipt.unlink()
    with Store(store) as st:
        outcomes = st.receive_file(inbox[1], period=MARCH)
        assert [o.status for o in outcomes] == [ACCEPTED]  # recorded before: the recorded outcome
        assert st.dump() == before
    assert copy.read_bytes() == inbox[1].read_bytes()
    assert receipt.read_bytes() == kept


def test_nothing_temporary_is_left_in_the_archive(tmp_path: Path, inbox: list[Path]) -> None:
    store = tmp_path / "store"
    _receive_all(store, inbox)
    names = [p.name for p in (store / "archive").rglob("*") if p.is_file()]
    assert len(names) == 2 * len(inbox)
    assert not [n for n in names if n.startswith("~")]
    assert all(os.path.getsize(p) > 0 for p in (store / "archive").rglob("*") if p.is_file())


def test_the_database_runs_wal_with_normal_sync(tmp_path: Path) -> None:
    with Store(tmp_path / "store") as st:
        assert st.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert st.db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_kept_priors_follow_a_late_earlier_month(tmp_path: Path, blank) -> None:
    """The prior of a month is kept between files, and dropped when an earlier month is recorded."""
    import copy

    from qyx_excel.values import parse_value

    group = "幼有善育"
    march = filled(blank, group, "2024-03")
    feb = filled(blank, group, "2024-02")
    entry = next(e for e in feb.indicators.values() if e.value.kind == "number")
    entry.value = parse_value(entry.value.number * 10)  # a February figure that makes March jump

    def march_again(n: int):
        sub = copy.deepcopy(march)
        sub.header["填报人"] = f"第{n}次"  # other content: not a duplicate
        return sub

    with Store(tmp_path / "store") as st:
        (first,) = st.receive_submission(march_again(1), period=MARCH, received_at="2024-04-02T09:00:00")
        assert "value-jump" not in {f.code for f in first.findings}
        st.receive_submission(feb, period="2024-02", received_at="2024-04-02T10:00:00")
        (second,) = st.receive_submission(march_again(2), period=MARCH, received_at="2024-04-02T11:00:00")
    jumps = [f for f in second.findings if f.code == "value-jump"]
    assert [f.indicator for f in jumps] == [entry.id]
