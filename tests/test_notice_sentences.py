"""docs/notice-sentences.md shows every sentence pattern of the notice with the text it renders on
the sample: each example there must appear, as written, in a rendering of the sample periods."""

from __future__ import annotations

import re
from pathlib import Path

from conftest_notice import SUPERVISION, TRICKY, build_consolidation

from qyx_excel.notice import clean, notice_context, render_text, short_reason

DOC = Path(__file__).resolve().parent.parent / "docs" / "notice-sentences.md"


def _rendered() -> str:
    texts = []
    cases = (
        ("2024-03", {}, SUPERVISION),
        ("2024-Q1", {}, None),
        ("2024", {}, None),
        ("2026-03", {"scenarios": ("lag", "severe")}, None),
    )
    for period, options, supervision in cases:
        result = render_text(notice_context(build_consolidation(period, **options), None, supervision))
        texts.append("\n".join(b["text"] for b in result["blocks"]))
        texts.append("\n".join(result["attachments"]))
    return "\n".join(texts)


def _examples() -> list[str]:
    rows = [line for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("| ")]
    return [row.strip("| ").split(" | ")[2] for row in rows[1:]]  # skip the header row


def test_every_documented_example_is_what_the_template_renders():
    rendered = _rendered()
    examples = _examples()
    assert len(examples) >= 25
    missing = [e for e in examples if e not in rendered]
    assert missing == []


def test_no_comparison_sign_in_the_prose_of_the_sample():
    prose = _rendered()
    for quoted in (clean(TRICKY), short_reason(TRICKY, 24), short_reason(TRICKY, 16)):
        prose = prose.replace(quoted, "")  # a group's own words, kept as typed (whole or cut)
    assert "R&D" not in prose
    assert not re.search(r"[<>≤≥≦≧]", prose)
