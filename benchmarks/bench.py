"""Benchmark of the month's heavy paths, side by side with naive baselines in one run (issue 8).

Run it with ``scripts/bench`` (``--help`` for the options); results and how to read them are in
``docs/bench.md``.  It prints tables and never asserts anything; pytest never collects it.

What it does:

1. Generates a realistic month: the fill-in files of ``K`` counties × 9 groups.  A few seeds of a
   whole county's month are made the slow, honest way (``distribute`` + ``sample`` fills typed in
   with openpyxl); every county's file is then one of those with its values and text rewritten
   cell by cell in the sheet XML (numbers jittered, names, phones and progress text varied), so
   each file is a real distributed fill-in file with its own content.
2. Measures, each step in its own subprocess (peak RSS from ``os.wait4``), median of ``--runs``:
   ``check_paths`` in-process, a whole ``qyx check DIR --json`` process, ``qyx consolidate
   --inbox DIR`` over the same files, a naive openpyxl-default reader, and the unzip + expat
   floor; the button path (``qyx consolidate`` on a filled 9-sheet ledger) against a process that
   only imports pandas + openpyxl and opens the ledger; notice and tables rendering against
   ``python -c "import docxtpl"`` twice; and import costs (``-X importtime``).
"""

from __future__ import annotations

import argparse
import contextlib
import html
import io
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

PERIOD = "2024-03"
GROUP_COUNT = 9
VARIANTS = 3  # county months made the slow way (openpyxl fills with different seeds)
BASE_SEED = 20240
NAMES = (
    "王丽娟",
    "陈建国",
    "林晓燕",
    "张海峰",
    "黄振华",
    "郑雅琴",
    "周志强",
    "吴敏",
    "徐立新",
    "潘慧",
    "叶承志",
    "金晓东",
    "蔡雪梅",
    "李文斌",
    "朱佳怡",
    "杨帆",
    "胡慧杰",
    "何章树",
    "谢一鸣",
    "孙晓红",
)
PROGRESS_TAILS = (
    "本月召开专题推进会{n}次。",
    "已完成年度计划的{n}0%左右。",
    "本月开展督查{n}次，问题已交办。",
    "已落实资金{n}00万元。",
    "",
    "",
)


# ================================================================================================
# Children: each measured step runs in its own process and prints JSON on its standard output
# ================================================================================================


def _files(folder: str) -> list[Path]:
    return sorted(p for p in Path(folder).iterdir() if p.suffix == ".xlsx")


def child_check_lib(folder: str, period: str) -> dict:
    """``check_paths`` over the folder as ``qyx check`` calls it (findings only, no submissions kept),
    as a library call (interpreter start and imports excluded)."""
    from qyx_excel.checks import check_paths

    paths = _files(folder)
    start = time.perf_counter()
    results = check_paths(paths, period, keep_submissions=False)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "files": len(paths), "refused": sum(1 for r in results if not r.ok)}


def child_openpyxl(folder: str) -> dict:
    """What a hand-written script does: openpyxl's default loader, then the same cells read out."""
    from openpyxl import load_workbook

    paths = _files(folder)
    cells = 0
    start = time.perf_counter()
    for path in paths:
        wb = load_workbook(path)
        meta = {row[0]: row[1] for row in wb["_meta"].iter_rows(values_only=True) if row and row[0]}
        for row in wb[meta["group"]].iter_rows(values_only=True):
            cells += sum(1 for v in row if v is not None)
        wb.close()
    return {"seconds": time.perf_counter() - start, "files": len(paths), "cells": cells}


def child_floor(folder: str) -> dict:
    """The floor: unzip the XML the reader needs and parse it with expat, no typing at all.

    Parts: workbook.xml and its rels (to find the sheets), sharedStrings.xml when present, the
    group's sheet and ``_meta`` — the parts ``intake`` reads cells from.
    """
    import xml.parsers.expat

    def parse(data: bytes, start=None) -> None:
        parser = xml.parsers.expat.ParserCreate()
        if start is not None:
            parser.StartElementHandler = start
        parser.Parse(data, True)

    paths = _files(folder)
    start_time = time.perf_counter()
    for path in paths:
        with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as z:
            sheets: dict[str, str] = {}
            targets: dict[str, str] = {}

            def on_sheet(name: str, attrs: dict, sheets: dict = sheets) -> None:
                if name == "sheet":
                    sheets[attrs["name"]] = next(v for k, v in attrs.items() if k.endswith(":id"))

            def on_rel(name: str, attrs: dict, targets: dict = targets) -> None:
                if name == "Relationship":
                    targets[attrs["Id"]] = attrs["Target"]

            parse(z.read("xl/workbook.xml"), on_sheet)
            parse(z.read("xl/_rels/workbook.xml.rels"), on_rel)
            if "xl/sharedStrings.xml" in z.namelist():
                parse(z.read("xl/sharedStrings.xml"))
            for sheet, rid in sheets.items():
                if sheet == "_meta" or sheet in GROUP_NAMES:
                    target = targets[rid].lstrip("/")
                    parse(z.read(target if target.startswith("xl/") else "xl/" + target))
    return {"seconds": time.perf_counter() - start_time, "files": len(paths)}


def child_render(what: str, store: str, period: str, out: str) -> dict:
    """``render_notice`` / ``render_tables`` on a stored consolidation (first call: lazy imports included)."""
    from qyx_excel.consolidate import load_consolidation

    consolidation = load_consolidation(period, store=Path(store))
    if what == "notice":
        from qyx_excel.notice import render_notice as render
    else:
        from qyx_excel.tables import render_tables as render
    start = time.perf_counter()
    render(consolidation, Path(out))
    first = time.perf_counter() - start
    start = time.perf_counter()
    render(consolidation, Path(out))
    return {"seconds": first, "warm": time.perf_counter() - start}


