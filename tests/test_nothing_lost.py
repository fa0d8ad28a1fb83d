"""Issue 12, items 2–5: claims checked against each other, nothing deleted that qyx did not make,
two clerks at once, a crash, a repair — each through the command line on a month half done
(``hostile_files.build_workspace``), each naming the one result it expects.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from hostile_files import (
    LATE,
    MARCH,
    Workspace,
    assert_clean,
    build_workspace,
    edit_book,
    qyx,
    received_later,
    set_cells,
    value_cell,
)

from qyx_excel import intake
from qyx_excel.store import Store

ROOT = Path(__file__).resolve().parents[1]
posix_only = pytest.mark.skipif(os.name != "posix", reason="links, pipes and signals as on POSIX")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return build_workspace(tmp_path_factory.mktemp("lost") / "七优享 工作区")


@pytest.fixture()
def ws(base: Workspace, tmp_path: Path) -> Workspace:
    return base.copy(tmp_path / "本月 工作区")


def consolidate_json(capsys: pytest.CaptureFixture[str], ws: Workspace, *more: str) -> tuple[int, dict]:
    code, out, _ = qyx(capsys, *ws.cli_consolidate("--json", *more))
    return code, json.loads(out)


def report(data: dict, name: str) -> dict:
    (found,) = [f for f in data["files"] if f["file_name"] == name]
    return found


def source_of(data: dict, group: str) -> set[str]:
    return {r["source_file"] for r in data["indicators"] if r["group"] == group}


# ================================================================================================
# Item 2: what a file claims is checked against itself, in consolidate as in check
# ================================================================================================


def test_a_file_named_for_another_group_is_refused(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    """学有优教's file mailed as "2024-03_幼有善育 (补充).xlsx": qyx check refuses it; so does consolidate,
    and 幼有善育's real submission still counts."""
    mailed = edit_book(ws.good("学有优教"), ws.inbox / f"{MARCH}_幼有善育 (补充).xlsx")
    code, out, _ = qyx(capsys, "check", mailed, "--period", MARCH)
    assert code == 1 and "（group-mismatch）" in out
    code, data = consolidate_json(capsys, ws)
    mine = report(data, mailed.name)
    assert mine["status"] == "refused" and "group-mismatch" in {f["code"] for f in mine["findings"]}
    assert source_of(data, "幼有善育") == {ws.good("幼有善育").name}
    assert source_of(data, "学有优教") == {ws.good("学有优教").name}


