"""The history store (历史库): every submission ever received, byte for byte, and what was read out of it.

Layout of a store folder (default ``历史库`` next to the ledger)::

    历史库/
      archive/<sha[:2]>/<sha>.<ext>         the received bytes (a fill-in file, a ledger, or a
                                            submission read from an open workbook, as JSON)
      archive/<sha[:2]>/<sha>.receipt.json  when and how it was received (file name, received time …)
      consolidations/<period>.json          each period's last consolidation
      qyx.sqlite                            an index of all of the above (SQLite, WAL)

The archive is the truth; the database can be thrown away and rebuilt from it (:func:`rebuild`).
Both are written so that a run killed half-way and run again gives the same result and loses
nothing: the archive file and its receipt are written (temporary name, synced, renamed) before the
database rows; a file's rows are recorded all or nothing (a savepoint), committed with the files
received next to it (a group commit; the archive folders are synced first); a re-run finds a
recorded file by its hash and skips it, and records again, in their first order, the files whose
rows a killed run had not committed yet.

Receiving a file (:meth:`Store.receive_file`) reads it with intake, checks each group sheet with
checks (``Prior`` = the last accepted values before the period, from this store) and records it:

* the same bytes twice are one submission (the file's sha256);
* a sheet whose content equals a submission already recorded for the same group and period is a
  duplicate (a ledger re-saved with new results but the same group data is not a new submission);
* a later submission of the same group and period supersedes the earlier: "later" is by received
  time (file modification time, or intake time for an open workbook), ties broken by file name;
  the earlier stays in history (``superseded_by`` points at the one that replaced it);
* a submission with errors is recorded as refused and never supersedes an accepted one.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import sqlite3
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from .errors import QyxError, UsageError
from .findings import ERROR, WARNING, Finding, make
from .glossary import GROUPS, Status
from .model import Consolidation, consolidation_from_json
from .periods import Period, parse_period
from .submission import (
    ApplicationEntry,
    IndicatorEntry,
    ProjectEntry,
    Submission,
    TaskEntry,
)
from .values import Value

STORE_DIR_NAME = "历史库"
DB_NAME = "qyx.sqlite"
ARCHIVE_DIR = "archive"
CONSOLIDATIONS_DIR = "consolidations"
RECEIPT_SUFFIX = ".receipt.json"
SCHEMA_VERSION = "1"

#: How a file came in: a mailed fill-in file in the inbox, the ledger's own group sheets, or cells of
#: the open workbook (button path, archived as the submission's JSON).
SOURCE_INBOX = "inbox"
SOURCE_LEDGER = "ledger"
SOURCE_WORKBOOK = "workbook"

#: Outcome of one sheet of a received file.
ACCEPTED = "accepted"
REFUSED = "refused"
DUPLICATE = "duplicate"  # same content as a submission already recorded for the group and period
IGNORED = "ignored"  # a ledger sheet left empty, or holding another period's data
UNREADABLE = "unreadable"  # the file as a whole could not be read

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
    "files", "submissions", "values", "tasks", "projects", "applications", "findings", "consolidations",
)


# ================================================================================================
# Records
# ================================================================================================


@dataclass(frozen=True)
class Receipt:
    """How a file came in; kept next to the archived bytes (``<sha>.receipt.json``).

    ``ingested_at`` orders replays (:func:`rebuild`): the run's start on the real clock, so the
    order in which files were first recorded is the order in which they are replayed.
    """

    sha256: str
    ext: str
    file_name: str
    size: int
    source: str
    received_at: str
    ingested_at: str
    period_hint: str | None = None
    adjustments: tuple[dict[str, Any], ...] = ()

    @property
    def order(self) -> tuple[str, str, str, str]:
        return (self.ingested_at, self.received_at, self.file_name, self.sha256)

    def to_json(self) -> dict[str, Any]:
        data = _fields_of(self)
        data["adjustments"] = list(self.adjustments)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Receipt:
        return cls(**{**data, "adjustments": tuple(data.get("adjustments") or ())})


@dataclass
class Outcome:
    """What became of one sheet (or of the whole file, ``sheet == ""``) when it was received."""

    file_name: str
    sha256: str
    sheet: str
    status: str  # accepted / refused / duplicate / ignored / unreadable
    group: str | None = None
    period: str | None = None
    submission_id: int | None = None
    received_at: str | None = None
    findings: list[Finding] = field(default_factory=list)
    note: str = ""  # why a sheet was ignored, in Chinese

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == WARNING)

    def to_json(self) -> dict[str, Any]:
        data = _fields_of(self)
        data["findings"] = [_finding_json(f) for f in self.findings]
        data["errors"] = self.errors
        data["warnings"] = self.warnings
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outcome:
        data = {k: v for k, v in data.items() if k not in ("errors", "warnings")}
        data["findings"] = [Finding(**f) for f in data.get("findings", [])]
        return cls(**data)


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


#: ``check(sub, period, expected_group, store, adjustments) -> findings`` — all findings about the
#: submission, those intake put on ``sub.findings`` included; see :func:`default_check`.
CheckFn = Callable[[Submission, Period, "str | None", "Store", dict], list[Finding]]


# ================================================================================================
# The store
# ================================================================================================


def store_problem(exc: BaseException) -> str:
    """What went wrong with the store's database, and what to do, in the clerk's words."""
    text = str(exc).lower()
    if isinstance(exc, sqlite3.DatabaseError) and ("not a database" in text or "malformed" in text
                                                    or "file is encrypted" in text):
        return (f"数据库 {DB_NAME} 已损坏或不是历史库数据库。归档文件不受影响：请运行 qyx rebuild-store "
                "--store 历史库文件夹 从归档重建数据库（原数据库会保留）")
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
    import getpass
    import socket

    from .errors import Busy
    from .safeio import clean_stale_temps

    root = Path(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(root / LOCK_NAME, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as exc:
        raise UsageError(f"无法在历史库“{root}”中建立锁文件（{exc.strerror or exc}），历史库文件夹可能是只读的，请检查是否有写入权限。") from exc
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
        info = {"what": what, "user": user, "host": socket.gethostname(), "pid": os.getpid(), "since": now_text()}
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
        if os.name == "nt":
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
    if os.name == "nt":
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
            (self.root / ARCHIVE_DIR).mkdir(exist_ok=True)
            self.db = sqlite3.connect(self.root / db_name, isolation_level=None, timeout=30)
        except (OSError, sqlite3.Error) as exc:
            raise UsageError(f"无法打开历史库“{self.root}”：{store_problem(exc)}") from exc
        try:
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            # NORMAL under WAL: a commit does not wait for the disk (the WAL is synced at checkpoints).  A
            # power cut may roll back the last commits, never corrupt; the archive (synced before the
            # commit) still holds those files, and the next run records them again (see _recording()).
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute("PRAGMA temp_store=MEMORY")  # a received file's savepoint journal: small, in memory
            self.db.executescript(_SCHEMA)
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
        except sqlite3.Error as exc:
            self.db.close()
            raise UsageError(f"无法打开历史库“{self.root}”：{store_problem(exc)}") from exc
        self._unsynced: set[Path] = set()  # archive folders whose new entries are not yet synced
        self._priors: dict[tuple[str, str], Any] = {}  # prior_for per (group, period), see prior()
        self._group_files = 0  # files recorded in the open transaction (see _recording)
        self._group_started = 0.0

    # --- lifecycle -----------------------------------------------------------------------------

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self.db.close()

    def sync(self) -> None:
        """Make the archive folders' new entries durable (one folder sync per batch, not per file)."""
        from .safeio import fsync_dir

        while self._unsynced:
            fsync_dir(self._unsynced.pop())

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
    def _recording(self) -> Iterator[sqlite3.Connection]:
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

    # --- the archive ---------------------------------------------------------------------------

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
        code = _as_period(period).code
        periods = self.backfill_periods()
        if code in periods:
            return
        text = json.dumps({"periods": sorted(periods | {code})}, ensure_ascii=False, indent=1)
        tmp = self.root / (BACKFILL_FILE + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.root / BACKFILL_FILE)

    def archive_path(self, sha256: str, ext: str) -> Path:
        return self.root / ARCHIVE_DIR / sha256[:2] / f"{sha256}.{ext}"

    def receipt_path(self, sha256: str) -> Path:
        return self.root / ARCHIVE_DIR / sha256[:2] / f"{sha256}{RECEIPT_SUFFIX}"

    def archive(self, data: bytes, receipt: Receipt) -> Receipt:
        """Write ``data`` and its receipt into the archive (atomically, once); return the receipt kept.

        A file already archived keeps its first receipt (the same bytes are one submission).  Both
        files are written to temporary names, synced to disk, then renamed into place, so they are
        on disk before the database rows that refer to them are committed; the folder entries are
        synced once per batch (:meth:`sync`, on :meth:`close`).
        """
        path = self.archive_path(receipt.sha256, receipt.ext)
        existing = self.read_receipt(receipt.sha256)
        pending: list[tuple[Path, bytes]] = []
        if not _has_size(path, len(data)):
            pending.append((path, data))
        if existing is None:
            text = json.dumps(receipt.to_json(), ensure_ascii=False, indent=1, sort_keys=True)
            pending.append((self.receipt_path(receipt.sha256), text.encode("utf-8")))
        if pending:
            self._write_durably(pending)
        return existing or receipt

    def _write_durably(self, items: list[tuple[Path, bytes]]) -> None:
        """Write each file under a temporary name, sync them all, then rename them in order."""
        from .safeio import temp_name

        written: list[tuple[Path, Path]] = []
        with contextlib.ExitStack() as open_files:
            try:
                handles = []
                for target, data in items:
                    folder = target.parent
                    if not folder.is_dir():
                        folder.mkdir(parents=True, exist_ok=True)
                        self._unsynced.add(folder.parent)
                    tmp = folder / temp_name(target.suffix)
                    fh = open_files.enter_context(open(tmp, "xb"))
                    written.append((tmp, target))
                    fh.write(data)
                    fh.flush()
                    handles.append(fh)
                for fh in handles:  # on disk before the rows that name them are committed
                    os.fsync(fh.fileno())
                open_files.close()
                for tmp, target in written:
                    os.replace(tmp, target)
                    self._unsynced.add(target.parent)
            except BaseException:
                open_files.close()
                for tmp, _ in written:
                    with contextlib.suppress(OSError):
                        tmp.unlink()
                raise

    def read_receipt(self, sha256: str) -> Receipt | None:
        path = self.receipt_path(sha256)
        try:
            return Receipt.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None

    def receipts(self, *, with_missing: bool = False) -> list[Receipt]:
        """Every receipt in the archive, in replay order (``with_missing``: also those whose file is gone)."""
        found = []
        for path in (self.root / ARCHIVE_DIR).glob(f"*/*{RECEIPT_SUFFIX}"):
            receipt = self.read_receipt(path.name[: -len(RECEIPT_SUFFIX)])
            if receipt is not None and (with_missing or self.archive_path(receipt.sha256, receipt.ext).is_file()):
                found.append(receipt)
        return sorted(found, key=lambda r: r.order)

    def _replay(self, receipt: Receipt, check: CheckFn | None) -> str | None:
        """Record an archived file again (rebuild); ``None`` when done, else why it was skipped."""
        path = self.archive_path(receipt.sha256, receipt.ext)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return "归档文件缺失"
        except OSError as exc:
            return f"归档文件无法读取（{exc.strerror or exc}）"
        if hashlib.sha256(data).hexdigest() != receipt.sha256:
            return "归档文件已损坏（校验值不符）"
        try:
            if receipt.ext == "json":
                subs, file_findings = [submission_from_json(json.loads(data))], []
            else:
                subs, file_findings = _read_workbook(path, receipt.file_name, data)
            self._ingest(receipt, data, subs, file_findings, check=check)
        except (QyxError, ValueError, KeyError, TypeError, sqlite3.Error) as exc:
            return f"无法重放（{exc.message if isinstance(exc, QyxError) else type(exc).__name__}）"
        return None

    # --- receiving -----------------------------------------------------------------------------

    def recorded_outcomes(self, sha256: str) -> list[Outcome] | None:
        """The outcomes of a file already recorded, or ``None`` when it is new."""
        row = self.db.execute("SELECT outcomes FROM files WHERE sha256 = ?", (sha256,)).fetchone()
        if row is None:
            return None
        return [Outcome.from_json(o) for o in json.loads(row["outcomes"])]

    def receive_file(
        self,
        path: str | Path,
        *,
        source: str = SOURCE_INBOX,
        period: Period | str,
        adjustments: dict | None = None,
        received_at: str | None = None,
        run: str | None = None,
        check: CheckFn | None = None,
        data: bytes | None = None,
    ) -> list[Outcome]:
        """Archive, read, check and record one received workbook; return one outcome per sheet.

        ``period`` is the period being consolidated (a ledger's sheets are read for it; a fill-in
        file is checked against its own period and recorded there). A file recorded before is not
        read again: its recorded outcomes come back.
        """
        from .errors import UnreadableFile
        from .safeio import display_name, read_received

        path = Path(path)
        period = _as_period(period)
        name = display_name(path.name)
        if data is None:
            try:  # size and kind checked before reading; an inbox symlink is never followed
                data = read_received(path, display=name, follow_symlinks=source != SOURCE_INBOX)
            except UnreadableFile as exc:
                finding = exc.finding or make("file-unreadable", file=name, detail=exc.message)
                return [Outcome(file_name=name, sha256="", sheet="", status=UNREADABLE, findings=[finding])]
        sha = hashlib.sha256(data).hexdigest()
        known = self.recorded_outcomes(sha)
        if known is not None:
            self._keep_archived(sha, data, adjustments)
            return [_copy_of(o, name) for o in known]
        receipt = self.read_receipt(sha) or Receipt(
            sha256=sha,
            ext=(display_name(path.suffix).lstrip(".").lower() or "bin"),
            file_name=name,
            size=len(data),
            source=source,
            received_at=received_at or mtime_text(path),
            ingested_at=run or run_stamp(),
            period_hint=period.code,
            adjustments=_adjustments_json(adjustments),
        )
        subs, file_findings = _read_workbook(path, receipt.file_name, data)
        return self._ingest(receipt, data, subs, file_findings, check=check)

    def receive_submission(
        self,
        sub: Submission,
        *,
        period: Period | str,
        adjustments: dict | None = None,
        received_at: str | None = None,
        run: str | None = None,
        check: CheckFn | None = None,
    ) -> list[Outcome]:
        """Archive (as JSON), check and record a submission read from cells (open workbook, tests)."""
        period = _as_period(period)
        payload = submission_to_json(sub)
        # key order kept (not sorted): a rebuild must read the rows back in the order they were recorded
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        sha = hashlib.sha256(data).hexdigest()
        known = self.recorded_outcomes(sha)
        if known is not None:
            self._keep_archived(sha, data, adjustments)
            return known
        receipt = self.read_receipt(sha) or Receipt(
            sha256=sha,
            ext="json",
            file_name=sub.file_name or sub.sheet,
            size=len(data),
            source=SOURCE_WORKBOOK,
            received_at=received_at or now_text(),
            ingested_at=run or run_stamp(),
            period_hint=period.code,
            adjustments=_adjustments_json(adjustments),
        )
        return self._ingest(receipt, data, [submission_from_json(json.loads(data))], [], check=check)

    def _keep_archived(self, sha: str, data: bytes, adjustments: dict | None) -> None:
        """A recorded file whose archive copy or receipt went missing (a power cut before the folder
        was synced) is archived again from the bytes received now."""
        row = self.db.execute("SELECT * FROM files WHERE sha256 = ?", (sha,)).fetchone()
        if row is None or (_has_size(self.archive_path(sha, row["ext"]), len(data))
                           and self.receipt_path(sha).is_file()):
            return
        self.archive(data, Receipt(
            sha256=sha, ext=row["ext"], file_name=row["file_name"], size=row["size"], source=row["source"],
            received_at=row["received_at"], ingested_at=row["ingested_at"], period_hint=row["period_hint"],
            adjustments=_adjustments_json(adjustments),
        ))

    def _ingest(
        self,
        receipt: Receipt,
        data: bytes,
        subs: list[Submission],
        file_findings: list[Finding],
        *,
        check: CheckFn | None,
    ) -> list[Outcome]:
        """Select, archive, check and record (one transaction) the sheets of one received file."""
        check = check or default_check
        hint = parse_period(receipt.period_hint) if receipt.period_hint else None
        adjustments = _adjustments_from_json(receipt.adjustments)
        for sub in subs:
            _relabel(sub, receipt.file_name)
        file_findings = _named(file_findings, receipt.file_name)

        selected: list[tuple[Submission, Period]] = []
        outcomes: list[Outcome] = []
        base = {"file_name": receipt.file_name, "sha256": receipt.sha256, "received_at": receipt.received_at}
        if not subs:
            fatal = [f for f in file_findings if f.severity == ERROR] or [
                make("file-unreadable", file=receipt.file_name, detail="文件中没有专项组工作表")
            ]
            outcomes.append(Outcome(**base, sheet="", status=UNREADABLE, findings=fatal))
        for sub in subs:
            # the ledger's own sheets, in a file or read from the open workbook's cells
            ledger_like = receipt.source == SOURCE_LEDGER or sub.kind in ("ledger", "workbook")
            if ledger_like and not has_data(sub):
                outcomes.append(Outcome(**base, sheet=sub.sheet, status=IGNORED, group=sub.group,
                                        period=sub.period, note="工作表未填写数据"))
                continue
            own = _own_period(sub)
            if ledger_like and own is not None and hint is not None and own.code != hint.code:
                outcomes.append(Outcome(**base, sheet=sub.sheet, status=IGNORED, group=sub.group,
                                        period=sub.period, note=f"工作表填报期为 {own.code}，不是 {hint.code}"))
                continue
            check_period = own if (own is not None and not ledger_like) else (hint or own)
            if check_period is None:
                raise UsageError(f"无法确定“{receipt.file_name}”的填报期。")
            selected.append((sub, check_period))

        if not selected and outcomes and all(o.status == IGNORED for o in outcomes):
            return outcomes  # an empty ledger is not a submission: nothing archived or recorded
        receipt = self.archive(data, receipt)

        warnings_for_file = [f for f in file_findings if f.severity != ERROR]
        # a mailed file's name says whose it is, as qyx check reads it: a file of one group mailed under
        # another's name, or a "ledger" carrying other groups' sheets, is refused (group-mismatch)
        named = group_in_name(receipt.file_name) if receipt.source == SOURCE_INBOX else None
        with self._recording():
            for sub, check_period in selected:
                expected_group = named or (sub.sheet if sub.sheet in GROUPS else None)
                findings = list(warnings_for_file) + list(check(sub, check_period, expected_group, self, adjustments))
                if sub.kind == "fill-in" and not has_data(sub):  # an untouched template replaces nothing
                    findings.append(make("submission-blank", file=receipt.file_name, sheet=sub.sheet or None))
                findings = _dedupe(_named(findings, receipt.file_name))
                group = sub.group or expected_group
                period_code = sub.period if own_valid(sub.period) else check_period.code
                accepted = not any(f.severity == ERROR for f in findings)
                payload = submission_to_json(sub)  # built once: hashed here, stored row by row below
                content = _content_hash(payload, group, period_code)
                twin = self.db.execute(
                    'SELECT id FROM submissions WHERE "group" IS ? AND period IS ? AND content_hash = ?'
                    " ORDER BY id LIMIT 1",
                    (group, period_code, content),
                ).fetchone()
                common = dict(base, sheet=sub.sheet, group=group, period=period_code, findings=findings)
                if twin is not None:
                    outcomes.append(Outcome(**common, status=DUPLICATE, submission_id=twin["id"],
                                            note="内容与已收到的填报相同"))
                    continue
                sid = self._insert(receipt, sub, group, period_code, accepted, findings, content, payload)
                self._resolve_supersession(group, period_code)
                outcomes.append(Outcome(**common, status=ACCEPTED if accepted else REFUSED, submission_id=sid))
            for o in outcomes:
                if o.status == UNREADABLE:
                    self._insert_findings(receipt.sha256, "", None, o.findings)
            self.db.execute(
                "INSERT INTO files VALUES (?,?,?,?,?,?,?,?,?)",
                (receipt.sha256, receipt.file_name, receipt.ext, receipt.size, receipt.source,
                 receipt.period_hint, receipt.received_at, receipt.ingested_at,
                 _SORTED_JSON.encode([o.to_json() for o in outcomes])),
            )
        return outcomes

    def _insert(
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
        payload = payload or submission_to_json(sub)
        period_end = parse_period(period_code).end.code
        cur = self.db.execute(
            'INSERT INTO submissions (sha256, file_name, sheet, kind, "group", period, period_end, received_at,'
            " accepted, superseded_by, errors, warnings, content_hash, template_version, header, header_cells,"
            " source) VALUES (?,?,?,?,?,?,?,?,?,NULL,?,?,?,?,?,?,?)",
            (receipt.sha256, receipt.file_name, sub.sheet, sub.kind, group, period_code, period_end,
             receipt.received_at, int(accepted), sum(f.severity == ERROR for f in findings),
             sum(f.severity == WARNING for f in findings), content, sub.template_version,
             _dump(sub.header), _dump(sub.header_cells), receipt.source),
        )
        sid = int(cur.lastrowid)
        self._forget_priors(group, period_code)
        self.db.executemany(
            'INSERT INTO "values" VALUES (?,?,?,?,?,?,?,?,?,?,?,?)',
            [
                (sid, e.id, e.row, e.value.number, e.value.kind, e.value.text,
                 e.value.declared.value if e.value.declared else None, int(e.value.percent_sign),
                 e.note, e.data_source, e.value_cell, _dump(payload["indicators"][k]))
                for k, e in sub.indicators.items()
            ],
        )
        self.db.executemany(
            "INSERT INTO tasks VALUES (?,?,?,?,?,?,?,?,?)",
            [
                (sid, t.id, t.row, t.state, t.progress, t.problems, t.next_steps, t.state_cell,
                 _dump(payload["tasks"][k]))
                for k, t in sub.tasks.items()
            ],
        )
        self.db.executemany(
            "INSERT INTO projects VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (sid, i, p.number, p.row, p.name, p.unit, p.domain, _num(p.total_investment),
                 _num(p.planned_this_year), _num(p.completed_this_year), p.state, _dump(payload["projects"][i]))
                for i, p in enumerate(sub.projects)
            ],
        )
        self.db.executemany(
            "INSERT INTO applications VALUES (?,?,?,?,?,?,?,?)",
            [
                (sid, i, a.number, a.row, a.name, a.state, a.state_cell, _dump(payload["applications"][i]))
                for i, a in enumerate(sub.applications)
            ],
        )
        self._insert_findings(receipt.sha256, sub.sheet, sid, findings)
        return sid

    def prior(self, group: str, period: Period) -> Any:
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

    def _insert_findings(self, sha: str, sheet: str, sid: int | None, findings: Sequence[Finding]) -> None:
        self.db.executemany(
            "INSERT INTO findings VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [
                (sha, sheet, i, sid, f.code, f.severity, f.message, f.file, f.sheet, f.cell, f.indicator)
                for i, f in enumerate(findings)
            ],
        )

    def _resolve_supersession(self, group: str | None, period_code: str) -> None:
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
                self.db.execute(f"UPDATE submissions SET superseded_by = ? WHERE id IN ({','.join('?' * len(chunk))})",
                                (target, *chunk))

    # --- queries -------------------------------------------------------------------------------

    def submission(self, submission_id: int) -> StoredSubmission:
        row = self.db.execute("SELECT * FROM submissions WHERE id = ?", (submission_id,)).fetchone()
        if row is None:
            raise KeyError(submission_id)
        return _stored(row)

    def submissions(self, period: str | Period | None = None, group: str | None = None) -> list[StoredSubmission]:
        """Submissions recorded (all, or of a period and/or group), in received order."""
        sql, args = "SELECT * FROM submissions WHERE 1=1", []
        if period is not None:
            sql += " AND period = ?"
            args.append(_as_period(period).code)
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
            (group, _as_period(period).code),
        ).fetchone()
        return _stored(row) if row else None

    def latest_in(self, period: Period | str, group: str) -> StoredSubmission | None:
        """For a quarter or a year: the current submission of the last month in it that has one."""
        period = _as_period(period)
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

    def findings(self, submission_id: int) -> list[Finding]:
        return [
            Finding(code=r["code"], severity=r["severity"], message=r["message"], file=r["file"],
                    sheet=r["sheet_name"], cell=r["cell"], indicator=r["indicator"])
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
        for v in self.db.execute('SELECT entry FROM "values" WHERE submission_id = ? ORDER BY rowid', (submission_id,)):
            entry = _indicator_from_json(json.loads(v["entry"]))
            sub.indicators[entry.id] = entry
        for t in self.db.execute("SELECT entry FROM tasks WHERE submission_id = ? ORDER BY rowid", (submission_id,)):
            entry = _build(TaskEntry, json.loads(t["entry"]))
            sub.tasks[entry.id] = entry
        for p in self.db.execute("SELECT entry FROM projects WHERE submission_id = ? ORDER BY position", (submission_id,)):
            sub.projects.append(_project_from_json(json.loads(p["entry"])))
        for a in self.db.execute(
            "SELECT entry FROM applications WHERE submission_id = ? ORDER BY position", (submission_id,)
        ):
            sub.applications.append(_build(ApplicationEntry, json.loads(a["entry"])))
        return sub

    def last_values(self, group: str, before: Period | str, *, numeric: bool = True) -> dict[str, PriorValue]:
        """Per indicator, the last accepted value of ``group`` in a month before ``before`` starts.

        Only current (not superseded) submissions count. With ``numeric`` only numbers count, so
        a month left blank does not hide the last figure (the last cumulative total).
        """
        before = _as_period(before)
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
                found[r["indicator_id"]] = PriorValue(r["indicator_id"], r["period"], r["value"],
                                                      r["value_text"] or "", r["id"], r["file_name"], r["cell"] or "")
        return found

    def values_of(self, period: Period | str, group: str) -> dict[str, PriorValue]:
        """The current accepted values of ``group`` for exactly ``period`` (a month), or {}."""
        period = _as_period(period)
        current = self.current(period, group) if period.kind == "month" else self.latest_in(period, group)
        if current is None:
            return {}
        return {
            r["indicator_id"]: PriorValue(r["indicator_id"], current.period or "", r["value"], r["value_text"] or "",
                                          current.id, current.file_name, r["cell"] or "")
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
        import hashlib
        import shutil

        this = self.submission(submission_id)
        ext = self.db.execute("SELECT ext FROM files WHERE sha256 = ?", (this.sha256,)).fetchone()
        source = self.archive_path(this.sha256, ext["ext"] if ext else "xlsx")
        if not source.is_file():
            raise UsageError(f"历史库中找不到第 {submission_id} 号报送的归档文件（{source.name}），可用 qyx rebuild-store 检查。")
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        name = this.file_name if Path(this.file_name).suffix.lstrip(".") == source.suffix.lstrip(".") \
            else f"{Path(this.file_name).stem}{source.suffix}"
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
        period = _as_period(period)
        current = self.current(period, group) if period.kind == "month" else self.latest_in(period, group)
        if current is None:
            return None
        row = self.db.execute(
            'SELECT * FROM "values" WHERE submission_id = ? AND indicator_id = ?', (current.id, str(indicator_id))
        ).fetchone()
        if row is None:
            return None
        ext = self.db.execute("SELECT ext FROM files WHERE sha256 = ?", (current.sha256,)).fetchone()
        return Trace(
            period=current.period or period.code, group=group, indicator_id=str(indicator_id), value=row["value"],
            value_text=row["value_text"] or "", file_name=current.file_name, sheet=current.sheet,
            cell=row["cell"] or "", received_at=current.received_at, submission_id=current.id,
            sha256=current.sha256, archive_path=self.archive_path(current.sha256, ext["ext"] if ext else "xlsx"),
        )

    # --- consolidations ------------------------------------------------------------------------

    def save_consolidation(self, consolidation: Consolidation) -> None:
        """Keep the period's consolidation (archive JSON first, then the database)."""
        from .safeio import atomic_write_bytes

        self.sync()  # the batch's archive entries are durable before its consolidation is
        text = json.dumps(consolidation.to_json(), ensure_ascii=False, sort_keys=True)
        atomic_write_bytes(self.root / CONSOLIDATIONS_DIR / f"{consolidation.period}.json",
                           text.encode("utf-8"), backup=False)
        with self.transaction():
            self.db.execute("INSERT OR REPLACE INTO consolidations VALUES (?,?,?)",
                            (consolidation.period, text, consolidation.generated_at))

    def load_consolidation(self, period: Period | str) -> Consolidation | None:
        row = self.db.execute("SELECT json FROM consolidations WHERE period = ?", (_as_period(period).code,)).fetchone()
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
            (slip["year"], slip["number"], slip["period"], slip["unit"], slip["issued_on"], slip["deadline"],
             slip["level"], slip["state"], json.dumps(slip, ensure_ascii=False, sort_keys=True), slip.get("part", 1)),
        )

    def _index_reply(self, reply: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO replies VALUES (?,?,?,?,?,?,?)",
            (reply["sha256"], reply["year"], reply["number"], reply["file_name"], reply["received_at"],
             reply["recorded_at"], json.dumps(reply, ensure_ascii=False, sort_keys=True)),
        )

    def save_slip(self, slip: dict[str, Any]) -> None:
        """Record a slip (JSON with year, number, period, unit, issued_on, deadline, level, state …)."""
        from .safeio import atomic_write_bytes

        self._supervision()
        text = json.dumps(slip, ensure_ascii=False, sort_keys=True, indent=1)
        atomic_write_bytes(self.root / SUPERVISION_DIR / "slips" / f"{slip['year']}-{slip['number']:04d}.json",
                           text.encode("utf-8"), backup=False)
        with self.transaction():
            self._index_slip(slip)

    def slips(self, *, period: str | None = None, unit: str | None = None,
              year: int | None = None) -> list[dict[str, Any]]:
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
        from .safeio import atomic_write_bytes

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
        return [json.loads(r["json"]) for r in self.db.execute(sql + " ORDER BY received_at, file_name", args)]

    def reply_path(self, sha256: str, ext: str) -> Path:
        return self.root / SUPERVISION_DIR / "replies" / f"{sha256}.{ext}"


# ================================================================================================
# Rebuild
# ================================================================================================


@dataclass
class RebuildReport:
    """What :func:`rebuild_store` did: files replayed, files skipped (name, why), the database kept aside."""

    replayed: int
    skipped: list[tuple[str, str]] = field(default_factory=list)
    previous: Path | None = None


def rebuild(store_dir: str | Path, *, check: CheckFn | None = None,
            progress: Callable[[int, int], None] | None = None) -> int:
    """:func:`rebuild_store`; returns the number of files replayed."""
    return rebuild_store(store_dir, check=check, progress=progress).replayed


def rebuild_store(store_dir: str | Path, *, check: CheckFn | None = None,
                  progress: Callable[[int, int], None] | None = None) -> RebuildReport:
    """Re-create ``qyx.sqlite`` from the archive (re-reading archived files with intake).

    Files are replayed in the order they were first received, so the database comes out as it
    was.  The new database is built beside the old one (``qyx.sqlite.new-<time>``) and swapped in
    only when the whole replay is done; the old one is kept as ``qyx.sqlite.old-<time>`` (every
    earlier one stays).  Each archived file is checked against its hash; a missing or damaged one,
    or one that cannot be replayed, is skipped and listed, never half-recorded.  Holds the store's
    lock (no consolidation meanwhile).
    """
    root = Path(store_dir)
    if not (root / ARCHIVE_DIR).is_dir():
        raise UsageError(f"“{root}”不是历史库文件夹（缺少 {ARCHIVE_DIR}）。")
    with store_lock(root, "重建历史库"):
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        for leftover in root.glob(f"{DB_NAME}.new-*"):  # an earlier rebuild that did not finish
            with contextlib.suppress(OSError):
                leftover.unlink()
        new_name = f"{DB_NAME}.new-{stamp}"
        skipped: list[tuple[str, str]] = []
        replayed = 0
        try:
            with Store(root, db_name=new_name) as store:
                receipts = store.receipts(with_missing=True)
                for done, receipt in enumerate(receipts, start=1):
                    why = store._replay(receipt, check)
                    if why is None:
                        replayed += 1
                    else:
                        skipped.append((receipt.file_name, why))
                    if progress:
                        progress(done, len(receipts))
                for path in sorted((root / CONSOLIDATIONS_DIR).glob("*.json")):
                    try:
                        text = path.read_text(encoding="utf-8")
                        data = json.loads(text)
                        with store.transaction():
                            store.db.execute("INSERT OR REPLACE INTO consolidations VALUES (?,?,?)",
                                             (data["period"], text, data["generated_at"]))
                    except (OSError, ValueError, KeyError, TypeError, sqlite3.Error) as exc:
                        skipped.append((path.name, f"汇总记录无法读取（{type(exc).__name__}）"))
        except BaseException:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(OSError):
                    (root / (new_name + suffix)).unlink()
            raise
        previous = None
        if (root / DB_NAME).exists():
            previous = root / f"{DB_NAME}.old-{stamp}"
            n = 2
            while previous.exists():
                previous = root / f"{DB_NAME}.old-{stamp}-{n}"
                n += 1
            for suffix in ("", "-wal", "-shm"):
                old = root / (DB_NAME + suffix)
                if old.exists():
                    os.replace(old, previous.with_name(previous.name + suffix))
        for suffix in ("-wal", "-shm", ""):
            built = root / (new_name + suffix)
            if built.exists():
                os.replace(built, root / (DB_NAME + suffix))
        from .safeio import fsync_dir

        fsync_dir(root)
        return RebuildReport(replayed, skipped, previous)


# ================================================================================================
# Reading and checking (intake and checks are called here, so rebuild replays exactly the same)
# ================================================================================================


def _read_workbook(path: Path, display: str, data: bytes | None = None) -> tuple[list[Submission], list[Finding]]:
    """Safe-open and read a workbook (``data``: its bytes, already read): its group submissions and
    file-level findings."""
    from . import sandbox

    try:
        subs = sandbox.read_file(path, display=display, data=data)
    except QyxError as exc:
        finding = exc.finding or make("file-unreadable", file=display, detail=exc.message)
        return [], [replace(finding, file=display)]
    return list(subs), []


def default_check(
    sub: Submission, period: Period, expected_group: str | None, store: Store, adjustments: dict
) -> list[Finding]:
    """``checks.check_submission`` with ``Prior`` built from the store's accepted history."""
    from . import checks
    from .plan import load_plan
    from .targets import load_rules

    group = sub.group or expected_group
    prior = store.prior(group, period) if group else None
    return list(
        checks.check_submission(
            sub, period=period, expected_group=expected_group, prior=prior, plan=load_plan(),
            adjustments=adjustments, rules=load_rules(),
        )
    )


def prior_for(store: Store, group: str, period: Period) -> Any:
    """The ``checks.Prior`` of ``group`` before ``period``: last period's values, last totals, year end."""
    from . import checks

    previous = period.previous()
    last = store.last_values(group, period)
    return checks.Prior(
        period=previous.code,
        values={k: v.value for k, v in store.values_of(previous, group).items() if v.value is not None},
        cumulative={k: (v.value, v.period) for k, v in last.items() if v.value is not None},
        year_end=store.year_end_values(period.year - 1, group),
    )


# ================================================================================================
# Helpers
# ================================================================================================


def has_data(sub: Submission) -> bool:
    """Whether a group sheet has anything filled in (values, notes, task or project or app rows)."""
    for e in sub.indicators.values():
        if e.value.kind != "none" or e.value.text or e.note or e.data_source:
            return True
    for t in sub.tasks.values():
        if t.state or t.progress or t.problems or t.next_steps:
            return True
    if any(p.name for p in sub.projects):
        return True
    return any(a.state or a.progress or a.problems for a in sub.applications)


def group_in_name(name: str) -> str | None:
    """The group a file's name claims (``2024-03_幼有善育.xlsx``), when it names exactly one."""
    stem = Path(name).stem
    named = [g for g in GROUPS if g in stem]
    return named[0] if len(named) == 1 else None


def content_hash(sub: Submission, group: str | None, period_code: str) -> str:
    """A fingerprint of what the group reported (not of the file that carried it)."""
    return _content_hash(submission_to_json(sub), group, period_code)


_NOT_CONTENT = frozenset({"source", "sha256", "kind", "findings", "template_version"})


def _content_hash(payload: dict[str, Any], group: str | None, period_code: str) -> str:
    """:func:`content_hash` of a submission already turned into JSON data (``payload`` is not changed)."""
    data = {k: v for k, v in payload.items() if k not in _NOT_CONTENT}
    data["group"], data["period"] = group, period_code
    return hashlib.sha256(_dump(data).encode("utf-8")).hexdigest()


def own_valid(code: str | None) -> bool:
    try:
        return code is not None and parse_period(code).kind == "month"
    except QyxError:
        return False


def _own_period(sub: Submission) -> Period | None:
    return parse_period(sub.period) if own_valid(sub.period) else None


def _copy_of(outcome: Outcome, file_name: str) -> Outcome:
    """A recorded outcome as seen through a byte-identical copy received under another name.

    The copy is named (so every file in the inbox is accounted for); an accepted file's copy is a
    duplicate, not a new submission; a refused or unreadable file's copy is refused again.
    """
    if outcome.file_name == file_name:
        return outcome
    note = f"同一文件已以“{outcome.file_name}”收到"
    findings = [replace(f, file=file_name) for f in outcome.findings]
    status = DUPLICATE if outcome.status == ACCEPTED else outcome.status
    return replace(outcome, file_name=file_name, status=status, findings=findings,
                   note=f"{note}；{outcome.note}" if outcome.note else note)


def _relabel(sub: Submission, file_name: str) -> None:
    """Findings and source name the file as received, not where it happens to sit now."""
    sub.source = file_name
    sub.findings = _named(sub.findings, file_name)


def _named(findings: Iterable[Finding], file_name: str) -> list[Finding]:
    """``findings`` naming ``file_name`` as their file."""
    return [f if f.file == file_name else replace(f, file=file_name) for f in findings]


def _has_size(path: Path, size: int) -> bool:
    """Whether ``path`` is a file of ``size`` bytes."""
    try:
        st = path.stat()
    except OSError:
        return False
    return st.st_size == size and stat.S_ISREG(st.st_mode)


def _dedupe(findings: Iterable[Finding]) -> list[Finding]:
    seen, out = set(), []
    for f in findings:
        key = (f.code, f.sheet, f.cell, f.indicator, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _as_period(period: Period | str) -> Period:
    return period if isinstance(period, Period) else parse_period(period)


def _stored(row: sqlite3.Row) -> StoredSubmission:
    return StoredSubmission(
        id=row["id"], sha256=row["sha256"], file_name=row["file_name"], sheet=row["sheet"], kind=row["kind"],
        group=row["group"], period=row["period"], received_at=row["received_at"], accepted=bool(row["accepted"]),
        superseded_by=row["superseded_by"], errors=row["errors"], warnings=row["warnings"], source=row["source"],
    )


#: One encoder each, built once (``json.dumps`` with options builds a new encoder per call).
_SORTED_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)
_dump = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str).encode


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _fields_of(obj: Any) -> dict[str, Any]:
    """``dataclasses.asdict`` for our record types, without its deep copy: dicts and lists one level
    deep are copied, values turn into JSON data, any other nested record goes through ``asdict``."""
    data = {}
    for name in _field_names(type(obj)):
        value = getattr(obj, name)
        if isinstance(value, Value):
            value = _value_json(value)
        elif isinstance(value, dict):
            value = {k: _plain(v) for k, v in value.items()}
        elif isinstance(value, (list, tuple)):
            value = type(value)(_plain(v) for v in value)
        elif hasattr(type(value), "__dataclass_fields__"):
            value = asdict(value)
        data[name] = value
    return data


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, float, type(None))):
        return value
    if isinstance(value, Finding):
        return _finding_json(value)
    return asdict(value) if hasattr(type(value), "__dataclass_fields__") else value


