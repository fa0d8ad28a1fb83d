"""Docs are generated from code; these tests fail when they drift apart."""

from __future__ import annotations

from pathlib import Path

from qyx_excel.cli import build_parser, cli_reference_markdown
from qyx_excel.findings import CODES, catalogue_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_findings_catalogue_doc_is_current():
    assert (ROOT / "docs" / "findings.md").read_text(encoding="utf-8") == catalogue_markdown(), (
        "run: qyx docs"
    )


def test_every_finding_code_is_documented_and_chinese():
    text = (ROOT / "docs" / "findings.md").read_text(encoding="utf-8")
    for code, spec in CODES.items():
        assert f"`{code}`" in text
        assert any("\u4e00" <= ch <= "\u9fff" for ch in spec.template), code
        assert spec.severity in ("error", "warning")


def test_cli_reference_is_current():
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == cli_reference_markdown(), "run: qyx docs"


def test_every_command_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name in sub.choices:
        if name != "docs":
            assert f"qyx {name}" in readme, name


def test_readme_quick_start_is_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## 快速开始", 1)[1].split("```", 2)[1]
    assert [line for line in block.splitlines() if line.strip()] == ["scripts/demo", "scripts/test"]
