"""The printed progress tables (打印进度表): a consolidated period as an .xlsx laid out for paper.

Sheets: 指标进度 (every indicator, domains as merged cells), 重点任务, 重大项目 (when there are
projects), 晾晒 (by domain, group and unit) and 状态分布 (a native stacked bar chart of statuses
by domain).  Every sheet prints landscape on A4 or A3, one page wide, with its header row repeated
on every page and “第 n 页 共 m 页” in the footer.  Statuses are written as words and coloured,
so they read the same on a black-and-white printer.

Text typed by the groups is always written as a string (never a formula), cleaned of characters
Excel cannot hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .charts import STATUS_FILLS, status_matrix, xlsx_fill
from .errors import UsageError
from .glossary import (
    DOMAINS,
    FILL_BLUE,
    FILL_RED,
    FILL_SHADE,
    FILL_WHITE,
    LEVEL_FILLS,
    LINE_DARK,
    STATUS_ORDER,
    TASK_STATE_FILLS,
    Level,
    Status,
)
from .model import Consolidation
from .office import convert
from .periods import parse_period
from .safeio import atomic_write, safe_cell_text
from .textfit import LINE_HEIGHT, wrapped_lines
from .values import expected_shown

PAPERS: dict[str, int] = {"A4": 9, "A3": 8}  # Excel paper codes

FONT = "宋体"
TITLE_FONT = "黑体"
# Size before font: a size code (&9) followed by digits would swallow them (&92024 is no size).
FOOTER = '&C&10&"宋体"第 &P 页 共 &N 页'

TASK_FILLS = TASK_STATE_FILLS


def _text(value: object) -> str:
    return safe_cell_text(value)


#: The print tables' wrap estimate (textfit.wrapped_lines): a Chinese character counts two column
#: units, one unit of each column is margin, only whole units of the rest count.
TABLES_CJK_UNITS = 2.0
TABLES_CELL_MARGIN = 1.0
MAX_ROW_HEIGHT = 409  # Excel's limit


def _lines(text: str, column_width: float) -> int:
    return wrapped_lines(
        text, column_width, margin=TABLES_CELL_MARGIN, cjk=TABLES_CJK_UNITS, whole_units=True
    )


def _fit_row(ws: Any, row: int, cells: list[tuple[str, float]]) -> float:
    """Set the row tall enough for its wrapped text (Excel and LibreOffice do not grow rows written by
    XlsxWriter, so wrapped text would otherwise overlap the next row when printed); its height in points."""
    lines = max((_lines(text, width) for text, width in cells if text), default=1)
    if lines > 1:
        height = min(MAX_ROW_HEIGHT, lines * LINE_HEIGHT + 3)
        ws.set_row(row, height)
        return height
    return DEFAULT_ROW_HEIGHT


DEFAULT_ROW_HEIGHT = 15.0  # XlsxWriter's default row height, points


def _domain_cells(ws: Any, f: _Formats, blocks: list[tuple[str, list[int]]]) -> None:
    """The 领域 written on every row of its block, not merged: a merged cell split by a page break
    left the continuation rows without their 领域 (Excel and LibreOffice print a merged cell's text
    once, on the first page).  The block's rows after the first are in grey, so the eye still groups
    them."""
    for domain, rows in blocks:
        for k, row in enumerate(rows):
            ws.write_string(row, 0, domain, f.domain if k == 0 else f.domain_repeat)


def _num(x: float | None, digits: int = 2) -> float | None:
    return None if x is None else round(x, digits)


class _Formats:
    """The workbook's cell formats, created once."""

    def __init__(self, wb: Any) -> None:
        base = {"font_name": FONT, "font_size": 10, "valign": "vcenter", "border": 1, "text_wrap": True}
        self.title = wb.add_format(
            {"font_name": TITLE_FONT, "font_size": 16, "align": "center", "valign": "vcenter"}
        )
        self.subtitle = wb.add_format(
            {"font_name": FONT, "font_size": 9, "align": "left", "valign": "vcenter"}
        )
        self.head = wb.add_format(
            {**base, "font_name": TITLE_FONT, "bold": True, "align": "center", "bg_color": FILL_SHADE}
        )
        self.center = wb.add_format({**base, "align": "center"})
        self.left = wb.add_format({**base, "align": "left"})
        self.number = wb.add_format({**base, "align": "center", "num_format": "0.##"})
        self.percent = wb.add_format({**base, "align": "center", "num_format": '0.0"%"'})
        self.domain = wb.add_format({**base, "align": "center", "bold": True})
        self.domain_repeat = wb.add_format({**base, "align": "center", "font_color": LINE_DARK})
        self.section = wb.add_format(
            {"font_name": TITLE_FONT, "font_size": 12, "bold": True, "valign": "vcenter"}
        )
        self._fills: dict[tuple[str, bool], Any] = {}
        self._wb = wb
        self._base = base

    def fill(self, colour: str, bold: bool = False) -> Any:
        key = (colour, bold)
        if key not in self._fills:
            self._fills[key] = self._wb.add_format(
                {**self._base, "align": "center", "bg_color": colour, "bold": bold, "pattern": 1}
            )
        return self._fills[key]


