"""Hostile inputs for the end-to-end suite (``tests/test_hostile.py``), built at test time.

A :class:`Workspace` is an office's month half done: the ledger (``七优享台账.xlsm``), a history
store with January and February, and March's files from every group but :data:`LATE`, already
consolidated once, with the notice, the tables and the export written from that run.  Every
folder name has Chinese characters and spaces in it.

Each :class:`Case` writes one file that arrives by mail — an old ``.xls`` renamed, an encrypted
workbook, a zip bomb, a re-laid-out sheet, text that looks like a formula … — mostly by editing a
group's good March file as a person would (openpyxl) or by rewriting its zip parts.  The builders
of hostile containers (OLE2 files, zip parts, XML bombs) are those of ``tests/crafted_files.py``.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from crafted_files import BILLION_LAUGHS, EXTERNAL_ENTITY, make_cfb, rezip
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from qyx_excel import cli, intake
from qyx_excel.glossary import GROUPS
from qyx_excel.periods import parse_period

MARCH = "2024-03"
#: The group that has sent nothing yet: its good file travels in every hostile batch.
LATE = "住有宜居"
#: When the first March files were consolidated.
NOW = datetime(2024, 4, 8, 10, 0)
#: Received time of every resubmission: later than all first submissions.
LATER = datetime(2024, 4, 20, 15, 0)
#: Notes that a spreadsheet would take for formulas, with the indicator of 幼有善育 each goes on.
FORMULA_NOTES: dict[str, str] = {
    "1": '=HYPERLINK("http://example.invalid","点此查看")',
    "5": "+1 个普惠托育点已签约",
    "3": "-2 家机构未完成备案",
    "4": "@SUM(A1:A2) 为统计口径说明",
}
#: Formula-like text in other typed fields: 数据来源 of indicator 6, 存在问题 of task 1-1 (declared 滞后).
FORMULA_SOURCE = "=来源!A1 部门统计"
FORMULA_PROBLEM = "-3 个托育点用地未落实"
#: Text bound for the notice that breaks naive XML, with a line break (indicator 5 of 幼有善育).
#: The row that carries TRICKY_NOTE: judged in March (3, 4 and 5 are yearly statistics, 不适用 in March).
TRICKY_ID = "2"
TRICKY_NOTE = "R&D <Ops> \"A\" 与 a < b && c > d {{ 7*7 }}\n第二行：'单引号'说明{% endif %}"
#: Values that make those indicators lag, so their notes are quoted in the notice.
LAGGING_VALUES: dict[str, float] = {"1": 3.9, "2": 40, "3": 60, "4": 60, "5": 0.5}
#: Numbers typed as text into 弱有众扶's value cells, and the number each must be read as.
NUMBER_TEXTS: dict[str, tuple[str, float]] = {
    "40": ("12,791.5", 12791.5),
    "41": ("90.17%", 90.17),
    "42": (" 82.26 ", 82.26),
    "43": ("１００", 100.0),
    "45": ("６２．９３", 62.93),
}


# ================================================================================================
# The office's folders
# ================================================================================================


@dataclass(frozen=True)
class Workspace:
    """The office's folders for one month (see the module docstring)."""

    root: Path

    @property
    def ledger(self) -> Path:
        return self.root / "专班 办公室" / "七优享台账.xlsm"

    @property
    def store(self) -> Path:
        return self.root / "历史 库"

    @property
    def inbox(self) -> Path:
        return self.root / "收件箱 2024年3月"

    @property
    def spare(self) -> Path:
        return self.root / "待收 文件"

    @property
    def outputs(self) -> Path:
        return self.root / "输出 文件"

    @property
    def notice(self) -> Path:
        return self.outputs / "2024年3月 进展通报.docx"

    @property
    def tables(self) -> Path:
        return self.outputs / "2024年3月 进度表.xlsx"

    @property
    def export(self) -> Path:
        return self.outputs / "2024-03 上报 瑞安市.csv"

    @property
    def late_file(self) -> Path:
        """The late group's good file (not in the inbox yet)."""
        return self.spare / f"{MARCH}_{LATE} (最终版).xlsx"

    def good(self, group: str) -> Path:
        """A group's good March file as first received (in the inbox)."""
        return self.inbox / f"{MARCH}_{group}.xlsx"

    def send_late_file(self) -> Path:
        """Put the late group's good file into the inbox (keeping its received time)."""
        target = self.inbox / self.late_file.name
        shutil.copy2(self.late_file, target)
        return target

    def copy(self, dest: Path) -> Workspace:
        """A copy of everything (times kept, so received order is too)."""
        shutil.copytree(self.root, dest)
        return Workspace(dest)

    def cli_consolidate(self, *more: str) -> list[str]:
        """Arguments of ``qyx consolidate`` for March over this workspace."""
        return [
            "consolidate",
            "--period",
            MARCH,
            "--ledger",
            str(self.ledger),
            "--inbox",
            str(self.inbox),
            "--store",
            str(self.store),
            *more,
        ]


