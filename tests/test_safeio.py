"""The reliability layer: hostile files built here at test time, atomic writes, text hygiene."""

from __future__ import annotations

import os
import re
import struct
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from crafted_files import (
    BILLION_LAUGHS,
    EXTERNAL_ENTITY,
    SHEET,
    count_inflated,
    forge_central,
    make_cfb,
    make_xlsx,
    rezip,
)
from hypothesis import given
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from qyx_excel import safeio
from qyx_excel.errors import OutputFailed, OutputLocked, QyxError, TemplateError, UnreadableFile
from qyx_excel.findings import CODES


def code_of(path: Path) -> str:
    with pytest.raises(UnreadableFile) as caught:
        safeio.open_check(path)
    finding = caught.value.finding
    assert finding is not None and finding.code in CODES
    assert caught.value.message == finding.message
    assert finding.severity == "error"
    return finding.code


def refused(path: Path) -> UnreadableFile:
    with pytest.raises(UnreadableFile) as caught:
        safeio.open_check(path)
    return caught.value


# --- the safe-open step -------------------------------------------------------------------------


def test_normal_workbooks_pass_without_warnings(tmp_path: Path, good: Path) -> None:
    assert safeio.open_check(good) == []
    assert safeio.sniff(good) == "xlsx"
    xw_path = tmp_path / "xlsxwriter.xlsx"
    book = xlsxwriter.Workbook(str(xw_path))
    book.add_worksheet(SHEET).write_string(0, 0, "序号")
    book.close()
    assert safeio.open_check(xw_path) == []
    # the file is untouched and still opens in an independent reader
    assert CalamineWorkbook.from_path(str(good)).sheet_names == [SHEET]


def test_chinese_names_and_spaces_in_paths(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "收件箱 2024年3月" / "2024-03_幼有善育 (1).xlsx")
    assert safeio.open_check(path) == []
    empty = tmp_path / "收件箱 2024年3月" / "空 文件.xlsx"
    empty.write_bytes(b"")
    err = refused(empty)
    assert err.finding.code == "file-empty"
    assert err.finding.file == str(empty)
    with pytest.raises(UnreadableFile) as caught:
        safeio.open_check(empty, display="空 文件.xlsx")
    assert caught.value.finding.file == "空 文件.xlsx"


def test_missing_empty_and_folder(tmp_path: Path) -> None:
    assert code_of(tmp_path / "不存在.xlsx") == "file-missing"
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    assert code_of(empty) == "file-empty"
    assert safeio.sniff(empty) == "empty"
    folder = tmp_path / "folder.xlsx"
    folder.mkdir()
    err = refused(folder)
    assert err.finding.code == "file-unreadable"
    assert "文件夹" in err.message
    assert safeio.sniff(tmp_path / "nope.xlsx") == "missing"


def test_old_xls_renamed_xlsx(tmp_path: Path) -> None:
    path = make_cfb(tmp_path / "旧表.xlsx", {"Workbook": b"\x09\x08" + b"\x00" * 5000})
    assert path.read_bytes()[:8] == bytes.fromhex("D0CF11E0A1B11AE1")
    err = refused(path)
    assert err.finding.code == "file-old-format"
    assert ".xls" in err.message
    assert safeio.sniff(path) == "xls"


def test_encrypted_ooxml(tmp_path: Path) -> None:
    path = make_cfb(
        tmp_path / "加密.xlsx",
        {
            "EncryptionInfo": b"\x04\x00\x04\x00\x40\x00\x00\x00" + b"\x00" * 200,
            "EncryptedPackage": os.urandom(6000),
        },
    )
    err = refused(path)
    assert err.finding.code == "file-encrypted"
    assert "密码" in err.message
    assert safeio.sniff(path) == "encrypted"


