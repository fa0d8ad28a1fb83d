"""``intake.sheet_extent`` never under-states what a reader allocates, whatever the fast path decides.

The fast path answers 999 × 26 for a sheet whose every cell starts with its reference and none lies
past column Z or row 999; anything else is counted cell by cell.  Here random sheets (cells with
and without references, near and far, with the reference first or not) are checked against the
extent computed independently, as a reader places cells.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from qyx_excel.cells import letters_base0 as column_letter
from qyx_excel.intake import sheet_extent

_SPELLINGS = [
    "plain",
    "lower",
    "single",
    "spaced",
    "charref",
    "hexref",
    "prefixed",
    "second_r",
    "gt_in_value",
]
_cell = st.tuples(
    st.integers(0, 30),  # column (0-based); past 25 is "far"
    st.booleans(),  # with a reference
    st.sampled_from(["r_first", "t_first", "tab"]),  # how the start tag is written
    st.booleans(),  # holds a value
    st.sampled_from(_SPELLINGS),  # how the reference is spelt (every legal way a reader accepts)
)
_row = st.tuples(st.integers(1, 1100), st.booleans(), st.lists(_cell, max_size=6))  # number, with r=, cells


def _sheet(rows: list) -> tuple[bytes, tuple[int, int]]:
    parts, max_row, max_col, row_no = [], 0, 0, 0
    for number, row_ref, cells in rows:
        row_no = number if row_ref else row_no + 1
        parts.append(f'<row r="{row_no}">' if row_ref else "<row>")
        col = 0
        for c, with_ref, style, has_value, spelling in sorted(cells, key=lambda x: x[0]):
            col = c + 1 if with_ref else col + 1
            ref = spelt(column_letter(col - 1), row_no, spelling)
            tag = "x:c" if spelling == "prefixed" else "c"
            if not with_ref:
                start = f"<{tag}>" if style != "t_first" else f'<{tag} t="n">'
            elif style == "r_first":
                start = f"<{tag} {ref}>"
            elif style == "t_first":
                start = f'<{tag} t="n" {ref}>'
            else:
                start = f"<{tag}\t{ref}>"
            parts.append(start + ("<x:v>1</x:v>" if has_value else "") + f"</{tag}>")
            if has_value:
                max_row, max_col = max(max_row, row_no), max(max_col, col)
        parts.append("</row>")
    xml = "<worksheet><sheetData>" + "".join(parts) + "</sheetData></worksheet>"
    return xml.encode(), (max_row, max_col)


def spelt(letters: str, row: int, spelling: str) -> str:
    """The ``r`` attribute of a cell at ``letters``+``row``, written one of the ways XML allows."""
    if spelling == "lower":
        return f'r="{letters.lower()}{row}"'
    if spelling == "single":
        return f"r='{letters}{row}'"
    if spelling == "spaced":
        return f'r = "{letters}{row}"'
    if spelling == "charref":
        return f'r="&#{ord(letters[0])};{letters[1:]}{row}"'
    if spelling == "hexref":
        return f'r="{letters}&#x{ord(str(row)[0]):x};{str(row)[1:]}"'
    if spelling == "second_r":  # a reader takes the last r of a tag
        return f'r="A1" r="{letters}{row}"'
    if spelling == "gt_in_value":  # ">" is legal inside an attribute value
        return f'a="x>y" r="{letters}{row}"'
    return f'r="{letters}{row}"'


@settings(max_examples=300, deadline=None)
@given(st.lists(_row, max_size=6))
def test_extent_covers_every_cell_with_a_value(rows: list) -> None:
    xml, (rows_needed, cols_needed) = _sheet(rows)
    got_rows, got_cols = sheet_extent(xml)
    assert got_rows >= rows_needed and got_cols >= cols_needed


def test_usual_sheet_takes_the_fast_path() -> None:
    xml, _ = _sheet([(1, True, [(0, True, "r_first", True, "plain"), (11, True, "r_first", True, "plain")])])
    assert sheet_extent(xml) == (999, 26)
    far, _ = _sheet(
        [
            (1, True, [(0, True, "r_first", True, "plain")]),
            (5000, True, [(2, True, "r_first", True, "plain")]),
        ]
    )
    assert sheet_extent(far) == (5000, 3)


def test_a_far_cell_in_a_mailed_ledgers_summary_sheet_is_refused_not_fatal(tmp_path) -> None:
    """A 5 KB file whose ``_meta`` says "ledger" and whose 汇总 sheet holds a value at XFD1048576:
    the 汇总 period look-up must be guarded like the group sheets (calamine aborts the whole
    process on an allocation it cannot make).  Run in a child process so a regression cannot take
    the test run down with it."""
    import subprocess
    import sys
    import textwrap

    path = tmp_path / "台账.xlsx"
    script = textwrap.dedent(f"""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
        from pathlib import Path
        import openpyxl
        from qyx_excel import intake
        from qyx_excel.errors import UnreadableFile
        from qyx_excel.glossary import SHEET_SUMMARY
        from qyx_excel.submission import META_SHEET, META_TEMPLATE

        path = Path({str(path)!r})
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = SHEET_SUMMARY
        ws["C2"] = "2024-03"
        ws["XFD1048576"] = "远处"
        meta = wb.create_sheet(META_SHEET)
        for i, pair in enumerate([("template", META_TEMPLATE), ("kind", "ledger"), ("period", "2024-03")], 1):
            meta.cell(i, 1, pair[0])
            meta.cell(i, 2, pair[1])
        wb.save(path)
        try:
            intake.read_file(path)
        except UnreadableFile as exc:
            print(exc.finding.code)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.strip() == "sheet-too-large"
