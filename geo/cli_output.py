r"""What the ``geo`` command prints: every line made safe for a terminal.

File names, layer names, place names, notes and error messages come from
files and servers. A name holding ``ESC ] 0 ;`` retitles the terminal, one
holding ``ESC [ 2 J`` clears it, a carriage return overwrites the line before.
Every command prints through :func:`echo` (text, line breaks kept, every
other control character written as an escape by :func:`geo.text.one_line`)
or :func:`echo_json` (JSON, with the control characters JSON itself leaves
raw written as ``\u`` escapes, so the output stays valid JSON). Notes and
errors go through :mod:`geo.cli_errors` (``note``, ``GeoGroup``), which puts
the library's words into the CLI's and prints them with :func:`echo`.
"""

from __future__ import annotations

import json
import re
from typing import Any

import click

from geo.text import one_line

__all__ = ["echo", "echo_json", "safe_json", "safe_text"]

# json.dumps escapes U+0000-U+001F itself; DEL, the C1 controls (U+009B is a one-byte CSI)
# and the line/paragraph separators it leaves as they are.
_JSON_RAW_CONTROLS = re.compile(r"[\x7f-\x9f\u2028\u2029]")


def safe_text(message: object) -> str:
    r"""Return ``message`` with every control character but the line break escaped.

    Examples
    --------
    >>> safe_text("Bakhmut\x1b]0;pwned\x07\nline two\r")
    'Bakhmut\\x1b]0;pwned\\x07\nline two\\x0d'
    """
    return "\n".join(one_line(line) for line in str(message).split("\n"))


def safe_json(text: str) -> str:
    r"""Return JSON text with the control characters JSON leaves raw written as ``\u`` escapes.

    Examples
    --------
    >>> safe_json('{"name": "a\u009b2J"}')
    '{"name": "a\\u009b2J"}'
    """
    return _JSON_RAW_CONTROLS.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def echo(message: object = "", *, err: bool = False, nl: bool = True) -> None:
    """Print like :func:`click.echo`, control characters escaped (line breaks kept)."""
    click.echo(safe_text(message), err=err, nl=nl)


def echo_json(payload: Any, **dumps: Any) -> None:
    """Print ``payload`` as JSON (``indent=1``, UTF-8 unless told), safe for a terminal.

    Parameters
    ----------
    payload
        Any JSON-serialisable value.
    **dumps
        Passed to :func:`json.dumps` (``ensure_ascii``, ``default``, ``indent``...).
    """
    options: dict[str, Any] = {"ensure_ascii": False, "indent": 1, **dumps}
    click.echo(safe_json(json.dumps(payload, **options)))
