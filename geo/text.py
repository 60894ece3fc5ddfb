"""Text from data made safe: one place for every escaping rule.

Names, labels and messages come from files and servers, so they are untrusted.
:func:`one_line` makes them safe for a terminal or a one-line repr (control
characters, line and paragraph separators written as escapes);
:func:`escape_text` makes them safe inside HTML; :func:`script_json` makes any
value safe inside a ``<script>`` element; :func:`spreadsheet_safe` (and
:func:`csv_table`) keeps a CSV cell from running as a spreadsheet formula.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

__all__ = ["csv_table", "escape_text", "one_line", "script_json", "spreadsheet_safe"]

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


#: First characters that make a spreadsheet read a cell as a formula (or a DDE call).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """Return a CSV cell that Excel, LibreOffice or Google Sheets will show as text.

    A string from data that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
    carriage return would be run as a formula when the CSV is opened (a place
    named ``=HYPERLINK(...)``); it gets a leading ``'``, which those programs
    hide (OWASP's advice on CSV injection). Other values are returned as they are.

    Examples
    --------
    >>> print(spreadsheet_safe('=HYPERLINK("http://x.example", "Bakhmut")'))
    '=HYPERLINK("http://x.example", "Bakhmut")
    >>> spreadsheet_safe("Bakhmut"), spreadsheet_safe(-1.5)
    ('Bakhmut', -1.5)
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_table(frame: Any, *, float_format: str) -> str:
    """Return a pandas DataFrame as CSV, each text cell and header made :func:`spreadsheet_safe`.

    Numbers (negative ones too) and dates stay as they are; JSON and Parquet
    outputs keep text as it is.
    """
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype.kind not in "biufcmM":  # text (object or string) columns
            out[column] = out[column].map(spreadsheet_safe)
    out.columns = [spreadsheet_safe(str(column)) for column in out.columns]  # headers are cells
    return str(out.to_csv(index=False, float_format=float_format))