def test_encrypted_detected_even_when_ole_directory_is_damaged(tmp_path: Path) -> None:
    path = make_cfb(
        tmp_path / "enc.xlsx", {"EncryptionInfo": b"\x00" * 100, "EncryptedPackage": b"\x01" * 5000}
    )
    data = bytearray(path.read_bytes())
    data[0x30:0x34] = b"\xff\xff\xff\x7f"  # first directory sector points nowhere
    path.write_bytes(bytes(data))
    assert code_of(path) == "file-encrypted"


def test_old_word_file_is_not_excel(tmp_path: Path) -> None:
    path = make_cfb(tmp_path / "通知.xlsx", {"WordDocument": b"\x00" * 5000})
    err = refused(path)
    assert err.finding.code == "file-not-excel"
    assert "Word" in err.message


@pytest.mark.parametrize(
    ("content", "kind", "words"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "pdf", "看起来是 PDF 文件"),
        (
            b"<html xmlns:x='urn:schemas-microsoft-com:office:excel'><table><tr><td>1</td></tr></table></html>",
            "html",
            "HTML",
        ),
        ("序号,指标名称,本期完成值\n1,托位数,3.5\n".encode("gb18030"), "text", "文本文件"),
        (b"\xff\xfe" + "序号\t指标\r\n1\t2\r\n".encode("utf-16-le"), "text", "文本文件"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40, "png", "图片"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 40, "jpeg", "图片"),
        (b"Rar!\x1a\x07\x01\x00" + b"\x00" * 40, "rar", "RAR"),
        (
            b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
            b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>',
            "spreadsheetml2003",
            "2003",
        ),
        (b"\x00\x01\x02\x03\x04\xfe\xfd" * 20, "unknown", "无法识别"),
    ],
)
def test_not_excel_says_what_it_looks_like(tmp_path: Path, content: bytes, kind: str, words: str) -> None:
    path = tmp_path / "填报表.xlsx"
    path.write_bytes(content)
    err = refused(path)
    assert err.finding.code == "file-not-excel"
    assert words in err.message
    assert safeio.sniff(path) == kind


def test_other_zip_containers_are_not_excel(tmp_path: Path) -> None:
    docx = tmp_path / "docx.xlsx"
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    ods = tmp_path / "ods.xlsx"
    with zipfile.ZipFile(ods, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    plain = tmp_path / "plain.xlsx"
    with zipfile.ZipFile(plain, "w") as z:
        z.writestr("附件/说明.txt", "见附件")
    for path, kind, words in ((docx, "docx", "Word"), (ods, "ods", ".ods"), (plain, "zip", "ZIP 压缩包")):
        err = refused(path)
        assert (err.finding.code, safeio.sniff(path)) == ("file-not-excel", kind)
        assert words in err.message


@pytest.mark.parametrize("keep", [0.5, 0.9, -10, 100])
def test_truncated_zip_is_corrupt(good: Path, keep: float) -> None:
    data = good.read_bytes()
    cut = int(len(data) * keep) if isinstance(keep, float) else (len(data) + keep if keep < 0 else keep)
    good.write_bytes(data[:cut])
    err = refused(good)
    assert err.finding.code == "file-corrupt"
    assert "截断" in err.message


def test_missing_required_parts_are_corrupt(tmp_path: Path, good: Path) -> None:
    no_workbook = rezip(good, tmp_path / "a.xlsx", replace={"xl/workbook.xml": None})
    err = refused(no_workbook)
    assert err.finding.code == "file-corrupt"
    assert "xl/workbook.xml" in err.message
    no_types = rezip(good, tmp_path / "b.xlsx", replace={"[Content_Types].xml": None})
    err = refused(no_types)
    assert err.finding.code == "file-corrupt"
    assert "[Content_Types].xml" in err.message


def test_workbook_part_elsewhere_is_found_through_rels(tmp_path: Path, good: Path) -> None:
    with zipfile.ZipFile(good) as z:
        rels = z.read("_rels/.rels").replace(b"xl/workbook.xml", b"xl/book.xml")
        workbook = z.read("xl/workbook.xml")
    moved = rezip(
        good,
        tmp_path / "moved.xlsx",
        replace={"xl/workbook.xml": None, "_rels/.rels": rels},
        add={"xl/book.xml": workbook},
    )
    assert safeio.open_check(moved) == []


def test_damaged_deflate_data_is_corrupt(tmp_path: Path, good: Path) -> None:
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_len + extra_len
    data[start : start + info.compress_size] = b"\xff" * info.compress_size
    good.write_bytes(bytes(data))
    err = refused(good)
    assert err.finding.code == "file-corrupt"
    assert "sheet1.xml" in err.message


def test_zip_bomb_refused_from_central_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, good: Path
) -> None:
    bomb = rezip(good, tmp_path / "炸弹.xlsx", replace={"xl/worksheets/sheet1.xml": None})
    zeros = b"\x00" * (1 << 20)
    with (
        zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as z,
        z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part,
    ):
        for _ in range(200):  # 200 MB of zeros, streamed: a small file on disk
            part.write(zeros)
    assert bomb.stat().st_size < 2 * safeio.MB
    inflated = count_inflated(monkeypatch)
    err = refused(bomb)
    assert inflated[0] < safeio.MB  # nothing like the 200 MB was decompressed
    assert err.finding.code == "file-too-large"
    assert "xl/worksheets/sheet1.xml" in err.message and "200 MB" in err.message


