"""geo.parallel: executors from jobs=, ordered and bounded task streams."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor

import pytest

from geo.errors import ValidationError
from geo.parallel import available_cores, executor_for, map_ordered


def square(x: int) -> int:
    return x * x


def slow_square(x: int) -> int:
    time.sleep(0.002 * (x % 3))  # later tasks may finish first
    return x * x


def fail_on_three(x: int) -> int:
    if x == 3:
        msg = "task 3 failed"
        raise RuntimeError(msg)
    return x


def test_jobs_choose_the_executor() -> None:
    for jobs in (None, 1):
        with executor_for(jobs) as pool:
            assert pool is None
    with executor_for(2) as pool:
        assert isinstance(pool, ProcessPoolExecutor)
        assert list(map_ordered(square, range(5), executor=pool)) == [0, 1, 4, 9, 16]
    with executor_for(0) as pool:
        expected = ProcessPoolExecutor if available_cores() > 1 else type(None)
        assert isinstance(pool, expected)
    for bad in (-1, 1.5, True, "2"):
        with pytest.raises(ValidationError, match="jobs="), executor_for(bad):  # type: ignore[arg-type]
            pass


def test_a_given_executor_is_used_and_left_open() -> None:
    with ThreadPoolExecutor(2) as mine:
        with executor_for(4, mine) as pool:
            assert pool is mine
        assert mine.submit(square, 3).result() == 9  # not shut down


@pytest.mark.parametrize("kind", ["serial", "threads"])
def test_results_come_back_in_task_order(kind: str) -> None:
    items = list(range(40))
    if kind == "serial":
        assert list(map_ordered(slow_square, items)) == [x * x for x in items]
    else:
        with ThreadPoolExecutor(4) as pool:
            got = list(map_ordered(slow_square, items, executor=pool, window=5))
        assert got == [x * x for x in items]


def test_tasks_are_taken_lazily_a_window_at_a_time() -> None:
    taken: list[int] = []

    def source() -> Iterator[int]:
        for i in range(100):
            taken.append(i)
            yield i

    with ThreadPoolExecutor(2) as pool:
        stream = map_ordered(square, source(), executor=pool, window=3)
        assert next(stream) == 0
        assert len(taken) <= 4  # the window, and not the whole source
        rest = list(stream)
    assert rest == [x * x for x in range(1, 100)]
    serial = map_ordered(square, source())
    taken.clear()
    assert next(serial) == 0 and taken == [0]


def test_a_failing_task_raises_and_cancels_the_rest() -> None:
    started: list[int] = []
    lock = threading.Lock()

    def record(x: int) -> int:
        with lock:
            started.append(x)
        return fail_on_three(x)

    with ThreadPoolExecutor(1) as pool, pytest.raises(RuntimeError, match="task 3 failed"):
        list(map_ordered(record, range(1000), executor=pool, window=4))
    assert max(started) < 20  # not all 1000 tasks were run


def test_dask_like_executor_without_max_workers() -> None:
    class Minimal(Executor):
        def __init__(self) -> None:
            self.inner = ThreadPoolExecutor(2)

        def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
            return self.inner.submit(fn, *args, **kwargs)

    minimal = Minimal()
    assert list(map_ordered(square, range(10), executor=minimal)) == [x * x for x in range(10)]
    minimal.inner.shutdown()
