"""The small family of fatal problems. Library code raises these; layers turn them into messages.

Exit codes (README.md 命令行, docs/cli.md): 0 success, 1 findings or refusals, 2 unusable input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .findings import Finding


class QyxError(Exception):
    """Base class: carries a Chinese message for the user and an exit code."""

    exit_code = 2

    def __init__(self, message: str, finding: Finding | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.finding = finding


class UsageError(QyxError):
    """Bad arguments: unknown indicator, malformed period, non-numeric value."""


class PlanDataError(QyxError):
    """The plan data files are inconsistent or a target text cannot be read."""


class UnreadableFile(QyxError):
    """A submitted file cannot be read at all (corrupt, encrypted, old format, hostile)."""


class TemplateError(QyxError):
    """A template (notice .docx) is broken or refers to something that does not exist."""


class OutputLocked(QyxError):
    """An output file is held open by Excel or Word; nothing was written."""

    exit_code = 1


class OutputFailed(QyxError):
    """Writing an output failed half-way; the previous file is untouched."""

    exit_code = 1


class Busy(QyxError):
    """Another consolidation holds the history store; nothing was done (try again when it is over)."""

    exit_code = 1
