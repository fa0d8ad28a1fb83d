"""The plan's clerk-editable CSV files (tasks, milestones, team, groups, applications).

Read back with the csv module only, independent of qyx_excel.plan, and checked against what the
plan text says.
"""

from __future__ import annotations

import csv
import os
import re
from collections import Counter
from pathlib import Path

import pytest

from qyx_excel.glossary import DOMAINS, GROUPS

DATA = Path(__file__).resolve().parents[1] / "qyx_excel" / "data"
SEED = Path(os.environ.get("QYX_PLAN_TEXT", "/work/shared/seed/000_c3ec457a5bd69001.txt"))

HEADERS = {
    "domains.csv": ["领域序号", "领域", "牵头单位", "总体要求"],
    "tasks.csv": ["领域序号", "任务序号", "领域", "任务名称", "牵头单位", "2027年目标", "任务内容"],
    "milestones.csv": ["领域序号", "任务序号", "节点序号", "事项", "比较", "数值", "单位", "期限", "原文"],
    "team.csv": ["角色", "姓名", "职务", "单位", "备注"],
    "groups.csv": [
        "组序号",
        "组别",
        "类别",
        "组长",
        "组长职务",
        "副组长",
        "副组长职务",
        "联络员",
        "联络员职务",
        "牵头单位",
        "成员单位",
        "主要职责",
    ],
    "applications.csv": ["序号", "应用名称", "所属领域", "责任单位", "贯通对象", "方案原文"],
}
ID_COLUMNS = {
    "domains.csv": ["领域序号"],
    "tasks.csv": ["领域序号", "任务序号"],
    "milestones.csv": ["领域序号", "任务序号", "节点序号"],
    "groups.csv": ["组序号"],
    "applications.csv": ["序号"],
}
LEADS = ["市卫生健康局", "市教育局", "市人力社保局", "市卫生健康局", "市民政局", "市住建局", "市民政局"]


def rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def tasks_by_id() -> dict[tuple[int, int], dict[str, str]]:
    return {(int(r["领域序号"]), int(r["任务序号"])): r for r in rows("tasks.csv")}


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_file_format_and_header(name: str) -> None:
    raw = (DATA / name).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, so Excel reads the Chinese right"
    assert b"\r" not in raw
    assert b"\xc2\xa0" not in raw, "no non-breaking spaces from the web page"
    with (DATA / name).open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        body = list(reader)
    assert header == HEADERS[name]
    assert body and all(len(r) == len(header) for r in body)
    for row in body:
        for cell in row:
            assert cell == cell.strip(), (name, cell)


@pytest.mark.parametrize("name", sorted(ID_COLUMNS))
def test_ids_are_plain_integers(name: str) -> None:
    for row in rows(name):
        for col in ID_COLUMNS[name]:
            assert re.fullmatch(r"[1-9]\d*", row[col]), (name, col, row[col])


def test_domains_in_plan_order_with_leads() -> None:
    got = rows("domains.csv")
    assert [int(r["领域序号"]) for r in got] == list(range(1, 8))
    assert [r["领域"] for r in got] == list(DOMAINS)
    assert [r["牵头单位"] for r in got] == LEADS
    for r in got:
        assert r["总体要求"].startswith("加快实现"), r
        assert r["领域"] in r["总体要求"]
        assert "牵头单位" not in r["总体要求"]


def test_31_tasks_in_4_3_5_6_5_4_4() -> None:
    got = rows("tasks.csv")
    assert len(got) == 31
    per_domain = Counter(int(r["领域序号"]) for r in got)
    assert [per_domain[d] for d in range(1, 8)] == [4, 3, 5, 6, 5, 4, 4]
    for d in range(1, 8):
        numbers = [int(r["任务序号"]) for r in got if int(r["领域序号"]) == d]
        assert numbers == list(range(1, per_domain[d] + 1))
    for r in got:
        d = int(r["领域序号"])
        assert r["领域"] == DOMAINS[d - 1]
        assert r["牵头单位"] == LEADS[d - 1]
        assert r["任务名称"] and not r["任务名称"].endswith("。")
        assert not re.match(r"\d", r["任务名称"]), "title without its number"
        assert len(r["任务内容"]) > 20


