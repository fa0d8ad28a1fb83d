@echo off
chcp 65001 >nul
rem Quick start 1 (Windows): run the monthly cycle on the bundled sample and list what it wrote.
setlocal
cd /d "%~dp0.."
call "%~dp0_venv.cmd" || exit /b 2
if "%~1"=="" (set OUT=demo-out) else (set OUT=%~1)
".venv\Scripts\qyx.exe" demo --out "%OUT%"
set RC=%ERRORLEVEL%
if "%QYX_NO_PAUSE%"=="" pause
exit /b %RC%
