"""Text from data made safe: one place for every escaping rule.

Names, labels and messages come from files and servers, so they are untrusted.
:func:`one_line` makes them safe for a terminal or a one-line repr (control
characters, line and paragraph separators written as escapes);
:func:`escape_text` makes them safe inside HTML; :func:`script_json` makes any
value safe inside a ``<script>`` element.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

__all__ = ["escape_text", "one_line", "script_json"]

# a "{" opening a Jinja tag; in JSON only inside strings (a structural "{" is followed by '"',
# "}" or a space)
_JINJA_OPEN = re.compile(r"\{(?=[{%#])")
# C0/C1 controls (ESC starts terminal sequences), DEL, and the line/paragraph
# separators that break one-line output and end JavaScript string literals in old engines.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: object) -> str:
    r"""Return ``text`` with control characters and line breaks written as escapes.

    Parameters
    ----------
    text
        Any value; it is converted with ``str`` first.

    Returns
    -------
    str
        The text on one line, with no character a terminal would act on.

    Examples
    --------
    >>> one_line("Bakhmut\n\x1b[2J")
    'Bakhmut\\x0a\\x1b[2J'
    """

    def escape(match: re.Match[str]) -> str:
        code = ord(match[0])
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _CONTROL.sub(escape, str(text))


def escape_text(value: object) -> str:
    """Return text from data made safe for HTML: markup escaped, controls shown as escapes.

    ``{`` is written ``&#123;`` too: folium's elements (branca) read what they
    render as a Jinja template once more, so ``{{ ... }}`` in a layer name
    would run as template code.

    Examples
    --------
    >>> escape_text('<img src=x onerror="alert(1)">')
    '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
    >>> escape_text("{{ 7 * 7 }}")
    '&#123;&#123; 7 * 7 }}'
    """
    return html.escape(one_line(value)).replace("{", "&#123;")


def script_json(value: Any, *, compact: bool = False) -> str:
    r"""Return JSON that is safe inside a ``<script>`` element.

    ``<``, ``>``, ``&`` and U+2028/U+2029 are written as ``\uXXXX`` escapes, so no
    string from data can close the element or break the script; so is a ``{``
    that would start a Jinja tag (``{{``, ``{%``, ``{#``: only inside strings in
    JSON), should the script pass through branca's templates
    (:func:`escape_text` says why).

    Parameters
    ----------
    value
        Any JSON-serialisable value.
    compact
        Drop the spaces after separators (for large payloads).

    Examples
    --------
    >>> script_json({"name": "</script><script>alert(1)"})
    '{"name": "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)"}'
    """
    separators = (",", ":") if compact else None
    text = json.dumps(value, ensure_ascii=False, separators=separators)
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return _JINJA_OPEN.sub(r"\\u007b", text)
