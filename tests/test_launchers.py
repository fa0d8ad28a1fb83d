"""The 信创 desktop launchers (scripts/qyx-*.sh and their .desktop entries), run from a fresh clone.

The clone is made with git from this repository; the launchers use this test run's environment
(``QYX_VENV``) instead of creating ``.venv`` in the clone, so nothing is downloaded.  Everything else
is the path a clerk's double-click takes: the .desktop entry that ``install-desktop.sh`` writes, its
``Exec`` line, ``_office.sh``'s prompt read from standard input, and the qyx commands.
"""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl
import pytest

from qyx_excel.glossary import GROUPS
from qyx_excel.periods import parse_period

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
LAUNCHERS = ("qyx-check-inbox", "qyx-consolidate", "qyx-notice")
MARCH = parse_period("2024-03")

needs_git_bash = pytest.mark.skipif(
    not (shutil.which("git") and shutil.which("bash") and (ROOT / ".git").exists()),
    reason="needs git, bash and a git checkout",
)


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A fresh clone, its desktop entries installed into a scratch home, and an inbox of the month."""
    from qyx_excel.distribute import distribute
    from qyx_excel.sample import fill_file, group_fill

    base = tmp_path_factory.mktemp("desk")
    clone = base / "克隆 qyx"  # a space and Chinese in the path, as on a real desktop
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    home = base / "home"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_DESKTOP_DIR": str(home / "桌面"),
        "QYX_VENV": sys.prefix,
        "QYX_LEDGER_DIR": str(base / "台账"),
        "QYX_NO_PAUSE": "1",
        "TMPDIR": tempfile.gettempdir(),  # this run's temp folder (conftest), not the system's
    }
    proc = subprocess.run(
        ["bash", str(clone / "scripts" / "install-desktop.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    inbox = base / "台账" / "收件箱"
    for path in distribute(MARCH, inbox):
        group = next(g for g in GROUPS if g in path.name)
        fill_file(path, group, group_fill(group, MARCH))
    return {"clone": clone, "env": env, "ledger_dir": base / "台账", "install": proc.stdout}


def read_entry(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def double_click(desk: dict, name: str, typed: str) -> subprocess.CompletedProcess[str]:
    """What the desktop does with an entry: run its Exec in its Path (a terminal gives it stdin)."""
    entry = read_entry(Path(desk["env"]["XDG_DESKTOP_DIR"]) / f"{name}.desktop")
    return subprocess.run(
        shlex.split(entry["Exec"]),
        cwd=entry["Path"],
        env=desk["env"],
        input=typed,
        capture_output=True,
        text=True,
        timeout=300,
    )


@needs_git_bash
def test_install_desktop_writes_entries_that_run_the_clones_launchers(desk):
    env, clone = desk["env"], desk["clone"]
    for folder in (Path(env["XDG_DESKTOP_DIR"]), Path(env["XDG_DATA_HOME"]) / "applications"):
        for name in LAUNCHERS:
            path = folder / f"{name}.desktop"
            entry = read_entry(path)
            assert shlex.split(entry["Exec"]) == [str(clone / "scripts" / f"{name}.sh")]
            assert (entry["Type"], entry["Terminal"], entry["Path"]) == ("Application", "true", str(clone))
            assert entry["Name[zh_CN]"].startswith("七优享 ") and os.access(path, os.X_OK)
            assert os.access(clone / "scripts" / f"{name}.sh", os.X_OK)
    assert "七优享 汇总本月" in desk["install"]


@needs_git_bash
def test_the_month_through_the_desktop_entries(desk):
    ledger_dir = desk["ledger_dir"]
    # 校验: the same report as `qyx check`, saved beside the ledger
    check = double_click(desk, "qyx-check-inbox", "2024-03\n")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "请输入填报期（月 2024-03，季度 2024-Q1，年度 2024；直接回车为 " in check.stdout
    assert "首次使用：正在生成台账" in check.stdout and "全部通过。" in check.stdout
    report = ledger_dir / "校验结果_2024-03.txt"
    direct = subprocess.run(
        [sys.executable, "-m", "qyx_excel", "check", str(ledger_dir / "收件箱"), "--period", "2024-03"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert report.read_text(encoding="utf-8") == direct.stdout and direct.stdout in check.stdout
    # 汇总: typed the way people write it; the results go into the ledger
    cons = double_click(desk, "qyx-consolidate", "2024年3月\n")
    assert cons.returncode == 0, cons.stdout + cons.stderr
    assert f"汇总结果已写入台账：{ledger_dir / '七优享台账.xlsm'}" in cons.stdout
    wb = openpyxl.load_workbook(ledger_dir / "七优享台账.xlsm")
    assert "2024年3月" in str(wb["汇总"]["C4"].value) and (ledger_dir / "历史库").is_dir()
    # 通报: the notice and the printable tables
    notice = double_click(desk, "qyx-notice", "2024-03\n")
    assert notice.returncode == 0, notice.stdout + notice.stderr
    docx, xlsx = ledger_dir / "2024-03_七优享工程进度通报.docx", ledger_dir / "2024-03_七优享工程进度表.xlsx"
    assert f"进度通报（用 WPS 文字或 Word 打开，核对后签发）：{docx}" in notice.stdout
    from docx import Document

    assert (
        "进度" in "".join(p.text for p in Document(docx).paragraphs)
        and openpyxl.load_workbook(xlsx).sheetnames
    )


@needs_git_bash
def test_a_period_that_cannot_be_read_is_refused(desk):
    proc = double_click(desk, "qyx-notice", "2024-13\n")
    assert proc.returncode == 2
    assert "填报期“2024-13”无法识别，请写成 2024-03（月）、2024-Q1（季度）或 2024（年度）。" in proc.stdout


def _said(text: str) -> list[str]:
    """The sentences a launcher shows: echo lines and the period prompt, variables as NAME."""
    lines = []
    for raw in text.splitlines():
        line = raw.strip()
        line = re.sub(r"^(if .*?==\d+ |\[ \$RC -eq \d \] && )", "", line)
        prompt = re.search('(?:set /p "PERIOD=|printf \'%s\' ")(.*?)"', line)
        match = re.match(r'echo "?(.*?)"?$', line) or prompt
        if not match or not re.search(r"[\u4e00-\u9fff]", match.group(1)):
            continue
        said = re.sub(r"%(\w+)%|\$\{?(\w+)\}?", lambda m: m.group(1) or m.group(2), match.group(1))
        lines.append(said.replace("\\", "/").replace(".cmd", ".sh"))
    return lines


@pytest.mark.parametrize("name", [*LAUNCHERS, "_office"])
def test_the_sh_launchers_say_what_the_cmd_ones_say(name):
    cmd = _said((SCRIPTS / f"{name}.cmd").read_text(encoding="utf-8"))
    sh = _said((SCRIPTS / f"{name}.sh").read_text(encoding="utf-8"))
    assert cmd and [line for line in cmd if line not in sh] == []
