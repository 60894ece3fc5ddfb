"""Build geo/data/context/countries.geojson: the countries around Ukraine for static maps.

Source: Natural Earth 1:50m admin-0 countries (public domain), version 4.1.0, as
redistributed in the npm package ``world-atlas@2.0.2`` (TopoJSON, ISC licence),
downloaded from the npm registry and checked against the registry's SHA-512.
The script decodes the TopoJSON, simplifies each shared arc once (so neighbours
keep one common border, without gaps or overlaps), keeps the countries of Europe
and around it (for the locator inset), clips them to that box, and rounds
coordinates to 0.001° (~100 m, below the 1:50m detail).

Crimea. Natural Earth's admin-0 layer draws the de-facto situation, so 4.1.0
puts Crimea in Russia. geo's maps draw Ukraine inside its internationally
recognised border (UN General Assembly resolution 68/262), as news maps do;
the script moves the Crimean polygon from Russia to Ukraine (occupation is what
the control layers show). The file's ``notes`` member says so.

Run: ``python scripts/make_context.py`` (needs the npm registry once); it rewrites
the GeoJSON and prints its SHA-256, which geo/data/context/SOURCE.csv records.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, box, mapping

PACKAGE = "world-atlas"
VERSION = "2.0.2"
TARBALL = f"https://registry.npmjs.org/{PACKAGE}/-/{PACKAGE}-{VERSION}.tgz"
INTEGRITY = (
    "sha512-IXfV0qwlKXpckz1FhwXVwKRjiIhOnWttOskm5CtxMsjgE/"
    "MXAYRHWJqgXOpM8IkcPBoXnyTU5lFHcYa5ChG0LQ=="
)
MEMBER = "package/countries-50m.json"
#: Europe and around it: the locator inset's frame (lon/lat).
BOX = (-12.0, 30.0, 75.0, 71.0)
#: Douglas-Peucker tolerance of each arc, in degrees (~1 km; 1:50m detail is ~1-2 km).
TOLERANCE_DEG = 0.008
DIGITS = 3
CRIMEA = shapely.Point(34.1, 45.0)
OUT = Path(__file__).resolve().parent.parent / "geo" / "data" / "context" / "countries.geojson"


def download() -> bytes:
    with urllib.request.urlopen(TARBALL, timeout=60) as response:
        data: bytes = response.read()
    algorithm, expected = INTEGRITY.split("-", 1)
    digest = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if digest != expected:
        raise SystemExit(f"{TARBALL}: integrity {algorithm} mismatch")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        member = archive.extractfile(MEMBER)
        assert member is not None
        return member.read()


def decode(topo: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """Return (ISO numeric id, name, shapely geometry) per country, arcs simplified once."""
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        xy = np.cumsum(np.asarray(arc, dtype=float), axis=0) * (sx, sy) + (tx, ty)
        if len(xy) > 2:
            simple = shapely.simplify(shapely.LineString(xy), TOLERANCE_DEG)
            xy = shapely.get_coordinates(simple)
        arcs.append(np.round(xy, DIGITS))

    def ring(indices: list[int]) -> Any:
        parts = [arcs[i] if i >= 0 else arcs[~i][::-1] for i in indices]
        return np.vstack([parts[0], *(p[1:] for p in parts[1:])])

    def polygon(rings: list[list[int]]) -> Polygon | None:
        shell = ring(rings[0])
        if len(np.unique(shell, axis=0)) < 3:
            return None  # an islet the simplification reduced to a line
        holes = [h for h in (ring(r) for r in rings[1:]) if len(np.unique(h, axis=0)) >= 3]
        return Polygon(shell, holes)

    countries = []
    for item in topo["objects"]["countries"]["geometries"]:
        kind, rings = item["type"], item.get("arcs")
        polygons = [rings] if kind == "Polygon" else rings if kind == "MultiPolygon" else []
        parts = [p for p in (polygon(r) for r in polygons) if p is not None]
        if parts:
            geometry = shapely.make_valid(MultiPolygon(parts))
            countries.append((str(item.get("id") or ""), item["properties"]["name"], geometry))
    return countries


def crimea_to_ukraine(countries: list[tuple[str, str, Any]]) -> list[tuple[str, str, Any]]:
    by_name = {name: i for i, (_, name, _) in enumerate(countries)}
    russia_id, _, russia = countries[by_name["Russia"]]
    ukraine_id, _, ukraine = countries[by_name["Ukraine"]]
    parts = shapely.get_parts(russia)
    crimea = [p for p in parts if p.intersects(CRIMEA.buffer(0.8))]
    if len(crimea) != 1 or crimea[0].area > 5:  # Crimea is ~3.2 square degrees
        raise SystemExit("could not find Crimea as one polygon of Russia in the source")
    rest = [p for p in parts if not p.equals(crimea[0])]
    countries[by_name["Russia"]] = (russia_id, "Russia", MultiPolygon(rest))
    merged = shapely.make_valid(shapely.union(ukraine, crimea[0]))
    countries[by_name["Ukraine"]] = (ukraine_id, "Ukraine", merged)
    return countries


def main() -> None:
    countries = crimea_to_ukraine(decode(json.loads(download())))
    frame = box(*BOX)
    features = []
    for iso, name, geometry in sorted(countries, key=lambda c: c[1]):
        if not geometry.intersects(frame):
            continue
        clipped = shapely.set_precision(shapely.intersection(geometry, frame), 10**-DIGITS)
        polygons = [p for p in shapely.get_parts(clipped) if p.geom_type == "Polygon"]
        if not polygons:
            continue
        features.append(
            {
                "type": "Feature",
                "properties": {"name": name, "iso_n3": iso},
                "geometry": mapping(MultiPolygon(polygons)),
            }
        )
    collection = {
        "type": "FeatureCollection",
        "name": "countries",
        "source": f"Natural Earth 1:50m admin-0 countries 4.1.0, via npm {PACKAGE}@{VERSION}",
        "licence": "Natural Earth: public domain; world-atlas packaging: ISC",
        "notes": "Crimea moved from Russia to Ukraine (internationally recognised border); "
        f"arcs simplified at {TOLERANCE_DEG} deg; clipped to {BOX}",
        "features": features,
    }
    text = json.dumps(collection, separators=(",", ":"), ensure_ascii=False) + "\n"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    print(f"{OUT}: {len(features)} countries, {len(text):,} bytes")
    print(f"sha256 {hashlib.sha256(text.encode()).hexdigest()}")


if __name__ == "__main__":
    main()
