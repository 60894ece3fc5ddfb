"""The snapshot: one layer of one source on one date, with its provenance.

A :class:`Snapshot` holds clean polygons in EPSG:4326 (one row per feature,
as in the file, after hygiene) plus where they came from and what hygiene
changed. Loaders in :mod:`geo.io` produce snapshots; :mod:`geo.store` keeps them.
In a notebook a snapshot shows as a table (:meth:`Snapshot._repr_html_`) and
:meth:`Snapshot.map` draws it, a one-line delegate into :mod:`geo.render`
imported only when called (like geopandas' ``explore``), so this module stays
low in the layering.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from geopandas.array import from_shapely
from shapely.geometry.base import BaseGeometry

from geo.area_methods import features_area_km2
from geo.errors import CRSError, InputFormatError
from geo.geometry import WGS84, HygieneReport, check_polygons, geodesic_area_km2, union_polygons
from geo.publishers import notice_for
from geo.text import escape_text, one_line

if TYPE_CHECKING:
    import folium

#: Columns of :attr:`Snapshot.features` besides ``geometry``.
FEATURE_COLUMNS = ("label", "properties")
_WGS84_CRS = pyproj.CRS.from_user_input(WGS84)


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

    Examples
    --------
    >>> from geo.io import read
    >>> from geo.sample import sample_control_files
    >>> snapshot = read(sample_control_files()[0], layer="contested", source="sample")[0]
    >>> snapshot.key, snapshot.n_features, round(snapshot.area_km2)
    (('sample', 'contested', datetime.date(2024, 8, 15)), 3, 2756)
    >>> list(snapshot.to_geodataframe().columns)
    ['source', 'layer', 'date', 'label', 'properties', 'area_km2', 'geometry']
    """

    source: str
    layer: str
    date: dt.date
    features: gpd.GeoDataFrame
    provenance: Provenance
    hygiene: HygieneReport = dataclasses.field(default_factory=HygieneReport)
    # The store passes True for files it checked when they were ingested.
    _checked: dataclasses.InitVar[bool] = False

    def __post_init__(self, _checked: bool) -> None:
        """Check the features at the door: valid lon/lat polygons only.

        Raises
        ------
        InputFormatError
            A feature is not a polygon or not valid (self-intersecting, parts
            overlapping); the message names it and the fix.
        CRSError
            The features are not in EPSG:4326 lon/lat.
        """
        if _checked:
            return
        prov = self.provenance
        origin = f"{prov.path}!{prov.member}" if prov.member else prov.path
        where = f"{origin}: snapshot {self.source}/{self.layer} {self.date}"
        geometry = getattr(self.features, "geometry", None)
        if geometry is None:
            msg = f"{where}: features need a geometry column; build them with make_features"
            raise InputFormatError(msg)
        crs = getattr(self.features, "crs", None)
        if crs is not None and not crs.equals(WGS84):
            msg = f"{where}: features are in {crs}, not {WGS84}; pass features.to_crs(4326)"
            raise CRSError(msg)
        check_polygons(np.asarray(geometry.values, dtype=object), where=where)
        _check_text(self, where)

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
        return union_features(self.features.geometry.values)

    @functools.cached_property
    def area_km2(self) -> float:
        """Geodesic area of :attr:`geometry` in km²."""
        return float(geodesic_area_km2(self.geometry))

    def area_km2_by(self, method: str = "ellipsoid") -> float:
        """Area in km² as a publisher computes it (see :mod:`geo.area_methods`).

        Parameters
        ----------
        method
            ``"ellipsoid"`` (:attr:`area_km2`: geodesic, union of the features),
            ``"deepstate"`` (DeepStateMap's ``/areas``) or ``"economist"`` (the
            Economist's ISW series); the last two sum the features without union.

        Raises
        ------
        ValidationError
            For an unknown method.
        """
        if method == "ellipsoid":
            return self.area_km2
        return features_area_km2(self.features.geometry.values, method)

    @functools.cached_property
    def content_hash(self) -> str:
        """SHA-256 of the cleaned features (geometry, label, attributes).

        Equal content gives an equal hash, whatever file it came from.
        """
        digest = hashlib.sha256()
        digest.update(f"{self.source}|{self.layer}|{self.date.isoformat()}".encode())
        frame = self.features
        geoms = np.asarray(frame.geometry.values, dtype=object)
        wkbs = shapely.to_wkb(geoms, output_dimension=2, include_srid=False)
        for wkb, label, properties in zip(wkbs, frame["label"], frame["properties"], strict=True):
            digest.update(wkb)
            digest.update(f"\x00{label}\x00{properties}\x00".encode())
        return digest.hexdigest()

    def to_geodataframe(self) -> gpd.GeoDataFrame:
        """Return the features as a new GeoDataFrame, one row per feature.

        Returns
        -------
        geopandas.GeoDataFrame
            Columns ``source``, ``layer``, ``date``, ``label``, ``properties``
            (JSON text), ``area_km2`` (geodesic, per feature; overlapping
            features count twice, unlike :attr:`area_km2`) and ``geometry``
            (EPSG:4326). ``attrs`` holds ``source``, ``layer`` and ``date``.
        """
        frame = gpd.GeoDataFrame(
            {
                "source": [self.source] * self.n_features,
                "layer": [self.layer] * self.n_features,
                "date": [self.date] * self.n_features,
                "label": list(self.features["label"]),
                "properties": list(self.features["properties"]),
                "area_km2": geodesic_area_km2(self.features.geometry.values),
            },
            geometry=gpd.GeoSeries(list(self.features.geometry.values), crs=WGS84),
            crs=WGS84,
        )
        frame.attrs.update({"source": self.source, "layer": self.layer, "date": self.date})
        return frame

    def map(self, *, notice: str | None = None, **kw: Any) -> folium.Map:
        """Draw the snapshot on a folium map (displays inline in Jupyter).

        Parameters
        ----------
        notice
            A banner that must stay visible. For the bundled sample the
            synthetic-data notice is always shown (before this text, if given).
        **kw
            Passed to :func:`geo.render.snapshot_map`: ``regions``,
            ``region_names``, ``title`` (default: layer, publisher and date in
            words), ``subtitle``, ``lang``, ``tiles`` (``None`` for none),
            ``attribution``.

        Returns
        -------
        folium.Map
        """
        from geo.render.methods import snapshot_method

        return snapshot_method(self, notice=notice, **kw)

    def __repr__(self) -> str:
        return one_line(
            f"<Snapshot {self.source}/{self.layer} {self.date.isoformat()}: "
            f"{self.n_features} features, {self.area_km2:,.1f} km²>"
        )

    def _repr_html_(self) -> str:
        prov, hyg = self.provenance, self.hygiene
        # A file split into layers reports the whole file's drops (see geo.io).
        counts = f"{hyg.n_input} features in the file, {hyg.n_output} kept; " if hyg.n_input else ""
        origin = f"{prov.path}!{prov.member}" if prov.member else prov.path
        unknown = "" if self.layer_known else " (not a canonical layer)"
        rows = [
            ("source", escape_text(self.source)),
            ("layer", escape_text(self.layer) + unknown),
            ("date", self.date.isoformat()),
            ("area", f"{self.area_km2:,.1f} km² (geodesic)"),
            ("features", f"{self.n_features:,}"),
            ("hygiene", escape_text(counts + hyg.summary())),
            ("file", escape_text(origin)),
            ("date from", escape_text(prov.date_rule or "-")),
        ]
        if prov.original_layer and prov.original_layer != self.layer:
            rows.append(("layer in file", escape_text(prov.original_layer)))
        if prov.notes:
            items = "".join(f"<li>{escape_text(note)}</li>" for note in prov.notes)
            rows.append(("notes", f"<ul>{items}</ul>"))
        notice = notice_for([self.source])
        if notice:
            rows.append(("notice", f"<b>{escape_text(notice)}</b>"))
        left = ' style="text-align:left"'
        body = "".join(
            f"<tr><th{left}>{name}</th><td{left}>{cell}</td></tr>" for name, cell in rows
        )
        return f'<table class="geo-snapshot"><tbody>{body}</tbody></table>'


