"""6C credit grade: a weighted mean graded by cut-offs (pure, no database)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kefu.customers.credit import (
    DEFAULT_CUTOFFS,
    SIX_C,
    CreditInputError,
    credit_grade,
    credit_grades,
    credit_score,
)


def scores_of(*values):
    return dict(zip(SIX_C, values, strict=True))


def test_equal_weights_give_the_plain_mean():
    # (5+4+4+3+3+2)/6 = 21/6 = 3.5 → B with the default cut-offs A≥4, B≥3, C≥2
    assert credit_score(scores_of(5, 4, 4, 3, 3, 2)) == 3.5
    assert credit_grade(scores_of(5, 4, 4, 3, 3, 2)) == "B"


def test_weights_shift_the_score_worked_example():
    # character weighted 3, the rest 1: (3*5 + 1+1+1+1+1) / 8 = 20/8 = 2.5 → C
    weights = {
        "character": 3,
        "capacity": 1,
        "capital": 1,
        "collateral": 1,
        "condition": 1,
        "continuity": 1,
    }
    assert credit_score(scores_of(5, 1, 1, 1, 1, 1), weights) == 2.5
    assert credit_grade(scores_of(5, 1, 1, 1, 1, 1), weights) == "C"
    # zero weight ignores a factor entirely
    only_capital = {name: (1 if name == "capital" else 0) for name in SIX_C}
    assert credit_grade(scores_of(1, 1, 5, 1, 1, 1), only_capital) == "A"


def test_cutoff_boundaries_are_inclusive():
    assert credit_grade(scores_of(4, 4, 4, 4, 4, 4)) == "A"
    assert credit_grade(scores_of(3, 3, 3, 3, 3, 3)) == "B"
    assert credit_grade(scores_of(2, 2, 2, 2, 2, 2)) == "C"
    assert credit_grade(scores_of(1, 2, 2, 2, 2, 2)) == "D"  # 11/6 = 1.83
    assert credit_grade(scores_of(5, 5, 5, 5, 5, 5), cutoffs={"A": 5, "B": 4.5, "C": 4}) == "A"


def test_bad_input_names_the_field():
    with pytest.raises(CreditInputError) as exc:
        credit_grade(scores_of(6, 3, 3, 3, 3, 3))
    assert exc.value.field == "scores"
    with pytest.raises(CreditInputError) as exc:
        credit_grade({"character": 3})
    assert exc.value.field == "capacity"
    with pytest.raises(CreditInputError) as exc:
        credit_grade(scores_of(3, 3, 3, 3, 3, 3), cutoffs={"A": 3, "B": 4, "C": 2})
    assert exc.value.field == "cutoffs"
    with pytest.raises(CreditInputError) as exc:
        credit_grade(scores_of(3, 3, 3, 3, 3, 3), weights={name: 0 for name in SIX_C})
    assert exc.value.field == "weights"


score_rows = st.lists(st.integers(1, 5), min_size=6, max_size=6)
weights_st = st.lists(st.floats(0.1, 10), min_size=6, max_size=6)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # slow on a loaded machine
@given(st.lists(score_rows, min_size=1, max_size=30), weights_st)
def test_vectorised_grades_match_the_scalar_function(rows, weights):
    weight_map = dict(zip(SIX_C, weights, strict=True))
    grades = credit_grades(np.array(rows), weight_map, DEFAULT_CUTOFFS)
    expected = [credit_grade(dict(zip(SIX_C, row, strict=True)), weight_map) for row in rows]
    assert list(grades) == expected


@given(score_rows, st.integers(0, 5))
def test_raising_one_score_never_lowers_the_grade(row, index):
    better = list(row)
    better[index] = min(5, better[index] + 1)
    order = "ABCD"
    assert order.index(credit_grade(scores_of(*better))) <= order.index(
        credit_grade(scores_of(*row))
    )
