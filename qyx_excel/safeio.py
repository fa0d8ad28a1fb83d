"""The reliability layer: a safe-open step for files that arrive by mail, one way to write outputs,
and text hygiene for everything we store in Excel or Word.

Safe-open (:func:`open_check`) looks at a submitted file *before* any reader does.  It reads only
the first bytes, the zip central directory and the first few hundred bytes of each part, so it
costs a fraction of a millisecond on a normal fill-in file.  Fatal problems raise
:class:`~qyx_excel.errors.UnreadableFile` carrying a finding with a stable code (``file-missing``,
``file-empty``, ``file-old-format``, ``file-encrypted``, ``file-not-excel``, ``file-corrupt``,
``file-too-large``, ``file-unsafe-xml``, ``file-unreadable``); warnings (``file-has-macros``,
``file-external-links``) are returned.

Writing (:func:`atomic_write`): a temporary file in the target's folder, checked, the previous
version kept in ``备份/``, then an atomic rename.  A file held open by Excel or Word raises
:class:`~qyx_excel.errors.OutputLocked` and is left byte-identical.

Text (:func:`clean_text`, :func:`safe_cell_text`, :func:`is_formula_like`): what Excel and Word
cannot store is removed and reported; text that looks like a formula is always stored as text.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import re
import secrets
import shutil
import stat
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import OutputFailed, OutputLocked, QyxError, UnreadableFile, UsageError
from .findings import Finding, make

# --- limits for a fill-in file (a normal one is 10-50 KB, about 15 parts) -----------------------
MB = 1024 * 1024
#: Largest file accepted as it sits on disk.
MAX_FILE_BYTES = 50 * MB
#: Largest sum of the declared uncompressed sizes of all parts.
MAX_TOTAL_UNCOMPRESSED = 100 * MB
#: Largest declared uncompressed size of one part.
MAX_ENTRY_UNCOMPRESSED = 50 * MB
#: Most parts in one workbook.
MAX_ENTRIES = 2000
#: Highest compression ratio (uncompressed / compressed) of one part ...
MAX_RATIO = 200
#: ... checked on parts larger than this (small, repetitive XML legitimately compresses well).
RATIO_MIN_BYTES = 1 * MB
#: Files up to this size are read into memory in one go (one system call instead of one per part).
READ_WHOLE_BYTES = 8 * MB
#: How far into an XML part we look for the start of the root element (past the prolog).
XML_PROLOG_LIMIT = 64 * 1024

#: Excel's limit on the characters in one cell (counted in UTF-16 code units).
EXCEL_CELL_LIMIT = 32767

#: Prefix of our temporary files; intake and listings ignore names that start with it.
TEMP_PREFIX = "~qyx-"
#: Subfolder, next to an output, that holds its previous versions.
BACKUP_DIR = "备份"
#: Previous versions kept per output file.
BACKUP_KEEP = 10

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_ZIP_EMPTY = b"PK\x05\x06"
_EOCD = b"PK\x05\x06"
_LOCAL = struct.Struct("<4s2B4HL2L2H")  # local file header, 30 bytes
_HEAD_BYTES = 1024  # first look at each part (uncompressed)
_SNIFF_BYTES = 4096

# --- what a file that is not a workbook looks like, in the user's words -------------------------
LOOKS_LIKE: dict[str, str] = {
    "pdf": "看起来是 PDF 文件",
    "html": "看起来是网页（HTML）文件，可能是从系统导出的“伪 Excel”",
    "mht": "看起来是网页存档（.mht）文件",
    "xml": "看起来是 XML 文件",
    "spreadsheetml2003": "看起来是 Excel 2003 XML 表格，请在 Excel 中另存为 .xlsx",
    "text": "看起来是文本文件（如 CSV）",
    "rtf": "看起来是 RTF 文档",
    "png": "看起来是图片（PNG）",
    "jpeg": "看起来是图片（JPEG）",
    "gif": "看起来是图片（GIF）",
    "bmp": "看起来是图片（BMP）",
    "tiff": "看起来是图片（TIFF）",
    "webp": "看起来是图片（WebP）",
    "rar": "看起来是 RAR 压缩包",
    "7z": "看起来是 7z 压缩包",
    "gzip": "看起来是 gzip 压缩包",
    "exe": "看起来是可执行程序",
    "zip": "看起来是普通 ZIP 压缩包",
    "docx": "看起来是 Word 文档（.docx）",
    "pptx": "看起来是 PowerPoint 演示文稿（.pptx）",
    "xlsb": "看起来是 Excel 二进制工作簿（.xlsb），请在 Excel 中另存为 .xlsx",
    "ods": "看起来是 WPS/LibreOffice 表格（.ods），请另存为 .xlsx",
    "odt": "看起来是 OpenDocument 文档（.odt）",
    "odf": "看起来是 OpenDocument 文件",
    "ofd": "看起来是 OFD 版式文件",
    "doc": "看起来是旧版 Word 文档（.doc）",
    "ppt": "看起来是旧版 PowerPoint 文件（.ppt）",
    "msg": "看起来是 Outlook 邮件（.msg），请先从邮件中取出附件",
    "unknown": "无法识别的文件类型",
}

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"BM", "bmp"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"Rar!\x1a\x07", "rar"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"\x1f\x8b", "gzip"),
    (b"MZ", "exe"),
    (b"\x7fELF", "exe"),
    (b"{\\rtf", "rtf"),
)


# ================================================================================================
# Safe-open step
# ================================================================================================


def open_check(path: str | Path, *, display: str | None = None, data: bytes | None = None) -> list[Finding]:
    """Check that ``path`` is a workbook we may hand to a reader; return warnings.

    Raises :class:`UnreadableFile` whose ``finding.code`` says why when the file must not be
    read (missing, empty, old ``.xls``, encrypted, not Excel, corrupt, too large or a zip bomb,
    DTD/entity declarations in any XML part).  Returns ``file-has-macros`` and
    ``file-external-links`` warnings.  ``display`` is the name used in findings (default: the path).
    ``data``: the file's bytes when the caller has already read them (the file is then not read).
    Nothing is decompressed beyond the first bytes of each part.
    """
    return _safe_open(Path(path), display, data, whole=False)


def open_package(path: str | Path, *, display: str | None = None, data: bytes | None = None) -> Package:
    """:func:`open_check`, keeping what it found: the file's bytes, its warnings and its parts.

    The file is read once (or not at all when ``data`` is given) and its zip directory parsed
    once; :meth:`Package.read` then inflates the parts a reader needs.  Raises as
    :func:`open_check` does.
    """
    return _safe_open(Path(path), display, data, whole=True)


class Package:
    """A received workbook that passed the safe-open step (see :func:`open_package`).

    ``data`` is the whole file, ``warnings`` the safe-open warnings, ``kind`` ``xlsx`` or ``xlsm``.
    Part names are matched without regard to case, as Office does.
    """

    def __init__(
        self, data: bytes, parts: dict[str, Any], kind: str, warnings: list[Finding], fatal: _Fatal
    ) -> None:
        self.data = data
        self.kind = kind
        self.warnings = warnings
        self._parts = parts
        self._fatal = fatal

    @property
    def names(self) -> list[str]:
        """The part names, as stored."""
        return [info.filename for info in self._parts.values()]

    def __contains__(self, part: str) -> bool:
        return part.lower() in self._parts

    def read(self, part: str) -> bytes:
        """The part's bytes.  ``KeyError`` when there is no such part; :class:`UnreadableFile`
        (``file-corrupt``) when its data is damaged or inflates to more than its declared size."""
        info = self._parts[part.lower()]
        if info.file_size == 0:
            return b""
        start, end = _member_span(self.data, len(self.data), info, self._fatal)
        raw = self.data[start:end]
        if info.compress_type == zipfile.ZIP_STORED:
            out = raw
        else:
            inflater = zlib.decompressobj(-15)
            try:  # never more than declared (+1 to tell a lying size from an exact one)
                out = inflater.decompress(raw, info.file_size + 1)
            except zlib.error as exc:
                raise self._fatal("file-corrupt", f"部件“{info.filename}”无法解压") from exc
        if len(out) != info.file_size or zlib.crc32(out) != info.CRC:
            raise self._fatal("file-corrupt", f"部件“{info.filename}”无法解压（内容与目录不符）")
        return out


def _safe_open(path: Path, display: str | None, data: bytes | None, *, whole: bool) -> Any:
    """The safe-open step; ``whole``: read the whole file and return a :class:`Package`."""
    name = display if display is not None else str(path)
    fatal = _Fatal(name)
    if data is not None:
        return _check_bytes(data, fatal, whole=whole)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise fatal("file-missing") from None
    except OSError as exc:
        raise fatal("file-unreadable", f"无法访问文件（{exc.strerror or exc}）") from exc
    if not _is_regular(st.st_mode):
        raise fatal("file-unreadable", "这是一个文件夹，不是文件" if path.is_dir() else "不是普通文件")
    size = st.st_size
    if size == 0:
        raise fatal("file-empty")
    try:
        with open(path, "rb") as fh:
            in_one_go = size <= READ_WHOLE_BYTES or (whole and size <= MAX_FILE_BYTES)
            head = fh.read(size if in_one_go else _SNIFF_BYTES)
            if len(head) == 0:
                raise fatal("file-empty")
            if len(head) == size or not (head.startswith(ZIP_MAGIC) or head.startswith(_ZIP_EMPTY)):
                return _check_bytes(head, fatal, whole=whole, ole_source=path, size=size)
            _refuse_non_zip(head, fatal, path)
            if size > MAX_FILE_BYTES:
                raise fatal("file-too-large", f"文件大小 {_mb(size)}，上限 {_mb(MAX_FILE_BYTES)}")
            if whole:  # the file grew between stat and read: read the rest (never past the limit)
                return _check_bytes(head + fh.read(MAX_FILE_BYTES + 1 - len(head)), fatal, whole=True)
            return _check_zip(fh, size, fatal)[2]
    except OSError as exc:
        raise fatal("file-unreadable", f"读取文件出错（{exc.strerror or exc}）") from exc


def _check_bytes(
    data: bytes, fatal: _Fatal, *, whole: bool, ole_source: Path | None = None, size: int | None = None
) -> Any:
    """Safe-open checks of a file held in memory (``size``: its size on disk when only its head is here)."""
    if not data:
        raise fatal("file-empty")
    _refuse_non_zip(data[:_SNIFF_BYTES], fatal, ole_source or data)
    size = len(data) if size is None else size
    if size > MAX_FILE_BYTES:
        raise fatal("file-too-large", f"文件大小 {_mb(size)}，上限 {_mb(MAX_FILE_BYTES)}")
    package = Package(data, *_check_zip(data, len(data), fatal), fatal)
    return package if whole else package.warnings


def _refuse_non_zip(head: bytes, fatal: _Fatal, ole_source: Path | bytes) -> None:
    """Raise for an OLE file (old format, encrypted, other Office) or anything that is not a zip."""
    if head.startswith(OLE_MAGIC):
        kind = _ole_kind(ole_source)
        if kind == "encrypted":
            raise fatal("file-encrypted")
        if kind in LOOKS_LIKE:
            raise fatal("file-not-excel", LOOKS_LIKE[kind])
        raise fatal("file-old-format")
    if not (head.startswith(ZIP_MAGIC) or head.startswith(_ZIP_EMPTY)):
        kind = _sniff_head(head)
        raise fatal("file-not-excel", _looks_like(kind, head))


def sniff(path: str | Path) -> str:
    """What the file is, from its bytes (never from its name).

    One of ``xlsx``, ``xlsm``, ``xlsb``, ``xls``, ``encrypted``, ``ods``, ``docx``, ``pptx``,
    ``odt``, ``ofd``, ``zip``, ``corrupt``, ``doc``, ``ppt``, ``msg``, ``ole``, ``pdf``, ``html``, ``mht``,
    ``xml``, ``spreadsheetml2003``, ``text``, ``rtf``, ``png``, ``jpeg``, ``gif``, ``bmp``, ``tiff``,
    ``webp``, ``rar``, ``7z``, ``gzip``, ``exe``, ``unknown``, ``empty``, ``missing``, ``directory``.
    """
    path = Path(path)
    if not path.exists():
        return "missing"
    if not path.is_file():
        return "directory" if path.is_dir() else "unknown"
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
        if not head:
            return "empty"
        if head.startswith(OLE_MAGIC):
            return _ole_kind(path)
        if not (head.startswith(ZIP_MAGIC) or head.startswith(_ZIP_EMPTY)):
            return _sniff_head(head)
        try:
            with zipfile.ZipFile(fh) as zf:
                infos = zf.infolist()
                return _zip_kind({i.filename.lower() for i in infos}, lambda n: _read_member(zf, n))
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, struct.error, NotImplementedError):
            return "corrupt"


def display_name(name: str) -> str:
    """A file name as it can be shown, stored and written anywhere: bytes that are not UTF-8 (a name
    made on another system, kept by Python as lone surrogates) become "�"."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return (
            name.encode("utf-8", "surrogateescape")
            .decode("utf-8", "replace")
            .encode("utf-8", "replace")
            .decode("utf-8")
        )
    return name


