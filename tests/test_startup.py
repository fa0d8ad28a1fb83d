"""What the 汇总 path imports: openpyxl without numpy, and numpy still usable afterwards."""

from __future__ import annotations

import subprocess
import sys


def test_openpyxl_loads_without_numpy_and_numpy_still_imports():
    code = (
        "import sys\n"
        "from qyx_excel.ledger import _import_openpyxl_without_numpy as load\n"
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
