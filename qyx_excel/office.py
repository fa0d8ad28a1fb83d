"""LibreOffice as a headless converter (PDF for printing, ODS/XLSX for checks).

Each call runs ``soffice --headless`` with its own throw-away user profile, so several
conversions may run at once without fighting over LibreOffice's profile lock, and a user's
open LibreOffice window is never touched.  The result is written to a private folder first
and then moved into place, so a failed or timed-out run leaves no half-written file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from .errors import OutputFailed, OutputLocked, QyxError, UsageError

#: Environment variable that may name the soffice executable explicitly.
SOFFICE_ENV = "QYX_SOFFICE"
#: Default time limit for one conversion, in seconds.
DEFAULT_TIMEOUT = 180.0

_NAMES = ("soffice", "libreoffice")
_WINDOWS_PATHS = (
    r"C:\Program Files\LibreOffice\program\soffice.exe",
    r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
)
_MAC_PATHS = ("/Applications/LibreOffice.app/Contents/MacOS/soffice",)


class OfficeNotFound(QyxError):
    """LibreOffice is needed for a conversion but is not installed."""

    exit_code = 2


def find_soffice() -> Path | None:
    """Path of the LibreOffice executable, or ``None`` when it cannot be found.

    ``$QYX_SOFFICE``, when set, alone decides; otherwise ``soffice``/``libreoffice`` on PATH,
    then the usual install folders on Windows and macOS.
    """
    explicit = os.environ.get(SOFFICE_ENV)
    if explicit:
        path = Path(explicit)
        return path if path.is_file() else None
    for name in _NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    candidates = _WINDOWS_PATHS if sys.platform == "win32" else _MAC_PATHS
    if sys.platform == "win32":
        program_files = os.environ.get("PROGRAMFILES")
        if program_files:
            candidates = (str(Path(program_files, "LibreOffice", "program", "soffice.exe")), *candidates)
    for candidate in candidates:
        if Path(candidate).is_file():
            return Path(candidate)
    return None


def has_soffice() -> bool:
    """Whether LibreOffice can be found (see :func:`find_soffice`)."""
    return find_soffice() is not None


def require_soffice() -> Path:
    """The LibreOffice executable; raises :class:`OfficeNotFound` with what to install."""
    soffice = find_soffice()
    if soffice is None:
        raise OfficeNotFound(
            "未找到 LibreOffice，无法转换文件（如导出 PDF）。"
            "请安装 LibreOffice（https://www.libreoffice.org），"
            "或在 Excel 中用“文件→导出”另存为 PDF。"
        )
    return soffice


def convert(
    path: str | os.PathLike[str],
    fmt: str,
    outdir: str | os.PathLike[str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> Path:
    """Convert *path* with LibreOffice to *fmt* (``pdf``, ``ods``, ``xlsx``, ``pdf:calc_pdf_Export`` …).

    The result is ``outdir/<stem>.<ext>`` (``ext`` is *fmt* before any ``:``), replacing a file
    of that name only once the conversion succeeded.  Raises :class:`OfficeNotFound`,
    ``UsageError`` (no such input), ``OutputFailed`` (LibreOffice failed or timed out) or
    ``OutputLocked`` (the target is open in another program).
    """
    source = Path(path)
    if not source.is_file():
        raise UsageError(f"找不到要转换的文件：{source}")
    soffice = require_soffice()
    target_dir = Path(outdir)
    target_dir.mkdir(parents=True, exist_ok=True)
    ext = fmt.split(":", 1)[0].strip().lower()
    target = target_dir / f"{source.stem}.{ext}"

    with tempfile.TemporaryDirectory(prefix="qyx-lo-") as tmp:
        profile = Path(tmp, "profile")
        staging = Path(tmp, "out")
        staging.mkdir()
        command = [
            str(soffice),
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--nodefault",
            f"-env:UserInstallation={profile.as_uri()}",
            "--convert-to",
            fmt,
            "--outdir",
            str(staging),
            str(source.resolve()),
        ]
        returncode, output = _run(command, timeout)
        produced = staging / target.name
        if returncode != 0 or not produced.is_file() or produced.stat().st_size == 0:
            detail = output.strip().splitlines()[-3:] if output.strip() else []
            raise OutputFailed(
                f"LibreOffice 未能把 {source.name} 转换为 {ext.upper()}"
                f"（退出码 {returncode}）。" + ("\n" + "\n".join(detail) if detail else "")
            )
        _replace(produced, target)
    return target


def _replace(produced: Path, target: Path) -> None:
    """Copy beside *target*, then swap it in with one rename (never a half-written target)."""
    partial = target.with_name(f".{target.name}.partial")
    try:
        shutil.copyfile(produced, partial)
        os.replace(partial, target)
    except PermissionError as exc:
        raise OutputLocked(f"{target} 正被其他程序占用，请先关闭该文件后重试。") from exc
    except OSError as exc:
        raise OutputFailed(f"无法写入 {target}：{exc.strerror or exc}") from exc
    finally:
        partial.unlink(missing_ok=True)


def _run(command: list[str], timeout: float) -> tuple[int, str]:
    """Run LibreOffice, killing its whole process group (soffice forks soffice.bin) on timeout."""
    kwargs: dict = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT, "stdin": subprocess.DEVNULL}
    if os.name == "posix":
        kwargs["start_new_session"] = True
    else:
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    with subprocess.Popen(command, **kwargs) as process:
        try:
            out, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(process)
            process.communicate()
            raise OutputFailed(f"LibreOffice 转换超时（超过 {timeout:.0f} 秒），已终止。") from None
    return process.returncode, out.decode(errors="replace")


def _kill(process: subprocess.Popen) -> None:
    if os.name == "posix":
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    else:
        subprocess.run(
            ["taskkill", "/F", "/T", "/PID", str(process.pid)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        process.kill()
