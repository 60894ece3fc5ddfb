"""The snapshot: one layer of one source on one date, with its provenance.

A :class:`Snapshot` holds clean polygons in EPSG:4326 (one row per feature,
as in the file, after hygiene) plus where they came from and what hygiene
changed. Loaders in :mod:`geo.io` produce snapshots; :mod:`geo.store` keeps them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo.geometry import WGS84, HygieneReport, geodesic_area_km2

#: Columns of :attr:`Snapshot.features` besides ``geometry``.
FEATURE_COLUMNS = ("label", "properties")


@dataclasses.dataclass(frozen=True)
class Provenance:
    """Where a snapshot came from.

    Attributes
    ----------
    path
        The file or URL the user supplied.
    sha256
        SHA-256 of that file's bytes.
    member
        The member inside an archive, or the layer inside a multi-layer file.
    original_layer
        The layer name as found in the file, before alias resolution.
    date_rule
        How the date was found (``"attribute date"``, ``"file name"``, ...).
    notes
        Caveats to report (merged labels, unknown layers, superseded inputs).
    """

    path: str
    sha256: str = ""
    member: str | None = None
    original_layer: str | None = None
    date_rule: str = ""
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the provenance as a plain dict (JSON-ready)."""
        data = dataclasses.asdict(self)
        data["notes"] = list(self.notes)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Provenance:
        """Inverse of :meth:`to_dict`."""
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in names}
        kwargs["notes"] = tuple(kwargs.get("notes") or ())
        return cls(**kwargs)


@dataclasses.dataclass(frozen=True, eq=False)
class Snapshot:
    """One layer of one source on one date.

    Attributes
    ----------
    source
        Publisher or data set, e.g. ``"isw"``, ``"deepstate"``, ``"sample"``.
    layer
        Canonical layer name (or the file's own name if unknown; see
        :attr:`layer_known`).
    date
        The date the snapshot describes.
    features
        GeoDataFrame in EPSG:4326 with columns ``geometry`` (valid 2-D
        polygons), ``label`` (feature name or ``""``) and ``properties``
        (the original attributes as a JSON string).
    provenance
        Where it came from.
    hygiene
        What cleaning changed.
    """

    source: str
    layer: str
    date: dt.date
    features: gpd.GeoDataFrame
    provenance: Provenance
    hygiene: HygieneReport = dataclasses.field(default_factory=HygieneReport)

    @property
    def key(self) -> tuple[str, str, dt.date]:
        """``(source, layer, date)``."""
        return (self.source, self.layer, self.date)

    @property
    def layer_known(self) -> bool:
        """Whether :attr:`layer` is in the canonical vocabulary."""
        from geo.layers import CANONICAL_LAYERS

        return self.layer in CANONICAL_LAYERS

    @property
    def n_features(self) -> int:
        """Number of features kept after hygiene."""
        return len(self.features)

    @functools.cached_property
    def geometry(self) -> BaseGeometry:
        """The union of all features (overlaps counted once)."""
        geoms = np.asarray(self.features.geometry.values, dtype=object)
        if len(geoms) == 0:
            return shapely.MultiPolygon()
        if len(geoms) == 1:
            only: BaseGeometry = geoms[0]
            return only  # hygiene made it valid; a union would only re-node it
        merged: BaseGeometry = shapely.union_all(geoms)
        return merged if merged.is_valid else shapely.make_valid(merged)

    @functools.cached_property
    def area_km2(self) -> float:
        """Geodesic area of :attr:`geometry` in km²."""
        return float(geodesic_area_km2(self.geometry))

    @functools.cached_property
    def content_hash(self) -> str:
        """SHA-256 of the cleaned features (geometry, label, attributes).

        Equal content gives an equal hash, whatever file it came from.
        """
        digest = hashlib.sha256()
        digest.update(f"{self.source}|{self.layer}|{self.date.isoformat()}".encode())
        frame = self.features
        rows = zip(frame.geometry.values, frame["label"], frame["properties"], strict=True)
        for geom, label, properties in rows:
            digest.update(shapely.to_wkb(geom, output_dimension=2, include_srid=False))
            digest.update(f"\x00{label}\x00{properties}\x00".encode())
        return digest.hexdigest()

    def __repr__(self) -> str:
        return (
            f"<Snapshot {self.source}/{self.layer} {self.date.isoformat()}: "
            f"{self.n_features} features, {self.area_km2:,.1f} km²>"
        )


def make_features(geometries: Any, labels: Any = None, properties: Any = None) -> gpd.GeoDataFrame:
    """Build a features frame with the standard columns.

    Parameters
    ----------
    geometries
        Clean lon/lat polygons.
    labels
        Feature names (default ``""``).
    properties
        JSON strings of the original attributes (default ``"{}"``).
    """
    geoms = np.asarray(geometries, dtype=object)
    n = len(geoms)
    return gpd.GeoDataFrame(
        {
            "label": list(labels) if labels is not None else [""] * n,
            "properties": list(properties) if properties is not None else ["{}"] * n,
        },
        geometry=gpd.GeoSeries(geoms, crs=WGS84),
        crs=WGS84,
    )
