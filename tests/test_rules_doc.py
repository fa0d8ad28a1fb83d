"""docs/rules.md against the data it explains: thresholds (rules.csv), each indicator's rhythm
(indicators.csv) and the worked examples (run through the engine)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from qyx_excel.glossary import Status
from qyx_excel.periods import parse_period
from qyx_excel.plan import load_plan
from qyx_excel.targets import evaluate, load_rules

DOC = (Path(__file__).resolve().parents[1] / "docs" / "rules.md").read_text(encoding="utf-8")


def test_thresholds_in_the_doc_are_those_of_rules_csv():
    rules = load_rules()
    for key, value in (
        ("on_track_gap_share", rules.on_track_gap_share),
        ("severe_gap_share", rules.severe_gap_share),
        ("min_span_share", rules.min_span_share),
    ):
        mentions = re.findall(rf"(\d+)%[^%]{{0,12}}`{key}`", DOC)
        assert mentions, key
        assert {int(m) for m in mentions} == {round(value * 100)}, key
    scores = "、".join(
        f"{s.value} {rules.score(s):g}"
        for s in (Status.MET, Status.ON_TRACK, Status.LAGGING, Status.SEVERELY_LAGGING, Status.NOT_REPORTED)
    )
    assert scores in DOC


def rhythm_rows() -> list[str]:
    rows = []
    for ind in load_plan().indicators:
        if ind.has_parts:
            continue
        path = ind.path + (f"（{ind.due_month}月）" if ind.due_month else "")
        rows.append(f"| {ind.id} | {ind.name} | {ind.frequency} | {path} | {ind.rhythm_basis} |")
    return rows


def test_rhythm_table_is_the_data():
    block = DOC.split("<!-- rhythm:start -->")[1].split("<!-- rhythm:end -->")[0]
    lines = block.strip().splitlines()[2:]
    assert lines == rhythm_rows()


EXAMPLES = [
    line
    for line in DOC.split("## 五、算例")[1].split("## 六")[0].splitlines()
    if line.startswith("|") and "qyx evaluate" in line
]
WORDS = {s.value: s for s in Status}


@pytest.mark.parametrize("line", EXAMPLES)
def test_worked_example_gives_the_status_it_states(line):
    cells = [c.strip() for c in line.strip("|").split("|")]
    args = shlex.split(cells[1].strip("`"))
    opts = dict(zip(args[2::2], args[3::2], strict=True))
    want = WORDS[re.match(r"[^（]+", cells[-1]).group(0)]
    ind = load_plan().indicator(opts["--indicator"])
    result = evaluate(ind, parse_period(opts["--period"]), opts["--value"])
    assert result.status is want, (line, result.reason)
    if cells[2] not in ("—",):
        expected = cells[2].split("=")[-1].strip()
        assert result.expected == pytest.approx(float(expected)), line


def test_there_is_a_worked_example_for_every_rhythm():
    plan = load_plan()
    ids = {shlex.split(line.split("|")[2].strip(" `"))[3] for line in EXAMPLES}
    rhythms = {(plan.indicator(i).frequency, plan.indicator(i).path) for i in ids}
    assert rhythms >= {("月", "线性"), ("季", "线性"), ("年", "线性"), ("月", "阶跃"), ("月", "里程碑")}
    assert len(EXAMPLES) >= 15
