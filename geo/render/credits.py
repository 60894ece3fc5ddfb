"""Data credits: the one line naming where a map's data comes from.

Every map (snapshot, diff, timeline, compare) shows :func:`credit_line` of
its snapshots' sources in Leaflet's attribution control, next to the basemap's
own credit, and the static export prints it under the figure. Known sources
get their publisher's wording (:data:`SOURCE_CREDITS`); any other source is
credited by its name as stored. Source names come from data, so the line is
plain text: HTML pages escape it (:func:`attribution_script`), matplotlib
draws it as text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from geo.deepstate import SOURCE as DEEPSTATE_SOURCE
from geo.sample import SAMPLE_NOTICE, SAMPLE_SOURCE
from geo.sources.deepstate_api import ATTRIBUTION as DEEPSTATE_ATTRIBUTION
from geo.text import escape_text, one_line

#: How a source is credited, by source name; other sources by their own name.
SOURCE_CREDITS: dict[str, str] = {
    DEEPSTATE_SOURCE: DEEPSTATE_ATTRIBUTION,
    "isw": "Institute for the Study of War (ISW)",
    SAMPLE_SOURCE: SAMPLE_NOTICE,
}


def credit_line(sources: Iterable[str], extra: str | None = None) -> str | None:
    """Return the credit for a map of these sources, e.g. ``"Data: DeepStateMap.Live"``.

    Parameters
    ----------
    sources
        Source of every snapshot shown (repeats are fine; order is kept).
    extra
        The caller's own attribution, appended after the data credit.

    Returns
    -------
    str or None
        Plain, single-line text (not HTML); ``None`` when there is nothing to credit.
    """
    names = [SOURCE_CREDITS.get(s, one_line(s)) for s in dict.fromkeys(sources) if s]
    parts = ([f"Data: {'; '.join(names)}"] if names else []) + ([one_line(extra)] if extra else [])
    return " · ".join(parts) or None


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
