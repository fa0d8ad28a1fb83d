# Shared by the office launchers qyx-*.sh (信创 desktops: 统信UOS / 麒麟 with WPS, or any Linux),
# the counterparts of qyx-*.cmd and _office.cmd, with the same prompts and results.  Sourced by a
# launcher; returns non-zero (after saying why) when it cannot go on.  Sets:
#   QYX       the project's qyx            QYX_DIR  the ledger folder: $QYX_LEDGER_DIR if set, else <project>/台账
#   LEDGER    $QYX_DIR/七优享台账.xlsm (built on first use), or $QYX_DIR/七优享台账YYYY.xlsm when the
#             period's year has its own ledger (qyx new-year)          INBOX  $QYX_DIR/收件箱
#   PERIOD    asked with read; Enter takes the previous month; normalised to 2024-03 / 2024-Q1 / 2024
# QYX_VENV: an existing environment with qyx_excel installed to use instead of <project>/.venv.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || return 2
if [ -n "${QYX_VENV:-}" ]; then
  VENV="$QYX_VENV"
else
  # the project alone (no test extras): made on first use, like _venv.cmd
  QYX_EXTRAS="" bash "$ROOT/scripts/_venv.sh" || return 2
  VENV="$ROOT/.venv"
fi
export PYTHONUTF8=1
QYX="$VENV/bin/qyx"
PY="$VENV/bin/python"
QYX_DIR="${QYX_LEDGER_DIR:-$ROOT/台账}"
LEDGER="$QYX_DIR/七优享台账.xlsm"
INBOX="$QYX_DIR/收件箱"
mkdir -p "$QYX_DIR" || return 2
mkdir -p "$INBOX"
if [ ! -f "$LEDGER" ]; then
  echo "首次使用：正在生成台账 $LEDGER"
  "$QYX" build-workbook --out "$LEDGER" || return 2
fi
DEFAULT_PERIOD="$("$PY" -c "from qyx_excel.demo import default_period; print(default_period().code)")"
echo
echo "台账文件夹：$QYX_DIR"
echo "收件箱：    $INBOX"
PERIOD=""
# the prompt on standard output, as set /p shows it (read -p would show it only on a terminal)
printf '%s' "请输入填报期（月 2024-03，季度 2024-Q1，年度 2024；直接回车为 $DEFAULT_PERIOD）："
read -r PERIOD || true
[ -z "$PERIOD" ] && PERIOD="$DEFAULT_PERIOD"
TYPED="$PERIOD"
PERIOD="$("$PY" -c "import sys; from qyx_excel.periods import period_code as f; print(f(sys.argv[1]) or str())" "$TYPED")"
if [ -z "$PERIOD" ]; then
  echo "填报期“$TYPED”无法识别，请写成 2024-03（月）、2024-Q1（季度）或 2024（年度）。"
  return 2
fi
# A ledger per year (qyx new-year): 七优享台账2027.xlsm beside the first one serves 2027's periods.
[ -f "$QYX_DIR/七优享台账${PERIOD:0:4}.xlsm" ] && LEDGER="$QYX_DIR/七优享台账${PERIOD:0:4}.xlsm"
echo "台账：      $LEDGER"
return 0
