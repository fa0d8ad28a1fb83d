"""The optional analysts' view: the history store as a pandas DataFrame (extra ``analysis``)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from qyx_excel.errors import UsageError


def test_history_frame_holds_every_consolidated_period(tmp_path):
    pd = pytest.importorskip("pandas")
    from qyx_excel.analysis import COLUMNS, history_frame
    from qyx_excel.demo import run_demo
    from qyx_excel.periods import parse_period

    run_demo(tmp_path, period=parse_period("2024-03"))
    store = next(p for p in tmp_path.rglob("qyx.sqlite")).parent
    frame = history_frame(store)
    assert list(frame.columns) == list(COLUMNS)
    march = frame[frame["period"] == "2024-03"]
    assert len(march) >= 45 and set(march["id"]) >= {"1", "27-1", "27-2", "45"}
    assert pd.api.types.is_float_dtype(frame["value"])
    from qyx_excel.store import Store

    with Store(store) as st:
        c = st.load_consolidation("2024-03")
    row = next(r for r in c.indicators if r.value is not None)
    got = march.set_index("id").loc[row.id]
    assert (got["value"], got["status"]) == (row.value, row.status.value)


def test_history_frame_without_a_store_says_so(tmp_path):
    pytest.importorskip("pandas")
    from qyx_excel.analysis import history_frame

    with pytest.raises(UsageError, match="找不到历史库"):
        history_frame(tmp_path)


def test_without_pandas_the_message_names_the_extra(tmp_path):
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'pandas': raise ImportError('not installed')\n"
        "sys.meta_path.insert(0, Block())\n"
        "from qyx_excel.analysis import history_frame\n"
        "from qyx_excel.errors import UsageError\n"
        "try:\n"
        f"    history_frame({str(tmp_path)!r})\n"
        "except UsageError as e:\n"
        "    print(e.message)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert 'pip install "qyx_excel[analysis]"' in out


def test_pandas_is_not_a_dependency_of_the_ledger():
    """xlwings imports pandas whenever it is installed: every click would pay for it."""
    from pathlib import Path

    tomllib = pytest.importorskip("tomllib")

    project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text(encoding="utf-8"))[
        "project"
    ]
    assert not [d for d in project["dependencies"] if d.startswith("pandas")]
    assert project["optional-dependencies"]["analysis"] == ["pandas>=2.0"]
    xlwings = next(d for d in project["dependencies"] if d.startswith("xlwings"))
    # Sheet.notes and Range.add_note, which 校验本表 uses, exist from 0.37.5 (the button tests
    # were run against 0.37.4, failing, and 0.37.5, passing)
    assert xlwings == "xlwings>=0.37.5"
