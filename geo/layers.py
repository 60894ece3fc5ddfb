"""Canonical layer vocabulary, the alias table and the palette.

Files name the same layer in many ways (ArcGIS service names, ISW export
names with dates glued on, human titles, Japanese labels). :func:`resolve_layer`
maps any of them to one of :data:`CANONICAL_LAYERS` through the alias table
``geo/data/layer_aliases.csv``, ignoring dates glued on (as
:mod:`geo.datenames` finds them); names it does not know are returned
unresolved so callers keep them as they are and report them, never drop them.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import re
import unicodedata
from importlib import resources
from pathlib import Path

from geo.datenames import MONTHS, date_spans

#: The fixed vocabulary, with a one-line description each.
CANONICAL_LAYERS: dict[str, str] = {
    "russian_control": (
        "Assessed Russian control (ISW); occupied incl. ORDLO and Crimea (DeepState)"
    ),
    "russian_advance": "Assessed Russian advances (ISW), incl. Russian advances in Kursk",
    "russian_claim": "Claimed Russian territory (ISW)",
    "ukrainian_counteroffensive": "Claimed Ukrainian counteroffensives (ISW)",
    "russian_control_pre_2022": (
        "Russian control before 24 Feb 2022 (ISW); ORDLO and Crimea (DeepState)"
    ),
    "partisan_warfare": "Reported Ukrainian partisan warfare (ISW)",
    "russian_infiltration": "Assessed Russian infiltration areas (ISW)",
    "ukrainian_control_russia": "Ukrainian-held ground in Russia (e.g. Kursk 2024-25)",
    "liberated": "Liberated / taken back inside Ukraine (DeepState)",
    "contested": "Contested or unknown status, the grey zone (DeepState)",
}

#: Fill colours per canonical layer, close to ISW's and DeepState's conventions.
PALETTE: dict[str, str] = {
    "russian_control": "#c0392b",
    "russian_advance": "#f1948a",
    "russian_claim": "#f5cba7",
    "ukrainian_counteroffensive": "#2e86c1",
    "russian_control_pre_2022": "#641e16",
    "partisan_warfare": "#7d3c98",
    "russian_infiltration": "#e67e22",
    "ukrainian_control_russia": "#1a5276",
    "liberated": "#27ae60",
    "contested": "#a6a6a6",
}
#: Colour for layers outside the vocabulary.
UNKNOWN_LAYER_COLOUR = "#555555"

# Full month names and abbreviations, longest first ("march" before "mar").
_MONTHS = "|".join(sorted(MONTHS, key=lambda word: (-len(word), word)))
# What may follow a prefix alias: dates, versions and export tags only.
_TAIL = re.compile(rf"^(?:\d+|{_MONTHS}|ao|v\d*|view|layer|shp|zip|inukraine|ukraine|polygons?)*$")


@dataclasses.dataclass(frozen=True)
class LayerMatch:
    """How a name found in a file resolves.

    Attributes
    ----------
    name
        The name as found.
    layer
        The canonical layer, or ``None`` if the name is unknown.
    source
        The publisher the name implies (``"isw"``), or ``None``.
    note
        A caveat to report (e.g. a label that merges two layers), or ``""``.
    """

    name: str
    layer: str | None
    source: str | None = None
    note: str = ""

    @property
    def known(self) -> bool:
        """Whether the name resolved to a canonical layer."""
        return self.layer is not None


@dataclasses.dataclass(frozen=True)
class _Alias:
    key: str
    match: str
    layer: str
    source: str | None
    note: str


def normalize_name(name: str) -> str:
    """Case-fold and keep only letters and digits (any script)."""
    text = unicodedata.normalize("NFKC", name).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def _read_aliases(lines: list[str], origin: str) -> list[_Alias]:
    rows = csv.DictReader(line for line in lines if line.strip() and not line.startswith("#"))
    aliases = []
    for number, row in enumerate(rows, start=2):
        layer = (row.get("layer") or "").strip()
        match = (row.get("match") or "exact").strip()
        if layer not in CANONICAL_LAYERS or match not in {"exact", "prefix"}:
            msg = f"{origin}: row {number}: bad layer {layer!r} or match {match!r}"
            raise ValueError(msg)
        aliases.append(
            _Alias(
                key=normalize_name(row["alias"]),
                match=match,
                layer=layer,
                source=(row.get("source") or "").strip() or None,
                note=(row.get("note") or "").strip(),
            )
        )
    return aliases


@functools.cache
def _builtin_aliases() -> tuple[_Alias, ...]:
    text = resources.files("geo").joinpath("data/layer_aliases.csv").read_text(encoding="utf-8")
    return tuple(_read_aliases(text.splitlines(), "layer_aliases.csv"))


_extra_aliases: list[_Alias] = []


def add_aliases(path: str | Path) -> int:
    """Add aliases from a CSV with the columns of the built-in table.

    Parameters
    ----------
    path
        CSV file with columns ``alias,match,layer,source,note``.

    Returns
    -------
    int
        How many aliases were added. Added aliases take precedence.
    """
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    added = _read_aliases(lines, str(path))
    _extra_aliases[:0] = added
    return len(added)


def resolve_layer(name: str | None) -> LayerMatch:
    """Resolve a layer name found in a file.

    A name that is unknown as it stands is tried again without its dates, the
    last first (``russian_control_2023-05-01``, ``Ukrainian Advances in Russia
    20250318``), so a dated export never becomes a made-up layer per date.

    Parameters
    ----------
    name
        The name (attribute value, layer name, file stem...).

    Returns
    -------
    LayerMatch
        ``name`` is the name as given; ``layer`` is ``None`` when it is unknown.

    Examples
    --------
    >>> resolve_layer("Assessed Russian Advance 2023-05-01").layer
    'russian_advance'
    >>> match = resolve_layer("my own layer")
    >>> match.known, match.name
    (False, 'my own layer')
    """
    if name is None:
        return LayerMatch(name="", layer=None)
    alias = _lookup(normalize_name(name))
    spans = date_spans(name) if alias is None else []
    for n_dates in range(1, len(spans) + 1):
        # Cut the last n_dates dates only: earlier ones may belong to the name ("February 24 2022").
        pieces, last = [], 0
        for start, end in spans[-n_dates:]:
            pieces.append(name[last:start])
            last = end
        alias = _lookup(normalize_name(" ".join([*pieces, name[last:]])))
        if alias is not None:
            break
    if alias is None:
        return LayerMatch(name=name, layer=None)
    return LayerMatch(name, alias.layer, alias.source, alias.note)


def _lookup(key: str) -> _Alias | None:
    """Return the alias for a normalized name: an exact one, else the longest prefix."""
    if not key:
        return None
    aliases = [*_extra_aliases, *_builtin_aliases()]
    exact = next((a for a in aliases if a.match == "exact" and a.key == key), None)
    if exact is not None:
        return exact
    best: _Alias | None = None
    for alias in aliases:
        if (
            alias.match == "prefix"
            and key.startswith(alias.key)
            and _TAIL.match(key[len(alias.key) :])
            and (best is None or len(alias.key) > len(best.key))
        ):
            best = alias
    return best


def layer_colour(layer: str) -> str:
    """Fill colour for a layer (a fixed grey for unknown layers)."""
    return PALETTE.get(layer, UNKNOWN_LAYER_COLOUR)
