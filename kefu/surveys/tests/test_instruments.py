"""Self-assessment instruments (M42, M47) and their scoring."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from kefu.surveys.instruments import (
    CUSTOMER_ORIENTATION_CATEGORIES,
    EMPLOYEE_SATISFACTION_DIMENSIONS,
    SELF_ASSESSMENT_SCALE,
    anonymity_ok,
    item_categories,
    self_assessment,
)

CATEGORIES = ["climate", "climate", "climate", "listening", "listening"]


def test_self_assessment_hand_computed():
    frame = self_assessment([5, 4, 3, 2, 1], CATEGORIES)
    # climate: 12 of 15 = 80 %; listening: 3 of 10 = 30 %
    assert frame["category"].to_list() == ["climate", "listening"]
    assert frame["score"].to_list() == [12, 3]
    assert frame["maximum"].to_list() == [15, 10]
    assert frame["percent"].to_list() == pytest.approx([80, 30])


def test_self_assessment_matches_the_source_category_maximum():
    # The source test: seven items scored 1–5 → "本类总分35"; all 5s → 100 %.
    frame = self_assessment([5] * 7, ["philosophy"] * 7)
    assert frame.row(0, named=True) == {
        "category": "philosophy",
        "score": 35.0,
        "maximum": 35.0,
        "percent": 100.0,
    }


def test_self_assessment_per_respondent_and_unanswered_items():
    frame = self_assessment([[5, 5, 5, 1, 1], [1, np.nan, 1, 5, np.nan]], CATEGORIES)
    assert frame.columns == ["respondent", "category", "score", "maximum", "percent"]
    assert frame["respondent"].to_list() == [0, 0, 1, 1]
    # respondent 1 answered 2 climate items (max 10) and 1 listening item (max 5)
    assert frame["maximum"].to_list() == [15, 10, 10, 5]
    assert frame["percent"].to_list() == pytest.approx([100, 20, 20, 100])


def test_self_assessment_validation():
    with pytest.raises(ValueError, match="value 6 at position 2"):
        self_assessment([5, 4, 6, 2, 1], CATEGORIES)
    with pytest.raises(ValueError, match="one category per item"):
        self_assessment([5, 4], CATEGORIES)


@settings(max_examples=60, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 8), st.just(len(CATEGORIES))),
        elements=st.one_of(st.integers(1, 5).map(float), st.just(np.nan)),
    )
)
def test_self_assessment_percent_is_within_0_and_100(scores):
    percent = self_assessment(scores, CATEGORIES)["percent"].drop_nans().to_numpy()
    assert ((percent >= 20) & (percent <= 100)).all()  # 1 of 5 is the floor: 20 %


def test_customer_orientation_test_has_seven_bilingual_categories():
    assert len(CUSTOMER_ORIENTATION_CATEGORIES) == 7
    codes = [category.code for category in CUSTOMER_ORIENTATION_CATEGORIES]
    assert len(set(codes)) == 7
    for category in CUSTOMER_ORIENTATION_CATEGORIES:
        assert 3 <= len(category.items) <= 7
        assert category.name_zh and category.name_en
        assert all(item.en and item.zh for item in category.items)
    labels = item_categories(CUSTOMER_ORIENTATION_CATEGORIES)
    assert len(labels) == sum(len(c.items) for c in CUSTOMER_ORIENTATION_CATEGORIES)
    frame = self_assessment([3] * len(labels), labels)
    assert frame["category"].to_list() == codes
    assert frame["percent"].to_list() == pytest.approx([60] * 7)


def test_employee_survey_has_the_five_dimensions():
    assert [d.code for d in EMPLOYEE_SATISFACTION_DIMENSIONS] == [
        "job",
        "workplace",
        "working_conditions",
        "organisation_and_people",
        "company_image",
    ]
    assert all(len(d.items) >= 3 for d in EMPLOYEE_SATISFACTION_DIMENSIONS)
    assert [value for value, _en, _zh in SELF_ASSESSMENT_SCALE] == [1, 2, 3, 4, 5]


def test_anonymity_threshold():
    assert anonymity_ok([0, 4, 5, 12]).tolist() == [False, False, True, True]
    assert anonymity_ok([2, 3], minimum=3).tolist() == [False, True]
