r"""Safe access to user-supplied archives (ZIP, KMZ, gzip).

Archives come from strangers: a ZIP may try to write outside the folder it is
extracted to (``../evil.txt``, ``/etc/passwd``, ``C:\\x``, symlinks), or be a
bomb that expands a few kilobytes into gigabytes. :func:`check_zip` rejects
such archives from their central directory before anything is read, and every
read is streamed with a hard byte cap, because declared sizes can lie.

Every problem raises :class:`~geo.errors.ArchiveError` (a subclass of
:class:`~geo.errors.InputFormatError`) naming the archive, the member and what
is wrong. Input files are only ever read.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import lzma
import re
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import IO

from geo.errors import ArchiveError, InputFormatError

#: Cap on the bytes a whole archive may expand to (declared and actually read).
MAX_UNCOMPRESSED_BYTES: int = 2 * 1024**3
#: Largest uncompressed/compressed ratio accepted for one member above 1 MiB.
MAX_RATIO: float = 200.0
#: Most members an archive may hold.
MAX_MEMBERS: int = 10_000

_RATIO_MIN_BYTES = 1024**2
_CHUNK_BYTES = 1024**2
_SUPPORTED_METHODS = {
    zipfile.ZIP_STORED,
    zipfile.ZIP_DEFLATED,
    zipfile.ZIP_BZIP2,
    zipfile.ZIP_LZMA,
}
_DRIVE = re.compile(r"^[A-Za-z]:")


def _member_problem(name: str) -> str | None:
    """Why a member name is unsafe to extract, or ``None`` if it is safe."""
    if not name or "\x00" in name:
        return "has an empty name or a NUL byte in its name"
    if name.startswith(("/", "\\")):
        return "has an absolute path"
    if _DRIVE.match(name):
        return "has a drive letter"
    # Windows tools write backslashes as separators; treat them as such.
    if ".." in name.replace("\\", "/").split("/"):
        return "has a '..' component (path traversal)"
    return None


def _relative_path(name: str) -> PurePosixPath:
    """Return the member's path below the extraction folder (name already checked)."""
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    return PurePosixPath(*parts)


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        msg = (
            f"{path}: not a ZIP archive or a corrupt one ({exc}); "
            "re-download the file or re-create the archive"
        )
        raise ArchiveError(msg) from exc
    except OSError as exc:
        msg = f"{path}: cannot open the archive ({exc.strerror or exc})"
        raise ArchiveError(msg) from exc


def check_zip(
    path: Path,
    *,
    max_bytes: int = MAX_UNCOMPRESSED_BYTES,
    max_members: int = MAX_MEMBERS,
    max_ratio: float = MAX_RATIO,
) -> list[zipfile.ZipInfo]:
    """Check a ZIP archive is safe to read, from its central directory.

    Parameters
    ----------
    path
        The archive.
    max_bytes
        Cap on the declared uncompressed size of all members together.
    max_members
        Cap on the number of members (directories included).
    max_ratio
        Cap on uncompressed/compressed size of each member above 1 MiB.

    Returns
    -------
    list of zipfile.ZipInfo
        The file members, in archive order (directories excluded).

    Raises
    ------
    ArchiveError
        Not a ZIP or corrupt; a member with an absolute path, a ``..``
        component, a drive letter, a symlink, encryption, an unsupported
        compression method or a duplicate name; too many members; too large in
        total; a member with a zip-bomb ratio.
    """
    with _open_zip(path) as zf:
        infos = zf.infolist()
    if len(infos) > max_members:
        msg = (
            f"{path}: holds {len(infos)} members, more than the limit of {max_members}; "
            "split the archive or extract it yourself and pass the folder"
        )
        raise ArchiveError(msg)
    files: list[zipfile.ZipInfo] = []
    seen: dict[str, str] = {}
    total_bytes = 0
    for info in infos:
        name = info.filename
        problem = _member_problem(name)
        if problem is not None:
            msg = (
                f"{path}: member {name!r} {problem}; refusing to read an archive that could "
                "write outside its folder. Re-create the archive with relative paths"
            )
            raise ArchiveError(msg)
        if stat.S_ISLNK(info.external_attr >> 16):
            msg = (
                f"{path}: member {name!r} is a symbolic link; links are not followed. "
                "Re-create the archive with the real files"
            )
            raise ArchiveError(msg)
        if info.flag_bits & 0x1:
            msg = f"{path}: member {name!r} is encrypted; decrypt the archive first"
            raise ArchiveError(msg)
        if info.is_dir():
            continue
        if info.compress_type not in _SUPPORTED_METHODS:
            msg = (
                f"{path}: member {name!r} uses compression method {info.compress_type}, "
                "which cannot be read; re-create the archive with plain deflate"
            )
            raise ArchiveError(msg)
        key = str(_relative_path(name))
        if key in seen:
            msg = (
                f"{path}: members {seen[key]!r} and {name!r} extract to the same file; "
                "one would silently replace the other. Rename one of them"
            )
            raise ArchiveError(msg)
        seen[key] = name
        total_bytes += info.file_size
        if info.file_size > _RATIO_MIN_BYTES:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > max_ratio:
                msg = (
                    f"{path}: member {name!r} expands {ratio:.0f}-fold "
                    f"({info.compress_size} -> {info.file_size} bytes), above the limit of "
                    f"{max_ratio:.0f}; this looks like a zip bomb"
                )
                raise ArchiveError(msg)
        files.append(info)
    if total_bytes > max_bytes:
        msg = (
            f"{path}: declares {total_bytes} uncompressed bytes, more than the limit of "
            f"{max_bytes}; extract the archive yourself and pass the files"
        )
        raise ArchiveError(msg)
    return files


