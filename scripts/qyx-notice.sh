#!/usr/bin/env bash
# Office launcher (信创 desktop, WPS / no Excel): 生成通报 - the period's progress notice (.docx) and printable tables (.xlsx).
# Same work as the 生成通报 and 打印进度表 buttons (`qyx notice`, `qyx tables`); run qyx-consolidate.sh first.
# The counterpart of qyx-notice.cmd: double-click it (run in a terminal), or use its .desktop entry.
finish() {
  if [ -z "${QYX_NO_PAUSE:-}" ]; then read -r -p "请按回车键关闭窗口…" _ || true; fi
  exit "$1"
}
source "$(dirname "${BASH_SOURCE[0]}")/_office.sh" || finish 2
NOTICE="$QYX_DIR/${PERIOD}_七优享工程进度通报.docx"
TABLES="$QYX_DIR/${PERIOD}_七优享工程进度表.xlsx"
echo
echo "正在生成 $PERIOD 的进度通报和进度表 ..."
incomplete() {
  echo
  echo "未完成，请按上面的提示处理后重试（还没汇总时，请先运行 qyx-consolidate.sh）。"
  finish "$1"
}
"$QYX" notice --period "$PERIOD" --ledger "$LEDGER" --out "$NOTICE" || incomplete $?
"$QYX" tables --period "$PERIOD" --ledger "$LEDGER" --out "$TABLES" || incomplete $?
echo
echo "进度通报（用 WPS 文字或 Word 打开，核对后签发）：$NOTICE"
echo "打印用进度表（打开后按 Ctrl+P 打印，已设为横向 A4、每页重复表头）：$TABLES"
if [ -z "${QYX_NO_PAUSE:-}" ] && command -v xdg-open >/dev/null 2>&1 && [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  xdg-open "$QYX_DIR" >/dev/null 2>&1 &
fi
finish 0
