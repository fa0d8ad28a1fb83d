"""The history store (历史库): a repository of every submission ever received and what was read out of it.

Layout of a store folder (default ``历史库`` next to the ledger)::

    历史库/
      archive/…                             the received bytes and their receipts (:mod:`.archive`)
      consolidations/<period>.json          each period's last consolidation
      supervision/…                         督办单 and 整改反馈 (slips and replies), as JSON
      qyx.sqlite                            an index of all of the above (SQLite, WAL)

The archive is the truth; the database can be thrown away and rebuilt from it
(:func:`.receive.rebuild_store`).  This module is the repository only: the schema, the commits
(a received file's rows all or nothing, see :meth:`Store.recording`) and the queries.  What is
recorded, and whether it is accepted, superseded or a duplicate, is the receive step's business
(:mod:`.receive`); the store neither reads workbooks nor checks them.

Both are written so that a run killed half-way and run again gives the same result and loses
nothing: the archive file and its receipt are written (temporary name, synced, renamed) before the
database rows; a file's rows are recorded all or nothing (a savepoint), committed with the files
received next to it (a group commit; the archive folders are synced first).
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import os
import shutil
import socket
import sqlite3
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .archive import ARCHIVE_DIR, Archive, Receipt
from .errors import Busy, UsageError
from .findings import ERROR, WARNING, Finding
from .model import Consolidation, Outcome, consolidation_from_json
from .periods import Period, parse_period
from .safeio import atomic_write_bytes, clean_stale_temps
from .submission import (
    ApplicationEntry,
    Prior,
    Submission,
    TaskEntry,
    build_record,
    canonical_json,
    indicator_from_json,
    project_from_json,
    submission_to_json,
)
from .values import Value

STORE_DIR_NAME = "历史库"
DB_NAME = "qyx.sqlite"
CONSOLIDATIONS_DIR = "consolidations"
SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files (
    sha256 TEXT PRIMARY KEY, file_name TEXT NOT NULL, ext TEXT NOT NULL, size INTEGER NOT NULL,
    source TEXT NOT NULL, period_hint TEXT, received_at TEXT NOT NULL, ingested_at TEXT NOT NULL,
    outcomes TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL, file_name TEXT NOT NULL, sheet TEXT NOT NULL,
    kind TEXT, "group" TEXT, period TEXT, period_end TEXT, received_at TEXT NOT NULL,
    accepted INTEGER NOT NULL, superseded_by INTEGER REFERENCES submissions(id),
    errors INTEGER NOT NULL, warnings INTEGER NOT NULL, content_hash TEXT NOT NULL,
    template_version TEXT, header TEXT, header_cells TEXT, source TEXT NOT NULL,
    UNIQUE (sha256, sheet));
CREATE INDEX IF NOT EXISTS submissions_group_period ON submissions ("group", period_end);
CREATE TABLE IF NOT EXISTS "values" (
    submission_id INTEGER NOT NULL REFERENCES submissions(id), indicator_id TEXT NOT NULL,
    row INTEGER, value REAL, value_kind TEXT NOT NULL, value_text TEXT, declared TEXT,
    percent_sign INTEGER NOT NULL DEFAULT 0, note TEXT, data_source TEXT, cell TEXT, entry TEXT NOT NULL,
    PRIMARY KEY (submission_id, indicator_id));
CREATE INDEX IF NOT EXISTS values_indicator ON "values" (indicator_id);
CREATE TABLE IF NOT EXISTS tasks (
    submission_id INTEGER NOT NULL REFERENCES submissions(id), task_id TEXT NOT NULL, row INTEGER,
    state TEXT, progress TEXT, problems TEXT, next_steps TEXT, state_cell TEXT, entry TEXT NOT NULL,
    PRIMARY KEY (submission_id, task_id));
CREATE TABLE IF NOT EXISTS projects (
    submission_id INTEGER NOT NULL REFERENCES submissions(id), position INTEGER NOT NULL,
    number INTEGER, row INTEGER, name TEXT, unit TEXT, domain TEXT, total_investment REAL,
    planned_this_year REAL, completed_this_year REAL, state TEXT, entry TEXT NOT NULL,
    PRIMARY KEY (submission_id, position));
CREATE TABLE IF NOT EXISTS applications (
    submission_id INTEGER NOT NULL REFERENCES submissions(id), position INTEGER NOT NULL,
    number INTEGER, row INTEGER, name TEXT, state TEXT, state_cell TEXT, entry TEXT NOT NULL,
    PRIMARY KEY (submission_id, position));
CREATE TABLE IF NOT EXISTS findings (
    sha256 TEXT NOT NULL, sheet TEXT NOT NULL, position INTEGER NOT NULL,
    submission_id INTEGER REFERENCES submissions(id), code TEXT NOT NULL, severity TEXT NOT NULL,
    message TEXT NOT NULL, file TEXT, sheet_name TEXT, cell TEXT, indicator TEXT,
    PRIMARY KEY (sha256, sheet, position));
CREATE TABLE IF NOT EXISTS consolidations (period TEXT PRIMARY KEY, json TEXT NOT NULL, created_at TEXT NOT NULL);
"""

