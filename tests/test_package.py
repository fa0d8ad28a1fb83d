"""The safe-open step over bytes already read (``open_check(data=…)``) and :class:`safeio.Package`.

Intake reads a received file once and hands the bytes to the safe-open step, then reads the parts
it needs through the package the step returns (one zip directory, parsed once).  These tests pin
that this path refuses exactly what the path-based check refuses, that a part is never inflated
past the size the zip directory declares, and that the quick look at each part's first bytes never
lets through what the close look refuses.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import pytest
from crafted_files import BILLION_LAUGHS, EXTERNAL_ENTITY, forge_central, make_cfb, rezip
from hypothesis import given, settings
from hypothesis import strategies as st

from qyx_excel import safeio
from qyx_excel.errors import UnreadableFile


def _code(call) -> str:
    with pytest.raises(UnreadableFile) as caught:
        call()
    assert caught.value.finding is not None
    return caught.value.finding.code


def _hostile(tmp_path: Path, good: Path) -> dict[str, tuple[Path, str]]:
    zeros = b"\x00" * (1 << 20)
    bomb = rezip(good, tmp_path / "bomb.xlsx", replace={"xl/worksheets/sheet1.xml": None})
    with (
        zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as z,
        z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part,
    ):
        for _ in range(60):
            part.write(zeros)
    truncated = tmp_path / "cut.xlsx"
    truncated.write_bytes(good.read_bytes()[:-40])
    encrypted = make_cfb(
        tmp_path / "enc.xlsx", {"EncryptionInfo": b"\x04\x00" * 8, "EncryptedPackage": b"x" * 64}
    )
    pdf = tmp_path / "doc.xlsx"
    pdf.write_bytes(b"%PDF-1.7\n" + b"x" * 100)
    return {
        "laughs": (
            rezip(good, tmp_path / "laughs.xlsx", replace={"xl/worksheets/sheet1.xml": BILLION_LAUGHS}),
            "file-unsafe-xml",
        ),
        "xxe": (
            rezip(good, tmp_path / "xxe.xlsx", add={"xl/sharedStrings.xml": EXTERNAL_ENTITY}),
            "file-unsafe-xml",
        ),
        "bomb": (bomb, "file-too-large"),
        "truncated": (truncated, "file-corrupt"),
        "encrypted": (encrypted, "file-encrypted"),
        "pdf": (pdf, "file-not-excel"),
        "password": (
            forge_central(rezip(good, tmp_path / "pw.xlsx"), flags={"xl/worksheets/sheet1.xml": 1}),
            "file-encrypted",
        ),
    }


def test_bytes_given_refuse_what_the_path_refuses(tmp_path: Path, good: Path) -> None:
    assert safeio.open_check(good, data=good.read_bytes()) == safeio.open_check(good) == []
    for name, (path, code) in _hostile(tmp_path, good).items():
        data = path.read_bytes()
        assert _code(lambda p=path: safeio.open_check(p)) == code, name
        assert _code(lambda p=path, d=data: safeio.open_check(p, data=d)) == code, name
        assert _code(lambda p=path, d=data: safeio.open_package(p, data=d)) == code, name
        assert _code(lambda p=path: safeio.open_package(p)) == code, name
    with pytest.raises(UnreadableFile) as caught:
        safeio.open_check(tmp_path / "gone.xlsx", data=b"")
    assert caught.value.finding.code == "file-empty"


def test_bytes_given_file_never_read(tmp_path: Path, good: Path) -> None:
    data = good.read_bytes()
    gone = tmp_path / "已删除.xlsx"  # the path only names the file in findings
    assert safeio.open_check(gone, data=data) == []
    xlsm = rezip(good, tmp_path / "m.xlsm", add={"xl/vbaProject.bin": b"\x00" * 64})
    warnings = safeio.open_package(gone, data=xlsm.read_bytes(), display="带宏.xlsm").warnings
    assert [(w.code, w.file) for w in warnings] == [("file-has-macros", "带宏.xlsm")]


def test_package_reads_parts_as_zipfile_does(good: Path) -> None:
    package = safeio.open_package(good)
    assert package.data == good.read_bytes()
    assert package.kind == "xlsx" and package.warnings == []
    with zipfile.ZipFile(good) as z:
        assert sorted(package.names) == sorted(z.namelist())
        for name in z.namelist():
            assert package.read(name) == z.read(name)
    assert "XL/Workbook.xml" in package  # part names are case-insensitive, as in Office
    assert package.read("XL/Workbook.xml") == package.read("xl/workbook.xml")
    with pytest.raises(KeyError):
        package.read("xl/sharedStrings2.xml")


def test_stored_parts_read_too(tmp_path: Path, good: Path) -> None:
    with zipfile.ZipFile(good) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    stored = rezip(
        good,
        tmp_path / "stored.xlsx",
        replace={"xl/worksheets/sheet1.xml": sheet},
        stored={"xl/worksheets/sheet1.xml"},
    )
    assert safeio.open_package(stored).read("xl/worksheets/sheet1.xml") == sheet


def test_part_inflating_past_its_declared_size_is_refused(tmp_path: Path, good: Path) -> None:
    """A directory that under-states a part's size (a bomb in disguise) is caught when the part is read."""
    with zipfile.ZipFile(good) as z:
        real = z.getinfo("xl/worksheets/sheet1.xml").file_size
    lying = forge_central(rezip(good, tmp_path / "lying.xlsx"), sizes={"xl/worksheets/sheet1.xml": real // 2})
    package = safeio.open_package(lying)  # the directory alone looks fine
    with pytest.raises(UnreadableFile) as caught:
        package.read("xl/worksheets/sheet1.xml")
    assert caught.value.finding.code == "file-corrupt"
    assert "sheet1.xml" in caught.value.message


def test_part_with_wrong_checksum_is_refused(tmp_path: Path, good: Path) -> None:
    data = bytearray(good.read_bytes())
    eocd = data.rfind(b"PK\x05\x06")
    count, _, pos = struct.unpack_from("<HLL", data, eocd + 10)
    for _ in range(count):
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, pos + 28)
        if data[pos + 46 : pos + 46 + name_len] == b"xl/styles.xml":
            crc = struct.unpack_from("<L", data, pos + 16)[0]
            struct.pack_into("<L", data, pos + 16, crc ^ 1)
        pos += 46 + name_len + extra_len + comment_len
    good.write_bytes(bytes(data))
    package = safeio.open_package(good)
    with pytest.raises(UnreadableFile) as caught:
        package.read("xl/styles.xml")
    assert caught.value.finding.code == "file-corrupt"


# --- the quick look at a part's first bytes agrees with the close look ---------------------------

_PIECES = [
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
    b"<?xml?>",
    b"<?pi x?>",
    b"\r\n",
    b" ",
    b"\t",
    b"<!--c-->",
    b"<!DOCTYPE a>",
    b'<!ENTITY e "x">',
    b"<!",
    b"<",
    b"?>",
    b">",
    b"\x00",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"<worksheet>",
    b"<x:a>",
    b"<_b/>",
    b"text",
    b"<1>",
    b"<?",
    b"]>",
    b"\xe4\xb8\xad",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=8))