def kind_of_entry(mode: int) -> str | None:
    """What a folder entry that is not a regular file is, in the user's words (``None`` for a file)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "符号链接（快捷方式）"
    if stat.S_ISDIR(mode):
        return "文件夹"
    if stat.S_ISFIFO(mode):
        return "管道"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "设备"
    if stat.S_ISSOCK(mode):
        return "套接字"
    return "特殊文件"


def read_received(path: str | Path, *, display: str | None = None, follow_symlinks: bool = True) -> bytes:
    """The bytes of a received file, its size and kind checked before a byte is read.

    Raises :class:`UnreadableFile`: ``file-missing``; ``file-unreadable`` for anything but a regular
    file (a symbolic link too, unless ``follow_symlinks``: an inbox entry pointing at the system's
    password file must not be read); ``file-too-large`` over :data:`MAX_FILE_BYTES` (never read, so an
    8 GB file costs nothing); never more than that limit is read even if the file grows meanwhile.
    """
    path = Path(path)
    fatal = _Fatal(display if display is not None else display_name(path.name))
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
        try:
            if stat.S_ISLNK(os.lstat(path).st_mode):
                raise fatal("file-unreadable", "这是一个符号链接（快捷方式），不是文件本身，未读取")
        except FileNotFoundError:
            raise fatal("file-missing") from None
        except OSError as exc:
            raise fatal("file-unreadable", f"无法访问文件（{exc.strerror or exc}）") from exc
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise fatal("file-missing") from None
    except OSError as exc:
        raise fatal("file-unreadable", f"无法打开文件（{exc.strerror or exc}）") from exc
    with os.fdopen(fd, "rb") as fh:
        try:
            st = os.fstat(fh.fileno())
            kind = kind_of_entry(st.st_mode)
            if kind is not None:
                raise fatal("file-unreadable", f"这是{kind}，不是普通文件，未读取")
            if st.st_size > MAX_FILE_BYTES:
                raise fatal(
                    "file-too-large", f"文件大小 {_mb(st.st_size)}，上限 {_mb(MAX_FILE_BYTES)}，未读取"
                )
            data = fh.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise fatal("file-unreadable", f"读取文件出错（{exc.strerror or exc}）") from exc
    if len(data) > MAX_FILE_BYTES:
        raise fatal("file-too-large", f"文件超过上限 {_mb(MAX_FILE_BYTES)}，未读取")
    return data


def is_ignorable_name(name: str) -> bool:
    """True for names that are not submissions: Office owner files, LibreOffice locks, our temps."""
    return name.startswith(("~$", ".~lock.", TEMP_PREFIX, ".qyx-tmp-"))


class _Fatal:
    """Builds the UnreadableFile for one file (keeps the call sites short)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, code: str, detail: str | None = None) -> UnreadableFile:
        finding = make(code, file=self.name, detail=detail)
        return UnreadableFile(finding.message, finding)