def test_task_titles_and_targets_spot_check() -> None:
    t = tasks_by_id()
    assert t[1, 1]["任务名称"] == "加快健全妇幼健康服务体系"
    assert t[1, 1]["2027年目标"].startswith("严重致残出生缺陷发生率<1‰；")
    assert t[1, 4]["2027年目标"] == "", "the 安心托 task has no quantified target"
    assert t[5, 3]["任务名称"] == "实施“机构跟着老人走”"
    assert "老年食堂≥150家" in t[5, 1]["2027年目标"]
    assert "乡镇(街道)级“助联体”覆盖率100%（2023年底）" in t[7, 1]["2027年目标"]
    assert "公租房在保家庭≥4000户（每年）" in t[6, 1]["2027年目标"]
    assert t[6, 4]["任务名称"] == "不断完善住房市场体系"
    assert t[7, 4]["任务内容"].endswith("完成“善居工程”23户以上。")


def test_milestones_belong_to_tasks_and_are_well_formed() -> None:
    t = tasks_by_id()
    got = rows("milestones.csv")
    assert len(got) >= 90
    numbers: dict[tuple[int, int], list[int]] = {}
    for r in got:
        key = (int(r["领域序号"]), int(r["任务序号"]))
        assert key in t, r
        numbers.setdefault(key, []).append(int(r["节点序号"]))
        assert r["事项"]
        assert r["比较"] in {"≥", "≤", ">", "<", "="}, r
        float(r["数值"])
        assert r["单位"], r
        assert re.fullmatch(r"20\d\d(-(0[1-9]|1[0-2]))?|每年", r["期限"]), r
        assert r["原文"] in t[key]["任务内容"], r
    for key, nos in numbers.items():
        assert nos == list(range(1, len(nos) + 1)), key
    # every task with a number-bearing deadline has at least one milestone
    assert set(numbers) >= {k for k, r in t.items() if r["2027年目标"]}
    assert {k for k, r in t.items() if not r["2027年目标"]} == {(1, 4)}


def find(what: str, task: tuple[int, int]) -> dict[str, str]:
    hits = [
        r
        for r in rows("milestones.csv")
        if r["事项"] == what and (int(r["领域序号"]), int(r["任务序号"])) == task
    ]
    assert len(hits) == 1, (what, hits)
    return hits[0]


@pytest.mark.parametrize(
    ("task", "what", "cmp", "value", "unit", "deadline"),
    [
        ((5, 1), "老年食堂", "≥", 150, "家", "2027"),
        ((7, 1), "乡镇(街道)级“助联体”覆盖率", "=", 100, "%", "2023-12"),
        ((7, 1), "村(社)级“助联体”覆盖率", "=", 100, "%", "2024-12"),
        ((6, 1), "公租房在保家庭", "≥", 4000, "户", "每年"),
        ((6, 1), "累计筹集建设保障性租赁住房", "≥", 2.6, "万套(间)", "2027"),
        ((6, 1), "累计开工建设共有产权房", "=", 3200, "套", "2027"),
        ((1, 1), "严重致残出生缺陷发生率", "<", 1, "‰", "2027"),
        ((1, 1), "三级乙等妇幼保健院", "=", 1, "家", "2025"),
        ((3, 2), "瑞安市技师学院", "=", 1, "所", "2027"),
        ((2, 1), "累计新增学位", "=", 21660, "个", "2027"),
        ((4, 6), "重大慢病过早死亡率", "≤", 10.18, "%", "2027"),
        ((4, 4), "城区平均急救反应时间", "<", 9, "分钟", "2027"),
        ((5, 4), "建有安宁疗护病区的县级医院", "≥", 1, "家", "2023"),
        ((6, 3), "城乡危房解危率", "=", 100, "%", "2024"),
        ((7, 2), "最低生活保障年人均标准", "=", 15000, "元", "2027"),
    ],
)
def test_milestone_values(task, what, cmp, value, unit, deadline) -> None:
    r = find(what, task)
    assert (r["比较"], float(r["数值"]), r["单位"], r["期限"]) == (cmp, value, unit, deadline)


def test_team_leadership() -> None:
    got = rows("team.csv")
    roles = Counter(r["角色"] for r in got)
    assert roles == Counter({"召集人": 1, "组长": 1, "副组长": 13, "成员单位": 1})
    by_name = {r["姓名"]: r for r in got if r["姓名"]}
    assert by_name["麻素挺"]["角色"] == "召集人" and by_name["麻素挺"]["职务"] == ""
    assert (by_name["陈玉兴"]["角色"], by_name["陈玉兴"]["单位"]) == ("组长", "市政府办公室")
    assert by_name["洪炜"]["职务"] == "市财政局党委委员、预算局局长"
    assert by_name["洪炜"]["单位"] == "市财政局"
    assert by_name["虞罗敷"]["单位"] == "市残联"
    assert by_name["丁朝盈"]["单位"] == "市大数据管理中心"
    for r in got:
        if r["角色"] == "副组长":
            assert r["职务"].startswith(r["单位"]), r
    members = next(r for r in got if r["角色"] == "成员单位")
    units = members["单位"].split("、")
    assert len(units) == 20 and len(set(units)) == 20
    assert units[0] == "市发改局" and units[-1] == "市慈善总会"
    assert "市卫生健康局" in units and "市应急管理局" in units and "市红十字会" in units
    assert members["备注"], "the fixes to the source list are noted"


