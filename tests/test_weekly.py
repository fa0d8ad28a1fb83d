"""周盘点: ISO weeks, the weekly fill-in, receiving and the one-page stock-take (sheet + .docx)."""

from __future__ import annotations

import os
from datetime import date, datetime

import openpyxl
import pytest
from conftest import requires_soffice
from docx import Document

from qyx_excel import weekly
from qyx_excel.cli import main
from qyx_excel.duedates import due_date
from qyx_excel.errors import UsageError
from qyx_excel.periods import parse_week, week_of, weeks_of_month
from qyx_excel.workbook import build_workbook


def test_iso_weeks_labels_and_edges():
    w = parse_week("2024-W14")
    assert (w.code, w.label, w.span_label) == ("2024-W14", "2024年第14周", "2024年4月1日—4月7日")
    assert parse_week("2024年第14周") == w == week_of(date(2024, 4, 7))
    # 2024-W01 starts on Monday 2024-01-01 (1 January 2024 was a Monday) ...
    assert parse_week("2024-W01").first_day == date(2024, 1, 1)
    # ... while 2025-W01 and 2026-W01 start in the year before
    w = parse_week("2025-W01")
    assert w.first_day == date(2024, 12, 30) and w.span_label == "2024年12月30日—2025年1月5日"
    assert w.months == ((2024, 12), (2025, 1)) and w.month == (2025, 1)
    assert parse_week("2026-W01").first_day == date(2025, 12, 29)
    # a week spanning two months is counted in the month of its Thursday
    assert parse_week("2024-W05").months == ((2024, 1), (2024, 2)) and parse_week("2024-W05").month == (
        2024,
        2,
    )
    assert [x.number for x in weeks_of_month(2024, 3)] == [10, 11, 12, 13]
    with pytest.raises(UsageError, match="2027年只有 52 周"):
        parse_week("2027-W53")
    with pytest.raises(UsageError, match="2024-W14"):
        parse_week("2024-14")


def test_weekly_due_date_moves_off_the_spring_festival():
    # 本周五 of 2024-W07 is 2月16日 (春节); the next working day is the 调休 Sunday 2月18日.
    due = due_date(parse_week("2024-W07"))
    assert due.due == date(2024, 2, 18) and "春节" in due.text


def _fill(src, dst, *, reporter="张三", rows=None, mtime=datetime(2024, 12, 27, 10)):
    wb = openpyxl.load_workbook(src)
    ws = wb[weekly.SHEET]
    ws["B3"], ws["G3"] = reporter, date(2024, 12, 26)
    for r, values in (rows or {}).items():
        for c, v in enumerate(values, start=4):
            ws.cell(r, c, v)
    dst.parent.mkdir(exist_ok=True)
    wb.save(dst)
    os.utime(dst, (mtime.timestamp(), mtime.timestamp()))
    return dst


