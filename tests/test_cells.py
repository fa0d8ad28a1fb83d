"""Cell addresses: the 1-based and 0-based forms name the same cells."""

from __future__ import annotations

from qyx_excel.cells import (
    a1_base0,
    a1_base1,
    column_base0,
    column_base1,
    letters_base0,
    letters_base1,
    split_base1,
)


def test_both_bases_name_the_same_cells():
    for col in (1, 26, 27, 52, 702, 703, 16384):
        letters = letters_base1(col)
        assert letters == letters_base0(col - 1)
        assert column_base1(letters) == col and column_base0(letters) == col - 1
        assert a1_base1(7, col) == a1_base0(6, col - 1) == f"{letters}7"
        assert split_base1(f"${letters}$7") == (7, col)
    assert (letters_base1(16384), letters_base1(703)) == ("XFD", "AAA")
