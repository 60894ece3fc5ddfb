"""Atomic file writes, shared by everything that writes a user-visible file.

A file is written to a hidden temporary name in the target's folder, flushed
to disk, then renamed over the target in one step, so a reader never sees a
half-written file and an interrupted write leaves the old file as it was. The
temporary file is created with :func:`open`, so the result gets the usual
umask-based mode (not ``mkstemp``'s 0600). A link to a file updates that file
and keeps the link; a device or FIFO (``-o /dev/stdout``) is written in place,
never replaced. A file that cannot be written is
an :class:`~geo.errors.OutputError` naming it and the fix, never a bare
``OSError`` from deep inside.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO

from geo.errors import GeoError, OutputError


def write_atomic(
    target: str | Path,
    write: Callable[[IO[bytes]], object],
    *,
    follow_links: bool = True,
    sync: bool = True,
) -> Path:
    """Write ``target`` through ``write(handle)`` on a temporary file, then rename.

    Parameters
    ----------
    target
        The file to create or replace; its folder is created if missing.
    write
        Called with a binary file handle open on the temporary file.
    follow_links
        Treat ``target`` as a user's output path: a link to a file updates that
        file, a device or FIFO is written in place. ``False`` (the store's own
        files) never looks through a link: the link itself is replaced.
    sync
        Flush the file to disk before the rename. A caller writing many files
        may pass ``False`` and flush them all at once with :func:`sync_files`
        before anything refers to them.

    Returns
    -------
    Path
        ``target``.

    Raises
    ------
    OutputError
        The folder cannot be created, the file cannot be written or renamed
        (a folder of that name, no permission, a full disk); the old file, if
        any, is left as it was.
    """
    path = Path(target)
    mode: int | None = None
    if follow_links:
        with contextlib.suppress(OSError):
            mode = path.stat().st_mode  # through links
    if mode is not None and not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        # -o /dev/stdout, a FIFO, a device: write into it; a rename would replace it
        return _write_in_place(path, write)
    if mode is not None and path.is_symlink():
        path = path.resolve()  # a link to a file: replace that file, keep the link
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as handle:
            write(handle)
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
        os.replace(tmp, path)  # noqa: PTH105 - tests patch os.replace
    except GeoError:
        _remove(tmp)
        raise
    except OSError as err:
        _remove(tmp)
        raise _output_error(path, err) from err
    except BaseException:
        _remove(tmp)
        raise
    return path


def _write_in_place(path: Path, write: Callable[[IO[bytes]], object]) -> Path:
    try:
        with path.open("wb") as handle:
            write(handle)
    except GeoError:
        raise
    except OSError as err:
        raise _output_error(path, err) from err
    return path


def _remove(tmp: Path) -> None:
    with contextlib.suppress(OSError):
        tmp.unlink()


def _output_error(path: Path, err: OSError) -> OutputError:
    reason = err.strerror or str(err)
    if path.is_dir():
        fix = "it is a folder: pass a file name inside it"
    elif path.parent.exists() and not path.parent.is_dir():
        fix = f"{path.parent} is a file, not a folder: pass a path in a real folder"
    else:
        fix = "pass a path in a folder you can write to, with free space"
    msg = f"cannot write {path}: {reason}; {fix}"
    return OutputError(msg, path=str(path), reason=reason)


def os_reason(err: OSError) -> str:
    """Return what the system said about a failed file operation (``"Permission denied"``)."""
    if isinstance(err, OutputError) and err.reason:
        return err.reason
    return err.strerror or str(err)


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
    # Never through a link, never blocking on a FIFO: these are the caller's own new files.
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)

    def sync(path: str | Path) -> None:
        fd = os.open(path, flags)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(sync, paths))
