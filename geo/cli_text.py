"""Text tables of the ``geo`` command: the diff report and the store summary.

Figures are rounded for readers as on the maps (:func:`geo.render.labels.format_km2`:
km² to the unit, a real minus sign); the JSON output keeps full precision and
the full method text. Names from data files (regions, sources) are printed on
one line with control characters escaped (:func:`geo.text.one_line`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from geo.publishers import display_name
from geo.render.labels import Lang, format_date, format_km2, layer_name, map_title, word
from geo.text import one_line

#: The area methods in a few words, for the one-line method note (full text: ``--json``).
METHOD_NOTES = {
    "ellipsoid": "geodesic areas on the WGS 84 ellipsoid (change measured in Albers "
    "equal-area, within 0.01 %)",
    "deepstate": "DeepStateMap /areas (turf.js on a sphere, per feature, summed without union)",
    "economist": "The Economist's (s2 on a sphere, per feature, summed without union)",
}


def table(rows: Sequence[Sequence[str]], *, align: str = "", indent: str = "") -> list[str]:
    """Return rows as lines, columns aligned by ``align`` (``l`` or ``r`` each).

    By default the first column is left-aligned and the others right-aligned.

    Examples
    --------
    >>> table([["Region", "Net"], ["Donetsk", "+971 km²"]])
    ['Region        Net', 'Donetsk  +971 km²']
    """
    n_columns = len(rows[0])
    align = align or "l" + "r" * (n_columns - 1)
    widths = [max(len(row[i]) for row in rows) for i in range(n_columns)]
    return [
        indent
        + "  ".join(
            cell.ljust(width) if side == "l" else cell.rjust(width)
            for cell, width, side in zip(row, widths, align, strict=True)
        ).rstrip()
        for row in rows
    ]


def format_diff(result: Any, largest: pd.DataFrame, *, lang: Lang = "en") -> str:
    """Return a :class:`geo.diff.Diff` as a report: title, totals, regions, largest changes, method.

    Regions are sorted by gross change (gained + lost), largest first; regions
    with no change to the km² are left out and counted (``--json`` lists them
    all, unrounded). The method is one line; its full text is in ``--json``.

    Parameters
    ----------
    result
        The diff.
    largest
        :meth:`geo.diff.Diff.largest_changes` rows to list.
    lang
        Language of the headers, dates and figures.
    """
    same_layer = result.layer_from == result.layer_to
    sources = [result.source_from, result.source_to]
    title = (
        map_title(result.layer_from, sources, result.date_from, result.date_to, lang)
        if same_layer
        else f"{layer_name(result.layer_from, lang)} / {layer_name(result.layer_to, lang)}, "
        f"{' / '.join(dict.fromkeys(display_name(s) for s in sources))}"
    )
    days = (result.date_to - result.date_from).days
    lines = [
        one_line(title),
        one_line(
            f"{result.source} {result.layer}: {result.date_from} -> {result.date_to} "
            f"({days} day{'' if days == 1 else 's'}; the nearest stored dates on or before "
            "those asked)"
        ),
        "",
    ]
    head = [
        "",
        format_date(result.date_from, lang),
        format_date(result.date_to, lang),
        word("gained", lang),
        word("lost", lang),
        word("net", lang),
    ]

    def km2(value: float, *, signed: bool = False) -> str:
        return format_km2(value, lang, signed=signed)

    total = [
        word("total", lang),
        km2(result.area_from_km2),
        km2(result.area_to_km2),
        km2(result.gained_km2),
        km2(result.lost_km2),
        km2(result.net_km2, signed=True),
    ]
    rows: list[list[str]] = [head, total]
    changed = sorted(
        (r for r in result.regions if round(r.gained_km2) or round(r.lost_km2)),
        key=lambda r: (-(r.gained_km2 + r.lost_km2), r.region),
    )
    if result.regions:
        head.append("")
        total.append("")
        rows.append([""] * len(head))
        rows.append([word("region", lang), *head[1:-1], word("held", lang)])
        for region in changed:
            share = region.share_to_pct
            rows.append(
                [
                    one_line(region.region),
                    km2(region.area_from_km2),
                    km2(region.area_to_km2),
                    km2(region.gained_km2),
                    km2(region.lost_km2),
                    km2(region.net_km2, signed=True),
                    "" if share is None else f"{share:.1f} %",
                ]
            )
        outside = [
            getattr(result, key) - sum(getattr(r, key) for r in result.regions)
            for key in ("gained_km2", "lost_km2")
        ]
        if any(round(value) for value in outside):
            gained, lost = outside
            rows.append(
                [
                    "(outside the regions)",
                    "",
                    "",
                    km2(gained),
                    km2(lost),
                    km2(gained - lost, signed=True),
                    "",
                ]
            )
    lines += table(rows)
    quiet = len(result.regions) - len(changed)
    if quiet:
        lines.append(f"({quiet} more region{'s' if quiet != 1 else ''} without change to the km²)")
    if not largest.empty:
        lines += ["", word("largest_changes", lang)]
        lines += table(
            [
                [
                    str(row["change"]),
                    km2(float(row["area_km2"])),
                    f"{row['lon']:.3f} E {row['lat']:.3f} N",
                    "no region" if pd.isna(row["region"]) else one_line(row["region"]),
                ]
                for row in largest.to_dict("records")
            ],
            align="lrll",
            indent="  ",
        )
    lines.append("")
    lines += [one_line(f"note: {text}") for text in result.notes]
    dropped = int((~result.patches.kept).sum())
    rule = result.sliver_filter
    lines.append(
        f"Method ({result.area_method}): "
        f"{METHOD_NOTES.get(result.area_method, result.area_method)}; patches under "
        f"{rule.min_area_km2:g} km² or {rule.min_width_m:g} m wide left out ({dropped} dropped); "
        "full text: --json"
    )
    return "\n".join(lines)


def format_summary(frame: pd.DataFrame) -> str:
    """Return :meth:`geo.store.Store.summary` rows as a table, with each source's publisher."""
    rows = [["source", "publisher", "layer", "first", "last", "dates"]]
    rows += [
        [
            one_line(row["source"]),
            one_line(display_name(str(row["source"]))),
            one_line(row["layer"]),
            str(row["first_date"]),
            str(row["last_date"]),
            f"{int(row['n_dates']):,}",
        ]
        for row in frame.to_dict("records")
    ]
    return "\n".join(table(rows, align="lllllr"))
