# Shared set-up for scripts/run and scripts/test: a project virtualenv in .venv, installed from
# pyproject.toml, and reinstalled only when pyproject.toml changes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ESPUTNIK_MCP_VENV:-$ROOT/.venv}"

pick_python() {
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "esputnik-mcp needs Python 3.11 or newer on PATH" >&2
    return 1
}

ensure_venv() {
    local stamp="$VENV/.installed"
    local want
    want="$(cat "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
    if [[ ! -x "$VENV/bin/python" ]]; then
        "$(pick_python)" -m venv "$VENV" >&2
    fi
    if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT[dev]" >&2
        echo "$want" >"$stamp"
    fi
}
