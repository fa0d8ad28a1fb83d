"""The history as a pandas DataFrame, for the office's analysts (optional extra ``qyx_excel[analysis]``).

pandas is not a dependency of the ledger: xlwings imports pandas whenever it is installed, and
every button click starts a fresh Python process that imports xlwings, so an installed pandas
costs every click ≈ 0.3 s (``scripts/bench`` measures it).  Install it where someone analyses
the history: ``pip install "qyx_excel[analysis]"``.

:func:`history_frame` gives one row per indicator (or part) and consolidated period, with the
columns of :data:`COLUMNS` — the figures the 汇总 sheet and the notice showed for that period.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import UsageError
from .store import DB_NAME, Store

if TYPE_CHECKING:
    import pandas

#: Columns of :func:`history_frame`, in order.
COLUMNS: tuple[str, ...] = (
    "period",
    "id",
    "domain",
    "name",
    "unit",
    "group",
    "status",
    "value",
    "value_text",
    "target",
    "target_text",
    "expected",
    "completion",
    "source_file",
    "source_cell",
)


def history_frame(store: str | Path) -> pandas.DataFrame:
    """Every consolidated period of the history store *store* (the 历史库 folder) as a DataFrame.

    Raises :class:`~qyx_excel.errors.UsageError` when pandas is not installed or the store
    does not exist.
    """
    try:
        import pandas as pd
    except ImportError:
        raise UsageError(
            '未安装 pandas：分析历史数据需要可选组件，请运行 pip install "qyx_excel[analysis]"。'
        ) from None

    store = Path(store)
    if not (store / DB_NAME).is_file():
        raise UsageError(f"找不到历史库：{store}")
    rows: list[dict[str, Any]] = []
    with Store(store) as st:
        for code in st.consolidated_periods():
            c = st.load_consolidation(code)
            if c is None:
                continue
            for r in c.indicators:
                rows.append(
                    {
                        "period": code,
                        "id": r.id,
                        "domain": r.domain,
                        "name": r.name,
                        "unit": r.unit,
                        "group": r.group,
                        "status": r.status.value,
                        "value": r.value,
                        "value_text": r.value_text,
                        "target": r.target,
                        "target_text": r.target_text,
                        "expected": r.expected,
                        "completion": r.completion,
                        "source_file": r.source_file,
                        "source_cell": r.source_cell,
                    }
                )
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    for column in ("value", "target", "expected", "completion"):
        frame[column] = pd.to_numeric(frame[column])
    return frame
