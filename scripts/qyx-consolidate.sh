#!/usr/bin/env bash
# Office launcher (信创 desktop, WPS / no Excel): 汇总本月 - consolidate the period from the ledger and the inbox.
# Same work as the 汇总 button (`qyx consolidate`); the results go into the ledger's sheets.
# The counterpart of qyx-consolidate.cmd: double-click it (run in a terminal), or use its .desktop entry.
finish() {
  if [ -z "${QYX_NO_PAUSE:-}" ]; then read -r -p "请按回车键关闭窗口…" _ || true; fi
  exit "$1"
}
source "$(dirname "${BASH_SOURCE[0]}")/_office.sh" || finish 2
echo
echo "正在汇总 $PERIOD（请先在 WPS/Excel 中关闭台账）..."
"$QYX" consolidate --period "$PERIOD" --ledger "$LEDGER" --inbox "$INBOX"
RC=$?
echo
if [ $RC -eq 2 ]; then
  echo "汇总未完成，台账保持不变。请按上面的提示处理后重试。"
  finish $RC
fi
echo "汇总结果已写入台账：$LEDGER"
echo "请用 WPS 或 Excel 打开，查看“汇总”“晾晒”“校验结果”工作表；历史库在 $QYX_DIR/历史库。"
[ $RC -eq 1 ] && echo "有专项组未报送或被退回：催报/退回提示见台账“校验结果”工作表。"
finish $RC