def _is_regular(mode: int) -> bool:
    return stat.S_ISREG(mode)


def _mb(n: int) -> str:
    return f"{n / MB:.1f} MB" if n % MB else f"{n // MB} MB"


def _looks_like(kind: str, head: bytes) -> str:
    if kind == "unknown":
        return f"{LOOKS_LIKE['unknown']}，文件开头为 {head[:8].hex(' ')}"
    return LOOKS_LIKE.get(kind, LOOKS_LIKE["unknown"])


# --- non-zip files -------------------------------------------------------------------------------


def _sniff_head(head: bytes) -> str:
    """Classify a file that is neither zip nor OLE from its first bytes."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    text, decoded = head, None
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if head.startswith(bom):
            text = head[len(bom) :]
            if encoding != "utf-8":  # "Unicode text" as Excel saves it; look at it as ASCII-ish bytes too
                body = text[: len(text) // 2 * 2]
                decoded = body.decode(encoding, errors="replace")
                text = body.replace(b"\x00", b"")
            break
    lowered = text.lstrip().lower()
    if lowered.startswith(b"mime-version:") or b"\nmime-version:" in lowered[:1024]:
        return "mht"
    if lowered.startswith(b"<"):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in lowered:
            return "spreadsheetml2003"
        if lowered.startswith((b"<!doctype html", b"<html")) or b"<html" in lowered or b"<table" in lowered:
            return "html"
        if lowered.startswith(b"<?xml"):
            return "xml"
    if decoded is not None:
        low = [ord(ch) for ch in decoded if ord(ch) < 0x20 or ch == "\ufffd"]
        return "text" if _few_controls(low, len(decoded)) else "unknown"
    return "text" if _looks_textual(text) else "unknown"


def _few_controls(low: list[int], total: int) -> bool:
    """True when control characters other than tab, line breaks and form feed are rare (< 1 %)."""
    return sum(1 for c in low if c not in (9, 10, 12, 13)) <= total // 100


def _looks_textual(data: bytes) -> bool:
    if b"\x00" in data or not _few_controls([b for b in data if b < 0x20], len(data)):
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(data, final=False)
        except UnicodeDecodeError:
            continue
        return True
    return False


# --- OLE2 (compound file) containers ------------------------------------------------------------

_ENC_NAMES = (b"EncryptionInfo", b"EncryptedPackage")


def _ole_kind(source: Path | bytes) -> str:
    """``encrypted`` (OOXML in an encryption container), ``xls``, ``doc``, ``ppt``, ``msg`` or ``ole``.

    ``source``: the file's path, or its bytes."""
    try:
        import olefile

        with olefile.OleFileIO(source if isinstance(source, bytes) else str(source)) as ole:
            names = {"/".join(entry) for entry in ole.listdir(streams=True, storages=True)}
    except Exception:  # a damaged directory: fall back to the raw names
        return _ole_kind_raw(source)
    lowered = {n.lower() for n in names}
    if "encryptioninfo" in lowered or "encryptedpackage" in lowered:
        return "encrypted"
    if "workbook" in lowered or "book" in lowered:
        return "xls"
    if "worddocument" in lowered:
        return "doc"
    if "powerpoint document" in lowered:
        return "ppt"
    if any(n.startswith("__substg1.0_") for n in lowered):
        return "msg"
    return "ole"