def _page_setup(ws: Any, paper: str, label: str, header_row: int, *, width_pages: int = 1) -> None:
    ws.set_landscape()
    ws.set_paper(PAPERS[paper])
    ws.set_margins(left=0.5, right=0.5, top=0.75, bottom=0.75)
    ws.center_horizontally()
    ws.fit_to_pages(width_pages, 0)  # one page wide, as many pages tall as needed
    ws.repeat_rows(0, header_row)  # the title and the header row on every page
    ws.set_header(f'&L&9&"宋体"公共服务“七优享”工程&R&9&"宋体"{label.replace("&", "&&")}')
    ws.set_footer(FOOTER)
    ws.hide_gridlines(2)


def _title(ws: Any, f: _Formats, last_col: int, title: str, subtitle: str) -> None:
    ws.set_row(0, 30)
    ws.merge_range(0, 0, 0, last_col, title, f.title)
    ws.merge_range(1, 0, 1, last_col, subtitle, f.subtitle)


def _sheet_head(
    ws: Any,
    f: _Formats,
    heads: list[str],
    widths: Sequence[float],
    title: str,
    subtitle: str,
    header_height: float,
) -> None:
    """Column widths, the two title rows and the header row (row 3) every printed table starts with."""
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    _title(ws, f, len(heads) - 1, title, subtitle)
    ws.set_row(2, header_height)
    for col, head in enumerate(heads):
        ws.write_string(2, col, head, f.head)