def build_workspace(root: Path) -> Workspace:
    """Build a :class:`Workspace` in ``root`` (about two seconds)."""
    from qyx_excel.consolidate import consolidate
    from qyx_excel.export import export_consolidation
    from qyx_excel.notice import render_notice
    from qyx_excel.sample import make_history, make_sample_month
    from qyx_excel.tables import render_tables
    from qyx_excel.workbook import build_workbook

    ws = Workspace(root)
    period = parse_period(MARCH)
    build_workbook(ws.ledger, year=2024)
    make_history(period, ws.store)
    make_sample_month(period, ws.inbox, late_groups=(LATE,), broken_groups=())
    (late,) = make_sample_month(
        period, ws.spare, late_groups=[g for g in GROUPS if g != LATE], broken_groups=()
    )
    stamp = LATER.replace(day=15).timestamp()
    os.utime(late, (stamp, stamp))
    late.rename(ws.late_file)
    result = consolidate(period, ws.ledger, inbox=ws.inbox, store=ws.store, now=NOW)
    assert result.missing == [LATE] and not result.refused, result.summary_text()
    c = result.consolidation
    render_notice(c, ws.notice, date=date(2024, 4, 10))
    render_tables(c, ws.tables)
    export_consolidation(c, ws.export)
    return ws


# ================================================================================================
# Editing a received file as a person would
# ================================================================================================


def received_later(path: Path, when: datetime = LATER) -> Path:
    """Give ``path`` a later received time (its modification time)."""
    stamp = when.timestamp()
    os.utime(path, (stamp, stamp))
    return path


Edit = Callable[[Any, Any, Any], None]  # (workbook, group worksheet, Submission read from the source)


def edit_book(
    src: Path, dst: Path, edit: Edit | None = None, *, mark: bool = True, epoch1904: bool = False
) -> Path:
    """Open ``src`` in openpyxl, change it with ``edit(wb, ws, sub)`` and save it as ``dst`` (received later).

    ``mark`` also changes the first indicator's (or task's, application's) text a little, so the
    file is a new submission, not the same content sent twice.
    """
    sub = intake.read_file(src)[0]
    wb = openpyxl.load_workbook(src)
    if epoch1904:
        wb.epoch = CALENDAR_MAC_1904
    ws = wb[sub.sheet]
    if mark:
        if sub.indicators:
            entry = next(e for e in sub.indicators.values() if e.cells.get("数据来源") and e.data_source)
            ws[entry.cells["数据来源"]].value = f"{entry.data_source}（更正）"
        elif sub.applications:
            app = sub.applications[0]
            ws[app.cells["本期进展"]].value = f"{app.progress}（更正）"
        elif sub.projects:
            project = sub.projects[0]
            ws[project.cells["形象进度"]].value = f"{project.image_progress}（更正）"
    if edit is not None:
        edit(wb, ws, sub)
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)
    return received_later(dst)


