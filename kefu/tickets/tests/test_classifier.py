import itertools
import pickle

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from kefu.tickets.classifier import (
    FORMAT_NAME,
    ClassifierFormatError,
    NotEnoughTrainingData,
    TextClassifier,
    evaluate,
    train_text_classifier,
)

# A small synthetic bilingual corpus: for each label, key phrases in Chinese and English,
# crossed with neutral sentence frames, so the label is carried only by the key phrase.
KEY_PHRASES = {
    "return": {
        "zh": ["我想退货", "申请退货", "商品不想要了要退回", "怎么把货退回去", "退货流程是什么"],
        "en": [
            "I want to return this item",
            "how do I send the product back",
            "return the goods",
            "start a return",
            "return label for my order",
        ],
    },
    "refund": {
        "zh": ["退款还没到账", "钱什么时候退给我", "申请退款", "退款进度", "退款被拒绝了"],
        "en": [
            "my refund has not arrived",
            "when will I get my money back",
            "request a refund",
            "refund status",
            "the refund was declined",
        ],
    },
    "delivery": {
        "zh": ["快递一直没到", "物流信息不更新", "包裹丢了", "配送太慢了", "快递员没送货上门"],
        "en": [
            "the parcel has not been delivered",
            "tracking has not updated",
            "the package is lost",
            "delivery is very slow",
            "the courier never came",
        ],
    },
    "quality": {
        "zh": ["产品有质量问题", "用了两天就坏了", "屏幕有划痕", "衣服开线了", "电池鼓包了"],
        "en": [
            "the product is defective",
            "it broke after two days",
            "the screen is scratched",
            "the seam came apart",
            "the battery is swollen",
        ],
    },
    "billing": {
        "zh": ["账单金额不对", "被重复扣费了", "发票开错了", "月费多收了", "账单上有不认识的费用"],
        "en": [
            "my bill is wrong",
            "I was charged twice",
            "the invoice is incorrect",
            "overcharged on the monthly fee",
            "an unknown charge on my statement",
        ],
    },
}
FRAMES = {
    "zh": ["你好，{}。", "{}，请尽快处理。", "客服你好，{}，谢谢。"],
    "en": ["Hello, {}.", "{}, please help.", "Hi support, {}. Thanks"],
}
HELD_OUT = [
    ("我昨天申请退货了，请问退货地址是哪里？", "return"),
    ("How can I return the shoes I bought?", "return"),
    ("退款到现在还没有到账，怎么回事", "refund"),
    ("Still waiting for my refund after ten days", "refund"),
    ("我的快递三天了还没到，物流也不更新", "delivery"),
    ("My parcel tracking still shows nothing and it has not been delivered", "delivery"),
    ("刚买的耳机就坏了，质量太差", "quality"),
    ("The kettle is defective and broke on the first day", "quality"),
    ("这个月的账单被重复扣费了", "billing"),
    ("I was charged twice on this month's bill", "billing"),
]


def corpus() -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for label, by_language in KEY_PHRASES.items():
        for language, phrases in by_language.items():
            for phrase, frame in itertools.product(phrases, FRAMES[language]):
                texts.append(frame.format(phrase))
                labels.append(label)
    return texts, labels


@pytest.fixture(scope="module")
def classifier() -> TextClassifier:
    return train_text_classifier(*corpus(), random_state=0)


@pytest.mark.parametrize(("text", "expected"), HELD_OUT)
def test_held_out_sentences_get_the_right_label_first(classifier, text, expected):
    suggestions = classifier.suggest(text, top=3)
    assert suggestions[0][0] == expected, suggestions
    assert len(suggestions) == 3
    confidences = [confidence for _, confidence in suggestions]
    assert all(0.0 <= c <= 1.0 for c in confidences)
    assert confidences == sorted(confidences, reverse=True)


def test_probabilities_sum_to_one_and_match_suggestions(classifier):
    texts = [text for text, _ in HELD_OUT]
    probabilities = classifier.probabilities(texts)
    assert probabilities.shape == (len(texts), 5)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-9)
    everything = classifier.suggest(texts[0], top=10)
    assert len(everything) == 5
    assert sum(c for _, c in everything) == pytest.approx(1.0)
    assert sorted(classifier.labels) == sorted(KEY_PHRASES)
    batch = classifier.suggest_many(texts, top=2)
    assert batch == [classifier.suggest(text, top=2) for text in texts]


def test_blank_text_gives_no_suggestion(classifier):
    assert classifier.suggest("   ") == []
    assert classifier.suggest_many(["", "退款进度"])[0] == []
    with pytest.raises(ValueError):
        classifier.suggest("退款", top=0)


def test_round_trip_serialisation_gives_identical_predictions(classifier):
    restored = TextClassifier.from_bytes(classifier.to_bytes())
    texts = [text for text, _ in HELD_OUT]
    np.testing.assert_array_equal(restored.probabilities(texts), classifier.probabilities(texts))
    assert restored.labels == classifier.labels


