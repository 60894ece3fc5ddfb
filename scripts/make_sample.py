"""Regenerate the bundled synthetic sample in geo/data/sample/.

Usage: python scripts/make_sample.py
"""

from __future__ import annotations

from pathlib import Path

from geo.sample import build_sample

if __name__ == "__main__":
    target = Path(__file__).resolve().parents[1] / "geo" / "data" / "sample"
    for path in build_sample(target):
        print(path)