#: One button click as the process xlwings' RunPython starts: a fresh Python that imports xlwings
#: (RunPython's own prelude does) and qyx_excel.buttons, then runs 汇总 on the open ledger — here the
#: remote engine's book made from the filled ledger's payload (tests/xlwings_harness.py builds it
#: once, outside the measured process, as the Office.js client would send it).  argv: payload
#: JSON, the workbook folder (ledger + 历史库), and "today" or "no-pandas": the latter makes pandas and
#: numpy unimportable, as on a PC where they are not installed (pandas is the extra "analysis" now,
#: and numpy is installed only as pandas' dependency: ``pip show numpy`` → Required-by: pandas).
CLICK = (
    "import os, sys, json, time\n"
    "t0 = time.perf_counter()\n"
    "if sys.argv[3] == 'no-pandas':\n"
    "    class _NoPandas:\n"
    "        def find_spec(self, name, path=None, target=None):\n"
    "            if name.split('.')[0] in ('pandas', 'numpy'): raise ImportError(name + ' is not installed')\n"
    "    sys.meta_path.insert(0, _NoPandas())\n"
    "os.environ['XLWINGS_LICENSE_KEY'] = 'noncommercial'\n"
    "os.environ['QYX_WORKBOOK_DIR'] = sys.argv[2]\n"
    "import xlwings as xw\n"
    "import qyx_excel.buttons as b\n"
    "t1 = time.perf_counter()\n"
    "with open(sys.argv[1], encoding='utf-8') as f: payload = json.load(f)\n"
    "book = xw.Book(json=payload); book.set_mock_caller()\n"
    "line = b.consolidate()\n"
    "json.dump({'seconds': time.perf_counter() - t0, 'imports': t1 - t0, 'ok': line is not None,\n"
    "           'pandas': 'pandas' in sys.modules, 'numpy': 'numpy' in sys.modules}, sys.stdout)\n"
)


def click(payload: Path, folder: Path, mode: str) -> list[str]:
    return [sys.executable, "-c", CLICK, str(payload), str(folder), mode]