def test_zip_limits_total_ratio_and_count(tmp_path: Path, good: Path) -> None:
    total = rezip(good, tmp_path / "total.xlsx", add={f"xl/media/p{i}.bin": b"x" * 100 for i in range(3)})
    forge_central(total, sizes={f"xl/media/p{i}.bin": 40 * safeio.MB for i in range(3)})
    err = refused(total)
    assert err.finding.code == "file-too-large"
    assert "解压后共 120" in err.message

    ratio = rezip(good, tmp_path / "ratio.xlsx", add={"xl/media/zeros.bin": b"\x00" * (5 * safeio.MB)})
    err = refused(ratio)
    assert err.finding.code == "file-too-large"
    assert "压缩比" in err.message

    many = rezip(good, tmp_path / "many.xlsx", add={f"customXml/item{i}.xml": b"<a/>" for i in range(2001)})
    err = refused(many)
    assert err.finding.code == "file-too-large"
    assert "个部件" in err.message


def test_raw_file_size_cap(monkeypatch: pytest.MonkeyPatch, good: Path) -> None:
    monkeypatch.setattr(safeio, "MAX_FILE_BYTES", 1000)
    err = refused(good)
    assert err.finding.code == "file-too-large"
    assert "上限" in err.message


def test_password_protected_zip_entry(tmp_path: Path, good: Path) -> None:
    forge_central(good, flags={"xl/worksheets/sheet1.xml": 0x1})
    assert code_of(good) == "file-encrypted"


def test_billion_laughs_refused_before_any_reader(tmp_path: Path, good: Path) -> None:
    bomb = rezip(good, tmp_path / "laughs.xlsx", replace={"xl/worksheets/sheet1.xml": BILLION_LAUGHS})
    err = refused(bomb)
    assert err.finding.code == "file-unsafe-xml"
    assert "xl/worksheets/sheet1.xml" in err.message and "ENTITY" in err.message
    # the fixture really is hostile: defused openpyxl refuses it too
    import defusedxml

    with pytest.raises(ValueError) as caught:
        openpyxl.load_workbook(bomb)
    assert isinstance(caught.value.__context__, defusedxml.DefusedXmlException)


def test_external_entity_refused(tmp_path: Path, good: Path) -> None:
    xxe = rezip(good, tmp_path / "xxe.xlsx", add={"xl/sharedStrings.xml": EXTERNAL_ENTITY})
    err = refused(xxe)
    assert err.finding.code == "file-unsafe-xml"
    assert "xl/sharedStrings.xml" in err.message


