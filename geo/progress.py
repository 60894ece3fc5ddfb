"""Progress bars: one meaning of ``progress=`` across the library.

Every long-running public function takes ``progress: bool | None = None``:
``None`` shows a bar on stderr only when stderr is a terminal, ``True`` always
shows one, ``False`` never does. Bars go to stderr so that stdout stays clean
for CSV and JSON output.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from tqdm import tqdm

__all__ = ["Progress", "progress_bar", "progress_meter", "show_progress"]

T = TypeVar("T")

#: The type of every ``progress=`` argument.
Progress = bool | None


def show_progress(progress: Progress) -> bool:
    """Return whether a bar should be drawn for this ``progress=`` value.

    Examples
    --------
    >>> show_progress(False), show_progress(True)
    (False, True)
    """
    if progress is None:
        return sys.stderr.isatty()
    return bool(progress)


def progress_bar(
    iterable: Iterable[T],
    *,
    progress: Progress,
    desc: str,
    unit: str,
    total: int | None = None,
    **kwargs: Any,
) -> Iterator[T]:
    """Iterate over ``iterable``, with a bar on stderr when ``progress`` asks for one.

    Parameters
    ----------
    iterable
        What to iterate over.
    progress
        ``None`` (a bar when stderr is a terminal), ``True`` or ``False``.
    desc
        Short label before the bar, e.g. ``"reading"``.
    unit
        What one step is, e.g. ``"snapshot"``.
    total
        Number of steps when ``iterable`` has no length.
    **kwargs
        Passed to :class:`tqdm.tqdm`.

    Examples
    --------
    >>> list(progress_bar(range(3), progress=False, desc="counting", unit="n"))
    [0, 1, 2]
    """
    if not show_progress(progress):
        yield from iterable
        return
    kwargs.setdefault("leave", False)
    yield from tqdm(iterable, desc=desc, unit=unit, total=total, file=sys.stderr, **kwargs)


def progress_meter(
    *, progress: Progress, desc: str, unit: str, total: int | None = None, **kwargs: Any
) -> tqdm[Any]:
    """Return a bar on stderr to advance by hand (``update(n)``), silent when ``progress`` says so.

    For progress that is no iteration, such as bytes of a download.

    Parameters
    ----------
    progress
        ``None`` (a bar when stderr is a terminal), ``True`` or ``False``.
    desc, unit, total
        Label, unit of one step and the number of steps (``None`` if unknown).
    **kwargs
        Passed to :class:`tqdm.tqdm`.

    Examples
    --------
    >>> with progress_meter(progress=False, desc="download", unit="B", total=3) as bar:
    ...     bar.update(3)
    >>> bar.disable
    True
    """
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        file=sys.stderr,
        disable=not show_progress(progress),
        **kwargs,
    )
