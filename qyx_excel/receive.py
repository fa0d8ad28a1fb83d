"""The receive step: a received file or submission becomes recorded history, or is refused.

Receiving a file (:func:`receive_file`) archives its bytes (:mod:`.archive`), reads it with
intake (in the sandbox's worker), checks each group sheet with checks (``Prior`` = the last
accepted values before the period, from the store) and records it in the store
(:mod:`.store`).  The rules of what is recorded live here:

* the same bytes twice are one submission (the file's sha256);
* a ledger sheet left empty, or holding another period's data, is ignored (not a submission);
* a sheet whose content equals a submission already recorded for the same group and period is a
  duplicate (a ledger re-saved with new results but the same group data is not a new submission);
* a later submission of the same group and period supersedes the earlier: "later" is by received
  time (file modification time, or intake time for an open workbook), ties broken by file name;
  the earlier stays in history (``superseded_by`` points at the one that replaced it);
* a submission with errors is recorded as refused and never supersedes an accepted one; an
  untouched fill-in template is refused (``submission-blank``); a file mailed under one group's
  name carrying another group's sheet is refused (``group-mismatch``).

The inbox (:func:`inbox_listing`) is listed here too, and :func:`rebuild_store` replays the
archive through the same step, so a rebuilt database comes out as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from . import checks, sandbox
from .archive import (
    ARCHIVE_DIR,
    SOURCE_INBOX,
    SOURCE_LEDGER,
    SOURCE_WORKBOOK,
    Receipt,
    has_size,
)
from .errors import QyxError, UnreadableFile, UsageError
from .findings import ERROR, Finding, is_valid, make
from .glossary import GROUPS
from .model import ACCEPTED, DUPLICATE, IGNORED, REFUSED, SKIPPED, UNREADABLE, Outcome
from .periods import Period, parse_period
from .plan import load_plan
from .safeio import MAX_FILE_BYTES, TEMP_PREFIX, display_name, fsync_dir, kind_of_entry, read_received
from .store import (
    CONSOLIDATIONS_DIR,
    DB_NAME,
    Store,
    as_period,
    mtime_text,
    now_text,
    run_stamp,
    store_lock,
)
from .submission import Prior, Submission, canonical_json, submission_from_json, submission_to_json
from .targets import Adjustment, load_rules

Progress = Callable[[int, int], None]

#: ``check(sub, period, expected_group, prior, adjustments) -> findings`` — all findings about the
#: submission, those intake put on ``sub.findings`` included; ``prior`` is what the store holds
#: from before ``period`` for the submission's group (``None`` when the group is unknown); see
#: :func:`default_check`.
CheckFn = Callable[[Submission, Period, "str | None", "Prior | None", dict], list[Finding]]


def default_check(
    sub: Submission, period: Period, expected_group: str | None, prior: Prior | None, adjustments: dict
) -> list[Finding]:
    """``checks.check_submission`` against the plan and rules in use."""
    return list(
        checks.check_submission(
            sub,
            period=period,
            expected_group=expected_group,
            prior=prior,
            plan=load_plan(),
            adjustments=adjustments,
            rules=load_rules(),
        )
    )


# ================================================================================================
# One file, one submission
# ================================================================================================


def receive_file(
    st: Store,
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
    path = Path(path)
    period = as_period(period)
    name = display_name(path.name)
    if data is None:
        try:  # size and kind checked before reading; an inbox symlink is never followed
            data = read_received(path, display=name, follow_symlinks=source != SOURCE_INBOX)
        except UnreadableFile as exc:
            finding = exc.finding or make("file-unreadable", file=name, detail=exc.message)
            return [Outcome(file_name=name, sha256="", sheet="", status=UNREADABLE, findings=[finding])]
    sha = hashlib.sha256(data).hexdigest()
    known = st.recorded_outcomes(sha)
    if known is not None:
        _keep_archived(st, sha, data, adjustments)
        return [_copy_of(o, name) for o in known]
    receipt = st.archive.read_receipt(sha) or Receipt(
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
    return _ingest(st, receipt, data, subs, file_findings, check=check)


def receive_submission(
    st: Store,
    sub: Submission,
    *,
    period: Period | str,
    adjustments: dict | None = None,
    received_at: str | None = None,
    run: str | None = None,
    check: CheckFn | None = None,
) -> list[Outcome]:
    """Archive (as JSON), check and record a submission read from cells (open workbook, tests)."""
    period = as_period(period)
    payload = submission_to_json(sub)
    # key order kept (not sorted): a rebuild must read the rows back in the order they were recorded
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    sha = hashlib.sha256(data).hexdigest()
    known = st.recorded_outcomes(sha)
    if known is not None:
        _keep_archived(st, sha, data, adjustments)
        return known
    receipt = st.archive.read_receipt(sha) or Receipt(
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
    return _ingest(st, receipt, data, [submission_from_json(json.loads(data))], [], check=check)


def _keep_archived(st: Store, sha: str, data: bytes, adjustments: dict | None) -> None:
    """A recorded file whose archive copy or receipt went missing (a power cut before the folder
    was synced) is archived again from the bytes received now."""
    row = st.file_row(sha)
    if row is None or (
        has_size(st.archive.path(sha, row["ext"]), len(data)) and st.archive.receipt_path(sha).is_file()
    ):
        return
    st.archive.put(
        data,
        Receipt(
            sha256=sha,
            ext=row["ext"],
            file_name=row["file_name"],
            size=row["size"],
            source=row["source"],
            received_at=row["received_at"],
            ingested_at=row["ingested_at"],
            period_hint=row["period_hint"],
            adjustments=_adjustments_json(adjustments),
        ),
    )


def _ingest(
    st: Store,
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
    base: dict[str, Any] = {
        "file_name": receipt.file_name,
        "sha256": receipt.sha256,
        "received_at": receipt.received_at,
    }
    if not subs:
        fatal = [f for f in file_findings if f.severity == ERROR] or [
            make("file-unreadable", file=receipt.file_name, detail="文件中没有专项组工作表")
        ]
        outcomes.append(Outcome(**base, sheet="", status=UNREADABLE, findings=fatal))
    for sub in subs:
        # the ledger's own sheets, in a file or read from the open workbook's cells
        ledger_like = receipt.source == SOURCE_LEDGER or sub.kind in ("ledger", "workbook")
        if ledger_like and not has_data(sub):
            outcomes.append(
                Outcome(
                    **base,
                    sheet=sub.sheet,
                    status=IGNORED,
                    group=sub.group,
                    period=sub.period,
                    note="工作表未填写数据",
                )
            )
            continue
        own = _own_period(sub)
        if ledger_like and own is not None and hint is not None and own.code != hint.code:
            outcomes.append(
                Outcome(
                    **base,
                    sheet=sub.sheet,
                    status=IGNORED,
                    group=sub.group,
                    period=sub.period,
                    note=f"工作表填报期为 {own.code}，不是 {hint.code}",
                )
            )
            continue
        check_period = own if (own is not None and not ledger_like) else (hint or own)
        if check_period is None:
            raise UsageError(f"无法确定“{receipt.file_name}”的填报期。")
        selected.append((sub, check_period))

    if not selected and outcomes and all(o.status == IGNORED for o in outcomes):
        return outcomes  # an empty ledger is not a submission: nothing archived or recorded
    receipt = st.archive.put(data, receipt)

    warnings_for_file = [f for f in file_findings if f.severity != ERROR]
    # a mailed file's name says whose it is, as qyx check reads it: a file of one group mailed under
    # another's name, or a "ledger" carrying other groups' sheets, is refused (group-mismatch)
    named = group_in_name(receipt.file_name) if receipt.source == SOURCE_INBOX else None
    with st.recording():
        for sub, check_period in selected:
            expected_group = named or (sub.sheet if sub.sheet in GROUPS else None)
            group = sub.group or expected_group
            prior = st.prior(group, check_period) if group else None
            findings = list(warnings_for_file) + list(
                check(sub, check_period, expected_group, prior, adjustments)
            )
            if sub.kind == "fill-in" and not has_data(sub):  # an untouched template replaces nothing
                findings.append(make("submission-blank", file=receipt.file_name, sheet=sub.sheet or None))
            findings = _dedupe(_named(findings, receipt.file_name))
            period_code = sub.period if sub.period and own_valid(sub.period) else check_period.code
            accepted = is_valid(findings)  # the one rule: a sheet is accepted when no finding is an error
            payload = submission_to_json(sub)  # built once: hashed here, stored row by row below
            content = _content_hash(payload, group, period_code)
            twin = st.twin(group, period_code, content)
            common: dict[str, Any] = dict(
                base, sheet=sub.sheet, group=group, period=period_code, findings=findings
            )
            if twin is not None:
                outcomes.append(
                    Outcome(**common, status=DUPLICATE, submission_id=twin, note="内容与已收到的填报相同")
                )
                continue
            sid = st.insert_submission(receipt, sub, group, period_code, accepted, findings, content, payload)
            st.resolve_supersession(group, period_code)
            outcomes.append(Outcome(**common, status=ACCEPTED if accepted else REFUSED, submission_id=sid))
        for o in outcomes:
            if o.status == UNREADABLE:
                st.insert_findings(receipt.sha256, "", None, o.findings)
        st.record_file(receipt, outcomes)
    return outcomes


def replay(st: Store, receipt: Receipt, check: CheckFn | None) -> str | None:
    """Record an archived file again (rebuild); ``None`` when done, else why it was skipped."""
    path = st.archive.path(receipt.sha256, receipt.ext)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return "归档文件缺失"
    except OSError as exc:
        return f"归档文件无法读取（{exc.strerror or exc}）"
    if hashlib.sha256(data).hexdigest() != receipt.sha256:
        return "归档文件已损坏（校验值不符）"
    file_findings: list[Finding]
    try:
        if receipt.ext == "json":
            subs, file_findings = [submission_from_json(json.loads(data))], []
        else:
            subs, file_findings = _read_workbook(path, receipt.file_name, data)
        _ingest(st, receipt, data, subs, file_findings, check=check)
    except (QyxError, ValueError, KeyError, TypeError, sqlite3.Error) as exc:
        return f"无法重放（{exc.message if isinstance(exc, QyxError) else type(exc).__name__}）"
    return None


class ReceivingStore(Store):
    """A :class:`~.store.Store` with the receive step as methods, for callers that hold a store."""

    def receive_file(self, path: str | Path, **options: Any) -> list[Outcome]:
        """:func:`receive_file` into this store."""
        return receive_file(self, path, **options)

    def receive_submission(self, sub: Submission, **options: Any) -> list[Outcome]:
        """:func:`receive_submission` into this store."""
        return receive_submission(self, sub, **options)


# ================================================================================================
# The inbox and a run's files
# ================================================================================================


#: Files the system puts in folders; never submissions.
SYSTEM_FILES = frozenset({"thumbs.db", "desktop.ini", ".ds_store"})


def inbox_files(inbox: Path | None, *, exclude: Iterable[Path] = ()) -> list[Path]:
    """Files in the inbox (not in subfolders), skipping Office lock files, our temporaries, system
    files and ``exclude`` (the ledger, when the inbox is its own folder); see :func:`inbox_listing`."""
    return inbox_listing(inbox, exclude=exclude)[0]


def inbox_listing(
    inbox: Path | None, *, exclude: Iterable[Path] = ()
) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The inbox's regular files to receive, and the entries not received with the reason (Chinese).

    Never followed: a symbolic link (it may point anywhere, e.g. at the system's password file),
    a subfolder, a device or pipe.  Not received but listed, so a group is not told it has not
    reported while its file sits there: names starting with ``.`` or ``~$``.  Left out silently:
    system files (Thumbs.db …), LibreOffice locks, our temporaries and ``exclude``.  Raises
    :class:`UsageError` when the folder cannot be listed.
    """
    if inbox is None:
        return [], []
    skip = {p.resolve() for p in exclude}
    files: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    try:
        entries = sorted(os.scandir(inbox), key=lambda e: e.name)
    except OSError as exc:
        raise UsageError(
            f"收件箱文件夹“{display_name(str(inbox))}”无法读取（{exc.strerror or exc}），"
            "请检查文件夹是否存在、是否有读取权限。"
        ) from exc
    for entry in entries:
        name = entry.name
        path = Path(entry.path)
        if name.lower() in SYSTEM_FILES or name.startswith((TEMP_PREFIX, ".qyx-tmp-", ".~lock.")):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError as exc:
            skipped.append((path, f"无法访问（{exc.strerror or exc}）"))
            continue
        kind = kind_of_entry(info.st_mode)
        if kind == "文件夹":
            skipped.append((path, "是子文件夹，其中的文件不会读取；请把填报表直接放在收件箱中"))
        elif kind is not None:
            skipped.append((path, f"是{kind}，不是文件本身，未读取；请把填报表文件直接放入收件箱"))
        elif name.startswith("~$"):
            skipped.append(
                (path, "以“~$”开头，是 Excel/WPS 打开文件时生成的占用文件，未读取；如确为填报表请改名")
            )
        elif name.startswith("."):
            skipped.append((path, "以“.”开头（隐藏文件），未读取；如确为填报表请改名"))
        elif path.resolve() not in skip:
            files.append(path)
    return files, skipped


