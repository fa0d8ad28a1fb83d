"""Builders of the files that arrive by mail, at the byte level: workbooks, zip parts, OLE2 files.

Shared by the safe-open tests (``test_safeio.py``, ``test_package.py``) and the hostile inputs of
the end-to-end suite (``hostile_files.py``).
"""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import openpyxl
import pytest

SHEET = "幼有善育"


def make_xlsx(path: Path, text: str = "城乡居民基本养老保险参保率") -> Path:
    """A normal small workbook, as openpyxl writes it."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(["序号", "指标名称", "本期完成值"])
    for i in range(1, 41):
        ws.append([i, f"{text}{i}", i * 1.5])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def rezip(src: Path, dst: Path, replace: dict[str, bytes | None] | None = None, add=None, stored=()) -> Path:
    """Copy a zip, replacing (bytes), dropping (None) or adding parts."""
    replace = replace or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename in replace:
                data = replace[info.filename]
                if data is None:
                    continue
            else:
                data = zin.read(info)
            method = zipfile.ZIP_STORED if info.filename in stored else zipfile.ZIP_DEFLATED
            zout.writestr(info.filename, data, compress_type=method)
        for name, data in (add or {}).items():
            method = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            zout.writestr(name, data, compress_type=method)
    return dst


def make_cfb(path: Path, streams: dict[str, bytes]) -> Path:
    """A compound file (OLE2) with the given streams, written by ms_cfb."""
    from ms_cfb.Models.Directories.root_directory import RootDirectory
    from ms_cfb.Models.Directories.stream_directory import StreamDirectory
    from ms_cfb.ole_file import OleFile

    parts = path.parent / (path.name + ".parts")
    parts.mkdir()
    root = RootDirectory()
    for name, data in streams.items():
        (parts / name).write_bytes(data)
        root.add_directory(StreamDirectory(name, str(parts / name)))
    ole = OleFile()
    ole.root_directory = root
    here = os.getcwd()
    os.chdir(parts)  # ms_cfb writes a scratch file "./fatChain.bin" into the working directory
    try:
        ole.create_file(str(path))
    finally:
        os.chdir(here)
    return path


def forge_central(
    path: Path, *, sizes: dict[str, int] | None = None, flags: dict[str, int] | None = None
) -> Path:
    """Rewrite declared uncompressed sizes / flag bits in the central directory (no data change)."""
    data = bytearray(path.read_bytes())
    eocd = data.rfind(b"PK\x05\x06")
    count, _, cd_offset = struct.unpack_from("<HLL", data, eocd + 10)
    pos = cd_offset
    for _ in range(count):
        assert data[pos : pos + 4] == b"PK\x01\x02"
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, pos + 28)
        name = data[pos + 46 : pos + 46 + name_len].decode()
        if sizes and name in sizes:
            struct.pack_into("<L", data, pos + 24, sizes[name])
        if flags and name in flags:
            struct.pack_into("<H", data, pos + 8, flags[name])
        pos += 46 + name_len + extra_len + comment_len
    path.write_bytes(bytes(data))
    return path


BILLION_LAUGHS = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">
<si><t>&xxe;</t></si></sst>"""


def count_inflated(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count every byte any reader inflates (zipfile, safeio and calamine's Python side use zlib)."""
    counted = [0]
    real = zlib.decompressobj

    class Counting:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self._d = real(*args, **kwargs)

        def decompress(self, *args: Any, **kwargs: Any) -> bytes:
            out = self._d.decompress(*args, **kwargs)
            counted[0] += len(out)
            return out

        def __getattr__(self, name: str) -> Any:
            return getattr(self._d, name)

    monkeypatch.setattr(zlib, "decompressobj", Counting)
    return counted
