"""Build the notice template (``templates/notice.docx``): a GB/T 9704-2012 Word file with Jinja tags.

The package is written from plain XML (no python-docx default template, whose styles map East Asian
text to a Japanese theme font).  Every paragraph is formatted through a named paragraph style, so a
clerk restyles the notice in Word (样式 pane) and the next rendering keeps the change.  The narrative
itself comes from ``templates/notice_text.j2``; this file only lays out where it goes.

Layout (GB/T 9704-2012, in twips): A4 11906 × 16838; margins top 2098 (37 mm), bottom 1984 (35 mm),
left 1587 (28 mm), right 1474 (26 mm); 22 lines × 28 characters (exact line spacing 579 = 28.95 pt,
character grid pitch 8845 / 28 twips, hence ``charSpace`` -842 against the 16 pt default font).

Run ``python -m qyx_excel.notice_template templates/notice.docx`` to regenerate the committed file.
"""

from __future__ import annotations

import io
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

from .safeio import atomic_write_bytes

# --- fonts and sizes (half-points) -----------------------------------------------------------------
FANGSONG = "仿宋_GB2312"
XIAOBIAOSONG = "方正小标宋简体"
HEITI = "黑体"
KAITI = "楷体_GB2312"
SONGTI = "宋体"
SIZE_2 = 44  # 2号 22 pt
SIZE_XIAO2 = 36  # 小2号 18 pt
SIZE_3 = 32  # 3号 16 pt
SIZE_4 = 28  # 4号 14 pt
SIZE_XIAO4 = 24  # 小4号 12 pt
SIZE_5 = 21  # 5号 10.5 pt

# --- page (twips) -----------------------------------------------------------------------------------
PAGE_W, PAGE_H = 11906, 16838
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = 2098, 1984, 1587, 1474
LINE_PITCH = 579  # 28.95 pt: 22 lines in the 637.8 pt text block
CHAR_SPACE = -842  # (8845 / 28 / 20 - 16) pt × 4096: 28 characters of 3号 per line
HEADER_DIST = 851  # 15 mm
FOOTER_DIST = 1247  # 22 mm: the page number's dash sits about 7 mm below the text block
TEXT_WIDTH = PAGE_W - MARGIN_LEFT - MARGIN_RIGHT  # 8845
INDENT_2 = 640  # two characters of 3号

#: Style ids (ASCII, stable for code) and the names a clerk sees in Word.
STYLE_NAMES: dict[str, str] = {
    "Normal": "Normal",  # Word (Chinese) shows the built-in Normal style as “正文”
    "QyxTitle": "公文标题",
    "QyxRecipient": "主送机关",
    "QyxH1": "一级标题",
    "QyxH2": "二级标题",
    "QyxH3": "三级标题",
    "QyxH4": "四级标题",
    "QyxAttachNote": "附件说明",
    "QyxSigner": "署名",
    "QyxDate": "成文日期",
    "QyxAttachLabel": "附件标识",
    "QyxAttachTitle": "附件标题",
    "QyxTableHead": "表头",
    "QyxTableText": "表格文字",
    "QyxTableTextLeft": "表格文字（左对齐）",
    "QyxTableGroup": "表格分组行",
    "QyxFigure": "图表",
    "QyxTableNote": "表注",
    "QyxIssuer": "发文机关标志",
    "QyxDocNumber": "发文字号",
    "QyxSeal": "代章",
    "QyxImprint": "版记",
    "Footer": "footer",
    "QyxPageOdd": "页码（单页）",
    "QyxPageEven": "页码（双页）",
}

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_PR = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

