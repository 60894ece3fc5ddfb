"""DeepStateMap history client: list versions, fetch the chosen ones into a store.

The API (base URL ``https://deepstatemap.live``, configurable with
``base_url=`` or ``$GEO_DEEPSTATE_URL`` so mirrors and tests can stand in):

* ``/api/history/public``: every published version, a JSON array of objects
  with ``id`` (the publication time in Unix seconds), ``createdAt``,
  ``datetime``, ``description`` and ``descriptionEn``;
* ``/api/history/{id}/geojson``: one version's map, ``{"id", "datetime",
  "map"}`` (a bare ``map`` FeatureCollection is accepted too);
* ``/api/history/last``: the newest version, in the same wrapper;
* ``/api/history/{id}/areas``: DeepState's own km² per status
  (``occupied_after_24_02_2022``, ``occupied_to_24_02_2022``, ``liberated``,
  ``unspecified``, ``other_territories``), used by :func:`check_areas` as an
  accuracy check of our areas against the publisher's.

Versions are dated by their Kyiv-local publication date
(:func:`geo.deepstate.snapshot_date`). DeepState publishes with a delay: a
version shows the situation as DeepState knew it when publishing, often a day
or more after the events. ``every="day"`` keeps the last version of each date,
``"week"`` the last of each ISO week (Monday to Sunday).

Licence: DeepStateMap allows free use of its API for volunteer, charitable and
Ukraine-defence purposes and forbids proxying or redistributing its data.
:func:`fetch_deepstate` needs the terms accepted once
(:func:`accept_terms`, or ``fetch_deepstate(..., accept=True)``), remembered in
the user config folder. Fetched data is for the user's own analysis and never leaves their
store.

Resumable and atomic: dates the store already holds for DeepState are
skipped, and each version is ingested in one atomic store write, so an
interrupted run leaves whole versions only and the next run goes on where it
stopped. Notices (the terms when accepted, the dating rule) are logged at INFO
level by the logger ``geo.sources.deepstate_api``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

import platformdirs

from geo.deepstate import KURSK_FILL, SOURCE, parse_deepstate, snapshot_date
from geo.errors import DeepStateApiError, GeoError, TermsNotAcceptedError
from geo.fsutil import write_text_atomic
from geo.progress import Progress, progress_bar
from geo.publishers import publishers
from geo.snapshot import Snapshot
from geo.store import IngestReport, Store

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://deepstatemap.live"
BASE_URL_ENV = "GEO_DEEPSTATE_URL"
TERMS_FILE = "accepted_terms.json"
TERMS_KEY = "deepstate"
_PUBLISHER = publishers()[SOURCE]
#: DeepStateMap's terms in short (from :mod:`geo.publishers`), shown before the first fetch.
TERMS = (
    f"DeepStateMap ({_PUBLISHER.url}) terms, in short: {_PUBLISHER.terms}. "
    "geo fetches only the versions you ask for, into your own store, for your own analysis."
)
#: How anything made from DeepState's data must credit it.
ATTRIBUTION = _PUBLISHER.credit
#: DeepState's area status -> the canonical layer it measures (see :func:`check_areas`).
PUBLISHER_LAYERS: Mapping[str, tuple[str, ...]] = {
    "russian_control": ("occupied_after_24_02_2022", "occupied_to_24_02_2022"),
    "russian_control_pre_2022": ("occupied_to_24_02_2022",),
    "liberated": ("liberated",),
    "contested": ("unspecified",),
    "ukrainian_control_russia": ("other_territories",),
}

Every = Literal["day", "week", "all"]
# Version ids are Unix seconds: nothing after 9999-12-31 is a publication time.
_MAX_ID = 253_402_300_799
_MAX_ID_DIGITS = 12


class Client(Protocol):
    """The part of :class:`geo.sources.http.HttpClient` used here."""

    def get_json(
        self,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        cache: bool = True,
        fresh: bool = False,
    ) -> Any: ...

    def forget(self, url: str, *, params: Mapping[str, str] | None = None) -> None: ...


def base_url(explicit: str | None = None) -> str:
    """Return the API root: ``explicit``, else ``$GEO_DEEPSTATE_URL``, else DeepState's own."""
    chosen = explicit or os.environ.get(BASE_URL_ENV, "").strip() or DEFAULT_BASE_URL
    return chosen.rstrip("/")


def config_dir() -> Path:
    """Return the user config folder of geo (``platformdirs.user_config_path("geo")``)."""
    return Path(platformdirs.user_config_path("geo"))


