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


def test_429_retry_after_beyond_the_cap_ends_the_request(
    http_server: FixtureServer, tmp_path: Path, sleeps: list[float]
) -> None:
    # Waiting 99999 s (or 4 x a capped 120 s) is a hang: give up at once and say when to retry.
    http_server.route("/a", [Reply(status=429, headers={"Retry-After": "99999"}), Reply(body=b"k")])
    with pytest.raises(FetchError, match=r"wait 99,999 s.*max_retry_after_s=120") as info:
        client(tmp_path).get_bytes(http_server.url("/a"))
    assert sleeps == [] and http_server.hits("/a") == 1 and info.value.status == 429
    assert http.MAX_RETRY_AFTER_S == 120
    http_server.route("/b", [Reply(status=503, headers={"Retry-After": "30"}), Reply(body=b"k")])
    with pytest.raises(FetchError, match="max_retry_after_s=10"):
        client(tmp_path, max_retry_after_s=10).get_bytes(http_server.url("/b"))


def test_retry_after_past_the_deadline_ends_the_request(
    http_server: FixtureServer, tmp_path: Path, sleeps: list[float]
) -> None:
    http_server.route("/a", [Reply(status=503, headers={"Retry-After": "60"}), Reply(body=b"k")])
    with pytest.raises(FetchError, match=r"deadline of 30 s.*deadline_s"):
        client(tmp_path, deadline_s=30).get_bytes(http_server.url("/a"))
    assert sleeps == [] and http_server.hits("/a") == 1


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
    # A generous timeout for the prompt reply: a loaded machine may take 0.1 s to answer.
    http_server.route("/a", [Reply(body=b"late", delay_s=1.5), Reply(body=b"ok")])
    assert client(tmp_path, timeout_s=0.5).get_bytes(http_server.url("/a")) == b"ok"
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


# --- hostile servers: every one ends in a clear error, quickly --------------------------


def test_trickling_body_hits_the_overall_deadline(
    http_server: FixtureServer, tmp_path: Path
) -> None:
    # One byte every 50 ms: each socket read is quick, the whole body would take 50 s.
    http_server.route("/slow", Reply(body=b"x" * 1000, trickle_s=0.05))
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"deadline of 0.5 s.*GEO_HTTP_DEADLINE_S"):
        client(tmp_path, deadline_s=0.5, timeout_s=0.3).get_bytes(http_server.url("/slow"))
    assert time.monotonic() - started < 10  # not the 50 s the server asks for
    assert not any((tmp_path / "cache").rglob("*"))


def test_trickling_headers_hit_the_overall_deadline(
    http_server: FixtureServer, tmp_path: Path
) -> None:
    http_server.route("/slow", Reply(trickle_s=0.05, trickle_headers=True))
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"deadline of 0\.5 s"):
        client(tmp_path, deadline_s=0.5, timeout_s=0.3).get_bytes(http_server.url("/slow"))
    assert time.monotonic() - started < 10


def test_endless_body_is_cut_at_the_size_cap(http_server: FixtureServer, tmp_path: Path) -> None:
    http_server.route("/endless", Reply(endless=True))
    with pytest.raises(FetchError, match=r"more than the limit of 1.0 MiB.*max_bytes"):
        client(tmp_path, max_bytes=1 << 20).get_json(http_server.url("/endless"))
    assert not any((tmp_path / "cache").rglob("*"))
    dest = tmp_path / "out" / "f.zip"
    with pytest.raises(FetchError, match="GEO_MAX_DOWNLOAD_BYTES"):
        client(tmp_path, max_bytes=1 << 20).download(http_server.url("/endless"), dest)
    assert list(dest.parent.iterdir()) == []  # the streamed part file is gone


def test_announced_size_over_the_cap_is_refused_before_reading(
    http_server: FixtureServer, tmp_path: Path
) -> None:
    http_server.route("/big", Reply(body=b"x" * 5000))
    with pytest.raises(FetchError, match=r"announces 4.9 KiB, more than the limit of 1.0 KiB"):
        client(tmp_path, max_bytes=1024).get_bytes(http_server.url("/big"))


