"""Atomic file writes, shared by everything that writes a user-visible file.

A file is written to a hidden temporary name in the target's folder, flushed
to disk, then renamed over the target in one step, so a reader never sees a
half-written file and an interrupted write leaves the old file as it was. The
temporary file is created with :func:`open`, so the result gets the usual
umask-based mode (not ``mkstemp``'s 0600).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO


def write_atomic(
    target: str | Path, write: Callable[[IO[bytes]], object], *, sync: bool = True
) -> Path:
    """Write ``target`` through ``write(handle)`` on a temporary file, then rename.

    Parameters
    ----------
    target
        The file to create or replace; its folder is created if missing.
    write
        Called with a binary file handle open on the temporary file.
    sync
        Flush the file to disk before the rename. A caller writing many files
        may pass ``False`` and flush them all at once with :func:`sync_files`
        before anything refers to them.

    Returns
    -------
    Path
        ``target``.
    """
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        with tmp.open("wb") as handle:
            write(handle)
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
        os.replace(tmp, path)  # noqa: PTH105 - tests patch os.replace
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return path


def write_text_atomic(target: str | Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``target`` atomically (see :func:`write_atomic`)."""
    data = text.encode("utf-8")
    return write_atomic(target, lambda handle: handle.write(data))


def sync_files(paths: Iterable[str | Path], *, threads: int = 8) -> None:
    """Flush files to disk, several at a time (the file system merges their journal commits).

    Raises
    ------
    OSError
        If a file cannot be opened or flushed.
    """

    def sync(path: str | Path) -> None:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(sync, paths))
