"""The VBA side of the ledger workbook: our ``.bas`` sources compiled into ``vbaProject.bin``.

The buttons of ``七优享台账.xlsm`` run tiny macros (``qyx_excel/vba/Qyx.bas``) that hand the work
to Python through xlwings' ``RunPython`` (the add-in's, or — in a standalone ledger — the copy of
xlwings' own module ``xlwings.bas`` embedded in the workbook).  This module compiles those sources into the binary VBA
project (MS-OVBA inside a compound file) with the ``ms-ovba`` package, so the workbook can be
built on any machine by XlsxWriter without Excel, and it holds the data the workbook builder
writes next to it: button captions, the defined names the macros read their messages from, and
the optional ``xlwings.conf`` rows.

What comes from ``ms-ovba`` 0.0.1 and what does not (why :func:`build_vba_project` wraps it
rather than running ``python -m ms_ovba DIR``):

* its model and views write the ``dir`` stream records, the ``PROJECT`` text stream and
  ``_VBA_PROJECT``; they write intermediate files into the *current directory* and the CLI
  appends to files inside site-packages; the build therefore runs in a private temporary
  directory, under a lock (``chdir`` is process-wide);
* ``ms-cfb`` 0.0.6, its compound-file writer, fills only the first FAT sector: projects past
  ≈ 64 KB came out broken.  :mod:`qyx_excel.compound` writes the compound file instead;
* it has no class modules (``Dictionary.cls``, which ``xlwings.bas`` needs on macOS): a small
  subclass adds them;
* the project name is hard-coded as ``VBAProject``; two small overrides write ours;
* the protection fields (``CMG``/``DPB``/``GC``) are obfuscated with a seed taken from
  :mod:`random`; the build seeds it from the project name (and restores the caller's state), so
  the same sources always give the same bytes;
* its compressor (``ms-ovba-compression`` 1.0.1) corrupts any stream with a repeat longer than
  a copy token can hold (our indentation runs): olevba then reads a truncated module and
  LibreOffice an empty one.  :func:`compress` here implements MS-OVBA 2.4.1 and checks each
  stream by decompressing it again.

The project has no compiled cache (``_VBA_PROJECT`` version 0xFFFF): Office compiles the source
text when it opens the file, which MS-OVBA allows.  The code page is 1252, so VBA source must be
ASCII; every Chinese word a macro shows comes from a defined name (:data:`MESSAGE_NAMES`).
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import re
import tempfile
import threading
import uuid
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .compound import write_compound
from .errors import UsageError

if TYPE_CHECKING:
    from xlsxwriter.workbook import Workbook
    from xlsxwriter.worksheet import Worksheet

#: Folder holding our VBA sources, one standard module per ``.bas`` file.
VBA_DIR = Path(__file__).with_name("vba")
#: The VBA project name shown in the VBA editor (and by LibreOffice as the Basic library).
PROJECT_NAME = "QyxLedger"
#: Codename of the workbook's document module.
WORKBOOK_CODENAME = "ThisWorkbook"
#: Macros the buttons of the add-in ledger try, in order, to run Python (the xlwings add-in's
#: ``RunPython``): the workbook-qualified form Excel documents for ``Application.Run``, then the
#: add-in's project name …
RUN_PYTHON_MACROS: tuple[str, ...] = ("'xlwings.xlam'!RunPython", "xlwings.RunPython")
#: … then the macro this workbook-level defined name holds, if the ledger has it.
RUN_PYTHON_NAME = "QYX_RUNPYTHON"
#: The line of ``Qyx.bas`` that the standalone build switches to ``True``.
STANDALONE_SWITCH = "#Const QYX_STANDALONE = False"
#: Defined name holding the xlwings version whose VBA module a standalone ledger carries.
XLWINGS_MODULE_NAME = "QYX_XLWINGS_MODULE"
#: Python module the macros import; its functions are named in :data:`BUTTONS`.
BUTTONS_MODULE = "qyx_excel.buttons"
#: What the clerk sees when the Python that xlwings runs has no qyx_excel (the interpreter
#: setting points at another Python); the path of that Python follows.
NOT_INSTALLED_MESSAGE = (
    "七优享台账：按钮调用的 Python 没有安装 qyx_excel。请在 xlwings 设置（加载项的 Interpreter，"
    "或 xlwings.conf）中填本项目的 .venv\\Scripts\\python.exe，或运行 scripts\\qyx-doctor.cmd 检查本机。当前 Python："
)


def python_guard() -> str:
    """The ASCII Python statement ``Qyx.bas`` puts before the import (constant ``PY_GUARD``).

    When ``qyx_excel`` cannot be found it ends the process with :data:`NOT_INSTALLED_MESSAGE`
    on stderr, which xlwings' ``RunPython`` shows in a message box, instead of a traceback.  The
    Chinese text is written as Python ``\\u`` escapes: VBA source must stay ASCII.
    """
    escaped = NOT_INSTALLED_MESSAGE.replace("\\", "\\\\").encode("ascii", "backslashreplace").decode("ascii")
    return f"import sys, importlib.util as u; u.find_spec('qyx_excel') or sys.exit('{escaped}' + sys.executable); "


_WORKBOOK_BASE = uuid.UUID("00020819-0000-0000-C000-000000000046")
_WORKSHEET_BASE = uuid.UUID("00020820-0000-0000-C000-000000000046")
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,30}\Z")
_VB_NAME = re.compile(r'Attribute VB_Name = "([^"]*)"\Z')
_BUILD_LOCK = threading.Lock()


@dataclass(frozen=True)
class Button:
    """One worksheet button: the macro it runs, its caption and the Python function behind it."""

    macro: str
    caption: str
    function: str

    @property
    def python(self) -> str:
        """The Python statement the macro hands to ``RunPython``."""
        return f"{python_guard()}import {BUTTONS_MODULE} as b; b.{self.function}()"


CHECK_SHEET = Button("QyxCheckSheet", "校验本表", "check_sheet")
CONSOLIDATE = Button("QyxConsolidate", "汇总", "consolidate")
NOTICE = Button("QyxNotice", "生成通报", "notice")
PRINT_TABLES = Button("QyxPrintTables", "打印进度表", "print_tables")
#: Every button macro in ``Qyx.bas``.
BUTTONS: tuple[Button, ...] = (CHECK_SHEET, CONSOLIDATE, NOTICE, PRINT_TABLES)
#: Buttons of each group sheet, and of the 汇总 sheet.
GROUP_SHEET_BUTTONS: tuple[Button, ...] = (CHECK_SHEET,)
SUMMARY_SHEET_BUTTONS: tuple[Button, ...] = (CONSOLIDATE, NOTICE, PRINT_TABLES)

#: Workbook-level defined names the macros read their messages from (the VBA stays ASCII).
MESSAGE_NAMES: dict[str, str] = {
    "QYX_MSG_TITLE": "七优享台账",
    "QYX_MSG_NO_ADDIN": "未找到 xlwings 加载项（或宏已被禁用），按钮无法运行。已尝试以下调用方式：",
    "QYX_MSG_HOW_TO": (
        "解决办法：①安装 Python 和本项目后运行“xlwings addin install”，重新打开本台账；"
        "②加载项文件名不是 xlwings.xlam 时，在“公式→名称管理器”新建名称 QYX_RUNPYTHON，"
        "引用位置填 =\"'加载项文件名'!RunPython\"；"
        "③改用不需要加载项的独立版台账（qyx build-workbook --standalone）；"
        "④运行 scripts\\qyx-doctor.cmd 检查本机，或改用命令行 qyx。"
    ),
    "QYX_MSG_FAILED": "运行出错，请把下面的信息发给专班办公室：",
}

#: Button size in pixels (wide enough for 打印进度表 in a CJK font).
BUTTON_WIDTH = 110
BUTTON_HEIGHT = 30


# --- sources -------------------------------------------------------------------------------


def vba_sources(folder: Path | None = None) -> dict[str, str]:
    """Read every ``*.bas`` file of ``qyx_excel/vba`` (or *folder*): module name -> source text."""
    folder = VBA_DIR if folder is None else folder
    return {path.stem: path.read_text(encoding="ascii") for path in sorted(folder.glob("*.bas"))}


def qyx_sources(*, standalone: bool = False) -> dict[str, str]:
    """Our modules (:func:`vba_sources`), with ``QYX_STANDALONE`` switched on for a standalone ledger."""
    sources = vba_sources()
    if standalone:
        text = sources["Qyx"]
        if STANDALONE_SWITCH not in text:
            raise RuntimeError(f"Qyx.bas lacks the line {STANDALONE_SWITCH!r}")
        sources["Qyx"] = text.replace(STANDALONE_SWITCH, STANDALONE_SWITCH.replace("False", "True"), 1)
    return sources


@dataclass(frozen=True)
class XlwingsModules:
    """The VBA modules the installed xlwings package ships for standalone workbooks."""

    version: str
    folder: Path
    #: ``xlwings`` → the text of ``xlwings/xlwings.bas`` (``RunPython`` and its helpers).
    standard: dict[str, str]
    #: ``Dictionary`` → ``xlwings/addin/Dictionary.cls`` (``xlwings.bas`` uses it on macOS only).
    classes: dict[str, str]


_BAS_VERSION = re.compile(r"^'Version: (\S+)", re.MULTILINE)


def xlwings_standalone_modules() -> XlwingsModules:
    """Read ``xlwings.bas`` (and ``Dictionary.cls``) from the installed xlwings package.

    These are the modules xlwings' own ``quickstart_standalone.xlsm`` carries besides its sheets.
    The package is located without importing it (``import xlwings`` takes ≈ 0.1–0.5 s).
    Raises :class:`~qyx_excel.errors.UsageError` when xlwings or its module is missing.
    """
    import importlib.util

    spec = importlib.util.find_spec("xlwings")
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise UsageError("未安装 xlwings，无法生成独立版台账：请先运行 pip install xlwings。")
    folder = Path(locations[0])
    bas, cls = folder / "xlwings.bas", folder / "addin" / "Dictionary.cls"
    if not bas.is_file():
        raise UsageError(
            f"已安装的 xlwings 没有独立版 VBA 模块 {bas}，请升级 xlwings（pip install -U xlwings）。"
        )
    text = bas.read_text(encoding="ascii", errors="replace")
    match = _BAS_VERSION.search(text)
    version = match.group(1) if match else _installed_xlwings_version()
    classes = {"Dictionary": cls.read_text(encoding="ascii", errors="replace")} if cls.is_file() else {}
    return XlwingsModules(version, folder, {"xlwings": text}, classes)


def _installed_xlwings_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("xlwings")
    except PackageNotFoundError:
        return ""


def normalise_source(name: str, source: str) -> str:
    """The text of standard module *name* as stored in the project.

    Line endings become CRLF, the text ends with one, and the first line is
    ``Attribute VB_Name = "<name>"`` (added when missing).  Raises ``ValueError`` for
    non-ASCII text or a ``VB_Name`` that disagrees with *name*.
    """
    _check_ascii(f"module {name}", source)
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    match = _VB_NAME.match(lines[0]) if lines else None
    if match is None:
        lines.insert(0, f'Attribute VB_Name = "{name}"')
    elif match.group(1) != name:
        raise ValueError(f"module {name!r} declares VB_Name {match.group(1)!r}")
    return "\r\n".join(lines) + "\r\n"


def document_module_source(name: str, workbook: bool) -> str:
    """The attribute block Office stores for an empty workbook or worksheet document module."""
    base = _WORKBOOK_BASE if workbook else _WORKSHEET_BASE
    lines = [
        f'Attribute VB_Name = "{name}"',
        f'Attribute VB_Base = "0{{{str(base).upper()}}}"',
        "Attribute VB_GlobalNameSpace = False",
        "Attribute VB_Creatable = False",
        "Attribute VB_PredeclaredId = True",
        "Attribute VB_Exposed = True",
        "Attribute VB_TemplateDerived = False",
        "Attribute VB_Customizable = True",
    ]
    return "\r\n".join(lines) + "\r\n"


_CLASS_BASE = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"


def class_module_source(name: str, source: str) -> str:
    """The text of class module *name* as stored in the project, from an exported ``.cls`` file.

    The export's ``VERSION 1.0 CLASS`` / ``BEGIN`` … ``END`` block is not stored; the stored
    attribute block has ``VB_Base`` after ``VB_Name`` and ``VB_TemplateDerived`` /
    ``VB_Customizable`` after ``VB_Exposed``, as Office writes it.
    """
    lines = normalise_source(name, _drop_class_header(source)).split("\r\n")[:-1]
    attrs: list[str] = []
    while len(attrs) < len(lines) and lines[len(attrs)].startswith("Attribute "):
        attrs.append(lines[len(attrs)])
    body = lines[len(attrs) :]
    out = [attrs[0], f'Attribute VB_Base = "{_CLASS_BASE}"']
    for line in attrs[1:]:
        if line.startswith("Attribute VB_Base "):
            continue
        out.append(line)
        if line.startswith("Attribute VB_Exposed "):
            out += ["Attribute VB_TemplateDerived = False", "Attribute VB_Customizable = False"]
    return "\r\n".join(out + body) + "\r\n"


def _drop_class_header(source: str) -> str:
    lines = source.replace("\r\n", "\n").split("\n")
    if lines and lines[0].startswith("VERSION ") and "END" in (line.strip() for line in lines):
        end = next(i for i, line in enumerate(lines) if line.strip() == "END")
        lines = lines[end + 1 :]
    return "\n".join(lines)


def sheet_codename(index: int) -> str:
    """Codename of the worksheet at 0-based *index* (``Sheet1`` …, XlsxWriter's default too)."""
    return f"Sheet{index + 1}"


def document_module_names(sheet_count: int) -> list[str]:
    """Document modules for a workbook of *sheet_count* worksheets: ThisWorkbook, Sheet1 …"""
    return [WORKBOOK_CODENAME, *(sheet_codename(i) for i in range(sheet_count))]


# --- the compiler --------------------------------------------------------------------------


def build_vba_project(
    modules: Mapping[str, str],
    project_name: str = PROJECT_NAME,
    document_modules: Sequence[str] = (WORKBOOK_CODENAME, "Sheet1"),
    class_modules: Mapping[str, str] | None = None,
) -> bytes:
    """Compile standard (and class) modules into the bytes of a ``vbaProject.bin``.

    *modules* maps module name -> ``.bas`` source (ASCII); *class_modules* name -> ``.cls``
    source as the VBA editor exports it (:func:`class_module_source`).  *document_modules* names the
    document modules: the first is the workbook's (``ThisWorkbook``), the others the
    worksheets' codenames, in sheet order; they must match the codenames set with XlsxWriter's
    ``set_vba_name()``.  The result depends on the arguments only (same input, same bytes).
    Raises ``ValueError`` for bad names or non-ASCII sources.  Size is not limited by the
    compound-file writer below ≈ 6.8 MB (:mod:`qyx_excel.compound`).
    """
    class_modules = dict(class_modules or {})
    names = [project_name, *document_modules, *modules, *class_modules]
    for name in names:
        if not _IDENTIFIER.match(name):
            raise ValueError(f"not a VBA identifier of at most 31 ASCII characters: {name!r}")
    folded = [name.casefold() for name in names]
    if len(set(folded)) != len(folded):
        raise ValueError(f"duplicate names in the VBA project: {names}")
    if "dir" in folded[1:]:  # the VBA storage's own "dir" stream
        raise ValueError("a module cannot be named 'dir'")
    if not document_modules:
        raise ValueError("the workbook's document module is required")
    std_sources = {name: normalise_source(name, text) for name, text in modules.items()}
    cls_sources = {name: class_module_source(name, text) for name, text in class_modules.items()}
    doc_sources = {
        name: document_module_source(name, workbook=(i == 0)) for i, name in enumerate(document_modules)
    }
    with (
        _BUILD_LOCK,
        tempfile.TemporaryDirectory(prefix="qyx-vba-") as tmp,
        _chdir(tmp),
        _seeded_random(project_name),
    ):
        return _compile(project_name, doc_sources, std_sources, cls_sources)


def _compile(
    project_name: str, doc_sources: dict[str, str], std_sources: dict[str, str], cls_sources: dict[str, str]
) -> bytes:
    """Run ms-ovba in the current (private, temporary) directory and return the file's bytes."""
    from ms_ovba.Models.Entities.doc_module import DocModule
    from ms_ovba.Models.Entities.reference import Reference
    from ms_ovba.Models.Entities.reference_registered import ReferenceRegistered
    from ms_ovba.Models.Entities.std_module import StdModule
    from ms_ovba.Models.Fields.libid_reference import LibidReference
    from ms_ovba.vbaProject import VbaProject
    from ms_ovba.Views.project_view import ProjectView

    project = VbaProject()
    project.project_id = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"qyx:{project_name}")).upper() + "}"
    # ms-ovba's normalize_file()/write_file() are not used: _stage() writes each module stream
    # with our compressor.  File names are numbered so that no module name can collide with
    # the other streams' files (dir.bin, project.bin …).
    for i, (name, text) in enumerate(doc_sources.items()):
        module = DocModule(name)
        module.add_guid(_WORKBOOK_BASE if i == 0 else _WORKSHEET_BASE)
        _stage(module, f"doc{i}", text)
        project.add_module(module)
    for i, (name, text) in enumerate(std_sources.items()):
        module = StdModule(name)
        _stage(module, f"std{i}", text)
        project.add_module(module)
    for i, (name, text) in enumerate(cls_sources.items()):
        module = _class_module(name)
        _stage(module, f"cls{i}", text)
        project.add_module(module)
    # The two references every new Excel project carries (VBA and Excel themselves are implicit).
    stdole = LibidReference(
        uuid.UUID("00020430-0000-0000-C000-000000000046"),
        "2.0",
        "0",
        "C:\\Windows\\System32\\stdole2.tlb",
        "OLE Automation",
    )
    office = LibidReference(
        uuid.UUID("2DF8D04C-5BFA-101B-BDE5-00AA0044DE52"),
        "2.0",
        "0",
        "C:\\Program Files\\Common Files\\Microsoft Shared\\OFFICE16\\MSO.DLL",
        "Microsoft Office 16.0 Object Library",
    )
    project.add_reference(Reference(ReferenceRegistered(stdole), "stdole"))
    project.add_reference(Reference(ReferenceRegistered(office), "Office"))

    # Same streams as ms_ovba.Views.project_ole_file.ProjectOleFile, with our project name, in a
    # compound file written by qyx_excel.compound (ms-cfb breaks past one FAT sector, ≈ 64 KB).
    streams = {f"VBA/{module.name}": Path(module.bin_path).read_bytes() for module in project.get_modules()}
    streams["VBA/dir"] = compress(_named_dir_stream(project, project_name))
    streams["VBA/_VBA_PROJECT"] = ProjectView(project).to_bytes()
    streams["PROJECT"] = _named_project_stream(project, project_name)
    return write_compound(streams)