def _ole_kind_raw(source: Path | bytes) -> str:
    # Directory entries hold names in UTF-16LE; finding them anywhere is enough to tell.
    if isinstance(source, bytes):
        data = source[:MAX_FILE_BYTES]
    else:
        with open(source, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES)
    if any(n.decode().encode("utf-16-le") in data for n in _ENC_NAMES):
        return "encrypted"
    return "ole"


# --- zip containers ------------------------------------------------------------------------------


def _check_zip(source: Any, size: int, fatal: _Fatal) -> tuple[dict[str, Any], str, list[Finding]]:
    """All checks on a zip container; ``source`` is the whole file in memory or an open file.

    Returns the parts by lower-cased name, the kind (``xlsx`` or ``xlsm``) and the warnings.
    """
    in_memory = isinstance(source, bytes)
    count = _eocd_count(source, size, in_memory)
    if count is not None and count > MAX_ENTRIES:
        raise fatal("file-too-large", f"含 {count} 个部件，上限 {MAX_ENTRIES} 个")
    parts = _central_directory(source) if in_memory else None
    zf: zipfile.ZipFile | None = None
    if parts is None:  # a file on disk, or what only zipfile reads (zip64 …) or refuses
        try:
            zf = zipfile.ZipFile(io.BytesIO(source) if in_memory else source)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, struct.error, NotImplementedError) as exc:
            raise fatal("file-corrupt", "压缩结构不完整，可能在传输中被截断") from exc
    with zf or contextlib.nullcontext():
        infos: list[Any] = zf.infolist() if zf is not None else list(parts or ())
        _check_sizes(infos, size, fatal)
        names = {}
        for info in infos:
            key = info.filename.lower()
            if key in names:
                raise fatal("file-corrupt", f"部件“{info.filename}”重复出现")
            names[key] = info
        if not names:
            raise fatal("file-corrupt", "压缩包是空的")
        if zf is not None:
            kind = _zip_kind(set(names), lambda n: _read_member(zf, n))
        else:
            kind = _zip_kind(
                set(names), lambda n: _read_head(source, size, names[n], fatal) if n in names else None
            )
        if kind not in ("xlsx", "xlsm"):
            if kind == "corrupt":
                missing = "[Content_Types].xml" if "[content_types].xml" not in names else "xl/workbook.xml"
                raise fatal("file-corrupt", f"缺少必需部件 {missing}")
            raise fatal("file-not-excel", LOOKS_LIKE.get(kind, LOOKS_LIKE["unknown"]))
        for info in infos:
            if info.file_size == 0 or info.is_dir():
                continue
            if in_memory and _plain_prolog(source, size, info):
                continue  # the usual case, decided from the first 128 bytes
            problem = _xml_problem(_member_chunks(source, size, info, fatal))
            if problem:
                raise fatal("file-unsafe-xml", f"部件 {info.filename} {problem}")
    warnings: list[Finding] = []
    if kind == "xlsm":
        warnings.append(make("file-has-macros", file=fatal.name))
    if any(key.startswith("xl/externallinks/") for key in names):
        warnings.append(make("file-external-links", file=fatal.name))
    return names, kind, warnings


class _Part:
    """What :func:`_central_directory` knows of a part (the :class:`zipfile.ZipInfo` fields we use)."""

    __slots__ = (
        "CRC",
        "compress_size",
        "compress_type",
        "file_size",
        "filename",
        "flag_bits",
        "header_offset",
    )

    def __init__(
        self,
        filename: str,
        flag_bits: int,
        compress_type: int,
        crc: int,
        compress_size: int,
        file_size: int,
        header_offset: int,
    ) -> None:
        self.filename = filename
        self.flag_bits = flag_bits
        self.compress_type = compress_type
        self.CRC = crc
        self.compress_size = compress_size
        self.file_size = file_size
        self.header_offset = header_offset

    def is_dir(self) -> bool:
        return self.filename.endswith("/")


_EOCD_RECORD = struct.Struct("<4s4H2LH")  # end of central directory, 22 bytes
_CENTRAL_RECORD = struct.Struct("<4s4B4HL2L5H2L")  # central directory entry, 46 bytes
_ZIP64_LOCATOR = b"PK\x06\x07"
_MAX_EXTRACT_VERSION = 63  # as zipfile


def _central_directory(data: bytes) -> list[_Part] | None:
    """The parts listed in the central directory of a zip held in memory, read as :mod:`zipfile`
    reads them (same end record, same offsets, names cut at a NUL byte) at a fraction of the cost.

    ``None`` for anything unusual — zip64, a damaged or truncated directory, a zip64 or damaged
    extra field, an undecodable name — so that :mod:`zipfile` reads the file (or refuses it) as before.
    """
    size = len(data)
    if size >= _EOCD_RECORD.size and data[size - 22 : size - 18] == _EOCD and data[size - 2 :] == b"\0\0":
        at = size - 22
    else:
        at = data.rfind(_EOCD, max(size - 65536 - 22, 0))
        if at < 0 or at + _EOCD_RECORD.size > size:
            return None
    if at >= 20 and data[at - 20 : at - 16] == _ZIP64_LOCATOR:
        return None
    cd_size, cd_offset = _EOCD_RECORD.unpack_from(data, at)[5:7]
    concat = at - cd_size - cd_offset  # bytes in front of the zip (zipfile accepts them)
    start = cd_offset + concat
    if start < 0 or start + cd_size > size:
        return None
    parts: list[_Part] = []
    pos, end = start, start + cd_size
    try:
        while pos < end:
            if pos + _CENTRAL_RECORD.size > end:
                return None
            record = _CENTRAL_RECORD.unpack_from(data, pos)
            if record[0] != b"PK\x01\x02" or record[3] > _MAX_EXTRACT_VERSION:
                return None
            flags, method, crc, compressed, uncompressed = (
                record[5],
                record[6],
                record[9],
                record[10],
                record[11],
            )
            name_len, extra_len, comment_len, offset = record[12], record[13], record[14], record[18]
            name_at = pos + _CENTRAL_RECORD.size
            extra_at = name_at + name_len
            pos = extra_at + extra_len + comment_len
            if pos > end or 0xFFFFFFFF in (compressed, uncompressed, offset):
                return None
            extra = data[extra_at : extra_at + extra_len]
            while len(extra) >= 4:
                kind, length = struct.unpack_from("<HH", extra)
                if kind == 1 or length + 4 > len(extra):  # zip64 sizes, or a damaged field: zipfile decides
                    return None
                extra = extra[length + 4 :]
            raw = data[name_at:extra_at]
            name = raw.decode("utf-8") if flags & 0x800 else raw.decode("cp437")
            parts.append(
                _Part(name.split("\x00", 1)[0], flags, method, crc, compressed, uncompressed, offset + concat)
            )
    except (UnicodeDecodeError, struct.error):
        return None
    return parts


