"""``qyx doctor``: check an office PC the way the office's maintainer would, and say what to fix.

Each check gives a :class:`Check` — ``ok``, ``warn`` (works, but …), ``fail`` (a button will not
work) or ``skip`` (does not apply here) — with what was found and, when not ok, what to do, in
Chinese.  What the checks ask of the PC goes through one small interface, :class:`Probe`: the
Windows registry, the downloaded-file mark (``Zone.Identifier``), the ANSI code page, files and
environment variables, other Python interpreters.  :class:`SystemProbe` asks the real PC; the
tests give :func:`run_checks` a fake probe, so the Windows logic is tested on any machine.

What is checked (issue 14):

* Python: version (≥ 3.10) and bitness; the project's ``.venv``; ``qyx_excel`` importable;
* xlwings: installed, version ≥ the one the buttons need; a standalone ledger's embedded module
  (``QYX_XLWINGS_MODULE``) the same version as the installed package;
* Windows: the add-in in Excel's XLSTART or a standalone ledger; the interpreter setting (the
  ledger's ``xlwings.conf`` sheet, else ``%USERPROFILE%\\.xlwings\\xlwings.conf``, else ``python``
  on PATH) pointing at an existing Python that has ``qyx_excel``; the ledger in a trusted location
  or its macro setting, and the downloaded-file mark that makes Office block its macros; the
  Defender rule that blocks Office from starting child processes (RunPython starts one); the
  system code page for Chinese message boxes;
* Linux/macOS (信创 desktops with WPS, where no add-in runs): LibreOffice for PDF tables, the
  launchers in ``scripts/``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from . import __version__
from .vbaproject import XLWINGS_MODULE_NAME, read_vba_modules
from .workbook import LEDGER_NAME

#: The xlwings version the buttons need (``Sheet.notes``), as in ``pyproject.toml``.
MIN_XLWINGS = (0, 37, 5)
MIN_PYTHON = (3, 10)
#: Microsoft Defender attack surface reduction rule "Block all Office applications from creating
#: child processes"; RunPython starts python.exe from Excel, which this rule blocks.
ASR_CHILD_PROCESS_RULE = "D4F940AB-401B-4EFC-AADC-AD5F3C50688A"
ASR_KEY = r"HKLM\SOFTWARE\Policies\Microsoft\Windows Defender\Windows Defender Exploit Guard\ASR\Rules"
OFFICE_VERSIONS = ("16.0", "15.0")
#: Chinese (Simplified) ANSI code page: message boxes and Python's stderr in Chinese.
CHINESE_CODE_PAGES = (936, 54936)
#: How each status is shown (words, not ✓/✗: the Windows console fonts may lack those signs).
STATUS_MARKS = {"ok": "通过", "warn": "提醒", "fail": "问题", "skip": "不适用"}


@dataclass(frozen=True)
class Check:
    """One check's result (JSON keys: name, status, detail, fix)."""

    name: str
    status: str  # ok | warn | fail | skip
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"[{STATUS_MARKS[self.status]}] {self.name}：{self.detail}"
        return text + (f"\n      处理：{self.fix}" if self.fix else "")


class Probe(Protocol):
    """What the checks ask of the PC.  Paths are strings as the PC writes them."""

    platform: str  # sys.platform: win32, linux, darwin

    def python(self) -> dict[str, Any]:
        """version (tuple), bits, executable, prefix, base_prefix of the running Python."""
        ...

    def env(self, name: str) -> str | None: ...

    def is_file(self, path: str) -> bool: ...

    def read_text(self, path: str) -> str | None: ...

    def package_version(self, name: str) -> str | None: ...

    def has_qyx_excel(self, python: str) -> bool:
        """Whether the Python interpreter at *python* can import qyx_excel."""
        ...

    def which(self, name: str) -> str | None: ...

    def registry(self, key: str, name: str) -> Any:
        """A registry value (``HKCU\\...`` / ``HKLM\\...``), None when missing or not Windows."""
        ...

    def registry_subkeys(self, key: str) -> list[str]: ...

    def zone_id(self, path: str) -> int | None:
        """``ZoneId`` of the file's ``Zone.Identifier`` stream (3 = downloaded from the Internet)."""
        ...

    def ansi_code_page(self) -> int | None: ...

    def ledger_names(self, path: str) -> dict[str, str]:
        """The ledger's workbook-level defined names (string constants unquoted)."""
        ...

    def addin_version(self, path: str) -> str | None:
        """``XLWINGS_VERSION`` in the VBA of the add-in file at *path* (None if unreadable)."""
        ...

    def ledger_conf(self, path: str) -> dict[str, str]:
        """The ledger's ``xlwings.conf`` sheet as key → value (upper-cased keys), {} if none."""
        ...


