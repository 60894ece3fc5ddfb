"""Maps and charts: the views of snapshots, diffs and series."""
