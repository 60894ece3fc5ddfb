"""What the maps share: the colours of change, and the fixed banners and legends.

Text passed to the HTML helpers is escaped here (:func:`geo.text.escape_text`).
"""

from __future__ import annotations

from geo.text import escape_text

#: Fill colours of the three kinds of ground (red, blue, grey: distinct for most colour vision).
DIFF_COLOURS: dict[str, str] = {"gained": "#d7191c", "lost": "#2c7bb6", "unchanged": "#9e9e9e"}
#: Legend wording for each kind.
DIFF_LABELS: dict[str, str] = {
    "gained": "gained (held at the later date only)",
    "lost": "lost (held at the earlier date only)",
    "unchanged": "unchanged (held at both dates)",
}


def banner_html(text: str, *, top: bool, bottom_px: int = 30) -> str:
    """Return a fixed banner: the title (``top``) or a notice at the bottom, text escaped."""
    where = "top:10px" if top else f"bottom:{bottom_px}px"
    css_class = "geo-title" if top else "geo-notice"
    weight = "normal" if top else "bold"
    return (
        f'<div class="{css_class}" style="position:fixed;{where};left:50%;'
        "transform:translateX(-50%);z-index:9999;background:#fff3cd;border:2px solid #b58900;"
        f'padding:4px 10px;font:14px sans-serif;font-weight:{weight};max-width:45%">'
        f"{escape_text(text)}</div>"
    )


def legend_html(heading: str, colours: dict[str, str], labels: dict[str, str]) -> str:
    """Return a fixed legend with one swatch per key of ``colours`` (labels escaped)."""
    rows = "".join(
        f'<div><span style="display:inline-block;width:12px;height:12px;margin-right:6px;'
        f'background:{colour};opacity:0.8"></span>{escape_text(labels.get(key, key))}</div>'
        for key, colour in colours.items()
    )
    return (
        '<div class="geo-legend" style="position:fixed;bottom:70px;left:10px;z-index:9999;'
        'background:white;padding:6px 8px;border:1px solid #999;font:12px sans-serif">'
        f"<b>{escape_text(heading)}</b>{rows}</div>"
    )