def test_groups_order_and_people() -> None:
    got = rows("groups.csv")
    assert [int(r["组序号"]) for r in got] == list(range(1, 12))
    assert [r["组别"] for r in got] == ["综合协调组", "综合业务组", *GROUPS]
    assert [r["类别"] for r in got] == ["专班办公室"] * 2 + ["分领域专项组"] * 7 + ["专项组"] * 2
    g = {r["组别"]: r for r in got}
    expected = {
        "综合协调组": ("陈玉兴", "陈张翔", "市政府办公室"),
        "综合业务组": ("朱瑜", "金崇剑", "市委社建委"),
        "幼有善育": ("谢象岙", "蔡庆高", "市卫生健康局"),
        "学有优教": ("夏盛良", "魏光本", "市教育局"),
        "劳有所得": ("吴存谷", "曹昌正", "市人力社保局"),
        "病有良医": ("郑克文", "何章树", "市卫生健康局"),
        # the annex lists 住有宜居 before 老有康养: make sure people were not swapped with the order
        "老有康养": ("郑方芳", "吴崇杰", "市民政局"),
        "住有宜居": ("胡卫军", "钟阳峰", "市住建局"),
        "弱有众扶": ("虞上将", "胡慧杰", "市民政事业服务中心"),
        "应用贯通": ("吴晓初", "伍颖莉；郑超凡", "市政府办公室"),
        "重大项目": ("朱瑜", "蔡艇", "市委社建委"),
    }
    for name, (leader, liaison, lead) in expected.items():
        assert (g[name]["组长"], g[name]["联络员"], g[name]["牵头单位"]) == (leader, liaison, lead), name
    app = g["应用贯通"]
    assert (app["副组长"], app["副组长职务"]) == ("丁朝盈", "市大数据管理中心副主任")
    assert app["联络员职务"] == "市政府政研室；市大数据管理中心规划发展科科长"
    assert [r["组别"] for r in got if r["副组长"]] == ["应用贯通"]
    assert g["住有宜居"]["成员单位"].endswith("公积金管理瑞安分中心")
    assert "市体育事业发展中心" in g["老有康养"]["成员单位"].split("、")
    assert len(g["病有良医"]["成员单位"].split("、")) == 16
    assert [r["组别"] for r in got if r["主要职责"]] == ["综合协调组", "综合业务组"]
    assert all(r["成员单位"] for r in got[2:])
    for r in got:
        assert r["组长职务"].startswith(r["牵头单位"]), r


def test_applications() -> None:
    got = rows("applications.csv")
    assert len(got) >= 10
    assert [int(r["序号"]) for r in got] == list(range(1, len(got) + 1))
    names = " ".join(r["应用名称"] for r in got)
    for needed in [
        "安心托",
        "浙里就业创业",
        "码上维权",
        "综合帮扶在线",
        "农房浙建事",
        "智慧健康云",
        "健康大脑+未来医院",
        "一键达",
        "住宅品质保障在线",
        "风险智防",
        "城镇房屋安全信息系统",
        "互联网+监管",
    ]:
        assert needed in names, needed
    leads = dict(zip(DOMAINS, LEADS, strict=True))
    for r in got:
        assert r["所属领域"] in DOMAINS
        assert r["责任单位"] == leads[r["所属领域"]]
        assert r["贯通对象"] and r["方案原文"]
    anxin = next(r for r in got if r["应用名称"] == "安心托")
    assert "浙有善育" in anxin["贯通对象"]


@pytest.mark.skipif(not SEED.exists(), reason="plan text not on this machine (set QYX_PLAN_TEXT)")
def test_verbatim_against_plan_text() -> None:
    text = SEED.read_text(encoding="utf-8")
    for r in rows("tasks.csv"):
        assert f"{r['任务序号']}.{r['任务名称']}。{r['任务内容']}" in text, r["任务名称"]
    for r in rows("domains.csv"):
        assert f"{r['总体要求']}(牵头单位:{r['牵头单位']})" in text
    for r in rows("applications.csv"):
        assert r["方案原文"] in text
    duties = [r["主要职责"] for r in rows("groups.csv") if r["主要职责"]]
    for d in duties:
        assert f"3.主要职责:{d}" in text