def _indicator_sheet(
    wb: Any,
    f: _Formats,
    c: Consolidation,
    paper: str,
    annual: bool,
    next_year: int,
    levels: dict[str, str] | None = None,
) -> None:
    ws = wb.add_worksheet("指标进度")
    heads = [
        "领域",
        "序号",
        "指标名称",
        "单位",
        "责任单位",
        "本年目标",
        "序时目标",
        "本期完成值",
        "完成率",
        "状态",
        "进展情况说明",
    ]
    widths = [9, 6, 34, 7, 14, 12, 10, 11, 9, 10, 46]
    if levels is not None:  # 督办: the level written as a word (蓝色提醒/黄色预警/红色督办), legible in grey
        heads.insert(10, "预警等级")
        widths.insert(10, 10)
    if annual:
        heads.insert(10, f"{next_year}年目标")
        widths.insert(10, 12)
    level_fills = {lv.value: fill for lv, fill in LEVEL_FILLS.items() if lv is not Level.NONE}
    last = len(heads) - 1
    _sheet_head(
        ws,
        f,
        heads,
        widths,
        f"{c.label}公共服务“七优享”工程指标进展情况表",
        f"状态按本年目标和时间进度判定；共 {len(c.indicators)} 项（含子项）。",
        30,
    )
    row = 3
    domains = [d for d in DOMAINS if c.rows_of(d)] + sorted({r.domain for r in c.indicators} - set(DOMAINS))
    blocks: list[tuple[str, list[int]]] = []
    for domain in domains:
        rows = c.rows_of(domain)
        blocks.append((domain, []))
        for r in rows:
            target = _text(r.target_text)
            if r.adjusted:
                target = f"原目标{_text(r.original_target_text)}\n调整后{target}"
            ws.write_string(row, 1, r.id, f.center)
            ws.write_string(row, 2, _text(r.name), f.left)
            ws.write_string(row, 3, _text(r.unit), f.center)
            ws.write_string(row, 4, _text(r.responsible_unit), f.center)
            ws.write_string(row, 5, target, f.center)
            _number_or_blank(ws, row, 6, expected_shown(r.id, r.expected, r.value), f)
            if r.value is not None:
                ws.write_number(row, 7, r.value, f.number)
            else:
                ws.write_string(
                    row, 7, _text(r.value_text) or ("—" if r.status is Status.NOT_REPORTED else ""), f.center
                )
            _number_or_blank(ws, row, 8, _num(r.completion, 1), f, f.percent)
            bold = r.status is Status.SEVERELY_LAGGING
            ws.write_string(row, 9, r.status.value, f.fill(STATUS_FILLS[r.status], bold))
            col = 10
            if annual:
                ws.write_string(row, col, _text(r.next_year_target), f.center)
                col += 1
            if levels is not None:
                word = levels.get(r.id, "")
                if word:
                    ws.write_string(
                        row, col, word, f.fill(level_fills.get(word, FILL_WHITE), word == Level.RED.value)
                    )
                else:
                    ws.write_blank(row, col, None, f.center)
                col += 1
            ws.write_string(row, col, _text(r.note), f.left)
            _fit_row(
                ws,
                row,
                [
                    (_text(r.name), widths[2]),
                    (_text(r.responsible_unit), widths[4]),
                    (target, widths[5]),
                    (_text(r.note), widths[col]),
                ],
            )
            blocks[-1][1].append(row)
            row += 1
    ws.freeze_panes(3, 3)
    ws.autofilter(2, 0, max(row - 1, 2), last)
    _page_setup(ws, paper, c.label, 2)
    _domain_cells(ws, f, blocks)


def _number_or_blank(ws: Any, row: int, col: int, x: float | None, f: _Formats, fmt: Any = None) -> None:
    if x is None:
        ws.write_blank(row, col, None, f.center)
    else:
        ws.write_number(row, col, x, fmt or f.number)


def _task_sheet(wb: Any, f: _Formats, c: Consolidation, paper: str) -> None:
    ws = wb.add_worksheet("重点任务")
    heads = ["领域", "序号", "重点任务", "牵头单位", "完成情况", "本期进展", "存在问题", "下步计划"]
    widths = [9, 6, 28, 14, 10, 44, 30, 34]
    _sheet_head(
        ws,
        f,
        heads,
        widths,
        f"{c.label}公共服务“七优享”工程重点任务推进情况表",
        f"共 {len(c.tasks)} 项重点任务；完成情况由专项组填报。",
        24,
    )
    row = 3
    blocks: list[tuple[str, list[int]]] = []
    for domain in [d for d in DOMAINS if any(t.domain == d for t in c.tasks)]:
        blocks.append((domain, []))
        for t in (t for t in c.tasks if t.domain == domain):
            state = t.state or "未报送"
            ws.write_number(row, 1, t.number, f.center)
            ws.write_string(row, 2, _text(t.title), f.left)
            ws.write_string(row, 3, _text(t.lead_unit), f.center)
            ws.write_string(
                row, 4, state, f.fill(TASK_FILLS.get(state, FILL_WHITE), state in ("滞后", "未启动"))
            )
            ws.write_string(row, 5, _text(t.progress), f.left)
            ws.write_string(row, 6, _text(t.problems), f.left)
            ws.write_string(row, 7, _text(t.next_steps), f.left)
            _fit_row(
                ws,
                row,
                [
                    (_text(t.title), widths[2]),
                    (_text(t.lead_unit), widths[3]),
                    (_text(t.progress), widths[5]),
                    (_text(t.problems), widths[6]),
                    (_text(t.next_steps), widths[7]),
                ],
            )
            blocks[-1][1].append(row)
            row += 1
    ws.freeze_panes(3, 3)
    _page_setup(ws, paper, c.label, 2)
    _domain_cells(ws, f, blocks)


