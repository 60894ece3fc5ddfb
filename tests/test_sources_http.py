"""Tests of geo.sources.http against the local fixture server (no network)."""

from __future__ import annotations

import email.utils
import hashlib
import time
from pathlib import Path
from typing import Any

import pytest
from http_server import FixtureServer, Reply

from geo.errors import FetchError, GeoError, HashMismatchError, OfflineError
from geo.sources import http
from geo.sources.http import HttpClient


def client(tmp_path: Path, **kwargs: Any) -> HttpClient:
    options: dict[str, Any] = {"cache_dir": tmp_path / "cache", "min_interval_s": 0.0}
    options.update(kwargs)
    return HttpClient(**options)


def test_get_json_and_user_agent(http_server: FixtureServer, tmp_path: Path) -> None:
    http_server.route("/a", Reply.json({"x": 1}))
    assert client(tmp_path).get_json(http_server.url("/a")) == {"x": 1}
    agent = http_server.log[0][1]["User-Agent"]
    assert agent.startswith("geo/")


def test_cache_hit_makes_no_request(http_server: FixtureServer, tmp_path: Path) -> None:
    http_server.route("/a", Reply(body=b"hello"))
    first = client(tmp_path)
    assert first.get_bytes(http_server.url("/a"), params={"b": "2", "a": "1"}) == b"hello"
    second = client(tmp_path)
    assert second.get_bytes(http_server.url("/a"), params={"a": "1", "b": "2"}) == b"hello"
    assert second.requests == 0
    assert http_server.hits("/a") == 1
    # the params were sent sorted
    assert http_server.log[0][0] == "/a?a=1&b=2"
    assert client(tmp_path).get_bytes(http_server.url("/a"), cache=False) == b"hello"
    assert http_server.hits("/a") == 2


def test_offline_cache_miss_and_hit(http_server: FixtureServer, tmp_path: Path) -> None:
    http_server.route("/a", Reply(body=b"data"))
    with pytest.raises(OfflineError, match="not in the cache"):
        client(tmp_path, offline=True).get_bytes(http_server.url("/a"))
    assert http_server.hits("/a") == 0
    client(tmp_path).get_bytes(http_server.url("/a"))
    assert client(tmp_path, offline=True).get_bytes(http_server.url("/a")) == b"data"
    assert http_server.hits("/a") == 1
    assert issubclass(OfflineError, FetchError) and issubclass(FetchError, GeoError)


def test_500_then_success_backs_off(
    http_server: FixtureServer, tmp_path: Path, sleeps: list[float]
) -> None:
    http_server.route("/a", [Reply(status=500), Reply(status=503), Reply(body=b"ok")])
    assert client(tmp_path, backoff_s=0.5).get_bytes(http_server.url("/a")) == b"ok"
    assert http_server.hits("/a") == 3
    assert sleeps == [0.5, 1.0]


def test_500_forever_names_url_status_attempts(
    http_server: FixtureServer, tmp_path: Path, sleeps: list[float]
) -> None:
    http_server.route("/a", Reply(status=500))
    with pytest.raises(FetchError) as info:
        client(tmp_path, retries=2).get_bytes(http_server.url("/a"))
    assert info.value.status == 500 and info.value.attempts == 3
    assert "/a" in str(info.value) and "3 attempts" in str(info.value)
    assert "retry later" in str(info.value)
    assert not any((tmp_path / "cache").rglob("*")), "a failure must not be cached"


def test_404_is_not_retried(
    http_server: FixtureServer, tmp_path: Path, sleeps: list[float]
) -> None:
    with pytest.raises(FetchError, match="HTTP 404"):
        client(tmp_path).get_bytes(http_server.url("/missing"))
    assert http_server.hits("/missing") == 1 and sleeps == []


def test_429_retry_after_seconds_is_honoured(
    http_server: FixtureServer, tmp_path: Path, sleeps: list[float]
) -> None:
    http_server.route("/a", [Reply(status=429, headers={"Retry-After": "7"}), Reply(body=b"ok")])
    assert client(tmp_path).get_bytes(http_server.url("/a")) == b"ok"
    assert sleeps == [7.0]


def test_429_retry_after_is_capped(
    http_server: FixtureServer, tmp_path: Path, sleeps: list[float]
) -> None:
    http_server.route("/a", [Reply(status=429, headers={"Retry-After": "9999"}), Reply(body=b"k")])
    client(tmp_path).get_bytes(http_server.url("/a"))
    assert sleeps == [http.MAX_RETRY_AFTER_S]


def test_retry_after_http_date() -> None:
    now = time.time()
    header = email.utils.formatdate(now + 30, usegmt=True)
    wait = http.retry_after_s(header, now=now)
    assert wait is not None and 28 <= wait <= 31
    assert http.retry_after_s("garbage") is None
    assert http.retry_after_s(email.utils.formatdate(now - 100, usegmt=True), now=now) == 0.0


def test_timeout_then_success(
    http_server: FixtureServer, tmp_path: Path, sleeps: list[float]
) -> None:
    http_server.route("/a", [Reply(body=b"late", delay_s=0.5), Reply(body=b"ok")])
    assert client(tmp_path, timeout_s=0.1).get_bytes(http_server.url("/a")) == b"ok"
    assert len(sleeps) == 1


