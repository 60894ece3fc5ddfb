"""Tests for geo.sources.registry: the boundary table, hashes and offline behaviour.

A fake client stands in for the HTTP layer; no test touches the network.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from geo.errors import GeoError, RegionError
from geo.sources.registry import (
    COLUMNS,
    OFFLINE_FIX,
    BoundarySource,
    fetch_boundaries,
    load_registry,
)

URL = "https://example.test/bounds/ukr_adm1.zip"
BODY = b"PK fake boundary archive"


class FakeClient:
    """Serves fixed bytes; checks sha256 like the real client; can be offline."""

    def __init__(self, body: bytes = BODY, *, offline: bool = False) -> None:
        self.body = body
        self.offline = offline
        self.downloads: list[str] = []

    def download(self, url: str, dest: Path, *, sha256: str | None = None) -> Path:
        self.downloads.append(url)
        if self.offline:
            raise GeoError(f"{url}: not in the cache and offline=True is set")
        if sha256 is not None and hashlib.sha256(self.body).hexdigest() != sha256:
            raise GeoError(f"{url}: SHA-256 mismatch")
        dest.write_bytes(self.body)
        return dest


def _source(sha256: str | None = None, url: str = URL) -> dict[str, BoundarySource]:
    return {"ua": BoundarySource("ua", url, "CC BY-IGO 3.0", "OCHA", sha256, "*adm1*.shp", "x")}


def test_builtin_registry_lists_open_sources_only() -> None:
    registry = load_registry()
    assert {"ukraine-adm1", "russia-adm1-natural-earth"} <= set(registry)
    for source in registry.values():
        assert source.url.startswith("https://") and source.licence and source.attribution
        assert "isw" not in source.url.lower() and "understandingwar" not in source.url.lower()
    assert registry["ukraine-adm1"].file_name.endswith(".zip")


def test_bad_registry_rows_are_named(tmp_path: Path) -> None:
    header = ",".join(COLUMNS)
    bad = tmp_path / "reg.csv"
    bad.write_text(f"{header}\nua,http://x.test/a.zip,l,a,,,\n", encoding="utf-8")
    with pytest.raises(RegionError, match=r"row 2.*https://"):
        load_registry(bad)
    bad.write_text(f"{header}\nua,https://x.test/a.zip,l,a,abc,,\n", encoding="utf-8")
    with pytest.raises(RegionError, match="64 hex"):
        load_registry(bad)
    bad.write_text("name,url\nua,https://x.test/a.zip\n", encoding="utf-8")
    with pytest.raises(RegionError, match="missing columns"):
        load_registry(bad)


def test_trust_on_first_use_records_hash_and_then_uses_cache(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="geo")
    (path,) = fetch_boundaries(["ua"], FakeClient(), cache_dir=tmp_path, registry=_source())
    notices = {r.getMessage(): r.levelno for r in caplog.records}
    assert path.read_bytes() == BODY and path.name == "ukr_adm1.zip"
    record = json.loads((tmp_path / "hashes.json").read_text())
    assert record["ua"] == {"url": URL, "sha256": hashlib.sha256(BODY).hexdigest()}
    assert [n for n, level in notices.items() if level == logging.WARNING] == [
        n for n in notices if "trusting this first download" in n
    ]
    assert any("CC BY-IGO 3.0" in n for n in notices)  # the licence terms, at INFO
    again = fetch_boundaries(
        ["ua"], FakeClient(offline=True), cache_dir=tmp_path, registry=_source()
    )
    assert again == [path]


def test_upstream_change_after_first_use_is_refused(tmp_path: Path) -> None:
    fetch_boundaries(["ua"], FakeClient(), cache_dir=tmp_path, registry=_source())
    (tmp_path / "ua" / "ukr_adm1.zip").unlink()
    with pytest.raises(RegionError, match="SHA-256 mismatch"):
        fetch_boundaries(["ua"], FakeClient(b"changed"), cache_dir=tmp_path, registry=_source())


def test_pinned_hash_checks_download_and_cached_file(tmp_path: Path) -> None:
    pinned = _source(hashlib.sha256(BODY).hexdigest())
    (path,) = fetch_boundaries(["ua"], FakeClient(), cache_dir=tmp_path, registry=pinned)
    assert not (tmp_path / "hashes.json").exists()
    path.write_bytes(b"tampered")
    with pytest.raises(RegionError, match="delete it and fetch again"):
        fetch_boundaries(["ua"], FakeClient(), cache_dir=tmp_path, registry=pinned)


def test_offline_without_cache_says_to_pass_regions(tmp_path: Path) -> None:
    with pytest.raises(RegionError) as caught:
        fetch_boundaries(["ua"], FakeClient(offline=True), cache_dir=tmp_path, registry=_source())
    assert "regions=load_regions(FILE)" in str(caught.value) and URL in str(caught.value)
    assert OFFLINE_FIX in str(caught.value)
    assert not (tmp_path / "hashes.json").exists()


def test_unknown_name_lists_known_ones(tmp_path: Path) -> None:
    with pytest.raises(RegionError, match="known: ua"):
        fetch_boundaries(["nope"], FakeClient(), cache_dir=tmp_path, registry=_source())


def test_new_url_is_trusted_anew(tmp_path: Path) -> None:
    fetch_boundaries(["ua"], FakeClient(), cache_dir=tmp_path, registry=_source())
    newer = _source(url="https://example.test/bounds/v2/ukr_adm1.zip")
    (tmp_path / "ua" / "ukr_adm1.zip").unlink()
    fetch_boundaries(["ua"], FakeClient(b"v2"), cache_dir=tmp_path, registry=newer)
    record = json.loads((tmp_path / "hashes.json").read_text())
    assert record["ua"]["sha256"] == hashlib.sha256(b"v2").hexdigest()


def test_real_client_offline_and_online(http_server: Any, tmp_path: Path) -> None:
    from http_server import Reply

    from geo.sources.http import HttpClient

    http_server.route("/b/ukr_adm1.zip", Reply(body=BODY))
    registry = _source(url=http_server.url("/b/ukr_adm1.zip"))
    offline = HttpClient(cache_dir=tmp_path / "http", offline=True)
    with pytest.raises(RegionError, match=r"regions=load_regions\(FILE\)"):
        fetch_boundaries(["ua"], offline, cache_dir=tmp_path / "b", registry=registry)
    online = HttpClient(cache_dir=tmp_path / "http", min_interval_s=0.0)
    (path,) = fetch_boundaries(["ua"], online, cache_dir=tmp_path / "b", registry=registry)
    assert path.read_bytes() == BODY
    assert not list((tmp_path / "b" / "ua").glob(".*.tmp"))
    assert fetch_boundaries(["ua"], offline, cache_dir=tmp_path / "b", registry=registry) == [path]
