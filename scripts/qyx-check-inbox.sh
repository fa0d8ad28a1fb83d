#!/usr/bin/env bash
# Office launcher (信创 desktop, WPS / no Excel): 校验收件箱 - check every file in the inbox for the period.
# Same checks as the 汇总 button and `qyx check`; the report is also saved as 校验结果_<period>.txt.
# The counterpart of qyx-check-inbox.cmd: double-click it (run in a terminal), or use its .desktop entry.
finish() {
  if [ -z "${QYX_NO_PAUSE:-}" ]; then read -r -p "请按回车键关闭窗口…" _ || true; fi
  exit "$1"
}
source "$(dirname "${BASH_SOURCE[0]}")/_office.sh" || finish 2
REPORT="$QYX_DIR/校验结果_$PERIOD.txt"
echo
echo "正在校验收件箱中 $PERIOD 的填报表 ..."
"$QYX" check "$INBOX" --period "$PERIOD" > "$REPORT"
RC=$?
cat "$REPORT"
echo
[ $RC -eq 0 ] && echo "全部通过。"
[ $RC -eq 1 ] && echo "有文件未通过校验：按上面列出的单元格和说明退回相关专项组修改。"
[ $RC -eq 2 ] && echo "有文件无法读取（见上面的说明，请对方重新发送），或收件箱为空、填报期有误：请处理后重试。"
echo "校验结果已保存到：$REPORT"
finish $RC
