"""Load a URL: a GeoJSON, zipped shapefile or KML/KMZ file, or an ArcGIS layer.

Plain files are downloaded through the HTTP layer into a temporary folder under
the URL's own file name (so a date in the name still counts) and read with
:func:`geo.io.read`; the snapshots keep the URL as their provenance path.

ArcGIS FeatureServer / MapServer layers are paged: the layer's ``?f=json``
metadata gives its name, ``maxRecordCount`` and ``editingInfo.lastEditDate``;
``query`` is called with ``resultOffset`` / ``resultRecordCount`` and
``outSR=4326`` until a page no longer sets ``exceededTransferLimit``. A page
that fails stops the whole load: nothing is returned, so nothing half-loaded
can reach the store. So does a server that pages for ever: at most
``max_pages`` pages are asked for (:func:`geo.limits.max_pages`, 500 unless
``$GEO_MAX_PAGES`` says otherwise), and a page identical to the one before
(a server ignoring ``resultOffset``) ends the load at once. The date comes
from ``date=``, then a date attribute (rules of :mod:`geo.dates`), then the
layer's last edit date.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
import tempfile
import urllib.parse
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from geo import esri, limits
from geo.dates import GIVEN, find_date_attribute, parse_date
from geo.errors import (
    DateError,
    FeatureServerError,
    GeoError,
    InputFormatError,
    LayerError,
    ValidationError,
)
from geo.geometry import clean_geometries
from geo.layers import CANONICAL_LAYERS, LayerMatch, resolve_layer
from geo.snapshot import Provenance, Snapshot, feature_label, make_features, properties_json

#: Records per page when the layer does not say (ArcGIS's usual default).
DEFAULT_PAGE_SIZE = 1000
#: Default of ``max_pages``: a server that never clears the flag cannot loop for ever.
MAX_PAGES = limits.MAX_PAGES
DEFAULT_SOURCE = "user"
_ARCGIS_NULL = dt.date(1899, 12, 30)
_LAYER_PATH = re.compile(r"^(?P<base>.*/(?:FeatureServer|MapServer)/\d+)(?:/query)?/*$", re.I)


class Client(Protocol):
    """The part of :class:`geo.sources.http.HttpClient` used here."""

    def get_json(
        self, url: str, *, params: Mapping[str, str] | None = None, cache: bool = True
    ) -> Any:
        """Return the parsed JSON body of ``url``."""

    def download(self, url: str, dest: Path, *, sha256: str | None = None) -> Path:
        """Download ``url`` to ``dest``."""


@dataclasses.dataclass(frozen=True)
class LayerInfo:
    """What a layer's ``?f=json`` metadata says.

    Attributes
    ----------
    url
        The layer URL (``.../FeatureServer/<n>``), without ``/query`` or parameters.
    name
        The layer's name (``""`` if absent).
    max_record_count
        Records the server returns per query at most.
    last_edit_date
        ``editingInfo.lastEditDate`` as a UTC day, or ``None``.
    """

    url: str
    name: str
    max_record_count: int
    last_edit_date: dt.date | None


def arcgis_layer_url(url: str) -> str | None:
    """Return the layer URL if ``url`` points at an ArcGIS layer or its ``query``, else ``None``."""
    parts = urllib.parse.urlsplit(url)
    match = _LAYER_PATH.match(parts.path)
    if match is None:
        return None
    return str(urllib.parse.urlunsplit((parts.scheme, parts.netloc, match["base"], "", "")))


def layer_info(url: str, *, client: Client, cache: bool = False) -> LayerInfo:
    """Read a layer's metadata (``<layer>?f=json``).

    Parameters
    ----------
    url
        A FeatureServer or MapServer layer URL (``/query`` is stripped).
    client
        The HTTP client.
    cache
        Reuse a cached answer (default: ask the server, so the edit date is fresh).

    Returns
    -------
    LayerInfo

    Raises
    ------
    FeatureServerError
        Not a layer URL, an ArcGIS error body, or metadata that is not an object.
    """
    base = arcgis_layer_url(url)
    if base is None:
        msg = f"{url}: not an ArcGIS layer URL; expected .../FeatureServer/<n> or .../MapServer/<n>"
        raise FeatureServerError(msg)
    meta = client.get_json(base, params={"f": "json"}, cache=cache)
    if not isinstance(meta, Mapping):
        msg = f"{base}: the layer metadata is not a JSON object"
        raise FeatureServerError(msg)
    _check_error(meta, f"{base} (layer metadata)")
    max_count = meta.get("maxRecordCount")
    if isinstance(max_count, bool) or not isinstance(max_count, int) or max_count <= 0:
        max_count = DEFAULT_PAGE_SIZE
    edited: dt.date | None = None
    editing = meta.get("editingInfo")
    if isinstance(editing, Mapping) and editing.get("lastEditDate") not in (None, ""):
        try:
            edited = parse_date(editing["lastEditDate"], where=f"{base}: editingInfo.lastEditDate")
        except DateError:
            edited = None  # an odd edit stamp is no reason to refuse the data
    return LayerInfo(base, str(meta.get("name") or ""), max_count, edited)


def _check_error(data: Mapping[str, Any], where: str) -> None:
    error = data.get("error")
    if isinstance(error, Mapping):
        msg = (
            f"{where}: the server answered with ArcGIS error {error.get('code')}: "
            f"{error.get('message')}; check the layer URL and that the layer is public"
        )
        raise FeatureServerError(msg)


@dataclasses.dataclass
class _Pages:
    geometries: list[Any]
    attributes: list[dict[str, Any]]
    crs: str | None
    n_pages: int
    sha256: str


def query_all(
    info: LayerInfo,
    *,
    client: Client,
    page_size: int | None = None,
    cache: bool = False,
    max_pages: int | None = None,
) -> _Pages:
    """Fetch every feature of a layer, page by page (all or nothing).

    Pages are not cached by default: a cached page would hide later edits of
    the layer. At most ``max_pages`` pages are fetched (default
    :func:`geo.limits.max_pages`).
    """
    size = min(page_size or info.max_record_count, info.max_record_count)
    query_url = f"{info.url}/query"
    digest = hashlib.sha256()
    geometries: list[Any] = []
    attributes: list[dict[str, Any]] = []
    crs: str | None = None
    offset = 0
    last_page = ""
    cap = limits.max_pages() if max_pages is None else max_pages
    for n_pages in range(1, cap + 1):
        params = {
            "where": "1=1",
            "outFields": "*",
            "outSR": "4326",
            "returnGeometry": "true",
            "f": "json",
            "resultOffset": str(offset),
            "resultRecordCount": str(size),
        }
        where = f"{query_url} (page {n_pages}, resultOffset={offset})"
        try:
            page = client.get_json(query_url, params=params, cache=cache)
        except GeoError as exc:
            msg = (
                f"{where}: the page could not be fetched after {len(geometries)} features had "
                f"arrived, so nothing was loaded: {exc}. Run the command again later, or with "
                "a smaller page size if the server times out"
            )
            raise FeatureServerError(msg) from exc
        if not isinstance(page, Mapping):
            msg = f"{where}: the response is not a JSON object; nothing loaded"
            raise FeatureServerError(msg)
        _check_error(page, where)
        try:
            text = json.dumps(page, sort_keys=True, default=str)
            more = bool(page.get("exceededTransferLimit"))
            body = {k: v for k, v in page.items() if k != "exceededTransferLimit"}
            geoms, attrs, page_crs = esri.parse_esri_json(body, where=where)
        except InputFormatError as exc:
            msg = f"{exc}; nothing was loaded"
            raise FeatureServerError(msg) from exc
        except RecursionError:
            msg = f"{where}: the page is nested too deeply to read; nothing was loaded"
            raise FeatureServerError(msg) from None
        page_hash = hashlib.sha256(text.encode()).hexdigest()
        if more and page_hash == last_page:
            msg = (
                f"{where}: the server sent the same page again, so it ignores resultOffset and "
                "would page for ever; nothing was loaded. Ask the layer's owner for an export"
            )
            raise FeatureServerError(msg)
        last_page = page_hash
        digest.update(text.encode())
        if crs is not None and page_crs is not None and page_crs != crs:
            msg = f"{where}: this page is in {page_crs}, earlier pages in {crs}; nothing loaded"
            raise FeatureServerError(msg)
        crs = crs or page_crs
        geometries.extend(geoms)
        attributes.extend(attrs)
        if not more:
            return _Pages(geometries, attributes, crs, n_pages, digest.hexdigest())
        if not geoms:
            msg = (
                f"{where}: the server says more features exist but sent none; nothing loaded. "
                "The layer may not support paging; ask its owner for an export"
            )
            raise FeatureServerError(msg)
        offset += len(geoms)
    msg = (
        f"{query_url}: still more features after {cap} pages ({len(geometries)} features), "
        f"the limit (max_pages={cap}, $GEO_MAX_PAGES); nothing was loaded. If the layer really "
        "is that large, pass a larger max_pages; otherwise the server does not page correctly"
    )
    raise FeatureServerError(msg)


def fetch_layer(
    url: str,
    *,
    client: Client,
    layer: str | None = None,
    date: dt.date | str | None = None,
    source: str | None = None,
    page_size: int | None = None,
    cache: bool = False,
    max_pages: int | None = None,
) -> list[Snapshot]:
    """Load an ArcGIS FeatureServer / MapServer layer into snapshots.

    Parameters
    ----------
    url
        The layer URL (``.../FeatureServer/0``, optionally with ``/query``).
    client
        The HTTP client (cache, retries, offline mode).
    layer
        Canonical layer to use instead of the layer's own name.
    date
        Snapshot date, overriding attributes and the layer's last edit date.
    source
        Source name (default: implied by the layer name, else ``"user"``).
    page_size
        Records per request (capped by the layer's ``maxRecordCount``).
    cache
        Reuse cached metadata and pages (for offline re-reads); off by
        default because cached pages would hide later edits of the layer.
    max_pages
        Pages fetched at most (default :func:`geo.limits.max_pages`: 500, or
        ``$GEO_MAX_PAGES``); a layer with more is an error, never half-loaded.

    Returns
    -------
    list of Snapshot
        One per date (several when a date attribute holds several days).

    Raises
    ------
    GeoError
        A failed or malformed page (:class:`FeatureServerError`, naming its
        offset), an unknown ``layer``, or no date at all (:class:`DateError`).
    """
    explicit = _explicit_layer(layer)
    explicit_date = parse_date(date, where="date=") if date is not None else None
    info = layer_info(url, client=client, cache=cache)
    pages = query_all(info, client=client, page_size=page_size, cache=cache, max_pages=max_pages)
    where = info.url
    geoms, kept, hygiene = clean_geometries(pages.geometries, crs=pages.crs, where=where)
    props = [pages.attributes[int(i)] for i in kept]
    match = explicit or resolve_layer(info.name)
    notes = [f"fetched {hygiene.n_input} features in {pages.n_pages} pages"]
    if match.note:
        notes.append(match.note)
    if not match.known:
        if not info.name:
            msg = f"{where}: the layer has no name; pass layer="
            raise LayerError(msg)
        notes.append(f"unknown layer name {info.name!r} kept as is; add an alias to map it")
    groups, rule, date_note = _dates(props, info, explicit_date, where)
    if date_note:
        notes.append(date_note)
    snapshots = []
    for day, idx in groups.items():
        snapshots.append(
            Snapshot(
                source=source or match.source or DEFAULT_SOURCE,
                layer=match.layer or info.name,
                date=day,
                features=make_features(
                    geoms[idx],
                    [feature_label(props[i]) for i in idx],
                    [properties_json(props[i]) for i in idx],
                ),
                provenance=Provenance(
                    path=info.url,
                    sha256=pages.sha256,
                    original_layer=info.name or None,
                    date_rule=rule,
                    notes=tuple(notes),
                ),
                hygiene=hygiene
                if len(groups) == 1
                else dataclasses.replace(hygiene, n_output=len(idx)),
            )
        )
    return snapshots


def _explicit_layer(layer: str | None) -> LayerMatch | None:
    if layer is None:
        return None
    match = resolve_layer(layer)
    if not match.known:
        raise LayerError(
            f"layer={layer!r} is not a canonical layer; use one of: " + ", ".join(CANONICAL_LAYERS)
        )
    return match


def _dates(
    props: list[dict[str, Any]], info: LayerInfo, explicit: dt.date | None, where: str
) -> tuple[dict[dt.date, list[int]], str, str]:
    """Group features by day: ``(groups, rule, note)``."""
    everything = list(range(len(props)))
    if explicit is not None:
        return {explicit: everything}, GIVEN, ""
    attr = find_date_attribute({key for p in props for key in p})
    note = ""
    if attr is not None and props:
        days: list[dt.date | None] = []
        for i, p in enumerate(props):
            value = p.get(attr)
            day = (
                parse_date(value, where=f"{where}: feature {i}, attribute {attr!r}")
                if value not in (None, "")
                else None
            )
            days.append(None if day == _ARCGIS_NULL else day)
        if all(d is not None for d in days):
            groups: dict[dt.date, list[int]] = {}
            for i, day in enumerate(days):
                groups.setdefault(day, []).append(i)  # type: ignore[arg-type]
            return groups, f"attribute {attr}", ""
        present = sum(d is not None for d in days)
        note = f"date attribute {attr!r} ignored: only {present} of {len(days)} features carry one"
    if info.last_edit_date is not None:
        return {info.last_edit_date: everything}, "layer editingInfo.lastEditDate", note
    msg = (
        f"{where}: no snapshot date found (no date attribute on every feature, no "
        'editingInfo.lastEditDate); pass date="YYYY-MM-DD"'
    )
    raise DateError(msg)


def url_file_name(url: str) -> str:
    """Return the file name a URL names (percent-decoding undone), or ``""``."""
    path = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
    name = PurePosixPath(path).name
    # Never let a crafted name climb out of the temporary folder.
    return "" if name in {"", ".", ".."} or "\\" in name else name


def fetch_url(
    url: str,
    *,
    client: Client,
    layer: str | None = None,
    date: dt.date | str | None = None,
    source: str | None = None,
) -> list[Snapshot]:
    """Load any supported URL into snapshots.

    Parameters
    ----------
    url
        A GeoJSON, Esri JSON, zipped shapefile, KML or KMZ file URL, or an
        ArcGIS FeatureServer / MapServer layer URL (paged, see :func:`fetch_layer`).
    client
        The HTTP client.
    layer, date, source
        As for :func:`geo.io.read`.

    Returns
    -------
    list of Snapshot
        With ``provenance.path`` set to ``url``.

    Raises
    ------
    GeoError
        A URL whose format cannot be told from its name, a failed download,
        or anything :func:`geo.io.read` rejects.
    """
    from geo import io

    if not re.match(r"^https?://", url, re.I):
        msg = f"{url}: only http:// and https:// URLs can be fetched"
        raise InputFormatError(msg)
    if arcgis_layer_url(url) is not None:
        return fetch_layer(url, client=client, layer=layer, date=date, source=source)
    name = url_file_name(url)
    if not name or not io.is_supported(Path(name)):
        raise InputFormatError(
            f"{url}: cannot tell the format from the URL's file name {name!r}; supported "
            "endings: " + ", ".join(io.SUPPORTED_SUFFIXES) + ", or an ArcGIS layer URL "
            "(.../FeatureServer/<n>); download the file and pass its path instead"
        )
    with tempfile.TemporaryDirectory(prefix="geo-url-") as tmp:
        dest = client.download(url, Path(tmp) / name)
        local = str(dest)
        try:
            # root= keeps the temporary folder's random name out of the date rules.
            snapshots = io.read(dest, layer=layer, date=date, source=source, root=Path(tmp))
        except GeoError as exc:
            raise _renamed(exc, local, url, tmp) from exc
    return [
        dataclasses.replace(
            snap,
            provenance=dataclasses.replace(
                snap.provenance,
                path=url,
                notes=tuple(n.replace(local, url) for n in snap.provenance.notes),
            ),
        )
        for snap in snapshots
    ]


def _renamed(exc: GeoError, local: str, url: str, tmp: str) -> GeoError:
    """Return the same error, naming the URL instead of the temporary file."""
    message = str(exc).replace(local, url).replace(tmp, "the download folder")
    if url not in message:
        message = f"{url}: {message}"
    if isinstance(exc, ValidationError):
        problems = [p.replace(local, url).replace(tmp, "the download folder") for p in exc.problems]
        return ValidationError(url, problems)
    try:
        return type(exc)(message)
    except TypeError:  # a subclass with another signature
        return InputFormatError(message)


__all__ = [
    "Client",
    "FeatureServerError",
    "LayerInfo",
    "arcgis_layer_url",
    "fetch_layer",
    "fetch_url",
    "layer_info",
    "query_all",
    "url_file_name",
]
