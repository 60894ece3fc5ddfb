"""The timeline page's HTML, CSS and script (the data side is :mod:`geo.render.timeline`).

The panel under the map holds the player (first, previous, play/pause, next,
last, a slider, the date, the speed), a tooltip over the slider's handle
(the date, the area and its change), each layer's area and change, an area
chart (inline SVG) and a bar chart of the change per day or per month that
the script draws (net, or gained and lost; a click on a bar goes to its
date). A legend names the layers and the colours of change; the title box
the map, its subtitle and a source's required notice.

Every word a reader sees comes from :mod:`geo.render.labels` in the page's
language; text from data is escaped (:func:`geo.text.escape_text` in HTML,
JSON with ``<>&`` escaped in scripts, ``textContent`` in the browser). The
script is ``timeline.js`` beside this module.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np

from geo.render import labels
from geo.text import escape_text, script_json

if TYPE_CHECKING:
    from geo.render.timeline import Timeline

# Inline SVG icons: media-control characters are missing from many fonts.
ICONS = {
    name: f'<svg viewBox="0 0 10 10" width="10" height="10" aria-hidden="true">'
    f'<path d="{d}"/></svg>'
    for name, d in {
        "first": "M1 1h2v8H1zM9 1v8L3 5z",
        "prev": "M8 1v8L2 5z",
        "play": "M2 1v8l7-4z",
        "pause": "M2 1h2v8H2zM6 1h2v8H6z",
        "next": "M2 1v8l6-4z",
        "last": "M7 1h2v8H7zM1 1v8l6-4z",
    }.items()
}
_BUTTONS = {"first": "first_date", "prev": "previous_date", "play": "play", "next": "next_date",
            "last": "last_date"}  # fmt: skip
_MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "uk": ("січ", "лют", "бер", "кві", "тра", "чер", "лип", "сер", "вер", "жов", "лис", "гру"),
}


def words(lang: labels.Lang) -> dict[str, object]:
    """Return the words and number formats the script needs, in ``lang``."""
    keys = ("since", "as_of", "no_data_yet", "gained", "lost", "net", "play", "pause", "area",
            "source", "per_day", "per_month")  # fmt: skip
    return {
        **{key: labels.word(key, lang) for key in keys},
        "months": [labels.format_date(dt.date(2000, m, 1), lang, year=False).split(" ", 1)[1]
                   for m in range(1, 13)],
        "short_months": list(_MONTHS[lang]),
        "unit": labels.format_km2(0, lang).split(" ", 1)[1],
        "group": " " if lang == "uk" else ",",
        "decimal": "," if lang == "uk" else ".",
    }  # fmt: skip


def _area_chart(timeline: Timeline) -> str:
    n = len(timeline.dates)
    index = {d: i for i, d in enumerate(timeline.dates)}
    rows = []
    for layer in timeline.layers:
        areas = np.asarray(layer.encoded.area_km2, dtype=float)
        low, high = float(areas.min()), float(areas.max())
        span = high - low
        ys = 95 - 90 * ((areas - low) / span) if span > 0 else np.full(len(areas), 50.0)
        xs = [1000 * index[d] / (n - 1) if n > 1 else 500.0 for d in layer.dates]
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
        rows.append(
            '<svg class="geo-tl-svg" viewBox="0 0 1000 100" preserveAspectRatio="none" '
            f'role="img" aria-label="{escape_text(layer.name)}">'
            f'<polyline points="{points}" fill="none" stroke="{escape_text(layer.colour)}" '
            'stroke-width="1.5" vector-effect="non-scaling-stroke"/></svg>'
        )
    return "".join(rows)


def _axis(timeline: Timeline, lang: labels.Lang) -> str:
    n = len(timeline.dates)
    first, last = timeline.dates[0], timeline.dates[-1]
    ticks = [
        f'<span style="left:{100 * i / (n - 1):.2f}%">{d.year}</span>'
        for i, d in enumerate(timeline.dates)
        if n > 1
        and 0.04 < i / (n - 1) < 0.96
        and ((d.month, d.day) == (1, 1) or (i > 0 and d.year != timeline.dates[i - 1].year))
    ]
    return (
        f'<div class="geo-tl-axis"><span style="left:0">{labels.format_date(first, lang)}</span>'
        f'{"".join(ticks)}<span style="right:0">{labels.format_date(last, lang)}</span></div>'
    )


def _legend(timeline: Timeline, lang: labels.Lang, trail_days: int) -> str:
    rows = [f"<b>{escape_text(labels.word('layers', lang))}</b>"]
    for layer in timeline.layers:
        name = labels.layer_name(layer.layer, lang) if layer.name == layer.layer else layer.name
        rows.append(f'<div><span class="geo-tl-key" style="background:{escape_text(layer.colour)}">'
                    f"</span>{escape_text(name)}</div>")  # fmt: skip
    since = labels.word("since_previous", lang)
    rows.append(f'<label class="geo-tl-toggle"><input type="checkbox" data-show="change" checked>'
                f"<b>{escape_text(since)}</b></label>")  # fmt: skip
    kinds = list(dict.fromkeys(layer.layer for layer in timeline.layers))
    seen = set()
    for kind in kinds:
        colours, names = labels.change_colours(kind), labels.change_names(kind, lang)
        for key in ("gained", "lost"):
            if (colours[key], names[key]) in seen:
                continue
            seen.add((colours[key], names[key]))
            rows.append(f'<div><span class="geo-tl-key geo-tl-key-{key}" style="background:'
                        f'{colours[key]}"></span>{escape_text(names[key])}</div>')  # fmt: skip
    if trail_days:
        trail = labels.word("trail", lang).format(n=trail_days)
        rows.append(f'<label class="geo-tl-toggle"><input type="checkbox" data-show="trail" '
                    f'checked><span class="geo-tl-key geo-tl-key-trail"></span>'
                    f"{escape_text(trail)}</label>")  # fmt: skip
    return f'<div class="geo-tl-legend">{"".join(rows)}</div>'


def panel_html(timeline: Timeline, element_id: str, *, lang: labels.Lang, trail_days: int) -> str:
    """Return the panel under the map and the legend (the script fills in the numbers)."""
    last = len(timeline.dates) - 1
    controls = "".join(
        f'<button type="button" class="geo-tl-{act}" data-act="{act}" '
        f'title="{escape_text(labels.word(key, lang))}" '
        f'aria-label="{escape_text(labels.word(key, lang))}">{ICONS[act]}</button>'
        for act, key in _BUTTONS.items()
    )
    speeds = "".join(
        f'<option value="{ms}"{" selected" if key == "normal" else ""}>'
        f"{escape_text(labels.word(key, lang))}</option>"
        for ms, key in ((400, "slow"), (150, "normal"), (40, "fast"))
    )
    areas = "".join(
        f'<div class="geo-tl-area" style="border-color:{escape_text(layer.colour)}"></div>'
        for layer in timeline.layers
    )
    change = escape_text(labels.word("change", lang))
    modes = (
        f'<select class="geo-tl-period" aria-label="{change}">'
        f'<option value="day">{escape_text(labels.word("per_day", lang))}</option>'
        f'<option value="month" selected>{escape_text(labels.word("per_month", lang))}</option>'
        f'</select><select class="geo-tl-measure" aria-label="{change}">'
        f'<option value="net">{escape_text(labels.word("net_change", lang))}</option>'
        f'<option value="gross" selected>{escape_text(labels.word("gained_and_lost", lang))}'
        "</option></select>"
    )
    hint = escape_text(labels.word("bar_hint", lang))
    date_word = escape_text(labels.word("date", lang))
    return (
        f'<div class="geo-timeline" id="{element_id}" lang="{lang}">'
        f'<div class="geo-tl-controls">{controls}'
        f'<div class="geo-tl-track"><input type="range" class="geo-tl-slider" min="0" '
        f'max="{last}" step="1" value="{last}" aria-label="{date_word}">'
        '<div class="geo-tl-tip" role="status"></div></div>'
        f'<span class="geo-tl-date" aria-live="polite">'
        f"{labels.format_date(timeline.dates[-1], lang)}</span>"
        f'<select class="geo-tl-speed" aria-label="{escape_text(labels.word("speed", lang))}">'
        f"{speeds}</select></div>"
        f'<div class="geo-tl-row"><div class="geo-tl-areas">{areas}</div>'
        f'<div class="geo-tl-modes">{modes}</div></div>'
        f'<div class="geo-tl-chart" id="{element_id}-chart">{_area_chart(timeline)}'
        f'<svg class="geo-tl-bars" viewBox="0 0 1000 100" preserveAspectRatio="none" role="img" '
        f'aria-label="{hint}"><title>{hint}</title></svg>'
        '<div class="geo-tl-cursor" style="left:100%"></div></div>'
        f"{_axis(timeline, lang)}</div>{_legend(timeline, lang, trail_days)}"
    )


def title_html(title: str, subtitle: str | None, notice: str | None) -> str:
    """Return the title box at the top of the map: title, subtitle, notice (escaped)."""
    parts = [f'<div class="geo-title">{escape_text(title)}</div>']
    if subtitle:
        parts.append(f'<div class="geo-subtitle">{escape_text(subtitle)}</div>')
    if notice:
        parts.append(f'<div class="geo-notice">{escape_text(notice)}</div>')
    return f'<div class="geo-tl-head">{"".join(parts)}</div>'


def page_css() -> str:
    """Return the page's style sheet."""
    return _CSS