def test_a_file_claiming_to_be_a_ledger_does_not_carry_another_groups_sheet_in(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    def as_ledger(wb, _sheet, _sub):
        for row in wb["_meta"].iter_rows(min_col=1, max_col=2):
            if row[0].value == "kind":
                row[1].value = "ledger"

    mailed = edit_book(ws.good("学有优教"), ws.inbox / f"{MARCH}_幼有善育（台账）.xlsx", as_ledger)
    _code, data = consolidate_json(capsys, ws)
    (mine,) = [f for f in data["files"] if f["file_name"] == mailed.name and f["sheet"] == "学有优教"]
    assert mine["status"] == "refused" and "group-mismatch" in {f["code"] for f in mine["findings"]}
    assert source_of(data, "学有优教") == {ws.good("学有优教").name}


def test_the_visible_period_beats_the_hidden_one(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    """A February file retitled 2024年3月 and filled with March figures is March's (with a warning),
    and February's accepted submission is not overwritten."""
    with Store(ws.store) as st:
        february = st.current("2024-02", "幼有善育")
    sub = intake.read_file(ws.good("幼有善育"))[0]

    def as_february_file(wb, sheet, _sub):
        meta = wb["_meta"]
        for row in meta.iter_rows(min_col=1, max_col=2):
            if row[0].value == "period":
                row[1].value = "2024-02"
        sheet[value_cell(sub, "1")].value = 4.7

    path = edit_book(ws.good("幼有善育"), ws.inbox / f"{MARCH}_幼有善育（改）.xlsx", as_february_file)
    _code, data = consolidate_json(capsys, ws)
    mine = report(data, path.name)
    assert (mine["status"], mine["period"]) == ("accepted", MARCH)
    assert "period-meta-mismatch" in {f["code"] for f in mine["findings"]}
    rows = {r["id"]: r for r in data["indicators"]}
    assert (rows["1"]["value"], rows["1"]["source_file"]) == (4.7, path.name)
    with Store(ws.store) as st:
        assert st.current("2024-02", "幼有善育") == february


def test_a_blank_template_sent_later_replaces_nothing(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    from qyx_excel.distribute import distribute
    from qyx_excel.periods import parse_period

    sent = distribute(parse_period(MARCH), ws.root / "下发", ledger=ws.ledger)
    blank = next(p for p in sent if "幼有善育" in p.name)
    late = received_later(Path(shutil.copy2(blank, ws.inbox / f"{MARCH}_幼有善育（空白）.xlsx")))
    _code, data = consolidate_json(capsys, ws)
    mine = report(data, late.name)
    assert mine["status"] == "refused" and "submission-blank" in {f["code"] for f in mine["findings"]}
    assert source_of(data, "幼有善育") == {ws.good("幼有善育").name}


def test_a_file_dated_in_the_future_does_not_win_forever(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    sub = intake.read_file(ws.good("幼有善育"))[0]
    future = edit_book(
        ws.good("幼有善育"),
        ws.inbox / f"{MARCH}_幼有善育（将来）.xlsx",
        set_cells({value_cell(sub, "1"): 4.6}),
    )
    received_later(future, datetime(2100, 1, 1))
    _code, data = consolidate_json(capsys, ws)
    mine = report(data, future.name)
    assert mine["status"] == "accepted"
    assert mine["received_at"] <= datetime.now().isoformat()  # clamped to when it was received
    correction = edit_book(
        ws.good("幼有善育"),
        ws.inbox / f"{MARCH}_幼有善育（更正）.xlsx",
        set_cells({value_cell(sub, "1"): 4.8}),
    )
    os.utime(correction, (time.time() + 5, time.time() + 5))  # mailed after the first run
    time.sleep(1)
    _code, data = consolidate_json(capsys, ws)
    assert source_of(data, "幼有善育") == {correction.name}


@pytest.mark.parametrize("typed", ["1" * 400, 1e308, -3e16])
def test_a_number_beyond_reason_is_refused_naming_the_cell(
    typed, ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    sub = intake.read_file(ws.good("幼有善育"))[0]
    cell = value_cell(sub, "2")
    path = edit_book(
        ws.good("幼有善育"), ws.inbox / f"{MARCH}_幼有善育（大数）.xlsx", set_cells({cell: typed})
    )
    _code, data = consolidate_json(capsys, ws)
    mine = report(data, path.name)
    (finding,) = [f for f in mine["findings"] if f["code"] == "value-implausible"]
    assert (mine["status"], finding["cell"]) == ("refused", cell)
    assert "Infinity" not in json.dumps(data)
    out = ws.outputs / "表.xlsx"
    assert qyx(capsys, "tables", "--period", MARCH, "--store", ws.store, "--out", out)[0] == 0


@posix_only
def test_inbox_entries_that_are_not_files_are_listed_never_read(
    ws: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0", encoding="utf-8")
    (ws.inbox / f"{MARCH}_劳有所得（链接）.xlsx").symlink_to(secret)
    (ws.inbox / "子文件夹").mkdir()
    shutil.copy2(ws.late_file, ws.inbox / "子文件夹" / ws.late_file.name)
    shutil.copy2(ws.late_file, ws.inbox / f".{ws.late_file.name}")
    shutil.copy2(ws.late_file, ws.inbox / f"~${ws.late_file.name}")
    os.mkfifo(ws.inbox / f"{MARCH}_管道.xlsx")
    _code, data = consolidate_json(capsys, ws)
    skipped = {f["file_name"]: f for f in data["files"] if f["status"] == "skipped"}
    assert set(skipped) == {
        f"{MARCH}_劳有所得（链接）.xlsx",
        "子文件夹",
        f".{ws.late_file.name}",
        f"~${ws.late_file.name}",
        f"{MARCH}_管道.xlsx",
    }
    assert all(f["findings"][0]["code"] == "file-skipped" for f in skipped.values())
    assert "子文件夹" in {f["file"] for f in data["findings"] if f["code"] == "file-skipped"}
    archived = b"".join(p.read_bytes() for p in (ws.store / "archive").glob("*/*") if "receipt" not in p.name)
    assert b"root:x:0:0" not in archived

    # qyx check on the same folder lists them too, with the same reasons, and reads none of them
    _code, out, err = qyx(capsys, "check", ws.inbox, "--json")
    listed = {Path(e["path"]).name: e["reason"] for e in json.loads(out)["skipped"]}
    assert set(listed) == set(skipped)
    assert "子文件夹" in listed["子文件夹"] and "~$" in listed[f"~${ws.late_file.name}"]
    assert f"未读取：{ws.inbox / '子文件夹'}（{listed['子文件夹']}）" in err.splitlines()
    assert {Path(f["path"]).name for f in json.loads(out)["files"]} & set(skipped) == set()


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS refuses names that are not UTF-8")
def test_a_file_name_that_is_not_utf8_is_received(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    raw = os.fsencode(ws.inbox) + b"/2024-03_\xd7\xa1\xd3\xd0\xd2\xcb\xbe\xd3.xlsx"  # GBK bytes of 住有宜居
    shutil.copy2(ws.late_file, raw)
    _code, data = consolidate_json(capsys, ws)
    (mine,) = [f for f in data["files"] if "\ufffd" in f["file_name"]]
    assert mine["status"] == "accepted" and mine["group"] == LATE


# ================================================================================================
# Item 3: nothing deleted or overwritten that qyx did not make
# ================================================================================================


def test_demo_refuses_a_folder_it_did_not_make(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    office = tmp_path / "专班办公室"
    office.mkdir()
    (office / "七优享台账.xlsm").write_bytes(b"the real ledger")
    (office / "历史库").mkdir()
    code, _, err = qyx(capsys, "demo", "--out", office)
    assert code == 2 and "不是演示生成的内容" in err
    assert (office / "七优享台账.xlsm").read_bytes() == b"the real ledger" and (office / "历史库").is_dir()
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep", encoding="utf-8")
    code, _, err = qyx(capsys, "demo", "--out", a_file)
    assert code == 2 and "不是文件夹" in err and a_file.read_text(encoding="utf-8") == "keep"


def test_demo_clears_only_what_it_made(tmp_path: Path) -> None:
    from qyx_excel.demo import MARKER, clear_demo_folder
    from qyx_excel.errors import UsageError

    out = tmp_path / "demo-out"
    (out / "历史库").mkdir(parents=True)
    (out / "七优享台账.xlsm").write_bytes(b"demo")
    (out / MARKER).write_text("header\n七优享台账.xlsm\n历史库\n", encoding="utf-8")
    (out / "我的文件.docx").write_bytes(b"mine")
    with pytest.raises(UsageError):
        clear_demo_folder(out)
    assert (out / "七优享台账.xlsm").read_bytes() == b"demo"
    (out / "我的文件.docx").unlink()
    clear_demo_folder(out)
    assert sorted(p.name for p in out.iterdir()) == [MARKER]


@posix_only
@pytest.mark.parametrize("kind", ["symlink", "fifo"])
def test_an_output_that_is_not_a_regular_file_is_refused(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "别人的文件.xlsm"
    other.write_bytes(b"someone else's")
    target = tmp_path / "台账.xlsm"
    if kind == "symlink":
        target.symlink_to(other)
    else:
        os.mkfifo(target)
    code, _, err = qyx(capsys, "build-workbook", "--out", target)
    assert code == 2 and "不是普通文件" in err
    assert other.read_bytes() == b"someone else's"
    assert target.is_symlink() if kind == "symlink" else target.is_fifo()


def test_an_output_name_too_long_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = qyx(capsys, "build-workbook", "--out", tmp_path / ("台" * 80 + ".xlsm"))
    assert code == 2 and "过长" in err


def test_the_ledger_option_refuses_a_fill_in_file(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    fill_in = ws.good("幼有善育")
    before = fill_in.read_bytes()
    code, _, err = qyx(capsys, "consolidate", "--period", MARCH, "--ledger", fill_in, "--store", ws.store)
    assert code == 2 and "填报表" in err and "--ledger" in err
    assert fill_in.read_bytes() == before


# ================================================================================================
# Item 4: two at once, a crash, a repair
# ================================================================================================


def _run(*args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "qyx_excel", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        env=env,
    )


@posix_only
def test_a_held_lock_is_named_and_a_dead_holders_lock_is_recovered(ws: Workspace) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import time
        from qyx_excel.store import store_lock
        with store_lock({str(ws.store)!r}, "汇总"):
            print("held", flush=True)
            time.sleep(600)
    """),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        second = _run(*ws.cli_consolidate())
        out, err = second.communicate(timeout=120)
        assert second.returncode == 1, err
        assert_clean(out + err)
        assert f"进程号 {holder.pid}" in err and "自 " in err and "正被另一次汇总使用" in err
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    third = _run(*ws.cli_consolidate())  # the killed holder's lock went with it
    out, err = third.communicate(timeout=120)
    assert third.returncode in (0, 1) and "正被另一次" not in err, err
    assert_clean(out + err)


def test_two_consolidations_at_once_end_consistent(ws: Workspace) -> None:
    ws.send_late_file()
    runs = [_run(*ws.cli_consolidate("--json")) for _ in range(2)]
    results = [r.communicate(timeout=300) for r in runs]
    for run, (out, err) in zip(runs, results, strict=True):
        assert_clean(out + err)
        assert run.returncode == 0 or (run.returncode == 1 and "正被另一次汇总使用" in err), err
    assert any(r.returncode == 0 for r in runs)
    with Store(ws.store) as st:
        current = {
            g
            for g in (
                "幼有善育",
                "学有优教",
                "劳有所得",
                "病有良医",
                "老有康养",
                "住有宜居",
                "弱有众扶",
                "应用贯通",
                "重大项目",
            )
            if st.current(MARCH, g) is not None
        }
    wb = openpyxl.load_workbook(ws.ledger, read_only=True)
    rows = list(wb["校验结果"].iter_rows(values_only=True))
    wb.close()
    assert len(current) == 9
    assert rows  # the ledger was written by the run that went through


@posix_only
def test_a_run_killed_while_writing_the_ledger_leaves_it_whole(ws: Workspace) -> None:
    """SIGKILL in the middle of writing the ledger: the ledger is byte-identical, a temporary file is left;
    the next run removes it and completes."""
    before = ws.ledger.read_bytes()
    script = textwrap.dedent(f"""
        import os, signal, sys
        import openpyxl.workbook.workbook as wbmod
        real = wbmod.Workbook.save
        def save(self, path):
            with open(path, "wb") as fh:
                fh.write(b"PK half")
            os.kill(os.getpid(), signal.SIGKILL)
        wbmod.Workbook.save = save
        from qyx_excel import cli
        sys.exit(cli.main({[str(a) for a in ws.cli_consolidate()]!r}))
    """)
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True, cwd=ROOT, timeout=300)
    assert killed.returncode == -signal.SIGKILL
    assert ws.ledger.read_bytes() == before
    assert [p.name for p in ws.ledger.parent.glob("~qyx-*")], "the killed write left its temporary file"
    again = _run(*ws.cli_consolidate())
    out, err = again.communicate(timeout=300)
    assert again.returncode == 1, err  # 住有宜居 has still not reported
    assert_clean(out + err)
    assert list(ws.ledger.parent.glob("~qyx-*")) == []


def test_rebuild_skips_what_it_cannot_trust_and_keeps_every_database(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store(ws.store) as st:
        subs = st.submissions()
        ext = st.db.execute("SELECT ext FROM files WHERE sha256 = ?", (subs[0].sha256,)).fetchone()["ext"]
        damaged = st.archive_path(subs[0].sha256, ext)
        ext = st.db.execute("SELECT ext FROM files WHERE sha256 = ?", (subs[1].sha256,)).fetchone()["ext"]
        missing = st.archive_path(subs[1].sha256, ext)
        total = len(st.receipts())
    damaged.write_bytes(damaged.read_bytes() + b"x")
    missing.unlink()
    code, _, err = qyx(capsys, "rebuild-store", "--store", ws.store)
    assert code == 1
    assert "归档文件已损坏（校验值不符）" in err and "归档文件缺失" in err
    assert f"（{total - 2} 个文件）" in err
    code, _, err = qyx(capsys, "rebuild-store", "--store", ws.store)
    kept = [p for p in ws.store.glob("qyx.sqlite.old-*") if not p.name.endswith(("-wal", "-shm"))]
    assert len(kept) == 2  # each rebuild kept the database it replaced


def test_a_missing_store_is_reported_not_recreated(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    for p in ws.store.glob("qyx.sqlite*"):
        p.unlink()
    code, _, err = qyx(capsys, *ws.cli_consolidate())
    assert code == 2 and "qyx rebuild-store" in err and not (ws.store / "qyx.sqlite").exists()
    shutil.rmtree(ws.store)
    code, _, err = qyx(capsys, *ws.cli_consolidate())
    assert code == 2 and "--new-store" in err and not ws.store.exists()
    code, _, _ = qyx(capsys, *ws.cli_consolidate("--new-store"))
    assert code == 1 and (ws.store / "qyx.sqlite").is_file()


# ================================================================================================
# Item 5: an instruction instead of 内部错误
# ================================================================================================


@pytest.mark.parametrize("damage", [b"garbage" * 100, b""])
def test_a_damaged_store_database_points_to_rebuild(
    damage: bytes, ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    for p in ws.store.glob("qyx.sqlite-*"):
        p.unlink()
    db = ws.store / "qyx.sqlite"
    db.write_bytes(damage or db.read_bytes()[:3000])
    code, _, err = qyx(capsys, "history", "--store", ws.store)
    assert code == 2 and "rebuild-store" in err


@pytest.mark.parametrize("number", ["-1", "0", "99999999999999999999"])
def test_restoring_a_submission_that_does_not_exist(
    number: str, ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = qyx(capsys, "history", "--store", ws.store, "--restore", number, "--out", ws.root / "取回")
    assert code == 2 and f"没有编号为 {number} 的报送" in err


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root may write anywhere")
def test_a_read_only_store(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    for p in [ws.store, *ws.store.rglob("*")]:
        p.chmod(0o555 if p.is_dir() else 0o444)
    try:
        code, _, err = qyx(capsys, *ws.cli_consolidate())
        assert code == 2 and "只读" in err
    finally:
        for p in [ws.store, *ws.store.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)


def test_an_inbox_that_cannot_be_listed(
    ws: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    not_a_folder = tmp_path / "收件箱.txt"
    not_a_folder.write_text("x", encoding="utf-8")
    code, _, err = qyx(
        capsys,
        "consolidate",
        "--period",
        MARCH,
        "--ledger",
        ws.ledger,
        "--store",
        ws.store,
        "--inbox",
        not_a_folder,
    )
    assert code == 2 and "收件箱" in err


@pytest.mark.parametrize(
    ("indicator", "typed", "code"),
    [("1", "4.8%", "value-unit-mismatch"), ("2", 0.6, "value-percent-fraction")],
)
def test_a_number_in_the_wrong_unit_gets_a_warning_naming_the_cell(
    indicator: str, typed, code: str, ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    """ "4.8%" typed for a count of places, 0.6 typed for 60 %: accepted (it may be right), never silently."""
    sub = intake.read_file(ws.good("幼有善育"))[0]
    cell = value_cell(sub, indicator)
    path = edit_book(
        ws.good("幼有善育"), ws.inbox / f"{MARCH}_幼有善育（单位）.xlsx", set_cells({cell: typed})
    )
    _code, data = consolidate_json(capsys, ws)
    mine = report(data, path.name)
    (finding,) = [f for f in mine["findings"] if f["code"] == code]
    assert (finding["cell"], finding["severity"], mine["status"]) == (cell, "warning", "accepted")


def test_a_period_outside_the_plan_is_refused(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    before = ws.ledger.read_bytes()
    code, _, err = qyx(
        capsys, "consolidate", "--period", "2028-01", "--ledger", ws.ledger, "--store", ws.store
    )
    assert code == 2 and "方案期" in err and ws.ledger.read_bytes() == before


def test_an_8_gb_file_is_refused_by_its_size_never_read(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    """A sparse 8 GB file (costs no disk): refused as too large from its size alone, not archived; a
    memory error for the batch before."""
    huge = ws.inbox / f"{MARCH}_劳有所得（巨大）.xlsx"
    with open(huge, "wb") as fh:
        fh.write(b"PK\x03\x04")
        fh.truncate(8 << 30)
    code, out, _ = qyx(capsys, "check", huge)
    assert code == 2 and "（file-too-large）" in out
    ws.send_late_file()
    _code, data = consolidate_json(capsys, ws)
    mine = report(data, huge.name)
    assert (mine["status"], mine["findings"][0]["code"]) == ("unreadable", "file-too-large")
    assert data["missing"] == [] and data["refused"] == []
    assert max(p.stat().st_size for p in (ws.store / "archive").glob("*/*")) < 50 << 20