def skipped_outcomes(skipped: Iterable[tuple[Path, str]]) -> list[Outcome]:
    """Inbox entries not received, as outcomes with a ``file-skipped`` warning each."""
    out = []
    for path, why in skipped:
        name = display_name(path.name)
        out.append(
            Outcome(
                file_name=name,
                sha256="",
                sheet="",
                status=SKIPPED,
                note=why,
                findings=[make("file-skipped", file=name, detail=why)],
            )
        )
    return out


def receive_files(
    st: Store,
    files: Sequence[tuple[Path, str]],
    period: Period,
    *,
    adjustments: dict | None = None,
    progress: Progress | None = None,
    check: CheckFn | None = None,
) -> list[Outcome]:
    """Receive files into the store in received order (a file seen before keeps its first receipt).

    Files are hashed first (to find their first receipt, which fixes their order) and read again
    one at a time when received, so memory stays flat however many files there are.
    """
    run = run_stamp()
    items: list[tuple[tuple[str, str, str, str], Path, str, bool]] = []
    for path, source in files:
        name = display_name(path.name)
        try:  # size and kind first: an oversized or special file is never read (read_received says why)
            info = path.stat() if source != SOURCE_INBOX else path.lstat()
            if kind_of_entry(info.st_mode) is not None or info.st_size > MAX_FILE_BYTES:
                raise OSError("not read")
            digest = hashlib.sha256()
            with path.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
            sha = digest.hexdigest()
        except OSError:
            items.append((("", "", name, ""), path, source, False))
            continue
        known: Receipt | None = st.archive.read_receipt(sha)
        key = known.order if known else (run, mtime_text(path), name, sha)
        items.append((key, path, source, True))
    items.sort(key=lambda item: item[0])
    outcomes: list[Outcome] = []
    for done, (_, path, source, _hashed) in enumerate(items, start=1):
        name = display_name(path.name)
        try:
            outcomes.extend(
                receive_file(
                    st, path, source=source, period=period, adjustments=adjustments, run=run, check=check
                )
            )
        except OSError as exc:
            finding = make("file-unreadable", file=name, detail=getattr(exc, "strerror", None) or str(exc))
            outcomes.append(
                Outcome(file_name=name, sha256="", sheet="", status=UNREADABLE, findings=[finding])
            )
        if progress:
            progress(done, len(items))
    return outcomes


