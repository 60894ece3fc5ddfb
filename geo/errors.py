"""Error classes raised by ``geo``, all in one place.

Every error a user can cause with bad input is a :class:`GeoError`; the CLI
prints its message on one line and exits non-zero. Messages name the file, the
feature and the fix, in Python terms (``pass source=``); the CLI translates
them to its flags. Each class is also the builtin exception it refines
(``InputFormatError`` is a ``ValueError``), so callers that know nothing of
``geo`` can still catch what they expect.
"""

from __future__ import annotations

__all__ = [
    "ArchiveError",
    "AssetError",
    "BasemapError",
    "CRSError",
    "DateError",
    "DeepStateApiError",
    "DuplicateSnapshotError",
    "EncoderError",
    "FeatureServerError",
    "FetchError",
    "GeoError",
    "HashMismatchError",
    "InputFormatError",
    "LayerError",
    "MissingAssetError",
    "MissingDependencyError",
    "OfflineError",
    "OutputError",
    "PlaceError",
    "RegionError",
    "SnapshotNotFoundError",
    "StoreError",
    "TermsNotAcceptedError",
    "UnknownAssetError",
    "ValidationError",
]


class GeoError(Exception):
    """Base class of every error ``geo`` raises on purpose."""


# Input files ------------------------------------------------------------------


class InputFormatError(GeoError, ValueError):
    """A file cannot be read: unknown format, corrupt content, no polygons."""


class ArchiveError(InputFormatError):
    """An archive is unsafe (path traversal, zip bomb) or unusable."""


class DateError(GeoError, ValueError):
    """A snapshot date is missing, ambiguous or impossible."""


class CRSError(GeoError, ValueError):
    """Coordinates cannot be put into EPSG:4326 (unknown or wrong CRS)."""


class LayerError(GeoError, ValueError):
    """A layer name is unknown where a canonical layer is required."""


class RegionError(GeoError, ValueError):
    """A region name or code cannot be resolved, or a boundary file is unusable."""


class PlaceError(GeoError, LookupError):
    """A place name or GeoNames id matches no place of the gazetteer, or several."""


class ValidationError(GeoError, ValueError):
    """Several problems found at once; ``problems`` lists each one."""

    def __init__(self, message: str, problems: list[str]) -> None:
        self.problems = list(problems)
        detail = "; ".join(self.problems)
        super().__init__(f"{message}: {detail}" if detail else message)


# Output files -----------------------------------------------------------------


class OutputError(GeoError, OSError):
    """A file cannot be written (no such folder, a folder in the way, no permission, disk full).

    Attributes
    ----------
    path
        The file that could not be written.
    reason
        What the system said (``"Permission denied"``, ...).
    """

    def __init__(self, message: str, *, path: str = "", reason: str = "") -> None:
        super().__init__(message)
        self.path = path
        self.reason = reason


# The store --------------------------------------------------------------------


class StoreError(GeoError, RuntimeError):
    """The snapshot store is missing, corrupt, or a request cannot be met."""


class SnapshotNotFoundError(StoreError, LookupError):
    """No snapshot in the store matches the request."""


class DuplicateSnapshotError(StoreError, ValueError):
    """Two inputs give different content for the same (source, layer, date)."""


# Remote sources ---------------------------------------------------------------


class FetchError(GeoError, ConnectionError):
    """A URL could not be fetched; the message names URL, status, attempts and the fix.

    Parameters
    ----------
    message
        What went wrong and the fix.
    url
        The URL asked for.
    status
        The last HTTP status, if a response came.
    attempts
        How many requests were made.
    """

    def __init__(
        self, message: str, *, url: str = "", status: int | None = None, attempts: int = 0
    ) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.attempts = attempts


class OfflineError(FetchError):
    """Offline mode and the response is not in the cache."""


class HashMismatchError(FetchError):
    """A download's SHA-256 differs from the expected one."""


class FeatureServerError(FetchError):
    """An ArcGIS layer cannot be loaded completely (a page failed or is malformed)."""


class DeepStateApiError(FetchError):
    """The DeepState API answered something unusable, or a fetch run stopped."""


class TermsNotAcceptedError(GeoError, PermissionError):
    """DeepStateMap's terms have not been accepted yet."""


# Rendering --------------------------------------------------------------------


class AssetError(GeoError, RuntimeError):
    """A page asset (JS/CSS) cannot be fetched, found or inlined."""


class MissingAssetError(AssetError, LookupError):
    """A known asset is not in the local cache yet."""


class UnknownAssetError(AssetError, LookupError):
    """A page references external files that no registry entry provides."""


class BasemapError(GeoError, ValueError):
    """A basemap name is unknown or needs a key that was not given."""


class MissingDependencyError(GeoError, ImportError):
    """An optional dependency is not installed; the message names what to install."""


class EncoderError(GeoError, RuntimeError):
    """A video encoder failed; the message names the file and what the encoder said."""