@pytest.mark.parametrize(
    ("part", "body", "stored"),
    [
        # a DTD pushed far behind a long comment, past any fixed-size head
        (
            "xl/worksheets/sheet1.xml",
            b'<?xml version="1.0"?>\n<!--' + b"x" * 20000 + b"-->\n" + BILLION_LAUGHS.split(b"?>", 1)[1],
            False,
        ),
        # UTF-16: the bytes "<!DOCTYPE" never appear as such
        (
            "xl/worksheets/sheet1.xml",
            b"\xff\xfe" + BILLION_LAUGHS.decode().replace("UTF-8", "UTF-16").encode("utf-16-le"),
            False,
        ),
        # UTF-16 with a long prolog: 40 000 characters are 80 KB on the wire
        (
            "xl/worksheets/sheet1.xml",
            b"\xff\xfe"
            + (
                '<?xml version="1.0" encoding="UTF-16"?>'
                + " " * 40000
                + '<!DOCTYPE x [<!ENTITY a "b">]><worksheet/>'
            ).encode("utf-16-le"),
            False,
        ),
        # stored, not deflated
        (
            "[Content_Types].xml",
            b'<?xml version="1.0"?><!DOCTYPE t SYSTEM "http://example.invalid/t.dtd"><Types/>',
            True,
        ),
        # an XML body behind a binary-looking name (readers follow the rels, not the name)
        ("xl/media/image1.bin", EXTERNAL_ENTITY, False),
        # a prolog that never ends within the limit
        ("xl/styles.xml", b'<?xml version="1.0"?>' + b" " * (70 * 1024) + b"<styleSheet/>", False),
    ],
)
def test_hidden_dtds_refused(tmp_path: Path, good: Path, part: str, body: bytes, stored: bool) -> None:
    with zipfile.ZipFile(good) as z:
        exists = part in z.namelist()
    hostile = rezip(
        good,
        tmp_path / "hidden.xlsx",
        replace={part: body} if exists else None,
        add=None if exists else {part: body},
        stored={part} if stored else (),
    )
    assert code_of(hostile) == "file-unsafe-xml"


def test_comments_and_processing_instructions_are_fine(tmp_path: Path, good: Path) -> None:
    with zipfile.ZipFile(good) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    body = '<?xml version="1.0"?>\n<!-- 备注 <b> -->\n<?pi data?>\n'.encode() + sheet
    ok = rezip(good, tmp_path / "ok.xlsx", replace={"xl/worksheets/sheet1.xml": body})
    assert safeio.open_check(ok) == []
    assert openpyxl.load_workbook(ok)[SHEET]["B2"].value == "城乡居民基本养老保险参保率1"


def test_macros_and_external_links_are_warnings(tmp_path: Path, good: Path) -> None:
    vba = make_cfb(tmp_path / "vbaProject.bin", {"PROJECT": b'ID="{00000000}"\r\n'}).read_bytes()
    xlsm = rezip(good, tmp_path / "带宏.xlsm", add={"xl/vbaProject.bin": vba})
    warnings = safeio.open_check(xlsm)
    assert [w.code for w in warnings] == ["file-has-macros"]
    assert warnings[0].severity == "warning" and warnings[0].file == str(xlsm)
    assert safeio.sniff(xlsm) == "xlsm"

    link = b'<?xml version="1.0"?><externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
    linked = rezip(good, tmp_path / "外链.xlsx", add={"xl/externalLinks/externalLink1.xml": link})
    assert [w.code for w in safeio.open_check(linked)] == ["file-external-links"]
    # warnings only: the data is still readable
    assert CalamineWorkbook.from_path(str(linked)).get_sheet_by_name(SHEET).to_python()[1][0] == 1


def test_large_files_are_checked_without_reading_them_whole(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, good: Path
) -> None:
    monkeypatch.setattr(safeio, "READ_WHOLE_BYTES", 100)  # take the seek-and-read path
    assert safeio.open_check(good) == []
    laughs = rezip(good, tmp_path / "laughs.xlsx", replace={"xl/worksheets/sheet1.xml": BILLION_LAUGHS})
    assert code_of(laughs) == "file-unsafe-xml"
    many = rezip(good, tmp_path / "many.xlsx", add={f"customXml/item{i}.xml": b"<a/>" for i in range(2001)})
    assert code_of(many) == "file-too-large"
    good.write_bytes(good.read_bytes()[:-30])
    assert code_of(good) == "file-corrupt"


