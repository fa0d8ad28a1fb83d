"""Statuses by domain as a chart: colours shared by the notice and the printed tables, and a native
DrawingML chart (with its embedded workbook) for Word.

No plotting library: Word draws the chart itself from ``word/charts/chart1.xml`` (cached values), and
"编辑数据" in Word opens the small embedded workbook written here.  Colours are chosen so that the
statuses also differ in grey when printed in black and white; the cells always carry the word too.
"""

from __future__ import annotations

import io
import zipfile

from .cells import letters_base0
from .glossary import DOMAINS, FILL_GREY, FILL_WHITE, LINE_DARK, STATUS_FILLS, STATUS_ORDER, Status
from .model import Consolidation

__all__ = ["STATUS_BARS", "STATUS_FILLS", "STATUS_PATTERNS", "xlsx_fill"]

#: Bar colours (charts), distinct grey levels: 26 %, 60 %, 82 %, 42 %, 74 %, 93 % luminance.
STATUS_BARS: dict[Status, str] = {
    Status.MET: "1B5E20",
    Status.ON_TRACK: "66BB6A",
    Status.LAGGING: "FFD54F",
    Status.SEVERELY_LAGGING: "E53935",
    Status.NOT_REPORTED: "BDBDBD",
    Status.NOT_APPLICABLE: "EEEEEE",
}
#: Bars dark enough to need white data labels.
_DARK_BARS = frozenset({Status.MET})

#: Patterns that keep the statuses apart on a black-and-white printer, where 序时推进, 严重滞后 and
#: 未填报 print as nearly the same grey: (DrawingML preset, XlsxWriter pattern name).  Stripes in the
#: status colour on white; the other statuses stay solid (dark, mid, light grey in print).
STATUS_PATTERNS: dict[Status, tuple[str, str]] = {
    Status.SEVERELY_LAGGING: ("wdDnDiag", "wide_downward_diagonal"),
    Status.NOT_REPORTED: ("smGrid", "small_grid"),
}


def _fill_xml(status: Status) -> str:
    colour = STATUS_BARS[status]
    if status in STATUS_PATTERNS:
        return (
            f'<a:pattFill prst="{STATUS_PATTERNS[status][0]}"><a:fgClr><a:srgbClr val="{colour}"/></a:fgClr>'
            f'<a:bgClr><a:srgbClr val="{FILL_WHITE}"/></a:bgClr></a:pattFill>'
        )
    return f'<a:solidFill><a:srgbClr val="{colour}"/></a:solidFill>'


def xlsx_fill(status: Status) -> dict[str, dict[str, str]]:
    """The same fill for an XlsxWriter chart series (``pattern`` or ``fill``)."""
    colour = "#" + STATUS_BARS[status]
    if status in STATUS_PATTERNS:
        return {
            "pattern": {
                "pattern": STATUS_PATTERNS[status][1],
                "fg_color": colour,
                "bg_color": "#" + FILL_WHITE,
            }
        }
    return {"fill": {"color": colour}}


_C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
CHART_FONT = "宋体"


