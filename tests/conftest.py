"""Shared test helpers: the office-suite skip rule and the plan."""

from __future__ import annotations

import os
import shutil

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def soffice_available() -> bool:
    return bool(shutil.which("soffice") or shutil.which("libreoffice"))


#: Mark a test that opens our outputs in LibreOffice: skipped locally without it, never in CI.
requires_soffice = pytest.mark.skipif(
    not soffice_available() and not IN_CI,
    reason="LibreOffice (soffice) not installed; CI installs it via .ci/run",
)


@pytest.fixture(scope="session")
def plan():
    from qyx_excel.plan import load_plan

    return load_plan()
