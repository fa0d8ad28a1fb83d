"""Issue 7 end to end: files from other departments — every bad input gets a clear message, nothing is lost.

Each hostile file (``hostile_files.CASES``) goes through the command line as a clerk would run it:
``qyx check`` on the file, then ``qyx consolidate`` on an inbox holding it *and* a good file of
another group, over a copy of a month already half consolidated.  Every run asserts the finding's
code, a Chinese message and no traceback; that the good file of the same batch is accepted; that
the ledger's group sheets, its macros, the store's earlier rows and the earlier outputs (notice,
tables, export) are unchanged; that no accepted submission is missing from the store afterwards;
and that no temporary file is left behind.  Then: typed text in every output, conflicting
submissions, output files held open or failing half-way, a broken notice template, and one inbox
mixing everything (also run as a real subprocess), which gives the figure in docs/hostile-inputs.md.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import requires_soffice
from crafted_files import count_inflated
from hostile_files import (
    ACCEPTED,
    CASE_BY_ID,
    CASES,
    DUPLICATE,
    FORMULA_NOTES,
    FORMULA_PROBLEM,
    FORMULA_SOURCE,
    LATE,
    LATER,
    LONG_NOTE,
    MARCH,
    NUMBER_TEXTS,
    OTHER_PERIOD,
    REFUSED,
    TRICKY_ID,
    TRICKY_NOTE,
    UNREADABLE,
    Case,
    Workspace,
    assert_clean,
    build_workspace,
    edit_book,
    qyx,
    received_later,
    set_cells,
    value_cell,
)
from python_calamine import CalamineWorkbook

from qyx_excel import cli, safeio
from qyx_excel.findings import CODES
from qyx_excel.glossary import (
    GROUPS,
    SHEET_FINDINGS,
    SHEET_RANKING,
    SHEET_SUMMARY,
    SHEET_SUPERVISION,
    SHEET_TABLES,
)
from qyx_excel.layout import SUMMARY_HEADER_ROW
from qyx_excel.ledger import SUMMARY_COLUMNS
from qyx_excel.store import TABLES, Store

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "hostile-inputs.md"
RESULT_SHEETS = {SHEET_SUMMARY, SHEET_RANKING, SHEET_FINDINGS, SHEET_TABLES, SHEET_SUPERVISION, "_meta"}
_SUBMISSION_GROUP, _SUBMISSION_SUPERSEDED_BY = 5, 10  # columns of store.submissions


# ================================================================================================
# Fixtures and helpers
# ================================================================================================


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """March half done: 8 groups accepted and consolidated, notice/tables/export written."""
    return build_workspace(tmp_path_factory.mktemp("hostile") / "七优享 工作区")


@pytest.fixture()
def ws(base: Workspace, tmp_path: Path) -> Workspace:
    return base.copy(tmp_path / "本月 工作区")


def fixed_words(code: str) -> str:
    """The longest fixed (Chinese) part of a finding's message template."""
    return max(re.split(r"\{[^}]*\}", CODES[code].template), key=len)


def temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.startswith(safeio.TEMP_PREFIX)]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def ledger_inputs(ledger: Path) -> dict[str, list[list[Any]]]:
    """Every sheet of the ledger except those the results are written to, as calamine reads them."""
    book = CalamineWorkbook.from_path(str(ledger))
    try:
        return {
            name: book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            for name in book.sheet_names
            if name not in RESULT_SHEETS
        }
    finally:
        book.close()


def vba_of(path: Path) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read("xl/vbaProject.bin")


def store_dump(store: Path) -> dict[str, list[tuple]]:
    with Store(store) as st:
        return st.dump()


@dataclass
class Snapshot:
    """What must not change (or only grow) when received files are hostile."""

    ledger: bytes
    inputs: dict[str, list[list[Any]]]
    vba: bytes
    store: dict[str, list[tuple]]
    outputs: dict[str, bytes]
    accepted: dict[int, tuple[str, str, bytes]]  # submission id -> (sha, sheet, archived bytes)


def snapshot(ws: Workspace) -> Snapshot:
    outputs = {p.name: p.read_bytes() for p in (ws.notice, ws.tables, ws.export)}
    return Snapshot(
        ws.ledger.read_bytes(),
        ledger_inputs(ws.ledger),
        vba_of(ws.ledger),
        store_dump(ws.store),
        outputs,
        accepted_in_store(ws),
    )


def accepted_in_store(ws: Workspace) -> dict[int, tuple[str, str, bytes]]:
    """Accepted submissions with their archived bytes (what 'nothing is lost' is about)."""
    found = {}
    with Store(ws.store) as st:
        for s in st.submissions():
            if s.accepted:
                ext = st.db.execute("SELECT ext FROM files WHERE sha256 = ?", (s.sha256,)).fetchone()["ext"]
                path = st.archive_path(s.sha256, ext)
                found[s.id] = (s.sha256, s.sheet, path.read_bytes() if path.is_file() else b"")
    return found