def test_ignorable_names() -> None:
    assert safeio.is_ignorable_name("~$2024-03_幼有善育.xlsx")
    assert safeio.is_ignorable_name(".~lock.台账.xlsx#")
    assert safeio.is_ignorable_name("~qyx-1a2b3c4d.xlsx")
    assert not safeio.is_ignorable_name("2024-03_幼有善育.xlsx")


# --- atomic writes -----------------------------------------------------------------------------


def temps(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if safeio.is_ignorable_name(p.name)]


@pytest.fixture()
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "输出 目录"
    folder.mkdir()
    target = folder / "2024-03 七优享 进展通报.xlsx"
    make_xlsx(target, text="旧版本")
    return target


def test_atomic_write_replaces_and_keeps_a_backup(out: Path) -> None:
    old = out.read_bytes()
    seen: list[Path] = []

    def write(tmp: Path) -> None:
        seen.append(tmp)
        make_xlsx(tmp, text="新版本")

    def verify(tmp: Path) -> None:
        assert CalamineWorkbook.from_path(str(tmp)).sheet_names == [SHEET]

    assert safeio.atomic_write(out, write, verify) == out
    assert seen[0].parent == out.parent and seen[0].name.startswith("~qyx-") and seen[0].suffix == ".xlsx"
    assert openpyxl.load_workbook(out)[SHEET]["B2"].value == "新版本1"
    (saved,) = safeio.backups_of(out)
    assert saved.parent == out.parent / "备份"
    assert re.fullmatch(r"2024-03 七优享 进展通报\.\d{8}-\d{6}\.xlsx", saved.name)
    assert saved.read_bytes() == old
    assert temps(out.parent) == []


def test_backups_keep_the_last_ten(out: Path) -> None:
    backups = out.parent / "备份"
    backups.mkdir()
    for day in range(1, 13):
        (backups / f"{out.stem}.202401{day:02d}-080000{out.suffix}").write_bytes(b"old")
    (backups / "其他文件.20240101-080000.xlsx").write_bytes(b"other")
    for n in range(3):  # same second: distinct names
        safeio.atomic_write_bytes(out, f"第{n}版".encode())
    kept = safeio.backups_of(out)
    assert len(kept) == 10
    assert kept[-1].read_bytes() == "第1版".encode()
    assert kept[0].name == f"{out.stem}.20240106-080000{out.suffix}"
    assert (backups / "其他文件.20240101-080000.xlsx").exists()
    assert out.read_bytes() == "第2版".encode()


def test_new_file_in_new_folder_without_backup(tmp_path: Path) -> None:
    target = tmp_path / "新 文件夹" / "说明.txt"
    safeio.atomic_write_text(target, "七优享\n")
    assert target.read_text(encoding="utf-8") == "七优享\n"
    assert not (target.parent / "备份").exists()
    safeio.atomic_write_text(target, "第二版", backup=False)
    assert not (target.parent / "备份").exists()


def test_replace_refused_like_windows_lock(monkeypatch: pytest.MonkeyPatch, out: Path) -> None:
    old = out.read_bytes()

    def locked(src, dst):
        raise PermissionError(
            13, "The process cannot access the file because it is being used by another process"
        )

    monkeypatch.setattr(os, "replace", locked)
    with pytest.raises(OutputLocked) as caught:
        safeio.atomic_write(out, lambda tmp: make_xlsx(tmp, text="新版本"))
    assert str(caught.value) == f"文件“{out.name}”正被其他程序打开（如 Excel/Word），请先关闭该文件后重试。"
    assert caught.value.finding.code == "output-locked"
    assert caught.value.exit_code == 1
    assert isinstance(caught.value.__cause__, PermissionError)
    assert out.read_bytes() == old
    assert temps(out.parent) == []
    assert safeio.backups_of(out) == []