def _finding_json(f: Finding) -> dict[str, Any]:
    """``Finding.to_dict`` (a flat record) without ``asdict``'s deep copy."""
    return {name: getattr(f, name) for name in _field_names(Finding)}


def _num(value: Value | None) -> float | None:
    return value.number if value is not None else None


def _value_json(value: Value | None) -> dict[str, Any] | None:
    if value is None:
        return None
    data = {name: getattr(value, name) for name in _field_names(Value)}
    data["declared"] = value.declared.value if value.declared else None
    return data


def _value_from_json(data: dict[str, Any] | None) -> Value | None:
    if data is None:
        return None
    declared = data.get("declared")
    return Value(
        data.get("kind", "none"),
        number=data.get("number"),
        text=data.get("text", ""),
        declared=Status(declared) if declared else None,
        percent_sign=bool(data.get("percent_sign", False)),
    )


_PROJECT_VALUES = ("total_investment", "planned_this_year", "completed_this_year")


def _entry_json(p: ProjectEntry) -> dict[str, Any]:
    return _fields_of(p)  # its Value fields become JSON data there


def _project_from_json(data: dict[str, Any]) -> ProjectEntry:
    data = dict(data)
    for key in _PROJECT_VALUES:
        data[key] = _value_from_json(data.get(key))
    return _build(ProjectEntry, data)


