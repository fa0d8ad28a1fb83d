"""The progress notice: GB/T 9704 layout, content from a realistic consolidation, typed text kept
exactly, template errors named, and LibreOffice's reading of the file."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import requires_soffice
from conftest_notice import TRICKY, build_consolidation
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Pt, Twips

from qyx_excel.errors import TemplateError
from qyx_excel.model import Consolidation
from qyx_excel.notice import (
    DEFAULT_SIGNER,
    DOCX_TEMPLATE,
    TEXT_TEMPLATE,
    chinese_number,
    clean,
    libreoffice_copy,
    notice_context,
    notice_to_pdf,
    render_notice,
    render_text,
    short_reason,
)
from qyx_excel.notice_template import CHAR_SPACE, LINE_PITCH, STYLE_NAMES, TEXT_WIDTH, template_parts

DATE = dt.date(2024, 4, 5)


@pytest.fixture(scope="module")
def consolidation() -> Consolidation:
    return build_consolidation("2024-03")


@pytest.fixture(scope="module")
def notice(consolidation, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("notice") / "通报.docx"
    assert render_notice(consolidation, out, date=DATE) == out
    return out


@pytest.fixture(scope="module")
def doc(notice):
    return Document(str(notice))


def _style_rpr(doc, name):
    style = doc.styles[name]
    return style.element.find(qn("w:rPr"))


def _east_asia(doc, name) -> str | None:
    rfonts = _style_rpr(doc, name).find(qn("w:rFonts"))
    return rfonts.get(qn("w:eastAsia"))


def _paragraphs(doc, style_name):
    return [p for p in doc.paragraphs if p.style.name == style_name]


# --- layout -------------------------------------------------------------------------------------


def test_page_is_a4_with_gb9704_margins_and_grid(doc):
    section = doc.sections[0]
    assert (section.page_width.twips, section.page_height.twips) == (11906, 16838)
    assert section.top_margin.twips == 2098  # 37 mm
    assert section.bottom_margin.twips == 1984  # 35 mm
    assert section.left_margin.twips == 1587  # 28 mm
    assert section.right_margin.twips == 1474  # 26 mm
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "linesAndChars"
    assert grid.get(qn("w:linePitch")) == "579"
    assert int(grid.get(qn("w:charSpace"))) == CHAR_SPACE
    # 28 characters of 3号 (16 pt) per line: pitch = 16 pt + charSpace/4096 pt
    pitch_twips = (16 + CHAR_SPACE / 4096) * 20
    assert int(TEXT_WIDTH // pitch_twips) == 28
    # 22 lines of 28.95 pt in the text block
    assert int((16838 - 2098 - 1984) // LINE_PITCH) == 22


def test_styles_fonts_sizes_and_exact_line_spacing(doc):
    expected = {
        "公文标题": ("方正小标宋简体", 22),
        "Normal": ("仿宋_GB2312", 16),
        "主送机关": ("仿宋_GB2312", 16),
        "一级标题": ("黑体", 16),
        "二级标题": ("楷体_GB2312", 16),
        "三级标题": ("仿宋_GB2312", 16),
        "四级标题": ("仿宋_GB2312", 16),
        "署名": ("仿宋_GB2312", 16),
        "成文日期": ("仿宋_GB2312", 16),
        "页码（单页）": ("宋体", 14),
        "页码（双页）": ("宋体", 14),
    }
    for name, (font, size) in expected.items():
        style = doc.styles[name]
        assert _east_asia(doc, name) == font, name
        assert style.font.name == font, name  # the Latin slots too (half-width digits)
        assert style.font.size == Pt(size), name
    normal = doc.styles["Normal"].paragraph_format
    assert normal.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    assert normal.line_spacing == Twips(579)
    assert normal.first_line_indent == Twips(640)  # two characters
    for name in ("公文标题", "一级标题", "二级标题", "署名", "成文日期"):
        spacing = doc.styles[name].element.find(qn("w:pPr")).find(qn("w:spacing"))
        assert (spacing.get(qn("w:line")), spacing.get(qn("w:lineRule"))) == ("579", "exact"), name
    assert doc.styles["公文标题"].paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert doc.styles["署名"].paragraph_format.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert doc.styles["成文日期"].paragraph_format.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    for name in STYLE_NAMES.values():
        assert doc.styles[name] is not None


def test_east_asian_fonts_are_explicit_everywhere(notice):
    with zipfile.ZipFile(notice) as zf:
        styles = zf.read("word/styles.xml").decode("utf-8")
        names = zf.namelist()
    assert "eastAsiaTheme" not in styles and "asciiTheme" not in styles
    assert "word/theme/theme1.xml" not in names
    defaults = re.search(r"<w:rPrDefault>(.*?)</w:rPrDefault>", styles).group(1)
    assert 'w:eastAsia="仿宋_GB2312"' in defaults
    assert 'w:eastAsia="zh-CN"' in defaults  # language of East Asian text


def test_page_numbers_odd_right_even_left_with_page_field(doc, notice):
    with zipfile.ZipFile(notice) as zf:
        settings = zf.read("word/settings.xml").decode("utf-8")
    assert "<w:evenAndOddHeaders/>" in settings
    section = doc.sections[0]
    assert doc.settings.odd_and_even_pages_header_footer
    for footer, alignment in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        assert not footer.is_linked_to_previous
        para = footer.paragraphs[0]
        xml = para._p.xml
        assert "PAGE" in "".join(t.text for t in para._p.iter(qn("w:instrText")))
        assert 'w:fldCharType="begin"' in xml and 'w:fldCharType="end"' in xml
        assert para.text.startswith("— ") and para.text.endswith(" —")  # one-character dashes
        assert para.style.paragraph_format.alignment == alignment
        assert para.style.font.size == Pt(14)


# --- content ------------------------------------------------------------------------------------


def test_title_recipients_signer_and_date(doc):
    title = _paragraphs(doc, "公文标题")
    assert [p.text for p in title] == [
        "关于2024年3月公共服务“七优享”工程\n推进情况的通报"
    ]  # a chosen line break
    assert [p.text for p in _paragraphs(doc, "主送机关") if p.text] == ["专班各专项组，各成员单位："]
    assert [p.text for p in _paragraphs(doc, "署名") if p.text] == [DEFAULT_SIGNER]
    assert [p.text for p in _paragraphs(doc, "成文日期")] == ["2024年4月5日"]
    assert doc.core_properties.title == title[0].text.replace("\n", "")


def test_date_has_arabic_numerals_without_leading_zeros(consolidation, tmp_path):
    out = render_notice(consolidation, tmp_path / "n.docx", date=dt.date(2024, 10, 1))
    assert [p.text for p in _paragraphs(Document(str(out)), "成文日期")] == ["2024年10月1日"]


def test_headings_and_overall_counts(doc, consolidation):
    h1 = [p.text for p in _paragraphs(doc, "一级标题")]
    assert h1 == ["一、总体情况", "二、存在问题", "三、报送情况", "四、下步工作"]
    h2 = [p.text for p in _paragraphs(doc, "二级标题")]
    assert h2 == ["（一）部分指标进度滞后", "（二）部分重点任务、重大项目、应用推进滞后"]
    counts = consolidation.status_counts()
    body = "\n".join(p.text for p in _paragraphs(doc, "Normal"))
    behind = counts["进度滞后"] + counts["严重滞后"]
    assert (
        f"已达标{counts['已达标']}项，序时推进{counts['序时推进']}项，滞后{behind}项"
        f"（其中严重滞后{counts['严重滞后']}项），未填报{counts['未填报']}项，不作评价{counts['不适用']}项（"
    ) in body
    # and why they are not judged: in March, yearly statistics and milestones before their due date
    yearly = sum(r.reason.startswith("年度统计指标") for r in consolidation.indicators)
    milestones = sum(r.reason.startswith("里程碑指标") for r in consolidation.indicators)
    assert yearly + milestones == counts["不适用"] and yearly and milestones
    assert (
        f"不作评价{counts['不适用']}项（年度统计指标{yearly}项待年末评价，里程碑指标{milestones}项未到期）。"
        in body
    )
    assert "与上月相比，已达标增加2项，滞后增加1项，未填报持平。" in body
    assert "住有宜居、重大项目专项组未报送" in body
    assert "学有优教专项组逾期报送" in body


def test_every_group_gets_a_requirement_including_those_that_did_not_report(doc, consolidation):
    text = "\n".join(p.text for p in doc.paragraphs)
    part = text.split("四、下步工作")[1].split("附件：")[0]
    for g in consolidation.groups:
        assert g.group in part, g.group
    assert "住有宜居、重大项目专项组：尽快补报数据并说明原因。" in part


def _quoted_name(name: str) -> str:
    return "“" + clean(name).replace("“", "‘").replace("”", "’") + "”"


def test_item_detail_only_in_attachments_and_no_fact_twice(doc, consolidation):
    body = "\n".join(p.text for p in doc.paragraphs).split("附件：")[0]
    # an on-track indicator and a finished task are named only in the attachment tables
    on_track = next(r for r in consolidation.indicators if r.status.value == "序时推进")
    assert _quoted_name(on_track.name) not in body
    assert on_track.name in [c.text for row in doc.tables[0].rows for c in row.cells]
    done = next(t for t in consolidation.tasks if t.state == "已完成")
    assert _quoted_name(done.title) not in body
    assert done.title in [c.text for row in doc.tables[1].rows for c in row.cells]
    # each lagging indicator and each lagging task is named exactly once in the body
    for r in consolidation.indicators:
        if r.status.value in ("进度滞后", "严重滞后"):
            assert body.count(_quoted_name(r.name)) == 1, r.name
    for t in consolidation.tasks:
        if t.state in ("滞后", "未启动"):
            assert body.count(_quoted_name(t.title)) == 1, t.title
    assert not re.search(r"”未填报（", body)  # no “未填报（unit）” after every item


def test_lagging_items_name_unit_gap_and_reason_in_office_words(doc, consolidation):
    body = "\n".join(p.text for p in doc.paragraphs).split("附件：")[0]
    assert body.count("劳有所得（市人力社保局）：") == 1  # the lead unit once per domain
    # how far behind: a percentage in 个百分点, a lower-is-better rate 高于 its path
    assert re.search(r"“欠薪线索动态化解率”为[\d.]+%，低于序时目标[\d.]+个百分点", body)
    assert re.search(r"“城镇调查失业率”为[\d.]+%，高于序时目标[\d.]+个百分点", body)
    # the group's own reason, whole when short
    assert "原因是统计口径调整，数据待省平台核定后更新" in body
    # symbols are words in prose, money in 亿元 from 1 亿 up
    assert "≥" not in body and ">9" not in body and "<5" not in body
    assert "总投资16.8亿元" in body and "168000万元" not in body and "万元（计划2亿元）" in body


#: A busier March than the sample: 8 lagging items (7 to 10 quote 24 characters of each reason).
BUSY = ("lag", "on", "severe", "on", "met")


def test_typed_text_round_trips_exactly(doc, consolidation, tmp_path):
    """A group's text full of XML specials, quotes, a Jinja-looking tag and a line break."""
    hits = [p for p in doc.paragraphs if 'R&D <Ops> "A"' in p.text]
    assert len(hits) == 1
    # six items lag in the sample: the reason is quoted whole, characters exact
    assert sum(r.status.value in ("进度滞后", "严重滞后") for r in consolidation.indicators) == 6
    assert f"原因是{clean(TRICKY)}；" in hits[0].text
    assert "<w:br/>" in hits[0]._p.xml  # the typed line break is a real line break
    # a busier month: quoted as the reason, cut to fit the page (the whole text stays in 汇总)
    busy = build_consolidation(scenarios=BUSY)
    assert sum(r.status.value in ("进度滞后", "严重滞后") for r in busy.indicators) == 8
    out = render_notice(busy, tmp_path / "busy.docx", date=DATE)
    hits = [p for p in Document(str(out)).paragraphs if 'R&D <Ops> "A"' in p.text]
    assert len(hits) == 1
    assert short_reason(TRICKY, 24) in hits[0].text and short_reason(TRICKY, 24).endswith("……")
    assert 'R&D <Ops> "A"\n第二行：a < b' in hits[0].text
    assert clean(TRICKY) not in hits[0].text
    assert short_reason(TRICKY, 100) == clean(TRICKY)  # a short reason is quoted whole