def test_timeout_forever_is_a_clear_error(
    http_server: FixtureServer, tmp_path: Path, sleeps: list[float]
) -> None:
    http_server.route("/a", Reply(body=b"late", delay_s=0.4))
    with pytest.raises(FetchError, match="timed out"):
        client(tmp_path, timeout_s=0.1, retries=1).get_bytes(http_server.url("/a"))


def test_truncated_body_is_retried_and_never_cached(
    http_server: FixtureServer, tmp_path: Path, sleeps: list[float]
) -> None:
    http_server.route("/a", Reply(body=b"0123456789", truncate_to=4))
    with pytest.raises(FetchError, match="truncated"):
        client(tmp_path, retries=1).get_bytes(http_server.url("/a"))
    assert http_server.hits("/a") == 2
    assert not any((tmp_path / "cache").rglob("*"))
    http_server.route("/b", [Reply(body=b"0123456789", truncate_to=4), Reply(body=b"0123456789")])
    assert client(tmp_path).get_bytes(http_server.url("/b")) == b"0123456789"


def test_malformed_json_is_an_error_and_not_cached(
    http_server: FixtureServer, tmp_path: Path
) -> None:
    http_server.route("/a", [Reply(body=b'{"x": '), Reply.json({"x": 2})])
    with pytest.raises(FetchError, match="valid JSON"):
        client(tmp_path).get_json(http_server.url("/a"))
    assert client(tmp_path).get_json(http_server.url("/a")) == {"x": 2}
    assert http_server.hits("/a") == 2


def test_connection_refused_is_a_clear_error(tmp_path: Path, sleeps: list[float]) -> None:
    server = FixtureServer()
    url = server.url("/a")
    server.stop()  # never started: the port is closed
    with pytest.raises(FetchError, match="failed after 2 attempts"):
        client(tmp_path, retries=1).get_bytes(url)


def test_non_http_scheme_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="only http"):
        client(tmp_path).get_bytes("file:///etc/passwd")


def test_rate_limit_spaces_requests(
    http_server: FixtureServer, tmp_path: Path, sleeps: list[float]
) -> None:
    http_server.route("/a", Reply(body=b"x"))
    polite = client(tmp_path, min_interval_s=5.0)
    polite.get_bytes(http_server.url("/a"), cache=False)
    polite.get_bytes(http_server.url("/a"), cache=False)
    assert len(sleeps) == 1 and 4.0 < sleeps[0] <= 5.0


def test_download_verifies_hash_atomically(
    http_server: FixtureServer, tmp_path: Path, sleeps: list[float]
) -> None:
    body = b"boundary data"
    digest = hashlib.sha256(body).hexdigest()
    http_server.route("/f.zip", Reply(body=body))
    dest = tmp_path / "out" / "f.zip"
    with pytest.raises(HashMismatchError, match="nothing was written"):
        client(tmp_path).download(http_server.url("/f.zip"), dest, sha256="0" * 64)
    assert not dest.parent.exists() or list(dest.parent.iterdir()) == []
    assert client(tmp_path).download(http_server.url("/f.zip"), dest, sha256=digest) == dest
    assert dest.read_bytes() == body
    # a present file with the right hash costs no request, even offline
    before = http_server.hits("/f.zip")
    client(tmp_path, offline=True).download(http_server.url("/f.zip"), dest, sha256=digest)
    assert http_server.hits("/f.zip") == before


def test_failed_download_leaves_no_partial_file(
    http_server: FixtureServer, tmp_path: Path, sleeps: list[float]
) -> None:
    http_server.route("/f.zip", Reply(body=b"x" * 1000, truncate_to=100))
    dest = tmp_path / "out" / "f.zip"
    dest.parent.mkdir()
    dest.write_bytes(b"old")
    with pytest.raises(FetchError, match="truncated"):
        client(tmp_path, retries=1).download(http_server.url("/f.zip"), dest)
    assert sorted(p.name for p in dest.parent.iterdir()) == ["f.zip"]
    assert dest.read_bytes() == b"old"


def test_download_offline_without_cache(tmp_path: Path) -> None:
    with pytest.raises(OfflineError, match="offline=False"):
        client(tmp_path, offline=True).download("http://127.0.0.1:9/x", tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_server_callable_route(http_server: FixtureServer, tmp_path: Path) -> None:
    http_server.route("/q", lambda path, query: Reply.json({"offset": query["o"][0]}))
    assert client(tmp_path).get_json(http_server.url("/q"), params={"o": "3"}) == {"offset": "3"}


def test_large_body_read_in_chunks_with_progress(
    http_server: FixtureServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = bytes(range(256)) * (http.PROGRESS_MIN_BYTES // 256 + 10)
    http_server.route("/big.zip", Reply(body=body))
    got = client(tmp_path, progress=True).download(http_server.url("/big.zip"), tmp_path / "b.zip")
    assert got.read_bytes() == body
    assert "big.zip" in capsys.readouterr().err  # the bar names the file


def test_truncated_large_body_is_refused(
    http_server: FixtureServer, tmp_path: Path, sleeps: list[float]
) -> None:
    body = b"x" * (http.PROGRESS_MIN_BYTES + 5)
    http_server.route("/big.zip", Reply(body=body, truncate_to=100_000))
    with pytest.raises(FetchError, match="truncated"):
        client(tmp_path, retries=1).download(http_server.url("/big.zip"), tmp_path / "b.zip")
    assert not (tmp_path / "b.zip").exists()