def _indicator_json(e: IndicatorEntry) -> dict[str, Any]:
    return _fields_of(e)


def _indicator_from_json(data: dict[str, Any]) -> IndicatorEntry:
    return _build(IndicatorEntry, {**data, "value": _value_from_json(data.get("value")) or Value("none")})


def _build(cls: type, data: dict[str, Any]) -> Any:
    """``cls(**data)`` ignoring keys the dataclass does not (or no longer) have."""
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


def submission_to_json(sub: Submission) -> dict[str, Any]:
    """A :class:`Submission` as plain JSON data (enums as their words)."""
    data = {
        "source": sub.source,
        "sheet": sub.sheet,
        "group": sub.group,
        "period": sub.period,
        "template_version": sub.template_version,
        "kind": sub.kind,
        "sha256": sub.sha256,
        "header": dict(sub.header),
        "header_cells": dict(sub.header_cells),
        "indicators": {k: _indicator_json(e) for k, e in sub.indicators.items()},
        "tasks": {k: _fields_of(t) for k, t in sub.tasks.items()},
        "projects": [_entry_json(p) for p in sub.projects],
        "applications": [_fields_of(a) for a in sub.applications],
        "findings": [_finding_json(f) for f in sub.findings],
    }
    if sub.target_year is not None:  # only when known, so older archives keep their hashes
        data["target_year"] = sub.target_year
    return data