def test_very_long_and_control_characters_do_not_break_the_document(tmp_path):
    nasty = "很长的说明。" * 2000 + "\x00\x07\x0b第二段\r\n第三段\x1e\x1f"
    c = build_consolidation(tricky_note=nasty, scenarios=BUSY)  # 8 lagging: 24 characters quoted
    out = render_notice(c, tmp_path / "n.docx", date=DATE)
    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert "原因是很长的说明。很长的说明。很长的说明。很长的说明。……" in text  # cut after a full sentence
    assert not re.search("[\x00-\x08\x1e\x1f]", text)
    assert short_reason(nasty, 10**6) == "很长的说明。" * 2000 + "\n第二段\n第三段"


def test_attachment_table_has_a_row_per_domain_and_shows_adjusted_targets(doc, consolidation):
    table = doc.tables[0]
    header = [c.text for c in table.rows[0].cells]
    assert header == ["序号", "指标", "单位", "本年目标", "序时目标", "完成值", "状态"]
    assert table.rows[0]._tr.find(qn("w:trPr")).find(qn("w:tblHeader")) is not None
    domains = [r.domain for r in consolidation.indicators]
    groups = [row for row in table.rows[1:] if row._tr.tc_lst[0].tcPr.find(qn("w:gridSpan")) is not None]
    assert [g.cells[0].text for g in groups] == [
        "幼有善育（牵头单位：市卫生健康局）",
        "学有优教（牵头单位：市教育局）",
        "劳有所得（牵头单位：市人力社保局）",
        "病有良医（牵头单位：市卫生健康局）",
        "老有康养（牵头单位：市民政局）",
        "住有宜居（牵头单位：市住建局）",
        "弱有众扶（牵头单位：市民政局）",
    ]
    assert len(groups) == len(dict.fromkeys(domains))
    items = [row for row in table.rows[1:] if row._tr.tc_lst[0].tcPr.find(qn("w:gridSpan")) is None]
    assert [row.cells[0].text for row in items] == [r.id for r in consolidation.indicators]
    # every item row is complete on its own: no merged cells that a page break could leave blank
    assert not list(table._tbl.iter(qn("w:vMerge")))
    adjusted = next(row for row in items if row.cells[0].text == "2")
    assert adjusted.cells[3].text == "原目标60\n调整后62"
    compound = next(row for row in items if row.cells[0].text == "27-1")
    assert compound.cells[3].text == "85"  # not 职工85%: the name and the 单位 column say it
    # cell properties in schema order (Word refuses w:gridSpan/w:shd out of order)
    order = ["tcW", "gridSpan", "vMerge", "shd", "vAlign"]
    for tcpr in table._tbl.iter(qn("w:tcPr")):
        tags = [el.tag.split("}")[1] for el in tcpr]
        assert tags == sorted(tags, key=order.index), tags
    status_cell = adjusted.cells[6]
    assert status_cell._tc.tcPr.find(qn("w:shd")).get(qn("w:fill"))


