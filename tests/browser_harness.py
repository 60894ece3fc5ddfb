"""Real-browser test harness: Debian's chromium driven by Playwright.

Pages are served from a fake origin (``http://geo.localhost/``) by Playwright
request routing, so no socket is opened. Every other request is answered by
:meth:`Harness._route`:

- a CDN URL known to :mod:`geo.render.assets` gets its cached npm file;
- a map-tile image (``.../z/x/y.png``, or ``.../z/y/x`` for Esri) from the
  host of a basemap the tests use (:data:`TILE_PROVIDERS`) gets a blank PNG
  and is counted in ``tile_requests`` (tests never reach tile servers; pages
  built with ``tiles=None`` make none);
- anything else, or an asset missing from the cache, is aborted and recorded
  in ``blocked_requests``.

With ``offline=True`` everything but the page itself is aborted and recorded.
At teardown the ``browser`` fixture fails the test if any request was blocked
or any console error or uncaught page error happened.
"""

from __future__ import annotations

import mimetypes
import os
import shutil
import struct
import urllib.parse
import zlib
from pathlib import Path
from typing import Any

import xyzservices

from geo.render.assets import ASSETS, local_asset

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
ORIGIN = "http://geo.localhost"
CHROMIUM = os.environ.get("GEO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--no-first-run",
]
REQUIRE_BROWSER = os.environ.get("GEO_REQUIRE_BROWSER", "") not in {"", "0"}
_TILE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
#: xyzservices basemaps the tests draw; only their tile servers are answered.
TILE_PROVIDERS = ("OpenStreetMap.Mapnik", "Esri.WorldImagery")


def _tile_hosts(names: tuple[str, ...]) -> frozenset[str]:
    hosts = set()
    for name in names:
        provider = xyzservices.providers.query_name(name)
        for sub in provider.get("subdomains", "abc") if "{s}" in provider.url else [""]:
            hosts.add(urllib.parse.urlsplit(provider.url.replace("{s}", sub)).hostname or "")
    return frozenset(hosts - {""})


TILE_HOSTS = _tile_hosts(TILE_PROVIDERS)
_MIME = {".js": "application/javascript", ".css": "text/css", ".woff2": "font/woff2"}


def blank_png(size: int = 256) -> bytes:
    """A light-grey square PNG, standing in for map tiles."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = (b"\x00" + b"\xee" * size) * size
    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _is_tile(url: str) -> bool:
    """Whether ``url`` is a tile of a known basemap: the host, then ``.../z/x/y[.png]``."""
    split = urllib.parse.urlsplit(url)
    if split.scheme != "https" or split.hostname not in TILE_HOSTS:
        return False
    parts = split.path.rsplit("/", 3)
    last = parts[-1].lower()
    if len(parts) != 4 or ("." in last and not last.endswith(_TILE_SUFFIXES)):
        return False
    y = last.split(".", 1)[0].split("@", 1)[0]
    return parts[1].isdigit() and parts[2].isdigit() and y.isdigit()


def _content_type(path: Path) -> str:
    return (
        _MIME.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    )


class Harness:
    """One browser context per test; see the module docstring."""

    def __init__(self, browser: Any, name: str) -> None:
        self._browser = browser
        self.name = name
        self.context: Any = browser.new_context(viewport={"width": 1200, "height": 800})
        self.context.route("**/*", self._route)
        self.page: Any = None
        self.console_errors: list[str] = []
        self.blocked_requests: list[str] = []
        self.tile_requests: list[str] = []
        self.served_assets: list[str] = []
        self._root: Path | None = None
        self._offline = False

    def open(
        self,
        path: str | Path,
        *,
        wait_until: str = "load",
        offline: bool = False,
        viewport: tuple[int, int] | None = None,
        fragment: str = "",
    ) -> Any:
        """Open an HTML file in a new page and return the Playwright page.

        Parameters
        ----------
        path
            The HTML file; files beside it are served too.
        wait_until
            Playwright's navigation event to wait for.
        offline
            Abort (and record) every request except the page's own files.
        viewport
            Width and height in px (default the context's 1200 x 800).
        fragment
            A URL hash to open the page with (``"date=2025-03-18"``), as a shared link does.
        """
        file = Path(path).resolve()
        self._root, self._offline = file.parent, offline
        page = self.context.new_page()
        if viewport is not None:
            page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.console_errors.append(f"pageerror: {exc}"))
        hash_part = f"#{fragment}" if fragment else ""
        page.goto(f"{ORIGIN}/{urllib.parse.quote(file.name)}{hash_part}", wait_until=wait_until)
        self.page = page
        return page

    def _on_console(self, message: Any) -> None:
        if message.type == "error":
            self.console_errors.append(f"console: {message.text} @ {message.location}")

    def _route(self, route: Any) -> None:
        url: str = route.request.url
        if url.startswith(ORIGIN + "/"):
            self._serve_page_file(route, url)
            return
        if url.startswith("data:"):
            route.continue_()
            return
        if self._offline:
            self._block(route, url, "offline page made a network request")
            return
        asset = ASSETS.get(url)
        if asset is not None and asset.package is None:
            route.fulfill(status=200, body="", content_type="text/css")  # unused, on no registry
            return
        local = local_asset(url)
        if local is not None:
            self.served_assets.append(url)
            route.fulfill(status=200, body=local.read_bytes(), content_type=_content_type(local))
            return
        if asset is not None:
            self._block(route, url, "known asset not cached: run `geo assets fetch`")
        elif _is_tile(url):
            self.tile_requests.append(url)
            route.fulfill(status=200, body=blank_png(), content_type="image/png")
        else:
            self._block(route, url, "unknown external request")

    def _serve_page_file(self, route: Any, url: str) -> None:
        assert self._root is not None
        rel = urllib.parse.unquote(urllib.parse.urlsplit(url).path).lstrip("/")
        target = (self._root / rel).resolve()
        if not target.is_file() or not target.is_relative_to(self._root):
            self._block(route, url, "page-relative file not found")
            return
        route.fulfill(status=200, body=target.read_bytes(), content_type=_content_type(target))

    def _block(self, route: Any, url: str, why: str) -> None:
        self.blocked_requests.append(f"{url} ({why})")
        route.abort("blockedbyclient")

    def screenshot(self, name: str, *, full_page: bool = False) -> Path:
        """Write ``test-artifacts/<name>.png`` of the current page and return it."""
        assert self.page is not None, "open a page first"
        ARTIFACTS.mkdir(exist_ok=True)
        target = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(target), full_page=full_page)
        return target

    def problems(self) -> list[str]:
        """Blocked requests and console errors so far (empty when all is well)."""
        return [f"blocked: {b}" for b in self.blocked_requests] + self.console_errors

    def close(self) -> None:
        """Close the browser context."""
        self.context.close()


def launch_problem() -> str | None:
    """Why a browser cannot be launched here, or ``None`` if it can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        return f"chromium not found at {CHROMIUM} (apt-get install chromium, or set GEO_CHROMIUM)"
    return None