def set_cells(values: dict[str, Any]) -> Edit:
    def edit(wb: Any, ws: Any, sub: Any) -> None:
        for address, value in values.items():
            ws[address].value = value

    return edit


def value_cell(sub: Any, indicator: str, header: str = "本期完成值") -> str:
    entry = sub.indicators[indicator]
    return entry.value_cell if header == "本期完成值" else entry.cells[header]


def insert_row(ws: Any, row: int) -> None:
    """Insert a sheet row as Excel does: cells below move down, and so do merged ranges."""
    moved = [r for r in ws.merged_cells.ranges if r.min_row >= row]
    for r in moved:
        ws.merged_cells.remove(r)
    ws.insert_rows(row)
    for r in moved:
        r.shift(row_shift=1)
        ws.merged_cells.add(r)


def sheet_part(path: Path, sheet: str) -> str:
    """The zip part that holds ``sheet``'s cells."""
    import re

    with zipfile.ZipFile(path) as z:
        workbook = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet [^>]*name="{sheet}"[^>]*r:id="(\w+)"', workbook).group(1)
    target = re.search(rf'<Relationship [^>]*Id="{rid}"[^>]*Target="([^"]+)"', rels) or re.search(
        rf'<Relationship [^>]*Target="([^"]+)"[^>]*Id="{rid}"', rels
    )
    name = target.group(1).lstrip("/")
    return name if name.startswith("xl/") else f"xl/{name}"


# ================================================================================================
# Hostile containers
# ================================================================================================


def zip_bomb(src: Path, dst: Path, megabytes: int = 200) -> Path:
    """``src`` with its group sheet replaced by ``megabytes`` MB of zeros (under 1 MB on disk)."""
    sheet = sheet_part(src, intake.read_file(src)[0].sheet)
    rezip(src, dst, replace={sheet: None})
    zeros = b"\x00" * (1 << 20)
    with (
        zipfile.ZipFile(dst, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as z,
        z.open(sheet, "w", force_zip64=True) as part,
    ):
        for _ in range(megabytes):
            part.write(zeros)
    return dst


def with_parts(
    src: Path,
    dst: Path,
    *,
    replace: dict[str, bytes | None] | None = None,
    add: dict[str, bytes] | None = None,
    patch: dict[str, tuple[bytes, bytes]] | None = None,
    marker: tuple[bytes, bytes] | None = None,
) -> Path:
    """``src`` with zip parts replaced, dropped (None), added, or patched (old bytes → new bytes);
    ``marker`` replaces a text in whichever part holds it (shared strings or a sheet's inline strings)."""
    replace = dict(replace or {})
    with zipfile.ZipFile(src) as z:
        for name, (old, new) in (patch or {}).items():
            data = z.read(name)
            assert old in data, (name, old)
            replace[name] = data.replace(old, new, 1)
        if marker is not None:
            holders = [n for n in z.namelist() if n.startswith("xl/") and marker[0] in z.read(n)]
            assert holders, marker[0]
            for name in holders:
                replace[name] = z.read(name).replace(*marker)
    rezip(src, dst, replace=replace, add=add)
    return dst


MACRO_SOURCE = """Attribute VB_Name = "Module1"
Sub Auto_Open()
    Shell "cmd /c echo qyx > %TEMP%\\qyx-macro-ran.txt"
End Sub
"""


def with_macros(src: Path, dst: Path) -> Path:
    """``src`` turned into an ``.xlsm`` whose VBA project runs a command when opened in Excel."""
    from qyx_excel.vbaproject import build_vba_project

    vba = build_vba_project(
        {"Module1": MACRO_SOURCE},
        project_name="VBAProject",
        document_modules=("ThisWorkbook", "Sheet1", "Sheet2", "Sheet3"),
    )
    main = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    return with_parts(
        src,
        dst,
        add={"xl/vbaProject.bin": vba},
        patch={
            "[Content_Types].xml": (main, b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"),
            "xl/_rels/workbook.xml.rels": (
                b"</Relationships>",
                b'<Relationship Id="rIdVba1" Type="http://schemas.microsoft.com/office/2006/relationships/'
                b'vbaProject" Target="vbaProject.bin"/></Relationships>',
            ),
        },
    )


EXTERNAL_LINK = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<externalBook r:id="rId1"><sheetNames><sheetName val="Sheet1"/></sheetNames></externalBook></externalLink>'
)
EXTERNAL_LINK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    b'externalLinkPath" Target="file:///D:/%E7%BB%9F%E8%AE%A1/%E6%BA%90%E6%95%B0%E6%8D%AE.xlsx" '
    b'TargetMode="External"/></Relationships>'
)