def lost(before: Snapshot, ws: Workspace, sent_good: list[Path]) -> list[str]:
    """Accepted submissions missing from the store: earlier ones gone or changed, good files not kept."""
    now = accepted_in_store(ws)
    missing = [f"submission {sid}" for sid, item in before.accepted.items() if now.get(sid) != item]
    kept = {(s, data) for s, _sheet, data in now.values()}
    for path in sent_good:
        data = path.read_bytes()
        if (sha(data), data) not in kept:
            missing.append(path.name)
    return missing


def assert_store_append_only(
    before: dict[str, list[tuple]],
    after: dict[str, list[tuple]],
    may_supersede: set[str | None] = frozenset(),
) -> None:
    """Rows recorded before are all still there, unchanged; only a later accepted submission of a group in
    ``may_supersede`` may point an earlier one at itself (``superseded_by``)."""
    for table in TABLES:
        if table == "consolidations":  # a period's consolidation is replaced by design
            continue
        old, new = before[table], after[table]
        assert len(new) >= len(old), table
        for o, n in zip(old, new, strict=False):
            if o == n:
                continue
            assert table == "submissions", (table, o, n)
            assert o[_SUBMISSION_GROUP] in may_supersede, (o, n)
            same = [x for i, x in enumerate(o) if i != _SUBMISSION_SUPERSEDED_BY]
            assert same == [x for i, x in enumerate(n) if i != _SUBMISSION_SUPERSEDED_BY]


def assert_outputs_unchanged(before: Snapshot, ws: Workspace) -> None:
    for p in (ws.notice, ws.tables, ws.export):
        assert p.read_bytes() == before.outputs[p.name], p.name


def current_values(ws: Workspace, group: str, period: str = MARCH) -> tuple[Any, Any]:
    """The current submission of ``group`` and the Submission it holds."""
    with Store(ws.store) as st:
        current = st.current(period, group)
        assert current is not None
        return current, st.load_submission(current.id)


# ================================================================================================
# Every hostile file, in a batch with a good one
# ================================================================================================


def batches() -> list[list[Case]]:
    """The cases in batches, at most one per group in a batch (so each case's group outcome is its own)."""
    out: list[list[Case]] = []
    for case in CASES:
        batch = next((b for b in out if all(c.group != case.group for c in b)), None)
        if batch is None:
            out.append(batch := [])
        batch.append(case)
    return out


BATCHES = batches()
BATCH_OF = {case.id: i for i, batch in enumerate(BATCHES) for case in batch}


@dataclass
class Batch:
    """One ``qyx consolidate`` run over an inbox holding some hostile files and the late group's good file."""

    ws: Workspace
    files: dict[str, Path]
    late: Path
    before: Snapshot
    code: int
    data: dict[str, Any]
    store_after: dict[str, list[tuple]]