def _read_head(
    data: bytes, size: int, info: Any, fatal: _Fatal, limit: int = XML_PROLOG_LIMIT
) -> bytes | None:
    """The first ``limit`` bytes of a part of a zip held in memory (``None`` for an oversized part)."""
    if info.file_size > MAX_ENTRY_UNCOMPRESSED:
        return None
    return b"".join(_member_chunks(data, size, info, fatal))[:limit]


def _eocd_count(source: Any, size: int, in_memory: bool) -> int | None:
    """Entry count from the end-of-central-directory record, before zipfile builds a list."""
    tail_len = min(size, 22 + 65535)
    if in_memory:
        tail = source[-tail_len:]
    else:
        source.seek(size - tail_len)
        tail = source.read(tail_len)
        source.seek(0)
    at = tail.rfind(_EOCD)
    if at < 0 or at + 22 > len(tail):
        return None  # zipfile will say it is corrupt
    total = struct.unpack_from("<H", tail, at + 10)[0]
    return None if total == 0xFFFF else total  # 0xFFFF: zip64, counted after parsing


def _check_sizes(infos: list[Any], size: int, fatal: _Fatal) -> None:
    if len(infos) > MAX_ENTRIES:
        raise fatal("file-too-large", f"含 {len(infos)} 个部件，上限 {MAX_ENTRIES} 个")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise fatal("file-encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise fatal("file-corrupt", f"部件“{info.filename}”使用了 Excel 不使用的压缩方式")
        if info.header_offset + info.compress_size > size:
            raise fatal("file-corrupt", "文件不完整，可能在传输中被截断")
        if info.file_size > MAX_ENTRY_UNCOMPRESSED:
            raise fatal(
                "file-too-large",
                f"部件“{info.filename}”解压后 {_mb(info.file_size)}，上限 {_mb(MAX_ENTRY_UNCOMPRESSED)}",
            )
        total += info.file_size
    if total > MAX_TOTAL_UNCOMPRESSED:
        raise fatal("file-too-large", f"解压后共 {_mb(total)}，上限 {_mb(MAX_TOTAL_UNCOMPRESSED)}")
    for info in infos:
        if info.file_size > RATIO_MIN_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise fatal("file-too-large", f"部件“{info.filename}”压缩比 {ratio}:1，上限 {MAX_RATIO}:1")


def _zip_kind(names: set[str], read: Callable[[str], bytes | None]) -> str:
    """Classify a zip from its (lower-cased) part names; ``read`` fetches a small part."""
    has_ct = "[content_types].xml" in names
    if "xl/workbook.bin" in names:
        return "xlsb"
    if has_ct and "word/document.xml" in names:
        return "docx"
    if has_ct and "ppt/presentation.xml" in names:
        return "pptx"
    if "mimetype" in names and "content.xml" in names:
        mimetype = (read("mimetype") or b"")[:100]
        if b"opendocument.spreadsheet" in mimetype:
            return "ods"
        return "odt" if b"opendocument.text" in mimetype else "odf"
    if "ofd.xml" in names:
        return "ofd"
    if not any(n.startswith("xl/") for n in names) and not has_ct:
        return "zip"
    if not has_ct:
        return "corrupt"
    if "xl/workbook.xml" not in names and not _main_part_present(names, read):
        return "corrupt"
    macros = any(n.endswith("vbaproject.bin") or n.startswith("xl/macrosheets/") for n in names)
    return "xlsm" if macros else "xlsx"


def _main_part_present(names: set[str], read: Callable[[str], bytes | None]) -> bool:
    # The workbook may sit elsewhere; _rels/.rels names it (rare: only some generators do this).
    rels = read("_rels/.rels")
    if not rels or b"<!" in rels[:XML_PROLOG_LIMIT]:
        return False
    match = re.search(rb'Target="/?([^"]+)"[^>]*?Type="[^"]*/officeDocument"', rels) or re.search(
        rb'Type="[^"]*/officeDocument"[^>]*?Target="/?([^"]+)"', rels
    )
    if not match:
        return False
    target = str(PurePosixPath(match.group(1).decode("utf-8", "replace"))).lower()
    return target in names and target.endswith(".xml")


def _read_member(zf: zipfile.ZipFile, lower_name: str, limit: int = XML_PROLOG_LIMIT) -> bytes | None:
    for info in zf.infolist():
        if info.filename.lower() == lower_name:
            if info.file_size > MAX_ENTRY_UNCOMPRESSED:
                return None
            with zf.open(info) as fh:
                return fh.read(limit)
    return None


def _member_span(source: Any, size: int, info: Any, fatal: _Fatal) -> tuple[int, int]:
    """Where the part's compressed bytes start and end, from its local header."""
    offset = info.header_offset
    if isinstance(source, bytes):
        header = source[offset : offset + _LOCAL.size]
    else:
        source.seek(offset)
        header = source.read(_LOCAL.size)
    if len(header) < _LOCAL.size or header[:4] != ZIP_MAGIC:
        raise fatal("file-corrupt", f"部件“{info.filename}”的文件头损坏")
    name_len, extra_len = struct.unpack_from("<HH", header, 26)
    start = offset + _LOCAL.size + name_len + extra_len
    end = start + info.compress_size
    if end > size:
        raise fatal("file-corrupt", "文件不完整，可能在传输中被截断")
    return start, end


#: An XML part that starts the usual way: at most an XML declaration, then its root element.
_PLAIN_PROLOG = re.compile(rb"(?:\xef\xbb\xbf)?(?:<\?xml[^<>]*\?>)?[ \t\r\n]*<[A-Za-z_]")


def _plain_prolog(data: bytes, size: int, info: Any) -> bool:
    """True when the part's first 128 bytes reach its root element with no DTD before it.

    A quick look for the usual case; ``False`` means "look closer" (:func:`_xml_problem`), never
    "unsafe".  Nothing before the root element can hide a declaration: the pattern admits no ``<``
    but the declaration's and the root's, and no NUL byte.
    """
    try:
        start, end = _member_span(data, size, info, _Fatal(""))
    except UnreadableFile:
        return False  # the close look says what is wrong
    raw = data[start : min(end, start + 512)]
    if info.compress_type == zipfile.ZIP_STORED:
        head = raw[:128]
    else:
        try:
            head = zlib.decompressobj(-15).decompress(raw, 128)
        except zlib.error:
            return False
    return _PLAIN_PROLOG.match(head) is not None


def _member_chunks(source: Any, size: int, info: Any, fatal: _Fatal) -> Iterator[bytes]:
    """Yield the part's uncompressed bytes in growing pieces, reading only what is asked for."""
    in_memory = isinstance(source, bytes)
    start, end = _member_span(source, size, info, fatal)

    def raw(pos: int, n: int) -> bytes:
        n = min(n, end - pos)
        if n <= 0:
            return b""
        if in_memory:
            return source[pos : pos + n]
        source.seek(pos)
        return source.read(n)

    produced = 0
    want = _HEAD_BYTES
    if info.compress_type == zipfile.ZIP_STORED:
        while produced < XML_PROLOG_LIMIT:
            piece = raw(start + produced, want)
            if not piece:
                return
            produced += len(piece)
            yield piece
            want = XML_PROLOG_LIMIT
        return
    inflater = zlib.decompressobj(-15)
    pos = start
    pending = b""
    while produced < XML_PROLOG_LIMIT:
        if not pending:
            pending = raw(pos, 4096)
            pos += len(pending)
            if not pending:
                return
        try:
            out = inflater.decompress(pending, want)
        except zlib.error as exc:
            raise fatal("file-corrupt", f"部件“{info.filename}”无法解压") from exc
        pending = inflater.unconsumed_tail
        want = 16 * 1024
        if out:
            produced += len(out)
            yield out
        if inflater.eof:
            return


_XML_SPACE = b" \t\r\n"


def _xml_problem(chunks: Iterable[bytes]) -> str | None:
    """Look at an XML part's prolog (up to its root element) for a DTD; ``None`` when safe.

    NUL bytes are dropped first so that a UTF-16 or UTF-32 part cannot hide ``<!DOCTYPE``.
    Parts that do not start with ``<`` are not XML (images, vbaProject.bin) and are skipped.
    """
    buf = b""
    seen = 0
    for chunk in chunks:
        seen += len(chunk)
        buf += chunk.replace(b"\x00", b"")
        verdict = _scan_prolog(buf)
        if verdict != "more":
            return None if verdict in ("ok", "notxml") else verdict
    if seen >= XML_PROLOG_LIMIT:  # stopped at the limit without reaching the root element
        return f"的 XML 文件头超过 {XML_PROLOG_LIMIT // 1024} KB，疑似隐藏了 DTD 声明"
    return None  # the part ended inside its prolog: not XML a reader can use, not a bomb either


def _scan_prolog(buf: bytes) -> str:
    """``ok`` (root element reached), ``notxml``, ``more`` (need more bytes) or a problem text."""
    for bom in (codecs.BOM_UTF8, b"\xff\xfe", b"\xfe\xff"):
        if buf.startswith(bom):
            buf = buf[len(bom) :]
            break
    i, n = 0, len(buf)
    seen_markup = False
    while True:
        while i < n and buf[i] in _XML_SPACE:
            i += 1
        if i >= n:
            return "more"
        if buf[i] != 0x3C:  # "<"
            return "notxml" if not seen_markup else "ok"
        if i + 1 >= n:
            return "more"
        nxt = buf[i + 1]
        if nxt == 0x3F:  # "<?": XML declaration or processing instruction
            end = buf.find(b"?>", i + 2)
            if end < 0:
                return "more"
            i = end + 2
        elif nxt == 0x21:  # "<!": a comment, or a DTD (refused)
            if n - i < 9:
                return "more"
            if buf.startswith(b"<!--", i):
                end = buf.find(b"-->", i + 4)
                if end < 0:
                    return "more"
                i = end + 3
            else:
                if b"<!ENTITY" in buf.upper():
                    return "含实体声明（<!ENTITY），可能是“XML 炸弹”或外部实体攻击"
                return "含 DTD 声明（<!DOCTYPE），可能是“XML 炸弹”或外部实体攻击"
        else:
            return "ok" if (nxt >= 0x80 or chr(nxt).isalpha() or nxt in b"_:") else "notxml"
        seen_markup = True


# ================================================================================================
# Output safety
# ================================================================================================

_WORD_SUFFIXES = {".doc", ".docx", ".docm", ".dot", ".dotx", ".dotm", ".rtf"}
_BACKUP_RE = re.compile(r"^(?P<stem>.*)\.(?P<stamp>\d{8}-\d{6})(?:-(?P<n>\d+))?$")


def owner_lock_files(target: Path) -> list[Path]:
    """Lock files Office / WPS / LibreOffice put next to a document they have open."""
    name = target.name
    candidates = ["~$" + name, ".~lock." + name + "#"]
    if target.suffix.lower() in _WORD_SUFFIXES:  # Word shortens long names: ~$cument.docx
        stem_len = len(target.stem)
        if stem_len == 7:
            candidates.append("~$" + name[1:])
        elif stem_len >= 8:
            candidates.append("~$" + name[2:])
    return [target.with_name(c) for c in candidates if target.with_name(c).exists()]


def locked_error(target: Path) -> OutputLocked:
    """The :class:`OutputLocked` for ``target`` (message names the file)."""
    finding = make("output-locked", file=str(target), detail=target.name)
    return OutputLocked(finding.message, finding)


def _failed_error(target: Path, exc: BaseException | None) -> OutputFailed:
    finding = make("output-failed", file=str(target), detail=target.name)
    message = finding.message if exc is None else f"{finding.message}（原因：{_reason(exc)}）"
    return OutputFailed(message, finding)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _open_elsewhere(target: Path) -> bool:
    """On Windows, Excel and Word deny other writers: opening for update fails while they hold it."""
    if os.name != "nt" or not target.exists():
        return False
    try:
        with open(target, "r+b"):
            return False
    except PermissionError:
        return True
    except OSError:
        return False


def atomic_write(
    target: str | Path,
    write: Callable[[Path], object],
    verify: Callable[[Path], None] | None = None,
    backup: bool = True,
    *,
    keep: int = BACKUP_KEEP,
) -> Path:
    """Write an output so that it is either wholly new or untouched; return ``target``.

    ``write(tmp)`` writes the content to ``tmp``, an empty temporary file in the target's folder
    whose name starts with ``~qyx-`` and keeps the target's extension; ``verify(tmp)`` (optional)
    checks it, e.g. by reopening it.  The previous version is copied to
    ``备份/<stem>.<YYYYMMDD-HHMMSS>.<ext>`` (the last ``keep`` are kept), then the temporary file
    replaces the target with ``os.replace``.  Missing folders are created; temporary files that a
    killed write left in the folder are removed first (:func:`clean_stale_temps`).

    Raises :class:`OutputLocked` when Excel/Word holds the target (an owner file ``~$<name>`` is
    next to it, or opening/replacing it is refused with PermissionError); :class:`OutputFailed`
    when ``write`` or ``verify`` fails (the original exception is ``__cause__``; a
    :class:`QyxError` raised by them passes through unchanged).  On every failure the target is
    byte-identical and no temporary file (nor a new backup) is left behind.
    """
    target = Path(target)
    folder = target.parent
    check_output_target(target)
    if owner_lock_files(target) or _open_elsewhere(target):
        raise locked_error(target)
    if target.is_dir():
        raise _failed_error(target, IsADirectoryError(21, "目标是一个文件夹"))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        clean_stale_temps(folder)  # left by a write that was killed (its process is gone)
        tmp = _new_temp(target)
    except OSError as exc:
        raise _failed_error(target, exc) from exc
    saved: Path | None = None
    try:
        try:
            write(tmp)
            if not tmp.is_file():
                raise FileNotFoundError(2, "写入程序没有生成文件")
            if verify is not None:
                verify(tmp)
            _fsync(tmp)
        except QyxError:
            raise
        except Exception as exc:
            raise _failed_error(target, exc) from exc
        if owner_lock_files(target):  # opened while we were writing
            raise locked_error(target)
        if backup and target.is_file():
            try:
                saved = _backup(target)
            except OSError as exc:
                raise _failed_error(target, exc) from exc
        try:
            os.replace(tmp, target)
        except PermissionError as exc:
            raise locked_error(target) from exc
        except OSError as exc:
            raise _failed_error(target, exc) from exc
    except BaseException:
        _remove(tmp)
        if saved is not None:
            _remove(saved)
        raise
    _fsync_dir(folder)
    if saved is not None:
        _prune_backups(target, keep)
    return target


#: Longest output file name (bytes): file systems allow 255, and the backup copy adds a time stamp,
#: Office's owner file "~$" and LibreOffice's lock ".~lock.…#" add a few bytes.
MAX_NAME_BYTES = 230


def check_output_target(target: str | Path) -> None:
    """Refuse an output path that is not a regular file or a new name (raises :class:`UsageError`).

    A symbolic link, a device, a pipe or a socket is never written through or replaced (an output
    named ``/dev/sda`` by mistake must not become a .docx); a name too long for the backup copy
    is refused before anything is written.
    """

    target = Path(target)
    shown = display_name(str(target))
    size = len(target.name.encode("utf-8", "surrogateescape"))
    if size > MAX_NAME_BYTES:
        raise UsageError(
            f"输出文件名“{display_name(target.name)[:40]}…”过长（{size} 字节，上限 {MAX_NAME_BYTES} 字节），"
            "请换一个短一些的文件名。"
        )
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise UsageError(f"无法访问输出文件“{shown}”（{exc.strerror or exc}），请检查路径。") from exc
    kind = kind_of_entry(st.st_mode)
    if kind is not None and kind != "文件夹":
        raise UsageError(f"输出位置“{shown}”是{kind}，不是普通文件，不会写入或替换它；请换一个输出文件名。")


def _new_temp(target: Path) -> Path:
    """Create an empty, unique temporary file next to ``target`` (normal permissions, not 0600)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = target.with_name(temp_name(target.suffix))
        try:
            fd = os.open(tmp, flags, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        with contextlib.suppress(OSError):  # keep the old file's permissions
            os.chmod(tmp, stat.S_IMODE(target.stat().st_mode))
        return tmp
    raise FileExistsError(17, "无法创建临时文件", str(target.parent))


def temp_name(suffix: str = "") -> str:
    """A new temporary file name: ``~qyx-<process id>-<random>`` (the process id tells a later run
    whether the writer is still alive, see :func:`clean_stale_temps`)."""
    return f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}{suffix}"


_TEMP_PID = re.compile(r"^~qyx-(\d+)-[0-9a-f]+")
#: A temporary file without a process id in its name (older versions) is left alone this long.
STALE_TEMP_SECONDS = 600


def clean_stale_temps(folder: str | Path) -> list[Path]:
    """Remove temporary files (``~qyx-…``) in ``folder`` left by a write that was killed; return them.

    A temporary file is removed when the process named in it is gone (or, for a name without a
    process id, when it is older than :data:`STALE_TEMP_SECONDS`); a write in progress is never
    touched.  Best effort: what cannot be removed stays.
    """
    import time

    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(TEMP_PREFIX):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            match = _TEMP_PID.match(entry.name)
            if match:
                if pid_alive(int(match.group(1))):
                    continue
            elif time.time() - entry.stat(follow_symlinks=False).st_mtime < STALE_TEMP_SECONDS:
                continue
            os.unlink(entry.path)
            removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (our own process counts as alive)."""
    if pid == os.getpid():
        return True
    if pid <= 0:
        return False
    if sys.platform == "win32":
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        ctypes.windll.kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        ctypes.windll.kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def atomic_write_bytes(target: str | Path, data: bytes, *, backup: bool = True) -> Path:
    """:func:`atomic_write` of ``data``."""
    return atomic_write(target, lambda tmp: tmp.write_bytes(data), backup=backup)


def atomic_write_text(
    target: str | Path, text: str, *, encoding: str = "utf-8", newline: str | None = None, backup: bool = True
) -> Path:
    """:func:`atomic_write` of ``text`` (``encoding="utf-8-sig"`` for CSV that Excel opens)."""

    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding=encoding, newline=newline) as fh:
            fh.write(text)

    return atomic_write(target, write, backup=backup)