def submission_from_json(data: dict[str, Any]) -> Submission:
    """The inverse of :func:`submission_to_json`."""
    return Submission(
        source=data["source"],
        sheet=data["sheet"],
        group=data.get("group"),
        period=data.get("period"),
        template_version=data.get("template_version"),
        kind=data.get("kind", "fill-in"),
        sha256=data.get("sha256"),
        header=dict(data.get("header", {})),
        header_cells=dict(data.get("header_cells", {})),
        indicators={k: _indicator_from_json(e) for k, e in data.get("indicators", {}).items()},
        tasks={k: _build(TaskEntry, t) for k, t in data.get("tasks", {}).items()},
        projects=[_project_from_json(p) for p in data.get("projects", [])],
        applications=[_build(ApplicationEntry, a) for a in data.get("applications", [])],
        findings=[Finding(**f) for f in data.get("findings", [])],
        target_year=data.get("target_year"),
    )


def _adjustments_json(adjustments: dict | None) -> tuple[dict[str, Any], ...]:
    if not adjustments:
        return ()
    rows = [asdict(a) for a in adjustments.values()]
    return tuple(sorted(rows, key=lambda r: (r["indicator_id"], r["year"])))


def _adjustments_from_json(rows: Iterable[dict[str, Any]]) -> dict:
    from .targets import Adjustment

    return {(r["indicator_id"], int(r["year"])): Adjustment(**r) for r in rows}
