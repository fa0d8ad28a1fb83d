"""The register of the plan's own contradictions (data/notes.csv): read, switched, shown, and
checked against the plan's text."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from qyx_excel.cli import main
from qyx_excel.errors import PlanDataError
from qyx_excel.plan import DATA_DIR, _notes, load_plan, notes_markdown

ROOT = Path(__file__).resolve().parents[1]
SEED = Path(os.environ.get("QYX_PLAN_TEXT", "/work/shared/seed/000_c3ec457a5bd69001.txt"))


def test_register_doc_is_current():
    assert (ROOT / "docs" / "plan-notes.md").read_text(encoding="utf-8") == notes_markdown(load_plan()), (
        "run: qyx docs"
    )


def test_register_covers_the_points_the_issue_lists():
    notes = load_plan().notes
    text = "\n".join(f"{n.concerns} {n.table_says} {n.text_says} {n.reading}" for n in notes)
    for words in (
        "浙里惠民保",
        "温州益康保",
        "瑞安桃源幸福颐养院",
        "300床",
        "省级统筹",
        "开展试点",
        "指标5、36",
        "七个分领域专项组",
        "住有宜居、（六）老有康养",
        "市自然资源和规划局",
        "市文化和广电旅游体育局",
        "办公室主任",
        "27-1",
        "不少于35人",
    ):
        assert words in text, words
    switched = {n.switch: n.value for n in notes if n.switch}
    assert switched["指标33.到期"] == "2027-12"
    assert {k for k, v in switched.items() if v == "含本数"} == {
        f"指标{i}.比较" for i in (2, 3, 4, 16, 21, 23, 26, 28)
    }


@pytest.mark.skipif(not SEED.exists(), reason="plan text not on this machine (set QYX_PLAN_TEXT)")
def test_every_quotation_in_the_register_is_in_the_plan_text():
    def norm(t: str) -> str:
        t = t.replace("，", ",").replace("（", "(").replace("）", ")").replace("：", ":")
        return re.sub(r"\s+", "", t)

    plan_text = norm(SEED.read_text(encoding="utf-8"))
    missing = [
        (n.id, piece)
        for n in load_plan().notes
        for column in (n.table_says, n.text_says)
        for quoted in re.findall(r"“([^”]+)”", column)
        for piece in quoted.split("…")
        if norm(piece) not in plan_text
    ]
    assert missing == []


def test_a_switch_value_outside_its_choices_is_refused(tmp_path):
    text = (
        (DATA_DIR / "notes.csv")
        .read_text(encoding="utf-8-sig")
        .replace(",指标33.到期,2027-12,", ",指标33.到期,2026-12,")
    )
    (tmp_path / "notes.csv").write_text(text, encoding="utf-8-sig")
    with pytest.raises(PlanDataError) as info:
        _notes(tmp_path)
    assert "notes.csv 第 3 行" in info.value.message and "2026-12" in info.value.message


def test_catalogue_notes_human_and_json(capsys):
    assert main(["catalogue", "--notes"]) == 0
    out = capsys.readouterr().out
    assert out.count("\nN") == len(load_plan().notes)
    assert "开关 指标33.到期 = 2027-12（可选 2027-12 / 2025-12）" in out
    assert main(["catalogue", "--notes", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    first = data["notes"][1]
    assert (
        first["id"] == "N02"
        and first["switch"] == "指标33.到期"
        and first["choices"] == ["2027-12", "2025-12"]
    )


def test_catalogue_shows_each_part_with_its_own_target_and_the_rhythm(capsys):
    assert main(["catalogue"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.strip().startswith("27-2"))
    assert "2025:城乡居民70%" in line and "职工85%" not in line
    line = next(x for x in out.splitlines() if x.strip().startswith("32-1"))
    assert "2027:17 " not in line and line.endswith("2027:17") and "/" not in line
    assert "节奏：月度，阶跃，7月到位（低保标准每年调整一次" in out
    assert main(["catalogue", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    part = next(i for i in data["indicators"] if i["id"] == "32-2")
    assert part["targets"]["2027"] == "100" and part["parent_targets"]["2027"] == "17/100"
    assert (part["frequency"], part["path"], part["due_month"]) == ("年", "里程碑", 12)


def test_evaluate_names_the_rhythm_it_judged_on(capsys):
    assert main(["evaluate", "--indicator", "40", "--period", "2024-03", "--value", "12500"]) == 0
    out = capsys.readouterr().out
    assert "节奏：    月度，阶跃，7月到位" in out and "序时推进" in out
