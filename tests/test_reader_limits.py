"""Issue 12, item 1: a batch survives any one file.

First wall — before any reader sees a file: the far-cell guard tokenizes the sheet (every legal
spelling of a reference), declared counts are compared with what is there, a UTF-16 part is
refused as damaged.  Second wall — files are read in a worker process with memory and time
limits: a reader that aborts or hangs costs that file a ``file-reader-failed`` finding (archived,
reported), never the batch.  Every hostile file here is built at test time from a distributed
fill-in file.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from hostile_files import sheet_part, with_parts

from qyx_excel import cli, intake, sandbox
from qyx_excel.errors import UnreadableFile
from qyx_excel.periods import parse_period
from qyx_excel.sample import make_sample_month

ROOT = Path(__file__).resolve().parents[1]
GROUP = "劳有所得"


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("limits") / "收件箱"
    make_sample_month(parse_period("2024-03"), folder, late_groups=(), broken_groups=())
    return folder


@pytest.fixture()
def fresh_reader():
    """The shared worker, started after the test's own changes (a forked worker inherits them)."""
    sandbox._close_shared()
    yield
    sandbox._close_shared()


def good(month: Path) -> Path:
    return month / f"2024-03_{GROUP}.xlsx"


def with_far_cell(src: Path, dst: Path, cell: bytes) -> Path:
    """``src`` with one more row at the bottom of the group sheet holding ``cell`` (raw XML)."""
    part = sheet_part(src, GROUP)
    with zipfile.ZipFile(src) as z:
        xml = z.read(part)
    xml = xml.replace(b"</sheetData>", b'<row r="1048576">' + cell + b"</row></sheetData>", 1)
    return with_parts(src, dst, replace={part: xml})


def code_of(path: Path) -> str:
    try:
        sandbox.Reader().read(path)
    except UnreadableFile as exc:
        return exc.finding.code
    return "read"


FAR_SPELLINGS = {
    "lower case": b'<c r="xfd1048576" t="inlineStr"><is><t>x</t></is></c>',
    "single quotes": b"<c r='XFD1048576' t=\"inlineStr\"><is><t>x</t></is></c>",
    "spaces around =": b'<c r = "XFD1048576" t="inlineStr"><is><t>x</t></is></c>',
    "tab before r": b'<c\tr="XFD1048576" t="inlineStr"><is><t>x</t></is></c>',
    "r not first": b'<c t="inlineStr" s="0" r="XFD1048576"><is><t>x</t></is></c>',
    "decimal reference": b'<c r="&#88;FD1048576" t="inlineStr"><is><t>x</t></is></c>',
    "hex reference": b'<c r="XF&#x44;104857&#x36;" t="inlineStr"><is><t>x</t></is></c>',
    "prefixed element": b'<x:c xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" r="XFD1048576"'
    b' t="inlineStr"><x:is><x:t>x</x:t></x:is></x:c>',
    "second r wins": b'<c r="A1" r="XFD1048576" t="inlineStr"><is><t>x</t></is></c>',
    "> inside a value": b'<c s="0" xml:lang="a>b" r="XFD1048576" t="inlineStr"><is><t>x</t></is></c>',
    "no reference, far row": b'<c t="inlineStr"><is><t>x</t></is></c>' * 3,
}


@pytest.mark.parametrize("spelling", list(FAR_SPELLINGS), ids=list(FAR_SPELLINGS))
def test_every_spelling_of_a_far_cell_is_refused_by_the_guard(
    spelling: str, month: Path, tmp_path: Path, fresh_reader: None
) -> None:
    """The guard (first wall) refuses it; the worker never has to die for it."""
    path = with_far_cell(good(month), tmp_path / "far.xlsx", FAR_SPELLINGS[spelling])
    assert intake.sheet_extent(zipfile.ZipFile(path).read(sheet_part(path, GROUP)))[0] == 1048576
    assert code_of(path) == "sheet-too-large"


def test_a_sheet_without_cells_far_away_is_read(month: Path, tmp_path: Path) -> None:
    styled = b'<c r="XFD1048576" s="1"/><c r="XFC1048576" s="1"></c>'  # formatted, empty: not read
    path = with_far_cell(good(month), tmp_path / "styled.xlsx", styled)
    (sub,) = sandbox.Reader().read(path)
    assert sub.group == GROUP and not [f for f in sub.findings if f.is_error]


