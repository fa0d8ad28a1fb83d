@echo off
chcp 65001 >nul
rem Quick start 2 (Windows): run the test suite in the project's .venv.
setlocal
cd /d "%~dp0.."
call "%~dp0_venv.cmd" || exit /b 2
".venv\Scripts\python.exe" -c "import pytest, mypy, ruff" 2>nul || ".venv\Scripts\python.exe" -m pip install --quiet -e ".[test]" || exit /b 2
rem A whole run (no arguments) first runs the code checks, as scripts/test does.
if "%~1"=="" (
  ".venv\Scripts\python.exe" -m ruff check qyx_excel tests benchmarks || exit /b 1
  ".venv\Scripts\python.exe" -m ruff format --check qyx_excel tests benchmarks || exit /b 1
  ".venv\Scripts\python.exe" -m mypy || exit /b 1
)
".venv\Scripts\python.exe" -m pytest %*
exit /b %ERRORLEVEL%
