#!/usr/bin/env bash
# 信创 desktops (统信UOS / 麒麟 / any Linux desktop): put the three office launchers on the desktop and in
# the applications menu as .desktop entries (校验收件箱 / 汇总本月 / 生成通报), each running its qyx-*.sh in a
# terminal.  Run once (double-click, or `bash scripts/install-desktop.sh`); run again after moving the project.
# Where: $XDG_DATA_HOME/applications (default ~/.local/share/applications) and the desktop folder
# ($XDG_DESKTOP_DIR, else `xdg-user-dir DESKTOP`, else ~/桌面 or ~/Desktop).
set -euo pipefail
SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$SCRIPTS")"
case "$SCRIPTS" in
  *'"'* | *'`'* | *'$'* | *'\'*)
    echo "项目路径中含有 \" \` \$ \\ 等字符，桌面图标无法使用：请把项目放到普通路径下再运行。" >&2
    exit 2 ;;
esac
APPS="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
DESKTOP="${XDG_DESKTOP_DIR:-}"
if [ -z "$DESKTOP" ] && command -v xdg-user-dir >/dev/null 2>&1; then DESKTOP="$(xdg-user-dir DESKTOP)"; fi
if [ -z "$DESKTOP" ] || [ "$DESKTOP" = "$HOME" ]; then
  if [ -d "$HOME/桌面" ]; then DESKTOP="$HOME/桌面"; else DESKTOP="$HOME/Desktop"; fi
fi
mkdir -p "$APPS" "$DESKTOP"
entry() {  # file-stem name comment icon
  local script="$SCRIPTS/$1.sh"
  chmod +x "$script"
  for folder in "$APPS" "$DESKTOP"; do
    local file="$folder/$1.desktop"
    cat > "$file" <<DESKTOP_ENTRY
[Desktop Entry]
Type=Application
Version=1.0
Name=$2
Name[zh_CN]=$2
Comment=$3
Comment[zh_CN]=$3
Exec="$script"
Path=$ROOT
Terminal=true
Icon=$4
Categories=Office;
DESKTOP_ENTRY
    chmod +x "$file"
    if command -v gio >/dev/null 2>&1; then gio set "$file" metadata::trusted true >/dev/null 2>&1 || true; fi
  done
  echo "已添加：$2（$DESKTOP/$1.desktop）"
}
entry qyx-check-inbox "七优享 校验收件箱" "校验收件箱中本期的全部填报表，逐格列出问题（同“校验”）" x-office-spreadsheet
entry qyx-consolidate "七优享 汇总本月" "台账各组工作表和收件箱汇总、晾晒、催报名单，写入台账（同“汇总”按钮）" x-office-spreadsheet
entry qyx-notice "七优享 生成通报" "生成本期进度通报（.docx）和打印用进度表（.xlsx）（同“生成通报”“打印进度表”按钮）" x-office-document
echo "完成。双击桌面上的图标即可运行；第一次运行会安装所需组件（需要联网或单位镜像源）。"