#: Attachment table columns: (header, width in twips, cell text or tag, style id)
TABLE_COLUMNS: tuple[tuple[str, int, str, str], ...] = (
    # Each 领域 opens with a full-width row of its own (no merged 领域 column: a merged cell split
    # over two pages left the continuation rows without their 领域, and a four-character name
    # broke 3 + 1 in the narrow column).
    ("序号", 640, "{{ r.id }}", "QyxTableText"),  # “27-1” on one line
    ("指标", 3345, "{{ r.name }}", "QyxTableTextLeft"),
    ("单位", 760, "{{ r.unit }}", "QyxTableText"),  # “万人次” on one line
    ("本年目标", 1150, "{{ r.target }}", "QyxTableText"),
    ("{{ expected_header }}", 1000, "{{ r.expected }}", "QyxTableText"),
    ("完成值", 950, "{{ r.value }}", "QyxTableText"),
    ("状态", 1000, "{% cellbg r.fill %}{{ r.status }}", "QyxTableText"),
)
assert sum(c[1] for c in TABLE_COLUMNS) == TEXT_WIDTH

#: Key-task attachment table (附件2): the 领域 in a column of its own, written on every row (no
#: merged cells), so that the 31 tasks fit one page.
TASK_COLUMNS: tuple[tuple[str, int, str, str], ...] = (
    ("领域", 1000, "{{ d.name }}", "QyxTableText"),
    ("序号", 560, "{{ t.number }}", "QyxTableText"),
    ("重点任务", 4585, "{{ t.title }}", "QyxTableTextLeft"),
    ("牵头单位", 1500, "{{ t.lead_unit }}", "QyxTableText"),
    ("完成情况", 1200, "{% cellbg t.fill %}{{ t.state }}", "QyxTableText"),
)
assert sum(c[1] for c in TASK_COLUMNS) == TEXT_WIDTH


def _fonts(name: str) -> str:
    return f'<w:rFonts w:ascii="{name}" w:hAnsi="{name}" w:eastAsia="{name}" w:cs="{name}"/>'


def _rpr(font: str, size: int, *, bold: bool = False) -> str:
    return f'<w:rPr>{_fonts(font)}{"<w:b/>" if bold else ""}<w:sz w:val="{size}"/><w:szCs w:val="{size}"/></w:rPr>'


def _spacing_exact(line: int = LINE_PITCH) -> str:
    return f'<w:spacing w:before="0" w:after="0" w:line="{line}" w:lineRule="exact"/>'


# Characters larger than the grid pitch take two grid cells in Word: titles opt out of the grid.
_NO_GRID = '<w:snapToGrid w:val="0"/>'
_SPACING_SINGLE = '<w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/>'
_NO_INDENT = '<w:ind w:firstLineChars="0" w:firstLine="0"/>'
_INDENT_2 = f'<w:ind w:firstLineChars="200" w:firstLine="{INDENT_2}"/>'


def _style(
    style_id: str,
    *,
    ppr: str,
    rpr: str,
    based_on: str | None = "Normal",
    next_id: str | None = None,
    default: bool = False,
    priority: int = 1,
) -> str:
    name = STYLE_NAMES[style_id]
    attrs = ' w:default="1"' if default else ""
    parts = [f'<w:style w:type="paragraph"{attrs} w:styleId="{style_id}"><w:name w:val="{name}"/>']
    if based_on:
        parts.append(f'<w:basedOn w:val="{based_on}"/>')
    if next_id:
        parts.append(f'<w:next w:val="{next_id}"/>')
    parts.append(f'<w:uiPriority w:val="{priority}"/><w:qFormat/>')
    parts.append(f"<w:pPr>{ppr}</w:pPr>{rpr}</w:style>")
    return "".join(parts)


