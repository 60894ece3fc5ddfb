"""Tests for geo.sources.featureserver: paging ArcGIS layers and loading file URLs.

A fake client stands in for the HTTP layer (no network, no server): it answers
``get_json`` from scripted layer metadata and pages and ``download`` from bytes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from geo.errors import DateError, GeoError, InputFormatError, LayerError
from geo.sources.featureserver import (
    FeatureServerError,
    arcgis_layer_url,
    fetch_layer,
    fetch_url,
    layer_info,
    url_file_name,
)

LAYER = "https://example.test/arcgis/rest/services/Ukraine/FeatureServer/3"
EDIT_MS = 1_682_899_200_000  # 2023-05-01T00:00:00Z


def _ring(lon: float, lat: float) -> list[list[float]]:
    # Clockwise: Esri's orientation for an outer ring.
    return [[lon, lat], [lon, lat + 0.1], [lon + 0.1, lat + 0.1], [lon + 0.1, lat], [lon, lat]]


def _feature(i: int, **attrs: Any) -> dict[str, Any]:
    return {
        "attributes": {"OBJECTID": i, "name": f"area {i}", **attrs},
        "geometry": {"rings": [_ring(35.0 + i * 0.2, 48.0)]},
    }


class FakeClient:
    """Answers like an ArcGIS server; records every request."""

    def __init__(
        self,
        features: list[dict[str, Any]],
        *,
        name: str = "AssessedRussianAdvanceInUkraine",
        max_record_count: int = 2,
        last_edit_ms: int | None = EDIT_MS,
        fail_offsets: frozenset[int] = frozenset(),
        files: Mapping[str, bytes] | None = None,
    ) -> None:
        self.features = features
        self.meta: dict[str, Any] = {"name": name, "maxRecordCount": max_record_count}
        if last_edit_ms is not None:
            self.meta["editingInfo"] = {"lastEditDate": last_edit_ms}
        self.fail_offsets = fail_offsets
        self.files = dict(files or {})
        self.calls: list[tuple[str, dict[str, str]]] = []

    def get_json(
        self, url: str, *, params: Mapping[str, str] | None = None, cache: bool = True
    ) -> Any:
        params = dict(params or {})
        self.calls.append((url, params))
        if not url.endswith("/query"):
            return self.meta
        offset, count = int(params["resultOffset"]), int(params["resultRecordCount"])
        if offset in self.fail_offsets:
            raise GeoError(f"{url}: HTTP 500 after 4 attempts")
        page = self.features[offset : offset + count]
        return {
            "objectIdFieldName": "OBJECTID",
            "geometryType": "esriGeometryPolygon",
            "spatialReference": {"wkid": 4326, "latestWkid": 4326},
            "features": page,
            "exceededTransferLimit": offset + count < len(self.features),
        }

    def download(self, url: str, dest: Path, *, sha256: str | None = None) -> Path:
        self.calls.append((url, {}))
        dest.write_bytes(self.files[url])
        return dest


def test_layer_url_recognised_and_query_stripped() -> None:
    assert arcgis_layer_url(LAYER) == LAYER
    assert arcgis_layer_url(LAYER + "/query?where=1%3D1&f=json") == LAYER
    assert arcgis_layer_url(LAYER.replace("FeatureServer", "MapServer") + "/") is not None
    assert arcgis_layer_url("https://example.test/data/map.geojson") is None


def test_layer_info_reads_name_page_size_and_edit_date() -> None:
    info = layer_info(LAYER + "/query", client=FakeClient([], max_record_count=500))
    assert (info.url, info.name, info.max_record_count) == (
        LAYER,
        "AssessedRussianAdvanceInUkraine",
        500,
    )
    assert info.last_edit_date == dt.date(2023, 5, 1)


def test_pages_until_the_transfer_limit_clears() -> None:
    client = FakeClient([_feature(i) for i in range(5)], max_record_count=2)
    (snap,) = fetch_layer(LAYER, client=client)
    queries = [p for url, p in client.calls if url.endswith("/query")]
    assert [q["resultOffset"] for q in queries] == ["0", "2", "4"]
    assert all(q["outSR"] == "4326" and q["resultRecordCount"] == "2" for q in queries)
    assert snap.n_features == 5
    assert (snap.source, snap.layer, snap.date) == ("isw", "russian_advance", dt.date(2023, 5, 1))
    assert snap.provenance.path == LAYER
    assert snap.provenance.date_rule == "layer editingInfo.lastEditDate"
    assert snap.provenance.original_layer == "AssessedRussianAdvanceInUkraine"
    assert "fetched 5 features in 3 pages" in snap.provenance.notes
    assert list(snap.features["label"]) == [f"area {i}" for i in range(5)]


def test_page_size_is_capped_by_the_server_limit() -> None:
    client = FakeClient([_feature(i) for i in range(3)], max_record_count=2)
    fetch_layer(LAYER, client=client, page_size=50)
    sizes = {p["resultRecordCount"] for url, p in client.calls if url.endswith("/query")}
    assert sizes == {"2"}


def test_missing_page_in_the_middle_names_the_offset_and_returns_nothing() -> None:
    client = FakeClient([_feature(i) for i in range(6)], fail_offsets=frozenset({2}))
    with pytest.raises(FeatureServerError, match=r"resultOffset=2.*nothing was loaded"):
        fetch_layer(LAYER, client=client)


def test_flag_set_but_empty_page_stops_instead_of_looping() -> None:
    client = FakeClient([_feature(0)])
    client.get_json = lambda url, *, params=None, cache=True: (  # type: ignore[method-assign]
        client.meta
        if not url.endswith("/query")
        else {"features": [], "exceededTransferLimit": True, "spatialReference": {"wkid": 4326}}
    )
    with pytest.raises(FeatureServerError, match="sent none"):
        fetch_layer(LAYER, client=client)


def test_arcgis_error_body_is_quoted() -> None:
    client = FakeClient([])
    client.meta = {"error": {"code": 499, "message": "Token Required"}}
    with pytest.raises(FeatureServerError, match="499: Token Required"):
        fetch_layer(LAYER, client=client)


def test_date_attribute_wins_and_splits_by_day() -> None:
    day1, day2 = 1_680_307_200_000, 1_680_393_600_000  # 2023-04-01, 2023-04-02 (ms)
    features = [_feature(0, date=day1), _feature(1, date=day2), _feature(2, date=day1)]
    snaps = fetch_layer(LAYER, client=FakeClient(features, max_record_count=10))
    by_day = {s.date: s.n_features for s in snaps}
    assert by_day == {dt.date(2023, 4, 1): 2, dt.date(2023, 4, 2): 1}
    assert {s.provenance.date_rule for s in snaps} == {"attribute date"}


def test_partial_date_attribute_falls_back_to_edit_date_with_a_note() -> None:
    features = [_feature(0, date="2023-04-01"), _feature(1, date=None)]
    (snap,) = fetch_layer(LAYER, client=FakeClient(features))
    assert snap.date == dt.date(2023, 5, 1)
    assert any("only 1 of 2" in note for note in snap.provenance.notes)


def test_no_date_anywhere_asks_for_date_and_explicit_date_wins() -> None:
    client = FakeClient([_feature(0)], last_edit_ms=None)
    with pytest.raises(DateError, match='pass date="YYYY-MM-DD"'):
        fetch_layer(LAYER, client=client)
    (snap,) = fetch_layer(LAYER, client=client, date="2024-02-03", layer="russian_control")
    assert (snap.date, snap.layer, snap.provenance.date_rule) == (
        dt.date(2024, 2, 3),
        "russian_control",
        "given date",
    )


def test_unknown_layer_name_kept_with_note_and_bad_layer_option_refused() -> None:
    (snap,) = fetch_layer(LAYER, client=FakeClient([_feature(0)], name="Frontline zones"))
    assert snap.layer == "Frontline zones" and not snap.layer_known
    assert any("unknown layer name" in n for n in snap.provenance.notes)
    with pytest.raises(LayerError, match="not a canonical layer"):
        fetch_layer(LAYER, client=FakeClient([_feature(0)]), layer="bogus")


def test_null_geometries_are_counted_not_silently_dropped() -> None:
    features = [_feature(0), {"attributes": {"OBJECTID": 9}, "geometry": None}]
    (snap,) = fetch_layer(LAYER, client=FakeClient(features))
    assert snap.n_features == 1
    assert (snap.hygiene.n_input, snap.hygiene.n_null) == (2, 1)


def _geojson(name: str) -> bytes:
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"name": name},
                    "geometry": {"type": "Polygon", "coordinates": [_ring(36.0, 49.0)]},
                }
            ],
        }
    ).encode()


def test_fetch_url_reads_a_geojson_file_and_keeps_the_url() -> None:
    url = "https://example.test/files/AssessedRussianAdvanceInUkraine_20230601.geojson?dl=1"
    client = FakeClient([], files={url: _geojson("zone")})
    (snap,) = fetch_url(url, client=client)
    assert (snap.source, snap.layer, snap.date) == ("isw", "russian_advance", dt.date(2023, 6, 1))
    assert snap.provenance.path == url
    assert list(snap.features["label"]) == ["zone"]


def test_fetch_url_errors_name_the_url_not_the_temp_file() -> None:
    url = "https://example.test/files/russian_control.geojson"
    client = FakeClient([], files={url: _geojson("zone")})
    with pytest.raises(DateError) as caught:
        fetch_url(url, client=client)
    assert url in str(caught.value) and "geo-url-" not in str(caught.value)


def test_fetch_url_routes_arcgis_query_urls_to_paging() -> None:
    client = FakeClient([_feature(i) for i in range(3)])
    (snap,) = fetch_url(LAYER + "/query?where=1%3D1&f=json", client=client)
    assert snap.n_features == 3 and snap.provenance.path == LAYER


def test_fetch_url_refuses_unknown_endings_and_other_schemes() -> None:
    with pytest.raises(InputFormatError, match="cannot tell the format"):
        fetch_url("https://example.test/map.php?id=3", client=FakeClient([]))
    with pytest.raises(InputFormatError, match="only http"):
        fetch_url("file:///etc/passwd.geojson", client=FakeClient([]))


def test_url_file_name_decodes_and_rejects_dot_names() -> None:
    assert url_file_name("https://x.test/a/b%20c.kmz?x=1") == "b c.kmz"
    assert url_file_name("https://x.test/a/..") == ""
    assert url_file_name("https://x.test/") == ""


# --- through the real HTTP layer and the local fixture server ----------------------


@pytest.fixture
def real_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    from geo.sources import http

    monkeypatch.setattr(http, "_sleep", lambda _s: None)
    return http.HttpClient(cache_dir=tmp_path / "cache", min_interval_s=0.0, retries=2)


def _serve_layer(server: Any, features: list[dict[str, Any]], *, broken: int | None) -> None:
    from http_server import Reply

    fake = FakeClient(features, max_record_count=2)
    path = "/arcgis/rest/services/X/FeatureServer/0"

    def query(_path: str, qs: dict[str, list[str]]) -> Reply:
        offset = int(qs["resultOffset"][0])
        if offset == broken:
            return Reply(status=500, body=b"boom")
        params = {k: v[0] for k, v in qs.items()}
        return Reply.json(fake.get_json(path + "/query", params=params))

    server.route(path, Reply.json(fake.meta))
    server.route(path + "/query", query)


def test_real_client_pages_a_layer(http_server: Any, real_client: Any) -> None:
    _serve_layer(http_server, [_feature(i) for i in range(5)], broken=None)
    url = http_server.url("/arcgis/rest/services/X/FeatureServer/0")
    (snap,) = fetch_url(url, client=real_client)
    assert snap.n_features == 5 and snap.layer == "russian_advance"
    assert http_server.hits("/arcgis/rest/services/X/FeatureServer/0/query") == 3


def test_real_client_500_in_the_middle_names_the_offset(http_server: Any, real_client: Any) -> None:
    _serve_layer(http_server, [_feature(i) for i in range(6)], broken=2)
    url = http_server.url("/arcgis/rest/services/X/FeatureServer/0")
    with pytest.raises(FeatureServerError, match=r"resultOffset=2.*500"):
        fetch_url(url, client=real_client)


def test_real_client_downloads_a_file_url(http_server: Any, real_client: Any) -> None:
    from http_server import Reply

    http_server.route("/f/russian_control_20230601.geojson", Reply(body=_geojson("zone")))
    url = http_server.url("/f/russian_control_20230601.geojson")
    (snap,) = fetch_url(url, client=real_client, layer="russian_control")
    assert (snap.layer, snap.date, snap.provenance.path) == (
        "russian_control",
        dt.date(2023, 6, 1),
        url,
    )


def _endless_layer(server: Any, *, same_page: bool) -> str:
    """A layer whose server always says more features exist."""
    from http_server import Reply

    path = "/arcgis/rest/services/Endless/FeatureServer/0"

    def query(_path: str, qs: dict[str, list[str]]) -> Reply:
        offset = 0 if same_page else int(qs["resultOffset"][0])
        page = [_feature(offset + i) for i in range(2)]
        return Reply.json({"features": page, "exceededTransferLimit": True})

    server.route(path, Reply.json({"name": "Endless", "maxRecordCount": 2}))
    server.route(path + "/query", query)
    return str(server.url(path))


def test_a_layer_that_pages_for_ever_stops_at_max_pages(http_server: Any, real_client: Any) -> None:
    url = _endless_layer(http_server, same_page=False)
    with pytest.raises(FeatureServerError, match=r"after 5 pages \(10 features\).*max_pages=5"):
        fetch_layer(url, client=real_client, max_pages=5)
    assert http_server.hits("/arcgis/rest/services/Endless/FeatureServer/0/query") == 5


def test_max_pages_from_the_environment(
    http_server: Any, real_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEO_MAX_PAGES", "3")
    with pytest.raises(FeatureServerError, match="GEO_MAX_PAGES"):
        fetch_url(_endless_layer(http_server, same_page=False), client=real_client)
    assert http_server.hits("/arcgis/rest/services/Endless/FeatureServer/0/query") == 3


def test_a_server_repeating_its_page_is_stopped_at_once(http_server: Any, real_client: Any) -> None:
    url = _endless_layer(http_server, same_page=True)
    with pytest.raises(FeatureServerError, match="ignores resultOffset"):
        fetch_layer(url, client=real_client)
    assert http_server.hits("/arcgis/rest/services/Endless/FeatureServer/0/query") == 2


def test_a_deeply_nested_page_is_a_clear_error(http_server: Any, real_client: Any) -> None:
    from http_server import Reply

    path = "/arcgis/rest/services/Deep/FeatureServer/0"
    http_server.route(path, Reply.json({"name": "Deep", "maxRecordCount": 2}))
    http_server.route(path + "/query", Reply(body=b"[" * 50_000 + b"]" * 50_000))
    with pytest.raises(FeatureServerError, match="nested too deeply"):
        fetch_layer(http_server.url(path), client=real_client)