def test_size_cap_from_the_environment(
    http_server: FixtureServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    http_server.route("/big", Reply(body=b"x" * 5000))
    monkeypatch.setenv("GEO_MAX_DOWNLOAD_BYTES", "2048")
    with pytest.raises(FetchError, match=r"limit of 2\.0 KiB"):
        client(tmp_path).get_bytes(http_server.url("/big"))
    monkeypatch.setenv("GEO_MAX_DOWNLOAD_BYTES", "lots")
    with pytest.raises(FetchError, match="GEO_MAX_DOWNLOAD_BYTES='lots' is not a positive number"):
        client(tmp_path)


def test_download_streams_to_disk(http_server: FixtureServer, tmp_path: Path) -> None:
    body = bytes(range(256)) * 4096  # 1 MiB, more than one read
    http_server.route("/f.bin", Reply(body=body))
    dest = client(tmp_path).download(http_server.url("/f.bin"), tmp_path / "d" / "f.bin")
    assert dest.read_bytes() == body and [p.name for p in dest.parent.iterdir()] == ["f.bin"]


@pytest.mark.parametrize(
    "target", ["ftp://127.0.0.1/pub/f.zip", "file:///etc/passwd", "data:,hello"]
)
def test_redirect_out_of_http_is_refused(
    http_server: FixtureServer, tmp_path: Path, sleeps: list[float], target: str
) -> None:
    http_server.route("/r", Reply(status=302, headers={"Location": target}))
    with pytest.raises(FetchError, match="only http and https") as info:
        client(tmp_path).get_bytes(http_server.url("/r"))
    assert isinstance(info.value, GeoError) and sleeps == [] and http_server.hits("/r") == 1
    with pytest.raises(FetchError, match="only http and https"):
        client(tmp_path).download(http_server.url("/r"), tmp_path / "f.zip")
    assert not (tmp_path / "f.zip").exists()


def test_redirect_within_http_is_followed(http_server: FixtureServer, tmp_path: Path) -> None:
    http_server.route("/r", Reply(status=301, headers={"Location": "/final"}))
    http_server.route("/final", Reply(body=b"here"))
    assert client(tmp_path).get_bytes(http_server.url("/r")) == b"here"


def test_redirect_loop_is_a_clear_error(
    http_server: FixtureServer, tmp_path: Path, sleeps: list[float]
) -> None:
    http_server.route("/r", Reply(status=302, headers={"Location": "/r"}))
    with pytest.raises(FetchError, match="redirect refused"):
        client(tmp_path).get_bytes(http_server.url("/r"))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"n": ' + b"9" * 5000 + b"}", r"longer than Python reads \(5000 digits\)"),
        (b'{"a": "\xff"}', "not UTF-8"),
        (b'{"a": "\\udcff"}', "unpaired UTF-16 surrogate"),
    ],
)
def test_hostile_json_bodies_are_clear_errors(
    http_server: FixtureServer, tmp_path: Path, body: bytes, message: str
) -> None:
    http_server.route("/j", [Reply(body=body), Reply.json({"ok": 1})])
    with pytest.raises(FetchError, match=message):
        client(tmp_path).get_json(http_server.url("/j"))
    assert client(tmp_path).get_json(http_server.url("/j")) == {"ok": 1}  # nothing was cached


@pytest.mark.parametrize(
    ("location", "url_path"),
    [("http://[::1", "/r"), (None, "/a b"), (None, "/a\x00b")],
)
def test_malformed_urls_and_redirects_are_clear_errors(
    http_server: FixtureServer, tmp_path: Path, sleeps: list[float], location: Any, url_path: str
) -> None:
    if location:
        http_server.route(url_path, Reply(status=302, headers={"Location": location}))
    with pytest.raises(FetchError, match="unusable URL or answer") as info:
        client(tmp_path).get_bytes(http_server.url(url_path))
    assert sleeps == [] and info.value.attempts == 1


def test_too_many_headers_is_retried_then_clear(
    http_server: FixtureServer, tmp_path: Path, sleeps: list[float]
) -> None:
    headers = {f"X-Junk-{i}": "1" for i in range(150)}
    http_server.route("/h", [Reply(body=b"{}", headers=headers), Reply(body=b"ok")])
    assert client(tmp_path).get_bytes(http_server.url("/h")) == b"ok"
    http_server.route("/h2", Reply(body=b"{}", headers=headers))
    with pytest.raises(
        FetchError, match=r"failed after 2 attempts \(last: connection error: got more"
    ):
        client(tmp_path, retries=1).get_bytes(http_server.url("/h2"))