SUPERVISION_DIR = "supervision"
_SUPERVISION_SCHEMA = """
CREATE TABLE IF NOT EXISTS slips (
    year INTEGER NOT NULL, number INTEGER NOT NULL, period TEXT NOT NULL, unit TEXT NOT NULL,
    issued_on TEXT NOT NULL, deadline TEXT NOT NULL, level TEXT NOT NULL, state TEXT NOT NULL, json TEXT NOT NULL,
    part INTEGER NOT NULL DEFAULT 1, PRIMARY KEY (year, number), UNIQUE (period, unit, part));
CREATE TABLE IF NOT EXISTS replies (
    sha256 TEXT PRIMARY KEY, year INTEGER NOT NULL, number INTEGER NOT NULL, file_name TEXT NOT NULL,
    received_at TEXT NOT NULL, recorded_at TEXT NOT NULL, json TEXT NOT NULL);
"""

#: Received files recorded per commit at most, and the longest a recorded file waits for its commit.
GROUP_FILES = 64
GROUP_SECONDS = 0.5

# Tables compared by tests and rebuilt by rebuild(); in dependency order.
TABLES: tuple[str, ...] = (
    "files",
    "submissions",
    "values",
    "tasks",
    "projects",
    "applications",
    "findings",
    "consolidations",
)


# ================================================================================================
# Records
# ================================================================================================


@dataclass(frozen=True)
class StoredSubmission:
    """One row of ``submissions``."""

    id: int
    sha256: str
    file_name: str
    sheet: str
    kind: str | None
    group: str | None
    period: str | None
    received_at: str
    accepted: bool
    superseded_by: int | None
    errors: int
    warnings: int
    source: str

    @property
    def current(self) -> bool:
        """Accepted and not replaced by a later submission."""
        return self.accepted and self.superseded_by is None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PriorValue:
    """An accepted value of an earlier period: where it came from and what it was."""

    indicator_id: str
    period: str
    value: float | None
    value_text: str
    submission_id: int
    file_name: str
    cell: str


@dataclass(frozen=True)
class Trace:
    """Where a consolidated figure came from."""

    period: str
    group: str
    indicator_id: str
    value: float | None
    value_text: str
    file_name: str
    sheet: str
    cell: str
    received_at: str
    submission_id: int
    sha256: str
    archive_path: Path

    @property
    def where(self) -> str:
        return f"{self.file_name} › {self.sheet}!{self.cell}"


# ================================================================================================
# The store
# ================================================================================================


def store_problem(exc: BaseException) -> str:
    """What went wrong with the store's database, and what to do, in the clerk's words."""
    text = str(exc).lower()
    if isinstance(exc, sqlite3.DatabaseError) and (
        "not a database" in text or "malformed" in text or "file is encrypted" in text
    ):
        return (
            f"数据库 {DB_NAME} 已损坏或不是历史库数据库。归档文件不受影响：请运行 qyx rebuild-store "
            "--store 历史库文件夹 从归档重建数据库（原数据库会保留）"
        )
    if "readonly" in text or "read-only" in text or isinstance(exc, PermissionError):
        return "历史库文件夹或数据库是只读的，没有写入权限；请检查文件夹权限，或把历史库复制到可写的位置后用 --store 指定"
    if "disk is full" in text or getattr(exc, "errno", None) == 28:
        return "磁盘空间不足；请清理磁盘后重试（已写入的归档和数据库不受影响）"
    if "locked" in text or "busy" in text:
        return "数据库正被其他程序占用；请稍后重试"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{type(exc).__name__}: {exc}"


#: Periods the office consolidated with ``--backfill`` (补录): a file beside the database, so that
#: ``rebuild-store`` (which re-creates the database only) keeps it.
BACKFILL_FILE = "补录填报期.json"


def default_store_dir(ledger: Path) -> Path:
    """The store folder used when none is given: ``历史库`` next to the ledger."""
    return Path(ledger).resolve().parent / STORE_DIR_NAME


def now_text(now: datetime | None = None) -> str:
    """A received/created time as stored: local time, ISO, seconds."""
    return (now or datetime.now()).replace(microsecond=0).isoformat()


def mtime_text(path: Path) -> str:
    """A file's modification time as a received time; never later than now (a file dated 2100 by a
    wrong clock would otherwise win over every later correction, and its group be flagged late)."""
    return datetime.fromtimestamp(min(path.stat().st_mtime, time.time())).replace(microsecond=0).isoformat()


#: The lock file of a store folder: held (an OS lock on it) for the whole of a consolidation or a rebuild.
LOCK_NAME = "qyx.lock"
#: How long a second run waits for the lock before it gives up with a message.
LOCK_WAIT_SECONDS = 5.0