def test_task_attachment_lists_every_task_with_lead_unit_and_state(doc, consolidation):
    table = doc.tables[1]
    assert [c.text for c in table.rows[0].cells] == ["领域", "序号", "重点任务", "牵头单位", "完成情况"]
    rows = table.rows[1:]
    assert [row.cells[0].text for row in rows] == [t.domain for t in consolidation.tasks]  # on every row
    assert [row.cells[2].text for row in rows] == [t.title for t in consolidation.tasks]
    assert [row.cells[4].text for row in rows] == [t.state or "未报送" for t in consolidation.tasks]
    assert not list(table._tbl.iter(qn("w:vMerge")))


def test_chart_is_a_native_word_chart_with_embedded_data(notice, consolidation):
    with zipfile.ZipFile(notice) as zf:
        names = zf.namelist()
        chart = zf.read("word/charts/chart1.xml").decode("utf-8")
        rels = zf.read("word/charts/_rels/chart1.xml.rels").decode("utf-8")
        document = zf.read("word/document.xml").decode("utf-8")
        types = zf.read("[Content_Types].xml").decode("utf-8")
        embedded = [n for n in names if n.startswith("word/embeddings/") and n.endswith(".xlsx")]
        assert len(embedded) == 1
        import io

        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(zf.read(embedded[0])))
    assert '<c:grouping val="stacked"/>' in chart and '<c:barDir val="bar"/>' in chart
    assert 'prst="wdDnDiag"' in chart and 'prst="smGrid"' in chart  # 严重滞后, 未填报 hatched for grey print
    assert "<c:externalData" in chart and "package" in rels
    assert "drawingml/2006/chart" in document and "chart+xml" in types
    ws = wb["Sheet1"]
    assert ws["A1"].value == "领域"
    domains = {ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)}
    assert domains == {r.domain for r in consolidation.indicators}
    total = sum(
        ws.cell(row=r, column=c).value for r in range(2, ws.max_row + 1) for c in range(2, ws.max_column + 1)
    )
    assert total == len(consolidation.indicators)


