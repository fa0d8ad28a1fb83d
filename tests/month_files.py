"""Filled submissions and fill-in files of a group's month, made from conftest's ``blank`` (the
blank 2024-03 fill-in files from ``distribute`` and the submissions read from them)."""

from __future__ import annotations

import copy
import os
from datetime import datetime
from pathlib import Path

from qyx_excel.periods import parse_period
from qyx_excel.sample import fill_file, fill_submission, group_fill

MARCH = parse_period("2024-03")


def filled(blank, group: str, period: str = "2024-03", **kw):
    """A filled submission of ``group`` for ``period`` (no file)."""
    sub = copy.deepcopy(blank[group][1])
    sub.period = period
    sub.target_year = int(period[:4])  # a fill-in file of that period shows that year's targets
    sub.source = f"{period}_{group}.xlsx"
    return fill_submission(sub, group_fill(group, parse_period(period), **kw))


def filled_file(blank, group: str, folder: Path, *, mtime: datetime, name: str | None = None, **kw) -> Path:
    """A filled fill-in file of ``group`` (2024-03) with a fixed modification time."""
    target = folder / (name or blank[group][0].name)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(blank[group][0].read_bytes())
    fill_file(target, group, group_fill(group, MARCH, **kw))
    os.utime(target, (mtime.timestamp(), mtime.timestamp()))
    return target
