# Shared by bin/start and bin/test (sourced, not run): system packages and the virtual environment.
# Usage: setup_platform runtime|dev
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

pick_python() {
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
            echo "$candidate"
            return
        fi
    done
    echo "需要 Python 3.11 或更高版本（Python 3.11+ is required）" >&2
    exit 1
}

# Debian packages: a CJK font for PDFs, Chromium for browser tests, gettext for the English catalog,
# poppler for turning PDFs into text in tests. Installed only when missing and when we may.
system_packages() {
    local wanted=("$@") missing=()
    command -v dpkg-query >/dev/null 2>&1 || { say "非 Debian/Ubuntu 系统：请自行安装 ${wanted[*]}"; return 0; }
    for pkg in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
            say "缺少系统软件包 ${missing[*]}，且没有 root 权限：请管理员执行 apt-get install ${missing[*]}"
            return 0
        fi
    fi
    say "安装系统软件包：${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
        { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }
}

virtualenv() {
    local lock="$1"
    local stamp="$VENV/.installed-$(basename "$lock")"
    if [ ! -x "$VENV/bin/python" ]; then
        say "创建虚拟环境 .venv"
        "$(pick_python)" -m venv "$VENV"
    fi
    if [ ! -f "$stamp" ] || ! cmp -s "$lock" "$stamp"; then
        say "按 $(basename "$lock") 安装依赖"
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$lock"
        cp "$lock" "$stamp"
    fi
}

compile_messages() {
    if command -v msgfmt >/dev/null 2>&1; then
        (cd "$ROOT/src/totalquota" && PYTHONPATH="$ROOT/src" DJANGO_SETTINGS_MODULE=totalquota.settings \
            "$VENV/bin/python" -m django compilemessages -v 0)
    fi
}

setup_platform() {
    case "$1" in
        runtime)
            system_packages fonts-noto-cjk gettext
            virtualenv "$ROOT/requirements.lock"
            ;;
        dev)
            system_packages fonts-noto-cjk gettext chromium poppler-utils
            virtualenv "$ROOT/requirements-dev.lock"
            ;;
    esac
    compile_messages
}