def test_from_bytes_rejects_other_data():
    with pytest.raises(ClassifierFormatError):
        TextClassifier.from_bytes(b"not a pickle")
    with pytest.raises(ClassifierFormatError):
        TextClassifier.from_bytes(pickle.dumps({"format": "something else"}))
    with pytest.raises(ClassifierFormatError):
        TextClassifier.from_bytes(pickle.dumps({"format": FORMAT_NAME, "version": 999}))


def test_training_is_deterministic_with_random_state():
    texts, labels = corpus()
    first = train_text_classifier(texts, labels, random_state=7)
    second = train_text_classifier(list(reversed(texts)), list(reversed(labels)), random_state=7)
    third = train_text_classifier(texts, labels, random_state=7)
    probe = [text for text, _ in HELD_OUT]
    np.testing.assert_array_equal(first.probabilities(probe), third.probabilities(probe))
    # Order of examples does not change the optimum of a convex problem (to solver tolerance).
    np.testing.assert_allclose(first.probabilities(probe), second.probabilities(probe), atol=1e-3)


def test_model_is_multinomial_logistic_regression_over_tf_idf(classifier):
    """Independent check: softmax of the fitted linear scores equals predict_proba."""
    texts = [text for text, _ in HELD_OUT]
    features = classifier.pipeline.named_steps["features"].transform(texts)
    model = classifier.pipeline.named_steps["model"]
    assert isinstance(model, LogisticRegression)
    scores = features @ model.coef_.T + model.intercept_
    softmax = np.exp(scores - scores.max(axis=1, keepdims=True))
    softmax /= softmax.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(softmax, classifier.probabilities(texts), rtol=1e-9, atol=1e-12)
    # Both feature blocks are present: char n-grams and English word n-grams.
    names = classifier.pipeline.named_steps["features"].get_feature_names_out()
    assert any(name.startswith("chars__") for name in names)
    assert "words__refund" in names


def test_chinese_only_corpus_trains_without_word_features():
    texts = [text for text, label in zip(*corpus(), strict=True) if not text.isascii()]
    labels = [label for text, label in zip(*corpus(), strict=True) if not text.isascii()]
    classifier = train_text_classifier(texts, labels)
    assert classifier.suggest("申请退款进度怎么样")[0][0] == "refund"
    names = classifier.pipeline.named_steps["features"].get_feature_names_out()
    assert not any(name.startswith("words__") for name in names)


def test_refuses_to_train_on_too_little_data():
    with pytest.raises(NotEnoughTrainingData, match="At least 20"):
        train_text_classifier(["退款"] * 10 + ["物流"] * 9, ["refund"] * 10 + ["delivery"] * 9)
    with pytest.raises(NotEnoughTrainingData, match="two different labels"):
        train_text_classifier(["退款进度"] * 30, ["refund"] * 30)
    # Blank texts do not count as examples.
    with pytest.raises(NotEnoughTrainingData):
        train_text_classifier(["  "] * 30 + ["a", "b"], ["x"] * 30 + ["x", "y"], min_examples=3)
    with pytest.raises(ValueError, match="labels"):
        train_text_classifier(["a", "b"], ["x"])
    small = train_text_classifier(["退款进度", "物流太慢"], ["refund", "delivery"], min_examples=2)
    assert small.labels == ["delivery", "refund"]


def test_evaluate_matches_an_independent_count():
    texts, labels = corpus()
    result = evaluate(texts, labels, test_fraction=0.3, random_state=1)
    assert result.train_size + result.test_size == len(texts)
    assert result.test_size == 45  # 30 % of 150, stratified: 9 per label
    assert set(result.f1_by_label) == set(KEY_PHRASES)
    assert 0.0 <= result.accuracy <= 1.0
    assert result.macro_f1 == pytest.approx(np.mean(list(result.f1_by_label.values())))
    assert result.accuracy >= 0.8
    assert evaluate(texts, labels, test_fraction=0.3, random_state=1) == result
    with pytest.raises(NotEnoughTrainingData):
        evaluate(texts[:10], labels[:10])


def test_evaluate_accuracy_and_f1_by_hand():
    """Perfectly separable toy data: accuracy and every F1 are exactly 1."""
    texts = [f"退款 refund {i}" for i in range(12)] + [f"物流 delivery {i}" for i in range(12)]
    labels = ["refund"] * 12 + ["delivery"] * 12
    result = evaluate(texts, labels, test_fraction=0.5, random_state=3, min_examples=10)
    assert result.accuracy == 1.0
    assert result.f1_by_label == {"delivery": 1.0, "refund": 1.0}


def test_ticket_services_do_not_load_scikit_learn_until_a_model_is_used():
    """Every worker imports the ticket services; scikit-learn (≈ 2 s) loads only to train or
    suggest, and the services' default minimum is the classifier's own."""
    import os
    import subprocess
    import sys

    from kefu.tickets.classifier import DEFAULT_MIN_EXAMPLES
    from kefu.tickets.services.classification import MIN_TRAINING_EXAMPLES

    assert MIN_TRAINING_EXAMPLES == DEFAULT_MIN_EXAMPLES
    code = (
        "import sys, django; django.setup(); "
        "import kefu.tickets.services, kefu.sla.services, kefu.channels.services; "
        "print('sklearn' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "kefu.settings"},
    )
    assert out.stdout.strip() == "False"