def test_quarterly_and_annual_notices_cover_their_period(tmp_path):
    q = render_notice(build_consolidation("2024-Q1"), tmp_path / "q.docx", date=DATE)
    qdoc = Document(str(q))
    assert _paragraphs(qdoc, "公文标题")[0].text == "关于2024年第一季度公共服务\n“七优享”工程推进情况的通报"
    qtext = "\n".join(p.text for p in qdoc.paragraphs)
    assert "与上季度相比" in qtext and "分领域排名依次为" in qtext  # the quarter shows the whole order
    year = build_consolidation("2024")
    a = render_notice(year, tmp_path / "a.docx", date=dt.date(2025, 1, 10))
    adoc = Document(str(a))
    assert _paragraphs(adoc, "公文标题")[0].text == "关于2024年度公共服务“七优享”工程\n推进情况的通报"
    assert any(p.text.endswith("、2025年工作安排") for p in _paragraphs(adoc, "一级标题"))
    atext = "\n".join(p.text for p in adoc.paragraphs)
    assert "完成年度目标" in atext and "未达到年度目标（" in atext and "“2025年目标”栏" in atext
    assert [c.text for c in adoc.tables[0].rows[0].cells][4] == "2025年目标"
    row = next(r for r in year.indicators if r.id == "2")
    cells = next(x for x in adoc.tables[0].rows[1:] if x.cells[0].text == "2").cells
    assert cells[4].text == row.next_year_target
    # a month rendered as the year's notice on request
    m = render_notice(build_consolidation("2024-12"), tmp_path / "m.docx", kind="annual", date=DATE)
    assert "2024年度" in _paragraphs(Document(str(m)), "公文标题")[0].text


