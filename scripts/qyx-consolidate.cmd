@echo off
chcp 65001 >nul
rem Office launcher (WPS / no Excel): 汇总本月 - consolidate the period from the ledger and the inbox.
rem Same work as the 汇总 button (`qyx consolidate`); the results go into the ledger's sheets.
setlocal
cd /d "%~dp0.."
call "%~dp0_office.cmd" || goto :failed
echo.
echo 正在汇总 %PERIOD%（请先在 WPS/Excel 中关闭台账）...
"%QYX%" consolidate --period "%PERIOD%" --ledger "%LEDGER%" --inbox "%INBOX%"
set RC=%ERRORLEVEL%
echo.
if %RC%==2 goto :incomplete
echo 汇总结果已写入台账：%LEDGER%
echo 请用 WPS 或 Excel 打开，查看“汇总”“晾晒”“校验结果”工作表；历史库在 %QYX_DIR%\历史库。
if %RC%==1 echo 有专项组未报送或被退回：催报/退回提示见台账“校验结果”工作表。
goto :end
:incomplete
echo 汇总未完成，台账保持不变。请按上面的提示处理后重试。
goto :end
:failed
set RC=2
:end
if "%QYX_NO_PAUSE%"=="" pause
exit /b %RC%
