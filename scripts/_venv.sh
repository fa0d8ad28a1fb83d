# Shared by scripts/demo and scripts/test: make .venv if missing and install the project into it.
# Re-installs only when pyproject.toml changed since the last install (a stamp file records it).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  # the first interpreter that really runs and is new enough (pyenv shims may exist but not run)
  for candidate in python3 python3.13 python3.12 python3.11 python3.10 python; do
    if "$candidate" -c 'import sys, venv; sys.exit(sys.version_info < (3, 10))' >/dev/null 2>&1; then
      PY="$candidate"; break
    fi
  done
fi
if [ -z "$PY" ]; then
  echo "未找到 Python 3.10 或更新版本，请先安装 Python（https://www.python.org）。" >&2
  exit 2
fi
if [ ! -x .venv/bin/python ]; then
  echo "正在创建虚拟环境 .venv …" >&2
  "$PY" -m venv .venv
fi
# QYX_EXTRAS: the extras to install, "[test]" unless set; the office launchers set it empty (the
# project alone: pandas, in extra "analysis" and pulled in by "test", would slow every click).
EXTRAS="${QYX_EXTRAS-[test]}"
STAMP=.venv/.qyx-installed
BASE_STAMP=.venv/.qyx-installed-base
fresh() { [ -f "$1" ] && [ ! pyproject.toml -nt "$1" ]; }
if ! fresh "$STAMP" && ! { [ -z "$EXTRAS" ] && fresh "$BASE_STAMP"; }; then
  echo "正在安装 qyx_excel 及其依赖到 .venv …" >&2
  .venv/bin/python -m pip install --quiet --upgrade pip >&2
  .venv/bin/python -m pip install --quiet -e ".$EXTRAS" >&2
  if [ -n "$EXTRAS" ]; then touch "$STAMP"; else touch "$BASE_STAMP"; fi
fi
export PATH="$ROOT/.venv/bin:$PATH"