def _check_text(snap: Snapshot, where: str) -> None:
    """Refuse text that is no valid Unicode (lone surrogates): nothing could store or show it."""
    prov = snap.provenance
    fields = {"source": snap.source, "layer": snap.layer, "provenance path": prov.path,
              "archive member": prov.member or "", "layer in the file": prov.original_layer or "",
              "notes": "\n".join(prov.notes)}  # fmt: skip
    columns = {name: snap.features[name] for name in FEATURE_COLUMNS if name in snap.features}
    for name, column in columns.items():
        fields[name] = "\x00".join(map(str, column))
    for name, text in fields.items():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            feature = ""
            if name in columns:
                feature = f" of feature {text[: exc.start].count(chr(0))}"
            bad = one_line(ascii(text[exc.start : exc.end]))
            msg = (
                f"{where}: the {name}{feature} holds {bad}, an unpaired UTF-16 surrogate, which "
                "is no text at all (a broken encoder, or a file name that is not UTF-8); fix "
                "that text or rename the file"
            )
            raise InputFormatError(msg) from None


#: Attributes whose value becomes a feature's label, first found wins.
LABEL_ATTRIBUTES = ("name", "label", "title", "Name", "NAME")


def feature_label(properties: Mapping[str, Any]) -> str:
    """Return a feature's label: the first non-empty of :data:`LABEL_ATTRIBUTES`, else ``""``."""
    for key in LABEL_ATTRIBUTES:
        value = properties.get(key)
        if value not in (None, ""):
            return str(value)
    return ""


def properties_json(properties: Mapping[str, Any]) -> str:
    """Return a feature's attributes as the JSON text stored in ``features["properties"]``."""
    return json.dumps(properties, ensure_ascii=False, default=str, sort_keys=True)


def union_features(geometries: Any) -> BaseGeometry:
    """Return the union of a snapshot's feature geometries (:attr:`Snapshot.geometry`).

    Features are checked valid when a snapshot is built (or were, when the
    store ingested them), so polygons touching no other are kept as they are
    and only the rest are unioned (:func:`geo.geometry.union_polygons`): no
    feature gives an empty MultiPolygon, one feature itself.
    """
    return union_polygons(np.asarray(geometries, dtype=object))


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
    # Through a plain DataFrame with a ready GeometryArray: 3x faster than the
    # GeoDataFrame constructor, which checks and sets the CRS column by column.
    try:
        frame = pd.DataFrame(
            {
                "label": list(labels) if labels is not None else [""] * n,
                "properties": list(properties) if properties is not None else ["{}"] * n,
                "geometry": from_shapely(geoms, crs=_WGS84_CRS),
            }
        )
    except UnicodeEncodeError as exc:  # Arrow-backed strings refuse lone surrogates
        bad = one_line(ascii(exc.object[exc.start : exc.end]))
        msg = (
            f"a feature's label or attributes hold {bad}, an unpaired UTF-16 surrogate, "
            "which is no text at all; fix that text"
        )
        raise InputFormatError(msg) from None
    return gpd.GeoDataFrame(frame, geometry="geometry")