def _class_module(name: str) -> Any:
    """An ms-ovba module record for a class module (ms-ovba 0.0.1 has none of its own)."""
    from ms_ovba.Models.Entities.module_base import ModuleBase

    class ClassModule(ModuleBase):
        def __init__(self, name: str) -> None:
            super().__init__(name)
            self.type = "Class"  # PROJECT stream: Class=<name>

        def pack(self, endien: str, cp_name: str) -> bytes:
            # dir stream MODULETYPE: 0x0022 for class modules as for document modules
            self.type = "Document"
            try:
                return super().pack(endien, cp_name)
            finally:
                self.type = "Class"

    return ClassModule(name)


def _stage(module: Any, stem: str, text: str) -> None:
    """Write *text* (CRLF, ASCII) as the module's stream file ``<stem>.bin``.

    A module stream is its performance cache (none here) followed by the compressed source.
    """
    module.add_file(stem)
    Path(module.bin_path).write_bytes(module.cache + compress(text.encode("ascii")))


def _named_dir_stream(project: Any, project_name: str) -> bytes:
    """The uncompressed ``dir`` stream, with PROJECTNAME set to *project_name*."""
    from ms_ovba.Models.Fields.idSizeField import IdSizeField
    from ms_ovba.Views.dirStream import DirStream

    class _DirStream(DirStream):
        def _load_information(self) -> list:
            records = super()._load_information()
            name = project_name.encode("ascii")
            return [
                IdSizeField(0x0004, len(name), name) if getattr(r, "_id", None) == 0x0004 else r
                for r in records
            ]

    return _DirStream(project).to_bytes()


