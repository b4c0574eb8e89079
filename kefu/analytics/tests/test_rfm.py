"""RFM quintile scores and rule-based segments."""

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.analytics import DEFAULT_SEGMENTS, SegmentRule, rfm_scores, rfm_segments
from kefu.analytics.rfm import UNCLASSIFIED, quantile_scores

values = st.lists(st.integers(0, 50) | st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=300)


@settings(max_examples=80, deadline=None)
@given(values, st.integers(1, 10))
def test_scores_are_in_range_monotone_and_tie_consistent(data, bins) -> None:
    data = np.asarray(data, dtype=float)
    scores = quantile_scores(data, bins)
    assert scores.min() >= 1 and scores.max() <= bins
    order = np.argsort(data, kind="stable")
    assert np.all(np.diff(scores[order]) >= 0)
    for value in np.unique(data):
        assert np.unique(scores[data == value]).size == 1


@settings(max_examples=50, deadline=None)
@given(st.integers(5, 500))
def test_distinct_values_split_into_equal_quintiles(n) -> None:
    scores = quantile_scores(np.random.default_rng(n).permutation(n), 5)
    counts = np.bincount(scores, minlength=6)[1:]
    assert counts.max() - counts.min() <= 1


def test_recency_is_scored_in_reverse() -> None:
    r, f, m = rfm_scores([1, 10, 100, 1000, 5], [9, 5, 1, 0, 7], [500, 50, 5, 1, 100])
    assert list(r) == [5, 3, 2, 1, 4]
    assert list(f) == [5, 3, 2, 1, 4]
    assert list(m) == [5, 3, 2, 1, 4]


def test_default_rules_cover_every_score_combination() -> None:
    grid = np.array(list(itertools.product(range(1, 6), repeat=3)))
    names = rfm_segments(grid[:, 0], grid[:, 1], grid[:, 2])
    assert UNCLASSIFIED not in names
    assert set(names) == {
        "champions",
        "loyal",
        "potential loyalists",
        "new customers",
        "promising",
        "need attention",
        "about to sleep",
        "at risk",
        "cannot lose them",
        "hibernating",
        "lost",
    }
    assert {rule.name for rule in DEFAULT_SEGMENTS} == set(names)


def test_known_segments() -> None:
    names = rfm_segments([5, 5, 1, 1, 3], [5, 1, 5, 1, 2], [5, 1, 5, 1, 2])
    assert list(names) == [
        "champions",
        "new customers",
        "cannot lose them",
        "lost",
        "need attention",
    ]


def test_rules_are_data() -> None:
    rules = (SegmentRule("vip", 4, 5, 4, 5), SegmentRule("rest", 1, 5, 1, 5))
    assert list(rfm_segments([5, 1], [5, 5], [4, 5], rules=rules)) == ["vip", "rest"]
    assert list(rfm_segments([5], [1], [1], rules=rules[:1])) == [UNCLASSIFIED]
