"""Boundary and gazetteer downloads: data-driven registries with licences and hashes.

The table ``geo/data/boundary_registry.csv`` lists each boundary file
:func:`fetch_boundaries` may download, ``geo/data/gazetteer_registry.csv`` each
GeoNames extract :func:`fetch_gazetteers` may download: URL, licence, attribution,
SHA-256 and the member to read inside the archive. Only sources whose licence
allows automated download are listed (OCHA COD-AB, Natural Earth, GeoNames);
ISW data never is.

A pinned hash is checked on every download. An empty hash means trust on first
use: the hash of the first download is recorded in the cache
(``hashes.json``) and every later download must match it, so a file that
changes upstream is noticed rather than silently replacing the old one.
Files are cached in the user cache dir; a cached file whose hash matches is
used without any network access. Notices (licence terms, cache hits) are
logged at INFO level by the logger ``geo.sources.registry``, trust on first use
as a warning.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import logging
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from geo.errors import GeoError, InputFormatError, RegionError
from geo.fsutil import write_text_atomic

logger = logging.getLogger(__name__)

#: Columns of the registry table.
COLUMNS = ("name", "url", "licence", "attribution", "sha256", "member", "note")
HASHES_FILE = "hashes.json"
OFFLINE_FIX = (
    "if you are offline or the server is unreachable, pass regions=load_regions(FILE) with a "
    "boundary file of your own (GeoJSON, shapefile, GeoPackage)"
)
GAZETTEER_OFFLINE_FIX = (
    "if you are offline or the server is unreachable, pass gazetteer=load_gazetteer(FILE) "
    "with a GeoNames extract you hold (UA.txt, .gz or .zip)"
)
BOUNDARY_TABLE = "boundary_registry.csv"
GAZETTEER_TABLE = "gazetteer_registry.csv"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class Client(Protocol):
    """The part of :class:`geo.sources.http.HttpClient` used here."""

    def download(self, url: str, dest: Path, *, sha256: str | None = None) -> Path:
        """Download ``url`` to ``dest``."""


@dataclasses.dataclass(frozen=True)
class BoundarySource:
    """One downloadable boundary file.

    Attributes
    ----------
    name
        Registry key (``"ukraine-adm1"``).
    url
        Where the file is downloaded from.
    licence
        The licence it is published under.
    attribution
        The credit line maps must carry.
    sha256
        Pinned SHA-256 of the file, or ``None`` for trust on first use.
    member
        Glob of the layer to read inside the archive (``""``: the file itself).
    note
        What the file holds.
    """

    name: str
    url: str
    licence: str
    attribution: str
    sha256: str | None = None
    member: str = ""
    note: str = ""

    @property
    def file_name(self) -> str:
        """The file name of the download (the URL's last path part)."""
        return self.url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or f"{self.name}.bin"

    def terms(self) -> str:
        """One line with the licence and attribution, to show before downloading."""
        return f"{self.name}: {self.note} - licence {self.licence}; credit: {self.attribution}"


def load_registry(
    path: str | Path | None = None, *, builtin: str = BOUNDARY_TABLE
) -> dict[str, BoundarySource]:
    """Read a registry table.

    Parameters
    ----------
    path
        A CSV with the columns of :data:`COLUMNS` (``#`` lines are comments);
        default: the built-in table ``geo/data/<builtin>``.
    builtin
        :data:`BOUNDARY_TABLE` or :data:`GAZETTEER_TABLE`.

    Returns
    -------
    dict
        Name to :class:`BoundarySource`, in table order.

    Raises
    ------
    RegionError
        A missing column, an empty name or URL, a URL that is not https, a
        malformed hash or a duplicate name (the message names the row).
    """
    if path is None:
        origin = f"geo/data/{builtin}"
        text = resources.files("geo").joinpath("data", builtin).read_text("utf-8")
    else:
        origin = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            msg = f"{origin}: cannot read the boundary registry ({exc})"
            raise RegionError(msg) from exc
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    reader = csv.DictReader(lines)
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        msg = f"{origin}: missing columns {', '.join(missing)}; expected {COLUMNS}"
        raise RegionError(msg)
    registry: dict[str, BoundarySource] = {}
    for number, row in enumerate(reader, start=2):
        where = f"{origin}: row {number}"
        values = {c: (row.get(c) or "").strip() for c in COLUMNS}
        if not values["name"] or not values["url"]:
            msg = f"{where}: name and url must not be empty"
            raise RegionError(msg)
        if not _allowed_url(values["url"]):
            msg = (
                f"{where}: url {values['url']!r} must start with https:// "
                "(plain http only for a mirror on this machine: 127.0.0.1 or localhost)"
            )
            raise RegionError(msg)
        digest = values["sha256"].lower()
        if digest and not _SHA256.match(digest):
            msg = f"{where}: sha256 {digest!r} is not 64 hex digits; leave it empty"
            raise RegionError(msg)
        if values["name"] in registry:
            msg = f"{where}: name {values['name']!r} is listed twice"
            raise RegionError(msg)
        registry[values["name"]] = BoundarySource(
            name=values["name"],
            url=values["url"],
            licence=values["licence"],
            attribution=values["attribution"],
            sha256=digest or None,
            member=values["member"],
            note=values["note"],
        )
    return registry


def _allowed_url(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    return parts.scheme == "http" and parts.hostname in {"127.0.0.1", "localhost", "::1"}


def default_cache_dir() -> Path:
    """Where downloaded boundaries are kept: ``<user cache>/geo/boundaries``."""
    from platformdirs import user_cache_path

    return Path(user_cache_path("geo")) / "boundaries"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_hashes(cache_dir: Path) -> dict[str, dict[str, str]]:
    path = cache_dir / HASHES_FILE
    if not path.is_file():
        return {}
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        msg = (
            f"{path}: the record of trusted boundary hashes is unreadable ({exc}); delete it "
            "to trust the next downloads anew"
        )
        raise RegionError(msg) from exc
    if not isinstance(data, dict):
        msg = f"{path}: not a JSON object; delete it to trust the next downloads anew"
        raise RegionError(msg)
    return {str(k): dict(v) for k, v in data.items() if isinstance(v, Mapping)}


def _expected(source: BoundarySource, hashes: Mapping[str, Mapping[str, str]]) -> str | None:
    if source.sha256:
        return source.sha256
    record = hashes.get(source.name)
    # A new URL (a new release) is trusted anew; the old record does not apply to it.
    if record and record.get("url") == source.url:
        return record.get("sha256") or None
    return None


def fetch_boundaries(
    names: Iterable[str],
    client: Client,
    *,
    cache_dir: Path | None = None,
    registry: Mapping[str, BoundarySource] | None = None,
) -> list[Path]:
    """Download boundary files (or take them from the cache).

    Parameters
    ----------
    names
        Registry names (see :func:`load_registry`).
    client
        The HTTP client; its ``download`` is atomic and checks ``sha256``.
    cache_dir
        Where files and trusted hashes are kept (default :func:`default_cache_dir`).
    registry
        The registry (default: the built-in table).

    Returns
    -------
    list of Path
        The cached file of each name, in the order given.

    Raises
    ------
    RegionError
        An unknown name, a download that fails (offline, unreachable, hash
        mismatch; the message says to pass ``regions=load_regions(FILE)``) or a cached file
        whose hash no longer matches.
    """
    table = dict(registry) if registry is not None else load_registry()
    cache = cache_dir if cache_dir is not None else default_cache_dir()
    return _fetch_all(names, client, table, cache, _Kind("boundaries", OFFLINE_FIX))


def fetch_gazetteers(
    names: Iterable[str],
    client: Client,
    *,
    cache_dir: Path | None = None,
    registry: Mapping[str, BoundarySource] | None = None,
) -> list[Path]:
    """Download GeoNames extracts (or take them from the cache); as :func:`fetch_boundaries`.

    The default cache is ``<user cache>/geo/gazetteers``; errors say to pass
    ``gazetteer=load_gazetteer(FILE)``. The files load with :func:`geo.gazetteer.load_gazetteer`
    as they are (zipped).
    """
    table = dict(registry) if registry is not None else load_registry(builtin=GAZETTEER_TABLE)
    cache = cache_dir if cache_dir is not None else default_cache_dir().parent / "gazetteers"
    kind = _Kind("gazetteer", GAZETTEER_OFFLINE_FIX, error=InputFormatError)
    return _fetch_all(names, client, table, cache, kind)


@dataclasses.dataclass(frozen=True)
class _Kind:
    what: str
    fix: str
    error: type[GeoError] = RegionError


def _fetch_all(
    names: Iterable[str],
    client: Client,
    table: Mapping[str, BoundarySource],
    cache: Path,
    kind: _Kind,
) -> list[Path]:
    paths: list[Path] = []
    for name in names:
        source = table.get(name)
        if source is None:
            known = ", ".join(table) or "none"
            msg = f"unknown {kind.what} set {name!r}; known: {known}"
            raise kind.error(msg)
        paths.append(_fetch_one(source, client, cache, kind))
    return paths


def _fetch_one(source: BoundarySource, client: Client, cache: Path, kind: _Kind) -> Path:
    hashes = _read_hashes(cache)
    expected = _expected(source, hashes)
    dest = cache / source.name / source.file_name
    if dest.is_file():
        actual = _sha256(dest)
        if expected is not None and actual != expected:
            msg = (
                f"{dest}: cached {source.name} {kind.what} file has SHA-256 {actual}, expected "
                f"{expected}; the file was changed or damaged: delete it and fetch again"
            )
            raise kind.error(msg)
        if expected is None:
            _trust(source, actual, cache, hashes)
        logger.info("%s: using cached %s", source.name, dest)
        return dest
    logger.info("%s", source.terms())
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        client.download(source.url, dest, sha256=expected)
    except GeoError as exc:
        msg = f"cannot download {source.name} {kind.what} from {source.url}: {exc}; {kind.fix}"
        raise kind.error(msg) from exc
    if expected is None:
        _trust(source, _sha256(dest), cache, hashes)
    return dest


def _trust(
    source: BoundarySource, digest: str, cache: Path, hashes: dict[str, dict[str, str]]
) -> None:
    hashes[source.name] = {"url": source.url, "sha256": digest}
    path = cache / HASHES_FILE
    write_text_atomic(path, json.dumps(hashes, indent=2, sort_keys=True) + "\n")
    logger.warning(
        "%s: no pinned hash; trusting this first download (SHA-256 %s), recorded in %s; "
        "later downloads must match it",
        source.name,
        digest,
        path,
    )


__all__ = [
    "BOUNDARY_TABLE",
    "COLUMNS",
    "GAZETTEER_OFFLINE_FIX",
    "GAZETTEER_TABLE",
    "OFFLINE_FIX",
    "BoundarySource",
    "Client",
    "default_cache_dir",
    "fetch_boundaries",
    "fetch_gazetteers",
    "load_registry",
]