def test_quick_look_never_passes_what_the_close_look_refuses(pieces: list[bytes]) -> None:
    head = b"".join(pieces)
    if safeio._PLAIN_PROLOG.match(head[:128]) is not None:
        assert safeio._xml_problem([head]) is None, head


# --- the central directory, read as zipfile reads it -----------------------------------------------


def _zipfile_view(data: bytes) -> list[tuple] | None:
    import io

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return [
                (
                    i.filename,
                    i.flag_bits,
                    i.compress_type,
                    i.CRC,
                    i.compress_size,
                    i.file_size,
                    i.header_offset,
                )
                for i in z.infolist()
            ]
    except Exception:
        return None


def _our_view(data: bytes) -> list[tuple] | None:
    parts = safeio._central_directory(data)
    if parts is None:
        return None
    return [
        (p.filename, p.flag_bits, p.compress_type, p.CRC, p.compress_size, p.file_size, p.header_offset)
        for p in parts
    ]


def _zip(names: list[str], comment: bytes, prefix: bytes, stored: bool) -> bytes:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as z:
        for i, name in enumerate(names):
            z.writestr(name, f"<a>{i}</a>" * (i + 1))
        z.comment = comment
    return prefix + buf.getvalue()


_names = st.lists(
    st.sampled_from(
        [
            "xl/workbook.xml",
            "[Content_Types].xml",
            "目录/中文.xml",
            "a/",
            "x\x00y.xml",
            "docProps/app.xml",
            "xl/worksheets/sheet1.xml",
        ]
    ),
    max_size=5,
    unique=True,
)


@settings(max_examples=300, deadline=None)
@given(
    _names,
    st.binary(max_size=40),
    st.binary(max_size=30),
    st.booleans(),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=3),
)
def test_central_directory_reads_as_zipfile_does(names, comment, prefix, stored, flips) -> None:
    data = bytearray(_zip(names, comment, prefix, stored))
    for at, value in flips:  # damage a few bytes anywhere
        data[at % len(data)] = value
    ours = _our_view(bytes(data))
    if ours is not None:  # what we read, zipfile reads the same; otherwise zipfile decides
        assert ours == _zipfile_view(bytes(data))


def test_central_directory_of_real_files(tmp_path: Path, good: Path) -> None:
    from qyx_excel.distribute import distribute
    from qyx_excel.periods import parse_period

    files = [good, *distribute(parse_period("2024-03"), tmp_path / "out")]
    for path in files:
        data = path.read_bytes()
        assert _our_view(data) is not None
        assert _our_view(data) == _zipfile_view(data), path.name
