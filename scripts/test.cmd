@echo off
chcp 65001 >nul
rem Quick start 2 (Windows): run the test suite in the project's .venv.
setlocal
cd /d "%~dp0.."
call "%~dp0_venv.cmd" || exit /b 2
".venv\Scripts\python.exe" -c "import pytest" 2>nul || ".venv\Scripts\python.exe" -m pip install --quiet -e ".[test]" || exit /b 2
".venv\Scripts\python.exe" -m pytest %*
exit /b %ERRORLEVEL%