def _project_sheet(wb: Any, f: _Formats, c: Consolidation, paper: str) -> None:
    ws = wb.add_worksheet("重大项目")
    heads = [
        "序号",
        "项目名称",
        "责任单位",
        "所属领域",
        "总投资（万元）",
        "本年计划投资（万元）",
        "本年累计完成（万元）",
        "完成率",
        "形象进度",
        "状态",
        "进度",
        "存在问题",
    ]
    widths = [6, 30, 14, 10, 12, 14, 14, 9, 24, 9, 9, 34]
    _sheet_head(
        ws,
        f,
        heads,
        widths,
        f"{c.label}公共服务“七优享”工程重大项目推进情况表",
        f"共 {len(c.projects)} 个项目；完成率 = 本年累计完成 ÷ 本年计划投资。",
        30,
    )
    for row, p in enumerate(c.projects, start=3):
        ws.write_number(row, 0, p.number, f.center)
        ws.write_string(row, 1, _text(p.name), f.left)
        ws.write_string(row, 2, _text(p.unit), f.center)
        ws.write_string(row, 3, _text(p.domain), f.center)
        _number_or_blank(ws, row, 4, _num(p.total_investment), f)
        _number_or_blank(ws, row, 5, _num(p.planned_this_year), f)
        _number_or_blank(ws, row, 6, _num(p.completed_this_year), f)
        _number_or_blank(ws, row, 7, _num(p.completion, 1), f, f.percent)
        ws.write_string(row, 8, _text(p.image_progress), f.left)
        ws.write_string(row, 9, _text(p.state), f.center)
        if p.behind:
            ws.write_string(row, 10, "滞后", f.fill(FILL_RED, True))
        else:
            ws.write_string(row, 10, "正常", f.fill(FILL_BLUE))
        ws.write_string(row, 11, _text(p.problems), f.left)
        _fit_row(
            ws,
            row,
            [
                (_text(p.name), widths[1]),
                (_text(p.unit), widths[2]),
                (_text(p.image_progress), widths[8]),
                (_text(p.problems), widths[11]),
            ],
        )
    ws.freeze_panes(3, 2)
    _page_setup(ws, paper, c.label, 2)


_DIMENSIONS = (("domain", "分领域"), ("group", "分专项组"), ("unit", "分责任单位"))


def _ranking_sheet(wb: Any, f: _Formats, c: Consolidation, paper: str) -> None:
    ws = wb.add_worksheet("晾晒")
    statuses = [s for s in STATUS_ORDER if s is not Status.NOT_APPLICABLE]
    heads = ["排名", "名称", *[s.value for s in statuses], "得分", "较上期"]
    widths = [7, 22, *[9] * len(statuses), 9, 10]
    last = len(heads) - 1
    _sheet_head(
        ws,
        f,
        heads,
        widths,
        f"{c.label}公共服务“七优享”工程晾晒情况",
        "得分为各指标状态分值的平均分（见使用说明）；排名相同者得分相同。",
        22,
    )
    row = 3

    for dimension, title in _DIMENSIONS:
        entries = c.ranking_of(dimension)
        if not entries:
            continue
        ws.merge_range(row, 0, row, last, title, f.section)
        row += 1
        for e in entries:
            if e.rank is None:
                ws.write_string(row, 0, "—", f.center)
            else:
                ws.write_number(row, 0, e.rank, f.center)
            ws.write_string(row, 1, _text(e.name), f.left)
            _fit_row(ws, row, [(_text(e.name), widths[1])])
            for k, s in enumerate(statuses, start=2):
                n = int(e.counts.get(s.value, 0))
                ws.write_number(row, k, n, f.fill(STATUS_FILLS[s]) if n else f.center)
            _number_or_blank(ws, row, last - 1, _num(e.score, 1), f)
            if e.rank_change:
                word = f"↑{e.rank_change}" if e.rank_change > 0 else f"↓{-e.rank_change}"
                ws.write_string(row, last, word, f.center)
            else:
                ws.write_string(row, last, "—" if e.rank_change is None else "持平", f.center)
            row += 1
    _page_setup(ws, paper, c.label, 2)