@contextlib.contextmanager
def store_lock(root: str | Path, what: str = "汇总", *, wait: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """Hold the store's lock: one consolidation (ledger, store and outputs) or rebuild at a time.

    An OS lock on ``历史库/qyx.lock`` (``fcntl.flock`` / ``msvcrt.locking``), so a run that is killed
    or crashes leaves no stale lock: the system releases it with the process.  The file records who
    holds it (user, machine, process, since when, what); a second run waits up to ``wait`` seconds,
    then raises :class:`~qyx_excel.errors.Busy` naming them.  Temporary files of writes killed in an
    earlier run (``~qyx-…`` in the store's folders) are removed once the lock is held.
    """
    root = Path(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(root / LOCK_NAME, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as exc:
        raise UsageError(
            f"无法在历史库“{root}”中建立锁文件（{exc.strerror or exc}），历史库文件夹可能是只读的，请检查是否有写入权限。"
        ) from exc
    try:
        deadline = time.monotonic() + wait
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                holder = _lock_holder(fd)
                raise Busy(
                    f"历史库“{root}”正被另一次{holder.get('what', '汇总')}使用"
                    f"（{holder.get('user', '未知用户')} 在 {holder.get('host', '未知计算机')} 上，"
                    f"自 {holder.get('since', '未知时间')} 起，进程号 {holder.get('pid', '?')}），"
                    "请等它完成后再试；本次没有改动任何文件。"
                )
            time.sleep(0.2)
        try:
            user = getpass.getuser()
        except Exception:  # no user name in this environment
            user = "未知用户"
        info = {
            "what": what,
            "user": user,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "since": now_text(),
        }
        with contextlib.suppress(OSError):
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            os.write(fd, json.dumps(info, ensure_ascii=False).encode("utf-8"))
        for folder in (root, root / CONSOLIDATIONS_DIR, *sorted((root / ARCHIVE_DIR).glob("*"))):
            clean_stale_temps(folder)
        yield
    finally:
        with contextlib.suppress(OSError):
            _unlock(fd)
        os.close(fd)


_WIN_LOCK_AT = 1 << 20


def _try_lock(fd: int) -> bool:
    try:
        if sys.platform == "win32":
            import msvcrt

            os.lseek(fd, _WIN_LOCK_AT, os.SEEK_SET)  # past the holder's record, which stays readable
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, _WIN_LOCK_AT, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


def _lock_holder(fd: int) -> dict[str, Any]:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = json.loads(os.read(fd, 4096).decode("utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


_last_run_ns = 0


def run_stamp() -> str:
    """A strictly increasing stamp for one receiving run (real clock, nanoseconds)."""
    global _last_run_ns
    stamp = max(time.time_ns(), _last_run_ns + 1)
    _last_run_ns = stamp
    return f"{stamp:020d}"


class Store:
    """A history store folder. Use as a context manager, or call :meth:`close`."""

    def __init__(self, root: str | Path, *, db_name: str = DB_NAME) -> None:
        self.root = Path(root)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self.archive = Archive(self.root)
            self.db = sqlite3.connect(self.root / db_name, isolation_level=None, timeout=30)
        except (OSError, sqlite3.Error) as exc:
            raise UsageError(f"无法打开历史库“{self.root}”：{store_problem(exc)}") from exc
        try:
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            # NORMAL under WAL: a commit does not wait for the disk (the WAL is synced at checkpoints).  A
            # power cut may roll back the last commits, never corrupt; the archive (synced before the
            # commit) still holds those files, and the next run records them again (see recording()).
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute(
                "PRAGMA temp_store=MEMORY"
            )  # a received file's savepoint journal: small, in memory
            self.db.executescript(_SCHEMA)
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
        except sqlite3.Error as exc:
            self.db.close()
            raise UsageError(f"无法打开历史库“{self.root}”：{store_problem(exc)}") from exc
        self._priors: dict[tuple[str, str], Prior] = {}  # prior_for per (group, period), see prior()
        self._group_files = 0  # files recorded in the open transaction (see recording)
        self._group_started = 0.0

    # --- lifecycle -----------------------------------------------------------------------------

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self.db.close()

    def sync(self) -> None:
        """Make the archive folders' new entries durable (one folder sync per batch, not per file)."""
        self.archive.sync()

    def flush(self) -> None:
        """Commit the files recorded so far (after syncing the archive folders they were put in)."""
        self.sync()
        if self.db.in_transaction:
            self.db.execute("COMMIT")

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.close()
            return
        # already failing (a full disk, a locked output): closing must not replace that message
        with contextlib.suppress(Exception):
            self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.flush()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            self._priors.clear()  # they may have seen rows that are gone now
            raise
        self.db.execute("COMMIT")

    @contextlib.contextmanager
    def recording(self) -> Iterator[sqlite3.Connection]:
        """One received file's rows, all or nothing: a savepoint in a transaction shared by the files
        received in a row (committed every :data:`GROUP_FILES` files or :data:`GROUP_SECONDS`, and
        by :meth:`flush`, :meth:`close`, :meth:`transaction`).

        Fewer, larger commits write each database page once per group instead of once per file.
        A file's failure rolls back its own rows only and commits the files before it; a process
        killed outright loses the open group's rows, not their archived bytes, and the next run
        records those files again, in their first order (their receipts keep it).
        """
        if not self.db.in_transaction:
            self.db.execute("BEGIN IMMEDIATE")
            self._group_files, self._group_started = 0, time.monotonic()
        self.db.execute("SAVEPOINT received_file")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK TO received_file")
            self.db.execute("RELEASE received_file")
            self._priors.clear()  # they may have seen rows that are gone now
            self.flush()
            raise
        self.db.execute("RELEASE received_file")
        self._group_files += 1
        if self._group_files >= GROUP_FILES or time.monotonic() - self._group_started >= GROUP_SECONDS:
            self.flush()

    # --- back-filled periods (补录) -------------------------------------------------------------

    def backfill_periods(self) -> set[str]:
        """Period codes marked as back-filled (reports arriving late for them are 补录, not 逾期)."""
        path = self.root / BACKFILL_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return set()
        return {str(p) for p in data.get("periods", [])} if isinstance(data, dict) else set()

    def mark_backfill(self, period: Period | str) -> None:
        """Record ``period`` as back-filled (idempotent; written atomically)."""
        code = as_period(period).code
        periods = self.backfill_periods()
        if code in periods:
            return
        text = json.dumps({"periods": sorted(periods | {code})}, ensure_ascii=False, indent=1)
        tmp = self.root / (BACKFILL_FILE + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.root / BACKFILL_FILE)

    # --- the archive (:mod:`.archive`; kept here for callers that hold a store) ---------------------

    def archive_path(self, sha256: str, ext: str) -> Path:
        return self.archive.path(sha256, ext)

    def receipt_path(self, sha256: str) -> Path:
        return self.archive.receipt_path(sha256)

    def read_receipt(self, sha256: str) -> Receipt | None:
        return self.archive.read_receipt(sha256)

    def receipts(self, *, with_missing: bool = False) -> list[Receipt]:
        """Every receipt in the archive, in replay order (``with_missing``: also those whose file is gone)."""
        return self.archive.receipts(with_missing=with_missing)

    # --- recording a received file (the receive step decides what; see :mod:`.receive`) -----------

    def recorded_outcomes(self, sha256: str) -> list[Outcome] | None:
        """The outcomes of a file already recorded, or ``None`` when it is new."""
        row = self.db.execute("SELECT outcomes FROM files WHERE sha256 = ?", (sha256,)).fetchone()
        if row is None:
            return None
        return [Outcome.from_json(o) for o in json.loads(row["outcomes"])]

    def file_row(self, sha256: str) -> sqlite3.Row | None:
        """The ``files`` row of a recorded file, or ``None``."""
        return self.db.execute("SELECT * FROM files WHERE sha256 = ?", (sha256,)).fetchone()

    def record_file(self, receipt: Receipt, outcomes: Sequence[Outcome]) -> None:
        """Record a received file with what became of its sheets (the last row of its recording)."""
        self.db.execute(
            "INSERT INTO files VALUES (?,?,?,?,?,?,?,?,?)",
            (
                receipt.sha256,
                receipt.file_name,
                receipt.ext,
                receipt.size,
                receipt.source,
                receipt.period_hint,
                receipt.received_at,
                receipt.ingested_at,
                _SORTED_JSON.encode([o.to_json() for o in outcomes]),
            ),
        )

    def twin(self, group: str | None, period_code: str, content: str) -> int | None:
        """The first submission of (group, period) with this content hash, or ``None``."""
        row = self.db.execute(
            'SELECT id FROM submissions WHERE "group" IS ? AND period IS ? AND content_hash = ?'
            " ORDER BY id LIMIT 1",
            (group, period_code, content),
        ).fetchone()
        return None if row is None else int(row["id"])

    def insert_submission(
        self,
        receipt: Receipt,
        sub: Submission,
        group: str | None,
        period_code: str,
        accepted: bool,
        findings: list[Finding],
        content: str,
        payload: dict[str, Any] | None = None,
    ) -> int:
        """Record one submission's rows (values, tasks, projects, applications, findings); its id."""
        payload = payload or submission_to_json(sub)
        period_end = parse_period(period_code).end.code
        cur = self.db.execute(
            'INSERT INTO submissions (sha256, file_name, sheet, kind, "group", period, period_end, received_at,'
            " accepted, superseded_by, errors, warnings, content_hash, template_version, header, header_cells,"
            " source) VALUES (?,?,?,?,?,?,?,?,?,NULL,?,?,?,?,?,?,?)",
            (
                receipt.sha256,
                receipt.file_name,
                sub.sheet,
                sub.kind,
                group,
                period_code,
                period_end,
                receipt.received_at,
                int(accepted),
                sum(f.severity == ERROR for f in findings),
                sum(f.severity == WARNING for f in findings),
                content,
                sub.template_version,
                canonical_json(sub.header),
                canonical_json(sub.header_cells),
                receipt.source,
            ),
        )
        assert cur.lastrowid is not None  # an INSERT sets it
        sid = int(cur.lastrowid)
        self._forget_priors(group, period_code)
        self.db.executemany(
            'INSERT INTO "values" VALUES (?,?,?,?,?,?,?,?,?,?,?,?)',
            [
                (
                    sid,
                    e.id,
                    e.row,
                    e.value.number,
                    e.value.kind,
                    e.value.text,
                    e.value.declared.value if e.value.declared else None,
                    int(e.value.percent_sign),
                    e.note,
                    e.data_source,
                    e.value_cell,
                    canonical_json(payload["indicators"][k]),
                )
                for k, e in sub.indicators.items()
            ],
        )
        self.db.executemany(
            "INSERT INTO tasks VALUES (?,?,?,?,?,?,?,?,?)",
            [
                (
                    sid,
                    t.id,
                    t.row,
                    t.state,
                    t.progress,
                    t.problems,
                    t.next_steps,
                    t.state_cell,
                    canonical_json(payload["tasks"][k]),
                )
                for k, t in sub.tasks.items()
            ],
        )
        self.db.executemany(
            "INSERT INTO projects VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    sid,
                    i,
                    p.number,
                    p.row,
                    p.name,
                    p.unit,
                    p.domain,
                    _num(p.total_investment),
                    _num(p.planned_this_year),
                    _num(p.completed_this_year),
                    p.state,
                    canonical_json(payload["projects"][i]),
                )
                for i, p in enumerate(sub.projects)
            ],
        )
        self.db.executemany(
            "INSERT INTO applications VALUES (?,?,?,?,?,?,?,?)",
            [
                (
                    sid,
                    i,
                    a.number,
                    a.row,
                    a.name,
                    a.state,
                    a.state_cell,
                    canonical_json(payload["applications"][i]),
                )
                for i, a in enumerate(sub.applications)
            ],
        )
        self.insert_findings(receipt.sha256, sub.sheet, sid, findings)
        return sid

    def prior(self, group: str, period: Period) -> Prior:
        """:func:`prior_for`, kept per (group, period) while nothing that could change it is recorded.

        A prior looks only at months before ``period``; recording a submission of ``group`` for
        another period drops that group's kept priors.
        """
        key = (group, period.code)
        if key not in self._priors:
            self._priors[key] = prior_for(self, group, period)
        return self._priors[key]

    def _forget_priors(self, group: str | None, period_code: str) -> None:
        for key in [k for k in self._priors if k[0] == group and k[1] != period_code]:
            del self._priors[key]

    def insert_findings(self, sha: str, sheet: str, sid: int | None, findings: Sequence[Finding]) -> None:
        self.db.executemany(
            "INSERT INTO findings VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [
                (sha, sheet, i, sid, f.code, f.severity, f.message, f.file, f.sheet, f.cell, f.indicator)
                for i, f in enumerate(findings)
            ],
        )

    def resolve_supersession(self, group: str | None, period_code: str) -> None:
        """Point every submission of (group, period) received before the latest accepted one at it."""
        rows = self.db.execute(
            'SELECT id, accepted, superseded_by FROM submissions WHERE "group" IS ? AND period = ?'
            " ORDER BY received_at, file_name, id",
            (group, period_code),
        ).fetchall()
        accepted = [r for r in rows if r["accepted"]]
        if not accepted:
            return
        latest = accepted[-1]["id"]
        changes: dict[int | None, list[int]] = {latest: [], None: []}
        before = True
        for r in rows:
            if r["id"] == latest:
                before = False
            target = latest if before else None
            if r["superseded_by"] != target:  # only rows that change are written
                changes[target].append(r["id"])
        for target, ids in changes.items():
            for at in range(0, len(ids), 500):
                chunk = ids[at : at + 500]
                self.db.execute(
                    f"UPDATE submissions SET superseded_by = ? WHERE id IN ({','.join('?' * len(chunk))})",
                    (target, *chunk),
                )

    # --- queries -------------------------------------------------------------------------------

    def submission(self, submission_id: int) -> StoredSubmission:
        row = self.db.execute("SELECT * FROM submissions WHERE id = ?", (submission_id,)).fetchone()
        if row is None:
            raise KeyError(submission_id)
        return _stored(row)

    def submissions(
        self, period: str | Period | None = None, group: str | None = None
    ) -> list[StoredSubmission]:
        """Submissions recorded (all, or of a period and/or group), in received order."""
        sql, args = "SELECT * FROM submissions WHERE 1=1", []
        if period is not None:
            sql += " AND period = ?"
            args.append(as_period(period).code)
        if group is not None:
            sql += ' AND "group" = ?'
            args.append(group)
        sql += " ORDER BY received_at, file_name, id"
        return [_stored(r) for r in self.db.execute(sql, args)]

    def current(self, period: str | Period, group: str) -> StoredSubmission | None:
        """The accepted submission of a group for a period that nothing superseded."""
        row = self.db.execute(
            'SELECT * FROM submissions WHERE "group" = ? AND period = ? AND accepted = 1'
            " AND superseded_by IS NULL ORDER BY received_at DESC, file_name DESC, id DESC LIMIT 1",
            (group, as_period(period).code),
        ).fetchone()
        return _stored(row) if row else None

    def latest_in(self, period: Period | str, group: str) -> StoredSubmission | None:
        """For a quarter or a year: the current submission of the last month in it that has one."""
        period = as_period(period)
        months = [f"{period.year}-{m:02d}" for m in period.months]
        row = self.db.execute(
            'SELECT * FROM submissions WHERE "group" = ? AND accepted = 1 AND superseded_by IS NULL'
            f" AND period IN ({','.join('?' * len(months))}) ORDER BY period_end DESC LIMIT 1",
            (group, *months),
        ).fetchone()
        return _stored(row) if row else None

    def history(self, submission_id: int) -> list[StoredSubmission]:
        """Every submission of the same group and period as ``submission_id``, in received order."""
        this = self.submission(submission_id)
        return [
            _stored(r)
            for r in self.db.execute(
                'SELECT * FROM submissions WHERE "group" IS ? AND period IS ? ORDER BY received_at, file_name, id',
                (this.group, this.period),
            )
        ]

    def header(self, submission_id: int) -> dict[str, Any]:
        """A submission's header block as typed (填报单位 … 填报日期); ``TypeError`` when there is no
        such submission, ``ValueError`` when the stored text is damaged."""
        row = self.db.execute("SELECT header FROM submissions WHERE id = ?", (submission_id,)).fetchone()
        return json.loads(row["header"] or "{}")

    def findings(self, submission_id: int) -> list[Finding]:
        return [
            Finding(
                code=r["code"],
                severity=r["severity"],
                message=r["message"],
                file=r["file"],
                sheet=r["sheet_name"],
                cell=r["cell"],
                indicator=r["indicator"],
            )
            for r in self.db.execute(
                "SELECT * FROM findings WHERE submission_id = ? ORDER BY position", (submission_id,)
            )
        ]

    def load_submission(self, submission_id: int) -> Submission:
        """Rebuild the :class:`Submission` recorded under ``submission_id`` (values, tasks, rows)."""
        row = self.db.execute("SELECT * FROM submissions WHERE id = ?", (submission_id,)).fetchone()
        if row is None:
            raise KeyError(submission_id)
        sub = Submission(
            source=row["file_name"],
            sheet=row["sheet"],
            group=row["group"],
            period=row["period"],
            template_version=row["template_version"],
            kind=row["kind"] or "fill-in",
            sha256=row["sha256"],
            header=json.loads(row["header"] or "{}"),
            header_cells=json.loads(row["header_cells"] or "{}"),
        )
        for v in self.db.execute(
            'SELECT entry FROM "values" WHERE submission_id = ? ORDER BY rowid', (submission_id,)
        ):
            entry = indicator_from_json(json.loads(v["entry"]))
            sub.indicators[entry.id] = entry
        for t in self.db.execute(
            "SELECT entry FROM tasks WHERE submission_id = ? ORDER BY rowid", (submission_id,)
        ):
            entry = build_record(TaskEntry, json.loads(t["entry"]))
            sub.tasks[entry.id] = entry
        for p in self.db.execute(
            "SELECT entry FROM projects WHERE submission_id = ? ORDER BY position", (submission_id,)
        ):
            sub.projects.append(project_from_json(json.loads(p["entry"])))
        for a in self.db.execute(
            "SELECT entry FROM applications WHERE submission_id = ? ORDER BY position", (submission_id,)
        ):
            sub.applications.append(build_record(ApplicationEntry, json.loads(a["entry"])))
        return sub

    def last_values(self, group: str, before: Period | str, *, numeric: bool = True) -> dict[str, PriorValue]:
        """Per indicator, the last accepted value of ``group`` in a month before ``before`` starts.

        Only current (not superseded) submissions count. With ``numeric`` only numbers count, so
        a month left blank does not hide the last figure (the last cumulative total).
        """
        before = as_period(before)
        first_month = f"{before.year}-{before.months[0]:02d}"
        sql = (
            'SELECT v.indicator_id, v.value, v.value_text, v.cell, s.id, s.period, s.file_name FROM "values" v'
            ' JOIN submissions s ON s.id = v.submission_id WHERE s."group" = ? AND s.accepted = 1'
            " AND s.superseded_by IS NULL AND s.period_end < ?"
        )
        if numeric:
            sql += " AND v.value IS NOT NULL"
        sql += " ORDER BY s.period_end DESC, s.received_at DESC, s.id DESC"
        found: dict[str, PriorValue] = {}
        for r in self.db.execute(sql, (group, first_month)):
            if r["indicator_id"] not in found:
                found[r["indicator_id"]] = PriorValue(
                    r["indicator_id"],
                    r["period"],
                    r["value"],
                    r["value_text"] or "",
                    r["id"],
                    r["file_name"],
                    r["cell"] or "",
                )
        return found

    def values_of(self, period: Period | str, group: str) -> dict[str, PriorValue]:
        """The current accepted values of ``group`` for exactly ``period`` (a month), or {}."""
        period = as_period(period)
        current = self.current(period, group) if period.kind == "month" else self.latest_in(period, group)
        if current is None:
            return {}
        return {
            r["indicator_id"]: PriorValue(
                r["indicator_id"],
                current.period or "",
                r["value"],
                r["value_text"] or "",
                current.id,
                current.file_name,
                r["cell"] or "",
            )
            for r in self.db.execute('SELECT * FROM "values" WHERE submission_id = ?', (current.id,))
        }

    def year_end_values(self, year: int, group: str) -> dict[str, float]:
        """Numeric values of ``group`` accepted for December of ``year`` (previous_year_end)."""
        return {k: v.value for k, v in self.values_of(f"{year}-12", group).items() if v.value is not None}

    def restore(self, submission_id: int, out_dir: str | Path) -> Path:
        """Copy the archived file of a submission, byte for byte, into ``out_dir`` under its own name.

        The copy is checked against the recorded hash; an existing file of that name is kept and the
        copy gets a numbered name instead.
        """
        this = self.submission(submission_id)
        ext = self.db.execute("SELECT ext FROM files WHERE sha256 = ?", (this.sha256,)).fetchone()
        source = self.archive_path(this.sha256, ext["ext"] if ext else "xlsx")
        if not source.is_file():
            raise UsageError(
                f"历史库中找不到第 {submission_id} 号报送的归档文件（{source.name}），可用 qyx rebuild-store 检查。"
            )
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        name = (
            this.file_name
            if Path(this.file_name).suffix.lstrip(".") == source.suffix.lstrip(".")
            else f"{Path(this.file_name).stem}{source.suffix}"
        )
        target = out_dir / name
        n = 1
        while target.exists():
            target = out_dir / f"{Path(name).stem}（{n}）{Path(name).suffix}"
            n += 1
        shutil.copyfile(source, target)
        if hashlib.sha256(target.read_bytes()).hexdigest() != this.sha256:
            target.unlink()
            raise UsageError(f"第 {submission_id} 号报送的归档文件已损坏（校验值不符），请从备份恢复历史库。")
        return target

    def trace(self, period: Period | str, indicator_id: str, group: str) -> Trace | None:
        """The file and cell a consolidated figure of ``period`` came from."""
        period = as_period(period)
        current = self.current(period, group) if period.kind == "month" else self.latest_in(period, group)
        if current is None:
            return None
        row = self.db.execute(
            'SELECT * FROM "values" WHERE submission_id = ? AND indicator_id = ?',
            (current.id, str(indicator_id)),
        ).fetchone()
        if row is None:
            return None
        ext = self.db.execute("SELECT ext FROM files WHERE sha256 = ?", (current.sha256,)).fetchone()
        return Trace(
            period=current.period or period.code,
            group=group,
            indicator_id=str(indicator_id),
            value=row["value"],
            value_text=row["value_text"] or "",
            file_name=current.file_name,
            sheet=current.sheet,
            cell=row["cell"] or "",
            received_at=current.received_at,
            submission_id=current.id,
            sha256=current.sha256,
            archive_path=self.archive_path(current.sha256, ext["ext"] if ext else "xlsx"),
        )

    # --- consolidations ------------------------------------------------------------------------

    def save_consolidation(self, consolidation: Consolidation) -> None:
        """Keep the period's consolidation (archive JSON first, then the database)."""
        self.sync()  # the batch's archive entries are durable before its consolidation is
        text = json.dumps(consolidation.to_json(), ensure_ascii=False, sort_keys=True)
        atomic_write_bytes(
            self.root / CONSOLIDATIONS_DIR / f"{consolidation.period}.json",
            text.encode("utf-8"),
            backup=False,
        )
        self.index_consolidation(consolidation.period, text, consolidation.generated_at)

    def index_consolidation(self, period_code: str, text: str, created_at: str) -> None:
        """Index a consolidation's JSON text, as kept in ``consolidations/`` (one commit)."""
        with self.transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO consolidations VALUES (?,?,?)", (period_code, text, created_at)
            )

    def load_consolidation(self, period: Period | str) -> Consolidation | None:
        row = self.db.execute(
            "SELECT json FROM consolidations WHERE period = ?", (as_period(period).code,)
        ).fetchone()
        return consolidation_from_json(json.loads(row["json"])) if row else None

    def consolidated_periods(self) -> list[str]:
        return [r["period"] for r in self.db.execute("SELECT period FROM consolidations ORDER BY period")]

    # --- comparison (tests, rebuild) ------------------------------------------------------------

    def dump(self) -> dict[str, list[tuple]]:
        """Every table's rows, in a stable order (to compare two stores)."""
        out = {}
        for table in TABLES:
            rows = self.db.execute(f'SELECT * FROM "{table}" ORDER BY rowid').fetchall()
            out[table] = [tuple(r) for r in rows]
        return out

    # --- supervision: 督办单 (slips) and 整改反馈 (replies) ----------------------------------------
    # Each slip and reply is a JSON file under supervision/ (the truth, like the archive); the tables
    # are an index re-read from those files whenever they are found empty (e.g. after rebuild()).

    def _supervision(self) -> None:
        if getattr(self, "_supervision_ready", False):
            return
        self.flush()
        self.db.executescript(_SUPERVISION_SCHEMA)
        self._supervision_ready = True
        empty = self.db.execute("SELECT COUNT(*) FROM slips").fetchone()[0] == 0
        folder = self.root / SUPERVISION_DIR
        if empty and folder.is_dir():
            with self.transaction():
                for path in sorted((folder / "slips").glob("*.json")):
                    self._index_slip(json.loads(path.read_text(encoding="utf-8")))
                for path in sorted((folder / "replies").glob("*.reply.json")):
                    self._index_reply(json.loads(path.read_text(encoding="utf-8")))

    def _index_slip(self, slip: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO slips VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                slip["year"],
                slip["number"],
                slip["period"],
                slip["unit"],
                slip["issued_on"],
                slip["deadline"],
                slip["level"],
                slip["state"],
                json.dumps(slip, ensure_ascii=False, sort_keys=True),
                slip.get("part", 1),
            ),
        )

    def _index_reply(self, reply: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO replies VALUES (?,?,?,?,?,?,?)",
            (
                reply["sha256"],
                reply["year"],
                reply["number"],
                reply["file_name"],
                reply["received_at"],
                reply["recorded_at"],
                json.dumps(reply, ensure_ascii=False, sort_keys=True),
            ),
        )

    def save_slip(self, slip: dict[str, Any]) -> None:
        """Record a slip (JSON with year, number, period, unit, issued_on, deadline, level, state …)."""
        self._supervision()
        text = json.dumps(slip, ensure_ascii=False, sort_keys=True, indent=1)
        atomic_write_bytes(
            self.root / SUPERVISION_DIR / "slips" / f"{slip['year']}-{slip['number']:04d}.json",
            text.encode("utf-8"),
            backup=False,
        )
        with self.transaction():
            self._index_slip(slip)

    def slips(
        self, *, period: str | None = None, unit: str | None = None, year: int | None = None
    ) -> list[dict[str, Any]]:
        """Slips recorded (all, or of a period / unit / year), in number order."""
        self._supervision()
        sql, args = "SELECT json FROM slips WHERE 1=1", []
        for column, value in (("period", period), ("unit", unit), ("year", year)):
            if value is not None:
                sql += f" AND {column} = ?"
                args.append(value)
        return [json.loads(r["json"]) for r in self.db.execute(sql + " ORDER BY year, number", args)]

    def next_slip_number(self, year: int) -> int:
        """The next free number of ``year`` (numbers are never reused, withdrawn slips keep theirs)."""
        self._supervision()
        row = self.db.execute("SELECT MAX(number) FROM slips WHERE year = ?", (year,)).fetchone()
        return (row[0] or 0) + 1

    def save_reply(self, reply: dict[str, Any], data: bytes, ext: str) -> bool:
        """Keep a reply file's bytes and record it against its slip; False when these bytes were recorded."""
        self._supervision()
        sha = reply["sha256"]
        if self.db.execute("SELECT 1 FROM replies WHERE sha256 = ?", (sha,)).fetchone():
            return False
        folder = self.root / SUPERVISION_DIR / "replies"
        atomic_write_bytes(folder / f"{sha}.{ext}", data, backup=False)
        text = json.dumps(reply, ensure_ascii=False, sort_keys=True, indent=1)
        atomic_write_bytes(folder / f"{sha}.reply.json", text.encode("utf-8"), backup=False)
        with self.transaction():
            self._index_reply(reply)
        return True

    def replies(self, *, year: int | None = None, number: int | None = None) -> list[dict[str, Any]]:
        """Replies recorded (all, or to one slip), in received order."""
        self._supervision()
        sql, args = "SELECT json FROM replies WHERE 1=1", []
        if year is not None and number is not None:
            sql += " AND year = ? AND number = ?"
            args += [year, number]
        return [
            json.loads(r["json"]) for r in self.db.execute(sql + " ORDER BY received_at, file_name", args)
        ]

    def reply_path(self, sha256: str, ext: str) -> Path:
        return self.root / SUPERVISION_DIR / "replies" / f"{sha256}.{ext}"


