"""The VBA project and its buttons, read back by independent readers.

olevba (oletools) and olefile read the compiled project; openpyxl re-saves the workbook;
LibreOffice imports it as Basic.  Desktop Excel is not available here (see vbaproject's docstring).
"""

from __future__ import annotations

import io
import posixpath
import random
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import olefile
import pytest
import xlsxwriter
from conftest import requires_soffice
from hypothesis import given, settings
from hypothesis import strategies as st
from oletools import olevba

from qyx_excel import office, vbaproject
from qyx_excel.errors import OutputFailed, UsageError
from qyx_excel.vbaproject import (
    BUTTONS,
    GROUP_SHEET_BUTTONS,
    MESSAGE_NAMES,
    PROJECT_NAME,
    SUMMARY_SHEET_BUTTONS,
    build_vba_project,
    compress,
    decompress,
    document_module_names,
    document_module_source,
    normalise_source,
    read_vba_project,
    vba_sources,
)

SHEETS = ("使用说明", "幼有善育", "汇总")
BUTTONS_BY_SHEET = {"使用说明": (), "幼有善育": GROUP_SHEET_BUTTONS, "汇总": SUMMARY_SHEET_BUTTONS}
NS = {
    "form": "urn:oasis:names:tc:opendocument:xmlns:form:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "script": "urn:oasis:names:tc:opendocument:xmlns:script:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "xlink": "http://www.w3.org/1999/xlink",
}


def build_proof_workbook(path: Path) -> bytes:
    """What the workbook builder does, in small: sheets, buttons, then our VBA project."""
    workbook = xlsxwriter.Workbook(str(path))
    workbook.set_properties({"created": datetime(2024, 1, 1)})
    for name in SHEETS:
        sheet = workbook.add_worksheet(name)
        sheet.write(3, 0, "序号")
        vbaproject.add_buttons(sheet, BUTTONS_BY_SHEET[name], row=0, col=0)
    data = vbaproject.attach_vba(workbook)
    workbook.close()
    return data


