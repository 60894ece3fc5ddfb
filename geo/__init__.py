"""geo: load, diff and map dated territorial-control polygons."""

from __future__ import annotations

__version__ = "0.1.0"