def click_payload(ledger: Path, out: Path, period: str) -> Path:
    """The remote engine's payload of the filled ledger, opened at the 汇总 sheet with *period* typed in."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from xlwings_harness import book_payload

    from qyx_excel.cells import split_base1
    from qyx_excel.glossary import SHEET_SUMMARY
    from qyx_excel.layout import SUMMARY_INBOX_CELL, SUMMARY_PERIOD_CELL

    payload = book_payload(ledger, active_sheet=SHEET_SUMMARY)
    values = next(sh for sh in payload["sheets"] if sh["name"] == SHEET_SUMMARY)["values"]
    # the period typed in; the inbox cleared (all nine groups filled in the ledger itself)
    for cell, value in ((SUMMARY_PERIOD_CELL, period), (SUMMARY_INBOX_CELL, "")):
        row, col = split_base1(cell)
        width = max(col, *(len(r) for r in values))
        while len(values) < row:
            values.append([])
        for r in values:
            r.extend([""] * (width - len(r)))
        values[row - 1][col - 1] = value
    out.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    return out


def bench_click(root: Path, runs: int, period: str, *, pyc: bool) -> int:
    """``--click``: the button click process with pandas importable (today's) and without, interleaved."""
    global CHILD_ENV
    if pyc:
        CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        CHILD_ENV["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
    log("生成样例台账和历史库 …")
    ledger, history, _, _ = make_ledger(root, period)
    payload = click_payload(ledger, root / "payload.json", period)
    modes = ("today", "no-pandas")
    samples: dict[str, list[Sample]] = {m: [] for m in modes}
    log("预热 …")
    for mode in modes:
        folder = fresh_copy(ledger, history, root / "click")[0].parent
        run(click(payload, folder, mode))
    n = max(runs, 5)
    for r in range(n):
        for mode in modes:
            log(f"第 {r + 1}/{n} 轮：点击（{mode}）")
            folder = fresh_copy(ledger, history, root / "click")[0].parent
            sample = run(click(payload, folder, mode))
            if sample.rc != 0 or not sample.data.get("ok"):
                log(f"  失败（退出码 {sample.rc}）：{sample.stderr.strip()[-800:]}")
            samples[mode].append(sample)
    print(
        f"## One click of 汇总 (fresh process: import xlwings + qyx_excel.buttons, consolidate on the remote "
        f"engine; median of {n} runs)"
    )
    print(f"# python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    head = f"{'process':<58} {'wall s':>7} {'imports s':>10} {'peak MB':>8}"
    print(head)
    print("-" * len(head))
    labels = {
        "today": "today's: pandas installed (xlwings imports it)",
        "no-pandas": "now: pandas, numpy not installed (extra 'analysis')",
    }
    for mode in modes:
        got = samples[mode]
        imports = median([s.data.get("imports") for s in got])
        loaded = got[-1].data
        print(
            f"{labels[mode]:<58} {_fmt(_wall(got)):>7} {_fmt(imports):>10} {_fmt(_rss(got), 0):>8}"
            f"   pandas loaded: {loaded.get('pandas')}, numpy: {loaded.get('numpy')}"
        )
    ratio = _ratio(_wall(samples["no-pandas"]), _wall(samples["today"]))
    mark = "—" if ratio is None else ("MET" if ratio <= 0.6 else "MISSED")
    print(f"{mark:<7} click process ≤ 0.6 × today's: {_fmt(ratio)}×")
    return 0


GROUP_NAMES: frozenset[str] = frozenset()


def bench_units(root: Path, runs: int, period: str) -> int:
    """``--units``: single calls timed in this process, best of several (once timing asserts in tests).

    The figures the suite used to assert: the safe-open step on a small workbook (< 2 ms a file),
    intake reading one fill-in file (≥ 5× faster than ``openpyxl.load_workbook``), building the
    ledger (< 1 s), and refusing a 200 MB zip bomb from its zip directory (< 50 ms; the suite now
    checks that nothing is inflated instead).  A warm ``render_notice`` (< 1 s) is the full run's
    "render_notice 2nd call".
    """
    import openpyxl

    from qyx_excel import safeio
    from qyx_excel.distribute import distribute
    from qyx_excel.errors import UnreadableFile
    from qyx_excel.intake import read_file
    from qyx_excel.periods import parse_period
    from qyx_excel.workbook import build_workbook

    def best(fn, n: int) -> float:
        times = []
        for _ in range(max(1, n)):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return min(times)

    rows: list[tuple[str, float, str, bool]] = []
    small = root / "small.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "幼有善育"
    sheet.append(["序号", "指标名称", "本期完成值"])
    for i in range(1, 41):
        sheet.append([i, f"城乡居民基本养老保险参保率{i}", i * 1.5])
    book.save(small)
    safeio.open_check(small)
    per_file = best(lambda: [safeio.open_check(small) for _ in range(300)], runs) / 300
    rows.append(
        ("safeio.open_check, small workbook (ms a file)", per_file * 1000, "< 2 ms", per_file < 0.002)
    )

    bomb = root / "bomb.xlsx"
    with (
        zipfile.ZipFile(small) as zin,
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z,
    ):
        for info in zin.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                z.writestr(info.filename, zin.read(info))
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            zeros = b"\x00" * (1 << 20)
            for _ in range(200):
                part.write(zeros)

    def refuse() -> None:
        with contextlib.suppress(UnreadableFile):
            safeio.open_check(bomb)

    refused = best(refuse, runs)
    rows.append(
        ("safeio.open_check refusing a 200 MB zip bomb (ms)", refused * 1000, "< 50 ms", refused < 0.05)
    )

    fillin = distribute(period, root / "fillin", groups=("病有良医",))[0]
    read_file(fillin)
    ours = best(lambda: read_file(fillin), 30)
    theirs = best(lambda: openpyxl.load_workbook(fillin), 5)
    rows.append(
        (
            "intake.read_file, one fill-in file (ms)",
            ours * 1000,
            f"≥ 5× faster than openpyxl ({theirs * 1000:.1f} ms)",
            ours * 5 < theirs,
        )
    )

    year = parse_period(period).year
    built = best(lambda: build_workbook(root / "ledger" / "七优享台账.xlsm", year=year, backup=False), 2)
    rows.append(("workbook.build_workbook (s)", built, "< 1 s", built < 1.0))

    print(
        f"# qyx bench --units — {datetime.now():%Y-%m-%d %H:%M}, {platform.node() or 'host'}: nproc "
        f"{os.cpu_count()}, Python {platform.python_version()}; best of {max(1, runs)} (build: of 2, read: of 30)"
    )
    head = f"{'step':<52} {'figure':>9}  target"
    print(head)
    print("-" * len(head))
    for label, figure, target, ok in rows:
        print(f"{label:<52} {figure:>9.3f}  {target}: {'MET' if ok else 'MISSED'}")
    return 0


def run_child(argv: list[str]) -> int:
    global GROUP_NAMES
    from qyx_excel.glossary import GROUPS

    GROUP_NAMES = frozenset(GROUPS)
    kind, *rest = argv
    result = {
        "check-lib": child_check_lib,
        "openpyxl": child_openpyxl,
        "floor": child_floor,
        "render": child_render,
    }[kind](*rest)
    json.dump(result, sys.stdout)
    return 0


# ================================================================================================
# Running a measured process
# ================================================================================================


@dataclass
class Sample:
    wall: float  # seconds, process start to exit
    rss_mb: float | None  # peak resident set of that process alone
    rc: int
    data: dict = field(default_factory=dict)  # a child's JSON (inner timings)
    stderr: str = ""


#: A tiny launcher between the bench and each measured process.  A forked child starts with its
#: parent's resident set as its high-water mark (Linux copies it at fork and keeps it across exec),
#: so measuring straight from the bench would report the bench's own size for every small child.
#: The launcher is a bare interpreter (≈ 8 MB): it spawns the command, waits for it with
#: ``wait4`` and writes the command's own wall time, exit code and peak RSS (KiB) to a file.
LAUNCHER = (
    "import os,sys,time\n"
    "t=time.perf_counter();pid=os.posix_spawnp(sys.argv[2],sys.argv[2:],os.environ)\n"
    "_,s,r=os.wait4(pid,0);w=time.perf_counter()-t\n"
    "open(sys.argv[1],'w').write('%r %d %d'%(w,os.waitstatus_to_exitcode(s),r.ru_maxrss))\n"
)


#: Environment of the measured processes.  By default the bench drops PYTHONDONTWRITEBYTECODE and
#: gives them a byte-code cache in its work folder (PYTHONPYCACHEPREFIX), as a user's Python keeps
#: one; without it every process recompiles qyx_excel from source (an editable install ships no .pyc).
CHILD_ENV: dict[str, str] | None = None


def run(cmd: list[str]) -> Sample:
    """Run ``cmd`` to completion: its wall time and its own peak RSS, through :data:`LAUNCHER`."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile("r", suffix=".txt") as note,
    ):
        if hasattr(os, "wait4") and hasattr(os, "posix_spawnp"):
            subprocess.run(
                [sys.executable, "-I", "-S", "-c", LAUNCHER, note.name, *cmd],
                stdout=out,
                stderr=err,
                check=False,
                env=CHILD_ENV,
            )
            wall_text, rc_text, rss_text = note.read().split()
            wall, rc = float(wall_text), int(rc_text)
            rss: float | None = int(rss_text) / (1024 * 1024 if sys.platform == "darwin" else 1024)
        else:  # no wait4 here: time only
            start = time.perf_counter()
            rc = subprocess.run(cmd, stdout=out, stderr=err, check=False, env=CHILD_ENV).returncode
            wall, rss = time.perf_counter() - start, None
        out.seek(0)
        err.seek(0)
        raw, stderr = out.read(), err.read().decode("utf-8", "replace")
    data: dict = {}
    if raw.strip().startswith(b"{"):
        try:
            data = json.loads(raw)
        except ValueError:
            data = {}
    return Sample(wall, rss, rc, data, stderr)


def me(*args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "_child", *args]


def qyx(*args: str) -> list[str]:
    return [sys.executable, "-m", "qyx_excel", *args]


def median(values: list[float | None]) -> float | None:
    clean = [v for v in values if v is not None]
    return statistics.median(clean) if clean else None


# ================================================================================================
# Making the month
# ================================================================================================

_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_V = re.compile(rb"<v>([^<]*)</v>")
_T_ATTR = re.compile(rb'\s+t="[^"]*"')


@dataclass
class Base:
    """One filled county file of a group: its zip members and which cells may vary."""

    members: list[tuple[zipfile.ZipInfo, bytes]]
    sheet_part: str
    numbers: dict[str, tuple[bool, bool]]  # cell -> (percent, whole)
    names: list[str]  # 填报人 cell
    phones: list[str]
    progress: list[tuple[str, str]]  # cell, text as typed


def _sheet_part(z: zipfile.ZipFile, sheet: str) -> str:
    book = z.read("xl/workbook.xml").decode()
    rels = z.read("xl/_rels/workbook.xml.rels").decode()
    for tag in re.finditer(r"<(?:\w+:)?sheet\b([^>]*)/?>", book):
        attrs = dict(re.findall(r'([\w:]+)="([^"]*)"', tag.group(1)))
        if html.unescape(attrs.get("name", "")) == sheet:
            rid = next(v for k, v in attrs.items() if k.endswith(":id"))
            target = re.search(rf'Id="{rid}"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="{rid}"', rels)
            assert target is not None
            path = (target.group(1) or target.group(2)).lstrip("/")
            return path if path.startswith("xl/") else "xl/" + path
    raise KeyError(sheet)


def load_base(path: Path, group: str) -> Base:
    from qyx_excel import intake
    from qyx_excel.plan import load_plan

    plan = load_plan()
    sub = intake.read_file(path)[0]
    with zipfile.ZipFile(path) as z:
        members = [(info, z.read(info)) for info in z.infolist()]
        part = _sheet_part(z, group)
    numbers: dict[str, tuple[bool, bool]] = {}
    for entry in sub.indicators.values():
        try:
            unit = plan.indicator(entry.id).unit
        except Exception:  # a part id (27-1): its parent's unit
            unit = ""
        numbers[entry.value_cell] = (unit == "%", unit in ("个", "家", "人", "名"))
    for project in sub.projects:
        if project.cells.get("本年累计完成投资"):
            numbers[project.cells["本年累计完成投资"]] = (False, True)
    progress = [
        (t.cells["本期进展"], t.progress)
        for t in sub.tasks.values()
        if t.cells.get("本期进展") and t.progress
    ]
    progress += [
        (a.cells["本期进展"], a.progress) for a in sub.applications if a.cells.get("本期进展") and a.progress
    ]
    return Base(
        members,
        part,
        numbers,
        [c for k, c in sub.header_cells.items() if k == "填报人"],
        [c for k, c in sub.header_cells.items() if k == "联系电话"],
        progress,
    )


def _xml_text(text: str) -> bytes:
    return html.escape(text, quote=False).encode("utf-8")


def vary(base: Base, county: int, group_index: int) -> bytes:
    """The base file with this county's own numbers and words, rewritten cell by cell in the sheet XML."""
    rng = random.Random(f"{county}|{group_index}")
    texts: dict[bytes, str] = {}
    for cell in base.names:
        texts[cell.encode()] = NAMES[rng.randrange(len(NAMES))]
    for cell in base.phones:
        texts[cell.encode()] = f"0577-6{county:03d}{group_index}{rng.randrange(1000):03d}"
    for cell, text in base.progress:
        texts[cell.encode()] = text + PROGRESS_TAILS[rng.randrange(len(PROGRESS_TAILS))].format(
            n=rng.randint(1, 9)
        )
    numbers = {c.encode(): kind for c, kind in base.numbers.items()}

    def cell(match: re.Match) -> bytes:
        ref, attrs, body = match.group(1), match.group(2), match.group(3)
        if ref in texts:
            attrs = _T_ATTR.sub(b"", attrs)
            return b'<c r="%s"%s t="inlineStr"><is><t>%s</t></is></c>' % (ref, attrs, _xml_text(texts[ref]))
        if ref in numbers and body:
            found = _V.search(body)
            if found is None:
                return match.group(0)
            try:
                value = float(found.group(1))
            except ValueError:
                return match.group(0)
            percent, whole = numbers[ref]
            value *= rng.uniform(0.985, 1.015)
            if percent:
                value = min(value, 100.0)
            new = f"{round(value)}" if whole or abs(value) >= 1000 else f"{round(value, 2)}"
            return match.group(0).replace(found.group(0), b"<v>%s</v>" % new.encode())
        return match.group(0)

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in base.members:
            if info.filename == base.sheet_part:
                data = _CELL.sub(cell, data)
            z.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def make_month(root: Path, counties: int, period: str) -> tuple[Path, float]:
    """``counties`` × 9 fill-in files in ``root/all``; returns the folder and the seconds spent."""
    from qyx_excel.glossary import GROUPS
    from qyx_excel.sample import make_sample_month

    start = time.perf_counter()
    bases: list[list[Base]] = []
    for v in range(VARIANTS):
        folder = root / "base" / f"v{v}"
        broken = ("住有宜居",) if v == VARIANTS - 1 else ()  # one county in three sends a file with errors
        paths = make_sample_month(period, folder, late_groups=(), broken_groups=broken, seed=BASE_SEED + v)
        bases.append([load_base(p, g) for p, g in zip(paths, GROUPS, strict=True)])
    out = root / "all"
    out.mkdir(parents=True, exist_ok=True)
    received = datetime(int(period[:4]), int(period[5:7]) % 12 + 1, 1, 9).timestamp()
    for county in range(1, counties + 1):
        for g, group in enumerate(GROUPS):
            path = out / f"C{county:03d}_{period}_{group}.xlsx"
            path.write_bytes(vary(bases[county % VARIANTS][g], county, g))
            stamp = received + county * 600 + g * 60
            os.utime(path, (stamp, stamp))
    return out, time.perf_counter() - start


def subset(all_dir: Path, folder: Path, counties: int) -> Path:
    """The first ``counties`` counties' files, hard-linked (or copied) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted(all_dir.iterdir()):
        if int(path.name[1:4]) <= counties:
            try:
                os.link(path, folder / path.name)
            except OSError:
                shutil.copy2(path, folder / path.name)
    return folder


def make_ledger(root: Path, period: str) -> tuple[Path, Path, Path, float]:
    """A ledger whose 9 group sheets are filled, a history store (January …), and a consolidated store.

    Returns (ledger, history store, consolidated store, seconds).
    """
    from openpyxl import load_workbook

    from qyx_excel import intake
    from qyx_excel.consolidate import consolidate
    from qyx_excel.periods import parse_period
    from qyx_excel.sample import group_fill, make_history, type_into
    from qyx_excel.workbook import build_workbook

    start = time.perf_counter()
    month = parse_period(period)
    folder = root / "ledger"
    folder.mkdir(parents=True, exist_ok=True)
    ledger = build_workbook(folder / "七优享台账.xlsm", year=month.year, backup=False)
    subs = intake.read_file(ledger)
    wb = load_workbook(ledger, keep_vba=True)
    for sub in subs:
        fill = group_fill(sub.sheet, month, seed=BASE_SEED)
        type_into(wb[sub.sheet], sub, fill)
    wb.save(ledger)
    history = root / "history"
    make_history(period, history)
    done = root / "consolidated"
    shutil.copytree(history, done / "历史库")
    shutil.copy2(ledger, done / ledger.name)
    result = consolidate(period, done / ledger.name, store=done / "历史库")
    if not result.ok:
        print(f"注意：样例台账汇总有问题：{result.summary_text()}", file=sys.stderr)
    return ledger, history, done / "历史库", time.perf_counter() - start


_copies = 0


def fresh_copy(ledger: Path, history: Path, into: Path) -> tuple[Path, Path]:
    """A fresh copy of the ledger and its history store, so each run starts from the same state.

    Each copy gets a folder of its own (``into``-1, -2 …); earlier copies go when the bench ends.
    Deleting the previous run's store right before a run would time the file system instead of
    the store: ext4 then scans past thousands of just-deleted inodes for every file it creates
    (``recently_deleted`` in ``find_inode_bit``, seen with ``perf``): creating one archive file took
    0.5–0.8 ms of CPU instead of ≈ 0.05 ms.
    """
    global _copies
    _copies += 1
    into = into.with_name(f"{into.name}-{_copies}")
    into.mkdir(parents=True)
    shutil.copy2(ledger, into / ledger.name)
    shutil.copytree(history, into / "历史库")
    return into / ledger.name, into / "历史库"


# ================================================================================================
# Import costs
# ================================================================================================


def import_costs(
    cmd: list[str], top: int = 8
) -> tuple[float, list[tuple[str, float]], list[tuple[str, float]]]:
    """Import time of ``cmd`` from ``-X importtime``: total ms; the costliest imports made at top level
    (cumulative ms: the module and whatever it pulled in first); own time summed per package (ms)."""
    sample = run([cmd[0], "-X", "importtime", *cmd[1:]])
    entries: list[tuple[str, float]] = []
    own: dict[str, float] = {}
    total = 0.0
    for line in sample.stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        _, self_us, cumulative_us, name = re.split(r":|\|", line, maxsplit=3)
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2  # " name" at the top, two more spaces a level
        name = name.strip()
        root = name.split(".")[0]
        own[root] = own.get(root, 0.0) + float(self_us) / 1000
        if depth == 0:
            total += float(cumulative_us) / 1000
            entries.append((name, float(cumulative_us) / 1000))
    entries.sort(key=lambda kv: -kv[1])
    return total, entries[:top], sorted(own.items(), key=lambda kv: -kv[1])[:top]


# ================================================================================================
# The run
# ================================================================================================


def _fmt(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _ratio(num: float | None, den: float | None) -> float | None:
    return None if not num or not den else num / den


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_child"]:
        return run_child(argv[1:])
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scale",
        type=int,
        nargs="+",
        metavar="FILES",
        help="file counts to measure (multiples of 9; default 90 810)",
    )
    parser.add_argument("--full", action="store_true", help="also 2430 files (270 counties)")
    parser.add_argument("--runs", type=int, default=3, help="runs per step; the median is shown (default 3)")
    parser.add_argument("--period", default=PERIOD, help=f"month to generate (default {PERIOD})")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep the generated files")
    parser.add_argument("--no-inbox", action="store_true", help="skip qyx consolidate --inbox over the files")
    parser.add_argument(
        "--click",
        action="store_true",
        help="only the button click: a fresh process importing xlwings and running 汇总, "
        "with pandas installed (today's) and without",
    )
    parser.add_argument(
        "--units",
        action="store_true",
        help="only single calls timed in-process: open_check, read_file, build_workbook, a zip bomb refused",
    )
    parser.add_argument(
        "--no-pyc-cache",
        action="store_true",
        help="run the children with the environment as it is (no byte-code cache of their own)",
    )
    args = parser.parse_args(argv)
    scales = sorted(set(args.scale or [90, 810]) | ({2430} if args.full else set()))
    if any(s % GROUP_COUNT or s <= 0 for s in scales):
        parser.error("--scale: file counts must be positive multiples of 9")
    runs = max(1, args.runs)
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="qyx-bench-"))
    if args.keep and root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    try:
        if args.units:
            return bench_units(root, runs, args.period)
        if args.click:
            return bench_click(root, runs, args.period, pyc=not args.no_pyc_cache)
        return bench(root, scales, runs, args.period, inbox=not args.no_inbox, pyc=not args.no_pyc_cache)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


def bench(root: Path, scales: list[int], runs: int, period: str, *, inbox: bool, pyc: bool) -> int:
    global CHILD_ENV
    started = time.perf_counter()
    if pyc:  # a byte-code cache, as a user's Python keeps one (see CHILD_ENV)
        CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        CHILD_ENV["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
    log(f"生成样例：{max(scales)} 个填报表、台账和历史库 …")
    all_dir, gen_seconds = make_month(root, max(scales) // GROUP_COUNT, period)
    ledger, history, consolidated, ledger_seconds = make_ledger(root, period)
    folders = {s: subset(all_dir, root / f"month-{s}", s // GROUP_COUNT) for s in scales}

    def file_step(s: int, step: str) -> list[str]:
        folder = str(folders[s])
        if step == "check-lib":
            return me("check-lib", folder, period)
        if step == "check-cli":
            return qyx("check", folder, "--period", period, "--json")
        if step in ("openpyxl", "floor"):
            return me(step, folder)
        work_ledger, work_store = fresh_copy(ledger, history, root / "work")
        return qyx(
            "consolidate",
            "--period",
            period,
            "--ledger",
            str(work_ledger),
            "--inbox",
            folder,
            "--store",
            str(work_store),
            "--json",
        )

    def single_jobs() -> dict[str, list[str]]:
        work_ledger, work_store = fresh_copy(ledger, history, root / "work")
        return {
            "button": qyx(
                "consolidate",
                "--period",
                period,
                "--ledger",
                str(work_ledger),
                "--store",
                str(work_store),
                "--json",
            ),
            "button-baseline": [
                sys.executable,
                "-c",
                f"import pandas, openpyxl; openpyxl.load_workbook({str(ledger)!r})",
            ],
            "notice-call": me("render", "notice", str(consolidated), period, str(root / "通报.docx")),
            "notice-cli": qyx(
                "notice", "--period", period, "--store", str(consolidated), "--out", str(root / "通报2.docx")
            ),
            "tables-call": me("render", "tables", str(consolidated), period, str(root / "进度表.xlsx")),
            "tables-cli": qyx(
                "tables",
                "--period",
                period,
                "--store",
                str(consolidated),
                "--out",
                str(root / "进度表2.xlsx"),
            ),
            "import-docxtpl": [sys.executable, "-c", "import docxtpl"],
            "python": [sys.executable, "-c", "pass"],
        }

    def measured(name: str, cmd: list[str]) -> Sample:
        sample = run(cmd)
        if sample.rc not in (0, 1):
            log(f"  {name} 失败（退出码 {sample.rc}）：{sample.stderr.strip()[-800:]}")
        return sample

    steps = ["check-lib", "check-cli", "openpyxl", "floor"] + (["inbox"] if inbox else [])
    # one untimed round on the smallest month: page cache, byte-code cache, lazy imports
    log("预热 …")
    for step in steps:
        measured(step, file_step(scales[0], step))
    for name, cmd in single_jobs().items():
        measured(name, cmd)
    for p in all_dir.iterdir():
        p.read_bytes()

    # --- files: check, baselines, floor, consolidate --inbox (runs interleaved against drift) -----
    samples: dict[tuple[int, str], list[Sample]] = {}
    for r in range(runs):
        for s in scales:
            for step in steps:
                log(f"第 {r + 1}/{runs} 轮：{s} 个文件，{step}")
                samples.setdefault((s, step), []).append(measured(step, file_step(s, step)))

    # --- the button path, notice, tables ------------------------------------------------------
    single: dict[str, list[Sample]] = {}
    single_runs = max(runs, 5)  # short processes, noisier than the long ones: a few more runs, cheaply
    for r in range(single_runs):
        log(f"第 {r + 1}/{single_runs} 轮：汇总按钮、通报、进度表")
        for name, cmd in single_jobs().items():
            single.setdefault(name, []).append(measured(name, cmd))

    log("导入耗时（-X importtime）…")
    work_ledger, work_store = fresh_copy(ledger, history, root / "work")
    cli_imports = import_costs([sys.executable, "-c", "import qyx_excel.cli"])
    cons_imports = import_costs(
        qyx(
            "consolidate",
            "--period",
            period,
            "--ledger",
            str(work_ledger),
            "--store",
            str(work_store),
            "--json",
        )
    )
    elapsed = time.perf_counter() - started
    report(
        scales,
        runs,
        period,
        samples,
        single,
        steps,
        (gen_seconds, ledger_seconds, elapsed),
        cli_imports,
        cons_imports,
        pyc,
    )
    return 0


# ================================================================================================
# The report
# ================================================================================================


def _inner(samples: list[Sample]) -> float | None:
    return median([s.data.get("seconds") for s in samples])


def _wall(samples: list[Sample]) -> float | None:
    return median([s.wall for s in samples])


def _time(samples: list[Sample]) -> float | None:
    """Inner time when the child reports one, else the process wall time."""
    inner = _inner(samples)
    return inner if inner is not None else _wall(samples)


def _rss(samples: list[Sample]) -> float | None:
    return median([s.rss_mb for s in samples])


def report(scales, runs, period, samples, single, steps, seconds, cli_imports, cons_imports, pyc) -> None:
    gen_seconds, ledger_seconds, elapsed = seconds
    print(
        f"# qyx bench — {datetime.now():%Y-%m-%d %H:%M}, {platform.node() or 'host'}: nproc {os.cpu_count()}, "
        f"Python {platform.python_version()} ({platform.system()} {platform.machine()}), "
        f"period {period}, median of {runs} runs"
    )
    env = "own byte-code cache (PYTHONPYCACHEPREFIX)" if pyc else "environment as is"
    if not pyc and os.environ.get("PYTHONDONTWRITEBYTECODE"):
        env += ", PYTHONDONTWRITEBYTECODE set: every process compiles qyx_excel from source"
    print(f"# child processes: {env}")
    print(
        f"# setup: {max(scales)} fill-in files generated in {gen_seconds:.1f} s; filled ledger + history "
        f"in {ledger_seconds:.1f} s; whole bench {elapsed:.0f} s"
    )
    print()
    print("## Intake + check of the month's fill-in files")
    print(
        "inner = timed inside the process (imports excluded); process = whole process wall time, "
        "interpreter start included."
    )
    print(
        "×floor = inner time / floor inner time; speed-up = openpyxl time / this time "
        "(inner vs inner, process vs process)."
    )
    print()
    head = (
        f"{'files':>5}  {'step':<44} {'inner s':>8} {'ms/file':>8} {'process s':>9} {'peak MB':>8} "
        f"{'speed-up':>9} {'×floor':>7}"
    )
    print(head)
    print("-" * len(head))
    labels = {
        "check-lib": "check_paths (library call)",
        "check-cli": "qyx check DIR --json (process)",
        "inbox": "qyx consolidate --inbox DIR (process)",
        "openpyxl": "baseline: openpyxl load_workbook (default)",
        "floor": "floor: unzip + expat parse, no typing",
    }
    order = [s for s in ("check-lib", "check-cli", "inbox", "openpyxl", "floor") if s in steps]
    per_file: dict[tuple[int, str], float | None] = {}
    for s in scales:
        base_inner, base_wall = _inner(samples[(s, "openpyxl")]), _wall(samples[(s, "openpyxl")])
        floor_inner = _inner(samples[(s, "floor")])
        for step in order:
            got = samples[(s, step)]
            inner, wall = _inner(got), _wall(got)
            basis = inner if inner is not None else wall
            per_file[(s, step)] = basis / s * 1000 if basis else None
            if step in ("openpyxl", "floor"):
                speed = None
            elif inner is not None:
                speed = _ratio(base_inner, inner)
            else:
                speed = _ratio(base_wall, wall)
            floor = _ratio(inner, floor_inner) if inner is not None and step != "floor" else None
            print(
                f"{s:>5}  {labels[step]:<44} {_fmt(inner):>8} {_fmt(per_file[(s, step)]):>8} {_fmt(wall):>9} "
                f"{_fmt(_rss(got), 0):>8} {(_fmt(speed, 1) + '×') if speed else '':>9} "
                f"{(_fmt(floor, 1) + '×') if floor else '':>7}"
            )
        print()
    if len(scales) > 1:
        small, large = scales[0], scales[-1]
        print(
            f"Growth {small} → {large} files: marginal = (time at {large} − time at {small}) / {large - small} files; "
            "linear when the marginal cost per file is no more than the small run's cost per file"
        )
        for step in order:
            t_small, t_large = (_time(samples[(n, step)]) for n in (small, large))
            marginal = (t_large - t_small) / (large - small) * 1000 if t_small and t_large else None
            m = _ratio(_rss(samples[(large, step)]), _rss(samples[(small, step)]))
            print(
                f"  {labels[step]:<44} ms/file {_fmt(per_file[(small, step)])} → {_fmt(per_file[(large, step)])}"
                f", marginal {_fmt(marginal)}; peak memory {_fmt(_rss(samples[(small, step)]), 0)} → "
                f"{_fmt(_rss(samples[(large, step)]), 0)} MB (×{_fmt(m)})"
            )
        print()
    lib = samples[(scales[-1], "check-lib")][0].data
    cli = samples[(scales[-1], "check-cli")][0].data.get("files") or []
    print(
        f"Checked at {scales[-1]}: library {lib.get('files')} files, {lib.get('refused')} refused; "
        f"qyx check JSON {len(cli)} files, {sum(1 for f in cli if not f.get('ok'))} refused "
        "(one county in three sends a 住有宜居 file with errors)."
    )
    print()

    print(f"## The button path, notice and tables (median of {max(runs, 5)} runs)")
    head = f"{'step':<62} {'wall s':>7} {'inner s':>8} {'peak MB':>8}"
    print(head)
    print("-" * len(head))
    rows = [
        ("python -c pass (interpreter start alone)", "python"),
        ("qyx consolidate --ledger (9 filled sheets, + history; process)", "button"),
        ("baseline: import pandas, openpyxl; load_workbook(ledger)", "button-baseline"),
        ("render_notice (call; inner = 1st call, lazy imports incl.)", "notice-call"),
        ("qyx notice (process)", "notice-cli"),
        ("render_tables (call; inner = 1st call)", "tables-call"),
        ("qyx tables (process)", "tables-cli"),
        ("python -c 'import docxtpl' (process)", "import-docxtpl"),
    ]
    for label, key in rows:
        got = single[key]
        wall = "" if key.endswith("-call") else _fmt(_wall(got))  # that process loads, then renders twice
        print(f"{label:<62} {wall:>7} {_fmt(_inner(got)):>8} {_fmt(_rss(got), 0):>8}")
    warm = median([s.data.get("warm") for s in single["notice-call"]])
    print(
        f"(render_notice 2nd call in the same process: {_fmt(warm, 3)} s; render_tables 2nd call: "
        f"{_fmt(median([s.data.get('warm') for s in single['tables-call']]), 3)} s)"
    )
    print()

    print("## Targets")
    large = 810 if 810 in scales else scales[-1]
    lib, cli = samples[(large, "check-lib")], samples[(large, "check-cli")]
    base, floor = samples[(large, "openpyxl")], samples[(large, "floor")]
    verdicts = []

    def verdict(text: str, ok: bool | None, detail: str) -> None:
        mark = "—" if ok is None else ("MET" if ok else "MISSED")
        verdicts.append(f"{mark:<7} {text}: {detail}")

    sp_lib, sp_cli = _ratio(_inner(base), _inner(lib)), _ratio(_wall(base), _wall(cli))
    verdict(
        f"check {large} files ≥ 20× faster than openpyxl default",
        None if sp_lib is None else sp_lib >= 20,
        f"library {_fmt(sp_lib, 1)}×, whole process {_fmt(sp_cli, 1)}×",
    )
    fl = _ratio(_inner(lib), _inner(floor))
    verdict(
        f"check {large} files within 3× of the unzip+expat floor",
        None if fl is None else fl <= 3,
        f"{_fmt(fl, 1)}× the floor ({_fmt(per_file[(large, 'check-lib')])} vs "
        f"{_fmt(per_file[(large, 'floor')])} ms/file)",
    )
    if len(scales) > 1:
        small, big = scales[0], scales[-1]
        t_small, t_big = _time(samples[(small, "check-lib")]), _time(samples[(big, "check-lib")])
        marginal = (t_big - t_small) / (big - small) * 1000 if t_small and t_big else None
        verdict(
            f"check time linear in files ({small} → {big})",
            None if marginal is None else marginal <= per_file[(small, "check-lib")] * 1.1,
            f"{_fmt(per_file[(small, 'check-lib')])} ms/file at {small}, marginal {_fmt(marginal)} ms/file "
            f"up to {big}",
        )
        m = _ratio(_rss(samples[(scales[-1], "check-lib")]), _rss(samples[(scales[0], "check-lib")]))
        m2 = _ratio(_rss(samples[(scales[-1], "check-cli")]), _rss(samples[(scales[0], "check-cli")]))
        verdict(
            f"check peak memory flat ({scales[0]} → {scales[-1]})",
            None if m is None else m <= 1.2,
            f"library ×{_fmt(m)}, process ×{_fmt(m2)} "
            f"({_fmt(_rss(samples[(scales[0], 'check-lib')]), 0)} → "
            f"{_fmt(_rss(samples[(scales[-1], 'check-lib')]), 0)} MB)",
        )
    b, bb = _wall(single["button"]), _wall(single["button-baseline"])
    verdict(
        "button path ≤ baseline process wall time",
        None if not (b and bb) else b <= bb,
        f"{_fmt(b)} s vs {_fmt(bb)} s ({_fmt(_ratio(b, bb))}× the baseline)",
    )
    verdict("button path well under 2 s", None if b is None else b < 2, f"{_fmt(b)} s")
    two = 2 * (_wall(single["import-docxtpl"]) or 0)
    nc, nl = _inner(single["notice-call"]), _wall(single["notice-cli"])
    verdict(
        "notice rendering < importing docxtpl twice",
        None if nc is None else nc < two,
        f"render_notice {_fmt(nc)} s (1st call) vs 2 × import {_fmt(two)} s; whole qyx notice "
        f"process {_fmt(nl)} s ({_fmt(_ratio(nl, two))}×)",
    )
    for line in verdicts:
        print(line)
    print()

    print("## Import costs (python -X importtime, ms)")
    for title, (total, top, own) in (
        ("python -c 'import qyx_excel.cli'", cli_imports),
        ("qyx consolidate --ledger (the button path)", cons_imports),
    ):
        print(f"{title}: all imports {total:.0f} ms")
        print("    imported at top level (cumulative): " + ", ".join(f"{n} {ms:.0f}" for n, ms in top))
        print("    own time by package:               " + ", ".join(f"{n} {ms:.0f}" for n, ms in own))
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