def escape(text: str) -> str:
    """XML text escaping (xml.sax.saxutils would import urllib and email: 50 ms at start-up)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def status_matrix(consolidation: Consolidation) -> tuple[list[str], list[Status], list[list[int]]]:
    """``(domains, statuses, counts)``: ``counts[i][j]`` rows of domain i with status j.

    Domains in the plan's order (then any other domain seen), statuses in the fixed order, leaving
    out a status no domain has (the chart's legend then only lists what occurs).
    """
    domains = [d for d in DOMAINS if any(r.domain == d for r in consolidation.indicators)]
    domains += sorted({r.domain for r in consolidation.indicators} - set(domains))
    full = [[0] * len(STATUS_ORDER) for _ in domains]
    index = {d: i for i, d in enumerate(domains)}
    for row in consolidation.indicators:
        full[index[row.domain]][STATUS_ORDER.index(row.status)] += 1
    keep = [j for j, _ in enumerate(STATUS_ORDER) if any(full[i][j] for i in range(len(domains)))]
    return domains, [STATUS_ORDER[j] for j in keep], [[row[j] for j in keep] for row in full]


def _txpr(size: int = 1050, colour: str | None = None, bold: bool = False) -> str:
    fill = f'<a:solidFill><a:srgbClr val="{colour}"/></a:solidFill>' if colour else ""
    return (
        "<c:txPr><a:bodyPr/><a:lstStyle/><a:p><a:pPr>"
        f'<a:defRPr sz="{size}" b="{1 if bold else 0}">{fill}<a:latin typeface="{CHART_FONT}"/>'
        f'<a:ea typeface="{CHART_FONT}"/><a:cs typeface="{CHART_FONT}"/></a:defRPr>'
        '</a:pPr><a:endParaRPr lang="zh-CN"/></a:p></c:txPr>'
    )


def docx_chart_xml(
    domains: list[str],
    statuses: list[Status],
    counts: list[list[int]],
    *,
    title: str = "",
    workbook_rel_id: str | None = None,
) -> bytes:
    """``c:chartSpace`` of a horizontal stacked bar chart: one bar per domain, one segment per status.

    The first domain is drawn at the top (categories are listed bottom-up).  Formulas point at
    ``Sheet1`` of the embedded workbook written by :func:`chart_workbook` with the same arguments.
    """
    n = len(domains)
    order = list(range(n))[::-1]  # bottom-up, so the plan's first domain is the top bar
    cat_ref = f"Sheet1!$A$2:$A${n + 1}"
    cat_cache = "".join(
        f'<c:pt idx="{k}"><c:v>{escape(domains[i])}</c:v></c:pt>' for k, i in enumerate(order)
    )
    series = []
    for j, status in enumerate(statuses):
        col = letters_base0(j + 1)
        values = "".join(f'<c:pt idx="{k}"><c:v>{counts[i][j]}</c:v></c:pt>' for k, i in enumerate(order))
        label_colour = FILL_WHITE if status in _DARK_BARS else "000000"
        series.append(
            f'<c:ser><c:idx val="{j}"/><c:order val="{j}"/>'
            f'<c:tx><c:strRef><c:f>Sheet1!${col}$1</c:f><c:strCache><c:ptCount val="1"/>'
            f'<c:pt idx="0"><c:v>{escape(status.value)}</c:v></c:pt></c:strCache></c:strRef></c:tx>'
            f"<c:spPr>{_fill_xml(status)}"
            f'<a:ln w="6350"><a:solidFill><a:srgbClr val="{LINE_DARK}"/></a:solidFill></a:ln></c:spPr>'
            '<c:invertIfNegative val="0"/>'
            '<c:dLbls><c:numFmt formatCode="0;;;" sourceLinked="0"/><c:spPr><a:noFill/><a:ln><a:noFill/></a:ln>'
            f"</c:spPr>{_txpr(1000, label_colour)}"
            '<c:showLegendKey val="0"/><c:showVal val="1"/><c:showCatName val="0"/><c:showSerName val="0"/>'
            '<c:showPercent val="0"/><c:showBubbleSize val="0"/></c:dLbls>'
            f'<c:cat><c:strRef><c:f>{cat_ref}</c:f><c:strCache><c:ptCount val="{n}"/>{cat_cache}'
            "</c:strCache></c:strRef></c:cat>"
            f"<c:val><c:numRef><c:f>Sheet1!${col}$2:${col}${n + 1}</c:f><c:numCache><c:formatCode>General"
            f'</c:formatCode><c:ptCount val="{n}"/>{values}</c:numCache></c:numRef></c:val></c:ser>'
        )
    title_xml = (
        f'<c:title><c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz="1400" b="1">'
        f'<a:latin typeface="{CHART_FONT}"/><a:ea typeface="{CHART_FONT}"/></a:defRPr></a:pPr>'
        f'<a:r><a:rPr lang="zh-CN" sz="1400" b="1"><a:latin typeface="{CHART_FONT}"/>'
        f'<a:ea typeface="{CHART_FONT}"/></a:rPr><a:t>{escape(title)}</a:t></a:r></a:p></c:rich></c:tx>'
        '<c:overlay val="0"/></c:title><c:autoTitleDeleted val="0"/>'
        if title
        else '<c:autoTitleDeleted val="1"/>'
    )
    grid = (
        f'<c:majorGridlines><c:spPr><a:ln w="3175"><a:solidFill><a:srgbClr val="{FILL_GREY}"/></a:solidFill>'
        "</a:ln></c:spPr></c:majorGridlines>"
    )
    axis_line = (
        f'<c:spPr><a:ln w="6350"><a:solidFill><a:srgbClr val="{LINE_DARK}"/></a:solidFill></a:ln></c:spPr>'
    )
    external = (
        f'<c:externalData r:id="{workbook_rel_id}"><c:autoUpdate val="0"/></c:externalData>'
        if workbook_rel_id
        else ""
    )
    xml = (
        f'{_XML}<c:chartSpace xmlns:c="{_C}" xmlns:a="{_A}" xmlns:r="{_R}">'
        '<c:date1904 val="0"/><c:lang val="zh-CN"/><c:roundedCorners val="0"/>'
        f"<c:chart>{title_xml}<c:plotArea><c:layout/>"
        '<c:barChart><c:barDir val="bar"/><c:grouping val="stacked"/><c:varyColors val="0"/>'
        f'{"".join(series)}<c:gapWidth val="60"/><c:overlap val="100"/>'
        '<c:axId val="500000001"/><c:axId val="500000002"/></c:barChart>'
        '<c:catAx><c:axId val="500000001"/><c:scaling><c:orientation val="minMax"/></c:scaling>'
        '<c:delete val="0"/><c:axPos val="l"/><c:numFmt formatCode="General" sourceLinked="0"/>'
        f'<c:majorTickMark val="none"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>{axis_line}'
        f'{_txpr(1100)}<c:crossAx val="500000002"/><c:crosses val="autoZero"/><c:auto val="1"/>'
        '<c:lblAlgn val="ctr"/><c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>'
        f'<c:valAx><c:axId val="500000002"/><c:scaling><c:orientation val="minMax"/><c:min val="0"/></c:scaling>'
        f'<c:delete val="0"/><c:axPos val="b"/>{grid}<c:title><c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p>'
        f'<a:pPr><a:defRPr sz="1000" b="0"><a:latin typeface="{CHART_FONT}"/><a:ea typeface="{CHART_FONT}"/>'
        '</a:defRPr></a:pPr><a:r><a:rPr lang="zh-CN" sz="1000" b="0"/><a:t>指标数（项）</a:t></a:r></a:p>'
        '</c:rich></c:tx><c:overlay val="0"/></c:title><c:numFmt formatCode="0" sourceLinked="0"/>'
        f'<c:majorTickMark val="out"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>{axis_line}'
        f'{_txpr(1000)}<c:crossAx val="500000001"/><c:crosses val="autoZero"/><c:crossBetween val="between"/>'
        '<c:majorUnit val="1"/></c:valAx></c:plotArea>'
        f'<c:legend><c:legendPos val="b"/><c:overlay val="0"/>{_txpr(1050)}</c:legend>'
        '<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart>'
        "<c:spPr><a:noFill/><a:ln><a:noFill/></a:ln></c:spPr>"
        f"{_txpr(1050)}{external}</c:chartSpace>"
    )
    return xml.encode("utf-8")


def chart_workbook(domains: list[str], statuses: list[Status], counts: list[list[int]]) -> bytes:
    """The chart's data as a minimal .xlsx (Sheet1: domains down column A, one column per status)."""

    def cell_text(ref: str, text: str) -> str:
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'

    order = list(range(len(domains)))[::-1]
    rows = [
        '<row r="1">'
        + cell_text("A1", "领域")
        + "".join(cell_text(f"{letters_base0(j + 1)}1", s.value) for j, s in enumerate(statuses))
        + "</row>"
    ]
    for k, i in enumerate(order, start=2):
        cells = cell_text(f"A{k}", domains[i]) + "".join(
            f'<c r="{letters_base0(j + 1)}{k}"><v>{counts[i][j]}</v></c>' for j in range(len(statuses))
        )
        rows.append(f'<row r="{k}">{cells}</row>')
    ss = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    od = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'{_XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{od}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'{_XML}<workbook xmlns="{ss}" xmlns:r="{od}"><sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'{_XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{od}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": f'{_XML}<worksheet xmlns="{ss}"><sheetData>{"".join(rows)}</sheetData></worksheet>',
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0)), text.encode("utf-8"))
    return buf.getvalue()


def inline_chart_xml(rel_id: str, width_emu: int, height_emu: int, name: str = "图表 1") -> str:
    """The ``w:drawing`` content placing a chart part inline (docPr ids are renumbered by docxtpl)."""
    return (
        f'<wp:inline distT="0" distB="0" distL="0" distR="0"><wp:extent cx="{width_emu}" cy="{height_emu}"/>'
        '<wp:effectExtent l="0" t="0" r="0" b="0"/>'
        f'<wp:docPr id="1" name="{escape(name)}"/><wp:cNvGraphicFramePr/>'
        f'<a:graphic xmlns:a="{_A}"><a:graphicData uri="{_C}">'
        f'<c:chart xmlns:c="{_C}" xmlns:r="{_R}" r:id="{rel_id}"/></a:graphicData></a:graphic></wp:inline>'
    )