def _named_project_stream(project: Any, project_name: str) -> bytes:
    """The ``PROJECT`` stream (text properties), with ``Name=`` set to *project_name*."""
    from ms_ovba.Views.project import Project

    text = str(Project(project))
    default = '\r\nName="VBAProject"\r\n'
    if default not in text:  # a different ms-ovba version: refuse rather than guess
        raise RuntimeError("ms-ovba PROJECT stream layout changed; Name line not found")
    return text.replace(default, f'\r\nName="{project_name}"\r\n', 1).encode("cp1252")


# --- MS-OVBA compression (2.4.1) -----------------------------------------------------------
# ms-ovba-compression 1.0.1 caps a copy token's length at 0xFFFF << (bits + 3) instead of
# (0xFFFF >> bits) + 3, so any long repeat (e.g. a run of indentation) corrupts the stream:
# olevba then reads a truncated module and LibreOffice imports it empty.  Hence our own.

_CHUNK = 4096


def compress(data: bytes) -> bytes:
    """Compress *data* into an MS-OVBA CompressedContainer (signature byte, then chunks)."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), _CHUNK):
        chunk = data[start : start + _CHUNK]
        body = _compress_chunk(chunk)
        if len(body) <= _CHUNK:
            out += (0xB000 | (len(body) - 1)).to_bytes(2, "little")  # flag 1, signature 0b011
            out += body
        else:  # incompressible: a raw chunk holds exactly 4096 bytes (2.4.1.3.10 pads it)
            out += (0x3000 | (_CHUNK - 1)).to_bytes(2, "little")
            out += chunk.ljust(_CHUNK, b"\x00")
    result = bytes(out)
    if decompress(result) != data:  # cheap guard: never store a module we cannot read back
        raise RuntimeError("MS-OVBA compression round trip failed")
    return result


def _bit_count(position: int) -> int:
    """Offset bits of a copy token at *position* in the chunk: ceil(log2(position)), at least 4."""
    return max((position - 1).bit_length(), 4)


def _compress_chunk(chunk: bytes) -> bytes:
    out = bytearray()
    seen: dict[bytes, list[int]] = {}
    size = len(chunk)
    pos = 0

    def remember(start: int, stop: int) -> None:
        for p in range(start, min(stop, size - 2)):
            seen.setdefault(chunk[p : p + 3], []).append(p)

    while pos < size:
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= size:
                break
            best_len, best_offset = 0, 0
            if pos + 3 <= size:
                max_len = (0xFFFF >> _bit_count(pos)) + 3
                limit = min(max_len, size - pos)
                for cand in reversed(seen.get(chunk[pos : pos + 3], ())[-256:]):
                    length = 3
                    while length < limit and chunk[cand + length] == chunk[pos + length]:
                        length += 1
                    if length > best_len:
                        best_len, best_offset = length, pos - cand
                        if length == limit:
                            break
            if best_len >= 3:
                bits = _bit_count(pos)
                token = ((best_offset - 1) << (16 - bits)) | (best_len - 3)
                out += token.to_bytes(2, "little")
                flags |= 1 << bit
                remember(pos, pos + best_len)
                pos += best_len
            else:
                out.append(chunk[pos])
                remember(pos, pos + 1)
                pos += 1
        out[flag_at] = flags
    return bytes(out)


def decompress(container: bytes) -> bytes:
    """Decompress an MS-OVBA CompressedContainer (used to check :func:`compress`)."""
    if not container or container[0] != 1:
        raise ValueError("not an MS-OVBA compressed container")
    out = bytearray()
    pos = 1
    while pos < len(container):
        header = int.from_bytes(container[pos : pos + 2], "little")
        end = min(pos + (header & 0x0FFF) + 3, len(container))
        pos += 2
        chunk_start = len(out)
        if not header & 0x8000:
            out += container[pos : pos + _CHUNK]
            pos += _CHUNK
            continue
        while pos < end:
            flags = container[pos]
            pos += 1
            for bit in range(8):
                if pos >= end:
                    break
                if not flags >> bit & 1:
                    out.append(container[pos])
                    pos += 1
                    continue
                token = int.from_bytes(container[pos : pos + 2], "little")
                pos += 2
                bits = _bit_count(len(out) - chunk_start)
                length = (token & (0xFFFF >> bits)) + 3
                offset = (token >> (16 - bits)) + 1
                for _ in range(length):
                    out.append(out[-offset])
    return bytes(out)


@contextlib.contextmanager
def _chdir(path: str) -> Iterator[None]:
    """``contextlib.chdir`` for Python 3.10."""
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


@contextlib.contextmanager
def _seeded_random(seed: str) -> Iterator[None]:
    """Seed :mod:`random` (ms-ovba obfuscates with it) and restore the caller's state after."""
    state = random.getstate()
    random.seed(f"qyx-vba:{seed}")
    try:
        yield
    finally:
        random.setstate(state)