@pytest.fixture(scope="module")
def proof(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("vba") / "proof.xlsm"
    build_proof_workbook(path)
    return path


def olevba_modules(path: Path) -> dict[str, str]:
    """Module file name (``Qyx.bas``, ``Sheet1.cls`` …) -> source, as olevba extracts it."""
    parser = olevba.VBA_Parser(str(path))
    try:
        assert parser.detect_vba_macros()
        return {vba_filename: code for _, _, vba_filename, code in parser.extract_macros()}
    finally:
        parser.close()


# --- sources and the compiler ----------------------------------------------------------------


def test_sources_are_ascii_and_define_every_button_macro() -> None:
    sources = vba_sources()
    assert list(sources) == ["Qyx"]
    text = sources["Qyx"]
    text.encode("ascii")  # raises if not
    assert text.startswith('Attribute VB_Name = "Qyx"\n')
    for button in BUTTONS:
        assert f'Public Sub {button.macro}()\n    QyxRunPython "{button.function}"\n' in text
    assert '"import " & PY_MODULE & " as b; b." & pyFunction & "()"' in text
    assert "Application.Run target, pyCommand" in text
    documented, project = vbaproject.RUN_PYTHON_MACROS
    assert documented == "'xlwings.xlam'!RunPython"
    assert f'RUN_TARGET_DOCUMENTED As String = "{documented}"' in text
    assert f'RUN_TARGET_PROJECT As String = "{project}"' in text
    assert f'NAME_RUN_TARGET As String = "{vbaproject.RUN_PYTHON_NAME}"' in text
    assert 'PY_MODULE As String = "qyx_excel.buttons"' in text
    assert f'PY_GUARD As String = "{vbaproject.python_guard()}"' in text  # same text as the Python side
    assert 'pyCommand = PY_GUARD & "import "' in text
    for name in MESSAGE_NAMES:
        assert f'"{name}"' in text
    assert (
        vbaproject.CONSOLIDATE.python
        == vbaproject.python_guard() + "import qyx_excel.buttons as b; b.consolidate()"
    )


def test_build_is_deterministic_and_leaves_random_alone() -> None:
    sources = vba_sources()
    random.seed(12345)
    expected_next = random.random()
    random.seed(12345)
    first = build_vba_project(sources, document_modules=document_module_names(3))
    assert random.random() == expected_next  # caller's random state restored
    random.seed(999)
    second = build_vba_project(sources, document_modules=document_module_names(3))
    assert first == second
    changed = build_vba_project(
        {"Qyx": sources["Qyx"] + "' changed\n"}, document_modules=document_module_names(3)
    )
    assert changed != first


@pytest.mark.parametrize(
    ("modules", "kwargs", "message"),
    [
        ({"Qyx": "' 汇总\n"}, {}, "must be ASCII"),
        ({"Qyx": 'Attribute VB_Name = "Other"\n'}, {}, "declares VB_Name"),
        ({"qyx ledger": ""}, {}, "not a VBA identifier"),
        ({"Qyx": ""}, {"project_name": "qyx"}, "duplicate"),
        ({"Qyx": ""}, {"document_modules": ["ThisWorkbook", "Sheet1", "sheet1"]}, "duplicate"),
        ({"dir": ""}, {}, "'dir'"),
        ({"Qyx": ""}, {"document_modules": []}, "document module"),
    ],
)
def test_build_rejects_bad_input(modules: dict, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_vba_project(modules, **kwargs)


def big_module(size: int, seed: int = 3) -> str:
    """A module of about *size* bytes that hardly compresses (random comment lines)."""
    rnd = random.Random(seed)
    lines = [
        "' " + "".join(rnd.choice("abcdefghij XYZ0123456789") for _ in range(80)) for _ in range(size // 84)
    ]
    return "\n".join([*lines, "Public Sub BigLast()", "End Sub"]) + "\n"


def test_order_of_compound_file_siblings() -> None:
    """MS-CFB 2.6.4: shorter names first, then upper-cased (the red-black tree's order)."""
    from qyx_excel.compound import sort_key

    names = ["dir", "Sheet10", "_VBA_PROJECT", "Qyx", "Sheet2", "ab", "AC", "xlwings"]
    assert sorted(names, key=sort_key) == [
        "ab",
        "AC",
        "dir",
        "Qyx",
        "Sheet2",
        "Sheet10",
        "xlwings",
        "_VBA_PROJECT",
    ]


def test_a_project_over_200_kb_reads_back_strictly() -> None:
    """ms-cfb broke past one FAT sector (~64 KB); qyx_excel.compound writes any size up to ~6.8 MB."""
    modules = {"Qyx": vba_sources()["Qyx"], "Big1": big_module(150_000, 1), "Big2": big_module(120_000, 2)}
    data = build_vba_project(modules, document_modules=document_module_names(16))
    assert len(data) >= 200_000
    ole = olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_INCORRECT)
    project = olevba.VBA_Project(ole, "", "PROJECT", "VBA/dir", relaxed=False)
    project.parse_project_stream()
    codes = {name: code for _, name, code in project.parse_modules()}
    for name, text in modules.items():
        assert codes[f"{name}.bas"] == normalise_source(name, text)
    assert len(codes) == len(modules) + 17


def test_compound_writer_refuses_bad_names_and_duplicates() -> None:
    from qyx_excel.compound import write_compound

    with pytest.raises(ValueError, match="entry name"):
        write_compound({"VBA/" + "x" * 32: b""})
    with pytest.raises(ValueError, match="duplicate"):
        write_compound({"VBA/dir": b"a", "vba/DIR": b"b"})


def test_compiled_project_structure_read_strictly_by_olevba() -> None:
    """Parse dir/PROJECT streams with olevba in strict mode (relaxed=False raises on oddities)."""
    modules = document_module_names(2)
    data = build_vba_project(vba_sources(), document_modules=modules)
    ole = olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_INCORRECT)
    assert sorted("/".join(e) for e in ole.listdir()) == sorted(
        ["PROJECT", "VBA/_VBA_PROJECT", "VBA/dir", "VBA/Qyx", *(f"VBA/{m}" for m in modules)]
    )
    # _VBA_PROJECT: reserved 0x61CC, version 0xFFFF = no compiled cache, Office recompiles.
    assert ole.openstream("VBA/_VBA_PROJECT").read() == b"\xcc\x61\xff\xff\x00\x03\x00"
    project = olevba.VBA_Project(ole, "", "PROJECT", "VBA/dir", relaxed=False)
    assert (project.projectname, project.codepage) == (PROJECT_NAME, 1252)
    project.parse_project_stream()
    assert project.module_ext == {"thisworkbook": "cls", "sheet1": "cls", "sheet2": "cls", "qyx": "bas"}
    codes = {name: code for _, name, code in project.parse_modules()}
    assert codes["Qyx.bas"] == normalise_source("Qyx", vba_sources()["Qyx"])
    types = {m.name: m.type for m in project.modules}
    assert types == {"ThisWorkbook": 0x22, "Sheet1": 0x22, "Sheet2": 0x22, "Qyx": 0x21}
    text = ole.openstream("PROJECT").read().decode("cp1252").split("\r\n")
    assert text[1:6] == [
        "Document=ThisWorkbook/&H00000000",
        "Document=Sheet1/&H00000000",
        "Document=Sheet2/&H00000000",
        "Module=Qyx",
        f'Name="{PROJECT_NAME}"',
    ]


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=9000) | st.text(alphabet=" \r\nab'", max_size=9000).map(str.encode))
def test_compression_round_trips_through_olevba(data: bytes) -> None:
    packed = compress(data)
    assert bytes(olevba.decompress_stream(bytearray(packed))) == data
    assert decompress(packed) == data