def with_external_link(src: Path, dst: Path) -> Path:
    """``src`` with a link to another workbook (``D:/统计/源数据.xlsx``)."""
    return with_parts(
        src,
        dst,
        add={
            "xl/externalLinks/externalLink1.xml": EXTERNAL_LINK,
            "xl/externalLinks/_rels/externalLink1.xml.rels": EXTERNAL_LINK_RELS,
        },
        patch={
            "[Content_Types].xml": (
                b"</Types>",
                b'<Override PartName="/xl/externalLinks/externalLink1.xml" ContentType="application/'
                b'vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"/></Types>',
            )
        },
    )


# ================================================================================================
# The cases
# ================================================================================================

UNREADABLE, REFUSED, ACCEPTED, OTHER_PERIOD, DUPLICATE = (
    "unreadable",
    "refused",
    "accepted",
    "other-period",
    "duplicate",
)


@dataclass(frozen=True)
class Case:
    """One hostile file: what it is, whose it is, what must be said about it and what becomes of it."""

    id: str
    what: str  # in the office's words (docs/hostile-inputs.md)
    group: str  # the group whose file it claims to be
    codes: tuple[str, ...]  # finding codes that must be reported
    outcome: str  # unreadable / refused / accepted
    build: Callable[[Workspace, Path], Path]
    suffix: str = ".xlsx"

    @property
    def file_name(self) -> str:
        return f"{MARCH}_{self.group}（{self.id}）{self.suffix}"

    @property
    def check_exit(self) -> int:
        return {UNREADABLE: 2, REFUSED: 1, ACCEPTED: 0, OTHER_PERIOD: 1, DUPLICATE: 0}[self.outcome]


def _bytes(data: bytes) -> Callable[[Workspace, Path], Path]:
    def build(ws: Workspace, dst: Path) -> Path:
        dst.write_bytes(data)
        return received_later(dst)

    return build