def _copy_capped(
    read: Callable[[int], bytes],
    sink: IO[bytes] | None,
    *,
    budget: int,
    what: str,
    consumed: Callable[[], int] | None = None,
    max_ratio: float = MAX_RATIO,
) -> tuple[int, bytes]:
    """Stream ``read`` into ``sink`` (or into memory), reading at most ``budget`` bytes.

    With ``consumed`` (compressed bytes read so far), the output may also not
    outgrow the input more than ``max_ratio``-fold once past 1 MiB.
    Returns the number of bytes read and, when ``sink`` is ``None``, the bytes.
    """
    chunks: list[bytes] = []
    n_bytes = 0
    while True:
        # Ask for one byte past the budget so that going over is seen, never buffered.
        chunk = read(min(_CHUNK_BYTES, budget - n_bytes + 1))
        if not chunk:
            return n_bytes, b"".join(chunks)
        n_bytes += len(chunk)
        if n_bytes > budget:
            msg = (
                f"{what}: expands to more than {budget} bytes, the limit; "
                "this looks like a decompression bomb"
            )
            raise ArchiveError(msg)
        if consumed is not None and n_bytes > _RATIO_MIN_BYTES:
            n_in = max(consumed(), 1)
            if n_bytes / n_in > max_ratio:
                msg = (
                    f"{what}: expands {n_bytes / n_in:.0f}-fold ({n_in} -> {n_bytes} bytes "
                    f"so far), above the limit of {max_ratio:.0f}; this looks like a "
                    "decompression bomb. If you trust the file, decompress it yourself "
                    "and pass the result"
                )
                raise ArchiveError(msg)
        if sink is None:
            chunks.append(chunk)
        else:
            sink.write(chunk)


def _guarded_read(source: IO[bytes], what: str) -> Callable[[int], bytes]:
    """``source.read`` with decompression and CRC errors turned into ArchiveError."""

    def read(size: int) -> bytes:
        try:
            return source.read(size)
        except (zipfile.BadZipFile, EOFError, zlib.error, lzma.LZMAError, OSError) as exc:
            msg = f"{what}: the member is corrupt ({exc}); re-download the archive"
            raise ArchiveError(msg) from exc

    return read


@contextlib.contextmanager
def _open_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, what: str) -> Iterator[IO[bytes]]:
    try:
        fh = zf.open(info)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, OSError) as exc:
        msg = f"{what}: cannot read the member ({exc})"
        raise ArchiveError(msg) from exc
    with fh:
        yield fh


def extract_zip(path: Path, dest: Path, *, max_bytes: int = MAX_UNCOMPRESSED_BYTES) -> list[Path]:
    """Extract the files of a checked ZIP archive under ``dest``.

    Parameters
    ----------
    path
        The archive (:func:`check_zip` runs first).
    dest
        Folder to extract into (created if missing); existing files are never
        overwritten. Use a fresh temporary folder.
    max_bytes
        Hard cap on bytes written, counted while decompressing.

    Returns
    -------
    list of Path
        The extracted files, in archive order.

    Raises
    ------
    ArchiveError
        The archive fails :func:`check_zip`, expands beyond ``max_bytes``, a
        member is corrupt, or a target cannot be written. Files written before
        the failure are removed.
    """
    infos = check_zip(path, max_bytes=max_bytes)
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    written: list[Path] = []
    budget = max_bytes
    try:
        with _open_zip(path) as zf:
            for info in infos:
                target = root.joinpath(*_relative_path(info.filename).parts)
                what = f"{path}!{info.filename}"
                # Belt and braces: the name check already keeps targets under dest.
                if not target.resolve().is_relative_to(root):
                    msg = f"{what}: would be written outside {dest}"
                    raise ArchiveError(msg)
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    sink = target.open("xb")
                except FileExistsError as exc:
                    msg = (
                        f"{what}: {target} already exists and is never overwritten; "
                        "extract into an empty folder"
                    )
                    raise ArchiveError(msg) from exc
                except OSError as exc:
                    msg = (
                        f"{what}: cannot write {target} ({exc.strerror or exc}); "
                        "check the folder is writable and has free space"
                    )
                    raise ArchiveError(msg) from exc
                written.append(target)
                with sink, _open_member(zf, info, what) as source:
                    read = _guarded_read(source, what)
                    n_bytes, _ = _copy_capped(read, sink, budget=budget, what=what)
                budget -= n_bytes
    except BaseException:
        for file in written:
            file.unlink(missing_ok=True)
        raise
    return written