def test_compression_handles_long_repeats() -> None:
    """The run that broke ms-ovba-compression 1.0.1: more than 18 equal bytes past offset 2048."""
    data = b"x" * 2100 + b"\r\n" + b" " * 300 + b"End Sub\r\n"
    assert bytes(olevba.decompress_stream(bytearray(compress(data)))) == data


# --- the workbook --------------------------------------------------------------------------


def test_olevba_prints_our_sources(proof: Path) -> None:
    """olevba's module text is our .bas byte for byte once CRLF -> LF; Attribute lines included."""
    modules = olevba_modules(proof)
    assert set(modules) == {"Qyx.bas", "ThisWorkbook.cls", "Sheet1.cls", "Sheet2.cls", "Sheet3.cls"}
    source = (vbaproject.VBA_DIR / "Qyx.bas").read_text(encoding="ascii")
    assert modules["Qyx.bas"] == normalise_source("Qyx", source)  # exact, CRLF line ends
    assert modules["Qyx.bas"].replace("\r\n", "\n") == source
    assert olevba.filter_vba(modules["Qyx.bas"]) == source.split("\n", 1)[1].rstrip("\n")
    assert modules["ThisWorkbook.cls"] == document_module_source("ThisWorkbook", workbook=True)
    assert '"0{00020819-0000-0000-C000-000000000046}"' in modules["ThisWorkbook.cls"]
    for n in (1, 2, 3):
        assert modules[f"Sheet{n}.cls"] == document_module_source(f"Sheet{n}", workbook=False)


def test_macros_try_the_documented_call_first_then_the_project_then_the_override(proof: Path) -> None:
    """The add-in ledger's order of Application.Run targets, as olevba reads the stored module."""
    code = olevba_modules(proof)["Qyx.bas"].replace("\r\n", "\n")
    assert "#Const QYX_STANDALONE = False\n" in code
    order = [
        "targets(1) = RUN_TARGET_DOCUMENTED\n",
        "targets(2) = RUN_TARGET_PROJECT\n",
        'targets(3) = QyxText(NAME_RUN_TARGET, "")\n',
        "errNumber = QyxTryRun(targets(i), pyCommand, errText)\n",
        "If errNumber <> ERR_CANNOT_RUN Then\n",  # a macro that ran and failed is not run again
        'tried = tried & vbLf & "  Application.Run " & targets(i)',
        "MsgBox QyxText(NAME_NO_ADDIN,",
        "QyxText(NAME_HOW_TO,",
    ]
    positions = [code.index(line) for line in order]
    assert positions == sorted(positions)
    assert "RUN_TARGET_DOCUMENTED As String = \"'xlwings.xlam'!RunPython\"" in code


def test_embedded_project_equals_a_fresh_build(proof: Path) -> None:
    """How a test detects a stale committed workbook: compare the stored vbaProject.bin."""
    fresh = build_vba_project(vba_sources(), document_modules=document_module_names(len(SHEETS)))
    assert read_vba_project(proof) == fresh


