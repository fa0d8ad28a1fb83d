@echo off
chcp 65001 >nul
rem Office launcher (WPS / no Excel): 校验收件箱 - check every file in the inbox for the period.
rem Same checks as the 汇总 button and `qyx check`; the report is also saved as 校验结果_<period>.txt.
setlocal
cd /d "%~dp0.."
call "%~dp0_office.cmd" || goto :failed
set "REPORT=%QYX_DIR%\校验结果_%PERIOD%.txt"
echo.
echo 正在校验收件箱中 %PERIOD% 的填报表 ...
"%QYX%" check "%INBOX%" --period "%PERIOD%" > "%REPORT%"
set RC=%ERRORLEVEL%
type "%REPORT%"
echo.
if %RC%==0 echo 全部通过。
if %RC%==1 echo 有文件未通过校验：按上面列出的单元格和说明退回相关专项组修改。
if %RC%==2 echo 有文件无法读取（见上面的说明，请对方重新发送），或收件箱为空、填报期有误：请处理后重试。
echo 校验结果已保存到：%REPORT%
goto :end
:failed
set RC=2
:end
if "%QYX_NO_PAUSE%"=="" pause
exit /b %RC%