# ================================================================================================
# The checks
# ================================================================================================


def run_checks(probe: Probe, *, ledger: str | None = None, project: str | None = None) -> list[Check]:
    """Every check that applies to *probe*'s PC; *ledger* is the ledger file to check (optional),
    *project* the project folder (with ``.venv`` and ``scripts``)."""
    windows = probe.platform == "win32"
    checks = [_python(probe), _venv(probe, project), _qyx(probe), _xlwings(probe)]
    names = probe.ledger_names(ledger) if ledger and probe.is_file(ledger) else {}
    if ledger and not probe.is_file(ledger):
        checks.append(Check("台账文件", "fail", f"找不到 {ledger}", "用 --ledger 指定台账 .xlsm 的路径。"))
    checks.append(
        _standalone_module(probe, ledger if names or (ledger and probe.is_file(ledger)) else None, names)
    )
    if windows:
        checks += [
            _pandas(probe),
            _addin(probe, names),
            _interpreter(probe, ledger if ledger and probe.is_file(ledger) else None),
            _trust(probe, ledger if ledger and probe.is_file(ledger) else None),
            _child_processes(probe),
            _code_page(probe),
        ]
    else:
        checks += [_libreoffice(probe), _launchers(probe, project)]
    return checks


def _paths(probe: Probe) -> Any:
    """``ntpath`` for a Windows PC, ``posixpath`` otherwise (the probe's paths, not this machine's)."""
    import ntpath
    import posixpath

    return ntpath if probe.platform == "win32" else posixpath


def _version_tuple(text: str | None) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text or "")[:3])


def _python(probe: Probe) -> Check:
    info = probe.python()
    version = ".".join(str(p) for p in info["version"][:3])
    detail = f"{version}，{info['bits']} 位（{info['executable']}）"
    if tuple(info["version"][:2]) < MIN_PYTHON:
        return Check(
            "Python 版本",
            "fail",
            detail,
            "请安装 Python 3.10 或更新版本（python.org，64 位），再重新运行 scripts\\demo.cmd。",
        )
    if info["bits"] != 64:
        return Check(
            "Python 版本",
            "warn",
            detail,
            "建议使用 64 位 Python（32 位可以运行按钮，但处理大量文件时内存受限）。",
        )
    return Check("Python 版本", "ok", detail)


def _venv(probe: Probe, project: str | None) -> Check:
    info = probe.python()
    in_venv = info["prefix"] != info["base_prefix"]
    paths = _paths(probe)
    expected = paths.join(project, ".venv") if project else None
    if not in_venv:
        return Check(
            "虚拟环境",
            "warn",
            f"未在虚拟环境中运行（{info['prefix']}）",
            "请用项目的 .venv 运行：双击 scripts\\demo.cmd 会创建它；按钮的 Interpreter 也应指向 .venv 中的 python。",
        )
    if expected and paths.normcase(paths.normpath(info["prefix"])) != paths.normcase(
        paths.normpath(expected)
    ):
        return Check(
            "虚拟环境",
            "warn",
            f"运行在 {info['prefix']}，不是项目的 {expected}",
            "请用项目 .venv 中的 qyx / python 运行，或确认按钮的 Interpreter 指向的就是这个环境。",
        )
    return Check("虚拟环境", "ok", info["prefix"])