def _chart_sheet(wb: Any, f: _Formats, c: Consolidation, paper: str) -> None:
    ws = wb.add_worksheet("状态分布")
    domains, statuses, counts = status_matrix(c)
    ws.set_column(0, 0, 12)
    ws.set_column(1, len(statuses) + 1, 10)
    last = len(statuses) + 1
    _title(ws, f, max(last, 8), f"{c.label}各领域指标状态分布", "单位：项（含子项）。")
    ws.write_string(2, 0, "领域", f.head)
    for j, s in enumerate(statuses, start=1):
        ws.write_string(2, j, s.value, f.fill(STATUS_FILLS[s], True))
    ws.write_string(2, last, "合计", f.head)
    for i, domain in enumerate(domains, start=3):
        ws.write_string(i, 0, domain, f.center)
        for j, n in enumerate(counts[i - 3], start=1):
            ws.write_number(i, j, n, f.center)
        ws.write_number(i, last, sum(counts[i - 3]), f.center)
    end = 3 + len(domains) - 1
    if domains and statuses:
        chart = wb.add_chart({"type": "bar", "subtype": "stacked"})
        for j, s in enumerate(statuses, start=1):
            chart.add_series(
                {
                    "name": ["状态分布", 2, j],
                    "categories": ["状态分布", 3, 0, end, 0],
                    "values": ["状态分布", 3, j, end, j],
                    **xlsx_fill(s),
                    "border": {"color": "#" + LINE_DARK, "width": 0.5},
                    "gap": 60,
                    "data_labels": {
                        "value": True,
                        "num_format": "0;;;",
                        "font": {
                            "name": FONT,
                            "size": 9,
                            "color": "#FFFFFF" if s is Status.MET else "#000000",
                        },
                    },
                }
            )
        chart.set_title(
            {"name": f"{c.label}各领域指标状态分布", "name_font": {"name": TITLE_FONT, "size": 12}}
        )
        chart.set_y_axis({"reverse": True, "crossing": "max", "num_font": {"name": FONT, "size": 10}})
        chart.set_x_axis(
            {
                "name": "指标数（项）",
                "name_font": {"name": FONT, "size": 9},
                "major_unit": 1,
                "min": 0,
                "num_font": {"name": FONT, "size": 9},
                "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}},
            }
        )
        chart.set_legend({"position": "bottom", "font": {"name": FONT, "size": 10}})
        chart.set_size({"width": 760, "height": 420})
        ws.insert_chart(end + 2, 0, chart)
    _page_setup(ws, paper, c.label, 2)
    ws.fit_to_pages(1, 1)


