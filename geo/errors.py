"""Error classes raised by ``geo``.

Every error a user can cause with bad input is a :class:`GeoError`; the CLI
prints its message on one line and exits non-zero. Messages name the file, the
feature and the fix.
"""

from __future__ import annotations


class GeoError(Exception):
    """Base class of every error ``geo`` raises on purpose."""


class InputFormatError(GeoError):
    """A file cannot be read: unknown format, corrupt content, no polygons."""


class ArchiveError(InputFormatError):
    """An archive is unsafe (path traversal, zip bomb) or unusable."""


class DateError(GeoError):
    """A snapshot date is missing, ambiguous or impossible."""


class CRSError(GeoError):
    """Coordinates cannot be put into EPSG:4326 (unknown or wrong CRS)."""


class LayerError(GeoError):
    """A layer name is unknown where a canonical layer is required."""


class RegionError(GeoError):
    """A region name or code cannot be resolved, or a boundary file is unusable."""


class StoreError(GeoError):
    """The snapshot store is missing, corrupt, or a request cannot be met."""


class SnapshotNotFoundError(StoreError):
    """No snapshot in the store matches the request."""


class DuplicateSnapshotError(StoreError):
    """Two inputs give different content for the same (source, layer, date)."""


class ValidationError(GeoError):
    """Several problems found at once; ``problems`` lists each one."""

    def __init__(self, message: str, problems: list[str]) -> None:
        self.problems = list(problems)
        detail = "; ".join(self.problems)
        super().__init__(f"{message}: {detail}" if detail else message)