def _compound(dst: Path, streams: dict[str, bytes]) -> Path:
    """An OLE2 compound file (built in a scratch folder: the builder leaves its parts behind)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="qyx-cfb-") as tmp:
        built = make_cfb(Path(tmp) / "file.bin", streams)
        shutil.copyfile(built, dst)
    return received_later(dst)


def _old_xls(ws: Workspace, dst: Path) -> Path:
    # BIFF8 starts with a BOF record (0x0809) in a "Workbook" stream of a compound file
    return _compound(dst, {"Workbook": b"\x09\x08\x10\x00\x00\x06\x05\x00" + b"\x00" * 5000})


def _encrypted(ws: Workspace, dst: Path) -> Path:
    # what Excel writes for a workbook with an open password: the package inside an OLE2 container
    return _compound(
        dst,
        {
            "EncryptionInfo": b"\x04\x00\x04\x00\x40\x00\x00\x00" + b"\x00" * 200,
            "EncryptedPackage": os.urandom(6000),
        },
    )


def _truncated(group: str) -> Callable[[Workspace, Path], Path]:
    def build(ws: Workspace, dst: Path) -> Path:
        data = ws.good(group).read_bytes()
        dst.write_bytes(data[: len(data) * 6 // 10])
        return received_later(dst)

    return build


def _zip_bomb(group: str) -> Callable[[Workspace, Path], Path]:
    return lambda ws, dst: received_later(zip_bomb(ws.good(group), dst))


def _sheet_replaced(group: str, body: bytes) -> Callable[[Workspace, Path], Path]:
    def build(ws: Workspace, dst: Path) -> Path:
        src = ws.good(group)
        return received_later(with_parts(src, dst, replace={sheet_part(src, group): body}))

    return build


def _shared_strings(group: str, body: bytes) -> Callable[[Workspace, Path], Path]:
    def build(ws: Workspace, dst: Path) -> Path:
        src = ws.good(group)
        with zipfile.ZipFile(src) as z:
            has = "xl/sharedStrings.xml" in z.namelist()
        if has:
            return received_later(with_parts(src, dst, replace={"xl/sharedStrings.xml": body}))
        return received_later(with_parts(src, dst, add={"xl/sharedStrings.xml": body}))

    return build


def _edited(group: str, edit: Edit | None = None, **kwargs: Any) -> Callable[[Workspace, Path], Path]:
    return lambda ws, dst: edit_book(ws.good(group), dst, edit, **kwargs)


def _then(
    first: Callable[[Workspace, Path], Path], then: Callable[[Path, Path], Path]
) -> Callable[[Workspace, Path], Path]:
    def build(ws: Workspace, dst: Path) -> Path:
        tmp = dst.with_name("~qyx-edit-" + dst.name)  # a temporary name intake ignores
        first(ws, tmp)
        then(tmp, dst)
        tmp.unlink()
        return received_later(dst)

    return build


def _formula_value(wb: Any, ws: Any, sub: Any) -> None:
    ws[value_cell(sub, "2")].value = "=SUM(50,6.27)"  # written by a script: no cached value


def _formula_notes(wb: Any, ws: Any, sub: Any) -> None:
    for ind, note in FORMULA_NOTES.items():
        ws[value_cell(sub, ind, "进展情况说明")].value = note
        ws[value_cell(sub, ind, "进展情况说明")].data_type = "s"  # typed as text in Excel: not a formula
        ws[value_cell(sub, ind)].value = LAGGING_VALUES[ind]
    ws[value_cell(sub, TRICKY_ID, "进展情况说明")].value = TRICKY_NOTE
    ws[value_cell(sub, TRICKY_ID)].value = LAGGING_VALUES[TRICKY_ID]
    ws[value_cell(sub, "6", "数据来源")].value = FORMULA_SOURCE
    ws[value_cell(sub, "6", "数据来源")].data_type = "s"
    task = sub.tasks["1-1"]
    ws[task.state_cell].value = "滞后"
    ws[task.cells["存在问题"]].value = FORMULA_PROBLEM
    ws[task.cells["存在问题"]].data_type = "s"


def _rename_sheet(wb: Any, ws: Any, sub: Any) -> None:
    ws.title = f"{sub.sheet}（3月）"


def _delete_sheet(wb: Any, ws: Any, sub: Any) -> None:
    del wb[sub.sheet]


def _table_header_row(sub: Any) -> int:
    return min(e.row for e in sub.indicators.values()) - 1


def _letter(address: str) -> str:
    return "".join(ch for ch in address if ch.isalpha())


def _reorder_headers(wb: Any, ws: Any, sub: Any) -> None:
    """Swap the columns 数据来源 and 进展情况说明 (header and data), as dragging them in Excel does."""
    first = next(iter(sub.indicators.values()))
    a, b = _letter(first.cells["数据来源"]), _letter(first.cells["进展情况说明"])
    top = _table_header_row(sub)
    bottom = max(e.row for e in sub.indicators.values())
    for r in range(top, bottom + 1):
        ws[f"{a}{r}"].value, ws[f"{b}{r}"].value = ws[f"{b}{r}"].value, ws[f"{a}{r}"].value


def _header(name: str, value: Any) -> Edit:
    def edit(wb: Any, ws: Any, sub: Any) -> None:
        first = next(iter(sub.indicators.values()))
        ws[f"{_letter(first.cells[name])}{_table_header_row(sub)}"].value = value

    return edit


def _duplicate_header(wb: Any, ws: Any, sub: Any) -> None:
    first = next(iter(sub.indicators.values()))
    row = _table_header_row(sub)
    last = max(ws.max_column, 9)
    ws.cell(row, last + 1).value = "本期完成值"  # a second 本期完成值 column added on the right
    ws.cell(first.row, last + 1).value = 1.5


def _insert_blank_row(wb: Any, ws: Any, sub: Any) -> None:
    insert_row(ws, list(sub.indicators.values())[2].row)  # a blank row between the 2nd and 3rd indicator


def _insert_unknown_row(wb: Any, ws: Any, sub: Any) -> None:
    row = list(sub.indicators.values())[2].row
    insert_row(ws, row)
    first = next(iter(sub.indicators.values()))
    ws[f"A{row}"].value = "小计"
    ws[f"{_letter(first.value_cell)}{row}"].value = 99


def _merge_inputs(wb: Any, ws: Any, sub: Any) -> None:
    entry = sub.indicators["2"]
    ws.merge_cells(f"{entry.value_cell}:{entry.cells['数据来源']}")


def _numbers_as_text(wb: Any, ws: Any, sub: Any) -> None:
    for ind, (text, _) in NUMBER_TEXTS.items():
        cell = ws[value_cell(sub, ind)]
        cell.value = text
        cell.data_type = "s"


def _excel_errors(wb: Any, ws: Any, sub: Any) -> None:
    ws[value_cell(sub, "41")].value = "#DIV/0!"  # openpyxl stores these as error cells (t="e")
    ws[value_cell(sub, "42")].value = "#REF!"


def _date(value: Any, number_format: str | None = None) -> Edit:
    def edit(wb: Any, ws: Any, sub: Any) -> None:
        cell = ws[sub.header_cells["填报日期"]]
        cell.value = value
        if number_format is not None:
            cell.number_format = number_format

    return edit


LONG_NOTE = "（本说明由业务系统导出，内容较长）" + "托育服务机构备案、人员持证和普惠价格监管同步推进。" * 1600


def _long_note(wb: Any, ws: Any, sub: Any) -> None:
    ws[value_cell(sub, "1", "进展情况说明")].value = "LONGNOTEMARK"


def _long_note_patch(src: Path, dst: Path) -> Path:
    """openpyxl writes no cell over Excel's limit itself: put the long text into the XML."""
    return with_parts(src, dst, marker=(b"LONGNOTEMARK", LONG_NOTE.encode("utf-8")))


