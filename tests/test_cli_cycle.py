"""The month through the `qyx` command line, as the office runs it without Excel."""

from __future__ import annotations

import json

import pytest
from conftest import requires_soffice

from qyx_excel.cli import main
from qyx_excel.sample import make_sample_month


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    root = tmp_path_factory.mktemp("cycle")
    ledger = root / "七优享台账.xlsm"
    assert main(["build-workbook", "--out", str(ledger)]) == 0
    assert main(["distribute", "--period", "2024-03", "--out", str(root / "下发")]) == 0
    make_sample_month("2024-03", root / "收件 箱", ledger=ledger)
    return root, ledger


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_distribute_names_files_by_period_and_group(month):
    root, _ = month
    names = sorted(p.name for p in (root / "下发").iterdir())
    assert "2024-03_幼有善育.xlsx" in names and len(names) == 9


def test_check_json_and_exit_code(month, capsys):
    root, _ = month
    code, out, _err = run(capsys, "check", root / "收件 箱", "--period", "2024-03", "--json")
    data = json.loads(out)  # stdout holds the JSON alone
    assert code == 1  # the sample has one file with errors
    entry = data["files"][0]
    assert set(entry) >= {"path", "group", "period", "ok", "findings"}
    bad = [f for f in data["files"] if not f["ok"]]
    assert [f["group"] for f in bad] == ["住有宜居"]
    finding = next(x for x in bad[0]["findings"] if x["severity"] == "error")
    assert set(finding) >= {"code", "severity", "file", "sheet", "cell", "indicator", "message"}


def test_consolidate_json_contract(month, capsys):
    root, ledger = month
    code, out, _ = run(
        capsys,
        "consolidate",
        "--period",
        "2024-03",
        "--ledger",
        ledger,
        "--inbox",
        root / "收件 箱",
        "--json",
    )
    data = json.loads(out)
    assert code == 1  # a refused group and a missing group
    assert data["period"] == "2024-03"
    ind = data["indicators"][0]
    assert set(ind) >= {"id", "value", "status", "target", "expected"}
    groups = {g["group"]: g for g in data["groups"]}
    assert set(groups["幼有善育"]) >= {"group", "submitted", "accepted", "errors", "warnings"}
    assert groups["弱有众扶"]["submitted"] is False and groups["弱有众扶"]["reminder"]
    assert groups["住有宜居"]["accepted"] is False
    assert {r["dimension"] for r in data["ranking"]} == {"domain", "unit", "group"}


def test_consolidate_fills_the_progress_sheet_as_the_button_does(month, capsys):
    from openpyxl import load_workbook

    from qyx_excel.glossary import SHEET_TABLES
    from qyx_excel.layout import OUTPUT_HEADER_ROW, OUTPUT_NOTE_ROW, TABLES_HEADERS
    from qyx_excel.ledger import WORD_FILLS

    root, ledger = month
    run(capsys, "consolidate", "--period", "2024-03", "--ledger", ledger, "--inbox", root / "收件 箱")
    ws = load_workbook(ledger, keep_vba=True)[SHEET_TABLES]
    assert ws.cell(OUTPUT_NOTE_ROW, 1).value.startswith("2024年3月七优享工程指标进度表")
    header = [ws.cell(OUTPUT_HEADER_ROW, c).value for c in range(1, len(TABLES_HEADERS) + 1)]
    assert header == list(TABLES_HEADERS)
    body = list(ws.iter_rows(min_row=OUTPUT_HEADER_ROW + 1, values_only=True))
    assert len(body) == 47 and body[0][1] == "1" and any(r[1] == "27-1" for r in body)
    status = ws.cell(OUTPUT_HEADER_ROW + 1, TABLES_HEADERS.index("状态") + 1)
    assert status.fill.fgColor.rgb[-6:] == WORD_FILLS[status.value]
    assert ws.print_area is not None