def render_tables(
    consolidation: Consolidation,
    out: Path,
    *,
    paper: str = "A4",
    pdf: bool = False,
    levels: dict[str, str] | None = None,
) -> Path:
    """Write the period's printable progress tables (.xlsx) to ``out`` and return ``out``.

    ``levels`` (indicator id → 蓝色提醒/黄色预警/红色督办, :func:`qyx_excel.supervision.indicator_levels`)
    adds a 预警等级 column to the indicator table; without it (no store yet) there is none.

    ``paper`` is ``A4`` or ``A3`` (landscape, one page wide).  With ``pdf=True`` a PDF of the same
    name (``out`` with suffix ``.pdf``) is also made through LibreOffice; without LibreOffice this
    raises :class:`~qyx_excel.office.OfficeNotFound` (after the .xlsx was written).
    """
    import xlsxwriter

    paper = str(paper).strip().upper()
    if paper not in PAPERS:
        raise UsageError(f"纸张“{paper}”不支持，请选择 A4 或 A3。")
    out = Path(out)
    c = consolidation
    period = parse_period(c.period)
    annual = c.kind == "year"

    def build(tmp: Path, fit_heights: dict[str, int] | None = None) -> None:
        wb = xlsxwriter.Workbook(
            str(tmp), {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
        )
        wb.set_properties(
            {
                "title": f"{c.label}公共服务“七优享”工程进度表",
                "author": "qyx_excel",
                "comments": f"生成于 {c.generated_at}",
            }
        )
        f = _Formats(wb)
        _indicator_sheet(wb, f, c, paper, annual, period.year + 1, levels)
        _task_sheet(wb, f, c, paper)
        if c.projects:
            _project_sheet(wb, f, c, paper)
        _ranking_sheet(wb, f, c, paper)
        _chart_sheet(wb, f, c, paper)
        for name, pages in (fit_heights or {}).items():
            wb.get_worksheet_by_name(name).fit_to_pages(1, pages)
        wb.close()

    atomic_write(out, build, verify=_verify_xlsx)
    if pdf:
        _balanced_pdf(
            out,
            build,
            {
                "指标进度": f"{c.label}公共服务“七优享”工程指标进展情况表",
                "重点任务": f"{c.label}公共服务“七优享”工程重点任务推进情况表",
            },
        )
    return out


def _balanced_pdf(xlsx: Path, build: Any, titles: dict[str, str]) -> Path:
    """The PDF of ``xlsx`` through LibreOffice, without a near-empty last page on the long tables.

    “One page wide, as tall as needed” can leave a table's last page with a handful of rows.  The
    PDF is looked at (pdftotext): when a table's last page holds at most a quarter of the page
    before it (or seven rows), the table is fitted to one page fewer and the PDF made again from a
    copy built that way.  The .xlsx itself keeps “as tall as needed”: Excel lays columns out
    narrower than LibreOffice, so a page count measured here does not hold for Excel's printing.
    """
    import shutil
    import tempfile

    pdf = convert(xlsx, "pdf", xlsx.parent)
    pages = _pdf_pages(pdf)
    if not pages:  # poppler-utils not installed: keep the plain PDF
        return pdf
    fit: dict[str, int] = {}
    for sheet, title in titles.items():
        own = [text for text in pages if title in text.replace(" ", "")]
        if len(own) < 2:
            continue
        last, before = _table_rows(own[-1]), _table_rows(own[-2])
        if last <= max(7, before // 4):
            fit[sheet] = len(own) - 1
    if not fit:
        return pdf
    with tempfile.TemporaryDirectory(prefix="qyx-tables-") as tmp:
        copy = Path(tmp) / xlsx.name
        build(copy, fit)
        balanced = convert(copy, "pdf", Path(tmp))
        shutil.copyfile(balanced, pdf)
    return pdf


def _pdf_pages(pdf: Path) -> list[str]:
    """The text of every page (pdftotext -layout), or [] when poppler-utils is missing or fails."""
    import shutil
    import subprocess

    exe = shutil.which("pdftotext")
    if exe is None:
        return []
    try:
        done = subprocess.run(
            [exe, "-layout", str(pdf), "-"], capture_output=True, text=True, timeout=60, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return done.stdout.split("\f")


def _table_rows(page: str) -> int:
    """Rows of a 指标进度 or 重点任务 page: lines starting with a 领域 (written on every row)."""
    return sum(1 for line in page.splitlines() if line.strip().split(" ")[0] in DOMAINS)


def _verify_xlsx(path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(path) as zf:
        if "xl/workbook.xml" not in zf.namelist():
            raise ValueError("生成的工作簿缺少 xl/workbook.xml")
