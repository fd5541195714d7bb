"""Where the project keeps local state (the sandbox database, the send ledger, the audit log)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_DIR_NAME = "esputnik-mcp"
DATA_DIR_ENV = "ESPUTNIK_DATA_DIR"
DATA_DIR_DESCRIPTION = (
    "Directory for local state (the sandbox database, a cache of the tool list). Default: "
    "`~/.local/share/esputnik-mcp` (or `$XDG_DATA_HOME`), `~/Library/Application Support/esputnik-mcp` on macOS, "
    "`%APPDATA%` on Windows."
)


def user_data_dir() -> Path:
    """The per-user data directory: ``$ESPUTNIK_DATA_DIR`` if set, else the platform's usual place
    (``$XDG_DATA_HOME`` or ``~/.local/share`` on Linux, ``~/Library/Application Support`` on macOS,
    ``%APPDATA%`` on Windows), each with an ``esputnik-mcp`` folder."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / APP_DIR_NAME