def backups_of(target: str | Path) -> list[Path]:
    """Previous versions of ``target`` in its ``备份`` folder, oldest first."""
    target = Path(target)
    folder = target.parent / BACKUP_DIR
    if not folder.is_dir():
        return []
    found = []
    for entry in folder.iterdir():
        base = entry.name
        if target.suffix:
            if not base.endswith(target.suffix):
                continue
            base = base[: -len(target.suffix)]
        match = _BACKUP_RE.match(base)
        if match and match["stem"] == target.stem:
            found.append(((match["stamp"], int(match["n"] or 1)), entry))
    return [entry for _, entry in sorted(found)]


def _backup(target: Path) -> Path:
    folder = target.parent / BACKUP_DIR
    folder.mkdir(exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    n = 1
    while True:
        tag = stamp if n == 1 else f"{stamp}-{n}"
        dest = folder / f"{target.stem}.{tag}{target.suffix}"
        try:
            with open(target, "rb") as src, open(dest, "xb") as dst:
                shutil.copyfileobj(src, dst, 1024 * 1024)
        except FileExistsError:
            n += 1
            continue
        except BaseException:
            _remove(dest)
            raise
        shutil.copystat(target, dest)
        return dest


def _prune_backups(target: Path, keep: int) -> None:
    versions = backups_of(target)
    for old in versions[: max(0, len(versions) - keep)]:
        _remove(old)


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):  # best effort: the caller is already reporting a failure
        path.unlink()


