"""Findings as data: a catalogue of stable codes, each with a severity and a Chinese template.

A :class:`Finding` says what is wrong and where (file → sheet → cell, and the indicator);
a :class:`FileReport` holds one file's findings and a :class:`Report` a run's file reports; :func:`is_valid` is
the one rule every result's ``ok`` is built on (no error finding).  The catalogue ``CODES`` is the one
place codes are defined; ``docs/findings.md`` is generated from it (a test keeps them equal).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

ERROR = "error"
WARNING = "warning"
#: The office's words for the two severities (校验结果, messages, the CLI, the roll-up).
SEVERITY_WORDS: dict[str, str] = {ERROR: "错误", WARNING: "提醒"}
#: The error word where it must say what an error does to the file (the catalogue, the roll-up).
REFUSED_ERROR_WORD = "错误（拒收）"


def severity_word(severity: str, *, refused: bool = False) -> str:
    """错误 for an error (错误（拒收） with ``refused``), 提醒 for a warning."""
    if severity == ERROR:
        return REFUSED_ERROR_WORD if refused else SEVERITY_WORDS[ERROR]
    return SEVERITY_WORDS[WARNING]


@dataclass(frozen=True)
class Code:
    """One kind of finding: stable ``code``, default ``severity``, ``title`` and message template."""

    code: str
    severity: str
    title: str
    template: str


def _codes(*rows: tuple[str, str, str, str]) -> dict[str, Code]:
    return {row[0]: Code(*row) for row in rows}


# Templates use str.format fields; every field a template names must be passed to make().
CODES: dict[str, Code] = _codes(
    # --- the file as a whole (safe-open step) ---------------------------------------------
    ("file-missing", ERROR, "文件不存在", "找不到文件，请确认路径是否正确。"),
    ("file-empty", ERROR, "空文件", "文件是空的（0 字节），可能在传输中损坏，请重新发送。"),
    (
        "file-old-format",
        ERROR,
        "旧版 .xls 格式",
        "这是旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 后重新提交。",
    ),
    (
        "file-encrypted",
        ERROR,
        "文件已加密",
        "文件已加密，请在 Excel 中取消密码（文件→信息→保护工作簿）后提交。",
    ),
    (
        "file-not-excel",
        ERROR,
        "不是 Excel 文件",
        "这不是 Excel 工作簿（{detail}），请提交下发的 .xlsx 填报表。",
    ),
    (
        "file-corrupt",
        ERROR,
        "文件已损坏",
        "文件已损坏，无法打开（{detail}），请在 Excel 中打开确认后重新保存提交。",
    ),
    (
        "file-too-large",
        ERROR,
        "文件过大或疑似压缩炸弹",
        "文件解压后过大（{detail}），已拒收，请提交下发的填报表。",
    ),
    (
        "sheet-too-large",
        ERROR,
        "工作表范围过大",
        "工作表的已用区域过大（{detail}），已拒收；请在 Excel 中删除远处误填的内容"
        "（按 Ctrl+End 可跳到最后一个单元格），保存后重新提交。",
    ),
    (
        "file-unsafe-xml",
        ERROR,
        "文件含不安全内容",
        "文件中含有不安全的 XML 内容（{detail}），已拒收，请用下发的填报表重新填写。",
    ),
    (
        "file-has-macros",
        WARNING,
        "文件带宏",
        "文件带有宏代码，系统不会运行宏，只读取数据；请尽量提交 .xlsx 格式。",
    ),
    (
        "file-external-links",
        WARNING,
        "文件含外部链接",
        "文件含有指向其他工作簿的外部链接，链接不会被更新，请将数值粘贴为数值后提交。",
    ),
    ("file-unreadable", ERROR, "文件无法读取", "文件无法读取：{detail}。"),
    (
        "output-locked",
        ERROR,
        "输出文件被占用",
        "文件“{detail}”正被其他程序打开（如 Excel/Word），请先关闭该文件后重试。",
    ),
    ("output-failed", ERROR, "输出失败", "写入“{detail}”失败，原文件保持不变。"),
    # --- the template: which file is this? -------------------------------------------------
    (
        "template-unknown",
        ERROR,
        "不是本台账的填报表",
        "文件不是“七优享”台账下发的填报表（缺少模板标识），请使用办公室下发的填报表。",
    ),
    (
        "template-stale",
        ERROR,
        "模板版本过旧",
        "填报表模板版本为 {found}，当前为 {expected}，请使用本期下发的新模板重新填报。",
    ),
    (
        "group-mismatch",
        ERROR,
        "专项组不符",
        "填报表属于“{found}”，与应交的“{expected}”不符，请确认是否发错文件。",
    ),
    (
        "period-mismatch",
        ERROR,
        "填报期不符",
        "填报表的填报期为 {found}，本次汇总的是 {expected}，请使用本期下发的填报表。",
    ),
    (
        "period-year-mismatch",
        ERROR,
        "台账年份与填报期不符",
        "本{book}是 {year} 年的（“本年目标”为 {year} 年目标），填报期 {period} 属于 {period_year} 年，年份对不上，"
        "这不是填报的错。请专班办公室生成 {period_year} 年台账（qyx new-year）或下发 {period_year} 年填报表，"
        "在新表中填报 {period}。",
    ),
    (
        "file-is-weekly",
        ERROR,
        "周盘点表放错了文件夹",
        "这是 {found} 的周盘点表，不属于月度汇总：请把它放进“周盘点收件箱”，用 qyx weekly 汇总。",
    ),
    ("sheet-missing", ERROR, "缺少工作表", "找不到工作表“{expected}”，请勿重命名或删除专项组工作表。"),
    ("header-missing", ERROR, "表头缺失", "找不到表头“{expected}”，请勿修改、删除或合并表头单元格。"),
    ("header-duplicate", ERROR, "表头重复", "表头“{found}”出现了不止一次，请恢复下发时的表头。"),
    ("header-block-empty", WARNING, "表头信息未填", "“{found}”未填写，请补充后再提交。"),
    ("row-missing", ERROR, "缺少指标行", "找不到序号为 {indicator_id} 的行，请勿删除指标行或修改序号。"),
    ("row-unknown", ERROR, "未知序号", "序号“{found}”不是方案中的指标或任务，请勿修改序号。"),
    ("row-duplicate", ERROR, "序号重复", "序号 {found} 出现了不止一次，请删除重复行。"),
    (
        "protected-changed",
        ERROR,
        "受保护内容被修改",
        "“{column}”被改成了“{found}”，应为“{expected}”，请勿修改指标名称、目标和序号。",
    ),
    ("merged-input", ERROR, "输入格被合并", "单元格 {cell} 与其他单元格合并，请取消合并后重新填写。"),
    # --- values -------------------------------------------------------------------------------
    ("value-not-number", ERROR, "不是数值", "“{found}”不是数值，本期完成值请填写数字（如 85.5）。"),
    ("value-excel-error", ERROR, "公式错误值", "单元格显示错误值 {found}，请修正公式或直接填写数值。"),
    (
        "value-formula-uncached",
        ERROR,
        "公式无计算结果",
        "单元格是公式但没有计算结果，请在 Excel 中打开并保存一次，或直接填写数值。",
    ),
    (
        "value-percent-range",
        ERROR,
        "百分比超出范围",
        "百分比 {found} 不在 0—100 之间，请按百分数填写（如 85 表示 85%）。",
    ),
    ("value-negative", ERROR, "数值为负", "数值 {found} 为负数，该指标不应小于 0。"),
    (
        "value-cumulative-decrease",
        ERROR,
        "累计数减少",
        "累计数 {found} 小于上次已受理的 {expected}（{detail}），累计值不应减少，请核实。",
    ),
    (
        "value-jump",
        WARNING,
        "与上期相比变化过大",
        "本期 {found} 与上期 {expected} 相比变化 {detail}，超出 {threshold}，请核实或在进展情况说明中说明原因。",
    ),
    (
        "value-missing",
        WARNING,
        "未填完成值",
        "本期完成值未填写，也没有说明原因，请填写数值或在进展情况说明中说明。",
    ),
    (
        "lagging-no-note",
        WARNING,
        "滞后未说明",
        "指标进度滞后（{found}，序时目标 {expected}），请在进展情况说明中写明原因和措施。",
    ),
    (
        "qualitative-unclear",
        WARNING,
        "定性指标未声明",
        "该指标目标为“{expected}”，请在完成值中填写“已完成”“推进中”或“未启动”。",
    ),
    ("date-invalid", WARNING, "日期无法识别", "“{found}”不是可识别的日期，请按 2024-03-05 的格式填写。"),
    (
        "task-state-invalid",
        ERROR,
        "完成情况不在选项内",
        "完成情况“{found}”不在选项内，请从下拉列表选择：{expected}。",
    ),
    ("task-progress-missing", WARNING, "任务进展未填", "重点任务的本期进展未填写，请简要说明本期进展。"),
    (
        "task-lagging-no-problem",
        WARNING,
        "滞后任务未写问题",
        "任务完成情况为“{found}”，请在“存在问题”中写明原因。",
    ),
    ("project-number-invalid", ERROR, "投资额不是数值", "“{found}”不是数值，投资额请以万元为单位填写数字。"),
    (
        "project-state-invalid",
        ERROR,
        "项目状态不在选项内",
        "项目状态“{found}”不在选项内，请从下拉列表选择：{expected}。",
    ),
    (
        "project-over-plan",
        WARNING,
        "完成投资超过计划",
        "本年累计完成投资 {found} 超过本年计划投资 {expected}，请核实。",
    ),
    (
        "app-state-invalid",
        ERROR,
        "贯通状态不在选项内",
        "贯通状态“{found}”不在选项内，请从下拉列表选择：{expected}。",
    ),
    # --- text hygiene ---------------------------------------------------------------------
    (
        "text-too-long",
        ERROR,
        "文字过长",
        "文字长度 {found} 字，超过 Excel 单元格上限 {expected} 字，请精简后提交（系统不会自动截断）。",
    ),
    ("text-control-chars", WARNING, "含不可见控制字符", "文字中含有不可见的控制字符，已删除；请核对内容。"),
    (
        "text-formula-like",
        WARNING,
        "文字以公式符号开头",
        "文字以“{found}”开头，已按文字保存，不会作为公式执行。",
    ),
    # --- submissions ------------------------------------------------------------------------
    (
        "submission-superseded",
        WARNING,
        "重复提交",
        "同一专项组本期收到多份填报表，以最后收到的“{found}”为准。",
    ),
    (
        "submission-conflict",
        WARNING,
        "两份填报内容不同",
        "本期已收到该专项组另一份内容不同的填报表（{found}），以后收到的为准，请确认。",
    ),
    ("submission-missing", WARNING, "未报送", "“{expected}”本期尚未报送。"),
    # --- roll-up (exports from counties) -----------------------------------------------------
    (
        "export-schema",
        ERROR,
        "上报文件格式不符",
        "上报文件的格式版本为 {found}，应为 {expected}，请用同一版本的 qyx 导出。",
    ),
    (
        "export-duplicate-county",
        ERROR,
        "县市重复",
        "县（市、区）“{found}”的数据出现了不止一份，请只保留一份。",
    ),
    ("export-unknown-indicator", ERROR, "未知指标", "上报文件中的指标“{found}”不在指标库中。"),
    ("export-period-mismatch", ERROR, "上报期不符", "上报文件的期别为 {found}，应为 {expected}。"),
    ("export-invalid", ERROR, "上报内容不符合格式", "上报文件{detail}，请用 qyx 重新导出，勿手工修改。"),
    # --- reading, receiving, writing (issue 12) ----------------------------------------------------
    (
        "file-reader-failed",
        ERROR,
        "读取失败",
        "读取该文件时{detail}，已拒收，同一批其他文件照常处理；"
        "请在 Excel 中打开该文件，另存为新的 .xlsx 后重新提交。",
    ),
    ("file-skipped", WARNING, "收件箱中的项未读取", "收件箱中的这一项{detail}。"),
    (
        "period-meta-mismatch",
        WARNING,
        "填报期与模板标识不符",
        "表头的填报期为 {found}，而文件的模板标识为 {expected}，"
        "已按表头的 {found} 接收，请确认填报期和数据是否一致。",
    ),
    (
        "value-implausible",
        ERROR,
        "数值超出合理范围",
        "数值“{found}”超出合理范围（可能多输了数字或单位有误），请核实后重新填写。",
    ),
    (
        "value-unit-mismatch",
        WARNING,
        "单位不符",
        "“{found}”带百分号，而该指标的单位是“{expected}”，请核实填写的是否为本指标的数值。",
    ),
    (
        "value-percent-fraction",
        WARNING,
        "百分比疑似填成小数",
        "完成值 {found} 看起来是小数形式的比例，该指标按百分数填写"
        "（如 {expected} 表示 {expected}%），请核实。",
    ),
    (
        "submission-blank",
        ERROR,
        "填报表未填写",
        "填报表中没有填写任何完成值、说明或进展，未采用；如已报送过，本期仍以此前受理的为准。",
    ),
)


@dataclass(frozen=True)
class Finding:
    """One problem found in a submission, located as precisely as we can."""

    code: str
    severity: str
    message: str
    file: str | None = None
    sheet: str | None = None
    cell: str | None = None
    indicator: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    @property
    def title(self) -> str:
        return CODES[self.code].title

    @property
    def where(self) -> str:
        """Human location: ``file › sheet › cell``."""
        return " › ".join(part for part in (self.file, self.sheet, self.cell) if part)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def make(
    code: str,
    *,
    file: str | None = None,
    sheet: str | None = None,
    cell: str | None = None,
    indicator: str | None = None,
    severity: str | None = None,
    **fields: Any,
) -> Finding:
    """Build a finding from the catalogue; ``fields`` fill the message template."""
    spec = CODES[code]
    fields.setdefault("indicator_id", indicator)
    fields.setdefault("cell", cell)
    message = spec.template.format_map(_Defaulting(fields))
    return Finding(
        code=code,
        severity=severity or spec.severity,
        message=message,
        file=file,
        sheet=sheet,
        cell=cell,
        indicator=indicator,
    )


class _Defaulting(dict):  # a missing template field shows as "？" rather than crashing
    def __missing__(self, key: str) -> str:
        return "？"


def is_valid(findings: Iterable[Finding]) -> bool:
    """The one ``ok`` rule: no finding is an error.

    An unreadable file is not an exception to it: reading it failed with an error finding
    (``file-unreadable``, ``file-corrupt`` …), so the file is not valid by this same rule.
    """
    return not any(f.severity == ERROR for f in findings)


def finding_counts(findings: Iterable[Finding]) -> dict[str, int]:
    """``{"errors": n, "warnings": m}`` of ``findings``."""
    items = list(findings)
    errors = sum(1 for f in items if f.severity == ERROR)
    return {"errors": errors, "warnings": len(items) - errors}


@dataclass
class FileReport:
    """One file's part of a run (frictionless' ``ReportTask``): the file, what it was, its findings.

    (Named ``FileReport``, not ``Task``: a task here is a 重点任务 of the plan.)

    ``group`` and ``period`` are what the file says it is, where known; ``unreadable`` means the
    file could not be read at all (it then holds the error finding that says why).
    """

    file: str
    group: str | None = None
    period: str | None = None
    findings: list[Finding] = field(default_factory=list)
    unreadable: bool = False

    @property
    def valid(self) -> bool:
        return is_valid(self.findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity != ERROR]

    @property
    def stats(self) -> dict[str, int]:
        return finding_counts(self.findings)

    def report_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "group": self.group,
            "period": self.period,
            "valid": self.valid,
            "unreadable": self.unreadable,
            "stats": self.stats,
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass
class Report:
    """The findings of one run (frictionless' ``Report``): per-file ``files`` and run-level ``findings``.

    ``valid`` (alias ``ok``) is :func:`is_valid` over every finding, the files' and the run's own
    (a run-level finding is one that belongs to no file, e.g. a county that sent nothing).
    """

    files: list[FileReport] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @classmethod
    def from_findings(cls, findings: Iterable[Finding]) -> Report:
        """Group a flat list of findings into one :class:`FileReport` per file (in order of first mention)."""
        files: dict[str, FileReport] = {}
        run: list[Finding] = []
        for f in findings:
            if f.file:
                files.setdefault(f.file, FileReport(f.file)).findings.append(f)
            else:
                run.append(f)
        return cls(list(files.values()), run)

    @property
    def all_findings(self) -> list[Finding]:
        return [f for t in self.files for f in t.findings] + list(self.findings)

    @property
    def valid(self) -> bool:
        return is_valid(self.findings) and all(t.valid for t in self.files)

    @property
    def ok(self) -> bool:
        return self.valid

    @property
    def unreadable(self) -> bool:
        """Whether any file of the run could not be read at all."""
        return any(t.unreadable for t in self.files)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.all_findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.all_findings if f.severity != ERROR]

    @property
    def stats(self) -> dict[str, int]:
        return {
            "files": len(self.files),
            "invalid": sum(not t.valid for t in self.files),
            **finding_counts(self.all_findings),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "stats": self.stats,
            "files": [t.report_json() for t in self.files],
            "findings": [f.to_dict() for f in self.findings],
        }


def catalogue_markdown() -> str:
    """The findings catalogue as a Markdown table (``docs/findings.md``)."""
    lines = [
        "# 校验问题代码表 (findings catalogue)",
        "",
        "Generated from `qyx_excel/findings.py` — `qyx docs` rewrites it; a test keeps it equal.",
        "",
        "| code | 级别 | 名称 | 提示 |",
        "|---|---|---|---|",
    ]
    for spec in CODES.values():
        level = severity_word(spec.severity, refused=True)
        lines.append(f"| `{spec.code}` | {level} | {spec.title} | {spec.template} |")
    return "\n".join(lines) + "\n"