def test_a_declared_count_larger_than_what_is_there_is_refused(month: Path, tmp_path: Path) -> None:
    """``uniqueCount="4294967295"`` made the reader reserve ~100 GB at open and abort."""
    sst = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        b"2006/main\" count = '1' uniqueCount = '4294967295'><si><t>x</t></si></sst>"
    )
    path = with_parts(good(month), tmp_path / "sst.xlsx", add={"xl/sharedStrings.xml": sst})
    with pytest.raises(UnreadableFile) as caught:
        sandbox.Reader().read(path, display="sst.xlsx")
    assert caught.value.finding.code == "file-corrupt"
    assert "声明有 4294967295 项，实际只有 1 项" in caught.value.message


def test_a_declared_count_behind_a_decoy_is_refused(month: Path, tmp_path: Path) -> None:
    """An honest-looking <sst> in a comment before the real root must not hide the real declaration."""
    sst = (
        b'<!-- <sst uniqueCount="1"> -->\n<x:sst xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/'
        b'2006/main" uniqueCount="&#52;294967295"><x:si><x:t>x</x:t></x:si></x:sst>'
    )
    path = with_parts(good(month), tmp_path / "sst.xlsx", add={"xl/sharedStrings.xml": sst})
    with pytest.raises(UnreadableFile) as caught:
        sandbox.Reader().read(path)
    assert caught.value.finding.code == "file-corrupt" and "4294967295" in caught.value.message


def test_an_honest_shared_string_table_is_read(month: Path, tmp_path: Path) -> None:
    sst = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2">'
        b"<si><t>a</t></si><si><t>b</t></si></sst>"
    )
    path = with_parts(good(month), tmp_path / "sst.xlsx", add={"xl/sharedStrings.xml": sst})
    (sub,) = sandbox.Reader().read(path)
    assert sub.group == GROUP


def test_a_utf16_sheet_is_refused_as_damaged(month: Path, tmp_path: Path) -> None:
    """Was refused as 找不到表头 (the reader saw an empty sheet)."""
    src = good(month)
    part = sheet_part(src, GROUP)
    with zipfile.ZipFile(src) as z:
        xml = z.read(part).decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    path = with_parts(src, tmp_path / "utf16.xlsx", replace={part: xml.encode("utf-16")})
    with pytest.raises(UnreadableFile) as caught:
        sandbox.Reader().read(path)
    assert caught.value.finding.code == "file-corrupt" and "UTF-8" in caught.value.message


def test_crafted_elements_are_read_in_linear_time(month: Path, tmp_path: Path) -> None:
    """30,000 ``<c:x r="AA200">`` elements made the guard's pattern take ~4 minutes on an 18 KB file.
    Run in a child with a time-out far above a linear read (a hang guard, not a speed figure)."""
    src = good(month)
    part = sheet_part(src, GROUP)
    with zipfile.ZipFile(src) as z:
        xml = z.read(part)
    junk = b'<c:x r="AA200">' * 30000
    xml = xml.replace(b"</sheetData>", b"</sheetData>" + junk, 1)
    path = with_parts(src, tmp_path / "crafted.xlsx", replace={part: xml})
    script = textwrap.dedent(f"""
        from qyx_excel import intake
        from qyx_excel.errors import UnreadableFile
        try:
            intake.read_file({str(path)!r})
            print("read")
        except UnreadableFile as exc:
            print(exc.finding.code)
    """)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-800:]
    assert done.stdout.strip() in ("read", "file-corrupt")


# ================================================================================================
# The second wall
# ================================================================================================