def _fsync(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def fsync_dir(folder: str | Path) -> None:
    """Make a folder's new and renamed entries durable (best effort; nothing to do on Windows)."""
    _fsync_dir(Path(folder))


def _fsync_dir(folder: Path) -> None:
    if os.name == "nt":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ================================================================================================
# Text hygiene
# ================================================================================================

#: C0 control characters XML 1.0 cannot hold (tab, line feed and carriage return it can) and the
#: two non-characters U+FFFE/U+FFFF: the core of :func:`illegal_chars`.
_XML_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff"


def illegal_chars(*, received: bool = False) -> re.Pattern[str]:
    """The one rule for characters that text must lose, as a compiled pattern.

    By default: what XML 1.0 (hence .xlsx and .docx) cannot hold — :data:`_XML_CONTROLS` and
    lone surrogates (a Python ``str`` surrogate is always lone).

    ``received=True`` is intake's rule for text read from a submitted file, reported as
    ``text-control-chars`` (不可见的控制字符): the same controls plus DEL (U+007F), which XML
    can hold but nobody types on purpose; surrogates are not looked for there.
    """
    return _RECEIVED_CHARS if received else ILLEGAL_XML_CHARS


#: Characters XML 1.0 (hence .xlsx and .docx) cannot hold: ``illegal_chars()``.
ILLEGAL_XML_CHARS = re.compile(f"[{_XML_CONTROLS}\ud800-\udfff]")
_RECEIVED_CHARS = re.compile(f"[{_XML_CONTROLS}\x7f]")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def excel_length(text: str) -> int:
    """Length as Excel counts it (UTF-16 code units: an emoji counts 2)."""
    if text.isascii():
        return len(text)
    return len(text) + len(_ASTRAL.findall(text))


def clean_text(value: str) -> tuple[str, list[str]]:
    """Remove characters Excel/Word cannot store; return ``(text, codes)``.

    ``codes`` lists finding codes for what was found: ``text-control-chars`` when characters
    were removed, ``text-too-long`` when the text is over :data:`EXCEL_CELL_LIMIT` (not cut here).
    Tabs, line breaks and all printable text are kept.
    """
    codes: list[str] = []
    cleaned, removed = ILLEGAL_XML_CHARS.subn("", value)
    if removed:
        codes.append("text-control-chars")
    if excel_length(cleaned) > EXCEL_CELL_LIMIT:
        codes.append("text-too-long")
    return cleaned, codes


def is_formula_like(text: object) -> bool:
    """True when a spreadsheet would take ``text`` for a formula (starts with = + - @, tab or CR)."""
    return isinstance(text, str) and text.startswith(FORMULA_PREFIXES)


def safe_cell_text(value: object, *, limit: int = EXCEL_CELL_LIMIT) -> str:
    """Text that any cell can hold: ``str(value)`` cleaned and cut to ``limit`` (ending in "…").

    The result may still start with ``=``; it stays text only if the writer stores it as a string:

    - XlsxWriter: ``worksheet.write_string(row, col, text)`` (``write()`` turns "=1+1" into a
      formula unless the workbook was created with ``{"strings_to_formulas": False}``).
    - openpyxl: ``cell.value = text`` then ``cell.data_type = "s"`` — assigning a ``str`` that
      starts with "=" makes a formula (data_type "f"); forcing "s" *after* the assignment keeps
      it as a string (:func:`put_text` does both).
    - pandas ``DataFrame.to_excel`` with openpyxl writes such strings as formulas: do not use it
      for received text.
    """
    if value is None:
        return ""
    text, _ = clean_text(value if isinstance(value, str) else str(value))
    if limit > 0 and excel_length(text) > limit:
        text = _cut(text, limit - 1) + "…"
    return text


def put_text(cell: Any, value: object) -> None:
    """Store ``value`` in an openpyxl cell as a string, whatever it starts with."""
    cell.value = safe_cell_text(value)
    cell.data_type = "s"


def _cut(text: str, units: int) -> str:
    """The longest prefix of ``text`` that fits in ``units`` UTF-16 code units."""
    used = 0
    for i, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > units:
            return text[:i]
    return text


# ================================================================================================
# XML defences of the readers we use
# ================================================================================================


def assert_defused() -> None:
    """Raise :class:`QyxError` unless defusedxml is importable and openpyxl parses through it."""
    try:
        import defusedxml.ElementTree  # noqa: F401
    except ImportError as exc:
        raise QyxError(
            "缺少安全组件 defusedxml，无法安全读取收到的文件；请重新安装 qyx（pip install defusedxml）。"
        ) from exc
    import openpyxl
    import openpyxl.xml.functions as functions

    parses_defused = getattr(functions.iterparse, "__module__", "").startswith("defusedxml")
    if openpyxl.DEFUSEDXML is not True or not parses_defused:
        raise QyxError(
            "openpyxl 未启用 defusedxml 防护（请检查环境变量 OPENPYXL_DEFUSEDXML 并重新安装 defusedxml）。"
        )
