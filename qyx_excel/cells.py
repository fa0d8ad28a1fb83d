"""Cell addresses: column letters and A1 references, with the base in every name.

Two numberings meet in this package: Excel's own, counting rows and columns from 1 (the
layout, the workbook builder, the ledger writer, xlwings), and grid indexes counting from 0
(intake's rows-of-lists, chart series).  Each function says which it takes: ``…_base1``
counts from 1 (column 1 is ``A``), ``…_base0`` from 0 (column 0 is ``A``).

No third-party import: the buttons use this module on the Excel path.
"""

from __future__ import annotations

# 0-based lookup for the common case (A … ZZ); longer letters are computed
_LETTERS = [chr(65 + i) for i in range(26)] + [
    chr(65 + i) + chr(65 + j) for i in range(26) for j in range(26)
]


def letters_base1(col: int) -> str:
    """Column letters of a 1-based column number (1 → A, 27 → AA); ``""`` for 0 or less."""
    if 0 < col <= len(_LETTERS):
        return _LETTERS[col - 1]
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def letters_base0(col: int) -> str:
    """Column letters of a 0-based column index (0 → A, 26 → AA)."""
    return letters_base1(col + 1)


def column_base1(letters: str) -> int:
    """1-based column number of column letters (A → 1, AA → 27); case-insensitive."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def column_base0(letters: str) -> int:
    """0-based column index of column letters (A → 0, AA → 26); case-insensitive."""
    return column_base1(letters) - 1


def a1_base1(row: int, col: int) -> str:
    """A1 address of a 1-based (row, column): (1, 1) → ``A1``."""
    return f"{letters_base1(col)}{row}"


def a1_base0(row: int, col: int) -> str:
    """A1 address of a 0-based (row, column): (0, 0) → ``A1``."""
    return f"{letters_base1(col + 1)}{row + 1}"


def split_base1(address: str) -> tuple[int, int]:
    """1-based (row, column) of an A1 address such as ``"G7"`` → (7, 7); ``$`` signs allowed."""
    address = address.replace("$", "").upper()
    i = 0
    while i < len(address) and address[i].isalpha():
        i += 1
    return int(address[i:]), column_base1(address[:i])


__all__ = [
    "a1_base0",
    "a1_base1",
    "column_base0",
    "column_base1",
    "letters_base0",
    "letters_base1",
    "split_base1",
]
