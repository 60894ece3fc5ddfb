"""Page assets: npm-backed cache, offline inlining; real-browser checks of map pages.

Browser tests use the ``browser`` fixture (tests/browser_harness.py). They need
the asset cache (``geo assets fetch``) and skip without it; unit tests fake the
registry and the cache in ``tmp_path``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import re
import tarfile
from pathlib import Path
from typing import Any

import pytest
from conftest import make_snapshot
from http_server import Reply

from geo.errors import AssetError, FetchError, GeoError, MissingAssetError, UnknownAssetError
from geo.io import read_many
from geo.regions import load_regions
from geo.render import assets, fetch_assets, save_html, snapshot_map, write_demo
from geo.render.assets import inline_assets, local_asset, register_asset
from geo.sample import SAMPLE_NOTICE, SAMPLE_SOURCE, sample_control_files, sample_regions_file
from geo.sources.http import HttpClient

EVIL = "<img src=x onerror=alert(1)>"
CDN = "https://cdn.example.org/fake@1.0.0/dist"
FAKE_CSS = (
    '@font-face{font-family:"X";src:url(../fonts/x.eot);'
    'src:url("../fonts/x.woff2?v=1") format("woff2"),url(../fonts/x.ttf) format("truetype")}'
    ".a{background:url('img/a.png')}.b{background:url(data:image/gif;base64,R0lG)}"
)
FAKE_JS = 'var s = "</script><script>alert(1)</script>"; // <!-- not a comment'
FAKE_FILES = {
    "dist/fake.js": FAKE_JS.encode(),
    "dist/fake.css": FAKE_CSS.encode(),
    "dist/img/a.png": b"\x89PNG fake",
    "fonts/x.woff2": b"wOF2 fake",
    "fonts/x.ttf": b"ttf fake",
    "fonts/x.eot": b"eot fake",
    "unused/big.bin": b"0" * 1000,
}


@pytest.fixture
def fake_assets(monkeypatch: pytest.MonkeyPatch) -> None:
    """A private asset table with one fake npm package (fake@1.0.0)."""
    monkeypatch.setattr(assets, "ASSETS", {})
    register_asset(f"{CDN}/fake.js", "fake", "1.0.0", "dist/fake.js")
    register_asset(f"{CDN}/fake.css", "fake", "1.0.0", "dist/fake.css")
    register_asset("https://cdn.example.org/unused.css", None, "", "", note="unused")


def fake_cache(root: Path) -> Path:
    for name, data in FAKE_FILES.items():
        (root / "fake@1.0.0" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "fake@1.0.0" / name).write_bytes(data)
    return root


def tarball(files: dict[str, bytes], *, evil: bool = True) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if evil:
            info = tarfile.TarInfo("package/../../escaped.txt")
            info.size = 4
            tar.addfile(info, io.BytesIO(b"evil"))
            link = tarfile.TarInfo("package/dist/link")
            link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tar.addfile(link)
    return buf.getvalue()


def serve_registry(
    server: Any, files: dict[str, bytes], *, integrity: str | None = None, tarball_url: str = ""
) -> str:
    """Serve package fake@1.0.0 from the fixture server, as the npm registry does; its URL."""
    blob = tarball(files)
    digest = base64.b64encode(hashlib.sha512(blob).digest()).decode()
    dist = {
        "tarball": tarball_url or server.url(TARBALL),
        "integrity": integrity or f"sha512-{digest}",
    }
    server.route("/fake/1.0.0", Reply.json({"dist": dist}))
    server.route(TARBALL, Reply(body=blob))
    return str(server.base_url)


TARBALL = "/fake/-/fake-1.0.0.tgz"


def client(tmp_path: Path) -> HttpClient:
    return HttpClient(cache_dir=tmp_path / "http", min_interval_s=0)


def test_fetch_extracts_needed_files_safely(
    fake_assets: None, tmp_path: Path, http_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    registry = serve_registry(http_server, FAKE_FILES)
    caplog.set_level(logging.INFO, logger="geo.render.assets")
    root = fetch_assets(cache_dir=tmp_path / "cache", registry=registry, progress=False)
    folder = root / "fake@1.0.0"
    got = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert got == sorted([*(n for n in FAKE_FILES if n != "unused/big.bin"), "geo-asset.json"])
    assert not (tmp_path / "escaped.txt").exists() and not list(tmp_path.rglob("escaped.txt"))
    assert json.loads((folder / "geo-asset.json").read_text())["integrity"].startswith("sha512-")
    assert [path for path, _ in http_server.log] == ["/fake/1.0.0", TARBALL]
    assert all(h["User-Agent"].startswith("geo/") for _, h in http_server.log)  # the HTTP layer
    assert "fake@1.0.0: 6 files" in caplog.text
    fetch_assets(cache_dir=root, registry=registry, client=client(tmp_path))
    assert len(http_server.log) == 2 and caplog.messages[-1] == "fake@1.0.0: cached"
    assert not (tmp_path / "http").exists(), "the asset cache is the only cache"
    assert local_asset(f"{CDN}/fake.css", cache_dir=root) == folder / "dist/fake.css"
    # files a stylesheet loads are answered by URL too, but nothing outside the package
    assert local_asset(f"{CDN}/img/a.png", cache_dir=root) == folder / "dist/img/a.png"
    assert local_asset(f"{CDN}/../fonts/x.woff2", cache_dir=root) == folder / "fonts/x.woff2"
    assert local_asset("https://cdn.example.org/fake@1.0.0/../../x", cache_dir=root) is None
    assert local_asset("https://elsewhere.example.org/x.js", cache_dir=root) is None


@pytest.mark.parametrize(
    ("files", "options", "message"),
    [
        (FAKE_FILES, {"integrity": "sha512-AAAA"}, "integrity"),
        (FAKE_FILES, {"tarball_url": "https://evil.example.org/x.tgz"}, "not the npm registry"),
        ({"dist/fake.js": b""}, {}, "no file 'dist/fake.css'"),
    ],
)
def test_fetch_refuses_bad_downloads(
    fake_assets: None,
    tmp_path: Path,
    http_server: Any,
    files: dict[str, bytes],
    options: dict[str, str],
    message: str,
) -> None:
    registry = serve_registry(http_server, files, **options)
    with pytest.raises(AssetError, match=message):
        fetch_assets(cache_dir=tmp_path, registry=registry, client=client(tmp_path))
    assert not (tmp_path / "fake@1.0.0").exists(), "nothing half-written is left in the cache"


def test_fetch_retries_a_truncated_tarball(
    fake_assets: None, tmp_path: Path, http_server: Any, sleeps: list[float]
) -> None:
    registry = serve_registry(http_server, FAKE_FILES)
    blob = tarball(FAKE_FILES)
    http_server.route(TARBALL, [Reply(body=blob, truncate_to=100), Reply(body=blob)])
    root = fetch_assets(cache_dir=tmp_path / "cache", registry=registry, client=client(tmp_path))
    assert (root / "fake@1.0.0" / "dist/fake.css").is_file()
    assert http_server.hits(TARBALL) == 2 and len(sleeps) == 1  # one backoff, then whole


def test_fetch_network_error_names_package(
    fake_assets: None, tmp_path: Path, http_server: Any, sleeps: list[float]
) -> None:
    with pytest.raises(AssetError, match=r"fake@1\.0\.0.*HTTP 404") as err:
        fetch_assets(cache_dir=tmp_path, registry=http_server.base_url, client=client(tmp_path))
    assert isinstance(err.value.__cause__, FetchError)
    http_server.stop()  # nothing listens there any more
    with pytest.raises(AssetError, match=r"fake@1\.0\.0.*failed after 5 attempts"):
        fetch_assets(cache_dir=tmp_path, registry=http_server.base_url, client=client(tmp_path))
    assert len(sleeps) == 4
    with pytest.raises(AssetError, match="unknown asset packages"):
        fetch_assets(cache_dir=tmp_path, packages=["nope"])


def test_fetch_obeys_the_http_size_limit(
    fake_assets: None, tmp_path: Path, http_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Assets come through HttpClient, so its body cap ($GEO_MAX_DOWNLOAD_BYTES) applies."""
    registry = serve_registry(http_server, FAKE_FILES)
    size = len(tarball(FAKE_FILES))
    monkeypatch.setenv("GEO_MAX_DOWNLOAD_BYTES", str(size - 1))
    with pytest.raises(AssetError, match=r"fake@1\.0\.0.*more than the limit") as err:
        fetch_assets(cache_dir=tmp_path / "cache", registry=registry, progress=False)
    assert isinstance(err.value.__cause__, FetchError)
    assert not (tmp_path / "cache" / "fake@1.0.0").exists()
    monkeypatch.setenv("GEO_MAX_DOWNLOAD_BYTES", str(size))
    root = fetch_assets(cache_dir=tmp_path / "cache", registry=registry, progress=False)
    assert (root / "fake@1.0.0" / "dist/fake.css").is_file()