def styles_xml() -> str:
    """``word/styles.xml``: docDefaults and every named style, East Asian fonts set explicitly."""
    styles = [
        _style(
            "Normal",
            ppr=f'<w:widowControl w:val="0"/>{_spacing_exact()}{_INDENT_2}<w:jc w:val="both"/>',
            rpr=_rpr(FANGSONG, SIZE_3),
            based_on=None,
            default=True,
            priority=0,
        ),
        _style(
            "QyxTitle",
            ppr=f'<w:keepNext/><w:keepLines/>{_NO_GRID}{_spacing_exact()}{_NO_INDENT}<w:jc w:val="center"/>'
            '<w:outlineLvl w:val="0"/>',
            rpr=_rpr(XIAOBIAOSONG, SIZE_2),
            next_id="QyxRecipient",
        ),
        _style(
            "QyxRecipient",
            ppr=f'<w:keepNext/>{_spacing_exact()}{_NO_INDENT}<w:jc w:val="both"/>',
            rpr=_rpr(FANGSONG, SIZE_3),
            next_id="Normal",
        ),
        _style(
            "QyxH1",
            ppr=f'<w:keepNext/>{_spacing_exact()}{_INDENT_2}<w:outlineLvl w:val="1"/>',
            rpr=_rpr(HEITI, SIZE_3),
            next_id="Normal",
        ),
        _style(
            "QyxH2",
            ppr=f'<w:keepNext/>{_spacing_exact()}{_INDENT_2}<w:outlineLvl w:val="2"/>',
            rpr=_rpr(KAITI, SIZE_3),
            next_id="Normal",
        ),
        _style(
            "QyxH3",
            ppr=f'<w:keepNext/>{_spacing_exact()}{_INDENT_2}<w:outlineLvl w:val="3"/>',
            rpr=_rpr(FANGSONG, SIZE_3),
            next_id="Normal",
        ),
        _style(
            "QyxH4",
            ppr=f'<w:keepNext/>{_spacing_exact()}{_INDENT_2}<w:outlineLvl w:val="4"/>',
            rpr=_rpr(FANGSONG, SIZE_3),
            next_id="Normal",
        ),
        # 附件：1. … — first line two characters in, following lines under the first attachment's name.
        _style(
            "QyxAttachNote",
            ppr=f'<w:keepNext/>{_spacing_exact()}<w:ind w:left="1600" w:hangingChars="300" w:hanging="960"/><w:jc w:val="left"/>',
            rpr=_rpr(FANGSONG, SIZE_3),
        ),
        _style(
            "QyxSigner",
            ppr=f'<w:keepNext/><w:keepLines/>{_spacing_exact()}<w:ind w:right="640" w:rightChars="200" w:firstLineChars="0" w:firstLine="0"/>'
            '<w:jc w:val="right"/>',
            rpr=_rpr(FANGSONG, SIZE_3),
            next_id="QyxDate",
        ),
        _style(
            "QyxDate",
            ppr=f'{_spacing_exact()}<w:ind w:right="1280" w:rightChars="400" w:firstLineChars="0" w:firstLine="0"/>'
            '<w:jc w:val="right"/>',
            rpr=_rpr(FANGSONG, SIZE_3),
        ),
        # 红头: 发文机关标志 in red 小标宋, then 发文字号 centred above a red rule (GB/T 9704 7.2).
        _style(
            "QyxIssuer",
            ppr=f'<w:keepNext/>{_NO_GRID}<w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/>'
            f'{_NO_INDENT}<w:jc w:val="center"/>',
            rpr=f'<w:rPr>{_fonts(XIAOBIAOSONG)}<w:color w:val="FF0000"/>'
            f'<w:sz w:val="{SIZE_2 - 4}"/><w:szCs w:val="{SIZE_2 - 4}"/></w:rPr>',
        ),
        _style(
            "QyxDocNumber",
            ppr=f'<w:keepNext/><w:pBdr><w:bottom w:val="single" w:sz="12" w:space="12" '
            f'w:color="FF0000"/></w:pBdr><w:spacing w:before="0" w:after="120" w:line="{LINE_PITCH}" '
            f'w:lineRule="exact"/>{_NO_INDENT}<w:jc w:val="center"/>',
            rpr=_rpr(FANGSONG, SIZE_3),
        ),
        _style(
            "QyxSeal",
            ppr=f'{_spacing_exact()}<w:ind w:right="640" w:rightChars="200" w:firstLineChars="0" w:firstLine="0"/>'
            '<w:jc w:val="right"/>',
            rpr=_rpr(FANGSONG, SIZE_3),
        ),
        # 版记: 印发机关 and 印发日期 between two rules, 4号 (GB/T 9704 7.4).
        _style(
            "QyxImprint",
            ppr=f'<w:keepLines/><w:pBdr><w:top w:val="single" w:sz="8" w:space="4" w:color="000000"/>'
            f'<w:bottom w:val="single" w:sz="8" w:space="4" w:color="000000"/></w:pBdr>'
            f'<w:tabs><w:tab w:val="right" w:pos="{TEXT_WIDTH - 280}"/></w:tabs>'
            f'{_spacing_exact()}<w:ind w:left="280" w:right="0" w:firstLineChars="0" w:firstLine="0"/>'
            '<w:jc w:val="left"/>',
            # condensed by 0.5 pt: the office's full name and the date fit one line at 4号
            rpr=f'<w:rPr>{_fonts(FANGSONG)}<w:spacing w:val="-10"/><w:sz w:val="{SIZE_4}"/>'
            f'<w:szCs w:val="{SIZE_4}"/></w:rPr>',
        ),
        _style(
            "QyxAttachLabel",
            ppr=f'<w:keepNext/><w:pageBreakBefore/>{_spacing_exact()}{_NO_INDENT}<w:jc w:val="left"/>',
            rpr=_rpr(HEITI, SIZE_3),
        ),
        _style(
            "QyxAttachTitle",
            ppr=f'<w:keepNext/>{_NO_GRID}{_spacing_exact()}{_NO_INDENT}<w:jc w:val="center"/>',
            rpr=_rpr(XIAOBIAOSONG, SIZE_XIAO2),
        ),
        _style(
            "QyxTableHead",
            ppr=f'<w:keepNext/>{_NO_GRID}{_SPACING_SINGLE}{_NO_INDENT}<w:jc w:val="center"/>',
            rpr=_rpr(HEITI, SIZE_5),
        ),
        _style(
            "QyxTableText",
            ppr=f'{_NO_GRID}{_SPACING_SINGLE}{_NO_INDENT}<w:jc w:val="center"/>',
            rpr=_rpr(FANGSONG, SIZE_5),
        ),
        _style(
            "QyxTableGroup",
            ppr=f'<w:keepNext/>{_NO_GRID}{_SPACING_SINGLE}{_NO_INDENT}<w:jc w:val="left"/>',
            rpr=_rpr(HEITI, SIZE_5),
        ),
        _style(
            "QyxTableTextLeft",
            ppr=f'{_NO_GRID}{_SPACING_SINGLE}{_NO_INDENT}<w:jc w:val="left"/>',
            rpr=_rpr(FANGSONG, SIZE_5),
            based_on="QyxTableText",
        ),
        # An inline chart must not sit in an exact-height line, or Word clips it to 28.95 pt.
        _style(
            "QyxFigure",
            ppr=f'{_NO_GRID}{_SPACING_SINGLE}{_NO_INDENT}<w:jc w:val="center"/>',
            rpr=_rpr(FANGSONG, SIZE_3),
        ),
        _style(
            "QyxTableNote",
            ppr=f'{_NO_GRID}<w:spacing w:before="120" w:after="120" w:line="300" w:lineRule="auto"/>'
            f'{_NO_INDENT}<w:jc w:val="left"/>',
            rpr=_rpr(FANGSONG, SIZE_5),
        ),
        _style(
            "Footer",
            ppr=f"{_NO_GRID}{_SPACING_SINGLE}{_NO_INDENT}",
            rpr=_rpr(SONGTI, SIZE_4),
            priority=99,
        ),
        # 页码: 4号半角宋体, 一字线 on both sides; odd pages right, even pages left, one character in.
        _style(
            "QyxPageOdd",
            ppr='<w:ind w:right="280" w:firstLineChars="0" w:firstLine="0"/><w:jc w:val="right"/>',
            rpr=_rpr(SONGTI, SIZE_4),
            based_on="Footer",
        ),
        _style(
            "QyxPageEven",
            ppr='<w:ind w:left="280" w:firstLineChars="0" w:firstLine="0"/><w:jc w:val="left"/>',
            rpr=_rpr(SONGTI, SIZE_4),
            based_on="Footer",
        ),
    ]
    doc_defaults = (
        "<w:docDefaults><w:rPrDefault><w:rPr>"
        f'{_fonts(FANGSONG)}<w:kern w:val="2"/><w:sz w:val="{SIZE_3}"/><w:szCs w:val="{SIZE_3}"/>'
        '<w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/>'
        "</w:rPr></w:rPrDefault><w:pPrDefault><w:pPr>"
        '<w:widowControl w:val="0"/><w:jc w:val="both"/>'
        "</w:pPr></w:pPrDefault></w:docDefaults>"
    )
    builtins = (
        '<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont">'
        '<w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/><w:unhideWhenUsed/></w:style>'
        '<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/>'
        '<w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/>'
        '<w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/>'
        '<w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>'
        '<w:style w:type="numbering" w:default="1" w:styleId="NoList"><w:name w:val="No List"/>'
        '<w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/></w:style>'
        '<w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/><w:basedOn w:val="TableNormal"/>'
        '<w:uiPriority w:val="59"/><w:tblPr><w:tblBorders>'
        + "".join(
            f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
            for side in ("top", "left", "bottom", "right", "insideH", "insideV")
        )
        + "</w:tblBorders></w:tblPr></w:style>"
    )
    return (
        f'{_XML}<w:styles xmlns:w="{_W}" xmlns:r="{_R}">{doc_defaults}{"".join(styles)}{builtins}</w:styles>'
    )


