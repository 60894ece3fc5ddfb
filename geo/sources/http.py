"""The one HTTP layer every remote source goes through.

Every call has a timeout; 5xx, 429, timeouts and dropped connections are
retried with exponential backoff (a ``Retry-After`` header wins, capped at
:data:`MAX_RETRY_AFTER_S`); requests are spaced by a polite minimum interval
and carry a user agent naming ``geo`` and its version. Responses are cached
under ``user_cache_path("geo")/"http"`` keyed by the SHA-256 of the URL and
its sorted parameters; with ``offline=True`` only the cache is read. Bodies
shorter than their ``Content-Length`` are errors and never cached; cache
files and downloads are written atomically, so a failed or interrupted
transfer leaves nothing half-written.
"""

from __future__ import annotations

import email.utils
import hashlib
import http.client
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import platformdirs

from geo.errors import FetchError, HashMismatchError, OfflineError
from geo.fsutil import write_atomic
from geo.progress import Progress, progress_meter, show_progress

logger = logging.getLogger(__name__)

MAX_RETRY_AFTER_S = 120.0
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
    """Seconds to wait from a ``Retry-After`` header (seconds or HTTP date), capped.

    Parameters
    ----------
    value
        The header value, or None.
    now
        Current Unix time (default: ``time.time()``).
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
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


class _RetryableError(Exception):
    def __init__(self, reason: str, *, status: int | None = None, wait_s: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.wait_s = wait_s


class HttpClient:
    """Fetch URLs with timeouts, retries, a rate limit, a cache and an offline mode.

    Parameters
    ----------
    cache_dir
        Cache folder (default :func:`default_cache_dir`).
    offline
        Read only the cache; a miss raises :class:`OfflineError`.
    timeout_s
        Timeout of each connect and read.
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
    ) -> None:
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.offline = offline
        self.timeout_s = timeout_s
        self.retries = max(0, retries)
        self.backoff_s = backoff_s
        self.min_interval_s = min_interval_s
        self.user_agent = user_agent or default_user_agent()
        self.progress = progress
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
            Failed after all retries, or a 4xx status.
        """
        cached = self._cached(url, params, cache=cache and not fresh)
        if cached is not None:
            return cached
        body = self._fetch(full_url(url, params))
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
            As :meth:`get_bytes`, or the body is not valid JSON.
        """
        target = full_url(url, params)
        cached = self._cached(url, params, cache=cache and not fresh)
        body = cached if cached is not None else self._fetch(target)
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            if cached is not None:
                self._cache_path(url, params).unlink(missing_ok=True)
            msg = (
                f"{target} did not return valid JSON ({err}; body starts {body[:80]!r}); "
                "check the URL points at a JSON API, or retry later"
            )
            raise FetchError(
                msg,
                url=target,
            ) from err
        if (cache or fresh) and cached is None:
            self._store(url, params, body)
        return data

    def download(self, url: str, dest: Path, *, sha256: str | None = None) -> Path:
        """Download ``url`` to ``dest`` atomically, verifying ``sha256`` if given.

        An existing ``dest`` with the expected hash is kept without a request.
        Offline, the HTTP cache is used if it holds the URL.

        Raises
        ------
        HashMismatchError
            The body's SHA-256 is not ``sha256`` (nothing is written).
        OfflineError
            Offline and neither ``dest`` nor the cache holds the file.
        FetchError
            The download failed.
        """
        dest = Path(dest)
        want = sha256.lower() if sha256 else None
        if want and dest.is_file() and _sha256_file(dest) == want:
            return dest
        body = self._cached(url, None, cache=True) if self.offline else None
        if body is None:
            if self.offline:
                msg = (
                    f"offline: {url} is not in the cache {self.cache_dir}; "
                    "run once with offline=False, or pass a local file instead"
                )
                raise OfflineError(
                    msg,
                    url=url,
                )
            body = self._fetch(url)
        got = hashlib.sha256(body).hexdigest()
        if want and got != want:
            msg = (
                f"{url}: SHA-256 {got} but expected {want}; the file changed upstream or was "
                "corrupted in transit; nothing was written. Retry, or update the pinned hash "
                "if the publisher released a new version"
            )
            raise HashMismatchError(
                msg,
                url=url,
            )
        write_atomic(dest, lambda handle: handle.write(body))
        return dest

    def forget(self, url: str, *, params: Mapping[str, str] | None = None) -> None:
        """Drop ``url`` from the cache (a body that parsed as JSON but proved unusable)."""
        self._cache_path(url, params).unlink(missing_ok=True)

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
            write_atomic(self._cache_path(url, params), lambda handle: handle.write(body))
        except OSError as err:  # a cache we cannot write only costs a refetch
            logger.warning("cannot write HTTP cache %s: %s", self.cache_dir, err)

    # --- network -----------------------------------------------------------------

    def _pace(self) -> None:
        if self._last_request is not None:
            wait = self.min_interval_s - (_monotonic() - self._last_request)
            if wait > 0:
                _sleep(wait)
        self._last_request = _monotonic()

    def _fetch(self, url: str) -> bytes:
        attempts = self.retries + 1
        last: _RetryableError | None = None
        for attempt in range(1, attempts + 1):
            if last is not None:
                backoff = min(self.backoff_s * 2 ** (attempt - 2), MAX_BACKOFF_S)
                _sleep(last.wait_s if last.wait_s is not None else backoff)
            try:
                return self._once(url, attempt)
            except _RetryableError as err:
                last = err
        assert last is not None
        status = f"HTTP {last.status}" if last.status else last.reason
        msg = (
            f"{url}: failed after {attempts} attempts (last: {status}: {last.reason}); "
            "the server may be down or rate-limiting: retry later, or use offline=True "
            "with a filled cache"
        )
        raise FetchError(
            msg,
            url=url,
            status=last.status,
            attempts=attempts,
        )

    def _once(self, url: str, attempt: int) -> bytes:
        self._pace()
        self.requests += 1
        if urllib.parse.urlsplit(url).scheme not in {"http", "https"}:
            msg = f"{url}: only http and https URLs are fetched; fix the URL"
            raise FetchError(msg, url=url)
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
                expected = response.headers.get("Content-Length")
                body = self._read(response, expected, url)
        except urllib.error.HTTPError as err:
            if err.code in _RETRY_STATUS:
                wait = retry_after_s(err.headers.get("Retry-After")) if err.headers else None
                raise _RetryableError(str(err.reason), status=err.code, wait_s=wait) from err
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
        except urllib.error.URLError as err:
            if isinstance(err.reason, str | OSError):
                msg = f"connection failed: {err.reason}"
                raise _RetryableError(msg) from err
            msg = f"{url}: {err.reason}; check the URL"
            raise FetchError(msg, url=url) from err
        except http.client.IncompleteRead as err:
            msg = f"truncated body ({len(err.partial)} bytes, more expected)"
            raise _RetryableError(msg) from err
        except TimeoutError as err:
            msg = f"timed out after {self.timeout_s:g} s"
            raise _RetryableError(msg) from err
        except (ConnectionError, http.client.HTTPException, OSError) as err:
            msg = f"connection error: {err}"
            raise _RetryableError(msg) from err
        if expected is not None and expected.isdigit() and int(expected) != len(body):
            msg = f"truncated body ({len(body)} of {expected} bytes)"
            raise _RetryableError(msg)
        return body

    def _read(self, response: Any, expected: str | None, url: str) -> bytes:
        total = int(expected) if expected and expected.isdigit() else None
        big = total is not None and total >= PROGRESS_MIN_BYTES
        name = urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1] or url
        chunks: list[bytes] = []
        show = show_progress(self.progress) and big
        meter = progress_meter(progress=show, desc=name, unit="B", total=total, unit_scale=True)
        with meter as bar:
            while chunk := response.read(_CHUNK):
                chunks.append(chunk)
                bar.update(len(chunk))
        return b"".join(chunks)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