@pytest.mark.parametrize("owner", ["~${name}", ".~lock.{name}#"])
def test_owner_lock_file_means_open_in_office(out: Path, owner: str) -> None:
    old = out.read_bytes()
    (out.parent / owner.format(name=out.name)).write_bytes(b"\x08owner")
    called = []
    with pytest.raises(OutputLocked) as caught:
        safeio.atomic_write(out, called.append)
    assert caught.value.finding.code == "output-locked"
    assert out.name in caught.value.message
    assert called == []
    assert out.read_bytes() == old
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(safeio.TEMP_PREFIX)] == []


def test_word_owner_file_for_long_names(tmp_path: Path) -> None:
    target = tmp_path / "2024年3月进展通报.docx"
    target.write_bytes(b"old")
    (tmp_path / ("~$" + target.name[2:])).write_bytes(b"owner")  # Word: ~$年3月进展通报.docx
    with pytest.raises(OutputLocked):
        safeio.atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"


def test_writer_failing_half_way(out: Path) -> None:
    old = out.read_bytes()

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            fh.write(b"PK\x03\x04 half a workbook")
            raise ValueError("磁盘写到一半出错")

    with pytest.raises(OutputFailed) as caught:
        safeio.atomic_write(out, write)
    assert out.name in caught.value.message and "原文件保持不变" in caught.value.message
    assert caught.value.finding.code == "output-failed"
    assert isinstance(caught.value.__cause__, ValueError)
    assert out.read_bytes() == old
    assert temps(out.parent) == []
    assert safeio.backups_of(out) == []


def test_verify_failing_and_qyx_errors_pass_through(out: Path) -> None:
    old = out.read_bytes()

    def verify(tmp: Path) -> None:
        CalamineWorkbook.from_path(str(tmp))  # not a workbook: calamine raises

    with pytest.raises(OutputFailed) as caught:
        safeio.atomic_write(out, lambda tmp: tmp.write_bytes(b"not a workbook"), verify)
    assert caught.value.__cause__ is not None
    template_error = TemplateError("模板中引用了不存在的字段")

    def write(tmp: Path) -> None:
        raise template_error

    with pytest.raises(TemplateError) as caught_template:
        safeio.atomic_write(out, write)
    assert caught_template.value is template_error
    assert out.read_bytes() == old
    assert temps(out.parent) == []