# ================================================================================================
# Rebuild: the archive replayed through the receive step
# ================================================================================================


@dataclass
class RebuildReport:
    """What :func:`rebuild_store` did: files replayed, files skipped (name, why), the database kept aside."""

    replayed: int
    skipped: list[tuple[str, str]] = field(default_factory=list)
    previous: Path | None = None


def rebuild(
    store_dir: str | Path, *, check: CheckFn | None = None, progress: Callable[[int, int], None] | None = None
) -> int:
    """:func:`rebuild_store`; returns the number of files replayed."""
    return rebuild_store(store_dir, check=check, progress=progress).replayed


def rebuild_store(
    store_dir: str | Path, *, check: CheckFn | None = None, progress: Callable[[int, int], None] | None = None
) -> RebuildReport:
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
                receipts = store.archive.receipts(with_missing=True)
                for done, receipt in enumerate(receipts, start=1):
                    why = replay(store, receipt, check)
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
                        store.index_consolidation(data["period"], text, data["generated_at"])
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
        fsync_dir(root)
        return RebuildReport(replayed, skipped, previous)


# ================================================================================================
# Reading (intake in the sandbox's worker) and helpers
# ================================================================================================


def _read_workbook(
    path: Path, display: str, data: bytes | None = None
) -> tuple[list[Submission], list[Finding]]:
    """Safe-open and read a workbook (``data``: its bytes, already read): its group submissions and
    file-level findings."""
    try:
        subs = sandbox.read_file(path, display=display, data=data)
    except QyxError as exc:
        finding = exc.finding or make("file-unreadable", file=display, detail=exc.message)
        return [], [replace(finding, file=display)]
    return list(subs), []


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
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


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
    return replace(
        outcome,
        file_name=file_name,
        status=status,
        findings=findings,
        note=f"{note}；{outcome.note}" if outcome.note else note,
    )


def _relabel(sub: Submission, file_name: str) -> None:
    """Findings and source name the file as received, not where it happens to sit now."""
    sub.source = file_name
    sub.findings = _named(sub.findings, file_name)


def _named(findings: Iterable[Finding], file_name: str) -> list[Finding]:
    """``findings`` naming ``file_name`` as their file."""
    return [f if f.file == file_name else replace(f, file=file_name) for f in findings]


def _dedupe(findings: Iterable[Finding]) -> list[Finding]:
    seen, out = set(), []
    for f in findings:
        key = (f.code, f.sheet, f.cell, f.indicator, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _adjustments_json(adjustments: dict | None) -> tuple[dict[str, Any], ...]:
    if not adjustments:
        return ()
    rows = [asdict(a) for a in adjustments.values()]
    return tuple(sorted(rows, key=lambda r: (r["indicator_id"], r["year"])))


def _adjustments_from_json(rows: Iterable[dict[str, Any]]) -> dict:
    return {(r["indicator_id"], int(r["year"])): Adjustment(**r) for r in rows}