def test_notice_tables_after_consolidation(month, capsys):
    root, ledger = month
    run(capsys, "consolidate", "--period", "2024-03", "--ledger", ledger, "--inbox", root / "收件 箱")
    code, _, err = run(
        capsys, "notice", "--period", "2024-03", "--ledger", ledger, "--out", root / "通报.docx"
    )
    assert code == 0 and (root / "通报.docx").stat().st_size > 10_000
    code, _, err = run(
        capsys, "tables", "--period", "2024-Q1", "--ledger", ledger, "--out", root / "进度表.xlsx"
    )
    assert code == 0 and "2024年第一季度" in err


def test_notice_before_consolidation_is_a_clear_refusal(tmp_path, capsys):
    code, _out, err = run(
        capsys, "notice", "--period", "2024-05", "--store", tmp_path, "--out", tmp_path / "x.docx"
    )
    assert code == 2 and "qyx consolidate" in err and "Traceback" not in err
    assert not (tmp_path / "x.docx").exists()


def test_history_restore_and_trace(month, capsys, tmp_path):
    """Every submission can be shown again, byte for byte; every figure traced to file and cell."""
    import hashlib

    root, ledger = month
    run(capsys, "consolidate", "--period", "2024-03", "--ledger", ledger, "--inbox", root / "收件 箱")
    code, out, _ = run(capsys, "history", "--ledger", ledger, "--period", "2024-03", "--json")
    rows = json.loads(out)["submissions"]
    assert code == 0
    refused = next(r for r in rows if r["group"] == "住有宜居")
    assert refused["state"] == "退回" and refused["errors"] > 0
    code, _, err = run(capsys, "history", "--ledger", ledger, "--restore", refused["id"], "--out", tmp_path)
    restored = tmp_path / "2024-03_住有宜居.xlsx"
    original = root / "收件 箱" / "2024-03_住有宜居.xlsx"
    assert (
        code == 0
        and hashlib.sha256(restored.read_bytes()).digest() == hashlib.sha256(original.read_bytes()).digest()
    )

    code, out, _ = run(
        capsys, "trace", "--ledger", ledger, "--period", "2024-03", "--indicator", "1", "--json"
    )
    found = json.loads(out)
    assert code == 0 and found["file"] == "2024-03_幼有善育.xlsx" and found["cell"].startswith("G")
    code, _, err = run(capsys, "trace", "--ledger", ledger, "--period", "2024-03", "--indicator", "40")
    assert code == 2 and "未报送或被退回" in err  # 弱有众扶 did not report


def test_rebuild_store_gives_the_same_history(month, capsys):
    root, ledger = month
    run(capsys, "consolidate", "--period", "2024-03", "--ledger", ledger, "--inbox", root / "收件 箱")
    _, before, _ = run(capsys, "history", "--ledger", ledger, "--json")
    assert run(capsys, "rebuild-store", "--ledger", ledger)[0] == 0
    _, after, _ = run(capsys, "history", "--ledger", ledger, "--json")
    strip = lambda rows: [{k: v for k, v in r.items() if k != "id"} for r in json.loads(rows)["submissions"]]  # noqa: E731
    assert strip(before) == strip(after)


@requires_soffice
def test_notice_pdf_and_doc_number(month, capsys):
    from docx import Document

    root, ledger = month
    run(capsys, "consolidate", "--period", "2024-03", "--ledger", ledger, "--inbox", root / "收件 箱")
    code, _, err = run(
        capsys,
        "notice",
        "--period",
        "2024-03",
        "--ledger",
        ledger,
        "--out",
        root / "通报.docx",
        "--pdf",
        "--number",
        "5",
    )
    assert code == 0 and (root / "通报.pdf").stat().st_size > 10_000 and "PDF：" in err
    numbers = [p.text for p in Document(str(root / "通报.docx")).paragraphs if p.style.name == "发文字号"]
    assert len(numbers) == 1 and numbers[0].endswith("〕5号")


def test_notice_number_must_be_positive(month, capsys):
    root, ledger = month
    code, _, err = run(
        capsys, "notice", "--period", "2024-03", "--ledger", ledger, "--out", root / "x.docx", "--number", "0"
    )
    assert code == 2 and "正整数" in err and not (root / "x.docx").exists()
