"""The one HTTP layer every remote source goes through.

Every call has a timeout per socket read and an overall deadline
(``deadline_s``, retries and waits included; a watchdog shuts the socket when
it passes, so a server that trickles bytes cannot hold a request open). 5xx,
429, timeouts and dropped connections are retried with exponential backoff;
a ``Retry-After`` header wins, but one longer than ``max_retry_after_s`` ends
the request at once. Bodies are capped at ``max_bytes`` (an endless body is
cut off, never read into memory whole); downloads stream to a temporary file
next to their target. Only http and https are fetched, on every redirect hop
too. Requests are spaced by a polite minimum interval and carry a user agent
naming ``geo`` and its version. Responses are cached under
``user_cache_path("geo")/"http"`` keyed by the SHA-256 of the URL and its
sorted parameters; with ``offline=True`` only the cache is read. Bodies
shorter than their ``Content-Length`` are errors and never cached; cache
files and downloads are written atomically, so a failed or interrupted
transfer leaves nothing half-written. Defaults of the limits: :mod:`geo.limits`.
"""

from __future__ import annotations

import contextlib
import email.utils
import functools
import hashlib
import http.client
import io
import logging
import os
import secrets
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import platformdirs

from geo import limits
from geo.errors import (
    FetchError,
    GeoError,
    HashMismatchError,
    InputFormatError,
    OfflineError,
    OutputError,
)
from geo.fsutil import write_atomic
from geo.limits import size_text
from geo.progress import Progress, progress_meter, show_progress
from geo.text import one_line

logger = logging.getLogger(__name__)

#: Default of ``max_retry_after_s`` (see :mod:`geo.limits`).
MAX_RETRY_AFTER_S = limits.MAX_RETRY_AFTER_S
MAX_BACKOFF_S = 60.0
#: Bodies at least this large get a progress bar (when the client's ``progress`` allows one).
PROGRESS_MIN_BYTES = 1 << 20
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_CHUNK = 1 << 16

# Tests replace these to make retries instant and deterministic.
_sleep = time.sleep
_monotonic = time.monotonic


def default_cache_dir() -> Path:
    """Return the HTTP cache folder: ``<user cache folder>/geo/http``."""
    return platformdirs.user_cache_path("geo") / "http"


def default_user_agent() -> str:
    """``geo/<version> (+https://github.com/...)``-style user agent naming geo."""
    try:
        from importlib.metadata import version

        ver = version("geo")
    except Exception:  # not installed: still name geo
        ver = "0"
    return f"geo/{ver} (OSINT territorial-control tool; Python-urllib)"


def full_url(url: str, params: Mapping[str, str] | None = None) -> str:
    """``url`` with ``params`` (sorted) appended to its query string."""
    if not params:
        return url
    query = urllib.parse.urlencode(sorted(params.items()))
    return f"{url}{'&' if '?' in url else '?'}{query}"


def cache_key(url: str, params: Mapping[str, str] | None = None) -> str:
    """SHA-256 hex of the URL plus its sorted parameters."""
    return hashlib.sha256(full_url(url, params).encode("utf-8")).hexdigest()


def retry_after_s(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or HTTP date), at least 0.

    Parameters
    ----------
    value
        The header value, or None.
    now
        Current Unix time (default: ``time.time()``).

    Returns
    -------
    float or None
        ``None`` when the header is absent or unreadable. The caller decides
        whether a long wait is worth it (:class:`HttpClient` gives up instead).
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    return max(seconds, 0.0) if seconds == seconds else None  # NaN: unreadable


class _RetryableError(Exception):
    def __init__(self, reason: str, *, status: int | None = None, wait_s: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.wait_s = wait_s


class _Watchdog:
    """Shut a request's sockets down when its deadline passes.

    A socket timeout bounds each read only: a server sending one byte a second
    keeps every read short and the request alive for ever. Shutting the socket
    down from this timer thread ends any read in progress at once.
    """

    def __init__(self, seconds: float) -> None:
        self.expired = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0.0), self._expire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired.is_set():
                _shutdown(sock)

    def _expire(self) -> None:
        self.expired.set()
        with self._lock:
            for sock in self._sockets:
                _shutdown(sock)

    def cancel(self) -> None:
        self._timer.cancel()


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _watch_sockets(connection: Any, watchdog: _Watchdog) -> None:
    """Hand every socket ``connection`` opens to ``watchdog`` (before TLS wraps it)."""
    create = connection._create_connection

    def create_watched(*args: Any, **kwargs: Any) -> socket.socket:
        sock: socket.socket = create(*args, **kwargs)
        watchdog.watch(sock)  # a slow TLS handshake is cut off too
        return sock

    connection._create_connection = create_watched