def test_interrupt_cleans_up(out: Path) -> None:
    old = out.read_bytes()

    def write(tmp: Path) -> None:
        tmp.write_bytes(b"partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        safeio.atomic_write(out, write)
    assert out.read_bytes() == old
    assert temps(out.parent) == []


def test_atomic_write_bytes_and_text_round_trip(tmp_path: Path) -> None:
    csv = tmp_path / "排名 表.csv"
    safeio.atomic_write_text(csv, "单位,得分\r\n卫健局,95\r\n", encoding="utf-8-sig", newline="")
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")
    assert csv.read_bytes().decode("utf-8-sig") == "单位,得分\r\n卫健局,95\r\n"
    blob = tmp_path / "数据.bin"
    safeio.atomic_write_bytes(blob, bytes(range(256)))
    assert blob.read_bytes() == bytes(range(256))


# --- text hygiene ------------------------------------------------------------------------------


def test_clean_text_removes_what_xml_cannot_hold() -> None:
    dirty = "托位\x00数\x07\x0b\x0c\x1f（\ufffe\uffff）\ud800完成\t\n\r👶"
    text, codes = safeio.clean_text(dirty)
    assert text == "托位数（）完成\t\n\r👶"
    assert codes == ["text-control-chars"]
    assert safeio.clean_text("正常文字 85%") == ("正常文字 85%", [])
    long_text, codes = safeio.clean_text("字" * 32768)
    assert codes == ["text-too-long"] and len(long_text) == 32768
    assert all(code in CODES for code in ("text-control-chars", "text-too-long", "text-formula-like"))


def test_excel_length_counts_utf16_units() -> None:
    assert safeio.excel_length("abc") == 3
    assert safeio.excel_length("七优享") == 3
    assert safeio.excel_length("👶a") == 3


def test_formula_like() -> None:
    for text in ("=1+1", "+86 577", "-5%", "@SUM(A1)", "\t=cmd", "\r=x"):
        assert safeio.is_formula_like(text)
    for text in ("1+1", " =1", "＝1+1", "", "七优享"):
        assert not safeio.is_formula_like(text)
    assert not safeio.is_formula_like(42)


def test_safe_cell_text() -> None:
    assert safeio.safe_cell_text(None) == ""
    assert safeio.safe_cell_text(85.5) == "85.5"
    assert safeio.safe_cell_text("=1+1") == "=1+1"
    assert safeio.safe_cell_text("a\x00b") == "ab"
    cut = safeio.safe_cell_text("👶" * 20000)
    assert safeio.excel_length(cut) <= safeio.EXCEL_CELL_LIMIT and cut.endswith("…")
    assert safeio.safe_cell_text("字" * 40000, limit=10) == "字" * 9 + "…"


@given(st.text())
def test_cleaned_text_is_storable(value: str) -> None:
    text, codes = safeio.clean_text(value)
    assert not safeio.ILLEGAL_XML_CHARS.search(text)
    assert ("text-control-chars" in codes) == (text != value)
    cell = openpyxl.Workbook().active["A1"]
    safeio.put_text(cell, value)  # openpyxl raises IllegalCharacterError on what XML cannot hold
    assert cell.data_type == "s"


FORMULAS = ["=1+1", '=HYPERLINK("http://example.invalid","点此")', "+1", "-2+3", "@SUM(A1:A2)", "\t=1"]


def test_formula_text_stays_text_with_openpyxl(tmp_path: Path) -> None:
    path = tmp_path / "openpyxl 文本.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    for row, text in enumerate(FORMULAS, start=1):
        safeio.put_text(ws.cell(row, 1), text)
        ws.cell(row, 2).value = text  # what happens without forcing the type
    wb.save(path)
    calamine_rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    reread = openpyxl.load_workbook(path).active
    for row, text in enumerate(FORMULAS, start=1):
        assert calamine_rows[row - 1][0] == text
        assert (reread.cell(row, 1).value, reread.cell(row, 1).data_type) == (text, "s")
    assert reread["B1"].data_type == "f"  # a plain assignment of "=1+1" became a formula
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>1+1</f>" in sheet and "HYPERLINK" in sheet.split('<c r="B2"')[1]
    assert "<f>" not in "".join(re.findall(r'<c r="A\d+".*?</c>', sheet))


def test_formula_text_stays_text_with_xlsxwriter(tmp_path: Path) -> None:
    path = tmp_path / "xlsxwriter 文本.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for row, text in enumerate(FORMULAS):
        sheet.write_string(row, 0, safeio.safe_cell_text(text))
    book.close()
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert [r[0] for r in rows] == FORMULAS
    reread = openpyxl.load_workbook(path).active
    assert all(reread.cell(i, 1).data_type == "s" for i in range(1, len(FORMULAS) + 1))
    with zipfile.ZipFile(path) as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()


# --- defusedxml ---------------------------------------------------------------------------------


def test_defusedxml_is_in_force() -> None:
    safeio.assert_defused()
    assert openpyxl.DEFUSEDXML is True


def test_assert_defused_fails_without_defusedxml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "defusedxml", None)
    monkeypatch.setitem(sys.modules, "defusedxml.ElementTree", None)
    with pytest.raises(QyxError, match="defusedxml"):
        safeio.assert_defused()


def test_assert_defused_fails_when_openpyxl_is_not_defused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openpyxl, "DEFUSEDXML", False)
    with pytest.raises(QyxError, match="defusedxml"):
        safeio.assert_defused()
