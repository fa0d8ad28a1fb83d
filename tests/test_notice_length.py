"""The notice a leader signs without editing: its body fits the pages a county progress 通报 takes
(monthly 4, quarterly 6, annual 8 A4 pages at the GB/T 9704 grid) with its 督办 sentence, counted on
the PDF the project itself makes (``notice_to_pdf``), and no character of the body is lost on the way."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import requires_soffice
from conftest_notice import SUPERVISION, build_consolidation
from docx import Document

from qyx_excel.notice import notice_to_pdf, render_notice

pytestmark = requires_soffice

#: The heavy month of the issue: 15 lagging indicators and two groups that did not report.  It is a
#: December: in other months the yearly statistics are not judged, and with two groups silent too
#: few indicators are judged for 15 of them to lag.
HEAVY = {"missing_groups": ("住有宜居", "弱有众扶"), "scenarios": ("lag", "lag", "on", "met", "severe", "on")}
HEAVY_MONTH = "2024-12"

CASES = {
    "sample-month": ("2024-03", {}, 4),
    "heavy-month": (HEAVY_MONTH, HEAVY, 4),
    "sample-quarter": ("2024-Q1", {}, 6),
    "heavy-quarter": ("2024-Q3", HEAVY, 6),
    "sample-year": ("2024", {}, 8),
    "heavy-year": ("2024", HEAVY, 8),
}


def _pdf_pages(pdf: Path) -> list[str]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    count = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    return [
        subprocess.run(
            ["pdftotext", "-f", str(i), "-l", str(i), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for i in range(1, count + 1)
    ]


def _body_pages(pages: list[str]) -> int:
    """Pages before the first attachment page (it starts with its label 附件1)."""
    for i, text in enumerate(pages):
        if re.match(r"\s*附件\s*1\s*\n", text):
            return i
    raise AssertionError("no page starts with 附件1")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, tuple[Path, list[str]]]:
    if not shutil.which("pdftotext") or not shutil.which("pdfinfo"):
        pytest.skip("poppler-utils (pdfinfo/pdftotext) not installed")
    folder = tmp_path_factory.mktemp("length")
    out = {}
    for name, (period, options, _) in CASES.items():
        c = build_consolidation(period, **options)
        # every notice with the 督办 sentence in full (levels, new red slips, closed, overdue)
        docx = render_notice(
            c, folder / f"{name}.docx", date=dt.date(2024, 10, 8), number=12, supervision=SUPERVISION
        )
        out[name] = (docx, _pdf_pages(notice_to_pdf(docx, folder)))
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_body_fits_its_pages(rendered, name):
    _, pages = rendered[name]
    limit = CASES[name][2]
    assert _body_pages(pages) <= limit, f"{name}: body runs to {_body_pages(pages)} pages (limit {limit})"


def test_heavy_month_really_has_15_lagging_and_2_silent_groups():
    c = build_consolidation(HEAVY_MONTH, **HEAVY)
    assert c.kind == "month"
    assert sum(r.status.value in ("进度滞后", "严重滞后") for r in c.indicators) == 15
    assert [g.group for g in c.groups if not g.submitted] == ["住有宜居", "弱有众扶"]


@pytest.mark.parametrize("name", ["sample-month", "heavy-month"])
def test_no_character_of_the_body_is_lost_in_the_pdf(rendered, name):
    """LibreOffice used to drop a comma or 、 hanging at a line end of the condensed copy."""
    docx, pages = rendered[name]
    body_pages = _body_pages(pages)
    paragraphs = [p.text for p in Document(str(docx)).paragraphs]
    start = next(i for i, t in enumerate(paragraphs) if t.startswith("关于"))
    end = next(i for i, t in enumerate(paragraphs) if t.startswith("附件："))
    expected = re.sub(r"\s+", "", "".join(paragraphs[start:end]))
    shown = re.sub(r"—\d+—", "", re.sub(r"\s+", "", "".join(pages[:body_pages])))
    shown = shown[shown.index("关于") : shown.index("附件：")]
    matcher = difflib.SequenceMatcher(None, expected, shown, autojunk=False)
    lost = [expected[i1:i2] for op, i1, i2, _, _ in matcher.get_opcodes() if op in ("delete", "replace")]
    assert lost == []


def test_pdf_lines_hold_28_characters(rendered):
    _, pages = rendered["heavy-month"]
    lines = [line.strip() for line in pages[1].splitlines()]  # page 2: body text only
    # a full line of Chinese body text (no digits or Latin, which are half width)
    full = [
        line
        for line in lines
        if len(line) >= 24 and re.fullmatch(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”‘’、…—]+", line)
    ]
    assert full and all(27 <= len(line) <= 29 or _kept_together(line, lines) for line in full), [
        len(x) for x in full
    ]
    assert any(len(line) == 28 for line in full)


#: Marks a line may not start with (Chinese line-breaking rules): a character followed by two of
#: them moves to the next line with them, leaving 26 on the line before (“…（市人力社保” + “局）：”).
_NO_START = "）】」』”’，。、；：！？…"


def _kept_together(line: str, lines: list[str]) -> bool:
    """A 26-character line whose next line starts with a character bound to two such marks."""
    following = lines[lines.index(line) + 1] if lines.index(line) + 1 < len(lines) else ""
    return len(line) == 26 and len(following) >= 3 and following[1] in _NO_START and following[2] in _NO_START
