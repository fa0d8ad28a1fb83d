"""``qyx doctor``: the checks' logic on fake PCs (the Probe interface), and the real command here."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from qyx_excel import doctor
from qyx_excel.doctor import ASR_CHILD_PROCESS_RULE, ASR_KEY, Check, run_checks

PROJECT = r"C:\qyx"
VENV_PY = r"C:\qyx\.venv\Scripts\python.exe"
LEDGER = r"D:\专班\台账\七优享台账.xlsm"
XLSTART = r"C:\Users\clerk\AppData\Roaming\Microsoft\Excel\XLSTART"
TRUSTED = r"HKCU\Software\Microsoft\Office\16.0\Excel\Security\Trusted Locations"


@dataclass
class FakeProbe:
    """A PC described by data: what each Probe method answers."""

    platform: str = "win32"
    version: tuple[int, int, int] = (3, 12, 4)
    bits: int = 64
    prefix: str = r"C:\qyx\.venv"
    files: set[str] = field(default_factory=set)
    texts: dict[str, str] = field(default_factory=dict)
    envs: dict[str, str] = field(default_factory=dict)
    packages: dict[str, str] = field(default_factory=lambda: {"xlwings": "0.37.8"})
    with_qyx: set[str] = field(default_factory=set)
    on_path: dict[str, str] = field(default_factory=dict)
    reg: dict[tuple[str, str], Any] = field(default_factory=dict)
    zones: dict[str, int] = field(default_factory=dict)
    code_page: int | None = 936
    names: dict[str, str] = field(default_factory=dict)
    conf: dict[str, str] = field(default_factory=dict)
    addins: dict[str, str] = field(default_factory=dict)

    def python(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "bits": self.bits,
            "executable": VENV_PY,
            "prefix": self.prefix,
            "base_prefix": r"C:\Python312",
        }

    def env(self, name: str) -> str | None:
        return self.envs.get(name)

    def is_file(self, path: str) -> bool:
        return path in self.files

    def read_text(self, path: str) -> str | None:
        return self.texts.get(path)

    def package_version(self, name: str) -> str | None:
        return self.packages.get(name)

    def has_qyx_excel(self, python: str) -> bool:
        return python in self.with_qyx

    def which(self, name: str) -> str | None:
        return self.on_path.get(name)

    def registry(self, key: str, name: str) -> Any:
        return self.reg.get((key, name))

    def registry_subkeys(self, key: str) -> list[str]:
        prefix = key + "\\"
        return sorted({k[len(prefix) :].split("\\")[0] for k, _ in self.reg if k.startswith(prefix)})

    def zone_id(self, path: str) -> int | None:
        return self.zones.get(path)

    def ansi_code_page(self) -> int | None:
        return self.code_page

    def ledger_names(self, path: str) -> dict[str, str]:
        return self.names

    def ledger_conf(self, path: str) -> dict[str, str]:
        return self.conf

    def addin_version(self, path: str) -> str | None:
        return self.addins.get(path)


def good_windows_pc(**changes: Any) -> FakeProbe:
    """An office PC where the add-in ledger's buttons work."""
    probe = FakeProbe(
        files={LEDGER, VENV_PY, XLSTART + r"\xlwings.xlam"},
        envs={"APPDATA": r"C:\Users\clerk\AppData\Roaming", "USERPROFILE": r"C:\Users\clerk"},
        texts={r"C:\Users\clerk\.xlwings\xlwings.conf": f'"INTERPRETER_WIN","{VENV_PY}"\n'},
        with_qyx={VENV_PY},
        reg={
            (TRUSTED + r"\Location5", "Path"): "D:\\专班\\",
            (TRUSTED + r"\Location5", "AllowSubfolders"): 1,
        },
    )
    for key, value in changes.items():
        setattr(probe, key, value)
    return probe


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


def test_a_good_windows_pc_passes_every_check():
    checks = run_checks(good_windows_pc(), ledger=LEDGER, project=PROJECT)
    assert [(c.name, c.status) for c in checks if c.status not in ("ok", "skip")] == []
    names = [c.name for c in checks]
    assert names == [
        "Python 版本",
        "虚拟环境",
        "qyx_excel",
        "xlwings",
        "独立版台账模块",
        "pandas",
        "xlwings 加载项",
        "Python 设置（Interpreter）",
        "宏安全与受信任位置",
        "Office 启动子进程",
        "系统代码页",
    ]
    assert by_name(checks)["宏安全与受信任位置"].detail == "台账在受信任位置 D:\\专班\\"
    assert doctor.to_json(checks)["ok"] is True


