"""A consolidation of the real plan judged by the target engine, for the export and rollup tests.

(The notice and table tests build a more varied month: ``conftest_notice.build_consolidation``.)
"""

from __future__ import annotations

from qyx_excel.glossary import Direction
from qyx_excel.model import Consolidation, GroupStatus, IndicatorRow
from qyx_excel.periods import parse_period
from qyx_excel.plan import load_plan
from qyx_excel.targets import evaluate


def judged_consolidation(
    period: str = "2024-03", factor: float = 1.0, skip: tuple[str, ...] = (), *, sourced: bool = False
) -> Consolidation:
    """A consolidation of the real plan, every indicator judged by the target engine.

    Values sit at ``factor`` × the time-elapsed expected value (inverted when lower is better);
    qualitative targets get the declaration 推进中; indicators in ``skip`` are left out.
    ``sourced``: every row carries a note, a data source and its source file and cell, and the
    consolidation one group's status (幼有善育, accepted).
    """
    plan = load_plan()
    p = parse_period(period)
    rows = []
    for ind in plan.indicators:
        if ind.id in skip:
            continue
        blank = evaluate(ind, p, None)
        if blank.expected is None:
            value: object = "推进中"
        else:
            value = blank.expected * (factor if ind.direction is Direction.HIGHER else 2 - factor)
        ev = evaluate(ind, p, value)
        if sourced:
            rows.append(
                IndicatorRow.judged(
                    ind,
                    ev,
                    note="按月调度",
                    data_source="市统计局",
                    source_file=f"/收件箱/{p.code}_{ind.domain}.xlsx",
                    source_cell=f"{ind.domain}!G5",
                )
            )
        else:
            rows.append(IndicatorRow.judged(ind, ev))
    groups = (
        [
            GroupStatus(
                group="幼有善育", submitted=True, accepted=True, file="x.xlsx", received_at="2024-04-03"
            )
        ]
        if sourced
        else []
    )
    return Consolidation(
        period=p.code,
        label=p.label,
        kind=p.kind,
        generated_at="2024-04-06T09:00:00+08:00",
        indicators=rows,
        groups=groups,
    )
