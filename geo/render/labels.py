"""Human words for maps, charts and videos: titles, legends, dates, figures; English or Ukrainian.

Readers see "Russian-controlled territory, DeepStateMap.Live, 1 Jan → 1 Jun 2025",
never ``russian_control (deepstate)``. The words are data (``geo/data/labels.csv``,
one column per language); layer names come from there, source names from
:mod:`geo.publishers`. Colours keep their meaning whatever the layer: ground
Russia gains is red and ground Ukraine gains is blue (:func:`change_colours`),
so a shrinking Ukrainian-held layer still shows Russian gains in red.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
from importlib import resources
from typing import Literal, get_args

from geo.errors import ValidationError
from geo.publishers import display_name

__all__ = [
    "CHANGE_COLOURS",
    "LANGUAGES",
    "Lang",
    "Side",
    "change_colours",
    "change_labels",
    "change_name",
    "change_names",
    "format_date",
    "format_date_range",
    "format_km2",
    "format_number",
    "layer_name",
    "layer_side",
    "map_title",
    "region_name",
    "word",
]

#: A language of the labels.
Lang = Literal["en", "uk"]
#: Languages labels exist in.
LANGUAGES: tuple[str, ...] = get_args(Lang)
#: Whose ground a layer is: gains of a "russia" layer are Russian gains.
Side = Literal["russia", "ukraine", "neutral"]

#: Russian gains red, Ukrainian gains blue, other change purple/green, unchanged grey.
CHANGE_COLOURS: dict[str, str] = {
    "russia": "#d7191c",
    "ukraine": "#2c7bb6",
    "grew": "#7b3294",
    "shrank": "#1b7837",
    "unchanged": "#9e9e9e",
}

_SIDES: dict[str, Side] = {
    "russian_control": "russia",
    "russian_advance": "russia",
    "russian_claim": "russia",
    "russian_control_pre_2022": "russia",
    "russian_infiltration": "russia",
    "ukrainian_counteroffensive": "ukraine",
    "ukrainian_control_russia": "ukraine",
    "liberated": "ukraine",
    "partisan_warfare": "ukraine",
}
_MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "uk": (
        "січня", "лютого", "березня", "квітня", "травня", "червня",
        "липня", "серпня", "вересня", "жовтня", "листопада", "грудня",
    ),
}  # fmt: skip


@functools.cache
def _table() -> dict[str, dict[str, str]]:
    text = resources.files("geo").joinpath("data/labels.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {row["key"]: {lang: row[lang] for lang in LANGUAGES} for row in rows}


def _check(lang: str) -> Lang:
    if lang not in LANGUAGES:
        msg = "no labels in that language"
        raise ValidationError(msg, [f"lang={lang!r}: pass lang= one of {', '.join(LANGUAGES)}"])
    return lang  # type: ignore[return-value]


def word(key: str, lang: Lang = "en") -> str:
    """Return a UI word (``"region"``, ``"net"`` ...) in ``lang``.

    Examples
    --------
    >>> word("region", "uk")
    'Область'
    """
    return _table()[f"word.{key}"][_check(lang)]


def layer_name(layer: str, lang: Lang = "en") -> str:
    """Return the human name of a layer; an unknown layer keeps its own name.

    Examples
    --------
    >>> layer_name("russian_control")
    'Russian-controlled territory'
    >>> layer_name("my_layer")
    'my_layer'
    """
    row = _table().get(f"layer.{layer}")
    return row[_check(lang)] if row else layer


def region_name(region: str, lang: Lang = "en") -> str:
    """Return a region's name for a map: canonical names translated, any other kept.

    Examples
    --------
    >>> region_name("Donetsk", "uk"), region_name("Kursk"), region_name("Krasnodar Krai", "uk")
    ('Донецька обл.', 'Kursk (Russia)', 'Krasnodar Krai')
    """
    row = _table().get(f"region.{region}")
    return row[_check(lang)] if row else region


def layer_side(layer: str) -> Side:
    """Return whose ground ``layer`` is (``"neutral"`` for contested and unknown layers)."""
    return _SIDES.get(layer, "neutral")


def format_date(day: dt.date, lang: Lang = "en", *, year: bool = True) -> str:
    """Return a date as readers write it: ``1 Jun 2025`` or ``1 червня 2025``.

    Examples
    --------
    >>> format_date(dt.date(2025, 6, 1)), format_date(dt.date(2025, 6, 1), "uk")
    ('1 Jun 2025', '1 червня 2025')
    """
    text = f"{day.day} {_MONTHS[_check(lang)][day.month - 1]}"
    return f"{text} {day.year}" if year else text


def format_date_range(start: dt.date, end: dt.date, lang: Lang = "en") -> str:
    """Return ``1 Jan → 1 Jun 2025`` (the year once when both dates share it).

    Examples
    --------
    >>> format_date_range(dt.date(2025, 1, 1), dt.date(2025, 6, 1))
    '1 Jan → 1 Jun 2025'
    >>> format_date_range(dt.date(2024, 12, 31), dt.date(2025, 6, 1))
    '31 Dec 2024 → 1 Jun 2025'
    """
    same_year = start.year == end.year
    return f"{format_date(start, lang, year=not same_year)} → {format_date(end, lang)}"


def format_number(value: float, lang: Lang = "en", *, signed: bool = False, digits: int = 0) -> str:
    """Return a figure rounded for readers, without a unit: ``1,294`` (``1 294`` in Ukrainian).

    Parameters
    ----------
    value
        The figure.
    lang
        Language: English groups thousands with commas, Ukrainian with spaces
        and writes a decimal comma.
    signed
        Show ``+`` before positive values (net change, rates).
    digits
        Decimals.

    Examples
    --------
    >>> format_number(1294.04), format_number(-9.45, signed=True), format_number(0.04, signed=True)
    ('1,294', '−9', '0')
    >>> format_number(1234.56, "uk", signed=True, digits=1)
    '+1 234,6'
    """
    shown = round(value, digits)
    sign = "−" if shown < 0 else "+" if signed and shown > 0 else ""  # a real minus sign
    text = f"{abs(value):,.{digits}f}"
    if _check(lang) == "uk":
        text = text.replace(",", " ").replace(".", ",")
    return f"{sign}{text}"


def format_km2(value: float, lang: Lang = "en", *, signed: bool = False, digits: int = 0) -> str:
    """Return an area rounded for readers: ``1,294 km²`` (``1 294 км²`` in Ukrainian).

    Parameters
    ----------
    value
        Area in km².
    lang, signed, digits
        As for :func:`format_number`; ``digits`` is 0 (to the unit) unless a
        figure is too small to show.

    Examples
    --------
    >>> format_km2(1294.04), format_km2(1284.58, signed=True), format_km2(-9.45, signed=True)
    ('1,294 km²', '+1,285 km²', '−9 km²')
    >>> format_km2(113157.24, "uk")
    '113 157 км²'
    """
    unit = "км²" if _check(lang) == "uk" else "km²"
    return f"{format_number(value, lang, signed=signed, digits=digits)} {unit}"


def _change_kinds(layer: str) -> tuple[str, str]:
    """Return what gained and lost ground of ``layer`` is: ``("russia", "ukraine")`` ..."""
    return {
        "russia": ("russia", "ukraine"),
        "ukraine": ("ukraine", "russia"),
        "neutral": ("grew", "shrank"),
    }[layer_side(layer)]


def change_colours(layer: str) -> dict[str, str]:
    """Return the fill of gained, lost and unchanged ground of ``layer``.

    Gained ground of a Russian layer is a Russian gain (red), its lost ground a
    Ukrainian gain (blue); a Ukrainian layer the other way round; a neutral layer
    (contested, unknown) grows purple and shrinks green.

    Examples
    --------
    >>> change_colours("russian_control")["gained"], change_colours("liberated")["gained"]
    ('#d7191c', '#2c7bb6')
    """
    gained, lost = _change_kinds(layer)
    return {
        "gained": CHANGE_COLOURS[gained],
        "lost": CHANGE_COLOURS[lost],
        "unchanged": CHANGE_COLOURS["unchanged"],
    }


def change_labels(
    layer: str, date_from: dt.date, date_to: dt.date, lang: Lang = "en"
) -> dict[str, str]:
    """Return the legend wording of gained, lost and unchanged ground of ``layer``.

    Examples
    --------
    >>> labels = change_labels("russian_control", dt.date(2025, 1, 1), dt.date(2025, 6, 1))
    >>> labels["gained"], labels["lost"]
    ('Russian gains (held on 1 Jun 2025 only)', 'Ukrainian gains (held on 1 Jan 2025 only)')
    """
    table, lang = _table(), _check(lang)
    gained, lost = _change_kinds(layer)
    later = table["change.held_later"][lang].format(date=format_date(date_to, lang))
    earlier = table["change.held_earlier"][lang].format(date=format_date(date_from, lang))
    return {
        "gained": f"{table[f'change.{gained}'][lang]} ({later})",
        "lost": f"{table[f'change.{lost}'][lang]} ({earlier})",
        "unchanged": f"{table['change.unchanged'][lang]} ({table['change.held_both'][lang]})",
    }


def change_names(layer: str, lang: Lang = "en") -> dict[str, str]:
    """Return the short names of gained, lost and unchanged ground of ``layer`` (no dates).

    Examples
    --------
    >>> change_names("russian_control")
    {'gained': 'Russian gains', 'lost': 'Ukrainian gains', 'unchanged': 'Unchanged'}
    """
    table, lang = _table(), _check(lang)
    gained, lost = _change_kinds(layer)
    return {
        "gained": table[f"change.{gained}"][lang],
        "lost": table[f"change.{lost}"][lang],
        "unchanged": table["change.unchanged"][lang],
    }


def change_name(layer: str, kind: str, lang: Lang = "en") -> str:
    """Return the short name of ``layer``'s gained or lost ground (``"Russian gains"``).

    Examples
    --------
    >>> change_name("russian_control", "lost"), change_name("contested", "gained", "uk")
    ('Ukrainian gains', 'Збільшилось')
    """
    if kind not in ("gained", "lost"):
        msg = "no such change"
        raise ValidationError(msg, [f"kind={kind!r}: pass 'gained' or 'lost'"])
    return change_names(layer, lang)[kind]


def map_title(
    layer: str,
    sources: str | list[str] | tuple[str, ...],
    start: dt.date,
    end: dt.date | None = None,
    lang: Lang = "en",
) -> str:
    """Return a map's human title: layer, publisher(s), date or date range.

    Examples
    --------
    >>> map_title("russian_control", "deepstate", dt.date(2025, 1, 1), dt.date(2025, 6, 1))
    'Russian-controlled territory, DeepStateMap.Live, 1 Jan → 1 Jun 2025'
    >>> map_title("russian_control", "isw", dt.date(2023, 5, 1), lang="uk")
    'Територія під контролем Росії, Institute for the Study of War (ISW), 1 травня 2023'
    """
    names = [sources] if isinstance(sources, str) else list(sources)
    publishers = " / ".join(dict.fromkeys(display_name(s) for s in names))
    when = (
        format_date(start, lang)
        if end is None or end == start
        else (format_date_range(start, end, lang))
    )
    return f"{layer_name(layer, lang)}, {publishers}, {when}"
