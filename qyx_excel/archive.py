"""The archive of a history store: every received file's bytes, content-addressed, and its receipt.

Layout (``历史库/archive``)::

    archive/<sha[:2]>/<sha>.<ext>         the received bytes (a fill-in file, a ledger, or a
                                          submission read from an open workbook, as JSON)
    archive/<sha[:2]>/<sha>.receipt.json  when and how it was received (file name, received time …)

The archive is the truth the store's database indexes (and is rebuilt from, see
:func:`.receive.rebuild_store`).  Writes are durable before the database rows that refer to them
are committed: each file goes to a temporary name, is synced, then renamed into place; the folder
entries are synced once per batch (:meth:`Archive.sync`).
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .safeio import fsync_dir, temp_name
from .submission import fields_json

ARCHIVE_DIR = "archive"
RECEIPT_SUFFIX = ".receipt.json"

#: How a file came in: a mailed fill-in file in the inbox, the ledger's own group sheets, or cells of
#: the open workbook (button path, archived as the submission's JSON).
SOURCE_INBOX = "inbox"
SOURCE_LEDGER = "ledger"
SOURCE_WORKBOOK = "workbook"


@dataclass(frozen=True)
class Receipt:
    """How a file came in; kept next to the archived bytes (``<sha>.receipt.json``).

    ``ingested_at`` orders replays (:func:`.receive.rebuild`): the run's start on the real clock, so
    the order in which files were first recorded is the order in which they are replayed.
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
        data = fields_json(self)
        data["adjustments"] = list(self.adjustments)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Receipt:
        return cls(**{**data, "adjustments": tuple(data.get("adjustments") or ())})


class Archive:
    """The content-addressed files of one store folder (``<root>/archive``)."""

    def __init__(self, root: str | Path) -> None:
        self.folder = Path(root) / ARCHIVE_DIR
        self.folder.mkdir(parents=True, exist_ok=True)
        self._unsynced: set[Path] = set()  # folders whose new entries are not yet synced

    def path(self, sha256: str, ext: str) -> Path:
        return self.folder / sha256[:2] / f"{sha256}.{ext}"

    def receipt_path(self, sha256: str) -> Path:
        return self.folder / sha256[:2] / f"{sha256}{RECEIPT_SUFFIX}"

    def has(self, sha256: str, ext: str, size: int) -> bool:
        """Whether the file of ``sha256`` is archived whole (a regular file of ``size`` bytes)."""
        return has_size(self.path(sha256, ext), size)

    def put(self, data: bytes, receipt: Receipt) -> Receipt:
        """Write ``data`` and its receipt (atomically, once); return the receipt kept.

        A file already archived keeps its first receipt (the same bytes are one submission).  Both
        files are written to temporary names, synced to disk, then renamed into place, so they are
        on disk before the database rows that refer to them are committed; the folder entries are
        synced once per batch (:meth:`sync`).
        """
        path = self.path(receipt.sha256, receipt.ext)
        existing = self.read_receipt(receipt.sha256)
        pending: list[tuple[Path, bytes]] = []
        if not has_size(path, len(data)):
            pending.append((path, data))
        if existing is None:
            text = json.dumps(receipt.to_json(), ensure_ascii=False, indent=1, sort_keys=True)
            pending.append((self.receipt_path(receipt.sha256), text.encode("utf-8")))
        if pending:
            self._write_durably(pending)
        return existing or receipt

    def sync(self) -> None:
        """Make the folders' new entries durable (one folder sync per batch, not per file)."""
        while self._unsynced:
            fsync_dir(self._unsynced.pop())

    def _write_durably(self, items: list[tuple[Path, bytes]]) -> None:
        """Write each file under a temporary name, sync them all, then rename them in order."""
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
        """Every receipt, in replay order (``with_missing``: also those whose file is gone)."""
        found = []
        for path in self.folder.glob(f"*/*{RECEIPT_SUFFIX}"):
            receipt = self.read_receipt(path.name[: -len(RECEIPT_SUFFIX)])
            if receipt is not None and (with_missing or self.path(receipt.sha256, receipt.ext).is_file()):
                found.append(receipt)
        return sorted(found, key=lambda r: r.order)


def has_size(path: Path, size: int) -> bool:
    """Whether ``path`` is a file of ``size`` bytes."""
    try:
        st = path.stat()
    except OSError:
        return False
    return st.st_size == size and stat.S_ISREG(st.st_mode)