def _p(style: str, text: str = "", *, raw: str = "") -> str:
    """A paragraph in ``style`` holding ``text`` (escaped except Jinja braces) or ``raw`` runs."""
    body = raw
    if text:
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        body = f'<w:r><w:t xml:space="preserve">{escaped}</w:t></w:r>'
    return f'<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr>{body}</w:p>'


def _cell(width: int, style: str, text: str, *, head: bool = False) -> str:
    valign = '<w:vAlign w:val="center"/>'
    return (
        f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{valign}</w:tcPr>'
        f"{_p('QyxTableHead' if head else style, text)}</w:tc>"
    )


def _tag_row(tag: str) -> str:
    """A one-cell row carrying a ``{%tr … %}`` tag: docxtpl replaces the whole row by the tag."""
    return f'<w:tr><w:tc><w:tcPr><w:tcW w:w="{TEXT_WIDTH}" w:type="dxa"/></w:tcPr>{_p("QyxTableText", tag)}</w:tc></w:tr>'


def _group_row(span: int) -> str:
    """A 领域's own row: its name and lead unit across the table, kept with its first item."""
    return (
        "<w:tr><w:trPr><w:cantSplit/></w:trPr><w:tc><w:tcPr>"
        f'<w:tcW w:w="{TEXT_WIDTH}" w:type="dxa"/><w:gridSpan w:val="{span}"/>'
        '<w:shd w:val="clear" w:color="auto" w:fill="F2F2F2"/><w:vAlign w:val="center"/></w:tcPr>'
        f"{_p('QyxTableGroup', '{{ d.name }}{% if d.lead_unit %}（牵头单位：{{ d.lead_unit }}）{% endif %}')}"
        "</w:tc></w:tr>"
    )


