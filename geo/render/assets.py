"""Third-party JS/CSS of our maps: npm sources, a local cache, offline inlining.

folium pages load Leaflet, jQuery, Bootstrap and friends from CDNs. Every such
URL is listed in :data:`ASSETS` with the npm package and the file inside it
that provides the same code. :func:`fetch_assets` downloads those packages
from the npm registry (integrity-checked, through the one HTTP layer
:class:`geo.sources.http.HttpClient`) into a cache; :func:`inline_assets` and
:func:`save_html` use the cache to write pages that need no network at all.
No third-party file is committed to this repository.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import io
import json
import logging
import os
import posixpath
import re
import shutil
import tarfile
import tempfile
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TypeVar, overload

from branca.element import Element
from platformdirs import user_cache_path

from geo.errors import AssetError, FetchError, MissingAssetError, UnknownAssetError
from geo.fsutil import write_text_atomic
from geo.progress import Progress, progress_bar, show_progress
from geo.sources.http import HttpClient

T = TypeVar("T")

logger = logging.getLogger(__name__)

REGISTRY = "https://registry.npmjs.org"
CACHE_ENV = "GEO_ASSET_CACHE"
FETCH_HINT = (
    "call geo.render.fetch_assets() or run `geo assets fetch` (needs the npm registry once) "
    "and try again"
)
MANIFEST = "geo-asset.json"
_MAX_FILE_BYTES = 20_000_000


@dataclass(frozen=True)
class Asset:
    """Where the code behind one CDN URL comes from.

    ``package`` is ``None`` for a file that no registry ships and that geo's
    maps never use: offline pages drop it and the test harness answers it
    empty; ``note`` says why.
    """

    url: str
    package: str | None
    version: str
    path: str
    note: str = ""

    @property
    def folder(self) -> str:
        """Cache folder name of the package (scoped names flattened)."""
        return f"{(self.package or '').replace('/', '+')}@{self.version}"

    @property
    def is_css(self) -> bool:
        """Whether the asset is a stylesheet."""
        return _bare(self.url).endswith(".css") or self.path.endswith(".css")


ASSETS: dict[str, Asset] = {}


def register_asset(
    url: str, package: str | None, version: str, path: str, *, note: str = ""
) -> Asset:
    """Declare the npm package file that provides a CDN URL.

    Parameters
    ----------
    url
        URL exactly as the page references it.
    package
        npm package name (``@scope/name`` allowed), or ``None`` for an unused
        file that no registry ships (explain in ``note``).
    version
        Exact package version.
    path
        File path inside the package, e.g. ``dist/leaflet.js``.
    note
        Why this mapping is not one-to-one, if it is not.

    Returns
    -------
    Asset
        The entry added to :data:`ASSETS` (replacing one for the same URL).
    """
    clean = posixpath.normpath(path) if package else ""
    if clean.startswith(("/", "../")) or clean == "..":
        msg = f"asset path {path!r} for {url} must stay inside the package"
        raise AssetError(msg)
    asset = Asset(url=url, package=package, version=version, path=clean, note=note)
    ASSETS[url] = asset
    return asset


def _load_table() -> None:
    text = resources.files("geo").joinpath("data/render_assets.csv").read_text(encoding="utf-8")
    lines = (line for line in text.splitlines() if line.strip() and not line.startswith("#"))
    for row in csv.DictReader(lines):
        register_asset(row["url"], row["package"] or None, row["version"], row["path"],
                       note=row["note"])  # fmt: skip


_load_table()


def asset_cache_dir(cache_dir: str | Path | None = None) -> Path:
    """Return the asset cache: ``cache_dir``, else ``$GEO_ASSET_CACHE``, else the user cache."""
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else user_cache_path("geo") / "assets"


def _bare(url: str) -> str:
    return url.split("#", 1)[0].split("?", 1)[0]


def local_asset(url: str, *, cache_dir: str | Path | None = None) -> Path | None:
    """Return the cached file for a CDN URL, or ``None`` if unknown or not cached.

    Besides the URLs of :data:`ASSETS` this answers files that a cached
    stylesheet references relatively (Leaflet's marker images, fonts).
    """
    root = asset_cache_dir(cache_dir)
    asset = ASSETS.get(url)
    if asset is not None:
        found = root / asset.folder / asset.path if asset.package else None
        return found if found is not None and found.is_file() else None
    target = urllib.parse.urlsplit(_bare(url))
    for known in ASSETS.values():
        base = urllib.parse.urlsplit(known.url)
        if not (known.package and known.is_css and base[:2] == target[:2]):
            continue
        rel = posixpath.relpath(target.path, posixpath.dirname(base.path))
        inner = posixpath.normpath(posixpath.join(posixpath.dirname(known.path), rel))
        if inner.startswith("../") or inner == "..":
            continue
        found = root / known.folder / inner
        if found.is_file():
            return found
    return None


def missing_assets(
    urls: Iterable[str] | None = None, *, cache_dir: str | Path | None = None
) -> list[str]:
    """URLs (default: all of :data:`ASSETS`) whose npm file is not cached."""
    chosen = list(ASSETS) if urls is None else list(urls)
    return [u for u in chosen if ASSETS[u].package and local_asset(u, cache_dir=cache_dir) is None]


def _download(get: Callable[..., T], url: str, what: str, registry: str) -> T:
    """Return ``get(url)`` (the client's JSON or bytes reader) from the registry, uncached."""
    _check_registry(url, what, registry)
    try:
        return get(url, cache=False)
    except FetchError as exc:
        msg = f"{what}: {exc}"
        raise AssetError(msg) from exc


def _check_registry(url: str, what: str, registry: str) -> None:
    if not url.startswith(registry.rstrip("/") + "/"):
        msg = f"{what}: refusing to download {url} (not the npm registry {registry})"
        raise AssetError(msg)


def _verify(data: bytes, dist: dict[str, str], what: str) -> str:
    integrity = dist.get("integrity", "")
    if integrity.startswith("sha512-"):
        digest = base64.b64encode(hashlib.sha512(data).digest()).decode()
        if digest != integrity.removeprefix("sha512-"):
            msg = f"{what}: tarball fails its sha512 integrity check; try again"
            raise AssetError(msg)
        return integrity
    shasum = dist.get("shasum", "")
    if not shasum or hashlib.sha1(data).hexdigest() != shasum:  # noqa: S324 (npm's own scheme)
        msg = f"{what}: tarball fails its sha1 check (or has none); try again"
        raise AssetError(msg)
    return f"sha1-{shasum}"


def _css_refs(css: str) -> list[str]:
    refs = (m.group(2) for m in _CSS_URL.finditer(css))
    return [_bare(r) for r in refs if not r.startswith(("data:", "#", "http:", "https:", "//"))]


_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")


def _extract(blob: bytes, paths: set[str], dest: Path, what: str) -> list[str]:
    """Write the wanted files of an npm tarball (and what its CSS needs) to ``dest``."""
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        for member in tar.getmembers():
            parts = member.name.split("/", 1)
            if not member.isfile() or len(parts) != 2 or member.size > _MAX_FILE_BYTES:
                continue  # links, folders and odd entries are never needed
            inner = posixpath.normpath(parts[1])
            if inner.startswith(("/", "../")) or inner == "..":
                continue
            handle = tar.extractfile(member)
            if handle is not None:
                files[inner] = handle.read()
    wanted, written = sorted(paths), []
    while wanted:
        inner = wanted.pop()
        if inner in written:
            continue
        if inner not in files:
            msg = f"{what}: the package has no file {inner!r}; fix the asset table"
            raise AssetError(msg)
        written.append(inner)
        target = dest / inner
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(files[inner])
        if inner.endswith(".css"):
            for ref in _css_refs(files[inner].decode("utf-8", "replace")):
                wanted.append(posixpath.normpath(posixpath.join(posixpath.dirname(inner), ref)))
    return sorted(written)


def fetch_assets(
    *,
    cache_dir: str | Path | None = None,
    packages: Iterable[str] | None = None,
    force: bool = False,
    progress: Progress = None,
    client: HttpClient | None = None,
    registry: str = REGISTRY,
) -> Path:
    """Download the npm packages behind :data:`ASSETS` into the cache.

    Parameters
    ----------
    cache_dir
        Cache folder (default :func:`asset_cache_dir`).
    packages
        Only these npm package names (default: all).
    force
        Download again even where the cache is complete.
    progress
        ``None``: a bar on stderr when it is a terminal; ``True`` always;
        ``False`` never. Each package's outcome is logged at INFO level.
    client
        The HTTP client (default a :class:`geo.sources.http.HttpClient`:
        timeouts and retries); its own cache is bypassed, the asset cache is
        the cache.
    registry
        npm registry base URL (a mirror); tarballs must come from it too.

    Returns
    -------
    Path
        The cache folder.

    Raises
    ------
    AssetError
        An unknown package name, a download that fails, or a tarball that
        fails its integrity check or lacks a file (nothing half-written is
        left in the cache).

    Examples
    --------
    ``fetch_assets()`` downloads every package that is not cached yet (the npm
    registry is needed once); asking for no package downloads nothing:

    >>> import tempfile
    >>> from geo.render import fetch_assets
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     cache = fetch_assets(cache_dir=folder, packages=[])
    ...     sorted(path.name for path in cache.iterdir())
    []
    """
    root = asset_cache_dir(cache_dir)
    root.mkdir(parents=True, exist_ok=True)
    http = client if client is not None else HttpClient(progress=show_progress(progress))
    groups = _package_groups(packages)
    for (name, version), paths in progress_bar(
        sorted(groups.items()), progress=progress, desc="map assets", unit="package"
    ):
        folder = root / f"{name.replace('/', '+')}@{version}"
        if not force and all((folder / p).is_file() for p in paths):
            logger.info("%s@%s: cached", name, version)
            continue
        n_files, n_bytes = _fetch_package(http, registry, name, version, paths, root, folder)
        logger.info("%s@%s: %d files, %s bytes downloaded", name, version, n_files, f"{n_bytes:,}")
    return root


def _package_groups(packages: Iterable[str] | None) -> dict[tuple[str, str], set[str]]:
    """Return the files wanted from each (package, version), for ``packages`` or all."""
    wanted = None if packages is None else set(packages)
    groups: dict[tuple[str, str], set[str]] = {}
    for asset in ASSETS.values():
        if asset.package and (wanted is None or asset.package in wanted):
            groups.setdefault((asset.package, asset.version), set()).add(asset.path)
    if wanted is not None and (unknown := wanted - {name for name, _ in groups}):
        known = sorted({a.package for a in ASSETS.values() if a.package})
        msg = f"unknown asset packages {sorted(unknown)}; known: {known}"
        raise AssetError(msg)
    return groups


def _fetch_package(
    client: HttpClient,
    registry: str,
    name: str,
    version: str,
    paths: set[str],
    root: Path,
    folder: Path,
) -> tuple[int, int]:
    """Download, verify and unpack one package into ``folder``; (files, tarball bytes)."""
    what = f"npm package {name}@{version}"
    meta_url = f"{registry.rstrip('/')}/{name.replace('/', '%2F')}/{version}"
    meta = _download(client.get_json, meta_url, what, registry)
    dist = meta.get("dist", {}) if isinstance(meta, dict) else {}
    blob = _download(client.get_bytes, str(dist.get("tarball", "")), what, registry)
    integrity = _verify(blob, dist, what)
    tmp = Path(tempfile.mkdtemp(prefix=".fetch-", dir=root))
    try:
        files = _extract(blob, paths, tmp, what)
        manifest = {"package": name, "version": version, "integrity": integrity,
                    "files": files}  # fmt: skip
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        tmp.replace(folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return len(files), len(blob)


_SCRIPT = re.compile(r"<script\b([^>]*)>\s*</script\s*>", re.IGNORECASE)
_SCRIPT_OPEN = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
_LINK = re.compile(r"<link\b([^>]*?)/?>", re.IGNORECASE)
_ATTR = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}", re.IGNORECASE)
_FONT_SRC = re.compile(r"src\s*:[^;}]*;?", re.IGNORECASE)
_MIME = {".png": "image/png", ".gif": "image/gif", ".jpg": "image/jpeg", ".svg": "image/svg+xml",
         ".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf",
         ".eot": "application/vnd.ms-fontobject"}  # fmt: skip


def _attrs(tag: str) -> dict[str, str]:
    return {
        m.group(1).lower(): html.unescape(next(g for g in m.groups()[1:] if g is not None))
        for m in _ATTR.finditer(tag)
    }


def _external(url: str) -> bool:
    return url.lower().startswith(("http://", "https://", "//"))


def _lookup(url: str) -> Asset | None:
    return ASSETS.get(url) or (ASSETS.get("https:" + url) if url.startswith("//") else None)


def _woff2_only(css: str) -> str:
    """Keep only the woff2 source of each font: every browser that runs Leaflet reads it."""

    def face(match: re.Match[str]) -> str:
        block = match.group(0)
        if ".woff2" not in block:
            return block

        def src(decl: re.Match[str]) -> str:
            entries = re.split(r",(?![^(]*\))", decl.group(0).split(":", 1)[1].rstrip(";"))
            kept = [e.strip() for e in entries if ".woff2" in e]
            return f"src:{','.join(kept)};" if kept else ""

        return _FONT_SRC.sub(src, block)

    return _FONT_FACE.sub(face, css)


def _inline_css(css: str, css_file: Path, package_dir: Path, url: str) -> str:
    if re.search(r"@import\b", css, re.IGNORECASE):
        msg = f"stylesheet {url} uses @import, which offline pages cannot follow"
        raise UnknownAssetError(msg)

    def data_uri(match: re.Match[str]) -> str:
        ref = match.group(2).strip()
        if ref.startswith(("data:", "#")):
            return match.group(0)
        if _external(ref):
            msg = f"stylesheet {url} loads {ref} from the network"
            raise UnknownAssetError(msg)
        target = (css_file.parent / _bare(ref)).resolve()
        if not target.is_relative_to(package_dir.resolve()) or not target.is_file():
            msg = f"{ref} (needed by {url}) is not in the cache; {FETCH_HINT}"
            raise MissingAssetError(msg)
        mime = _MIME.get(target.suffix.lower(), "application/octet-stream")
        return f'url("data:{mime};base64,{base64.b64encode(target.read_bytes()).decode()}")'

    text = _CSS_URL.sub(data_uri, _woff2_only(css))
    return re.sub(r"</(style)", r"<\\/\1", text, flags=re.IGNORECASE)


def _safe_js(js: str) -> str:
    # '</script' or '<!--' inside inline code would end or confuse the HTML parser.
    js = re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE)
    return js.replace("<!--", "<\\!--")


def inline_assets(page: str, *, cache_dir: str | Path | None = None) -> str:
    """Replace CDN ``<script src>`` and stylesheet ``<link>`` tags by inline code.

    Parameters
    ----------
    page
        HTML of a page (e.g. a rendered folium map).
    cache_dir
        Asset cache (default :func:`asset_cache_dir`).

    Returns
    -------
    str
        The page with every known asset inlined; files that stylesheets load
        (images, fonts) become ``data:`` URIs. Files no registry ships and geo
        never uses are dropped.

    Raises
    ------
    MissingAssetError
        A known asset is not cached: run ``geo assets fetch``.
    UnknownAssetError
        The page loads scripts or stylesheets :data:`ASSETS` does not know.
    """
    root = asset_cache_dir(cache_dir)
    unknown: list[str] = []
    missing: list[str] = []
    for match in [*_SCRIPT_OPEN.finditer(page), *_LINK.finditer(page)]:
        attrs = _attrs(match.group(1))
        url = attrs.get("src") if match.re is _SCRIPT_OPEN else attrs.get("href")
        if not url or not _external(url):
            continue
        asset = _lookup(url)
        is_style = match.re is _LINK and "stylesheet" in attrs.get("rel", "").lower().split()
        if asset is None or (match.re is _LINK and not is_style):
            unknown.append(url)
        elif asset.package and local_asset(asset.url, cache_dir=root) is None:
            missing.append(url)
    if missing:
        raise MissingAssetError(
            f"{len(missing)} page assets are not in the cache {root} (first: {missing[0]}); "
            + FETCH_HINT
        )
    if unknown:
        raise UnknownAssetError(
            "an offline page would still load from the network: "
            + ", ".join(sorted(set(unknown)))
            + "; register them with geo.render.assets.register_asset or remove them"
        )

    def replace(match: re.Match[str]) -> str:
        attrs = _attrs(match.group(1))
        url = attrs.get("src") if match.re is _SCRIPT else attrs.get("href")
        asset = _lookup(url) if url and _external(url) else None
        if asset is None:
            return match.group(0)
        if not asset.package:
            return f"<!-- geo: dropped {html.escape(asset.url)} ({asset.note}) -->"
        found = local_asset(asset.url, cache_dir=root)
        assert found is not None  # checked above
        text = found.read_text(encoding="utf-8")
        if match.re is _SCRIPT:
            return f"<script>{_safe_js(text)}</script>"
        return f"<style>{_inline_css(text, found, root / asset.folder, asset.url)}</style>"

    return _LINK.sub(replace, _SCRIPT.sub(replace, page))


@overload
def save_html(
    fmap: Element | str,
    path: None = None,
    *,
    offline: bool = ...,
    cache_dir: str | Path | None = ...,
) -> str: ...


@overload
def save_html(
    fmap: Element | str,
    path: str | Path,
    *,
    offline: bool = ...,
    cache_dir: str | Path | None = ...,
) -> Path: ...


def save_html(
    fmap: Element | str,
    path: str | Path | None = None,
    *,
    offline: bool = False,
    cache_dir: str | Path | None = None,
) -> str | Path:
    """Return a map page as HTML text, or write it atomically to ``path``.

    Parameters
    ----------
    fmap
        A folium map (or any branca element, e.g. a side-by-side compare
        page) or finished HTML.
    path
        Output file (its folder is created); ``None`` returns the HTML text.
    offline
        Inline every JS/CSS asset (see :func:`inline_assets`) so the page
        opens with no network. Basemap tiles still need the network: use
        no tiles for a fully offline map.
    cache_dir
        Asset cache for ``offline`` (default :func:`asset_cache_dir`).

    Returns
    -------
    str or Path
        The HTML when ``path`` is ``None``, else the file written.

    Raises
    ------
    MissingAssetError
        ``offline`` and an asset is not cached: call :func:`fetch_assets`.
    UnknownAssetError
        ``offline`` and the page loads a script no registry entry provides.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import folium
    >>> from geo.render import save_html
    >>> save_html(folium.Map(tiles=None)).startswith("<!DOCTYPE html>")
    True
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save_html(folium.Map(tiles=None), Path(folder) / "map.html").name
    'map.html'
    """
    text = fmap if isinstance(fmap, str) else fmap.get_root().render()
    if offline:
        text = inline_assets(text, cache_dir=cache_dir)
    return text if path is None else write_text_atomic(path, text)
