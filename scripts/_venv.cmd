@echo off
chcp 65001 >nul
rem Shared by the .cmd launchers: make .venv if missing and install the project into it.
if not exist ".venv\Scripts\python.exe" (
  echo 正在创建虚拟环境 .venv ...
  where py >nul 2>nul && (py -3 -m venv .venv) || (python -m venv .venv)
  if errorlevel 1 (
    echo 未找到 Python 3.10 或更新版本，请先从 https://www.python.org 安装 Python，并勾选“Add python.exe to PATH”。
    exit /b 2
  )
)
if not exist ".venv\.qyx-installed" (
  echo 正在安装 qyx_excel 及其依赖 ...
  ".venv\Scripts\python.exe" -m pip install --quiet --upgrade pip
  rem Office PCs: the project alone. pandas (extra "analysis") would slow every button click.
  ".venv\Scripts\python.exe" -m pip install --quiet -e .
  if errorlevel 1 exit /b 2
  echo installed> ".venv\.qyx-installed"
)
exit /b 0