def _grid_head_row(columns: Sequence[tuple[str, int, str, str]]) -> tuple[str, str, str]:
    """A table's grid, its header row (repeated on every page) and its one templated body row, from
    columns ``(header, width in twips, cell text or Jinja tag, style id)``; rows never split."""
    grid = "".join(f'<w:gridCol w:w="{c[1]}"/>' for c in columns)
    head = (
        "<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>"
        + "".join(_cell(w, s, h, head=True) for h, w, _, s in columns)
        + "</w:tr>"
    )
    row = (
        "<w:tr><w:trPr><w:cantSplit/></w:trPr>"
        + "".join(_cell(w, s, t) for _, w, t, s in columns)
        + "</w:tr>"
    )
    return grid, head, row


def _table(
    columns: tuple[tuple[str, int, str, str], ...] = TABLE_COLUMNS,
    outer: str = "d in table",
    inner: str = "r in d.rows",
    *,
    group_rows: bool = True,
) -> str:
    grid, head, row = _grid_head_row(columns)
    return (
        '<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="5000" w:type="pct"/><w:jc w:val="center"/>'
        '<w:tblLayout w:type="fixed"/><w:tblCellMar><w:left w:w="57" w:type="dxa"/><w:right w:w="57" w:type="dxa"/>'
        '</w:tblCellMar><w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" w:lastColumn="0" '
        'w:noHBand="0" w:noVBand="1"/></w:tblPr>'
        f"<w:tblGrid>{grid}</w:tblGrid>{head}"
        f"{_tag_row('{%tr for ' + outer + ' %}')}{_group_row(len(columns)) if group_rows else ''}"
        f"{_tag_row('{%tr for ' + inner + ' %}')}{row}"
        f"{_tag_row('{%tr endfor %}')}{_tag_row('{%tr endfor %}')}</w:tbl>"
    )