def test_minimal_consolidation_renders(tmp_path):
    c = build_consolidation("2023-01", previous=False)
    c.tasks, c.projects, c.applications, c.groups, c.ranking = [], [], [], [], []
    out = render_notice(c, tmp_path / "min.docx", date=DATE)
    doc = Document(str(out))
    text = "\n".join(p.text for p in doc.paragraphs)
    h1 = [p.text for p in _paragraphs(doc, "一级标题")]
    assert h1 == ["一、总体情况", "二、存在问题", "三、下步工作"]
    assert (
        "相比" not in text and "项重点任务中" not in text and "个专项组中" not in text and "晾晒" not in text
    )


# --- templates ----------------------------------------------------------------------------------


def _docx_with(source: Path, target: Path, old: str, new: str) -> Path:
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                text = data.decode("utf-8")
                assert old in text
                data = text.replace(old, new, 1).encode("utf-8")
            zout.writestr(item, data)
    return target


def test_missing_variable_in_word_template_is_named(consolidation, tmp_path):
    template = _docx_with(DOCX_TEMPLATE, tmp_path / "t.docx", "{{ signer }}", "{{ signer }}{{ no_such_var }}")
    out = tmp_path / "n.docx"
    with pytest.raises(TemplateError) as info:
        render_notice(consolidation, out, template=template, date=DATE)
    assert "no_such_var" in info.value.message and "不存在的变量" in info.value.message
    assert not out.exists()


def test_missing_variable_in_text_template_is_named(consolidation, tmp_path):
    text = tmp_path / "notice_text.j2"
    text.write_text(
        TEXT_TEMPLATE.read_text(encoding="utf-8") + "{{ P }}{{ counts.nonexistent_count }}", encoding="utf-8"
    )
    with pytest.raises(TemplateError) as info:
        render_notice(consolidation, tmp_path / "n.docx", text_template=text, date=DATE)
    assert "nonexistent_count" in info.value.message