def test_a_broken_windows_pc_names_each_thing_to_fix():
    probe = good_windows_pc(
        files={LEDGER},  # no add-in, and the configured python is gone
        packages={"xlwings": "0.37.4"},
        zones={LEDGER: 3},
        code_page=1252,
        bits=32,
    )
    probe.reg[(ASR_KEY, ASR_CHILD_PROCESS_RULE)] = "1"
    probe.packages["pandas"] = "3.1.1"  # an environment installed with the old dependencies
    checks = by_name(run_checks(probe, ledger=LEDGER, project=PROJECT))
    assert checks["pandas"].status == "warn" and "pip uninstall -y pandas numpy" in checks["pandas"].fix
    assert checks["Python 版本"].status == "warn" and "64 位" in checks["Python 版本"].fix
    assert checks["xlwings"].status == "fail" and "需要 0.37.5" in checks["xlwings"].detail
    assert checks["xlwings 加载项"].status == "fail" and "--standalone" in checks["xlwings 加载项"].fix
    interp = checks["Python 设置（Interpreter）"]
    assert interp.status == "fail" and "不存在" in interp.detail and "xlwings config create" in interp.fix
    assert checks["宏安全与受信任位置"].status == "fail" and "解除锁定" in checks["宏安全与受信任位置"].fix
    assert (
        checks["Office 启动子进程"].status == "fail"
        and ASR_CHILD_PROCESS_RULE in checks["Office 启动子进程"].fix
    )
    assert checks["系统代码页"].status == "warn" and "中文(简体，中国)" in checks["系统代码页"].fix
    report = doctor.report(list(checks.values()))
    assert "发现 5 个问题须处理" in report and "[问题] xlwings：0.37.4" in report


def test_a_standalone_ledger_needs_no_add_in_but_the_same_xlwings():
    probe = good_windows_pc(files={LEDGER, VENV_PY}, names={"QYX_XLWINGS_MODULE": "0.37.6"})
    checks = by_name(run_checks(probe, ledger=LEDGER, project=PROJECT))
    assert checks["xlwings 加载项"].status == "ok" and "独立版" in checks["xlwings 加载项"].detail
    module = checks["独立版台账模块"]
    assert module.status == "warn" and "0.37.6" in module.detail and "0.37.8" in module.detail
    assert "qyx build-workbook --standalone" in module.fix
    probe.names = {"QYX_XLWINGS_MODULE": "0.37.8"}
    assert by_name(run_checks(probe, ledger=LEDGER))["独立版台账模块"].status == "ok"


def test_the_ledgers_own_xlwings_conf_comes_before_the_user_config():
    probe = good_windows_pc(conf={"INTERPRETER_WIN": r"E:\other\python.exe"})
    interp = by_name(run_checks(probe, ledger=LEDGER))["Python 设置（Interpreter）"]
    assert (
        interp.status == "fail"
        and interp.detail == r"台账的 xlwings.conf 工作表 指向的 E:\other\python.exe 不存在"
    )
    probe.files.add(r"E:\other\python.exe")  # exists, but without qyx_excel
    interp = by_name(run_checks(probe, ledger=LEDGER))["Python 设置（Interpreter）"]
    assert interp.status == "fail" and "没有安装 qyx_excel" in interp.detail


def test_no_interpreter_setting_uses_python_on_path():
    probe = good_windows_pc(texts={})
    interp = by_name(run_checks(probe, ledger=LEDGER))["Python 设置（Interpreter）"]
    assert interp.status == "fail" and "找不到" in interp.detail
    probe.on_path = {"python": VENV_PY}
    assert by_name(run_checks(probe, ledger=LEDGER))["Python 设置（Interpreter）"].status == "ok"


@pytest.mark.parametrize(
    ("value", "policy", "status", "words"),
    [
        (None, False, "warn", "禁用所有宏，并发出通知"),  # Office's default
        (1, False, "warn", "启用所有宏"),
        (3, True, "fail", "禁用无数字签署的所有宏（由单位策略设定）"),
        (4, False, "fail", "禁用所有宏，并且不通知"),
    ],
)
def test_an_untrusted_folder_and_the_macro_setting(value, policy, status, words):
    probe = good_windows_pc(reg={})
    if value is not None:
        key = r"HKCU\Software\{}Microsoft\Office\16.0\Excel\Security".format("Policies\\" if policy else "")
        probe.reg[(key, "VBAWarnings")] = value
    check = by_name(run_checks(probe, ledger=LEDGER))["宏安全与受信任位置"]
    assert check.status == status and f"宏设置为“{words}”" in check.detail
    assert "受信任位置" in check.fix


def test_a_trusted_parent_folder_counts_only_with_subfolders_allowed():
    probe = good_windows_pc()
    probe.reg[(TRUSTED + r"\Location5", "AllowSubfolders")] = 0
    assert by_name(run_checks(probe, ledger=LEDGER))["宏安全与受信任位置"].status == "warn"