def _sect_pr() -> str:
    return (
        '<w:sectPr><w:footerReference w:type="default" r:id="rIdFooterOdd"/>'
        '<w:footerReference w:type="even" r:id="rIdFooterEven"/>'
        f'<w:pgSz w:w="{PAGE_W}" w:h="{PAGE_H}"/>'
        f'<w:pgMar w:top="{MARGIN_TOP}" w:right="{MARGIN_RIGHT}" w:bottom="{MARGIN_BOTTOM}" w:left="{MARGIN_LEFT}" '
        f'w:header="{HEADER_DIST}" w:footer="{FOOTER_DIST}" w:gutter="0"/>'
        '<w:pgNumType w:start="1"/><w:cols w:space="425"/>'
        f'<w:docGrid w:type="linesAndChars" w:linePitch="{LINE_PITCH}" w:charSpace="{CHAR_SPACE}"/></w:sectPr>'
    )


def document_xml() -> str:
    """``word/document.xml``: the notice's skeleton with docxtpl tags (see ``notice.py`` for the context)."""
    levels = (("1", "QyxH1"), ("2", "QyxH2"), ("3", "QyxH3"), ("4", "QyxH4"))
    blocks = [_p("Normal", "{%p for b in blocks %}")]
    for i, (level, style) in enumerate(levels):
        blocks.append(_p("Normal", ("{%p if " if i == 0 else "{%p elif ") + f"b.level == {level} %}}"))
        blocks.append(_p(style, "{{ b.text }}"))
    blocks += [_p("Normal", "{%p else %}"), _p("Normal", "{{ b.text }}"), _p("Normal", "{%p endif %}")]
    blocks.append(_p("Normal", "{%p endfor %}"))
    attachment_note = (
        "附件：{% for a in attachments %}{% if not loop.first %}{{ newline }}{% endif %}"
        "{{ loop.index }}. {{ a }}{% endfor %}"
    )
    body = [
        # 版头 (GB/T 9704 7.2): settings in templates/notice_settings.ini decide what shows.
        _p("Normal", "{%p if red_header %}"),
        _p("QyxIssuer", "{{ issuer_mark }}"),
        _p("QyxDocNumber", "{{ doc_number }}"),
        _p("Normal", "{%p endif %}"),
        _p("QyxTitle", "{{ title }}"),
        _p("QyxRecipient"),
        _p("QyxRecipient", "{{ recipients }}："),
        *blocks,
        _p("Normal", "{%p if attachments %}"),
        _p("Normal"),
        _p("QyxAttachNote", attachment_note),
        _p("Normal", "{%p endif %}"),
        # GB/T 9704 7.3.5.2: 署名 one line below the body (or the 附件说明); the empty line is a 署名
        # paragraph so that 附件说明, 署名 and 成文日期 keep together (no 署名 alone on a page)
        _p("QyxSigner"),
        _p("QyxSigner", "{{ signer }}"),
        _p("QyxDate", "{{ date }}"),
        _p("Normal", "{%p if seal_note %}"),
        _p("QyxSeal", "{{ seal_note }}"),
        _p("Normal", "{%p endif %}"),
        # 附件1: every indicator, domains merged vertically.
        _p("QyxAttachLabel", "附件1"),
        _p("QyxAttachTitle"),
        _p("QyxAttachTitle", "{{ table_title }}"),
        # the note goes above the table: below it, it could be left alone on a last page
        _p("QyxTableNote", "{{ table_note }}"),
        _table(),
        # 附件2: every key task (when there are any).
        _p("Normal", "{%p if task_table %}"),
        _p("QyxAttachLabel", "附件2"),
        _p("QyxAttachTitle"),
        _p("QyxAttachTitle", "{{ task_title }}"),
        _p("QyxAttachTitle"),
        _table(TASK_COLUMNS, "d in task_table", "t in d.rows", group_rows=False),
        _p("Normal", "{%p endif %}"),
        # the chart: statuses by domain, a native chart Word can edit.
        _p("QyxAttachLabel", "附件{{ attachments|length }}"),
        _p("QyxAttachTitle"),
        _p("QyxAttachTitle", "{{ chart_title }}"),
        _p("QyxAttachTitle"),
        _p("QyxFigure", "{{ chart }}"),
        _p("QyxTableNote", "{{ chart_note }}"),
        # 版记 on the last page: 印发机关 and 印发日期.
        _p("Normal", "{%p if imprint %}"),
        _p("Normal"),
        _p(
            "QyxImprint",
            raw='<w:r><w:t xml:space="preserve">{{ imprint }}</w:t></w:r>'
            '<w:r><w:tab/><w:t xml:space="preserve">{{ print_date }}印发</w:t></w:r>',
        ),
        _p("Normal", "{%p endif %}"),
    ]
    return (
        f'{_XML}<w:document xmlns:w="{_W}" xmlns:r="{_R}" xmlns:wp="{_WP}" xmlns:a="{_A}">'
        f"<w:body>{''.join(body)}{_sect_pr()}</w:body></w:document>"
    )


