"""Values as people type them: full-width digits, thousands separators, ``85%``, ``—`` for none.

Shared by the CLI (``--value``) and intake.  ``parse_value`` never guesses: text that is not a
number and not a known declaration word comes back as ``kind == "text"`` for a finding.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .glossary import NONE_MARKERS, Status
from .plan import load_plan

_FULL_WIDTH = str.maketrans(
    "０１２３４５６７８９．，－＋％　＜＞＝",
    "0123456789.,-+% <>=",
)
_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$|^[+-]?\.\d+$")
EXCEL_ERRORS = frozenset(
    {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!", "#GETTING_DATA"}
)

#: Words a group may write for a qualitative target (全覆盖, 开展试点 …) and the status they declare.
DECLARATIONS: dict[str, Status] = {
    "已完成": Status.MET,
    "已实现": Status.MET,
    "已达标": Status.MET,
    "全覆盖": Status.MET,
    "已全覆盖": Status.MET,
    "已开展": Status.MET,
    "推进中": Status.ON_TRACK,
    "序时推进": Status.ON_TRACK,
    "按序时推进": Status.ON_TRACK,
    "进行中": Status.ON_TRACK,
    "滞后": Status.LAGGING,
    "进度滞后": Status.LAGGING,
    "严重滞后": Status.SEVERELY_LAGGING,
    "未启动": Status.SEVERELY_LAGGING,
    "未开展": Status.SEVERELY_LAGGING,
}


@dataclass(frozen=True)
class Value:
    """A typed-in value. ``kind``: number, none (left empty or —), declared, error, text."""

    kind: str
    number: float | None = None
    text: str = ""
    declared: Status | None = None
    percent_sign: bool = False

    @property
    def is_number(self) -> bool:
        return self.kind == "number"


def normalise_text(text: str) -> str:
    """Full-width to half-width for digits and signs; trimmed."""
    return text.translate(_FULL_WIDTH).strip()


def parse_value(raw: object) -> Value:
    """Interpret a cell as typed. Numbers (int/float) pass through; text is read leniently."""
    if raw is None:
        return Value("none")
    if isinstance(raw, bool):
        return Value("text", text=str(raw))
    if isinstance(raw, (int, float)):
        number = float(raw)
        if math.isnan(number) or math.isinf(number):
            return Value("text", text=str(raw))
        return Value("number", number=number, text=_format(number))
    text = str(raw)
    cleaned = normalise_text(text)
    if not cleaned or cleaned in NONE_MARKERS:
        return Value("none", text=text.strip())
    if cleaned.upper() in EXCEL_ERRORS:
        return Value("error", text=cleaned.upper())
    if cleaned in DECLARATIONS:
        return Value("declared", text=cleaned, declared=DECLARATIONS[cleaned])
    compact = cleaned.replace(" ", "")
    percent = compact.endswith("%")
    if percent:
        compact = compact[:-1]
    if _NUMBER.match(compact):
        return Value("number", number=float(compact.replace(",", "")), text=cleaned, percent_sign=percent)
    return Value("text", text=text.strip())


def _format(number: float) -> str:
    return format_number(number)


def format_number(number: float | None, digits: int = 2) -> str:
    """Show a number the way the plan writes it: no trailing zeros, at most ``digits`` decimals."""
    if number is None:
        return ""
    if float(number).is_integer():
        return str(int(number))
    text = f"{number:.{digits}f}".rstrip("0").rstrip(".")
    return text


def format_beside(number: float | None, other: float | None, digits: int = 2, most: int = 4) -> str:
    """``number`` as :func:`format_number` shows it, with more decimals (up to ``most``) when that is
    needed to tell it from ``other`` — an expected value of 1.1133 beside a value of 1.11 must not
    both read "1.11"."""
    if number is None:
        return ""
    text = format_number(number, digits)
    if other is None:
        return text
    while digits < most and abs(number - other) > 1e-12 and text == format_number(other, digits):
        digits += 1
        text = format_number(number, digits)
    return text


# ------------------------------------------------------------------------------------------------
# Figures in prose and print (the notice, the print tables and the ledger share these)
# ------------------------------------------------------------------------------------------------

_DECIMALS = re.compile(r"\d+(?:\.(\d+))?")


def text_decimals(*texts: object) -> int:
    """The most decimals any number in ``texts`` is written with (``"81.85"`` -> 2, ``">95"`` -> 0)."""
    most = 0
    for text in texts:
        if text is None:
            continue
        for match in _DECIMALS.finditer(normalise_text(str(text))):
            most = max(most, len(match.group(1) or ""))
    return most


def figure_digits(plan_digits: int, *beside: float | None, most: int = 2) -> int:
    """Decimals to show a computed figure with: the plan's own precision for the indicator, or the
    precision of the typed figure shown beside it when that is finer, never more than ``most``
    (an expected 81.842 岁 beside 81.84 岁 reads 81.84 岁, as the plan writes 81.85)."""
    digits = plan_digits
    for x in beside:
        if x is not None:
            digits = max(digits, text_decimals(format_number(x, most)))
    return min(digits, most)


def format_figure(number: float | None, digits: int) -> str:
    """``number`` rounded to ``digits`` decimals, without trailing zeros ("" for None)."""
    if number is None:
        return ""
    return format_number(round(float(number), digits), digits)


#: Comparison signs of the plan's target texts and the words that say them in prose
#: (民法典 §1259: 以上/以下 include the bound, so the strict signs read 高于/低于).
SIGN_WORDS: dict[str, tuple[str, str]] = {
    ">=": ("不低于", ""),
    "≥": ("不低于", ""),
    "≧": ("不低于", ""),
    "<=": ("不高于", ""),
    "≤": ("不高于", ""),
    "≦": ("不高于", ""),
    ">": ("高于", ""),
    "<": ("低于", ""),
}
_SIGNED = re.compile(r"^(>=|<=|≥|≧|≤|≦|>|<)\s*(.+)$")


def target_words(text: str, unit: str = "") -> str:
    """A target text as prose: ``>95`` + ``%`` -> ``高于95%``, ``≥80`` -> ``不低于80%``,
    ``5.55`` + ``个`` -> ``5.55个``; words (全覆盖) stay as they are."""
    t = normalise_text(str(text or "")).replace("＞", ">").replace("＜", "<")
    if not t:
        return ""
    match = _SIGNED.match(t)
    if match:
        before, after = SIGN_WORDS[match.group(1)]
        body = match.group(2).strip()
        if body[-1:].isdigit() and unit:
            body += unit
        return f"{before}{body}{after}"
    if t[-1:].isdigit() and unit:
        return f"{t}{unit}"
    return t


def money_text(wan: float | None) -> str:
    """An amount held in 万元 as the office writes it: 亿元 from 1 亿 up (18.19亿元), else 万元."""
    if wan is None:
        return ""
    if abs(wan) >= 10000:
        return f"{format_number(round(wan / 10000, 2), 2)}亿元"
    return f"{format_number(round(wan, 2), 2)}万元"


def plan_precision(indicator_id: str) -> int:
    """The plan's precision for an indicator: the most decimals its baseline and targets are written
    with (人均预期寿命 81.85 -> 2, 失业率 <5 -> 1 from its 4.7 baseline); 2 for an unknown id."""

    try:
        ind = load_plan().indicator(indicator_id)
    except Exception:  # an indicator the plan does not know (a test or a later addition)
        return 2
    return text_decimals(*ind.targets.values())


def expected_shown(indicator_id: str, expected: float | None, value: float | None) -> float | None:
    """A computed expected (序时目标) figure rounded as the notice, the print tables and 汇总 show it:
    the plan's precision, or the typed value's when finer, at most two decimals."""
    if expected is None:
        return None
    return round(float(expected), figure_digits(plan_precision(indicator_id), value))
