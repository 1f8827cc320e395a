"""Whether a file can be written, asked before anything is written; and
:class:`LazyFile`, opened only at its first write, so that an error at
start (a bad provider, a refused estimate) leaves an existing file as it was."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO

from rafa_async._errors import ConfigError
from rafa_async._events import cut_torn_tail

STDOUT = Path("-")
"""``--out -``: JSON lines on stdout."""


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


class LazyFile:
    """A binary file created (or emptied; appended to if ``append``) at its
    first write.  ``-`` is stdout."""

    def __init__(self, path: Path, *, append: bool) -> None:
        self.path = path
        self.append = append
        self._file: IO[bytes] | None = None
        self._held: list[bytes] = []

    def open(self) -> IO[bytes]:
        """The open file (opened now if it was not yet); :class:`ConfigError`
        naming the file if it cannot be."""
        if self._file is None:
            self._file = self._open()
        return self._file

    def _open(self) -> IO[bytes]:
        if self.path == STDOUT:
            return sys.stdout.buffer
        try:
            if self.append:
                cut_torn_tail(self.path)
            return self.path.open("ab" if self.append else "wb")
        except OSError as error:
            raise ConfigError(f"cannot write {self.path}: {error.strerror or error}") from error

    def write_line(self, line: bytes, *, held: bool = False) -> None:
        """``line`` and a newline, flushed: a finished result survives a crash.

        ``held``: while nothing has been written yet, keep the line back (the
        file is not opened) until a line that is not held comes, or
        :meth:`release`; lines still held at :meth:`close` are not written."""
        if held and self._file is None:
            self._held.append(line)
            return
        file = self.open()
        for earlier in self._held:
            file.write(earlier + b"\n")
        self._held.clear()
        file.write(line + b"\n")
        file.flush()

    def release(self) -> None:
        """Write the lines held back (the run ended normally: they are its results)."""
        if self._held:
            last = self._held.pop()
            self.write_line(last)  # writes the earlier held lines first

    def close(self) -> None:
        if self._file is not None and self.path != STDOUT:
            self._file.close()
