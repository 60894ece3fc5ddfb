"""The timeline's wire format: token-list diffs as difflib gives them, varints round trip."""

from __future__ import annotations

import difflib

from hypothesis import given, settings
from hypothesis import strategies as st

from geo.render.wire import _apply_ops, _date_ops, _unique_opcodes, token_opcodes

distinct = st.lists(st.integers(0, 80), max_size=40, unique=True)


@given(distinct, distinct)
@settings(max_examples=300, deadline=None)
def test_unique_tokens_diff_exactly_as_difflib(a: list[int], b: list[int]) -> None:
    want = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    assert _unique_opcodes(a, b) == want
    assert token_opcodes(a, b) == want


@given(distinct, st.lists(st.tuples(st.integers(0, 40), st.integers(0, 3), st.integers(100, 120))))
@settings(max_examples=300, deadline=None)
def test_a_day_of_edits_diffs_as_difflib_and_round_trips(
    a: list[int], edits: list[tuple[int, int, int]]
) -> None:
    """Tokens of the next date: a few stretches cut out and new chunks put in (as a day does)."""
    b = list(a)
    for at, cut, new in edits:
        at = min(at, len(b))
        b[at : at + cut] = [] if new in b else [new]
    want = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    assert _unique_opcodes(a, b) == want
    assert _apply_ops(a, _date_ops(a, b)).tolist() == b


def test_repeated_tokens_fall_back_to_difflib() -> None:
    a, b = [2, 0, 3, 0, 4, 0, 6], [2, 0, 5, 0, 4, 1, 6]  # breaks repeat
    assert _unique_opcodes(a[2:-1], b[2:-1]) is None
    want = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    assert token_opcodes(a, b) == want
