"""geo: load, diff and map dated territorial-control polygons.

The public API is re-exported here; see ``__all__``. Errors are
:class:`GeoError` subclasses whose messages name the fix in Python terms
(``pass source=``). Notes and warnings go through :mod:`logging` under the
``geo`` logger (warnings show on stderr by default). Long-running functions
take ``progress=``: ``None`` draws a bar on stderr when it is a terminal.
"""

from __future__ import annotations

from geo.area_methods import AREA_METHODS
from geo.diff import Diff, RegionChange, diff, diff_series
from geo.distance import DistanceResult, distances
from geo.errors import (
    ArchiveError,
    AssetError,
    BasemapError,
    CRSError,
    DateError,
    DeepStateApiError,
    DuplicateSnapshotError,
    EncoderError,
    FeatureServerError,
    FetchError,
    GeoError,
    HashMismatchError,
    InputFormatError,
    LayerError,
    MissingAssetError,
    MissingDependencyError,
    OfflineError,
    OutputError,
    PlaceError,
    RegionError,
    SnapshotNotFoundError,
    StoreError,
    TermsNotAcceptedError,
    UnknownAssetError,
    ValidationError,
)
from geo.frontline import Displacement, Frontline, country_outline, displacement, frontline
from geo.gazetteer import Gazetteer, load_gazetteer, normalize_name
from geo.geometry import HygieneReport, equal_area_km2, geodesic_area_km2
from geo.ingest import FilesIngest, ingest_files
from geo.io import ReadResult, read, read_many
from geo.layers import CANONICAL_LAYERS, resolve_layer
from geo.ledger import Ledger, ledger
from geo.places import places_changed
from geo.region_select import select_regions
from geo.regions import TARGET_REGIONS, load_regions, resolve_region
from geo.series import SnapshotSeries
from geo.snapshot import Provenance, Snapshot
from geo.sources.deepstate_api import fetch_deepstate
from geo.sources.featureserver import fetch_url
from geo.sources.http import HttpClient
from geo.sources.registry import fetch_boundaries
from geo.stats import timeseries
from geo.store import IngestReport, Store, open_store

__version__ = "0.1.0"

__all__ = [
    "AREA_METHODS",
    "CANONICAL_LAYERS",
    "TARGET_REGIONS",
    "ArchiveError",
    "AssetError",
    "BasemapError",
    "CRSError",
    "DateError",
    "DeepStateApiError",
    "Diff",
    "Displacement",
    "DistanceResult",
    "DuplicateSnapshotError",
    "EncoderError",
    "FeatureServerError",
    "FetchError",
    "FilesIngest",
    "Frontline",
    "Gazetteer",
    "GeoError",
    "HashMismatchError",
    "HttpClient",
    "HygieneReport",
    "IngestReport",
    "InputFormatError",
    "LayerError",
    "Ledger",
    "MissingAssetError",
    "MissingDependencyError",
    "OfflineError",
    "OutputError",
    "PlaceError",
    "Provenance",
    "ReadResult",
    "RegionChange",
    "RegionError",
    "Snapshot",
    "SnapshotNotFoundError",
    "SnapshotSeries",
    "Store",
    "StoreError",
    "TermsNotAcceptedError",
    "UnknownAssetError",
    "ValidationError",
    "__version__",
    "country_outline",
    "diff",
    "diff_series",
    "displacement",
    "distances",
    "equal_area_km2",
    "fetch_boundaries",
    "fetch_deepstate",
    "fetch_url",
    "frontline",
    "geodesic_area_km2",
    "ingest_files",
    "ledger",
    "load_gazetteer",
    "load_regions",
    "normalize_name",
    "open_store",
    "places_changed",
    "read",
    "read_many",
    "resolve_layer",
    "resolve_region",
    "select_regions",
    "timeseries",
]
