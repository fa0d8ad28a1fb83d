"""The second wall: received files are read in a worker process with a memory and a time limit.

The first wall is in front of every reader: the safe-open step (:mod:`qyx_excel.safeio`: sizes,
zip bombs, DTDs) and the guards of :mod:`qyx_excel.intake` (the far-cell tokenizer, declared
counts).  A reader is still native code (calamine) that may abort the process on an allocation it
cannot make or loop on input nobody thought of; a batch must not die with one file.  So files are
read by :class:`Reader`, a worker process that

* runs :func:`intake.read_file` on the bytes it is sent and sends the submissions back;
* has its address space limited (``RLIMIT_AS``: its size when started plus
  :data:`MEMORY_LIMIT`) on POSIX, so a runaway allocation fails inside the worker;
* gets :data:`TIME_LIMIT` seconds per file, then is killed.

A worker that dies or is killed costs that one file an ``UnreadableFile`` (``file-reader-failed``,
saying what happened); the next file gets a new worker.  On POSIX the worker is forked (no import
cost); elsewhere it is spawned once per run, without a memory limit.  ``QYX_READ_IN_PROCESS=1``
reads in the calling process instead (for debugging).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from . import intake
from .errors import QyxError, UnreadableFile
from .findings import make
from .submission import Submission

#: Address space a worker may use beyond its size when it starts (a 50 MB file with two million
#: cells needs a few hundred MB; the abort this guards against asks for tens of GB).
MEMORY_LIMIT = 1536 * 1024 * 1024
#: Seconds a worker may spend on one file (a fill-in file takes milliseconds).
TIME_LIMIT = 60.0
#: Files sent ahead to the worker: it reads on while the caller checks (on a busy machine a worker
#: that must wait for the caller's every request to be scheduled costs more than the reading).
AHEAD = 16
#: Seconds the caller waits before it asks again when the worker has nothing ready yet.
BATCH_PAUSE = 0.003

Job = tuple[str, str, bytes | None]  # path, display name, the bytes (or None: the worker reads the file)


def read_file(path: str | Path, *, display: str | None = None, data: bytes | None = None) -> list[Submission]:
    """:func:`intake.read_file` in the shared worker (see the module docstring); same results and errors."""
    return shared().read(path, display=display, data=data)


class Reader:
    """A worker process reading files one after another; restarted after a crash or a time-out."""

    def __init__(self, *, memory: int | None = MEMORY_LIMIT, seconds: float = TIME_LIMIT) -> None:
        self.memory = memory
        self.seconds = seconds
        self._proc: Any = None
        self._conn: Any = None
        self._after: Callable[[str, list[Submission]], Any] | None = None

    # --- public ----------------------------------------------------------------------------
    def read(
        self, path: str | Path, *, display: str | None = None, data: bytes | None = None
    ) -> list[Submission]:
        name = display if display is not None else str(path)
        ((_, result),) = self.read_many([(str(path), name, data)])
        self._after = None
        if isinstance(result, BaseException):
            raise result
        return result

    def read_many(
        self,
        jobs: Iterable[Job],
        after: Callable[[str, list[Submission]], Any] | None = None,
    ) -> Iterator[tuple[Job, Any]]:
        """Read ``jobs`` in order, up to :data:`AHEAD` files ahead (the worker reads on while the caller
        checks); yields each job with its submissions or the :class:`UnreadableFile` it raised.

        ``after(name, subs)`` (a module-level function or a ``functools.partial`` of one): run in the
        worker on what was read, its result is sent back instead of the submissions (less to send).
        """
        if in_process():
            for job in jobs:
                got = _read_here(job)
                yield (
                    job,
                    (
                        after(job[1], got)
                        if after is not None and not isinstance(got, UnreadableFile)
                        else got
                    ),
                )
            return
        self._after = after
        pending: list[Job] = []
        it = iter(jobs)
        upcoming = next(it, None)
        try:
            while True:
                # Jobs that carry their bytes go one at a time: a large send must never wait on a worker
                # that is itself waiting for us to take its answer.
                while (
                    upcoming is not None
                    and len(pending) < AHEAD
                    and not (pending and (pending[-1][2] is not None or upcoming[2] is not None))
                ):
                    pending.append(upcoming)
                    upcoming = next(it, None)
                    if not self._send(pending[-1]):
                        self._restart_for(pending)
                if not pending:
                    return
                job = pending[0]
                result = self._receive(job, batch=len(pending) > 1)
                pending.pop(0)
                if isinstance(result, _Died):
                    yield job, result.error
                    self._restart_for(pending)
                    continue
                yield job, result
        finally:
            if pending:  # the caller stopped early: results in flight must not reach the next caller
                self._stop()

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError, ValueError):
                self._conn.send(None)
        self._stop(grace=1.0)

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the worker ---------------------------------------------------------------------------
    def _start(self) -> None:
        fork = _can_fork()
        ctx: Any = multiprocessing.get_context("fork" if fork else "spawn")
        parent, child = ctx.Pipe()
        # a forked worker closes its copy of our end: when we die it sees the end of the pipe and exits
        ours = parent if fork else None
        proc = ctx.Process(target=_serve, args=(child, self.memory, ours), daemon=True, name="qyx-reader")
        # The worker's garbage collector would walk (and so copy) every object it shares with us:
        # freeze them first (the standard fork-server trick), thaw ours afterwards.
        gc.freeze()
        try:
            with contextlib.nullcontext() if fork else _main_hidden():
                proc.start()
        finally:
            gc.unfreeze()
        child.close()
        self._proc, self._conn = proc, parent

    def _stop(self, grace: float = 0.0) -> None:
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()
        if proc is not None:
            proc.join(grace)
            if proc.is_alive():
                proc.kill()
                proc.join(5)

    def _send(self, job: Job) -> bool:
        if self._proc is None:
            self._start()
        try:
            self._conn.send((*job, self._after))
        except (OSError, ValueError):
            return False
        return True

    def _restart_for(self, pending: list[Job]) -> None:
        """A new worker for the jobs sent to one that died (they are sent again)."""
        self._stop()
        for job in pending:
            if not self._send(job):  # the new worker died at once: give up on the pipeline
                break

    def _receive(self, job: Job, *, batch: bool = False) -> Any:
        conn, proc = self._conn, self._proc
        try:
            # Several files in flight and nothing there yet: let the worker get a few files ahead rather
            # than wake for each one (on a busy machine a wake-up per file costs more than the reading).
            if batch and not conn.poll(0):
                time.sleep(BATCH_PAUSE)
            ready = conn.poll(self.seconds)
        except (OSError, EOFError):
            ready = True
        if not ready:
            proc.kill()
            proc.join(5)
            return _Died(_failed(job, f"超过 {self.seconds:g} 秒仍未读完（读表程序被停止）"))
        try:
            kind, *payload = conn.recv()
        except (EOFError, OSError):
            proc.join(5)
            return _Died(_failed(job, _death(proc.exitcode)))
        if kind == "ok":
            return payload[0]
        message, finding = payload
        return UnreadableFile(message, finding)


@contextlib.contextmanager
def _main_hidden() -> Iterator[None]:
    """While a spawned worker starts: hide the caller's main module, which ``spawn`` would otherwise run
    again in the worker (a script without ``if __name__ == "__main__"`` would start its work over, and
    the worker would die).  The worker needs nothing from it: its code is in this package."""
    main = sys.modules.get("__main__")
    saved: dict[str, Any] = {
        name: main.__dict__[name]
        for name in ("__file__", "__spec__")
        if main is not None and name in main.__dict__
    }
    try:
        if main is not None:
            main.__dict__.pop("__file__", None)
            main.__dict__["__spec__"] = None
        yield
    finally:
        if main is not None:
            main.__dict__.pop("__spec__", None)
            main.__dict__.update(saved)


class _Died:
    def __init__(self, error: UnreadableFile) -> None:
        self.error = error


def _failed(job: Job, what: str) -> UnreadableFile:
    finding = make("file-reader-failed", file=job[1], detail=what)
    return UnreadableFile(finding.message, finding)


def _death(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        return f"读表程序异常退出（信号 {name}，多为申请的内存超过上限）"
    return f"读表程序异常退出（退出码 {code}）"


def _read_here(job: Job) -> list[Submission] | UnreadableFile:
    path, name, data = job
    try:
        return intake.read_file(path, display=name, data=data)
    except UnreadableFile as exc:
        return exc


def _serve(conn: Any, memory: int | None, parents_end: Any = None) -> None:
    """The worker's loop: read each job sent, send back ``("ok", subs)`` or ``("error", message, finding)``."""

    if parents_end is not None:
        parents_end.close()
    if memory is not None:
        _limit_memory(memory)
    # The worker writes nothing; it must not hold the caller's output open either (a caller's caller
    # waits for the end of that output).  A dying reader's last words ("memory allocation … failed")
    # are not for the clerk: the finding says what happened (QYX_DEBUG=1 keeps them).
    with contextlib.suppress(OSError, ValueError):
        import faulthandler

        faulthandler.disable()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        if os.environ.get("QYX_DEBUG") != "1":
            os.dup2(devnull, 2)
        os.close(devnull)
    with contextlib.suppress(OSError, ValueError):  # Ctrl+C is for the parent, which stops us
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        path, name, data, after = job
        try:
            subs = intake.read_file(path, display=name, data=data)
            reply: tuple[Any, ...] = ("ok", after(name, subs) if after is not None else subs)
        except QyxError as exc:
            finding = exc.finding or make("file-unreadable", file=name, detail=exc.message)
            reply = ("error", exc.message, finding)
        except MemoryError:
            finding = make("file-reader-failed", file=name, detail="读取所需内存超过上限")
            reply = ("error", finding.message, finding)
        except Exception as exc:  # a reader's own bug: this file's finding, not the batch's end
            detail = f"读表程序出错（{type(exc).__name__}: {str(exc)[:120]}）"
            finding = make("file-reader-failed", file=name, detail=detail)
            reply = ("error", finding.message, finding)
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return


def _limit_memory(extra: int) -> None:
    try:
        import resource
    except ImportError:  # Windows: the time limit still holds
        return
    size = _address_space()
    if size is None:
        return
    limit = size + extra
    with contextlib.suppress(ValueError, OSError):
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _address_space() -> int | None:
    """This process's virtual size in bytes (Linux); ``None`` where it cannot be read."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            pages = int(fh.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def _can_fork() -> bool:
    return sys.platform != "win32" and "fork" in multiprocessing.get_all_start_methods()


def in_process() -> bool:
    """Whether files are read in this process (``QYX_READ_IN_PROCESS=1``, or inside a worker)."""
    return os.environ.get("QYX_READ_IN_PROCESS") == "1" or multiprocessing.parent_process() is not None


_shared: Reader | None = None


def shared() -> Reader:
    """The process's worker (started on first use, stopped at exit)."""
    global _shared
    if _shared is None:
        _shared = Reader()
        atexit.register(_close_shared)
    return _shared


def _close_shared() -> None:
    global _shared
    if _shared is not None:
        _shared.close()
        _shared = None
