"""How much untrusted input geo accepts, and the checks that enforce it.

Files and servers are untrusted: a file may be larger than memory, a JSON
document nested deeper than Python can parse, a number longer than Python
converts, a server may trickle bytes or never end. Each limit has a default
here and an environment variable that changes it for every command (and every
Python call that does not pass its own value):

======================== ============================ =====================================
environment variable     default                      what it bounds
======================== ============================ =====================================
``GEO_MAX_FILE_BYTES``   1 GiB                        one input file (and a ``.gz`` inflated)
``GEO_MAX_DOWNLOAD_BYTES`` 1 GiB                      one HTTP body (streamed to disk)
``GEO_HTTP_DEADLINE_S``  600 s                        one HTTP request, retries included
``GEO_MAX_RETRY_AFTER_S`` 120 s                       a server's ``Retry-After`` that is obeyed
``GEO_MAX_PAGES``        500                          pages of one ArcGIS layer
======================== ============================ =====================================

JSON may nest at most :data:`MAX_JSON_DEPTH` levels in attribute values (a
document nested deeper than Python's parser allows is refused with a clear
error, whatever its size). Every check raises
:class:`~geo.errors.InputFormatError` naming the file and the fix.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from geo.errors import InputFormatError

__all__ = [
    "MAX_DOWNLOAD_BYTES",
    "MAX_FILE_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_PAGES",
    "MAX_RETRY_AFTER_S",
    "check_depth",
    "check_file_size",
    "http_deadline_s",
    "max_download_bytes",
    "max_file_bytes",
    "max_pages",
    "max_retry_after_s",
    "parse_json",
    "size_text",
]

#: Largest input file read (bytes); ``$GEO_MAX_FILE_BYTES`` overrides it.
MAX_FILE_BYTES = 1 << 30
#: Largest HTTP body accepted (bytes); ``$GEO_MAX_DOWNLOAD_BYTES`` overrides it.
MAX_DOWNLOAD_BYTES = 1 << 30
#: Seconds one HTTP request may take in all, retries and waits included.
HTTP_DEADLINE_S = 600.0
#: Longest ``Retry-After`` (seconds) geo waits for; a longer one ends the request.
MAX_RETRY_AFTER_S = 120.0
#: Most pages fetched from one ArcGIS layer.
MAX_PAGES = 500
#: Deepest nesting of an attribute value (a property of a feature).
MAX_JSON_DEPTH = 32


def _env_number(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:  # also refuses NaN
        msg = f"${name}={text!r} is not a positive number; unset it or give e.g. {default:g}"
        raise InputFormatError(msg)
    return value


def max_file_bytes() -> int:
    """Largest input file read: ``$GEO_MAX_FILE_BYTES``, else :data:`MAX_FILE_BYTES`."""
    return int(_env_number("GEO_MAX_FILE_BYTES", MAX_FILE_BYTES))


def max_download_bytes() -> int:
    """Largest HTTP body: ``$GEO_MAX_DOWNLOAD_BYTES``, else :data:`MAX_DOWNLOAD_BYTES`."""
    return int(_env_number("GEO_MAX_DOWNLOAD_BYTES", MAX_DOWNLOAD_BYTES))


def http_deadline_s() -> float:
    """Seconds one HTTP request may take: ``$GEO_HTTP_DEADLINE_S``, else 600."""
    return _env_number("GEO_HTTP_DEADLINE_S", HTTP_DEADLINE_S)


def max_retry_after_s() -> float:
    """Longest ``Retry-After`` obeyed: ``$GEO_MAX_RETRY_AFTER_S``, else 120."""
    return _env_number("GEO_MAX_RETRY_AFTER_S", MAX_RETRY_AFTER_S)


def max_pages() -> int:
    """Most pages of one ArcGIS layer: ``$GEO_MAX_PAGES``, else :data:`MAX_PAGES`."""
    return int(_env_number("GEO_MAX_PAGES", MAX_PAGES))


def size_text(n_bytes: float) -> str:
    """Return a byte count for people: ``'5.0 GiB'``, ``'312 KiB'``, ``'12 bytes'``.

    Examples
    --------
    >>> size_text(5 * 1024**3), size_text(2048), size_text(12)
    ('5.0 GiB', '2.0 KiB', '12 bytes')
    """
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n_bytes >= scale:
            value = n_bytes / scale
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{int(n_bytes)} bytes"


def check_file_size(path: Path, *, limit: int | None = None) -> int:
    """Return the size of a regular file, refusing anything else or one over the limit.

    Nothing is opened: a named pipe (FIFO) would block the reader for ever.

    Parameters
    ----------
    path
        The file.
    limit
        Largest size accepted (default :func:`max_file_bytes`).

    Raises
    ------
    InputFormatError
        The path is missing, a folder, a FIFO, a socket or a device, or the
        file is larger than ``limit``.
    """
    cap = max_file_bytes() if limit is None else limit
    try:
        info = path.stat()
    except FileNotFoundError:
        msg = f"{path}: no such file"
        raise InputFormatError(msg) from None
    except OSError as exc:
        msg = f"{path}: cannot read the file ({exc.strerror or exc})"
        raise InputFormatError(msg) from exc
    if not stat.S_ISREG(info.st_mode):
        mode = info.st_mode
        kind = (
            "a folder" if stat.S_ISDIR(mode)
            else "a named pipe (FIFO)" if stat.S_ISFIFO(mode)
            else "a socket" if stat.S_ISSOCK(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a special file"
        )  # fmt: skip
        fix = "pass the files in it" if kind == "a folder" else "save the data to a file first"
        msg = f"{path}: is {kind}, not a regular file; {fix}"
        raise InputFormatError(msg)
    size = info.st_size
    if size > cap:
        msg = (
            f"{path}: the file is {size_text(size)}, more than the limit of {size_text(cap)}; "
            "split it into smaller files, or raise the limit with $GEO_MAX_FILE_BYTES if "
            "your machine has the memory"
        )
        raise InputFormatError(msg)
    return size


def parse_json(raw: bytes | str, *, where: str) -> Any:
    """Parse untrusted JSON; every way it can fail is one clear :class:`InputFormatError`.

    Parameters
    ----------
    raw
        The document.
    where
        The file or URL, named in messages.

    Raises
    ------
    InputFormatError
        Not JSON, not UTF-8, nested deeper than Python can parse, a number
        longer than Python converts (4,300 digits), or too large for memory.

    Examples
    --------
    >>> parse_json(b'{"a": [1, 2]}', where="x.json")
    {'a': [1, 2]}
    >>> parse_json(b"[" * 100_000 + b"]" * 100_000, where="x.json")
    Traceback (most recent call last):
    geo.errors.InputFormatError: x.json: JSON nested too deeply to read ...
    """
    try:
        data = json.loads(raw)
    except RecursionError:
        msg = (
            f"{where}: JSON nested too deeply to read (more levels than Python allows); "
            "this is no GeoJSON or Esri JSON export: check the file's origin"
        )
        raise InputFormatError(msg) from None
    except MemoryError:
        msg = (
            f"{where}: not enough memory to parse {size_text(len(raw))} of JSON; "
            "split the file or use a machine with more memory"
        )
        raise InputFormatError(msg) from None
    except UnicodeDecodeError as exc:
        msg = f"{where}: not valid JSON (not UTF-8 text: {exc.reason} at byte {exc.start})"
        raise InputFormatError(msg) from None
    except json.JSONDecodeError as exc:
        msg = f"{where}: not valid JSON ({exc}); is the file complete?"
        raise InputFormatError(msg) from None
    except ValueError as exc:  # an integer of more than 4,300 digits (CVE-2020-10735 limit)
        digits = re.search(r"value has (\d+) digits", str(exc))
        found = f" ({digits[1]} digits)" if digits else ""
        msg = (
            f"{where}: a number in the JSON is longer than Python reads{found}, the limit is "
            f"{sys.get_int_max_str_digits():,} digits; no coordinate or attribute is that long: "
            "check the file's origin"
        )
        raise InputFormatError(msg) from None
    _check_surrogates(raw, data, where)
    return data


_SURROGATE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE_TEXT = re.compile(r"\\u[dD][89a-fA-F]")


def _check_surrogates(raw: bytes | str, data: Any, where: str) -> None:
    """Refuse escaped UTF-16 surrogates that pair with nothing: they decode to no character."""
    found = _SURROGATE_TEXT.search(raw) if isinstance(raw, str) else _SURROGATE_BYTES.search(raw)
    if found is None:  # the usual case, checked in a few ms
        return
    try:  # pairs (emoji, rare CJK) decode to real characters; lone halves cannot be encoded
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = ascii(exc.object[exc.start : exc.end])
        msg = (
            f"{where}: text with an unpaired UTF-16 surrogate ({bad}), which is no character "
            "at all: the exporter is broken; fix that text or re-export"
        )
        raise InputFormatError(msg) from None


def check_depth(value: Any, *, where: str, limit: int = MAX_JSON_DEPTH) -> None:
    """Refuse a parsed JSON value nested more than ``limit`` levels (checked without recursion).

    Raises
    ------
    InputFormatError
        The value nests deeper than ``limit``.

    Examples
    --------
    >>> check_depth({"a": [1, {"b": 2}]}, where="x.json: feature 0")
    >>> check_depth([[[[]]]], where="x.json: feature 0", limit=3)
    Traceback (most recent call last):
    geo.errors.InputFormatError: x.json: feature 0: attribute values nested more than 3 levels ...
    """
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        if depth >= limit:
            msg = (
                f"{where}: attribute values nested more than {limit} levels deep; "
                "flatten them or drop the attribute"
            )
            raise InputFormatError(msg)
        stack.extend((child, depth + 1) for child in children)