def read_zip_member(path: Path, member: str, *, max_bytes: int = MAX_UNCOMPRESSED_BYTES) -> bytes:
    """Read one member of a checked ZIP archive into memory.

    Parameters
    ----------
    path
        The archive (:func:`check_zip` runs first).
    member
        The member's name exactly as stored in the archive.
    max_bytes
        Hard cap on the member's uncompressed size, counted while reading.

    Returns
    -------
    bytes
        The member's content.

    Raises
    ------
    ArchiveError
        The archive fails :func:`check_zip`, the member is missing, corrupt or
        larger than ``max_bytes``.
    """
    infos = check_zip(path)
    info = next((i for i in infos if i.filename == member), None)
    what = f"{path}!{member}"
    if info is None:
        names = ", ".join(i.filename for i in infos[:10]) or "no files"
        msg = f"{what}: no such member in the archive (it holds {names})"
        raise ArchiveError(msg)
    if info.file_size > max_bytes:
        msg = f"{what}: declares {info.file_size} bytes, more than the limit of {max_bytes}"
        raise ArchiveError(msg)
    with _open_zip(path) as zf, _open_member(zf, info, what) as source:
        _, data = _copy_capped(_guarded_read(source, what), None, budget=max_bytes, what=what)
    return data


def read_gzip(
    path: Path, *, max_bytes: int = MAX_UNCOMPRESSED_BYTES, max_ratio: float = MAX_RATIO
) -> bytes:
    """Decompress a gzip file into memory with a hard byte cap and a ratio cap.

    Parameters
    ----------
    path
        The ``.gz`` file (several concatenated members are read as one).
    max_bytes
        Cap on the decompressed size, counted while decompressing.
    max_ratio
        Cap on decompressed/compressed bytes once past 1 MiB, checked while
        decompressing (as for ZIP members); real GeoJSON stays far below it.

    Returns
    -------
    bytes
        The decompressed content.

    Raises
    ------
    ArchiveError
        The content expands beyond ``max_bytes`` or ``max_ratio`` (a gzip bomb).
    InputFormatError
        Not gzip, corrupt, truncated or unreadable.
    """
    try:
        with path.open("rb") as raw, gzip.GzipFile(fileobj=raw, mode="rb") as fh:
            # raw.tell() runs ahead of what was inflated (read-ahead): the ratio errs low.
            _, data = _copy_capped(
                fh.read,
                None,
                budget=max_bytes,
                what=str(path),
                consumed=raw.tell,
                max_ratio=max_ratio,
            )
    except gzip.BadGzipFile as exc:
        msg = (
            f"{path}: not a gzip file or a corrupt one ({exc}); re-download it, or drop the "
            ".gz suffix if the file is not compressed"
        )
        raise InputFormatError(msg) from exc
    except EOFError as exc:
        msg = (
            f"{path}: the gzip stream is truncated ({exc}); the download is incomplete, "
            "fetch the file again"
        )
        raise InputFormatError(msg) from exc
    except zlib.error as exc:
        msg = f"{path}: corrupt gzip data ({exc}); re-download the file"
        raise InputFormatError(msg) from exc
    except OSError as exc:
        msg = f"{path}: cannot read the file ({exc.strerror or exc})"
        raise InputFormatError(msg) from exc
    return data


def sha256_file(path: Path) -> str:
    """Return the SHA-256 of a file's bytes as lowercase hex.

    Raises
    ------
    InputFormatError
        The file cannot be read.
    """
    try:
        with path.open("rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError as exc:
        msg = f"{path}: cannot read the file ({exc.strerror or exc})"
        raise InputFormatError(msg) from exc
