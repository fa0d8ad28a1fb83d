"""What the 汇总 path imports: openpyxl without numpy, and numpy still usable afterwards."""

from __future__ import annotations

import subprocess
import sys


def test_openpyxl_loads_without_numpy_and_numpy_still_imports():
    code = (
        "import sys\n"
        "from qyx_excel.sheetstyle import _import_openpyxl_without_numpy as load\n"
        "load()\n"
        "import openpyxl.compat.numbers as n\n"
        "assert 'numpy' not in sys.modules and n.NUMPY is False\n"
        "import pandas, numpy\n"  # the blocker is gone: numpy and pandas import as usual
        "print(numpy.__name__, pandas.__name__)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["numpy", "pandas"]


def test_cli_import_is_light():
    code = "import sys, qyx_excel.cli; heavy = {'openpyxl', 'pandas', 'numpy', 'docxtpl', 'xlwings'} & set(sys.modules); print(sorted(heavy))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_a_click_runs_where_pandas_and_numpy_are_not_installed(tmp_path):
    """pandas is the extra 'analysis': the 汇总 button's process must work without it (and numpy,
    which only pandas needs), on xlwings' remote engine, importing neither."""
    from pathlib import Path

    tests = Path(__file__).parent
    code = (
        "import os, sys\n"
        "class NotInstalled:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('pandas', 'numpy'): raise ImportError(name + ' is not installed')\n"
        "sys.meta_path.insert(0, NotInstalled())\n"
        f"sys.path.insert(0, {str(tests)!r})\n"
        f"os.environ['QYX_WORKBOOK_DIR'] = {str(tmp_path)!r}\n"
        "from xlwings_harness import book_payload\n"
        "import xlwings as xw\n"
        "import qyx_excel.buttons as b\n"
        "from qyx_excel.workbook import build_workbook\n"
        f"ledger = build_workbook(__import__('pathlib').Path({str(tmp_path)!r}) / 'l.xlsm', year=2024)\n"
        "payload = book_payload(ledger, active_sheet='汇总')\n"
        "values = [s for s in payload['sheets'] if s['name'] == '汇总'][0]['values']\n"
        "values[1][2] = '2024-03'; values[1][5] = ''\n"
        "book = xw.Book(json=payload); book.set_mock_caller()\n"
        "line = b.consolidate()\n"
        "print(line is not None, 'pandas' in sys.modules, 'numpy' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "False", "False"]