def _check_ascii(what: str, text: str) -> None:
    try:
        text.encode("ascii")
    except UnicodeEncodeError as exc:
        bad = text[exc.start : exc.end]
        raise ValueError(
            f"{what}: VBA source must be ASCII (project code page 1252); found {bad!r} at {exc.start}"
        ) from None


# --- reading it back -----------------------------------------------------------------------


def read_vba_project(path: str | os.PathLike[str]) -> bytes:
    """The ``xl/vbaProject.bin`` stored in an ``.xlsm`` (to compare with a fresh build)."""
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/vbaProject.bin")


def read_vba_modules(data: bytes) -> dict[str, str]:
    """Module name -> source text of a ``vbaProject.bin`` (ours, or any Office wrote).

    Reads the ``dir`` stream (MS-OVBA 2.3.4.2) for each module's stream name and source offset,
    then decompresses the source; no cache or p-code is read.  Used by ``qyx doctor`` to read the
    installed xlwings add-in's version.  Raises ``ValueError`` for a file that is not a VBA project.
    """
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except OSError as exc:
        raise ValueError(f"not a compound file: {exc}") from None
    try:
        storage = next((e[:-1] for e in ole.listdir() if e[-1].lower() == "dir" and len(e) >= 2), None)
        if storage is None:
            raise ValueError("no VBA/dir stream")
        dir_data = decompress(ole.openstream([*storage, "dir"]).read())
        codepage = "cp1252"
        modules: list[dict[str, Any]] = []
        current: dict[str, Any] = {}
        pos = 0
        while pos + 6 <= len(dir_data):
            record = int.from_bytes(dir_data[pos : pos + 2], "little")
            size = int.from_bytes(dir_data[pos + 2 : pos + 6], "little")
            if record == 0x0009:  # PROJECTVERSION: its size field says 4, the record holds 6 bytes
                size = 6
            body = dir_data[pos + 6 : pos + 6 + size]
            pos += 6 + size
            if record == 0x0003:
                codepage = f"cp{int.from_bytes(body, 'little')}"
            elif record == 0x0019:
                current = {"name": body}
            elif record == 0x001A:
                current["stream"] = body
            elif record == 0x0031:
                current["offset"] = int.from_bytes(body, "little")
            elif record == 0x002B and current:
                modules.append(current)
                current = {}
            elif record == 0x0010:
                break
        out: dict[str, str] = {}
        for module in modules:
            name = module["name"].decode(codepage, "replace")
            stream = module.get("stream", module["name"]).decode(codepage, "replace")
            raw = ole.openstream([*storage, stream]).read()
            out[name] = decompress(raw[module.get("offset", 0) :]).decode(codepage, "replace")
        return out
    finally:
        ole.close()