def test_the_add_in_in_an_alternate_startup_folder():
    probe = good_windows_pc(files={LEDGER, VENV_PY, r"E:\启动\xlwings.xlam"})
    probe.reg[(r"HKCU\Software\Microsoft\Office\16.0\Excel\Options", "AltStartup")] = r"E:\启动"
    assert (
        by_name(run_checks(probe, ledger=LEDGER))["xlwings 加载项"].detail == r"已安装：E:\启动\xlwings.xlam"
    )


def test_linux_checks_what_applies(tmp_path):
    scripts = {f"/opt/qyx/scripts/{n}.sh" for n in ("qyx-check-inbox", "qyx-consolidate", "qyx-notice")}
    probe = FakeProbe(
        platform="linux", prefix="/opt/qyx/.venv", files=set(scripts), envs={"HOME": "/home/clerk"}
    )
    checks = by_name(run_checks(probe, project="/opt/qyx"))
    assert "xlwings 加载项" not in checks and "系统代码页" not in checks
    assert checks["LibreOffice"].status == "warn"
    assert checks["桌面启动器"].status == "warn" and "install-desktop.sh" in checks["桌面启动器"].fix
    probe.on_path = {"soffice": "/usr/bin/soffice"}
    probe.texts = {
        f"/home/clerk/.local/share/applications/{Path(s).stem}.desktop": f'Exec="{s}"\n' for s in scripts
    }
    checks = by_name(run_checks(probe, project="/opt/qyx"))
    assert checks["LibreOffice"].status == "ok" and checks["桌面启动器"].status == "ok"
    probe.files.discard("/opt/qyx/scripts/qyx-notice.sh")
    assert "缺少 qyx-notice.sh" in by_name(run_checks(probe, project="/opt/qyx"))["桌面启动器"].detail


def test_an_add_in_older_than_the_package_is_reported():
    probe = good_windows_pc(addins={XLSTART + r"\xlwings.xlam": "0.37.6"})
    check = by_name(run_checks(probe, ledger=LEDGER))["xlwings 加载项"]
    assert check.status == "warn" and "加载项是 0.37.6 版，xlwings 包是 0.37.8 版" in check.detail
    assert "xlwings addin install" in check.fix
    probe.addins = {XLSTART + r"\xlwings.xlam": "0.37.8"}
    assert by_name(run_checks(probe, ledger=LEDGER))["xlwings 加载项"].detail.endswith("（0.37.8 版）")


def test_the_add_in_version_is_read_from_the_shipped_xlam():
    """The VBA of xlwings' own add-in, read with vbaproject.read_vba_modules (dir stream, offsets)."""
    from importlib.metadata import version
    from importlib.util import find_spec

    xlam = Path(find_spec("xlwings").submodule_search_locations[0]) / "addin" / "xlwings.xlam"
    assert doctor.addin_version_of(xlam) == version("xlwings")
    assert doctor.addin_version_of(Path(__file__)) is None


def test_zone_identifier_text():
    assert doctor.zone_id_of("[ZoneTransfer]\r\nZoneId=3\r\nHostUrl=https://mail.example/x\r\n") == 3
    assert doctor.zone_id_of("") is None


def test_ledger_names_and_xlwings_conf_read_from_real_files(tmp_path):
    path = tmp_path / "conf.xlsm"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("汇总")
    conf = wb.add_worksheet("xlwings.conf")
    conf.write_row(0, 0, ["Interpreter_Win", r"C:\qyx\.venv\Scripts\python.exe"])
    wb.define_name("QYX_XLWINGS_MODULE", '="0.37.8"')
    wb.define_name("QYX_MSG_TITLE", '="say ""hi"""')
    wb.close()
    assert doctor.ledger_xlwings_conf(path) == {"INTERPRETER_WIN": r"C:\qyx\.venv\Scripts\python.exe"}
    names = doctor.ledger_defined_names(path)
    assert names["QYX_XLWINGS_MODULE"] == "0.37.8" and names["QYX_MSG_TITLE"] == 'say "hi"'
    assert doctor.ledger_defined_names(tmp_path / "missing.xlsm") == {}


def test_qyx_doctor_on_this_machine_json_and_exit_code():
    committed = Path(__file__).parent.parent / "workbook" / "七优享台账.xlsm"
    proc = subprocess.run(
        [sys.executable, "-m", "qyx_excel", "doctor", "--json", "--ledger", str(committed)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    data = json.loads(proc.stdout)
    assert set(data) == {"ok", "checks"} and all(
        set(c) == {"name", "status", "detail", "fix"} for c in data["checks"]
    )
    assert proc.returncode == (0 if data["ok"] else 1)
    checks = {c["name"]: c for c in data["checks"]}
    assert (
        checks["独立版台账模块"]["status"] == "skip" and "加载项版台账" in checks["独立版台账模块"]["detail"]
    )
    if sys.platform != "win32":
        assert "系统代码页" not in checks and "LibreOffice" in checks
