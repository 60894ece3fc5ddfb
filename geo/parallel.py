"""Run whole-archive loops on local cores or on any :class:`concurrent.futures.Executor`.

The loops over a whole archive (:func:`geo.stats.timeseries`,
:func:`geo.places.places_changed`, :func:`geo.diff.diff_series`) cut their
work into independent tasks (chunks of consecutive dates) and hand them to
:func:`map_ordered`. It runs them in the calling thread (the default), on
``jobs`` local worker processes, or on an executor the caller passes: a
:class:`~concurrent.futures.ThreadPoolExecutor`, a
:class:`~concurrent.futures.ProcessPoolExecutor`, or a Dask cluster through
``distributed.Client(...).get_executor()`` (the optional ``geo[dask]`` extra).
Results come back in task order and the callers combine them in the same order
as the serial loop, so they are identical whichever way the tasks ran.

Tasks are submitted a few at a time (:data:`WINDOW_PER_WORKER` per worker), so
a loop over a long archive holds only the tasks in flight, not all of them.
Task functions and their arguments must be picklable for process and Dask
executors: module-level functions, plain data, shapely geometries, Arrow arrays.

Examples
--------
>>> from concurrent.futures import ThreadPoolExecutor
>>> list(map_ordered(abs, [-1, -2, 3]))
[1, 2, 3]
>>> with ThreadPoolExecutor(2) as pool:
...     list(map_ordered(abs, [-1, -2, 3], executor=pool))
[1, 2, 3]
"""

from __future__ import annotations

import collections
import contextlib
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any, TypeVar

from geo.errors import ValidationError

__all__ = [
    "WINDOW_PER_WORKER",
    "Jobs",
    "available_cores",
    "executor_for",
    "map_ordered",
    "process_pool",
    "worker_count",
]

T = TypeVar("T")
R = TypeVar("R")

#: The type of every ``jobs=`` argument: ``None`` or 1 runs in the calling
#: thread, ``N > 1`` on N local processes, ``0`` on one process per core.
Jobs = int | None

#: Tasks in flight per worker: enough to keep workers busy, few enough to bound memory.
WINDOW_PER_WORKER = 2


def available_cores() -> int:
    """Return the cores this process may run on (``jobs=0`` uses them all).

    Examples
    --------
    >>> available_cores() >= 1
    True
    """
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return max(os.cpu_count() or 1, 1)


def worker_count(jobs: Jobs) -> int:
    """Return the worker processes ``jobs=`` asks for (1: run in the calling thread).

    Raises
    ------
    ValidationError
        If ``jobs`` is negative or not an integer.

    Examples
    --------
    >>> worker_count(None), worker_count(3), worker_count(0) == available_cores()
    (1, 3, True)
    """
    if jobs is None:
        return 1
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 0:
        msg = "invalid jobs"
        raise ValidationError(msg, [f"jobs={jobs!r} must be None, 0 (every core) or a count >= 1"])
    return available_cores() if jobs == 0 else jobs


def process_pool(workers: int, **options: Any) -> ProcessPoolExecutor:
    """Return a pool of ``workers`` fresh processes; ``options`` go to the pool (``initializer``).

    Workers start from a fresh interpreter (forkserver, else spawn): a forked copy of a
    process running Arrow or tqdm threads may deadlock.
    """
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, **options)


@contextlib.contextmanager
def executor_for(jobs: Jobs = None, executor: Executor | None = None) -> Iterator[Executor | None]:
    """Yield the executor a loop should use, or ``None`` to run in the calling thread.

    Parameters
    ----------
    jobs
        ``None`` or 1: no executor; ``N > 1``: a pool of N local worker
        processes, shut down on exit; ``0``: one process per core.
    executor
        An executor of the caller's (threads, processes, Dask): used as is,
        never shut down here. Takes precedence over ``jobs``.

    Raises
    ------
    ValidationError
        If ``jobs`` is negative or not an integer.

    Examples
    --------
    >>> with executor_for(None) as pool:
    ...     print(pool)
    None
    """
    if executor is not None:
        yield executor
        return
    n = worker_count(jobs)
    if n <= 1:
        yield None
        return
    pool = process_pool(n)
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def map_ordered(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    executor: Executor | None = None,
    window: int | None = None,
) -> Iterator[R]:
    """Yield ``fn(item)`` for each item, in order, computed on ``executor`` if given.

    Parameters
    ----------
    fn
        The task; module-level (picklable) for process and Dask executors.
    items
        Task arguments, consumed lazily (a generator reading chunks from disk
        is read only as fast as the workers need it).
    executor
        Where to run; ``None`` runs each task in the calling thread when its
        result is asked for.
    window
        Most tasks in flight at once (default: :data:`WINDOW_PER_WORKER` per
        worker of the executor, or 4 when the executor does not say).

    Raises
    ------
    Exception
        Whatever a task raised; tasks not yet started are cancelled first.
    """
    if executor is None:
        yield from map(fn, items)
        return
    limit = window or WINDOW_PER_WORKER * max(_executor_workers(executor), 2)
    pending: collections.deque[Future[R]] = collections.deque()
    iterator = iter(items)
    try:
        for item in iterator:
            pending.append(executor.submit(fn, item))
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:  # an error (or a consumer that stopped early): drop the rest
            future.cancel()


def _executor_workers(executor: Executor) -> int:
    """Workers of an executor, as far as it tells (2 if it does not)."""
    count = getattr(executor, "_max_workers", None)
    client = getattr(executor, "_client", None)  # a Dask client's executor
    if count is None and client is not None:
        with contextlib.suppress(Exception):  # an old or odd client: keep the default
            count = sum(client.nthreads().values())
    return count if isinstance(count, int) and count > 0 else 2
