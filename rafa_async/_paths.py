"""Whether a file can be written, asked before anything is written."""

from __future__ import annotations

import os
from pathlib import Path


def unwritable(path: Path) -> str:
    """Why ``path`` cannot be written (created, or an existing file
    replaced or appended to), or ``""``; creates and changes nothing."""
    if path.is_dir():
        return "it is a folder"
    if path.exists():
        return "" if os.access(path, os.W_OK) else "permission denied"
    folder = path.parent
    if not folder.is_dir():
        return f"no such folder {folder}"
    return "" if os.access(folder, os.W_OK | os.X_OK) else f"folder {folder} is not writable"
