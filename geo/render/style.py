"""The fixed banners and legend box of the contact-line and ledger maps.

The snapshot, diff and compare maps carry their header and legend through
:mod:`geo.render.layout`; the contact-line (:mod:`geo.render.frontmap`) and
ledger (:mod:`geo.render.ledgermap`) maps pin a title banner, a notice banner
and a legend box to the page with these. Text passed in is escaped here
(:func:`geo.text.escape_text`); legend rows come as HTML the caller escaped.
"""

from __future__ import annotations

from geo.text import escape_text


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


def legend_box_html(rows_html: str, heading: str | None = None) -> str:
    """Return a legend box (class ``geo-legend``) fixed at the lower left, over the scale bar.

    ``rows_html`` is the rows' HTML, escaped by the caller; ``heading`` is escaped here.

    Examples
    --------
    >>> legend_box_html("<div>1</div>", "Changes <of> hands")  # doctest: +ELLIPSIS
    '<div class="geo-legend" style="position:fixed;...<b>Changes &lt;of&gt; hands</b><div>1...'
    """
    head = f"<b>{escape_text(heading)}</b>" if heading else ""
    return (
        '<div class="geo-legend" style="position:fixed;bottom:64px;left:10px;z-index:9999;'
        'background:white;padding:6px 8px;border:1px solid #999;font:12px sans-serif">'
        f"{head}{rows_html}</div>"
    )