def terms_accepted(*, config: Path | None = None) -> bool:
    """Whether DeepStateMap's terms were accepted (recorded in the config folder)."""
    path = (config or config_dir()) / TERMS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and isinstance(data.get(TERMS_KEY), dict)


def accept_terms(*, config: Path | None = None) -> Path:
    """Record that the user accepted DeepStateMap's terms; return the record's path."""
    path = (config or config_dir()) / TERMS_FILE
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    data[TERMS_KEY] = {
        "accepted_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "terms": TERMS,
    }
    return write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


@dataclasses.dataclass(frozen=True)
class Version:
    """One published DeepState map version.

    Attributes
    ----------
    id
        DeepState's history id: the publication time in Unix seconds.
    published
        Publication time (UTC).
    date
        Kyiv-local publication date: the date geo stores it under.
    description
        DeepState's English (else Ukrainian) note on the update, untrusted text.
    """

    id: int
    published: dt.datetime
    date: dt.date
    description: str = ""

    def geojson_url(self, base: str) -> str:
        """``{base}/api/history/{id}/geojson``."""
        return f"{base}/api/history/{self.id}/geojson"

    def areas_url(self, base: str) -> str:
        """``{base}/api/history/{id}/areas``."""
        return f"{base}/api/history/{self.id}/areas"


