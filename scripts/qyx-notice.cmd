@echo off
chcp 65001 >nul
rem Office launcher (WPS / no Excel): 生成通报 - the period's progress notice (.docx) and printable tables (.xlsx).
rem Same work as the 生成通报 and 打印进度表 buttons (`qyx notice`, `qyx tables`); run qyx-consolidate.cmd first.
setlocal
cd /d "%~dp0.."
call "%~dp0_office.cmd" || goto :failed
set "NOTICE=%QYX_DIR%\%PERIOD%_七优享工程进度通报.docx"
set "TABLES=%QYX_DIR%\%PERIOD%_七优享工程进度表.xlsx"
echo.
echo 正在生成 %PERIOD% 的进度通报和进度表 ...
"%QYX%" notice --period "%PERIOD%" --ledger "%LEDGER%" --out "%NOTICE%"
set RC=%ERRORLEVEL%
if not %RC%==0 goto :incomplete
"%QYX%" tables --period "%PERIOD%" --ledger "%LEDGER%" --out "%TABLES%"
set RC=%ERRORLEVEL%
if not %RC%==0 goto :incomplete
echo.
echo 进度通报（用 WPS 文字或 Word 打开，核对后签发）：%NOTICE%
echo 打印用进度表（打开后按 Ctrl+P 打印，已设为横向 A4、每页重复表头）：%TABLES%
start "" explorer "%QYX_DIR%"
goto :end
:incomplete
echo.
echo 未完成，请按上面的提示处理后重试（还没汇总时，请先运行 qyx-consolidate.cmd）。
goto :end
:failed
set RC=2
:end
if "%QYX_NO_PAUSE%"=="" pause
exit /b %RC%