def _qyx(probe: Probe) -> Check:
    return Check("qyx_excel", "ok", f"{__version__}（{Path(__file__).resolve().parent}）")


def _xlwings(probe: Probe) -> Check:
    version = probe.package_version("xlwings")
    need = ".".join(map(str, MIN_XLWINGS))
    if not version:
        return Check(
            "xlwings",
            "fail",
            "未安装",
            "在项目的 .venv 中运行 pip install -e . （或重新运行 scripts\\demo.cmd）。",
        )
    if _version_tuple(version) < MIN_XLWINGS:
        return Check(
            "xlwings",
            "fail",
            f"{version}，按钮需要 {need} 或更新",
            f'运行 .venv\\Scripts\\python -m pip install -U "xlwings>={need}"，然后重新安装加载项（xlwings addin install）。',
        )
    return Check("xlwings", "ok", version)


def _standalone_module(probe: Probe, ledger: str | None, names: dict[str, str]) -> Check:
    embedded = names.get(XLWINGS_MODULE_NAME)
    if not ledger:
        return Check("独立版台账模块", "skip", "未指定台账（--ledger）")
    if not embedded:
        return Check(
            "独立版台账模块", "skip", f"{_paths(probe).basename(ledger)} 是加载项版台账（不含 xlwings 模块）"
        )
    installed = probe.package_version("xlwings")
    if installed and _version_tuple(installed) != _version_tuple(embedded):
        return Check(
            "独立版台账模块",
            "warn",
            f"台账内嵌 xlwings {embedded} 的模块，本机安装的是 {installed}",
            "两者版本不同时按钮可能出错：请运行 qyx build-workbook --standalone 重新生成台账"
            "（先备份已填数据），或安装与台账相同版本的 xlwings。",
        )
    return Check("独立版台账模块", "ok", f"内嵌 xlwings {embedded}，与本机安装的版本相同")


# --- Windows ---------------------------------------------------------------------------------


def _pandas(probe: Probe) -> Check:
    version = probe.package_version("pandas")
    if not version:
        return Check("pandas", "ok", "未安装（按钮不需要它）")
    return Check(
        "pandas",
        "warn",
        f"已安装 {version}：xlwings 发现 pandas 就会加载它，每次点按钮多等约 0.3 秒",
        "按钮用的环境不需要 pandas：运行 .venv\\Scripts\\python -m pip uninstall -y pandas numpy"
        "（要分析历史数据的同事另建环境安装 qyx_excel[analysis]）。",
    )


def _xlstart_folders(probe: Probe) -> list[str]:
    appdata = probe.env("APPDATA")
    folders = [f"{appdata}\\Microsoft\\Excel\\XLSTART"] if appdata else []
    for version in OFFICE_VERSIONS:
        alt = probe.registry(f"HKCU\\Software\\Microsoft\\Office\\{version}\\Excel\\Options", "AltStartup")
        if alt:
            folders.append(str(alt))
    return folders


def _addin(probe: Probe, names: dict[str, str]) -> Check:
    found = [
        f"{folder}\\xlwings.xlam"
        for folder in _xlstart_folders(probe)
        if probe.is_file(f"{folder}\\xlwings.xlam")
    ]
    if found:
        addin, package = probe.addin_version(found[0]), probe.package_version("xlwings")
        if addin and package and _version_tuple(addin) != _version_tuple(package):
            return Check(
                "xlwings 加载项",
                "warn",
                f"已安装 {found[0]}，但加载项是 {addin} 版，xlwings 包是 {package} 版",
                "关闭 Excel，在项目文件夹运行 .venv\\Scripts\\xlwings addin install 重新安装加载项。",
            )
        return Check("xlwings 加载项", "ok", f"已安装：{found[0]}" + (f"（{addin} 版）" if addin else ""))
    if XLWINGS_MODULE_NAME in names:
        return Check("xlwings 加载项", "ok", "未安装，但台账是独立版（内嵌 xlwings 模块），不需要加载项")
    return Check(
        "xlwings 加载项",
        "fail",
        "Excel 的启动文件夹（XLSTART）中没有 xlwings.xlam",
        "运行 .venv\\Scripts\\xlwings addin install 后重启 Excel；或改用独立版台账："
        "qyx build-workbook --standalone --out 七优享台账.xlsm。",
    )


