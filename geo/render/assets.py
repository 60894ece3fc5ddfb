"""Third-party JS/CSS of our maps: npm sources, a local cache, offline inlining.

folium pages load Leaflet, jQuery, Bootstrap and friends from CDNs. Every such
URL is listed in :data:`ASSETS` with the npm package and the file inside it
that provides the same code. :func:`fetch_assets` downloads those packages
from the npm registry (integrity-checked) into a cache; :func:`inline_assets`
and :func:`save_html` use the cache to write pages that need no network at all.
No third-party file is committed to this repository.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import io
import json
import os
import posixpath
import re
import shutil
import tarfile
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from branca.element import Element
from platformdirs import user_cache_path

from geo.errors import AssetError, MissingAssetError, UnknownAssetError
from geo.fsutil import write_text_atomic

REGISTRY = "https://registry.npmjs.org"
CACHE_ENV = "GEO_ASSET_CACHE"
FETCH_HINT = "run `geo assets fetch` (needs the npm registry once) and try again"
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


def _get(url: str, what: str) -> bytes:
    if not url.startswith(REGISTRY + "/"):
        msg = f"{what}: refusing to download {url} (not the npm registry)"
        raise AssetError(msg)
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (https checked)
            data: bytes = response.read()
    except OSError as exc:
        msg = (
            f"{what}: cannot download {url} ({exc}); check the network or proxy "
            "(only the npm registry is needed)"
        )
        raise AssetError(msg) from exc
    return data


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
    progress: Callable[[str], None] | None = None,
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
        Called with one line per package (e.g. ``click.echo``).

    Returns
    -------
    Path
        The cache folder.
    """
    root = asset_cache_dir(cache_dir)
    root.mkdir(parents=True, exist_ok=True)
    wanted = None if packages is None else set(packages)
    groups: dict[tuple[str, str], set[str]] = {}
    for asset in ASSETS.values():
        if asset.package and (wanted is None or asset.package in wanted):
            groups.setdefault((asset.package, asset.version), set()).add(asset.path)
    if wanted is not None and (unknown := wanted - {name for name, _ in groups}):
        known = sorted({a.package for a in ASSETS.values() if a.package})
        msg = f"unknown asset packages {sorted(unknown)}; known: {known}"
        raise AssetError(msg)
    for (name, version), paths in sorted(groups.items()):
        what = f"npm package {name}@{version}"
        folder = root / f"{name.replace('/', '+')}@{version}"
        if not force and all((folder / p).is_file() for p in paths):
            if progress:
                progress(f"{name}@{version}: cached")
            continue
        meta = json.loads(_get(f"{REGISTRY}/{name.replace('/', '%2F')}/{version}", what))
        dist = meta.get("dist", {})
        blob = _get(str(dist.get("tarball", "")), what)
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
        if progress:
            progress(f"{name}@{version}: {len(files)} files, {len(blob):,} bytes downloaded")
    return root


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


def save_html(
    fmap_or_html: Element | str,
    path: str | Path,
    *,
    offline: bool = False,
    cache_dir: str | Path | None = None,
) -> Path:
    """Write a map page atomically and return its path.

    Parameters
    ----------
    fmap_or_html
        A folium map (or any branca element) or finished HTML.
    path
        Output file; its folder is created.
    offline
        Inline every JS/CSS asset (see :func:`inline_assets`) so the page
        opens with no network. Basemap tiles still need the network: use
        no tiles for a fully offline map.
    cache_dir
        Asset cache for ``offline`` (default :func:`asset_cache_dir`).

    Returns
    -------
    Path
    """
    text = fmap_or_html if isinstance(fmap_or_html, str) else fmap_or_html.get_root().render()
    if offline:
        text = inline_assets(text, cache_dir=cache_dir)
    return write_text_atomic(path, text)