class _WatchedHTTP(http.client.HTTPConnection):
    def __init__(self, *args: Any, watchdog: _Watchdog, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _watch_sockets(self, watchdog)


class _WatchedHTTPS(http.client.HTTPSConnection):
    def __init__(self, *args: Any, watchdog: _Watchdog, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _watch_sockets(self, watchdog)


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, watchdog: _Watchdog) -> None:
        super().__init__()
        self._watchdog = watchdog

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_WatchedHTTP, watchdog=self._watchdog), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, watchdog: _Watchdog) -> None:
        super().__init__()
        self._watchdog = watchdog

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connection = functools.partial(_WatchedHTTPS, watchdog=self._watchdog)
        return self.do_open(connection, req, context=self._context)  # type: ignore[attr-defined]


class _RedirectHandler(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http and https only (never ftp://, file://, ...)."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urllib.parse.urlsplit(newurl).scheme.lower() not in {"http", "https"}:
            raise _RedirectRefusedError(req.full_url, newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _RedirectRefusedError(Exception):
    def __init__(self, url: str, target: str) -> None:
        super().__init__(target)
        self.url = url
        self.target = target


def _opener(watchdog: _Watchdog) -> urllib.request.OpenerDirector:
    """Return an opener of http and https only (no ftp, file or data handlers), sockets watched."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.UnknownHandler(),
        _HTTPHandler(watchdog),
        _HTTPSHandler(watchdog),
        urllib.request.HTTPDefaultErrorHandler(),
        _RedirectHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


class HttpClient:
    """Fetch URLs with a deadline, size cap, retries, rate limit, cache and offline mode.

    Parameters
    ----------
    cache_dir
        Cache folder (default :func:`default_cache_dir`).
    offline
        Read only the cache; a miss raises :class:`OfflineError`.
    timeout_s
        Timeout of each connect and each socket read.
    retries
        Retries after the first attempt on 5xx, 429, timeouts and resets.
    backoff_s
        First backoff; doubled on each retry.
    min_interval_s
        Minimum seconds between two requests (politeness).
    user_agent
        User-Agent header (default :func:`default_user_agent`).
    progress
        A bar on stderr for bodies over :data:`PROGRESS_MIN_BYTES`: ``None`` (default)
        when stderr is a terminal, ``True`` always, ``False`` never.
    deadline_s
        Seconds one call (:meth:`get_bytes`, :meth:`get_json`, :meth:`download`)
        may take in all, retries and waits included (default
        :func:`geo.limits.http_deadline_s`: 600, or ``$GEO_HTTP_DEADLINE_S``).
    max_bytes
        Largest body accepted (default :func:`geo.limits.max_download_bytes`:
        1 GiB, or ``$GEO_MAX_DOWNLOAD_BYTES``).
    max_retry_after_s
        Longest ``Retry-After`` obeyed; a server asking for more ends the call
        (default :func:`geo.limits.max_retry_after_s`: 120, or ``$GEO_MAX_RETRY_AFTER_S``).
    """

    def __init__(
        self,
        *,
        cache_dir: Path | None = None,
        offline: bool = False,
        timeout_s: float = 30.0,
        retries: int = 4,
        backoff_s: float = 0.5,
        min_interval_s: float = 0.2,
        user_agent: str | None = None,
        progress: Progress = None,
        deadline_s: float | None = None,
        max_bytes: int | None = None,
        max_retry_after_s: float | None = None,
    ) -> None:
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.offline = offline
        self.timeout_s = timeout_s
        self.retries = max(0, retries)
        self.backoff_s = backoff_s
        self.min_interval_s = min_interval_s
        self.user_agent = user_agent or default_user_agent()
        self.progress = progress
        try:
            self.deadline_s = limits.http_deadline_s() if deadline_s is None else deadline_s
            self.max_bytes = limits.max_download_bytes() if max_bytes is None else max_bytes
            self.max_retry_after_s = (
                limits.max_retry_after_s() if max_retry_after_s is None else max_retry_after_s
            )
        except InputFormatError as exc:  # a bad environment variable
            raise FetchError(str(exc)) from exc
        self.requests = 0  # network requests made, for reports and tests
        self._last_request: float | None = None

    # --- public API -------------------------------------------------------------

    def get_bytes(
        self,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        cache: bool = True,
        fresh: bool = False,
    ) -> bytes:
        """Return the body of ``url``, from the cache when present.

        Parameters
        ----------
        url
            The URL.
        params
            Query parameters added to the URL (sorted).
        cache
            Read and write the cache (offline mode reads it regardless).
        fresh
            Online, always ask the server and refresh the cache (for listings
            that change); offline, the cached copy is still served.

        Raises
        ------
        OfflineError
            Offline and not cached.
        FetchError
            Failed after all retries, a 4xx status, the deadline passed, the
            body is larger than ``max_bytes``, or a redirect left http/https.
        """
        cached = self._cached(url, params, cache=cache and not fresh)
        if cached is not None:
            return cached
        body = self._fetch_bytes(full_url(url, params))
        if cache or fresh:
            self._store(url, params, body)
        return body

    def get_json(
        self,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        cache: bool = True,
        fresh: bool = False,
    ) -> Any:
        """Return the parsed JSON body of ``url``; malformed JSON is an error and not cached.

        ``cache`` and ``fresh`` are as for :meth:`get_bytes`.

        Raises
        ------
        FetchError
            As :meth:`get_bytes`, or the body is not valid JSON (also: nested
            too deeply, or a number too long for Python).
        """
        target = full_url(url, params)
        cached = self._cached(url, params, cache=cache and not fresh)
        body = cached if cached is not None else self._fetch_bytes(target)
        try:
            data = limits.parse_json(body, where=target)
        except InputFormatError as err:
            if cached is not None:
                self._cache_path(url, params).unlink(missing_ok=True)
            msg = (
                f"{err} (body starts {body[:80]!r}); check the URL points at a JSON API, "
                "or retry later"
            )
            raise FetchError(msg, url=target) from err
        if (cache or fresh) and cached is None:
            self._store(url, params, body)
        return data

    def download(self, url: str, dest: Path, *, sha256: str | None = None) -> Path:
        """Download ``url`` to ``dest`` atomically, verifying ``sha256`` if given.

        The body streams to a temporary file next to ``dest`` (never whole in
        memory) and is renamed into place once complete and verified. An
        existing ``dest`` with the expected hash is kept without a request.
        Offline, the HTTP cache is used if it holds the URL.

        Raises
        ------
        HashMismatchError
            The body's SHA-256 is not ``sha256`` (nothing is written).
        OfflineError
            Offline and neither ``dest`` nor the cache holds the file.
        FetchError
            The download failed (as for :meth:`get_bytes`).
        """
        dest = Path(dest)
        want = sha256.lower() if sha256 else None
        if want and dest.is_file() and _sha256_file(dest) == want:
            return dest
        if self.offline:
            body = self._cached(url, None, cache=True)
            if body is None:
                msg = (
                    f"offline: {url} is not in the cache {self.cache_dir}; "
                    "run once with offline=False, or pass a local file instead"
                )
                raise OfflineError(msg, url=url)
            self._check_hash(url, hashlib.sha256(body).hexdigest(), want)
            write_atomic(dest, lambda handle: handle.write(body))
            return dest
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            part = dest.with_name(f".{dest.name}.{secrets.token_hex(6)}.part")
            sink = part.open("xb")
        except OSError as err:
            reason = err.strerror or str(err)
            msg = f"cannot write {dest}: {reason}; pass a destination in a folder you can write to"
            raise OutputError(msg, path=str(dest), reason=reason) from err
        try:
            with sink:
                self._fetch(url, sink)
                sink.flush()
                os.fsync(sink.fileno())
            self._check_hash(url, _sha256_file(part), want)
            os.replace(part, dest)  # noqa: PTH105 - one rename, as in geo.fsutil
        finally:
            part.unlink(missing_ok=True)
        return dest

    def forget(self, url: str, *, params: Mapping[str, str] | None = None) -> None:
        """Drop ``url`` from the cache (a body that parsed as JSON but proved unusable)."""
        self._cache_path(url, params).unlink(missing_ok=True)

    @staticmethod
    def _check_hash(url: str, got: str, want: str | None) -> None:
        if want and got != want:
            msg = (
                f"{url}: SHA-256 {got} but expected {want}; the file changed upstream or was "
                "corrupted in transit; nothing was written. Retry, or update the pinned hash "
                "if the publisher released a new version"
            )
            raise HashMismatchError(msg, url=url)

    # --- cache -------------------------------------------------------------------

    def _cache_path(self, url: str, params: Mapping[str, str] | None) -> Path:
        key = cache_key(url, params)
        return self.cache_dir / key[:2] / key

    def _cached(self, url: str, params: Mapping[str, str] | None, *, cache: bool) -> bytes | None:
        path = self._cache_path(url, params)
        if (cache or self.offline) and path.is_file():
            return path.read_bytes()
        if self.offline:
            msg = (
                f"offline: {full_url(url, params)} is not in the cache {self.cache_dir}; "
                "run once with offline=False to fill the cache"
            )
            raise OfflineError(
                msg,
                url=full_url(url, params),
            )
        return None

    def _store(self, url: str, params: Mapping[str, str] | None, body: bytes) -> None:
        try:
            write_atomic(
                self._cache_path(url, params),
                lambda handle: handle.write(body),
                follow_links=False,
            )
        except (OSError, GeoError) as err:  # a cache we cannot write only costs a refetch
            logger.warning("cannot write HTTP cache %s: %s", self.cache_dir, err)

    # --- network -----------------------------------------------------------------

    def _pace(self) -> None:
        if self._last_request is not None:
            wait = self.min_interval_s - (_monotonic() - self._last_request)
            if wait > 0:
                _sleep(wait)
        self._last_request = _monotonic()

    def _fetch_bytes(self, url: str) -> bytes:
        sink = io.BytesIO()
        self._fetch(url, sink)
        return sink.getvalue()

    def _fetch(self, url: str, sink: IO[bytes]) -> None:
        """Write the body of ``url`` into ``sink``, retrying; the sink is emptied per attempt."""
        deadline = _monotonic() + self.deadline_s
        attempts = self.retries + 1
        last: _RetryableError | None = None
        for attempt in range(1, attempts + 1):
            if last is not None:
                backoff = min(self.backoff_s * 2 ** (attempt - 2), MAX_BACKOFF_S)
                wait = last.wait_s if last.wait_s is not None else backoff
                if _monotonic() + wait >= deadline:
                    raise self._too_late(url, attempt - 1, f"last: {last.reason}")
                _sleep(wait)
            sink.seek(0)
            sink.truncate()
            try:
                self._once(url, attempt, sink, deadline)
                return
            except _RetryableError as err:
                last = err
        assert last is not None
        detail = f"HTTP {last.status}: {last.reason}" if last.status else last.reason
        msg = (
            f"{url}: failed after {attempts} attempts (last: {detail}); "
            "the server may be down or rate-limiting: retry later, or use offline=True "
            "with a filled cache"
        )
        raise FetchError(
            msg,
            url=url,
            status=last.status,
            attempts=attempts,
        )

    def _too_late(self, url: str, attempts: int, detail: str) -> FetchError:
        msg = (
            f"{url}: no complete answer within the deadline of {self.deadline_s:g} s "
            f"({attempts} attempt{'' if attempts == 1 else 's'}; {detail}); the server is too "
            "slow or never ends its answer: retry later, or pass a longer deadline_s "
            "($GEO_HTTP_DEADLINE_S)"
        )
        return FetchError(msg, url=url, attempts=attempts)

    def _once(self, url: str, attempt: int, sink: IO[bytes], deadline: float) -> None:
        self._pace()
        self.requests += 1
        if urllib.parse.urlsplit(url).scheme.lower() not in {"http", "https"}:
            msg = f"{url}: only http and https URLs are fetched; fix the URL"
            raise FetchError(msg, url=url)
        remaining = deadline - _monotonic()
        if remaining <= 0:
            raise self._too_late(url, attempt - 1, "no time left for another attempt")
        watchdog = _Watchdog(remaining)
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent})  # noqa: S310
        expected: str | None = None
        try:
            timeout = min(self.timeout_s, remaining)
            with _opener(watchdog).open(request, timeout=timeout) as response:
                expected = response.headers.get("Content-Length")
                n_bytes = self._read(response, expected, url, sink, watchdog)
        except _RedirectRefusedError as err:
            msg = (
                f"{url}: the server redirects to {err.target}; only http and https are "
                "followed, so nothing was fetched. Ask the publisher for an http(s) URL"
            )
            raise FetchError(msg, url=url, attempts=attempt) from None
        except urllib.error.HTTPError as err:
            if watchdog.expired.is_set():
                raise self._too_late(url, attempt, "cut off") from None
            if err.code in _RETRY_STATUS:
                wait = retry_after_s(err.headers.get("Retry-After")) if err.headers else None
                if wait is not None and wait > self.max_retry_after_s:
                    msg = (
                        f"{url}: HTTP {err.code}: the server asks to wait {wait:,.0f} s before "
                        f"asking again (Retry-After), longer than max_retry_after_s="
                        f"{self.max_retry_after_s:g} s ($GEO_MAX_RETRY_AFTER_S); retry later"
                    )
                    raise FetchError(msg, url=url, status=err.code, attempts=attempt) from None
                raise _RetryableError(str(err.reason), status=err.code, wait_s=wait) from err
            if 300 <= err.code < 400:
                msg = (
                    f"{url}: HTTP {err.code} redirect refused ({err.reason}); only http and "
                    "https redirects are followed, at most 10. Ask the publisher for a direct URL"
                )
            else:
                msg = (
                    f"{url}: HTTP {err.code} {err.reason} (attempt {attempt}); "
                    "check the URL (4xx errors are not retried)"
                )
            raise FetchError(
                msg,
                url=url,
                status=err.code,
                attempts=attempt,
            ) from err
        except GeoError:
            raise
        except (http.client.InvalidURL, ValueError) as err:  # also from a redirect's Location
            msg = f"{url}: unusable URL or answer ({one_line(err)}); check the URL"
            raise FetchError(msg, url=url, attempts=attempt) from None
        except urllib.error.URLError as err:
            if watchdog.expired.is_set():
                raise self._too_late(url, attempt, "cut off") from None
            if isinstance(err.reason, str | OSError):
                msg = f"connection failed: {err.reason}"
                raise _RetryableError(msg) from err
            msg = f"{url}: {err.reason}; check the URL"
            raise FetchError(msg, url=url) from err
        except (http.client.HTTPException, OSError) as err:
            if watchdog.expired.is_set():
                raise self._too_late(url, attempt, "cut off") from None
            if isinstance(err, http.client.IncompleteRead):
                msg = f"truncated body ({len(err.partial)} bytes, more expected)"
            elif isinstance(err, TimeoutError):
                msg = f"timed out after {self.timeout_s:g} s"
            else:
                msg = f"connection error: {err}"
            raise _RetryableError(msg) from err
        finally:
            watchdog.cancel()
        if watchdog.expired.is_set():
            raise self._too_late(url, attempt, f"cut off after {size_text(n_bytes)}")
        if expected is not None and expected.isdigit() and int(expected) != n_bytes:
            msg = f"truncated body ({n_bytes} of {expected} bytes)"
            raise _RetryableError(msg)

    def _read(
        self, response: Any, expected: str | None, url: str, sink: IO[bytes], watchdog: _Watchdog
    ) -> int:
        """Copy the body into ``sink`` chunk by chunk; return its length in bytes."""
        total = int(expected) if expected and expected.isdigit() else None
        if total is not None and total > self.max_bytes:
            raise self._too_large(url, f"announces {size_text(total)}")
        big = total is not None and total >= PROGRESS_MIN_BYTES
        name = one_line(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1] or url)[:40]
        n_bytes = 0
        show = show_progress(self.progress) and big
        meter = progress_meter(progress=show, desc=name, unit="B", total=total, unit_scale=True)
        with meter as bar:
            # read1: one socket read per call, so the deadline is checked between reads
            while chunk := response.read1(_CHUNK):
                n_bytes += len(chunk)
                if n_bytes > self.max_bytes:
                    raise self._too_large(url, f"sent more than {size_text(self.max_bytes)}")
                sink.write(chunk)
                bar.update(len(chunk))
                if watchdog.expired.is_set():
                    break
        return n_bytes

    def _too_large(self, url: str, detail: str) -> FetchError:
        msg = (
            f"{url}: the response {detail}, more than the limit of {size_text(self.max_bytes)}; "
            "nothing was kept. If the file is really that large, pass a larger max_bytes "
            "($GEO_MAX_DOWNLOAD_BYTES)"
        )
        return FetchError(msg, url=url)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