def _parse_conf(text: str) -> dict[str, str]:
    """xlwings' user config: lines ``"KEY","VALUE"``."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        match = re.match(r'\s*"([^"]*)"\s*,\s*"([^"]*)"', line)
        if match:
            out[match.group(1).upper()] = match.group(2)
    return out


def _interpreter(probe: Probe, ledger: str | None) -> Check:
    conf = {k.upper(): v for k, v in (probe.ledger_conf(ledger) if ledger else {}).items()}
    where = "台账的 xlwings.conf 工作表"
    value = conf.get("INTERPRETER_WIN") or conf.get("INTERPRETER")
    if not value:
        home = probe.env("USERPROFILE") or ""
        user_conf = f"{home}\\.xlwings\\xlwings.conf"
        text = probe.read_text(user_conf) if home else None
        user = _parse_conf(text or "")
        value = user.get("INTERPRETER_WIN") or user.get("INTERPRETER")
        where = user_conf
    fix_set = (
        "在项目文件夹运行 .venv\\Scripts\\xlwings config create --force（把 Interpreter 设为 .venv 中的 python），"
        "或在 Excel 的 xlwings 选项卡 Interpreter 中填 .venv\\Scripts\\python.exe。"
    )
    if not value or value.lower() in ("python", "pythonw"):
        on_path = probe.which("python")
        if on_path and probe.has_qyx_excel(on_path):
            return Check(
                "Python 设置（Interpreter）",
                "ok",
                f"未设置，按钮使用 PATH 上的 {on_path}（已安装 qyx_excel）",
            )
        return Check(
            "Python 设置（Interpreter）",
            "fail",
            f"未设置，按钮会使用 PATH 上的 python（{on_path or '找不到'}），其中没有 qyx_excel",
            fix_set,
        )
    if not probe.is_file(value):
        return Check("Python 设置（Interpreter）", "fail", f"{where} 指向的 {value} 不存在", fix_set)
    if not probe.has_qyx_excel(value):
        return Check(
            "Python 设置（Interpreter）", "fail", f"{where} 指向的 {value} 中没有安装 qyx_excel", fix_set
        )
    return Check("Python 设置（Interpreter）", "ok", f"{value}（{where}）")


_VBA_WARNINGS = {
    1: "启用所有宏",
    2: "禁用所有宏，并发出通知",
    3: "禁用无数字签署的所有宏",
    4: "禁用所有宏，并且不通知",
}


def _trust(probe: Probe, ledger: str | None) -> Check:
    if not ledger:
        return Check("宏安全与受信任位置", "skip", "未指定台账（--ledger）")
    name = "宏安全与受信任位置"
    zone = probe.zone_id(ledger)
    if zone is not None and zone >= 3:
        return Check(
            name,
            "fail",
            f"{_paths(probe).basename(ledger)} 带有“来自网络”的标记（Zone.Identifier，ZoneId={zone}），Office 会阻止其中的宏",
            "在资源管理器中右键台账 → 属性 → 勾选“解除锁定”→ 确定；或把台账放到受信任位置。",
        )
    paths = _paths(probe)
    folder = paths.normcase(paths.dirname(ledger)).rstrip("\\/")
    trusted = []
    for version in OFFICE_VERSIONS:
        for root in (
            f"HKCU\\Software\\Microsoft\\Office\\{version}\\Excel\\Security\\Trusted Locations",
            f"HKCU\\Software\\Policies\\Microsoft\\Office\\{version}\\Excel\\Security\\Trusted Locations",
        ):
            for sub in probe.registry_subkeys(root):
                path = probe.registry(f"{root}\\{sub}", "Path")
                if not path:
                    continue
                location = paths.normcase(str(path)).rstrip("\\/")
                subfolders = probe.registry(f"{root}\\{sub}", "AllowSubfolders")
                if folder == location or (subfolders and folder.startswith(location + "\\")):
                    trusted.append(str(path))
    if trusted:
        return Check(name, "ok", f"台账在受信任位置 {trusted[0]}")
    setting = None
    for version in OFFICE_VERSIONS:
        for key in (
            f"HKCU\\Software\\Policies\\Microsoft\\Office\\{version}\\Excel\\Security",
            f"HKCU\\Software\\Microsoft\\Office\\{version}\\Excel\\Security",
        ):
            value = probe.registry(key, "VBAWarnings")
            if value is not None:
                setting = (int(value), "Policies" in key)
                break
        if setting:
            break
    mode, by_policy = setting or (2, False)
    words = _VBA_WARNINGS.get(mode, str(mode)) + ("（由单位策略设定）" if by_policy else "")
    if mode in (3, 4):
        return Check(
            name,
            "fail",
            f"台账不在受信任位置，宏设置为“{words}”，按钮不会运行",
            "请系统管理员把台账所在文件夹加为受信任位置（文件→选项→信任中心→受信任位置），"
            "或按单位的签名策略为台账签名。",
        )
    return Check(
        name,
        "warn",
        f"台账不在受信任位置，宏设置为“{words}”：打开后须点“启用内容”",
        "把台账所在文件夹加为受信任位置（文件→选项→信任中心→信任中心设置→受信任位置→添加新位置）。",
    )


def _child_processes(probe: Probe) -> Check:
    name = "Office 启动子进程"
    value = probe.registry(ASR_KEY, ASR_CHILD_PROCESS_RULE)
    if value is None:
        return Check(name, "ok", "未读到阻止 Office 创建子进程的组策略（Defender ASR 规则）")
    mode = str(value).strip()
    if mode == "1":
        return Check(
            name,
            "fail",
            "组策略启用了 Defender 规则“阻止所有 Office 应用程序创建子进程”，按钮无法启动 Python",
            f"请系统管理员为 Excel 调用 Python 设置例外（规则 {ASR_CHILD_PROCESS_RULE}），"
            "或在本机改用命令行 qyx / scripts 中的 .cmd 启动器。",
        )
    if mode in ("2", "6"):
        return Check(
            name,
            "warn",
            "该规则处于审核/警告模式：按钮可以运行，但会被记录或提示",
            "如被拦截，请联系系统管理员。",
        )
    return Check(name, "ok", f"规则已关闭（{mode}）")


def _code_page(probe: Probe) -> Check:
    page = probe.ansi_code_page()
    if page is None:
        return Check("系统代码页", "skip", "无法读取")
    if page in CHINESE_CODE_PAGES or page == 65001:
        return Check("系统代码页", "ok", f"{page}：中文提示框可以正常显示")
    return Check(
        "系统代码页",
        "warn",
        f"{page}：按钮出错时 xlwings 转述的中文信息可能显示为乱码",
        "控制面板 → 区域 → 管理 → 更改系统区域设置 → 中文(简体，中国)，重启后生效。",
    )


# --- Linux / macOS -------------------------------------------------------------------------


def _libreoffice(probe: Probe) -> Check:
    found = probe.env("QYX_SOFFICE") or probe.which("soffice") or probe.which("libreoffice")
    if found:
        return Check("LibreOffice", "ok", f"{found}（qyx tables --pdf 用它导出 PDF）")
    return Check(
        "LibreOffice",
        "warn",
        "未找到：打印进度表只能生成 .xlsx，不能直接导出 PDF",
        "安装 LibreOffice（统信/麒麟的应用商店，或 apt install libreoffice-calc）。",
    )


def _launchers(probe: Probe, project: str | None) -> Check:
    if not project:
        return Check("桌面启动器", "skip", "不在项目文件夹中运行")
    paths = _paths(probe)
    names = ("qyx-check-inbox", "qyx-consolidate", "qyx-notice")
    missing = [f"{n}.sh" for n in names if not probe.is_file(paths.join(project, "scripts", f"{n}.sh"))]
    if missing:
        return Check(
            "桌面启动器", "warn", f"缺少 {'、'.join(missing)}", "请从项目仓库重新获取 scripts 文件夹。"
        )
    data = probe.env("XDG_DATA_HOME") or (paths.join(probe.env("HOME") or "~", ".local", "share"))
    entries = [paths.join(data, "applications", f"{n}.desktop") for n in names]
    installed = [
        e
        for e, n in zip(entries, names, strict=True)
        if paths.join(project, "scripts", f"{n}.sh") in (probe.read_text(e) or "")
    ]
    if len(installed) < len(names):
        return Check(
            "桌面启动器",
            "warn",
            "scripts 中有校验/汇总/通报的 .sh 启动器，但桌面图标未安装或指向别处",
            "在项目文件夹运行 bash scripts/install-desktop.sh（项目移动过位置后也要重新运行）。",
        )
    return Check(
        "桌面启动器", "ok", "校验/汇总/通报的 .sh 启动器和桌面图标已就绪（WPS 中无法使用按钮时双击运行）"
    )


# ================================================================================================
# The real PC
# ================================================================================================


class SystemProbe:
    """:class:`Probe` of the PC this runs on (registry, ADS and code page only on Windows)."""

    def __init__(self) -> None:
        self.platform = sys.platform

    def python(self) -> dict[str, Any]:
        import struct

        return {
            "version": tuple(sys.version_info[:3]),
            "bits": struct.calcsize("P") * 8,
            "executable": sys.executable,
            "prefix": sys.prefix,
            "base_prefix": sys.base_prefix,
        }

    def env(self, name: str) -> str | None:
        return os.environ.get(name) or None

    def is_file(self, path: str) -> bool:
        return os.path.isfile(path)

    def read_text(self, path: str) -> str | None:
        try:
            return Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None

    def package_version(self, name: str) -> str | None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version(name)
        except PackageNotFoundError:
            return None

    def has_qyx_excel(self, python: str) -> bool:
        if os.path.normcase(os.path.abspath(python)) == os.path.normcase(os.path.abspath(sys.executable)):
            return True
        try:
            proc = subprocess.run(
                [python, "-c", "import qyx_excel"], capture_output=True, timeout=60, check=False
            )
        except (OSError, subprocess.SubprocessError):
            return False
        return proc.returncode == 0

    def which(self, name: str) -> str | None:
        import shutil

        return shutil.which(name)

    def _open(self, key: str) -> Any:  # Windows only (callers check the platform)
        winreg = _winreg()

        hive, _, sub = key.partition("\\")
        root = {"HKCU": winreg.HKEY_CURRENT_USER, "HKLM": winreg.HKEY_LOCAL_MACHINE}[hive]
        return winreg.OpenKey(root, sub)

    def registry(self, key: str, name: str) -> Any:
        if self.platform != "win32":
            return None
        winreg = _winreg()

        try:
            with self._open(key) as handle:
                return winreg.QueryValueEx(handle, name)[0]
        except OSError:
            return None

    def registry_subkeys(self, key: str) -> list[str]:
        if self.platform != "win32":
            return []
        winreg = _winreg()

        out: list[str] = []
        try:
            with self._open(key) as handle:
                for i in range(winreg.QueryInfoKey(handle)[0]):
                    out.append(winreg.EnumKey(handle, i))
        except OSError:
            pass
        return out

    def zone_id(self, path: str) -> int | None:
        if self.platform != "win32":
            return None
        return zone_id_of(self.read_text(path + ":Zone.Identifier") or "")

    def ansi_code_page(self) -> int | None:
        if self.platform != "win32":
            return None
        import ctypes

        return int(ctypes.windll.kernel32.GetACP())  # type: ignore[attr-defined]

    def ledger_names(self, path: str) -> dict[str, str]:
        return ledger_defined_names(Path(path))

    def addin_version(self, path: str) -> str | None:
        return addin_version_of(Path(path))

    def ledger_conf(self, path: str) -> dict[str, str]:
        return ledger_xlwings_conf(Path(path))


def zone_id_of(text: str) -> int | None:
    """``ZoneId`` from the text of a ``Zone.Identifier`` stream (``[ZoneTransfer]`` / ``ZoneId=3``)."""
    match = re.search(r"^\s*ZoneId\s*=\s*(\d+)", text, re.MULTILINE)
    return int(match.group(1)) if match else None


def addin_version_of(path: Path) -> str | None:
    """The ``XLWINGS_VERSION`` constant in an xlwings add-in (``xlwings.xlam``), read from its VBA."""

    try:
        with zipfile.ZipFile(path) as archive:
            modules = read_vba_modules(archive.read("xl/vbaProject.bin"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    for text in modules.values():
        match = re.search(r'XLWINGS_VERSION\s+As\s+String\s*=\s*"([^"]+)"', text)
        if match:
            return match.group(1)
    return None


def ledger_defined_names(path: Path) -> dict[str, str]:
    """Workbook-level defined names of an .xlsx/.xlsm (string constants without their quotes)."""
    from defusedxml import ElementTree as ET

    try:
        with zipfile.ZipFile(path) as archive:
            root = ET.fromstring(archive.read("xl/workbook.xml"))
    except (OSError, KeyError, zipfile.BadZipFile, ET.ParseError):
        return {}
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    out: dict[str, str] = {}
    for item in root.iter(f"{ns}definedName"):
        if item.get("localSheetId") is not None:
            continue
        text = item.text or ""
        if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
            text = text[1:-1].replace('""', '"')
        out[item.get("name", "")] = text
    return out


def ledger_xlwings_conf(path: Path) -> dict[str, str]:
    """The ``xlwings.conf`` sheet of a workbook (column A key, column B value), {} if none."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        if "xlwings.conf" not in book.sheet_names:
            return {}
        rows = book.get_sheet_by_name("xlwings.conf").to_python()
    except Exception:  # an unreadable ledger: the trust check reports the file itself
        return {}
    return {str(r[0]).strip().upper(): str(r[1]).strip() for r in rows if len(r) >= 2 and r[0]}