def test_stocktake_of_a_week_writes_sheet_and_docx(tmp_path):
    ledger = build_workbook(tmp_path / "七优享台账.xlsm", year=2024, backup=False)
    week = parse_week("2024-W52")
    paths = {p.stem.rsplit("_", 1)[1]: p for p in weekly.distribute(week, tmp_path / "下发")}
    inbox = tmp_path / weekly.INBOX_DEFAULT
    _fill(
        paths["幼有善育"],
        inbox / paths["幼有善育"].name,
        rows={6: ("新增普惠托位120个", "推进3家托育机构备案", "无", "")},
    )
    _fill(
        paths["住有宜居"],
        inbox / paths["住有宜居"].name,
        rows={6: ("筹集保障性租赁住房200套", "", "部分项目土地指标未落实", "需自然资源局协调用地")},
        mtime=datetime(2024, 12, 30, 9),
    )  # after Friday 27 December: late
    # another week's file in the folder does not count for this week
    other = weekly.distribute(parse_week("2024-W51"), tmp_path / "旧", groups=("学有优教",))[0]
    _fill(other, inbox / other.name, rows={6: ("上周的进展", "", "", "")})

    st, reports, written = weekly.run(week, ledger=ledger)
    assert st.reported == ["幼有善育", "住有宜居"] and st.late == ["住有宜居"]
    assert "学有优教" in st.missing and len(st.missing) == 7
    assert [(g, i.key) for g, i in st.moved] == [("幼有善育", "1-1"), ("住有宜居", "6-1")]
    assert [(g, i.key) for g, i in st.stuck] == [("住有宜居", "6-1")]  # “无” is not a problem
    # milestones due in (29 Dec 2024, 26 Jan 2025]: the plan's “到2024年底” ones
    assert {m.deadline for m in st.milestones} == {date(2024, 12, 31)}
    assert any(m.task_id == "7-1" for m in st.milestones)
    by_group = {r.group: r for r in reports}
    assert (
        by_group["幼有善育"].filled_on == "2024-12-26"
        and by_group["幼有善育"].received_at == "2024-12-27T10:00:00"
    )

    docx = next(p for p in written if p.suffix == ".docx")
    text = "\n".join(p.text for p in Document(str(docx)).paragraphs)
    assert "2024年第52周，2024年12月23日—12月29日" in text
    assert (
        "住有宜居：任务6-1“加快完善住房保障体系”，问题：部分项目土地指标未落实；需协调：需自然资源局协调用地。"
        in text
    )
    assert "未报送 7 个：学有优教、劳有所得" in text and "逾期 1 个：住有宜居" in text
    sheet = openpyxl.load_workbook(ledger, keep_vba=True)[weekly.SHEET]
    cells = [c.value for c in sheet["A"] if c.value]
    assert cells[0].startswith("“七优享”工程周盘点（2024年第52周") and "四、报送情况" in cells

    # a re-run with the files touched again keeps the first arrival time (and the sheet is replaced)
    for p in inbox.iterdir():
        os.utime(p, (datetime(2025, 1, 2).timestamp(),) * 2)
    _, again, _ = weekly.run(week, ledger=ledger)
    assert {r.group: r.received_at for r in again if r.week == week.code}["幼有善育"] == "2024-12-27T10:00:00"
    assert openpyxl.load_workbook(ledger).sheetnames.count(weekly.SHEET) == 1


def test_week_spanning_two_years_and_bad_files(tmp_path):
    week = parse_week("2025-W01")
    (path,) = weekly.distribute(week, tmp_path / "下发", groups=("重大项目",))
    wb = openpyxl.load_workbook(path)
    assert wb[weekly.SHEET]["E2"].value == "2025年第1周（2024年12月30日—2025年1月5日）"
    assert wb[weekly.SHEET]["G2"].value == "2025年1月3日（星期五）"
    filled = _fill(path, tmp_path / "in" / path.name, reporter="")
    ws_rows = openpyxl.load_workbook(filled)
    ws_rows[weekly.SHEET]["C6"], ws_rows[weekly.SHEET]["D6"] = "瑞安市第三人民医院迁建", "主体结构封顶"
    ws_rows.save(filled)
    report = weekly.read_report(filled, week)
    assert report.accepted and report.items[0].name == "瑞安市第三人民医院迁建" and len(report.items) == 1
    assert [f.code for f in report.findings] == ["header-block-empty"]  # 填报人 left empty: a warning
    wrong = weekly.read_report(filled, parse_week("2025-W02"))
    mismatch = next(f for f in wrong.findings if f.code == "period-mismatch")
    assert not wrong.accepted and "2025年第1周" in mismatch.message and "2025年第2周" in mismatch.message
    junk = tmp_path / "in" / "随便.xlsx"
    openpyxl.Workbook().save(junk)
    assert [f.code for f in weekly.read_report(junk, week).findings] == ["template-unknown"]


def test_cli_weekly(tmp_path, capsys):
    assert main(["weekly", "--week", "2024-W14", "--distribute", str(tmp_path / "下发")]) == 0
    err = capsys.readouterr().err
    assert (
        "已生成 9 份 2024年第14周（2024年4月1日—4月7日）周盘点表" in err
        and "报送截止：2024年4月3日" not in err
    )
    ledger = build_workbook(tmp_path / "台账.xlsm", year=2024, backup=False)
    assert main(["weekly", "--week", "2024-W14", "--ledger", str(ledger)]) == 2
    assert "周盘点收件箱" in capsys.readouterr().err