def _control_note(wb: Any, ws: Any, sub: Any) -> None:
    ws[value_cell(sub, "7", "进展情况说明")].value = "已完成CTRLMARK招生计划"


def _control_patch(src: Path, dst: Path) -> Path:
    # Excel writes a control character typed into a cell as an _xHHHH_ escape
    return with_parts(src, dst, marker=(b"CTRLMARK", b"_x0007__x001B_"))


def _other_period(wb: Any, ws: Any, sub: Any) -> None:
    meta = wb["_meta"]
    for row in meta.iter_rows(min_col=1, max_col=2):
        if row[0].value == "period":
            row[1].value = "2024-02"
    ws[sub.header_cells["填报期"]].value = "2024年2月"


def _copy_of(group: str) -> Callable[[Workspace, Path], Path]:
    def build(ws: Workspace, dst: Path) -> Path:
        shutil.copyfile(ws.good(group), dst)  # the very same bytes, under another name
        return received_later(dst)

    return build


def _not_our_template(ws: Workspace, dst: Path) -> Path:
    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.title = "Sheet1"
    sheet.append(["序号", "指标名称", "完成值"])
    sheet.append([1, "托位数", 4.6])
    wb.save(dst)
    return received_later(dst)


PDF = (
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)

CASES: tuple[Case, ...] = (
    Case("旧版xls", "旧版 .xls 文件改名为 .xlsx", "幼有善育", ("file-old-format",), UNREADABLE, _old_xls),
    Case("加密", "设了打开密码的 .xlsx", "学有优教", ("file-encrypted",), UNREADABLE, _encrypted),
    Case(
        "截断",
        "邮件传输中被截断的 .xlsx（只剩 60%）",
        "劳有所得",
        ("file-corrupt",),
        UNREADABLE,
        _truncated("劳有所得"),
    ),
    Case("空文件", "0 字节的文件", "病有良医", ("file-empty",), UNREADABLE, _bytes(b"")),
    Case("PDF", "PDF 文件改名为 .xlsx", "老有康养", ("file-not-excel",), UNREADABLE, _bytes(PDF)),
    Case(
        "压缩炸弹",
        "压缩炸弹：工作表部件解压后 200 MB 全零（文件本身不足 1 MB）",
        "弱有众扶",
        ("file-too-large",),
        UNREADABLE,
        _zip_bomb("弱有众扶"),
    ),
    Case(
        "远处单元格",
        "一个 20 KB 的文件在最远的单元格 XFD1048576 里填了字（读入需 170 亿个单元格）",
        "劳有所得",
        ("sheet-too-large",),
        UNREADABLE,
        _edited("劳有所得", set_cells({"XFD1048576": "备注"})),
    ),
    Case(
        "XML炸弹",
        "“十亿笑声”XML 炸弹（工作表部件中的实体嵌套）",
        "应用贯通",
        ("file-unsafe-xml",),
        UNREADABLE,
        _sheet_replaced("应用贯通", BILLION_LAUGHS),
    ),
    Case(
        "外部实体",
        "外部实体 XML（读取 file:///etc/passwd）",
        "重大项目",
        ("file-unsafe-xml",),
        UNREADABLE,
        _shared_strings("重大项目", EXTERNAL_ENTITY),
    ),
    Case(
        "带宏",
        "交回的 .xlsm 带宏（Auto_Open 会运行命令）",
        "学有优教",
        ("file-has-macros",),
        ACCEPTED,
        _then(_edited("学有优教"), with_macros),
        suffix=".xlsm",
    ),
    Case(
        "外部链接",
        "含指向其他工作簿的外部链接",
        "劳有所得",
        ("file-external-links",),
        ACCEPTED,
        _then(_edited("劳有所得"), with_external_link),
    ),
    Case(
        "公式无缓存值",
        "完成值是公式，但没有计算结果（脚本生成、未在 Excel 中保存）",
        "幼有善育",
        ("value-formula-uncached",),
        REFUSED,
        _edited("幼有善育", _formula_value),
    ),
    Case(
        "公式样文字",
        "进展情况说明以 = + - @ 开头（=HYPERLINK(…)、+1、-2、@SUM）",
        "幼有善育",
        ("text-formula-like",),
        ACCEPTED,
        _edited("幼有善育", _formula_notes),
    ),
    Case(
        "工作表改名",
        "专项组工作表被改名",
        "病有良医",
        ("sheet-missing",),
        REFUSED,
        _edited("病有良医", _rename_sheet),
    ),
    Case(
        "工作表删除",
        "专项组工作表被删除",
        "老有康养",
        ("sheet-missing",),
        REFUSED,
        _edited("老有康养", _delete_sheet),
    ),
    Case(
        "表头调序",
        "指标表两列（连同数据）调换了顺序",
        "学有优教",
        (),
        ACCEPTED,
        _edited("学有优教", _reorder_headers),
    ),
    Case(
        "表头改名",
        "表头“本期完成值”被改成“完成值”",
        "劳有所得",
        ("header-missing",),
        REFUSED,
        _edited("劳有所得", _header("本期完成值", "完成值")),
    ),
    Case(
        "表头重复",
        "右侧多加了一列“本期完成值”",
        "病有良医",
        ("header-duplicate",),
        REFUSED,
        _edited("病有良医", _duplicate_header),
    ),
    Case(
        "表头空白",
        "表头“进展情况说明”被清空",
        "老有康养",
        ("header-missing",),
        REFUSED,
        _edited("老有康养", _header("进展情况说明", None)),
    ),
    Case(
        "插入空行",
        "指标表中间插入了一个空行",
        "幼有善育",
        (),
        ACCEPTED,
        _edited("幼有善育", _insert_blank_row),
    ),
    Case(
        "插入小计行",
        "指标表中间插入了一行“小计”并填了数",
        "学有优教",
        ("row-unknown",),
        REFUSED,
        _edited("学有优教", _insert_unknown_row),
    ),
    Case(
        "合并输入格",
        "本期完成值与数据来源两格被合并",
        "幼有善育",
        ("merged-input",),
        REFUSED,
        _edited("幼有善育", _merge_inputs),
    ),
    Case(
        "文本数字",
        "数字存为文本：全角“１００”“６２．９３”、千分位“12,791.5”、“90.17%”、前后空格",
        "弱有众扶",
        (),
        ACCEPTED,
        _edited("弱有众扶", _numbers_as_text),
    ),
    Case(
        "错误值",
        "完成值为 Excel 错误值 #DIV/0!、#REF!",
        "弱有众扶",
        ("value-excel-error",),
        REFUSED,
        _edited("弱有众扶", _excel_errors),
    ),
    Case(
        "日期文本",
        "填报日期写成文字“2024年4月3日”",
        "病有良医",
        (),
        ACCEPTED,
        _edited("病有良医", _date("2024年4月3日")),
    ),
    Case(
        "日期序号",
        "填报日期是 Excel 日期序号 45385（未设日期格式）",
        "老有康养",
        (),
        ACCEPTED,
        _edited("老有康养", _date(45385, "General")),
    ),
    Case(
        "1904日期",
        "工作簿使用 1904 日期系统（Mac 版 Excel）",
        "劳有所得",
        (),
        ACCEPTED,
        _edited("劳有所得", _date(datetime(2024, 4, 3)), epoch1904=True),
    ),
    Case(
        "日期无法识别",
        "填报日期写成“四月三号”",
        "学有优教",
        ("date-invalid",),
        ACCEPTED,
        _edited("学有优教", _date("四月三号")),
    ),
    Case(
        "超长说明",
        "进展情况说明超过 Excel 单元格上限（约 4 万字）",
        "幼有善育",
        ("text-too-long",),
        REFUSED,
        _then(_edited("幼有善育", _long_note), _long_note_patch),
    ),
    Case(
        "控制字符",
        "说明中夹有不可见的控制字符（BEL、ESC）",
        "学有优教",
        ("text-control-chars",),
        ACCEPTED,
        _then(_edited("学有优教", _control_note), _control_patch),
    ),
    Case(
        "其他期",
        "交来的是 2 月的填报表",
        "病有良医",
        ("period-mismatch",),
        OTHER_PERIOD,
        _edited("病有良医", _other_period),
    ),
    Case("重复发送", "同一个文件换了个名字又发了一次", "应用贯通", (), DUPLICATE, _copy_of("应用贯通")),
    Case(
        "非本台账",
        "不是下发的填报表（自制的表格）",
        "老有康养",
        ("template-unknown",),
        REFUSED,
        _not_our_template,
    ),
)

CASE_BY_ID: dict[str, Case] = {c.id: c for c in CASES}


# --- running qyx as a clerk would ------------------------------------------------------------------


def qyx(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``qyx`` in-process as a clerk would; no traceback may reach them."""
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert_clean(out + err)
    return code, out, err


def assert_clean(text: str) -> None:
    assert "Traceback" not in text and "内部错误" not in text and 'File "' not in text, text[-2000:]
