@echo off
chcp 65001 >nul
rem 检查本机：qyx doctor - Python, xlwings, the add-in or a standalone ledger, macro security, code page.
rem Optional argument: the ledger to check (default: the launchers' 台账\七优享台账.xlsm).
setlocal
cd /d "%~dp0.."
call "%~dp0_venv.cmd" || goto :failed
set "PYTHONUTF8=1"
if "%~1"=="" goto :default
".venv\Scripts\qyx.exe" doctor --ledger "%~1"
set RC=%ERRORLEVEL%
goto :end
:default
".venv\Scripts\qyx.exe" doctor
set RC=%ERRORLEVEL%
goto :end
:failed
set RC=2
:end
if "%QYX_NO_PAUSE%"=="" pause
exit /b %RC%