def run_cli(*args: Any) -> tuple[int, str, str]:
    """``qyx`` in-process with its output captured (for module-scoped runs, where capsys is not available)."""
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([str(a) for a in args])
    assert_clean(out.getvalue() + err.getvalue())
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def batch_runs(base: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], Batch]:
    done: dict[int, Batch] = {}

    def get(i: int) -> Batch:
        if i not in done:
            ws = base.copy(tmp_path_factory.mktemp(f"batch{i}") / f"第{i + 1}批 工作区")
            files = {case.id: case.build(ws, ws.inbox / case.file_name) for case in BATCHES[i]}
            late = ws.send_late_file()
            before = snapshot(ws)
            code, out, _ = run_cli(*ws.cli_consolidate("--json"))
            done[i] = Batch(ws, files, late, before, code, json.loads(out), store_dump(ws.store))
        return done[i]

    return get


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_hostile_file_in_a_batch(
    case: Case,
    batch_runs: Callable[[int], Batch],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = batch_runs(BATCH_OF[case.id])
    ws, hostile, late, data = run.ws, run.files[case.id], run.late, run.data

    # qyx check on the file alone
    inflated = count_inflated(monkeypatch) if case.id == "压缩炸弹" else None
    code, out, _ = qyx(capsys, "check", hostile, "--period", MARCH)
    if inflated is not None:
        assert inflated[0] < safeio.MB, inflated[0]  # refused from the central directory, never inflated
        monkeypatch.undo()
    assert code == case.check_exit, out
    first = out.splitlines()[0]
    assert first.startswith(f"{hostile}：{'通过' if case.check_exit == 0 else '未通过'}"), first
    for c in case.codes:
        assert f"（{c}）" in out and fixed_words(c) in out, (c, out)
    passed = int(case.check_exit == 0)
    assert out.rstrip().splitlines()[-1] == f"共 1 个文件，{passed} 个通过，{1 - passed} 个未通过。"

    # qyx consolidate on the inbox: the hostile files of the batch and a good file of another group
    mine = [f for f in data["files"] if f["file_name"] == case.file_name]
    assert mine, data["files"]
    found = {x["code"] for f in mine for x in f["findings"]}
    assert set(case.codes) <= found, found
    for f in mine:
        for x in f["findings"]:
            assert re.search(r"[\u4e00-\u9fff]", x["message"]) and "？" not in x["message"], x
            assert x["file"] == case.file_name
    status = {
        UNREADABLE: "unreadable",
        REFUSED: "refused",
        ACCEPTED: "accepted",
        OTHER_PERIOD: OTHER_PERIOD,
        DUPLICATE: "duplicate",
    }
    assert {f["status"] for f in mine} == {status[case.outcome]}, mine
    if case.outcome in (UNREADABLE, REFUSED):
        assert set(case.codes) & {x["code"] for f in mine for x in f["findings"] if x["severity"] == "error"}
        assert run.code == 1
    if all(c.outcome in (ACCEPTED, OTHER_PERIOD, DUPLICATE) for c in BATCHES[BATCH_OF[case.id]]):
        assert run.code == 0

    # the good file of the same batch went through
    (other,) = [f for f in data["files"] if f["file_name"] == late.name]
    assert (other["status"], other["group"]) == ("accepted", LATE)
    assert data["missing"] == [] and data["refused"] == []
    rows = {r["id"]: r for r in data["indicators"]}
    late_rows = [r for r in rows.values() if r["group"] == LATE]
    assert late_rows and {r["source_file"] for r in late_rows} == {late.name}
    # the hostile file's group: its earlier accepted file still counts unless the new one was accepted
    group_rows = [r for r in rows.values() if r["group"] == case.group]
    if group_rows:
        expected = case.file_name if case.outcome == ACCEPTED else ws.good(case.group).name
        assert {r["source_file"] for r in group_rows} == {expected}

    # nothing changed that must not, nothing lost, nothing left behind
    before = run.before
    assert ledger_inputs(ws.ledger) == before.inputs
    assert vba_of(ws.ledger) == before.vba  # macros of a received file never reach the ledger
    assert_outputs_unchanged(before, ws)
    may = {c.group for c in BATCHES[BATCH_OF[case.id]] if c.outcome in (ACCEPTED, OTHER_PERIOD)} | {LATE}
    assert_store_append_only(before.store, run.store_after, may)
    good = [late] + ([hostile] if case.outcome in (ACCEPTED, OTHER_PERIOD, DUPLICATE) else [])
    assert lost(before, ws, good) == []
    with Store(ws.store) as st:  # the hostile file itself is archived as received, whatever it is
        data_bytes = hostile.read_bytes()
        archived = [
            p for p in (ws.store / "archive").glob(f"*/{sha(data_bytes)}.*") if "receipt" not in p.name
        ]
        assert [p.read_bytes() == data_bytes for p in archived] == [True]
        first_name = ws.good(case.group).name if case.outcome == DUPLICATE else case.file_name
        assert st.read_receipt(sha(data_bytes)).file_name == first_name
    assert temp_files(ws.root) == []
    EXTRA.get(case.id, lambda *_: None)(ws, hostile, data)


# --- what each case must have read, beyond its code ------------------------------------------------


def _numbers(ws: Workspace, hostile: Path, data: dict) -> None:
    _, sub = current_values(ws, "弱有众扶")
    for ind, (_text, number) in NUMBER_TEXTS.items():
        assert sub.indicators[ind].value.kind == "number" and sub.indicators[
            ind
        ].value.number == pytest.approx(number)
    rows = {r["id"]: r for r in data["indicators"]}
    assert rows["40"]["value"] == pytest.approx(12791.5)


def _dates(ws: Workspace, hostile: Path, data: dict) -> None:
    group = next(c.group for c in CASES if c.file_name == hostile.name)
    current, _ = current_values(ws, group)
    with Store(ws.store) as st:
        header = json.loads(
            st.db.execute("SELECT header FROM submissions WHERE id = ?", (current.id,)).fetchone()["header"]
        )
    assert header["填报日期"] == "2024-04-03"


def _reordered(ws: Workspace, hostile: Path, data: dict) -> None:
    from qyx_excel import intake

    _, original = current_values(ws, "学有优教")
    good = intake.read_file(ws.good("学有优教"))[0]
    for ind, entry in original.indicators.items():
        assert entry.value == good.indicators[ind].value
        assert entry.note == good.indicators[ind].note
        assert entry.data_source.removesuffix("（更正）") == good.indicators[ind].data_source
        assert entry.cells["数据来源"][0] == "I" and entry.note_cell[0] == "H"  # read by header, not position


def _blank_row(ws: Workspace, hostile: Path, data: dict) -> None:
    from qyx_excel import intake

    _, sub = current_values(ws, "幼有善育")
    good = intake.read_file(ws.good("幼有善育"))[0]
    for ind, entry in sub.indicators.items():
        assert entry.value == good.indicators[ind].value
        shift = 1 if entry.row >= list(good.indicators.values())[2].row + 1 else 0
        assert entry.row == good.indicators[ind].row + shift


def _control(ws: Workspace, hostile: Path, data: dict) -> None:
    _, sub = current_values(ws, "学有优教")
    assert sub.indicators["7"].note == "已完成招生计划"
    rows = {r["id"]: r for r in data["indicators"]}
    assert rows["7"]["note"] == "已完成招生计划"


def _long(ws: Workspace, hostile: Path, data: dict) -> None:
    (report,) = [f for f in data["files"] if f["file_name"] == hostile.name]
    (finding,) = [x for x in report["findings"] if x["code"] == "text-too-long"]
    assert str(safeio.excel_length(LONG_NOTE)) in finding["message"] and finding["cell"].startswith("I")
    with Store(ws.store) as st:  # refused, but kept whole: never silently cut
        note = st.db.execute(
            'SELECT note FROM "values" WHERE submission_id = ? AND indicator_id = "1"',
            (report["submission_id"],),
        ).fetchone()["note"]
    assert note == LONG_NOTE


def _macros(ws: Workspace, hostile: Path, data: dict) -> None:
    from oletools.olevba import VBA_Parser

    parser = VBA_Parser(str(hostile))
    try:
        code = "\n".join(src for _, _, _, src in parser.extract_macros())
    finally:
        parser.close()
    assert "Sub Auto_Open" in code  # a real macro was there ...
    assert not list(ws.root.rglob("qyx-macro-ran.txt"))  # ... and nothing ran it
    _, sub = current_values(ws, "学有优教")
    assert sub.source == hostile.name


def _other_period(ws: Workspace, hostile: Path, data: dict) -> None:
    with Store(ws.store) as st:
        february = st.current("2024-02", "病有良医")
    assert february is not None and february.file_name == hostile.name  # filed under its own month


def _duplicate(ws: Workspace, hostile: Path, data: dict) -> None:
    (report,) = [f for f in data["files"] if f["file_name"] == hostile.name]
    assert report["note"] == f"同一文件已以“{ws.good('应用贯通').name}”收到"
    with Store(ws.store) as st:  # not a second submission
        assert len(st.submissions(MARCH, "应用贯通")) == 1


EXTRA: dict[str, Callable[[Workspace, Path, dict], None]] = {
    "重复发送": _duplicate,
    "文本数字": _numbers,
    "日期文本": _dates,
    "日期序号": _dates,
    "1904日期": _dates,
    "表头调序": _reordered,
    "插入空行": _blank_row,
    "控制字符": _control,
    "超长说明": _long,
    "带宏": _macros,
    "其他期": _other_period,
}


# ================================================================================================
# Typed text reaches every output as text
# ================================================================================================


def _docx_text(path: Path) -> str:
    import docx

    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def test_typed_text_stays_text_in_every_output(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    """Notes, a data source, a task's problem and even the file's name that look like formulas, and text
    that breaks naive XML: the same text, as text, in the ledger, the tables, the notice and the export."""
    case = CASE_BY_ID["公式样文字"]
    name = "=1+1 " + case.file_name  # a file name can look like a formula too
    case.build(ws, ws.inbox / name)
    ws.send_late_file()
    code, out, _ = qyx(capsys, *ws.cli_consolidate("--json"))
    data = json.loads(out)
    assert code == 0, data["files"]
    notes = {**FORMULA_NOTES, TRICKY_ID: TRICKY_NOTE}
    rows = {r["id"]: r for r in data["indicators"]}
    assert {i: rows[i]["note"] for i in notes} == notes
    # 1 and 2 lag, so the notice quotes them; 3, 4, 5 are yearly statistics, not judged in March
    quoted = {i: n for i, n in notes.items() if i in ("1", "2")}
    assert {i: rows[i]["status"] for i in quoted} == {
        "1": "严重滞后",
        "2": "严重滞后",
    }  # 3.9 of 4.35, 40 of 56.25
    assert {rows[i]["status"] for i in notes if i not in quoted} == {"不适用"}
    assert rows["6"]["data_source"] == FORMULA_SOURCE and rows["1"]["source_file"] == name

    # the ledger: string cells (openpyxl data type "s"), the same text through calamine, no formula anywhere
    heads = [h for h, _ in SUMMARY_COLUMNS]
    note_col, file_col = 1 + heads.index("进展情况说明"), 1 + heads.index("来源文件")
    wb = openpyxl.load_workbook(ws.ledger, keep_vba=True)
    sheet = wb[SHEET_SUMMARY]
    by_id = {sheet.cell(r, 1).value: r for r in range(SUMMARY_HEADER_ROW + 1, sheet.max_row + 1)}
    for ind, note in notes.items():
        cell = sheet.cell(by_id[ind], note_col)
        assert (cell.value, cell.data_type) == (note, "s")
        cell = sheet.cell(by_id[ind], file_col)
        assert (cell.value, cell.data_type) == (name, "s")
    listed = [c for row in wb[SHEET_FINDINGS].iter_rows() for c in row if c.value == name]
    assert listed and all(c.data_type == "s" for c in listed)  # 校验结果 names the file too
    book = CalamineWorkbook.from_path(str(ws.ledger))
    grid = book.get_sheet_by_name(SHEET_SUMMARY).to_python(skip_empty_area=False)
    book.close()
    shown = {row[0]: (row[note_col - 1], row[file_col - 1]) for row in grid[SUMMARY_HEADER_ROW:]}
    assert {i: shown[i] for i in notes} == {i: (n, name) for i, n in notes.items()}
    for result_sheet in (SHEET_SUMMARY, SHEET_FINDINGS, SHEET_RANKING):
        assert not _formula_cells(ws.ledger, result_sheet), result_sheet

    # the printed tables, the notice and the export, each through the command line
    tables = ws.outputs / "新 进度表.xlsx"
    notice = ws.outputs / "新 进展通报.docx"
    export = ws.outputs / "新 上报.csv"
    for args in (("tables", "--out", tables), ("notice", "--out", notice), ("export", "--out", export)):
        code, _, err = qyx(capsys, args[0], "--period", MARCH, "--store", ws.store, *args[1:])
        assert code == 0, err
    wb = openpyxl.load_workbook(tables)
    sheet = wb["指标进度"]
    column = 1 + [c.value for c in sheet[3]].index("进展情况说明")  # after 预警等级 when the store has levels
    cells = {sheet.cell(r, 2).value: sheet.cell(r, column) for r in range(4, sheet.max_row + 1)}
    for ind, note in notes.items():
        assert (cells[ind].value, cells[ind].data_type) == (note, "s")
    problems = [c for row in wb["重点任务"].iter_rows() for c in row if c.value == FORMULA_PROBLEM]
    assert len(problems) == 1 and problems[0].data_type == "s"
    for table_sheet in wb.sheetnames:
        assert not _formula_cells(tables, table_sheet), table_sheet

    text = _docx_text(notice)
    # the notice quotes each lagging item's reason, cut to fit its pages when many items lag (whole in 汇总 above)
    for typed in (*quoted.values(), FORMULA_PROBLEM):
        assert typed[:14] in text, typed
    with zipfile.ZipFile(notice) as z:
        xml = z.read("word/document.xml").decode()
    assert "R&amp;D &lt;Ops&gt;" in xml and "<w:br/>" in xml

    with open(export, encoding="utf-8-sig", newline="") as fh:
        table = {r["indicator_id"]: r for r in csv.DictReader(fh)}
    for ind, note in FORMULA_NOTES.items():
        assert table[ind]["note"] == "'" + note  # Excel opens it as text, not as a formula
        assert table[ind]["source_file"] == "'" + name
    assert table[TRICKY_ID]["note"] == TRICKY_NOTE and table["6"]["source"] == "'" + FORMULA_SOURCE
    from qyx_excel.export import read_export

    back = {r.indicator_id: r for r in read_export(export).indicators}
    assert {i: back[i].note for i in notes} == notes
    assert (back["6"].source, back["1"].source_file) == (FORMULA_SOURCE, name)


def test_an_accepted_tiny_value_still_exports_to_csv(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    from qyx_excel import intake

    good = ws.good("幼有善育")
    sub = intake.read_file(good)[0]
    edit_book(good, ws.inbox / f"{MARCH}_幼有善育（小数）.xlsx", set_cells({value_cell(sub, "5"): 0.00005}))
    code, out, _ = qyx(capsys, *ws.cli_consolidate("--json"))
    assert {r["id"]: r["value"] for r in json.loads(out)["indicators"]}["5"] == 0.00005  # accepted
    code, _, err = qyx(
        capsys, "export", "--period", MARCH, "--store", ws.store, "--out", ws.outputs / "小数.csv"
    )
    assert code == 0, err


def _formula_cells(path: Path, sheet: str) -> list[str]:
    """Cells of ``sheet`` stored as formulas (none may hold typed text)."""
    from hostile_files import sheet_part

    with zipfile.ZipFile(path) as z:
        xml = z.read(sheet_part(path, sheet)).decode()
    return [
        m.group(1)
        for m in re.finditer(r'<c r="([A-Z]+\d+)"[^>]*>((?:(?!</c>).)*)</c>', xml, re.S)
        if re.search(r"<f[ >/]", m.group(2))
    ]


@requires_soffice
def test_tricky_notice_opens_in_libreoffice(
    ws: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from qyx_excel.office import convert

    case = CASE_BY_ID["公式样文字"]
    case.build(ws, ws.inbox / case.file_name)
    assert qyx(capsys, *ws.cli_consolidate())[0] == 1  # 住有宜居 still missing
    notice = ws.outputs / "通报 LibreOffice.docx"
    assert qyx(capsys, "notice", "--period", MARCH, "--store", ws.store, "--out", notice)[0] == 0
    text = convert(notice, "txt", tmp_path).read_text(encoding="utf-8-sig")
    assert 'R&D <Ops> "A" 与' in text  # quoted in the notice's body, cut to fit when many items lag
    assert FORMULA_NOTES["1"][:14] in text


# ================================================================================================
# Two submissions of one group and period
# ================================================================================================


def test_conflicting_submissions_later_wins_earlier_kept(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    from qyx_excel import intake

    good = ws.good("幼有善育")
    sub = intake.read_file(good)[0]
    first = edit_book(
        good, ws.inbox / f"{MARCH}_幼有善育（第一次更正）.xlsx", set_cells({value_cell(sub, "1"): 4.4})
    )
    second = edit_book(
        good, ws.inbox / f"{MARCH}_幼有善育（第二次更正）.xlsx", set_cells({value_cell(sub, "1"): 4.5})
    )
    received_later(second, LATER.replace(hour=17))
    late = ws.send_late_file()
    before = snapshot(ws)
    code, out, _ = qyx(capsys, *ws.cli_consolidate("--json"))
    data = json.loads(out)
    assert code == 0
    rows = {r["id"]: r for r in data["indicators"]}
    assert (rows["1"]["value"], rows["1"]["source_file"]) == (4.5, second.name)
    status = {
        f["file_name"]: f["status"] for f in data["files"] if f["file_name"] in (first.name, second.name)
    }
    assert status == {first.name: "superseded", second.name: "accepted"}
    findings = [f for f in data["findings"] if f["code"].startswith("submission-")]
    codes = {(f["code"], f["file"]) for f in findings}
    assert ("submission-superseded", second.name) in codes
    conflicts = [f for f in findings if f["code"] == "submission-conflict"]
    assert {f["file"] for f in conflicts} == {second.name}
    assert any(first.name in f["message"] for f in conflicts) and any(
        good.name in f["message"] for f in conflicts
    )
    assert all(f["severity"] == "warning" for f in findings)
    with Store(ws.store) as st:  # every version kept, in received order, the last one current
        current = st.current(MARCH, "幼有善育")
        history = st.history(current.id)
        assert [h.file_name for h in history] == [good.name, first.name, second.name]
        assert [h.superseded_by for h in history] == [current.id, current.id, None]
        for h in history:
            ext = Path(h.file_name).suffix.lstrip(".")
            assert st.archive_path(h.sha256, ext).is_file()
    wb = openpyxl.load_workbook(ws.ledger, read_only=True)
    listed = [
        r
        for r in wb[SHEET_FINDINGS].iter_rows(values_only=True)
        if len(r) > 9 and r[9] in ("submission-superseded", "submission-conflict")
    ]  # the code's column (the clerk reads r[2])
    wb.close()
    assert listed, "the warnings are listed in 校验结果"
    assert lost(before, ws, [late, first, second]) == []


# ================================================================================================
# Outputs held open, writers failing half-way, a broken template
# ================================================================================================


OUTPUTS = ("ledger", "notice", "tables")


def _command(ws: Workspace, which: str) -> tuple[list[Any], Path]:
    if which == "ledger":
        return ws.cli_consolidate(), ws.ledger
    target = ws.notice if which == "notice" else ws.tables
    return [which, "--period", MARCH, "--store", ws.store, "--out", target], target


def _owner_file(target: Path) -> Path:
    """The owner file Excel or Word leaves next to a document it has open."""
    name = target.name
    if target.suffix == ".docx" and len(target.stem) >= 8:
        name = name[2:]  # Word shortens: ~$年3月 进展通报.docx
    return target.with_name("~$" + name)


@pytest.mark.parametrize("how", ["owner-file", "replace-refused"])
@pytest.mark.parametrize("which", OUTPUTS)
def test_output_held_open(
    which: str, how: str, ws: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    late = ws.send_late_file()
    args, target = _command(ws, which)
    before = snapshot(ws)
    old = target.read_bytes()
    backups = safeio.backups_of(target)
    if how == "owner-file":
        _owner_file(target).write_bytes(b"\x0cOwner")
    else:
        real = os.replace

        def replace(src: Any, dst: Any, *a: Any, **k: Any) -> None:
            if Path(dst) == target:
                raise PermissionError(13, "另一个程序正在使用此文件，进程无法访问。")
            real(src, dst, *a, **k)

        monkeypatch.setattr(os, "replace", replace)
    code, _, err = qyx(capsys, *args)
    assert code == 1
    (line,) = [x for x in err.splitlines() if x.startswith("错误：")]
    assert "请先关闭该文件后重试" in line and target.name in line
    assert target.read_bytes() == old
    assert safeio.backups_of(target) == backups
    assert temp_files(ws.root) == []
    if which == "ledger":  # the month is kept in the store: close the ledger, run again, nothing lost
        assert lost(before, ws, [late]) == []
        monkeypatch.undo()
        _owner_file(target).unlink(missing_ok=True)
        code, _, _ = qyx(capsys, *args)
        assert code == 0 and target.read_bytes() != old
        assert lost(before, ws, [late]) == []
    else:
        assert_store_append_only(before.store, store_dump(ws.store))


@pytest.mark.parametrize("which", OUTPUTS)
def test_writer_failing_half_way(
    which: str, ws: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    late = ws.send_late_file()
    args, target = _command(ws, which)
    before = snapshot(ws)
    old = target.read_bytes()

    def half(path: Any) -> None:
        with open(path, "wb") as fh:
            fh.write(b"PK\x03\x04" + b"\x00" * 100)
        raise OSError(28, "磁盘空间不足")

    if which == "ledger":
        monkeypatch.setattr(openpyxl.Workbook, "save", lambda self, filename: half(filename))
    elif which == "notice":
        import docxtpl

        monkeypatch.setattr(docxtpl.DocxTemplate, "save", lambda self, filename, *a, **k: half(filename))
    else:
        import xlsxwriter

        monkeypatch.setattr(xlsxwriter.Workbook, "close", lambda self: half(self.filename))
    code, _, err = qyx(capsys, *args)
    assert code == 1
    assert f"写入“{target.name}”失败，原文件保持不变" in err and "磁盘空间不足" in err
    assert target.read_bytes() == old
    assert temp_files(ws.root) == []
    assert lost(before, ws, [late] if which == "ledger" else []) == []


@pytest.mark.parametrize("damage", ["截断", "空文件", "PDF"])
def test_a_damaged_ledger_is_named_and_its_backup_brings_it_back(
    damage: str, ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    from hostile_files import PDF

    late = ws.send_late_file()
    before = snapshot(ws)
    good = ws.ledger.read_bytes()
    ws.ledger.write_bytes({"截断": good[: len(good) // 2], "空文件": b"", "PDF": PDF}[damage])
    damaged = ws.ledger.read_bytes()
    code, _, err = qyx(capsys, *ws.cli_consolidate())
    assert code == 2
    (line,) = [x for x in err.splitlines() if x.startswith("错误：")]
    (backup,) = safeio.backups_of(ws.ledger)
    assert line.startswith(f"错误：台账“{ws.ledger.name}”无法打开（") and f"“{backup.name}”" in line
    assert ws.ledger.read_bytes() == damaged and store_dump(ws.store) == before.store
    assert temp_files(ws.root) == []
    shutil.copyfile(backup, ws.ledger)  # what the message says to do
    code, _, _ = qyx(capsys, *ws.cli_consolidate())
    assert code == 0 and lost(before, ws, [late]) == []


@pytest.mark.parametrize("which", ["text", "word"])
def test_notice_template_with_a_missing_variable(
    which: str,
    ws: Workspace,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from qyx_excel import notice

    folder = tmp_path / "模板 副本"
    folder.mkdir()
    if which == "text":
        broken = folder / notice.TEXT_TEMPLATE.name
        text = notice.TEXT_TEMPLATE.read_text(encoding="utf-8")
        broken.write_text(
            text.replace("{{ H1 }}{{ s.n|cn }}、存在问题", "{{ H1 }}{{ s.n|cn }}、{{ 存在问题标题 }}", 1),
            encoding="utf-8",
        )
        monkeypatch.setattr(notice, "TEXT_TEMPLATE", broken)
    else:
        broken = folder / notice.DOCX_TEMPLATE.name
        with (
            zipfile.ZipFile(notice.DOCX_TEMPLATE) as zin,
            zipfile.ZipFile(broken, "w", zipfile.ZIP_DEFLATED) as zout,
        ):
            for item in zin.infolist():
                data = zin.read(item.filename)
                if item.filename == "word/document.xml":
                    data = data.replace(b"{{ signer }}", b"{{ signer_name }}", 1)
                    assert b"signer_name" in data
                zout.writestr(item, data)
        monkeypatch.setattr(notice, "DOCX_TEMPLATE", broken)
    old = ws.notice.read_bytes()
    code, _, err = qyx(capsys, "notice", "--period", MARCH, "--store", ws.store, "--out", ws.notice)
    missing = "存在问题标题" if which == "text" else "signer_name"
    assert code == 2
    assert f"引用了不存在的变量“{missing}”" in err and err.startswith("错误：通报")
    assert ws.notice.read_bytes() == old
    assert temp_files(ws.root) == []


# ================================================================================================
# One inbox mixing everything
# ================================================================================================


@pytest.fixture(scope="module")
def mixed(base: Workspace, tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, dict[str, Path]]:
    """One inbox: every hostile file, the eight groups' first files and the late group's good file."""
    ws = base.copy(tmp_path_factory.mktemp("mixed") / "混合 工作区")
    files = {case.id: case.build(ws, ws.inbox / case.file_name) for case in CASES}
    files["good"] = ws.send_late_file()
    # what else lies in a real inbox: Excel's owner file of a book someone has open, Windows' thumbnails
    (ws.inbox / f"~${MARCH}_幼有善育.xlsx").write_bytes(b"\x08zhangsan" + b"\x00" * 150)
    (ws.inbox / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 500)
    return ws, files


def test_one_inbox_mixing_everything(
    mixed: tuple[Workspace, dict[str, Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    ws, files = mixed
    before = snapshot(ws)
    good_first = sorted(ws.good(g) for g in GROUPS if g != LATE)

    code, out, _ = qyx(capsys, "check", ws.inbox, "--period", MARCH)
    assert code == 2
    lines = out.splitlines()
    total = len(CASES) + len(good_first) + 1  # the owner file is not a submission
    assert f"~${MARCH}" not in out
    bad = sum(1 for c in CASES if c.check_exit != 0)
    assert lines[-1] == f"共 {total} 个文件，{total - bad} 个通过，{bad} 个未通过。"
    enc = files["加密"]
    at = lines.index(f"{enc}：未通过（未知专项组，未知填报期）")
    assert lines[at + 1] == f"    [错误] {CODES['file-encrypted'].template}（file-encrypted）"
    assert f"{files['good']}：通过（住有宜居，2024-03）" in lines
    macro = lines.index(f"{files['带宏']}：通过（学有优教，2024-03）")
    assert lines[macro + 1].startswith("    [提醒]") and lines[macro + 1].endswith("（file-has-macros）")

    code, text, _ = qyx(capsys, *ws.cli_consolidate())
    assert code == 1
    assert "2024年3月汇总完成" in text and "已受理 9 个专项组" in text
    code, out, _ = qyx(capsys, *ws.cli_consolidate("--json"))  # the same run again: recorded, nothing new
    assert code == 1
    data = json.loads(out)
    lines = text.splitlines()
    listed = lines[lines.index("未受理或被替代的文件：") + 1 :]
    words = {"unreadable": "无法读取，已拒收", "refused": "未通过校验，已退回"}
    for report in data["files"]:
        if report["status"] in words:
            name = report["file_name"] + (f" › {report['sheet']}" if report["sheet"] else "")
            at = listed.index(f"  {name}：{words[report['status']]}")
            errors = [f for f in report["findings"] if f["severity"] == "error"]
            assert errors and all(
                f"（{f['code']}）" in line for f, line in zip(errors, listed[at + 1 :], strict=False)
            )
    assert (
        f"  {files['其他期'].name} › 病有良医：属于其他填报期（填报期为 2024-02，已按该期存入历史库，不计入本期）"
        in listed
    )
    kept = [files[c.id] for c in CASES if c.outcome in (ACCEPTED, OTHER_PERIOD, DUPLICATE)]
    missing = lost(before, ws, [files["good"], *kept])
    figure = hostile_figure(data, files, missing)
    print(f"\nhostile inputs: {figure}")
    assert figure["tried"] == len(CASES) and figure["clear"] == len(CASES) and figure["lost"] == 0, missing
    assert data["missing"] == [] and data["refused"] == []
    assert ledger_inputs(ws.ledger) == before.inputs and vba_of(ws.ledger) == before.vba
    assert_outputs_unchanged(before, ws)
    assert temp_files(ws.root) == []
    assert figure == documented_figure()


def hostile_figure(data: dict, files: dict[str, Path], missing: list[str]) -> dict[str, int]:
    """Bad inputs tried; handled with a clear message (the file is reported, with the expected codes and
    Chinese messages with every field filled in); data lost (accepted submissions missing from the store)."""
    by_file: dict[str, list[dict]] = {}
    for f in data["files"]:
        by_file.setdefault(f["file_name"], []).append(f)
    clear = 0
    for case in CASES:
        reports = by_file.get(files[case.id].name, [])
        findings = [x for r in reports for x in r["findings"]]
        codes = {x["code"] for x in findings}
        chinese = all(
            re.search(r"[\u4e00-\u9fff]", x["message"]) and "？" not in x["message"] for x in findings
        )
        if reports and set(case.codes) <= codes and chinese:
            clear += 1
    return {"tried": len(CASES), "clear": clear, "lost": len(missing)}


def documented_figure() -> dict[str, int]:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(
        r"试过的坏输入[^|]*\|\s*(\d+).*?有清楚提示[^|]*\|\s*(\d+).*?丢失的数据[^|]*\|\s*(\d+)", text, re.S
    )
    assert match, "docs/hostile-inputs.md states the figure"
    return {"tried": int(match[1]), "clear": int(match[2]), "lost": int(match[3])}


def test_a_real_subprocess_on_the_mixed_inbox(mixed: tuple[Workspace, dict[str, Path]]) -> None:
    ws, _ = mixed
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("QYX_DEBUG", None)
    run = subprocess.run(
        [sys.executable, "-m", "qyx_excel", "check", str(ws.inbox), "--period", MARCH],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert run.returncode == 2
    assert_clean(run.stdout + run.stderr)
    assert "（file-too-large）" in run.stdout and "（file-unsafe-xml）" in run.stdout
    run = subprocess.run(
        [sys.executable, "-m", "qyx_excel", *ws.cli_consolidate()],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert run.returncode == 1, run.stderr
    assert_clean(run.stdout + run.stderr)
    assert "已受理 9 个专项组" in run.stdout


def test_sheet_extent_is_what_a_reader_would_allocate() -> None:
    from qyx_excel.intake import MAX_SHEET_CELLS, sheet_extent

    def sheet(rows: bytes) -> bytes:
        return b'<worksheet xmlns="x"><sheetData>' + rows + b"</sheetData></worksheet>"

    near = sheet(b'<row r="1"><c r="A1"><v>1</v></c><c r="I60" t="s"><v>0</v></c></row>')
    assert sheet_extent(near) == (999, 26)  # nothing past Z999: the cheap bound, no scan
    far = sheet(
        b'<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576" t="inlineStr">'
        b"<is><t>x</t></is></c></row>"
    )
    assert sheet_extent(far) == (1048576, 16384)
    styled = sheet(
        b'<row r="1"><c r="B2"><v>1</v></c></row><row r="1048576"><c r="XFD1048576" s="2"/>'
        b'<c r="XFC1048576" s="2"></c></row>'
    )
    assert sheet_extent(styled) == (2, 2)  # formatted empty cells are not read
    implicit = sheet(b'<row r="7">' + b"<c><v>1</v></c>" * 40 + b"</row>")
    assert sheet_extent(implicit) == (7, 40)  # cells without a reference follow one another
    assert 60 * 12 < MAX_SHEET_CELLS < 1048576 * 16384


# ================================================================================================
# The document
# ================================================================================================


def test_the_document_lists_every_case() -> None:
    text = DOC.read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    for case in CASES:
        row = next((r for r in rows if f"| {case.id} |" in r), None)
        assert row is not None, case.id
        for c in case.codes:
            assert f"`{c}`" in row, (case.id, c)
    for code in ("output-locked", "output-failed", "submission-superseded", "submission-conflict"):
        assert f"`{code}`" in text