def _parts(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n).decode("utf-8") for n in archive.namelist() if not n.endswith(".bin")}


def _vml_buttons(vml: str) -> list[tuple[str, str]]:
    """(caption, macro) of each form button in a legacy VML drawing."""
    found = []
    for shape in re.findall(r"<v:shape .*?</v:shape>", vml, re.S):
        if 'ObjectType="Button"' not in shape:
            continue
        caption = "".join(re.findall(r"<font[^>]*>([^<]*)</font>", shape))
        macro = re.search(r"<x:FmlaMacro>\[0\]!(\w+)</x:FmlaMacro>", shape)
        found.append((caption, macro.group(1) if macro else ""))
    return found


def _rels(parts: dict[str, str], part: str) -> dict[str, str]:
    """Relationship id -> target part name (resolved) of *part*."""
    folder, name = posixpath.split(part)
    xml = parts.get(f"{folder}/_rels/{name}.rels")
    if xml is None:
        return {}
    result = {}
    for rel in ET.fromstring(xml):
        target = rel.get("Target", "")
        resolved = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"{folder}/{target}")
        result[rel.get("Id", "")] = resolved
    return result


def _buttons_per_sheet(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Sheet name -> buttons, following workbook.xml -> sheet -> legacyDrawing -> VML."""
    parts = _parts(path)
    book_rels = _rels(parts, "xl/workbook.xml")
    rid = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    result = {}
    for sheet in ET.fromstring(parts["xl/workbook.xml"]).iter(f"{main}sheet"):
        sheet_part = book_rels[sheet.get(rid)]
        sheet_rels = _rels(parts, sheet_part)
        drawings = [d.get(rid) for d in ET.fromstring(parts[sheet_part]).iter(f"{main}legacyDrawing")]
        result[sheet.get("name")] = [b for d in drawings for b in _vml_buttons(parts[sheet_rels[d]])]
    return result


def _expected_buttons() -> dict[str, list[tuple[str, str]]]:
    return {name: [(b.caption, b.macro) for b in buttons] for name, buttons in BUTTONS_BY_SHEET.items()}


def test_workbook_parts_codenames_names_and_buttons(proof: Path) -> None:
    parts = _parts(proof)
    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in parts["[Content_Types].xml"]
    assert 'codeName="ThisWorkbook"' in parts["xl/workbook.xml"]
    for n in (1, 2, 3):
        assert f'<sheetPr codeName="Sheet{n}"' in parts[f"xl/worksheets/sheet{n}.xml"]
    for name, text in MESSAGE_NAMES.items():
        quoted = text.replace('"', '""')
        assert f'<definedName name="{name}">"{quoted}"</definedName>' in parts["xl/workbook.xml"]
    assert _buttons_per_sheet(proof) == _expected_buttons()


def test_openpyxl_keep_vba_round_trip_keeps_project_and_buttons(proof: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    resaved = tmp_path / "resaved.xlsm"
    book = load_workbook(proof, keep_vba=True)
    assert book.code_name == "ThisWorkbook"
    assert [ws.sheet_properties.codeName for ws in book.worksheets] == ["Sheet1", "Sheet2", "Sheet3"]
    assert set(MESSAGE_NAMES) <= set(book.defined_names)
    book["汇总"]["A10"] = "改过"
    book.save(resaved)

    assert read_vba_project(resaved) == read_vba_project(proof)  # byte for byte
    assert _buttons_per_sheet(resaved) == _expected_buttons()
    parts = _parts(resaved)
    assert 'codeName="ThisWorkbook"' in parts["xl/workbook.xml"]
    assert "QYX_MSG_NO_ADDIN" in parts["xl/workbook.xml"]
    assert olevba_modules(resaved)["Qyx.bas"] == olevba_modules(proof)["Qyx.bas"]


# --- LibreOffice ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def converted(proof: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The proof converted to .ods and to .pdf by two LibreOffice runs at the same time."""
    outdir = tmp_path_factory.mktemp("lo")
    with ThreadPoolExecutor(2) as pool:
        jobs = {fmt: pool.submit(office.convert, proof, fmt, outdir, timeout=120) for fmt in ("ods", "pdf")}
        return {fmt: job.result() for fmt, job in jobs.items()}


@requires_soffice
def test_libreoffice_imports_module_and_binds_buttons(converted: dict[str, Path]) -> None:
    ods = converted["ods"]
    assert ods.name == "proof.ods" and converted["pdf"].read_bytes().startswith(b"%PDF")
    source = (vbaproject.VBA_DIR / "Qyx.bas").read_text(encoding="ascii")
    with zipfile.ZipFile(ods) as archive:
        names = archive.namelist()
        assert f"Basic/{PROJECT_NAME}/Qyx.xml" in names
        module = ET.fromstring(archive.read(f"Basic/{PROJECT_NAME}/Qyx.xml"))
        content = ET.fromstring(archive.read("content.xml"))
    text = module.text or ""
    # LibreOffice drops the Attribute line and prepends its VBA-compatibility header.
    assert "Option VBASupport 1\n" in text
    assert source.split("\n", 1)[1] in text
    for button in BUTTONS:
        assert f"Public Sub {button.macro}()" in text

    # Each sheet's buttons: the drawing control on that sheet -> form:button with its event.
    controls: dict[str, tuple[str, str]] = {}
    for button in content.iter(f"{{{NS['form']}}}button"):
        listener = button.find(".//script:event-listener", NS)
        assert listener is not None, button.get(f"{{{NS['form']}}}label")
        assert listener.get(f"{{{NS['script']}}}event-name") == "form:performaction"
        controls[button.get(f"{{{NS['form']}}}id")] = (
            button.get(f"{{{NS['form']}}}label"),
            listener.get(f"{{{NS['xlink']}}}href"),
        )
    per_sheet = {}
    for table in content.iter(f"{{{NS['table']}}}table"):
        ids = [c.get(f"{{{NS['draw']}}}control") for c in table.iter(f"{{{NS['draw']}}}control")]
        per_sheet[table.get(f"{{{NS['table']}}}name")] = [controls[i] for i in ids]
    expected = {
        name: [
            (b.caption, f"vnd.sun.star.script:{PROJECT_NAME}.Qyx.{b.macro}?language=Basic&location=document")
            for b in buttons
        ]
        for name, buttons in BUTTONS_BY_SHEET.items()
    }
    assert per_sheet == expected


@pytest.fixture(scope="module")
def large_and_standalone(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two proof workbooks: one with a VBA project over 200 KB, one standalone (xlwings.bas inside)."""
    folder = tmp_path_factory.mktemp("big")
    paths = {}
    for kind in ("large", "standalone"):
        path = paths[kind] = folder / f"{kind}.xlsm"
        workbook = xlsxwriter.Workbook(str(path))
        workbook.set_properties({"created": datetime(2024, 1, 1)})
        for name in SHEETS:
            sheet = workbook.add_worksheet(name)
            vbaproject.add_buttons(sheet, BUTTONS_BY_SHEET[name], row=0, col=0)
        if kind == "large":
            modules = {
                "Qyx": vba_sources()["Qyx"],
                "Big1": big_module(150_000, 1),
                "Big2": big_module(120_000, 2),
            }
            vbaproject.attach_vba(workbook, modules)
        else:
            vbaproject.attach_vba(workbook, standalone=True)
        workbook.close()
    return paths


def test_standalone_project_carries_xlwings_module(large_and_standalone: dict[str, Path]) -> None:
    path = large_and_standalone["standalone"]
    xl = vbaproject.xlwings_standalone_modules()
    from importlib.metadata import version

    assert xl.version == version("xlwings")  # the module's 'Version: line is the installed package's
    modules = olevba_modules(path)
    assert set(modules) == {
        "Qyx.bas",
        "xlwings.bas",
        "Dictionary.cls",
        "ThisWorkbook.cls",
        "Sheet1.cls",
        "Sheet2.cls",
        "Sheet3.cls",
    }
    shipped = (xl.folder / "xlwings.bas").read_text(encoding="ascii")
    assert modules["xlwings.bas"] == normalise_source("xlwings", shipped)
    assert "Public Function RunPython(PythonCommand As String)" in modules["xlwings.bas"]
    assert "#Const QYX_STANDALONE = True\r\n" in modules["Qyx.bas"]
    assert "    RunPython pyCommand\r\n" in modules["Qyx.bas"]
    assert modules["Dictionary.cls"].startswith(
        'Attribute VB_Name = "Dictionary"\r\nAttribute VB_Base = "0{FCFB3D2A-'
    )
    assert (
        "Class=Dictionary"
        in olefile.OleFileIO(io.BytesIO(read_vba_project(path))).openstream("PROJECT").read().decode()
    )
    xml = _parts(path)["xl/workbook.xml"]
    assert f'<definedName name="QYX_XLWINGS_MODULE">"{xl.version}"</definedName>' in xml
    # the add-in ledger: the same Qyx.bas with the switch off, and no xlwings module
    assert "#Const QYX_STANDALONE = False\n" in vba_sources()["Qyx"]


@requires_soffice
def test_libreoffice_imports_large_and_standalone_projects(
    large_and_standalone: dict[str, Path], tmp_path: Path
) -> None:
    expected = {
        "large": {
            "Qyx": "Public Sub QyxConsolidate()",
            "Big1": "Public Sub BigLast()",
            "Big2": "Public Sub BigLast()",
        },
        "standalone": {
            "Qyx": "#Const QYX_STANDALONE = True",
            "xlwings": "Public Function RunPython(PythonCommand As String)",
        },
    }
    with ThreadPoolExecutor(2) as pool:
        jobs = {
            kind: pool.submit(office.convert, path, "ods", tmp_path / kind, timeout=180)
            for kind, path in large_and_standalone.items()
        }
        ods = {kind: job.result() for kind, job in jobs.items()}
    for kind, modules in expected.items():
        with zipfile.ZipFile(ods[kind]) as archive:
            for module, text in modules.items():
                body = ET.fromstring(archive.read(f"Basic/{PROJECT_NAME}/{module}.xml")).text or ""
                assert text in body, (kind, module)
                if module.startswith("Big"):  # the whole module: its last line survived
                    assert body.rstrip().endswith("End Sub")


def test_xlwings_conf_rows_only_hold_what_was_set() -> None:
    assert vbaproject.xlwings_conf_rows() == []
    assert vbaproject.xlwings_conf_rows(interpreter_win=r"C:\qyx\pythonw.exe", use_udf_server=True) == [
        ("Interpreter_Win", r"C:\qyx\pythonw.exe"),
        ("Use UDF Server", "True"),
    ]


def test_message_names_and_run_python_override(tmp_path: Path) -> None:
    assert "xlwings addin install" in MESSAGE_NAMES["QYX_MSG_HOW_TO"]
    assert "QYX_RUNPYTHON" in MESSAGE_NAMES["QYX_MSG_HOW_TO"]
    assert "--standalone" in MESSAGE_NAMES["QYX_MSG_HOW_TO"]
    path = tmp_path / "names.xlsm"
    workbook = xlsxwriter.Workbook(str(path))
    workbook.add_worksheet("汇总")
    vbaproject.define_message_names(workbook, {"QYX_MSG_TITLE": 'say "hi"'}, "'xlwings.xlam'!RunPython")
    workbook.close()
    xml = _parts(path)["xl/workbook.xml"]
    assert '<definedName name="QYX_MSG_TITLE">"say ""hi"""</definedName>' in xml
    assert '<definedName name="QYX_RUNPYTHON">"\'xlwings.xlam\'!RunPython"</definedName>' in xml
    with pytest.raises(ValueError, match="255"):
        vbaproject.define_message_names(xlsxwriter.Workbook(io.BytesIO()), {"X": "字" * 256})


# --- office.py -----------------------------------------------------------------------------


def test_missing_libreoffice_names_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    source = tmp_path / "a.txt"
    source.write_text("x", encoding="utf-8")
    monkeypatch.setenv(office.SOFFICE_ENV, str(tmp_path / "no-such-soffice"))
    assert office.find_soffice() is None and not office.has_soffice()
    with pytest.raises(office.OfficeNotFound) as caught:
        office.convert(source, "pdf", tmp_path)
    assert "未找到 LibreOffice" in caught.value.message
    assert "https://www.libreoffice.org" in caught.value.message
    assert caught.value.exit_code == 2


def test_convert_refuses_a_missing_input(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="找不到要转换的文件"):
        office.convert(tmp_path / "nothing.xlsx", "pdf", tmp_path)


@requires_soffice
def test_convert_failure_leaves_no_output(tmp_path: Path) -> None:
    source = tmp_path / "a.txt"
    source.write_text("x", encoding="utf-8")
    with pytest.raises(OutputFailed, match=r"未能把 a\.txt 转换为 NOSUCHFORMAT"):
        office.convert(source, "nosuchformat", tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []
    with pytest.raises(OutputFailed, match="超时"):
        office.convert(source, "pdf", tmp_path / "out", timeout=0.05)
    assert list((tmp_path / "out").iterdir()) == []


def test_read_vba_modules_agrees_with_olevba(large_and_standalone: dict[str, Path]) -> None:
    for path in large_and_standalone.values():
        ours = vbaproject.read_vba_modules(read_vba_project(path))
        theirs = {name.rsplit(".", 1)[0]: code for name, code in olevba_modules(path).items()}
        assert ours == theirs
    with pytest.raises(ValueError):
        vbaproject.read_vba_modules(b"not a compound file")


def _check_red_black(ole: olefile.OleFileIO) -> None:
    """Each storage's children: a binary search tree in MS-CFB order, and a valid red-black tree
    (colour 0 red, 1 black)."""
    from qyx_excel.compound import sort_key

    def walk(sid: int) -> tuple[list[str], int]:  # (names in order, black height)
        if sid == olefile.NOSTREAM:
            return [], 1
        entry = ole.direntries[sid]
        left, lh = walk(entry.sid_left)
        right, rh = walk(entry.sid_right)
        assert lh == rh, f"unequal black heights under {entry.name}"
        if entry.color == 0:
            for child in (entry.sid_left, entry.sid_right):
                assert child == olefile.NOSTREAM or ole.direntries[child].color == 1
        return [*left, entry.name, *right], lh + (entry.color == 1)

    for entry in ole.direntries:
        if entry is not None and entry.entry_type in (olefile.STGTY_ROOT, olefile.STGTY_STORAGE):
            names, _ = walk(entry.sid_child)
            assert names == sorted(names, key=sort_key)


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "A",
                "VBA/dir",
                "VBA/Qyx",
                "VBA/_VBA_PROJECT",
                "VBA/Sheet1",
                "VBA/Sheet10",
                "x/y/z",
                "PROJECT",
                "PROJECTwm",
                "VBA/a",
                "VBA/B",
                "VBA/cc",
                "VBA/x" * 1,
            ]
        ),
        st.one_of(
            st.binary(max_size=70), st.integers(0, 9000).map(lambda n: bytes(i % 251 for i in range(n)))
        ),
        max_size=12,
    )
)
def test_compound_files_read_back_strictly(streams: dict[str, bytes]) -> None:
    from qyx_excel.compound import write_compound

    data = write_compound(streams)
    ole = olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_INCORRECT)
    assert sorted("/".join(e) for e in ole.listdir()) == sorted(streams)
    for path, content in streams.items():
        assert ole.openstream(path).read() == content
    _check_red_black(ole)


def test_many_siblings_make_a_valid_tree_over_several_directory_sectors() -> None:
    from qyx_excel.compound import write_compound

    streams = {f"VBA/Sheet{i}": bytes([i % 256]) * (i * 97 % 5000) for i in range(1, 60)}
    streams["VBA/4096"] = b"c" * 4096  # exactly the cutoff: a regular stream
    streams["VBA/4095"] = b"m" * 4095  # just below: the mini stream
    ole = olefile.OleFileIO(io.BytesIO(write_compound(streams)), raise_defects=olefile.DEFECT_INCORRECT)
    for path, content in streams.items():
        assert ole.openstream(path).read() == content
    _check_red_black(ole)


def test_standalone_without_xlwings_is_a_message_and_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util

    from qyx_excel.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "xlwings" else real(name, *a)
    )
    out = tmp_path / "台账.xlsm"
    code = main(["build-workbook", "--standalone", "--out", str(out)])
    assert code == UsageError("x").exit_code and code != 0
    assert "未安装 xlwings，无法生成独立版台账" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
