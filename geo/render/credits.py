"""The data credit in a page: one script adding it to Leaflet's attribution control.

Every map (snapshot, diff, timeline, compare) shows
:func:`geo.publishers.credit_line` of its snapshots' sources next to the
basemap's own credit; the static export prints the same line under the
figure. Source names come from data, so the line is plain text, escaped here.
"""

from __future__ import annotations

import json

from geo.text import escape_text


def attribution_script(map_name: str, text: str | None) -> str:
    """Inline script adding ``text`` (plain text, escaped here) to a map's attribution control.

    Parameters
    ----------
    map_name
        JavaScript variable of the folium map.
    text
        The credit; ``None`` or empty gives an empty string.

    Returns
    -------
    str
        A ``<script>`` element, or ``""``.

    Examples
    --------
    >>> script = attribution_script("map_1", "Data: <b>me</b>")
    >>> 'map_1.attributionControl.addAttribution("Data: &lt;b&gt;me&lt;/b&gt;")' in script
    True
    """
    if not text:
        return ""
    # Leaflet inserts attributions as HTML, hence escape_text; after it no '<' is left,
    # so the JSON string cannot close the <script> element.
    quoted = json.dumps(escape_text(text))
    return (
        "<script>document.addEventListener('DOMContentLoaded',function(){"
        f"{map_name}.attributionControl.addAttribution({quoted});}});</script>"
    )