# --- helpers for the XlsxWriter workbook builder -------------------------------------------


def attach_vba(
    workbook: Workbook,
    modules: Mapping[str, str] | None = None,
    project_name: str = PROJECT_NAME,
    *,
    standalone: bool = False,
) -> bytes:
    """Give an XlsxWriter workbook our VBA project; call it after the last worksheet is added.

    Sets the codenames (``ThisWorkbook``, ``Sheet1`` … in sheet order), builds the project with
    one document module per worksheet, adds it, and defines :data:`MESSAGE_NAMES`.  Returns the
    ``vbaProject.bin`` bytes.  The file must be saved with the ``.xlsm`` extension.

    *standalone* embeds the installed xlwings package's own VBA module
    (:func:`xlwings_standalone_modules`), switches ``Qyx.bas`` to call its ``RunPython``
    directly (no add-in needed), and records the module's version as :data:`XLWINGS_MODULE_NAME`.
    """
    sheets = workbook.worksheets()
    workbook.set_vba_name(WORKBOOK_CODENAME)
    for index, sheet in enumerate(sheets):
        sheet.set_vba_name(sheet_codename(index))
    classes: dict[str, str] = {}
    xl = None
    if modules is None:
        modules = qyx_sources(standalone=standalone)
    if standalone:
        xl = xlwings_standalone_modules()
        modules = {**modules, **xl.standard}
        classes = xl.classes
    data = build_vba_project(
        modules,
        project_name=project_name,
        document_modules=document_module_names(len(sheets)),
        class_modules=classes,
    )
    workbook.add_vba_project(io.BytesIO(data), is_stream=True)
    define_message_names(workbook)
    if xl is not None:
        workbook.define_name(XLWINGS_MODULE_NAME, f'="{xl.version}"')
    return data


