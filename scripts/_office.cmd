@echo off
rem Shared by the office launchers qyx-*.cmd (offices on WPS or without Excel).
rem Run from the project folder (the launcher does cd /d "%~dp0.."). Makes .venv if missing, then sets:
rem   QYX       the project's qyx.exe
rem   QYX_DIR   the ledger folder: %QYX_LEDGER_DIR% if set, else <project>\台账 (made on first use)
rem   LEDGER    QYX_DIR\七优享台账.xlsm (built on first use), or QYX_DIR\七优享台账YYYY.xlsm when the
rem             period's year has its own ledger (qyx new-year)        INBOX  QYX_DIR\收件箱
rem   PERIOD    asked with set /p; Enter takes the previous month; normalised to 2024-03 / 2024-Q1 / 2024
call "%~dp0_venv.cmd" || exit /b 2
set "PYTHONUTF8=1"
set "QYX=%CD%\.venv\Scripts\qyx.exe"
set "QYX_DIR=%QYX_LEDGER_DIR%"
if "%QYX_DIR%"=="" set "QYX_DIR=%CD%\台账"
set "LEDGER=%QYX_DIR%\七优享台账.xlsm"
set "INBOX=%QYX_DIR%\收件箱"
if not exist "%QYX_DIR%\" mkdir "%QYX_DIR%" || exit /b 2
if not exist "%INBOX%\" mkdir "%INBOX%"
if exist "%LEDGER%" goto :period
echo 首次使用：正在生成台账 %LEDGER%
"%QYX%" build-workbook --out "%LEDGER%" || exit /b 2

:period
set "DEFAULT_PERIOD="
for /f "delims=" %%p in ('.venv\Scripts\python.exe -c "from qyx_excel.demo import default_period; print(default_period().code)"') do set "DEFAULT_PERIOD=%%p"
echo.
echo 台账文件夹：%QYX_DIR%
echo 收件箱：    %INBOX%
set "PERIOD="
set /p "PERIOD=请输入填报期（月 2024-03，季度 2024-Q1，年度 2024；直接回车为 %DEFAULT_PERIOD%）："
if "%PERIOD%"=="" set "PERIOD=%DEFAULT_PERIOD%"
set "TYPED=%PERIOD%"
set "PERIOD="
for /f "delims=" %%p in ('.venv\Scripts\python.exe -c "import sys; from qyx_excel.periods import period_code as f; print(f(sys.argv[1]) or str())" "%TYPED%"') do set "PERIOD=%%p"
if "%PERIOD%"=="" goto :badperiod
rem A ledger per year (qyx new-year): 七优享台账2027.xlsm beside the first one serves 2027's periods.
if exist "%QYX_DIR%\七优享台账%PERIOD:~0,4%.xlsm" set "LEDGER=%QYX_DIR%\七优享台账%PERIOD:~0,4%.xlsm"
echo 台账：      %LEDGER%
exit /b 0
:badperiod
echo 填报期“%TYPED%”无法识别，请写成 2024-03（月）、2024-Q1（季度）或 2024（年度）。
exit /b 2
