"""Build the supervision slip template (``templates/supervision_slip.docx``): one page, Jinja tags.

The package is the notice template's (:mod:`qyx_excel.notice_template`): the same GB/T 9704 page,
the same named paragraph styles (公文标题, 主送机关, 正文, 表头, 表格文字, 署名, 成文日期 …) and page
number footers, so a clerk who restyles one restyles the other the same way in Word (样式 pane).
Only ``word/document.xml`` differs: the slip's title, number, addressee, the table of matters,
办理要求, 反馈时限, 联系人, the issuer and the date.  The context is built by
:func:`qyx_excel.supervision.slip_context`.

Run ``python -m qyx_excel.slip_template templates/supervision_slip.docx`` to regenerate the file.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .notice_template import (
    _A,
    _R,
    _W,
    _WP,
    _XML,
    TEXT_WIDTH,
    _grid_head_row,
    _p,
    _sect_pr,
    _tag_row,
    pack_docx,
    template_parts,
)
from .safeio import atomic_write_bytes

#: Matter table columns: (header, width in twips, cell text, style id)
SLIP_COLUMNS: tuple[tuple[str, int, str, str], ...] = (
    ("序号", 560, "{{ m.index }}", "QyxTableText"),
    ("督办事项", 1800, "{{ m.name }}", "QyxTableTextLeft"),
    ("预警等级", 980, "{{ m.level }}", "QyxTableText"),
    ("滞后情况", 3105, "{{ m.situation }}", "QyxTableTextLeft"),
    ("单位说明", 2400, "{{ m.explanation }}", "QyxTableTextLeft"),
)
#: Table lines (5号, single spacing) the page leaves for the matters under the default styles; a slip
#: whose rows would need more is split (see :func:`qyx_excel.supervision.issue_slips`).
TABLE_LINES = 18


def chars_per_line(width: int) -> int:
    """Chinese characters of 5号 (10.5 pt = 210 twips) a cell of ``width`` twips holds per line, counted low."""
    return max((width - 114) // 230, 1)  # a little under the nominal 210: line-break rules, wide digits


assert sum(c[1] for c in SLIP_COLUMNS) == TEXT_WIDTH


def _table() -> str:
    grid, head, row = _grid_head_row(SLIP_COLUMNS)
    return (
        '<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="5000" w:type="pct"/><w:jc w:val="center"/>'
        '<w:tblLayout w:type="fixed"/><w:tblCellMar><w:left w:w="57" w:type="dxa"/><w:right w:w="57" w:type="dxa"/>'
        "</w:tblCellMar></w:tblPr>"
        f"<w:tblGrid>{grid}</w:tblGrid>{head}"
        f"{_tag_row('{%tr for m in matters %}')}{row}{_tag_row('{%tr endfor %}')}</w:tbl>"
    )


def document_xml() -> str:
    """``word/document.xml`` of the slip (tags: see :func:`qyx_excel.supervision.slip_context`)."""
    body = [
        _p("QyxTitle", "{{ title }}"),
        _p("QyxFigure", "{{ number }}"),
        _p("QyxRecipient", "{{ unit }}："),
        _p("Normal", "{{ intro }}"),
        _table(),
        _p("Normal", "办理要求：{{ requirement }}"),
        _p("Normal", "反馈时限：{{ deadline }}"),
        _p("Normal", "{%p if contact %}"),
        _p("Normal", "联系人：{{ contact }}"),
        _p("Normal", "{%p endif %}"),
        _p("QyxSigner", "{{ issuer }}"),
        _p("QyxDate", "{{ date }}"),
    ]
    return (
        f'{_XML}<w:document xmlns:w="{_W}" xmlns:r="{_R}" xmlns:wp="{_WP}" xmlns:a="{_A}">'
        f"<w:body>{''.join(body)}{_sect_pr()}</w:body></w:document>"
    )


def slip_template_parts() -> dict[str, str]:
    parts = dict(template_parts())
    parts["word/document.xml"] = document_xml()
    parts["docProps/core.xml"] = parts["docProps/core.xml"].replace(
        "公共服务“七优享”工程推进情况通报（模板）", "公共服务“七优享”工程督办单（模板）"
    )
    return parts


def build_slip_template() -> bytes:
    """The slip template .docx as bytes (deterministic: fixed timestamps)."""
    return pack_docx(slip_template_parts())


def write_slip_template(path: str | Path) -> Path:
    return atomic_write_bytes(Path(path), build_slip_template(), backup=False)


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    default = Path(__file__).resolve().parent.parent / "templates" / "supervision_slip.docx"
    write_slip_template(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