@functools.cache
def _script_source() -> str:
    return resources.files("geo.render").joinpath("timeline.js").read_text(encoding="utf-8")


def page_script(map_name: str, element_id: str, *, lang: labels.Lang) -> str:
    """Return the page script for the Leaflet map variable ``map_name``."""
    return (
        _script_source()
        .replace("__MAP__", map_name)
        .replace("__ID__", json.dumps(element_id))
        .replace("__ICONS__", script_json(ICONS))
        .replace("__WORDS__", script_json(words(lang)))
    )


_CSS = """<style>
.geo-timeline{position:fixed;left:0;right:0;bottom:0;z-index:1000;background:#fff;
 border-top:1px solid #999;padding:30px 10px 2px;font:12px/1.3 sans-serif}
.geo-tl-controls{display:flex;align-items:center;gap:4px}
.geo-tl-controls button{min-width:30px;height:26px;cursor:pointer;line-height:0}
.geo-tl-controls svg{fill:#333}
.geo-tl-track{flex:1;min-width:80px;position:relative;display:flex}
.geo-tl-slider{flex:1;margin:0}
.geo-tl-tip{position:absolute;bottom:22px;transform:translateX(-50%);white-space:nowrap;
 background:#222;color:#fff;padding:3px 7px;border-radius:3px;font-size:12px;pointer-events:none}
.geo-tl-tip:after{content:"";position:absolute;left:50%;top:100%;margin-left:-5px;
 border:5px solid transparent;border-top-color:#222}
.geo-tl-tip.geo-tl-tip-left{transform:none}.geo-tl-tip.geo-tl-tip-left:after{left:12px}
.geo-tl-tip.geo-tl-tip-right{transform:translateX(-100%)}
.geo-tl-tip.geo-tl-tip-right:after{left:auto;right:7px}
.geo-tl-date{font-weight:bold;font-size:15px;min-width:110px;text-align:center}
.geo-tl-row{display:flex;align-items:center;justify-content:space-between;gap:8px;margin:3px 0}
.geo-tl-area{border-left:12px solid;padding:0 10px 0 4px}
.geo-tl-modes select{margin-left:4px}
.geo-tl-chart{position:relative;cursor:crosshair}
.geo-tl-svg{display:block;width:100%;height:28px;background:#f7f7f7}
.geo-tl-bars{display:block;width:100%;height:52px;background:#fbfbfb;border-top:1px solid #eee}
.geo-tl-bars rect{cursor:pointer}
.geo-tl-cursor{position:absolute;top:0;bottom:0;width:1px;background:#000;pointer-events:none}
.geo-tl-axis{position:relative;height:14px;color:#555}
.geo-tl-axis span{position:absolute;top:0;transform:translateX(-50%)}
.geo-tl-axis span:first-child,.geo-tl-axis span:last-child{transform:none}
.geo-tl-head{position:fixed;top:10px;left:50%;transform:translateX(-50%);z-index:1001;
 max-width:60%;text-align:center;font:14px sans-serif}
.geo-title{background:#fff;border:1px solid #888;padding:4px 10px;font-weight:bold;font-size:15px}
.geo-subtitle{background:#fff;border:1px solid #888;border-top:0;padding:2px 10px;font-size:13px}
.geo-notice{background:#fff3cd;border:2px solid #b58900;padding:4px 10px;margin-top:4px;
 font-weight:bold}
.geo-tl-legend{position:fixed;top:10px;right:10px;z-index:1001;background:#fff;
 border:1px solid #999;padding:6px 8px;font:12px/1.5 sans-serif;max-width:260px}
.geo-tl-key{display:inline-block;width:12px;height:12px;margin-right:6px;vertical-align:-2px;
 opacity:0.85}
.geo-tl-key-trail{background:repeating-linear-gradient(45deg,#d7191c55 0 3px,#2c7bb655 3px 6px)}
.geo-tl-toggle{display:block;cursor:pointer;margin-top:3px}
.geo-tl-toggle input{margin:0 4px 0 0;vertical-align:-2px}
</style>"""