def project_folder() -> str | None:
    """The project folder when qyx_excel runs from a checkout (it has pyproject.toml and scripts/)."""
    root = Path(__file__).resolve().parent.parent
    return str(root) if (root / "pyproject.toml").is_file() and (root / "scripts").is_dir() else None


def default_ledger(project: str | None, probe: Probe) -> str | None:
    """The launchers' ledger (``%QYX_LEDGER_DIR%`` or <project>/台账/七优享台账.xlsm) if it exists."""

    folder = probe.env("QYX_LEDGER_DIR") or (str(Path(project) / "台账") if project else None)
    if not folder:
        return None
    path = str(Path(folder) / LEDGER_NAME)
    return path if probe.is_file(path) else None


def report(checks: Sequence[Check]) -> str:
    """The Chinese report, one check a line (with what to do under the ones not ok)."""
    fails = sum(1 for c in checks if c.status == "fail")
    warns = sum(1 for c in checks if c.status == "warn")
    lines = [c.line() for c in checks]
    if fails:
        lines.append(f"\n发现 {fails} 个问题须处理、{warns} 个提醒。处理后再运行一次 qyx doctor。")
    elif warns:
        lines.append(f"\n没有阻止按钮运行的问题；{warns} 个提醒请酌情处理。")
    else:
        lines.append("\n本机检查全部通过。")
    return "\n".join(lines)


def to_json(checks: Sequence[Check]) -> dict[str, Any]:
    return {"ok": not any(c.status == "fail" for c in checks), "checks": [asdict(c) for c in checks]}


def _winreg() -> Any:
    """The Windows registry module (typed loosely: it does not exist where the type checker runs)."""
    import winreg

    return winreg
