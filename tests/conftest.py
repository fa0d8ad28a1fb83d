"""Shared test fixtures: the office-suite skip rule, the plan, a private temp folder per run."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from crafted_files import make_xlsx

if TYPE_CHECKING:
    from qyx_excel.submission import Submission

IN_CI = os.environ.get("CI", "").lower() == "true"


def soffice_available() -> bool:
    return bool(shutil.which("soffice") or shutil.which("libreoffice"))


#: Mark a test that opens our outputs in LibreOffice: skipped locally without it, never in CI.
requires_soffice = pytest.mark.skipif(
    not soffice_available() and not IN_CI,
    reason="LibreOffice (soffice) not installed; CI installs it via .ci/run",
)


@pytest.fixture()
def good(tmp_path: Path) -> Path:
    """A normal small workbook as openpyxl writes it, named as a group's March file."""
    return make_xlsx(tmp_path / "2024-03_幼有善育.xlsx")


@pytest.fixture(scope="session")
def blank(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Submission]]:
    """The blank 2024-03 fill-in file of every group (from ``distribute``) and the submission read
    from it, by group.  Shared by the whole run: copy a submission before changing it."""
    from qyx_excel import intake
    from qyx_excel.distribute import distribute

    paths = distribute("2024-03", tmp_path_factory.mktemp("blank"))
    return {p.stem.split("_", 1)[1]: (p, intake.read_file(p)[0]) for p in paths}


@pytest.fixture(scope="session")
def plan():
    from qyx_excel.plan import load_plan

    return load_plan()


@pytest.fixture(scope="session", autouse=True)
def _temp_dir_of_this_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point the temp folder (``tempfile`` here, ``TMPDIR`` for child processes) into pytest's own.

    What the library leaves in the temp folder on purpose (the notice's compiled-template cache)
    then lives and goes with this run's pytest folder instead of piling up in the system's.
    """
    folder = tmp_path_factory.mktemp("tmp")
    saved_tempdir, saved_env = tempfile.tempdir, os.environ.get("TMPDIR")
    tempfile.tempdir = str(folder)
    os.environ["TMPDIR"] = str(folder)
    try:
        yield folder
    finally:
        tempfile.tempdir = saved_tempdir
        if saved_env is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved_env
