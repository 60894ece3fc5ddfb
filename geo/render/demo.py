"""The demo: the bundled synthetic sample, ingested and mapped (``geo demo``)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from geo.io import read_many
from geo.regions import load_regions
from geo.render.assets import save_html
from geo.render.snapshot import DEFAULT_TILES, snapshot_map
from geo.sample import (
    SAMPLE_NOTICE,
    SAMPLE_SOURCE,
    sample_control_files,
    sample_regions_file,
)
from geo.store import Store, open_store

DEFAULT_DEMO_PATH = Path("geo-demo.html")


def write_demo(
    path: str | Path | None = None,
    *,
    store: str | Path | None = None,
    tiles: str | None = DEFAULT_TILES,
    offline: bool = False,
) -> Path:
    """Ingest the synthetic sample and write a map of its latest date.

    Parameters
    ----------
    path
        Where to write the HTML map (default ``geo-demo.html`` in the
        current folder).
    store
        Store to ingest the sample into; default a temporary store that is
        removed afterwards, so the user's own store is untouched.
    tiles
        Basemap name (see :func:`geo.render.snapshot.tile_layer`) or ``None``.
    offline
        Inline every JS/CSS asset so the page opens with no network (the
        basemap still needs the network; pass ``tiles=None`` for none).

    Returns
    -------
    Path
        The map written. It says "synthetic sample data" in a banner.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from geo.render import write_demo
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     page = write_demo(Path(folder) / "demo.html", tiles=None).read_text(encoding="utf-8")
    >>> "SYNTHETIC SAMPLE DATA" in page
    True
    """
    target = Path(path) if path is not None else DEFAULT_DEMO_PATH
    if store is not None:
        return _write(target, open_store(store), tiles=tiles, offline=offline)
    with tempfile.TemporaryDirectory(prefix="geo-demo-") as tmp:
        return _write(target, open_store(Path(tmp) / "store"), tiles=tiles, offline=offline)


def _write(target: Path, store: Store, *, tiles: str | None, offline: bool) -> Path:
    result = read_many(sample_control_files(), source=SAMPLE_SOURCE)
    result.raise_for_problems()
    store.ingest(result.snapshots)
    rows = store.snapshots(source=SAMPLE_SOURCE)
    latest = max(rows["date"])
    snapshots = [
        store.get(layer, latest, source=SAMPLE_SOURCE)
        for layer in sorted(set(rows.loc[rows["date"] == latest, "layer"]))
    ]
    regions = load_regions(sample_regions_file())
    fmap = snapshot_map(
        snapshots,
        regions=regions,
        subtitle="geo demo",
        notice=SAMPLE_NOTICE,  # the credit line names the sample too (geo.publishers)
        tiles=tiles,
    )
    return save_html(fmap, target, offline=offline)