def _footer_xml(style: str) -> str:
    runs = (
        '<w:r><w:t xml:space="preserve">— </w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        '<w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        "<w:r><w:t>1</w:t></w:r>"
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
        '<w:r><w:t xml:space="preserve"> —</w:t></w:r>'
    )
    return f'{_XML}<w:ftr xmlns:w="{_W}" xmlns:r="{_R}">{_p(style, raw=runs)}</w:ftr>'


def settings_xml() -> str:
    return (
        f'{_XML}<w:settings xmlns:w="{_W}" xmlns:r="{_R}">'
        '<w:zoom w:percent="100"/><w:defaultTabStop w:val="420"/><w:evenAndOddHeaders/>'
        f'<w:drawingGridHorizontalSpacing w:val="160"/><w:drawingGridVerticalSpacing w:val="{LINE_PITCH}"/>'
        '<w:displayHorizontalDrawingGridEvery w:val="0"/><w:displayVerticalDrawingGridEvery w:val="2"/>'
        '<w:characterSpacingControl w:val="compressPunctuation"/>'
        "<w:compat><w:spaceForUL/><w:balanceSingleByteDoubleByteWidth/><w:doNotLeaveBackslashAlone/>"
        "<w:ulTrailSpace/><w:doNotExpandShiftReturn/><w:adjustLineHeightInTable/><w:useFELayout/>"
        '<w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" w:val="15"/>'
        "</w:compat>"
        '<w:themeFontLang w:val="en-US" w:eastAsia="zh-CN"/>'
        '<w:decimalSymbol w:val="."/><w:listSeparator w:val=","/></w:settings>'
    )


def font_table_xml() -> str:
    fonts = (
        (FANGSONG, "仿宋", "modern", "fixed"),
        (XIAOBIAOSONG, "宋体", "auto", "variable"),
        (HEITI, "SimHei", "modern", "fixed"),
        (KAITI, "楷体", "modern", "fixed"),
        (SONGTI, "SimSun", "auto", "variable"),
    )
    entries = "".join(
        f'<w:font w:name="{name}"><w:altName w:val="{alt}"/><w:charset w:val="86"/>'
        f'<w:family w:val="{family}"/><w:pitch w:val="{pitch}"/></w:font>'
        for name, alt, family, pitch in fonts
    )
    return f'{_XML}<w:fonts xmlns:w="{_W}" xmlns:r="{_R}">{entries}</w:fonts>'