def test_a_reader_that_aborts_costs_one_file(
    month: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the guard switched off (in the worker, which inherits it), calamine asks for 17 billion cells:
    the worker dies (SIGABRT or a failed allocation under its memory limit); that file gets a finding,
    the next one is read by a new worker."""
    monkeypatch.setattr(intake, "sheet_extent", lambda xml: (1, 1))
    far = with_far_cell(good(month), tmp_path / "far.xlsx", FAR_SPELLINGS["lower case"])
    with sandbox.Reader() as reader:
        results = list(
            reader.read_many([(str(far), "far.xlsx", None), (str(good(month)), "good.xlsx", None)])
        )
    (_, first), (_, second) = results
    assert isinstance(first, UnreadableFile) and first.finding.code == "file-reader-failed", first
    assert "异常退出" in first.message or "内存" in first.message
    assert [s.group for s in second] == [GROUP]


def test_a_reader_that_hangs_is_stopped(month: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    real = intake.read_file

    def slow(path, **kw):
        if "hang" in str(kw.get("display")):
            time.sleep(600)
        return real(path, **kw)

    monkeypatch.setattr(intake, "read_file", slow)
    with sandbox.Reader(seconds=2) as reader:
        results = list(
            reader.read_many([(str(good(month)), "hang.xlsx", None), (str(good(month)), "good.xlsx", None)])
        )
    (_, first), (_, second) = results
    assert isinstance(first, UnreadableFile) and first.finding.code == "file-reader-failed"
    assert "超过 2 秒" in first.message
    assert [s.group for s in second] == [GROUP]


def test_a_batch_survives_a_file_that_kills_the_reader(
    month: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fresh_reader: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``qyx consolidate`` over an inbox holding such a file and the nine good ones: the file is archived
    and reported, the nine groups are accepted, the run ends with exit code 1 (a refused file)."""
    import shutil

    from qyx_excel.workbook import build_workbook

    monkeypatch.setattr(intake, "sheet_extent", lambda xml: (1, 1))  # only the second wall is left
    inbox = tmp_path / "收件箱"
    shutil.copytree(month, inbox)
    bad = with_far_cell(good(month), inbox / "2024-03_劳有所得（补充）.xlsx", FAR_SPELLINGS["lower case"])
    ledger = build_workbook(tmp_path / "七优享台账.xlsm", year=2024)
    code = cli.main(
        ["consolidate", "--period", "2024-03", "--ledger", str(ledger), "--inbox", str(inbox), "--json"]
    )
    out, err = capsys.readouterr()
    assert "内部错误" not in err and "Traceback" not in err
    data = json.loads(out)
    assert code == 1
    (report,) = [f for f in data["files"] if f["file_name"] == bad.name]
    assert report["status"] == "unreadable" and report["findings"][0]["code"] == "file-reader-failed"
    assert data["missing"] == [] and data["refused"] == []
    archived = list((tmp_path / "历史库" / "archive").glob("*/*.xlsx"))
    assert any(p.read_bytes() == bad.read_bytes() for p in archived)


def test_qyx_check_survives_a_file_that_kills_the_reader(
    month: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fresh_reader: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``qyx check DIR`` (the worker reads and checks, up to 16 files ahead): the killing file is listed as
    unreadable (exit code 2), every other file of the folder is checked."""
    import shutil

    monkeypatch.setattr(intake, "sheet_extent", lambda xml: (1, 1))
    folder = tmp_path / "收件箱"
    shutil.copytree(month, folder)
    bad = with_far_cell(good(month), folder / "2024-03_劳有所得（远处）.xlsx", FAR_SPELLINGS["lower case"])
    code = cli.main(["check", str(folder), "--period", "2024-03", "--json"])
    out, err = capsys.readouterr()
    assert "内部错误" not in err and "Traceback" not in err
    files = {Path(f["path"]).name: f for f in json.loads(out)["files"]}
    assert code == 2 and len(files) == 10
    assert [x["code"] for x in files[bad.name]["findings"]] == ["file-reader-failed"]
    assert all(f["group"] for name, f in files.items() if name != bad.name)


def test_a_spawned_worker_as_on_windows(month: Path, tmp_path: Path) -> None:
    """Where there is no fork (Windows) the worker is spawned: from a script without an
    ``if __name__ == "__main__"`` guard too (spawn would otherwise run the script again in the worker)."""
    script = tmp_path / "no_guard.py"
    script.write_text(
        textwrap.dedent(f"""
        from qyx_excel import sandbox
        from qyx_excel.checks import check_paths
        sandbox._can_fork = lambda: False
        results = check_paths(sorted(__import__("glob").glob({str(month / "*.xlsx")!r})), period="2024-03")
        print(len(results), sum(r.ok for r in results), sum(r.unreadable for r in results))
    """),
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-800:]
    assert done.stdout.split() == ["9", "9", "0"]