def _version(item: Any, where: str) -> Version:
    if not isinstance(item, Mapping):
        msg = f"{where}: expected an object, got {type(item).__name__}"
        raise DeepStateApiError(msg)
    raw_id = item.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, int | str) or not str(raw_id).isdigit():
        msg = f"{where}: 'id' {raw_id!r} is not a Unix time in seconds"
        raise DeepStateApiError(msg)
    text = str(raw_id)
    try:
        version_id = int(text) if len(text) <= _MAX_ID_DIGITS else -1
        published = dt.datetime.fromtimestamp(version_id, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        version_id = -1
    if not 0 <= version_id <= _MAX_ID:
        msg = (
            f"{where}: 'id' {text[:40]}{'...' if len(text) > 40 else ''} is out of range for a "
            f"Unix time in seconds; check that base= (or ${BASE_URL_ENV}) points at a "
            "DeepStateMap API"
        )
        raise DeepStateApiError(msg)
    text = item.get("descriptionEn") or item.get("description") or ""
    return Version(version_id, published, snapshot_date(published), str(text))


def list_versions(client: Client, *, base: str | None = None) -> list[Version]:
    """Every published version, oldest first.

    The listing is always asked for afresh (it grows); offline, the copy
    cached by the last online run is used.

    Raises
    ------
    DeepStateApiError
        The answer is not a JSON array of objects with a numeric ``id``.
    FetchError
        The request failed (see :mod:`geo.sources.http`).
    """
    url = f"{base_url(base)}/api/history/public"
    data = client.get_json(url, fresh=True)
    if not isinstance(data, list):
        msg = (
            f"{url}: expected a JSON array of versions, got {type(data).__name__}; check "
            f"that base= (or ${BASE_URL_ENV}) points at a DeepStateMap API"
        )
        raise DeepStateApiError(msg)
    versions = {v.id: v for v in (_version(x, f"{url}: item {i}") for i, x in enumerate(data))}
    return sorted(versions.values(), key=lambda v: v.id)


def select_versions(
    versions: Iterable[Version],
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    every: Every = "day",
) -> list[Version]:
    """Return the versions to fetch: within ``since``..``until`` (inclusive), thinned by ``every``.

    ``"day"`` keeps the last version of each Kyiv date, ``"week"`` the last of
    each ISO week, ``"all"`` every one (later ones of a date then replace
    earlier ones only with ``replace=True``; use it with care).
    """
    if since is not None and until is not None and since > until:
        msg = f"since ({since}) is after until ({until}); swap since= and until="
        raise DeepStateApiError(msg)
    if every not in ("day", "week", "all"):
        msg = f"every={every!r}: choose day, week or all"
        raise DeepStateApiError(msg)
    chosen = sorted(
        (
            v
            for v in versions
            if (since is None or v.date >= since) and (until is None or v.date <= until)
        ),
        key=lambda v: v.id,
    )
    if every == "all":
        return chosen
    last: dict[Any, Version] = {}
    for version in chosen:  # later ids overwrite earlier ones of the same period
        period = version.date if every == "day" else version.date.isocalendar()[:2]
        last[period] = version
    return sorted(last.values(), key=lambda v: v.id)


def _wrapped(data: Any, version: Version, url: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        msg = f"{url}: expected a JSON object, got {type(data).__name__}"
        raise DeepStateApiError(msg)
    if "map" in data:
        return data
    # A bare map: wrap it so the parser dates it by the version id.
    return {"id": version.id, "datetime": version.published.isoformat(), "map": data}


def version_snapshots(
    client: Client, version: Version, *, base: str | None = None
) -> list[Snapshot]:
    """Fetch one version and parse it into canonical-layer snapshots.

    The snapshots' provenance names the version URL; its ``sha256`` is the
    hash of the response's canonical JSON (keys sorted), since the bytes on
    the wire may differ between fetches of the same content.

    Raises
    ------
    GeoError
        The request failed or the map cannot be parsed (the message names the URL).
    """
    url = version.geojson_url(base_url(base))
    try:
        data = _wrapped(client.get_json(url), version, url)
        digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()
        return parse_deepstate(data, path=url, sha256=digest)
    except GeoError:
        client.forget(url)  # valid JSON but no usable map: never serve it from the cache
        raise
    except RecursionError:
        client.forget(url)
        msg = f"{url}: the answer is nested too deeply to be a DeepStateMap map"
        raise DeepStateApiError(msg) from None


def latest_snapshots(client: Client, *, base: str | None = None) -> list[Snapshot]:
    """Return the newest version (``/api/history/last``), parsed; always asked for afresh."""
    url = f"{base_url(base)}/api/history/last"
    data = client.get_json(url, fresh=True)
    if not isinstance(data, Mapping) or "map" not in data:
        msg = f"{url}: expected an object with 'id', 'datetime' and 'map'"
        raise DeepStateApiError(msg)
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()
    return parse_deepstate(data, path=url, sha256=digest)


def publisher_areas(
    client: Client, version: Version, *, base: str | None = None
) -> dict[str, float]:
    """DeepState's own km² per area status of one version.

    ``other_territories`` counts only the blue (``#01579b``) Kursk polygons,
    Ukrainian-held ground in Russia; other entries of that status are the
    editorial polygons geo drops.

    Raises
    ------
    DeepStateApiError
        The answer is not a list of objects with ``type`` and numeric ``area``.
    """
    url = version.areas_url(base_url(base))
    data = client.get_json(url)
    if not isinstance(data, list):
        client.forget(url)
        msg = f"{url}: expected a JSON array of areas, got {type(data).__name__}"
        raise DeepStateApiError(msg)
    totals: dict[str, float] = {}
    for index, item in enumerate(data):
        kind = item.get("type") if isinstance(item, Mapping) else None
        area = item.get("area") if isinstance(item, Mapping) else None
        if not isinstance(kind, str) or isinstance(area, bool) or not isinstance(area, int | float):
            client.forget(url)
            msg = f"{url}: item {index} lacks a 'type' and a numeric 'area'"
            raise DeepStateApiError(msg)
        fill = str(item.get("hash") or "").lower()
        if kind == "other_territories" and fill and fill != KURSK_FILL:
            continue
        totals[kind] = totals.get(kind, 0.0) + float(area)
    return totals


@dataclasses.dataclass(frozen=True)
class AreaCheck:
    """Our area of a layer next to DeepState's own figure for the same version."""

    date: dt.date
    layer: str
    ours_km2: float
    publisher_km2: float

    @property
    def difference_km2(self) -> float:
        """Ours minus the publisher's."""
        return self.ours_km2 - self.publisher_km2

    @property
    def difference_pct(self) -> float | None:
        """The difference in % of the publisher's figure (None if that is 0)."""
        if self.publisher_km2 == 0:
            return None
        return 100.0 * self.difference_km2 / self.publisher_km2

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields, rounded."""
        pct = self.difference_pct
        return {
            "date": self.date.isoformat(),
            "layer": self.layer,
            "ours_km2": round(self.ours_km2, 3),
            "publisher_km2": round(self.publisher_km2, 3),
            "difference_km2": round(self.difference_km2, 3),
            "difference_pct": None if pct is None else round(pct, 4),
        }


def check_areas(snapshots: Sequence[Snapshot], areas: Mapping[str, float]) -> list[AreaCheck]:
    """Compare our geodesic areas with DeepState's for each layer both have.

    ``russian_control`` is compared with occupied after plus before
    2022-02-24, ``contested`` with ``unspecified``, ``ukrainian_control_russia``
    with the blue ``other_territories``.
    """
    checks = []
    for snap in snapshots:
        statuses = PUBLISHER_LAYERS.get(snap.layer, ())
        if statuses and any(s in areas for s in statuses):
            publisher = sum(areas.get(s, 0.0) for s in statuses)
            checks.append(AreaCheck(snap.date, snap.layer, snap.area_km2, publisher))
    return checks


@dataclasses.dataclass
class FetchReport:
    """What :func:`fetch_deepstate` did."""

    listed: int = 0
    selected: list[Version] = dataclasses.field(default_factory=list)
    skipped: list[Version] = dataclasses.field(default_factory=list)
    fetched: list[Version] = dataclasses.field(default_factory=list)
    ingest: IngestReport = dataclasses.field(default_factory=IngestReport)
    area_checks: list[AreaCheck] = dataclasses.field(default_factory=list)

    def summary(self) -> str:
        """One line: listed, selected, skipped and fetched versions, and the store's verdict."""
        return (
            f"{self.listed} versions listed, {len(self.selected)} selected, "
            f"{len(self.skipped)} already in the store, {len(self.fetched)} fetched; "
            f"store: {self.ingest.summary()}"
        )


def _merge(total: IngestReport, part: IngestReport) -> None:
    total.added += part.added
    total.unchanged += part.unchanged
    total.replaced += part.replaced


def fetch_deepstate(
    store: Store,
    *,
    client: Client,
    base: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    every: Every = "day",
    latest: bool = False,
    replace: bool = False,
    areas: bool = False,
    accept: bool = False,
    config: Path | None = None,
    progress: Progress = None,
) -> FetchReport:
    """Fetch DeepState versions into ``store`` (source ``"deepstate"``).

    Parameters
    ----------
    store
        The store to fill.
    client
        The HTTP client (timeouts, retries, cache, offline mode).
    base
        API root (default :func:`base_url`).
    since, until
        Kyiv publication dates, inclusive.
    every
        ``"day"``, ``"week"`` or ``"all"`` (see :func:`select_versions`).
    latest
        Fetch only ``/api/history/last``, ignoring the dates.
    replace
        Refetch dates the store already holds and overwrite changed content.
    areas
        Also fetch DeepState's own areas and compare (:attr:`FetchReport.area_checks`).
    accept
        Accept DeepStateMap's terms (recorded once in the config folder).
    config
        Config folder (default :func:`config_dir`).
    progress
        A bar on stderr: ``None`` (default) when stderr is a terminal,
        ``True`` always, ``False`` never.

    Raises
    ------
    TermsNotAcceptedError
        The terms were never accepted and ``accept`` is false.
    DeepStateApiError
        A version failed; the message says how many were stored and that
        running again resumes.
    """
    if not terms_accepted(config=config):
        if not accept:
            msg = (
                f"{TERMS} Accept these terms once with accept=True; geo remembers it in its "
                "config folder"
            )
            raise TermsNotAcceptedError(msg)
        logger.info("%s", TERMS)
        logger.info("terms accepted; recorded in %s", accept_terms(config=config))
    root = base_url(base)
    result = FetchReport()
    if latest:
        snapshots = latest_snapshots(client, base=root)
        _merge(result.ingest, store.ingest(snapshots, replace=replace))
        result.listed = 1
        return result
    versions = list_versions(client, base=root)
    result.listed = len(versions)
    result.selected = select_versions(versions, since=since, until=until, every=every)
    held = set() if replace else set(store.snapshots(source=SOURCE)["date"])
    todo: list[Version] = []
    for version in result.selected:
        (result.skipped if version.date in held else todo).append(version)
    logger.info(
        "DeepState versions are stored under their Kyiv publication date; DeepState publishes "
        "with a delay, so a date's map shows what was known that evening"
    )
    for version in progress_bar(todo, progress=progress, desc="deepstate", unit="version"):
        try:
            snapshots = version_snapshots(client, version, base=root)
            if areas:
                result.area_checks += check_areas(
                    snapshots, publisher_areas(client, version, base=root)
                )
            _merge(result.ingest, store.ingest(snapshots, replace=replace))
        except GeoError as exc:
            msg = (
                f"version {version.id} ({version.date}): {exc}; {len(result.fetched)} of "
                f"{len(todo)} versions were stored before this one, so the store is whole: "
                "call fetch_deepstate again to resume"
            )
            raise DeepStateApiError(msg) from exc
        result.fetched.append(version)
    return result


__all__ = [
    "ATTRIBUTION",
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "TERMS",
    "AreaCheck",
    "DeepStateApiError",
    "FetchReport",
    "TermsNotAcceptedError",
    "Version",
    "accept_terms",
    "base_url",
    "check_areas",
    "config_dir",
    "fetch_deepstate",
    "latest_snapshots",
    "list_versions",
    "publisher_areas",
    "select_versions",
    "terms_accepted",
    "version_snapshots",
]