def _content_types() -> str:
    wml = "application/vnd.openxmlformats-officedocument.wordprocessingml"
    overrides = {
        "/word/document.xml": f"{wml}.document.main+xml",
        "/word/styles.xml": f"{wml}.styles+xml",
        "/word/settings.xml": f"{wml}.settings+xml",
        "/word/fontTable.xml": f"{wml}.fontTable+xml",
        "/word/footer1.xml": f"{wml}.footer+xml",
        "/word/footer2.xml": f"{wml}.footer+xml",
        "/docProps/core.xml": "application/vnd.openxmlformats-package.core-properties+xml",
        "/docProps/app.xml": "application/vnd.openxmlformats-officedocument.extended-properties+xml",
    }
    return (
        f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Default Extension="png" ContentType="image/png"/>'
        + "".join(f'<Override PartName="{k}" ContentType="{v}"/>' for k, v in overrides.items())
        + "</Types>"
    )


def _rels(items: list[tuple[str, str, str]]) -> str:
    body = "".join(f'<Relationship Id="{i}" Type="{t}" Target="{target}"/>' for i, t, target in items)
    return f'{_XML}<Relationships xmlns="{_PR}">{body}</Relationships>'


def _core() -> str:
    return (
        f'{_XML}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<dc:title>公共服务“七优享”工程推进情况通报（模板）</dc:title>"
        "<dc:creator>qyx_excel</dc:creator><cp:lastModifiedBy>qyx_excel</cp:lastModifiedBy>"
        "<dc:language>zh-CN</dc:language>"
        '<dcterms:created xsi:type="dcterms:W3CDTF">2025-01-01T00:00:00Z</dcterms:created>'
        '<dcterms:modified xsi:type="dcterms:W3CDTF">2025-01-01T00:00:00Z</dcterms:modified>'
        "</cp:coreProperties>"
    )


def _app() -> str:
    return (
        f'{_XML}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
        "<Application>qyx_excel</Application></Properties>"
    )


def template_parts() -> dict[str, str]:
    """Every part of the template package, by name (tests compare these with the committed file)."""
    od = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    return {
        "[Content_Types].xml": _content_types(),
        "_rels/.rels": _rels(
            [
                ("rId1", f"{od}/officeDocument", "word/document.xml"),
                (
                    "rId2",
                    "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties",
                    "docProps/core.xml",
                ),
                ("rId3", f"{od}/extended-properties", "docProps/app.xml"),
            ]
        ),
        "docProps/core.xml": _core(),
        "docProps/app.xml": _app(),
        "word/document.xml": document_xml(),
        "word/styles.xml": styles_xml(),
        "word/settings.xml": settings_xml(),
        "word/fontTable.xml": font_table_xml(),
        "word/footer1.xml": _footer_xml("QyxPageOdd"),
        "word/footer2.xml": _footer_xml("QyxPageEven"),
        "word/_rels/document.xml.rels": _rels(
            [
                ("rIdStyles", f"{od}/styles", "styles.xml"),
                ("rIdSettings", f"{od}/settings", "settings.xml"),
                ("rIdFonts", f"{od}/fontTable", "fontTable.xml"),
                ("rIdFooterOdd", f"{od}/footer", "footer1.xml"),
                ("rIdFooterEven", f"{od}/footer", "footer2.xml"),
            ]
        ),
    }


def pack_docx(parts: dict[str, str]) -> bytes:
    """A .docx of ``parts`` (name → XML text) as bytes, deterministic: fixed timestamps."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text.encode("utf-8"))
    return buf.getvalue()


def build_template() -> bytes:
    """The template .docx as bytes (deterministic: fixed timestamps)."""
    return pack_docx(template_parts())


def write_template(path: str | Path) -> Path:
    """Write the template to ``path`` atomically (a clerk's restyled copy elsewhere is never touched)."""

    return atomic_write_bytes(Path(path), build_template(), backup=False)


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    target = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else Path(__file__).resolve().parent.parent / "templates" / "notice.docx"
    )
    write_template(target)