def test_fetch_progress_has_the_library_wide_meaning(
    fake_assets: None, tmp_path: Path, http_server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = serve_registry(http_server, FAKE_FILES)
    fetch_assets(cache_dir=tmp_path, registry=registry, client=client(tmp_path), progress=False)
    assert capsys.readouterr().err == ""
    fetch_assets(cache_dir=tmp_path, registry=registry, client=client(tmp_path), progress=True)
    assert "map assets" in capsys.readouterr().err  # a bar on stderr
    fetch_assets(cache_dir=tmp_path, registry=registry, client=client(tmp_path))
    assert capsys.readouterr().err == "", "None: a bar only when stderr is a terminal"


PAGE = (
    f'<html><head><script src="{CDN}/fake.js"></script>'
    f'<link rel="stylesheet" href="{CDN}/fake.css"/>'
    '<link rel="stylesheet" href="https://cdn.example.org/unused.css"/>'
    "<script>var own = 1;</script></head><body></body></html>"
)


def test_inline_assets_makes_page_self_contained(fake_assets: None, tmp_path: Path) -> None:
    out = inline_assets(PAGE, cache_dir=fake_cache(tmp_path))
    assert "cdn.example.org/fake" not in out
    assert "var own = 1;" in out
    assert out.count("</script>") == 2, "inlined code cannot close its <script> early"
    assert "<\\/script><script>alert(1)<\\/script>" in out and "// <\\!-- not" in out
    assert f"data:font/woff2;base64,{base64.b64encode(b'wOF2 fake').decode()}" in out
    assert "font/ttf" not in out and "eot" not in out, "only the woff2 font source is kept"
    assert f"data:image/png;base64,{base64.b64encode(FAKE_FILES['dist/img/a.png']).decode()}" in out
    assert "data:image/gif;base64,R0lG" in out
    assert "geo: dropped https://cdn.example.org/unused.css" in out


def test_inline_assets_rejects_unknown_external_script(fake_assets: None, tmp_path: Path) -> None:
    page = PAGE.replace(
        "</head>", '<script src="https://tracker.example.net/t.js"></script></head>'
    )
    with pytest.raises(UnknownAssetError, match=r"https://tracker\.example\.net/t\.js") as err:
        inline_assets(page, cache_dir=fake_cache(tmp_path))
    assert isinstance(err.value, GeoError)
    icon = '<link rel="icon" href="https://cdn.example.org/fake@1.0.0/dist/fake.css">'
    with pytest.raises(UnknownAssetError, match=r"fake\.css"):
        inline_assets(icon, cache_dir=tmp_path)


def test_inline_assets_missing_cache_says_fetch(fake_assets: None, tmp_path: Path) -> None:
    with pytest.raises(MissingAssetError, match="geo assets fetch"):
        inline_assets(PAGE, cache_dir=tmp_path / "empty")
    (tmp_path / "part" / "fake@1.0.0" / "dist").mkdir(parents=True)
    for name in ("fake.js", "fake.css"):
        (tmp_path / "part" / "fake@1.0.0" / "dist" / name).write_bytes(FAKE_FILES[f"dist/{name}"])
    with pytest.raises(MissingAssetError, match=r"x\.woff2.*geo assets fetch"):
        inline_assets(PAGE, cache_dir=tmp_path / "part")


def test_save_html_is_atomic_and_offline(fake_assets: None, tmp_path: Path) -> None:
    out = save_html(
        PAGE, tmp_path / "out" / "page.html", offline=True, cache_dir=fake_cache(tmp_path)
    )
    assert "data:font/woff2" in out.read_text(encoding="utf-8")
    assert not list(out.parent.glob(".*.tmp"))
    with pytest.raises(MissingAssetError):
        save_html(PAGE, out, offline=True, cache_dir=tmp_path / "empty")
    assert "data:font/woff2" in out.read_text(encoding="utf-8"), "failed write kept the old file"


def test_every_folium_default_asset_is_registered() -> None:
    import folium

    urls = [url for _, url in folium.Map().default_js + folium.Map().default_css]
    assert all(url in assets.ASSETS for url in urls), set(urls) - set(assets.ASSETS)


# --- real browser ---------------------------------------------------------------------------


def sample_map(**kwargs: Any) -> Any:
    result = read_many(sample_control_files(), source=SAMPLE_SOURCE)
    latest = max(s.date for s in result.snapshots)
    snaps = [s for s in result.snapshots if s.date == latest]
    return snapshot_map(snaps, regions=load_regions(sample_regions_file()), **kwargs)


def test_demo_map_renders_in_chromium(browser: Any, tmp_path: Path) -> None:
    page = browser.open(write_demo(tmp_path / "demo.html"))
    page.wait_for_selector(".leaflet-container")
    paths = page.locator(".leaflet-overlay-pane path")
    assert paths.count() >= 3, "control layers and region outlines are drawn as SVG paths"
    assert page.locator(".geo-legend").inner_text().startswith("Layers")
    assert "synthetic" in page.locator(".geo-notice").inner_text().lower()
    assert "OpenStreetMap" in page.locator(".leaflet-control-attribution").inner_text()
    assert browser.served_assets, "CDN requests were answered from the local cache"
    assert browser.tile_requests, "the demo's basemap tiles were answered with blank PNGs"
    page.wait_for_function("window.geoFramed === true")
    page.wait_for_timeout(150)  # the declutter after the last move
    labels = page.evaluate(
        "[...document.querySelectorAll('.geo-region-label')]"
        ".filter(e => !e.classList.contains('geo-label-hidden')).map(e => e.textContent)"
    )
    # Kursk's best label point is under the header: its label moves to the part in view
    assert sorted(labels) == ["Donetsk", "Kherson", "Kursk (Russia)", "Luhansk", "Zaporizhzhia"]
    shot = browser.screenshot("demo-map")
    assert shot.stat().st_size > 10_000


def test_offline_page_renders_with_all_network_blocked(browser: Any, tmp_path: Path) -> None:
    fmap = sample_map(tiles=None, notice=SAMPLE_NOTICE)
    out = save_html(fmap, tmp_path / "offline.html", offline=True)
    text = out.read_text(encoding="utf-8")
    assert not re.search(r"<(script|link)\b[^>]*(src|href)=\S*//", text), "no external tags"
    assert "data:font/woff2;base64," in text, "font-awesome fonts are inlined"
    assert "data:image/png;base64," in text, "leaflet's control images are inlined"
    page = browser.open(out, offline=True)
    page.wait_for_selector(".leaflet-container")
    assert page.locator(".leaflet-overlay-pane path").count() >= 3
    assert page.evaluate("typeof L === 'object' && typeof jQuery === 'function'")
    assert not browser.served_assets and not browser.tile_requests
    browser.screenshot("offline-map")
    print(f"offline sample page: {out.stat().st_size:,} bytes")


def test_untrusted_text_runs_nothing_in_browser(browser: Any, tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    snap = make_snapshot(source=EVIL, layer=EVIL, labels=[EVIL], path=f"{EVIL}.geojson")
    regions = gpd.GeoDataFrame({"region": [EVIL]}, geometry=[box(36, 47, 39, 49)], crs=4326)
    fmap = snapshot_map(
        [snap], regions=regions, title=EVIL, notice=EVIL, attribution=EVIL, tiles=None
    )
    out = save_html(fmap, tmp_path / "evil.html")
    browser.context.add_init_script("window.__alerts = []; window.alert = m => __alerts.push(m);")
    page = browser.open(out)
    page.wait_for_selector(".leaflet-overlay-pane path")
    for path in page.locator(".leaflet-overlay-pane path").all():
        path.hover(force=True)  # open every tooltip
    assert EVIL in page.locator(".geo-legend").inner_text(), "shown as text"
    assert EVIL in page.locator(".geo-title").inner_text()
    assert EVIL in page.locator(".leaflet-control-layers").inner_text()
    assert EVIL in page.locator(".leaflet-control-attribution").inner_text()
    assert EVIL in page.locator(".leaflet-tooltip").first.inner_text(), "tooltip shows text"
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert page.evaluate("window.__alerts") == []
    browser.screenshot("escaped-map")


def test_harness_records_blocked_requests_and_errors(_chromium: Any, tmp_path: Path) -> None:
    from browser_harness import Harness, blank_png

    page_file = tmp_path / "bad.html"
    page_file.write_text(
        '<html><head><script src="https://evil.example.com/x.js"></script></head><body>'
        '<img src="https://tile.openstreetmap.org/5/17/10.png">'
        '<img src="https://tile.example.org/5/17/10.png"><script>undefinedFunction()</script>'
        "</body></html>",
        encoding="utf-8",
    )
    harness = Harness(_chromium, "probe")
    try:
        harness.open(page_file)
    finally:
        harness.close()
    assert any("evil.example.com" in b for b in harness.blocked_requests)
    assert any("undefinedFunction" in e for e in harness.console_errors)
    # only the tests' basemap servers get blank tiles; a tile-shaped URL elsewhere fails
    assert harness.tile_requests == ["https://tile.openstreetmap.org/5/17/10.png"]
    assert any("tile.example.org" in b for b in harness.blocked_requests)
    assert len(harness.problems()) >= 3
    assert blank_png().startswith(b"\x89PNG")
