"""`qyx catalogue` and `qyx evaluate` as a user runs them (in-process and as a real process)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from qyx_excel.cli import build_parser, main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_catalogue_json(capsys):
    code, out, _err = run(capsys, "catalogue", "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) >= {"indicators", "tasks", "groups"}
    ids = [i["id"] for i in data["indicators"]]
    assert "27-1" in ids and "45" in ids
    first = data["indicators"][0]
    assert set(first) >= {"id", "domain", "name", "unit", "targets", "kind", "direction"}
    assert first["targets"]["2022"] == "3.85" and first["kind"] == "level"
    assert len(data["tasks"]) == 31


def test_catalogue_human(capsys):
    code, out, _ = run(capsys, "catalogue")
    assert code == 0 and "【幼有善育】" in out and "共 45 项指标" in out


def test_evaluate_json(capsys):
    code, out, _ = run(
        capsys, "evaluate", "--indicator", "1", "--period", "2024-06", "--value", "4.5", "--json"
    )
    data = json.loads(out)
    assert code == 0
    assert data["id"] == "1" and data["period"] == "2024-06" and data["value"] == 4.5
    assert data["target"] == 4.8 and data["expected"] == pytest.approx(4.5) and data["status"] == "序时推进"


def test_evaluate_full_width_and_percent(capsys):
    code, out, _ = run(
        capsys, "evaluate", "--indicator", "2", "--period", "2024-Q4", "--value", "６１％", "--json"
    )
    assert code == 0 and json.loads(out)["value"] == 61


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--indicator", "99", "--period", "2024-03", "--value", "1"], "没有序号"),
        (["--indicator", "1", "--period", "2024-13", "--value", "1"], "填报期"),
        (["--indicator", "1", "--period", "2024-03", "--value", "很多"], "不是数值"),
    ],
)
def test_evaluate_bad_arguments_exit_2_with_one_chinese_line(capsys, args, needle):
    code, out, err = run(capsys, "evaluate", *args)
    assert code == 2 and out == ""
    assert needle in err and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("错误：")


def test_missing_argument_is_chinese(capsys):
    code, _, err = run(capsys, "evaluate", "--indicator", "1")
    assert code == 2 and "缺少必需的参数" in err


def test_every_command_has_chinese_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        text = p.format_help()
        assert "用法" in text, name
        assert any("\u4e00" <= ch <= "\u9fff" for ch in (p.description or "")), name


def test_chinese_help_stays_in_our_parser(capsys):
    """Using qyx's parser leaves other argparse parsers in the same process in English."""
    assert "用法" in build_parser().format_help()
    run(capsys, "evaluate", "--indicator", "1")
    other = argparse.ArgumentParser(prog="other")
    other.add_argument("--x")
    assert other.format_help().startswith("usage: other") and "options:" in other.format_help()


def test_installed_console_script_runs():
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "qyx_excel",
            "evaluate",
            "--indicator",
            "13",
            "--period",
            "2024-06",
            "--value",
            "4.6",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "已达标"