# ================================================================================================
# Queries over several tables
# ================================================================================================


def prior_for(store: Store, group: str, period: Period) -> Prior:
    """The :class:`~.submission.Prior` of ``group`` before ``period``: last period's values, last
    totals, last year's December."""
    previous = period.previous()
    last = store.last_values(group, period)
    return Prior(
        period=previous.code,
        values={k: v.value for k, v in store.values_of(previous, group).items() if v.value is not None},
        cumulative={k: (v.value, v.period) for k, v in last.items() if v.value is not None},
        year_end=store.year_end_values(period.year - 1, group),
    )


# ================================================================================================
# Helpers
# ================================================================================================


def _num(value: Value | None) -> float | None:
    return value.number if value is not None else None


def as_period(period: Period | str) -> Period:
    return period if isinstance(period, Period) else parse_period(period)


def _stored(row: sqlite3.Row) -> StoredSubmission:
    return StoredSubmission(
        id=row["id"],
        sha256=row["sha256"],
        file_name=row["file_name"],
        sheet=row["sheet"],
        kind=row["kind"],
        group=row["group"],
        period=row["period"],
        received_at=row["received_at"],
        accepted=bool(row["accepted"]),
        superseded_by=row["superseded_by"],
        errors=row["errors"],
        warnings=row["warnings"],
        source=row["source"],
    )


#: One encoder, built once (``json.dumps`` with options builds a new encoder per call).
_SORTED_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)