def test_broken_templates_give_chinese_errors(consolidation, tmp_path):
    not_docx = tmp_path / "bad.docx"
    not_docx.write_bytes(b"not a zip")
    with pytest.raises(TemplateError, match="不是有效的 Word"):
        render_notice(consolidation, tmp_path / "n.docx", template=not_docx)
    with pytest.raises(TemplateError, match="找不到通报模板"):
        render_notice(consolidation, tmp_path / "n.docx", template=tmp_path / "missing.docx")
    syntax = _docx_with(DOCX_TEMPLATE, tmp_path / "s.docx", "{{ signer }}", "{{ signer ")
    with pytest.raises(TemplateError, match="语法错误"):
        render_notice(consolidation, tmp_path / "n.docx", template=syntax)


def test_a_clerks_restyled_template_is_used(consolidation, tmp_path):
    """Restyling in Word changes styles.xml only; the rendering keeps it."""
    restyled = tmp_path / "restyled.docx"
    with zipfile.ZipFile(DOCX_TEMPLATE) as zin, zipfile.ZipFile(restyled, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/styles.xml":
                text = data.decode("utf-8")
                start = text.index('w:styleId="QyxH1"')
                end = text.index("</w:style>", start)
                text = text[:start] + text[start:end].replace("黑体", "微软雅黑") + text[end:]
                data = text.encode("utf-8")
            zout.writestr(item, data)
    out = render_notice(consolidation, tmp_path / "n.docx", template=restyled, date=DATE)
    assert _east_asia(Document(str(out)), "一级标题") == "微软雅黑"


def test_committed_template_matches_its_generator():
    with zipfile.ZipFile(DOCX_TEMPLATE) as zf:
        for name, text in template_parts().items():
            assert zf.read(name).decode("utf-8") == text, f"{name}: run python -m qyx_excel.notice_template"


def test_text_template_blocks_and_context(consolidation):
    context = notice_context(consolidation)
    result = render_text(context)
    assert result["title"].startswith("关于2024年3月")
    assert result["attachments"] == [result["table_title"], result["task_title"], result["chart_title"]]
    levels = {b["level"] for b in result["blocks"]}
    assert levels <= {0, 1, 2, 3, 4} and {0, 1, 2} <= levels
    assert all(b["text"] == b["text"].strip() and b["text"] for b in result["blocks"])
    assert chinese_number(10) == "十" and chinese_number(12) == "十二" and chinese_number(21) == "二十一"


def test_rendering_replaces_the_old_file_and_keeps_a_backup(consolidation, tmp_path):
    out = tmp_path / "n.docx"
    out.write_bytes(b"old")
    render_notice(consolidation, out, date=DATE)
    assert zipfile.is_zipfile(out)
    backups = list((tmp_path / "备份").iterdir())
    assert len(backups) == 1 and backups[0].read_bytes() == b"old"


# --- LibreOffice --------------------------------------------------------------------------------


@requires_soffice
def test_libreoffice_converts_the_notice_to_pdf(notice, tmp_path):
    pdf = notice_to_pdf(notice, tmp_path)
    assert pdf == tmp_path / f"{notice.stem}.pdf" and pdf.stat().st_size > 0
    if not shutil.which("pdfinfo") or not shutil.which("pdftotext"):
        pytest.skip("poppler-utils (pdfinfo/pdftotext) not installed")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert 6 <= pages <= 15, pages
    text = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = re.sub(r"\s+", "", text)
    assert "关于2024年3月公共服务“七优享”工程推进情况的通报" in flat
    assert "—1—" in flat
    # 28 characters a line: the first full line of the first body paragraph
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    body_line = next(line for line in lines if line.startswith("截至"))
    assert 24 <= len(body_line.replace(" ", "")) <= 27  # 28 cells minus the 2-character indent, ±1


def test_libreoffice_copy_only_changes_the_grid(notice, tmp_path):
    copy = libreoffice_copy(notice, tmp_path / "copy.docx")
    with zipfile.ZipFile(notice) as a, zipfile.ZipFile(copy) as b:
        assert sorted(a.namelist()) == sorted(b.namelist())
        assert 'w:type="lines"' in b.read("word/document.xml").decode("utf-8")
    assert Document(str(copy)).paragraphs[0].text == Document(str(notice)).paragraphs[0].text


# --- document furniture from the settings file ----------------------------------------------------


def test_red_header_doc_number_signer_and_imprint_come_from_settings(consolidation, tmp_path):
    out = render_notice(consolidation, tmp_path / "n.docx", date=DATE, number=3)
    doc = Document(str(out))
    assert [p.text for p in _paragraphs(doc, "发文机关标志")] == ["瑞安市公共服务“七优享”工程工作专班办公室"]
    assert [p.text for p in _paragraphs(doc, "发文字号")] == ["瑞七优享办〔2024〕3号"]
    issuer = doc.styles["发文机关标志"].element.find(qn("w:rPr")).find(qn("w:color"))
    assert issuer.get(qn("w:val")) == "FF0000"
    assert [p.text for p in _paragraphs(doc, "版记")] == [
        "瑞安市公共服务“七优享”工程工作专班办公室\t2024年4月5日印发"
    ]
    assert _paragraphs(doc, "代章") == []  # 代章 left empty in the shipped settings
    settings = tmp_path / "通报设置.ini"
    settings.write_text(
        "[通报]\n红头 = 否\n主送 = 各专项组\n署名 = 瑞安市某某办公室\n代章 = （瑞安市人民政府办公室代章）\n印发机关 =\n",
        encoding="utf-8",
    )
    other = Document(
        str(render_notice(consolidation, tmp_path / "m.docx", date=DATE, number=3, settings=settings))
    )
    assert _paragraphs(other, "发文机关标志") == [] and _paragraphs(other, "发文字号") == []
    assert [p.text for p in _paragraphs(other, "主送机关") if p.text] == ["各专项组："]
    assert [p.text for p in _paragraphs(other, "署名") if p.text] == ["瑞安市某某办公室"]
    assert [p.text for p in _paragraphs(other, "代章")] == ["（瑞安市人民政府办公室代章）"]
    assert _paragraphs(other, "版记") == []


def test_doc_numbers_are_kept_per_notice_and_year(consolidation, tmp_path):
    numbers = tmp_path / "历史库" / "通报编号.json"
    first = render_notice(consolidation, tmp_path / "a.docx", date=DATE, numbers_file=numbers)
    assert [p.text for p in _paragraphs(Document(str(first)), "发文字号")] == ["瑞七优享办〔2024〕1号"]
    q = build_consolidation("2024-Q1")
    second = render_notice(q, tmp_path / "b.docx", date=DATE, numbers_file=numbers)
    assert [p.text for p in _paragraphs(Document(str(second)), "发文字号")] == ["瑞七优享办〔2024〕2号"]
    again = render_notice(consolidation, tmp_path / "c.docx", date=DATE, numbers_file=numbers)  # same notice
    assert [p.text for p in _paragraphs(Document(str(again)), "发文字号")] == ["瑞七优享办〔2024〕1号"]
    import json

    assert json.loads(numbers.read_text(encoding="utf-8")) == {
        "2024": {"2024-03/monthly": 1, "2024-Q1/quarterly": 2}
    }
    # the office edits the number: the next rendering keeps the edited one
    numbers.write_text('{"2024": {"2024-03/monthly": 7, "2024-Q1/quarterly": 2}}', encoding="utf-8")
    edited = render_notice(consolidation, tmp_path / "d.docx", date=DATE, numbers_file=numbers)
    assert [p.text for p in _paragraphs(Document(str(edited)), "发文字号")] == ["瑞七优享办〔2024〕7号"]
    numbers.write_text("{not json", encoding="utf-8")
    with pytest.raises(TemplateError, match="发文字号记录"):
        render_notice(consolidation, tmp_path / "e.docx", date=DATE, numbers_file=numbers)


def test_a_broken_settings_file_is_named(consolidation, tmp_path):
    settings = tmp_path / "通报设置.ini"
    settings.write_text("红头 = 是\n[通报\n", encoding="utf-8")
    out = tmp_path / "n.docx"
    with pytest.raises(TemplateError, match=r"通报设置文件 通报设置\.ini 无法读取"):
        render_notice(consolidation, out, date=DATE, settings=settings)
    assert not out.exists()
    with pytest.raises(TemplateError, match="找不到通报设置文件"):
        render_notice(consolidation, out, date=DATE, settings=tmp_path / "无.ini")


def test_the_next_due_date_is_a_working_day_from_the_calendar(doc, tmp_path):
    """2024-04's data is due 次月5日 (calendar.csv): 5 May 2024 is in the 劳动节 holiday, so 6 May."""
    from qyx_excel.duedates import due_date
    from qyx_excel.notice import due_warning
    from qyx_excel.periods import parse_period

    assert due_date(parse_period("2024-04")).due == dt.date(2024, 5, 6)
    body = "\n".join(p.text for p in doc.paragraphs).split("附件：")[0]
    assert "2024年4月数据请于5月6日前报送（5月5日逢劳动节顺延），并注明数据来源。" in body
    assert "每月5日" not in body
    # the quarter asks for the next quarter, the year for next January's monthly data
    assert (
        "2024年第二季度数据请于7月10日前报送，"
        in render_text(notice_context(build_consolidation("2024-Q1")))["blocks"][-1]["text"]
    )
    # a due date in a year no holiday data covers: the notice gives the weekday-only date, and the
    # command and the button say to check it
    december = build_consolidation("2027-12", previous=False)
    assert (
        "2028年1月数据请于2月7日前报送（2月5日逢周末顺延）"
        in render_text(notice_context(december))["blocks"][-1]["text"]
    )
    assert "2028年的法定节假日和调休安排尚未收录" in due_warning(december)
    assert due_warning(build_consolidation("2024-03")) == ""


def test_supervision_sentence_counts_levels_new_red_slips_closed_and_overdue(consolidation):
    from conftest_notice import SUPERVISION

    def overall(supervision):
        blocks = render_text(notice_context(consolidation, None, supervision))["blocks"]
        return next(b["text"] for b in blocks if b["text"].startswith("截至"))

    assert "督办" not in overall(None)  # no store yet: no 督办 sentence
    text = overall(SUPERVISION)
    assert text.endswith(
        "督办方面，预警事项13项（红色督办3项、黄色预警4项、蓝色提醒6项），本期新发红色督办单2张"
        "（市人力社保局、市民政局）；“每千人口拥有3岁以下婴幼儿托位数”等2项赶上进度，本期不再预警；"
        "市住建局的督办单逾期未反馈。"
    )
    # a month with nothing on the board and nothing closed says nothing
    quiet = {
        **SUPERVISION,
        "counts": {"蓝色提醒": 0, "黄色预警": 0, "红色督办": 0},
        "new_red": [],
        "closed": [],
        "slips": [],
        "overdue": [],
    }
    assert "督办" not in overall(quiet)


def test_the_notice_reads_the_stores_supervision_board(tmp_path):
    """qyx demo's month, consolidated with months of history: the notice says the board's counts."""
    from qyx_excel.demo import run_demo
    from qyx_excel.notice import supervision_for_notice
    from qyx_excel.periods import parse_period

    run_demo(tmp_path / "demo", period=parse_period("2026-11"))
    summary = supervision_for_notice(tmp_path / "demo" / "历史库", "2026-11")
    assert summary is not None and sum(summary["counts"].values()) > 0
    counts = "、".join(f"{k}{v}项" for k, v in reversed(summary["counts"].items()) if v)
    text = "\n".join(
        p.text for p in Document(str(tmp_path / "demo" / "2026-11_七优享工程进度通报.docx")).paragraphs
    )
    assert f"督办方面，预警事项{sum(summary['counts'].values())}项（{counts}）" in text
    assert supervision_for_notice(tmp_path / "nothing", "2026-11") is None


def test_december_says_the_years_target_was_missed_when_the_gap_is_below_the_shown_precision():
    """December: 5% against the year's target <5 is behind (time is up), with no gap to show."""
    c = build_consolidation("2024-12")
    r = next(r for r in c.indicators if r.id == "13")
    assert r.value == 5 and r.status.value in ("进度滞后", "严重滞后")
    body = "\n".join(b["text"] for b in render_text(notice_context(c))["blocks"])
    assert "“城镇调查失业率”为5%，未达到年度目标（低于5%）" in body and "序时目标5%" not in body