def test_a_weekly_file_in_the_monthly_inbox_says_where_it_belongs(tmp_path):
    from qyx_excel.checks import check_submission
    from qyx_excel.intake import read_file

    (path,) = weekly.distribute(parse_week("2024-W14"), tmp_path, groups=("幼有善育",))
    (sub,) = read_file(path)
    findings = check_submission(sub, period="2024-03")
    assert [f.code for f in findings] == ["file-is-weekly"]
    assert "2024-W14 的周盘点表" in findings[0].message and "周盘点收件箱" in findings[0].message


def test_month_overview_lists_the_weeks_of_the_month(tmp_path):
    week = parse_week("2024-W13")  # 25–31 March 2024, counted in March
    (path,) = weekly.distribute(week, tmp_path / "下发", groups=("幼有善育",))
    _fill(path, tmp_path / "in" / path.name, rows={6: ("进展", "", "缺编制", "")})
    weekly.receive(tmp_path / "历史库", tmp_path / "in", week)
    lines = weekly.month_overview(tmp_path / "历史库", 2024, 3)
    assert lines == [
        "2024年第13周（2024年3月25日—3月31日）：已报 1/9 个专项组，未报 学有优教、劳有所得、病有良医、"
        "老有康养、住有宜居、弱有众扶、应用贯通、重大项目；问题和需协调事项 1 项。"
    ]
    assert weekly.month_overview(tmp_path / "历史库", 2024, 4) == []


@requires_soffice
def test_a_full_week_stays_on_one_page(tmp_path):
    import re
    import shutil
    import subprocess

    from qyx_excel.office import convert

    week = parse_week("2024-W52")
    inbox = tmp_path / "in"
    long_text = "本周完成了较多的具体工作，推进情况良好，形成阶段性成果并已报送有关部门审核确认"
    for path in weekly.distribute(week, tmp_path / "下发"):
        rows = dict.fromkeys(
            range(6, 12), (long_text, long_text, "资金拨付进度偏慢，部分审批手续尚未完成", "需财政局协调")
        )
        _fill(path, inbox / path.name, rows=rows)
        if path.stem.endswith("重大项目"):  # projects need a name to count
            wb = openpyxl.load_workbook(inbox / path.name)
            for r in range(6, 12):
                wb[weekly.SHEET].cell(r, 3, f"项目{r}")
            wb.save(inbox / path.name)
    reports = weekly.receive(tmp_path / "历史库", inbox, week)
    st = weekly.stocktake(week, reports)
    assert len(st.moved) > 40
    docx = weekly.write_docx(st, tmp_path / "周盘点.docx")
    # the capped sections name six different groups, not one group's six tasks
    moved = next(p for h, p in weekly.lines(st) if h == "一、本周进展")
    assert len({line.split("：", 1)[0] for line in moved[:6]}) == 6
    pdf = convert(docx, "pdf", tmp_path)
    if not shutil.which("pdfinfo"):
        pytest.skip("poppler-utils (pdfinfo) not installed")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) == 1


def test_an_untouched_weekly_form_is_not_a_report(tmp_path):
    # as in the month: a blank form sent back is refused, so the group still shows as not reported
    ledger = build_workbook(tmp_path / "七优享台账.xlsm", year=2024, backup=False)
    week = parse_week("2024-W52")
    (path,) = weekly.distribute(week, tmp_path / "下发", groups=("幼有善育",))
    blank = _fill(path, tmp_path / weekly.INBOX_DEFAULT / path.name)  # 填报人 and date only
    report = weekly.read_report(blank, week)
    assert not report.accepted and [f.code for f in report.findings] == ["submission-blank"]
    st, _reports, _written = weekly.run(week, ledger=ledger)
    assert st.reported == [] and "幼有善育" in st.missing