def define_message_names(
    workbook: Workbook,
    messages: Mapping[str, str] | None = None,
    run_python_macro: str | None = None,
) -> None:
    """Write the defined names the macros read their Chinese messages from.

    *run_python_macro*, when given, is stored as ``QYX_RUNPYTHON``: the macro the buttons try
    after :data:`RUN_PYTHON_MACROS` (e.g. ``'xlwings_custom.xlam'!RunPython``).
    """
    values = dict(MESSAGE_NAMES if messages is None else messages)
    if run_python_macro:
        values[RUN_PYTHON_NAME] = run_python_macro
    for name, text in values.items():
        if len(text) > 255:  # Excel's limit for a string constant in a formula
            raise ValueError(f"defined name {name}: text longer than 255 characters")
        workbook.define_name(name, '="' + text.replace('"', '""') + '"')


def add_buttons(
    worksheet: Worksheet,
    buttons: Sequence[Button],
    row: int = 0,
    col: int = 0,
    *,
    gap: int = 10,
    width: int = BUTTON_WIDTH,
    height: int = BUTTON_HEIGHT,
) -> None:
    """Put *buttons* side by side on *worksheet*, the first one's top-left at (row, col)."""
    for i, button in enumerate(buttons):
        worksheet.insert_button(
            row,
            col,
            {
                "macro": button.macro,
                "caption": button.caption,
                "width": width,
                "height": height,
                "x_offset": 4 + i * (width + gap),
                "y_offset": 4,
            },
        )


def xlwings_conf_rows(
    interpreter_win: str | None = None,
    interpreter_mac: str | None = None,
    pythonpath: str | None = None,
    use_udf_server: bool | None = None,
) -> list[tuple[str, str]]:
    """Key/value rows for an ``xlwings.conf`` sheet (column A key, column B value).

    Only the settings given are returned: an empty value in the sheet would override the user's
    own add-in setting.  With no arguments the list is empty and the builder should not add the
    sheet at all (xlwings then uses the add-in's settings and the workbook's folder on
    PYTHONPATH).
    """
    rows: list[tuple[str, str]] = []
    if interpreter_win:
        rows.append(("Interpreter_Win", interpreter_win))
    if interpreter_mac:
        rows.append(("Interpreter_Mac", interpreter_mac))
    if pythonpath:
        rows.append(("PYTHONPATH", pythonpath))
    if use_udf_server is not None:
        rows.append(("Use UDF Server", "True" if use_udf_server else "False"))
    return rows
