"""Suggest a ticket's category or urgency from its text (METHODS M23).

Pure: no Django import. A scikit-learn pipeline: TF-IDF over character 1-3-grams (works for
Chinese without word segmentation) joined with TF-IDF over English word 1-2-grams, then
multinomial logistic regression (Manning, Raghavan & Schütze, *Introduction to Information
Retrieval*, 2008, ch. 6 and 13-14; Jurafsky & Martin, *Speech and Language Processing*, ch. 5).
Train one classifier per target (category, urgency) from tickets agents have labelled.
"""

from __future__ import annotations

import io
import pickle
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import FeatureUnion, Pipeline

FORMAT_NAME = "kefu.tickets.classifier"
FORMAT_VERSION = 1
DEFAULT_MIN_EXAMPLES = 20

# English words: Latin letters (a Chinese run is not a "word" here; the char n-grams cover it).
_LATIN_WORD = r"(?u)[A-Za-z][A-Za-z0-9']+"
_HAS_LATIN_WORD = re.compile(_LATIN_WORD)


def _(message: str) -> str:
    """Mark a user-visible string for translation (Django's makemessages extracts it)."""
    return message


class NotEnoughTrainingData(ValueError):
    """Too few labelled examples or labels to train a useful classifier."""


class ClassifierFormatError(ValueError):
    """The bytes are not a Kefu text classifier of a version this code reads."""


@dataclass(frozen=True)
class Evaluation:
    """Held-out scores: accuracy, F1 per label, macro-averaged F1, and the split sizes."""

    accuracy: float
    f1_by_label: dict[str, float]
    macro_f1: float
    train_size: int
    test_size: int


class TextClassifier:
    """A trained classifier; `suggest` ranks labels for a text with their probabilities."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    @property
    def labels(self) -> list[str]:
        return [str(label) for label in self.pipeline.classes_]

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Array (len(texts), len(labels)) of class probabilities, columns in `labels` order."""
        return self.pipeline.predict_proba(list(texts))

    def suggest(self, text: str, top: int = 3) -> list[tuple[str, float]]:
        """Up to `top` (label, confidence in [0, 1]) pairs, most likely first; [] for blank text."""
        return self.suggest_many([text], top=top)[0]

    def suggest_many(self, texts: Sequence[str], top: int = 3) -> list[list[tuple[str, float]]]:
        """`suggest` for many texts at once (one vectorised prediction)."""
        if top < 1:
            raise ValueError("top must be at least 1")
        texts = list(texts)
        results: list[list[tuple[str, float]]] = [[] for _ in texts]
        present = [i for i, text in enumerate(texts) if text and text.strip()]
        if not present:
            return results
        probabilities = self.probabilities([texts[i] for i in present])
        labels = np.asarray(self.labels)
        # Stable sort on -p: ties keep label order, so the ranking is deterministic.
        order = np.argsort(-probabilities, axis=1, kind="stable")[:, :top]
        ranked = np.take_along_axis(probabilities, order, axis=1)
        for row, i in enumerate(present):
            results[i] = [
                (str(label), float(p))
                for label, p in zip(labels[order[row]], ranked[row], strict=True)
            ]
        return results

    def to_bytes(self) -> bytes:
        """Serialise (pickle) with a format name and version; load only bytes Kefu wrote."""
        payload = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "sklearn_version": sklearn.__version__,
            "pipeline": self.pipeline,
        }
        return pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def from_bytes(cls, data: bytes) -> TextClassifier:
        """Load a classifier written by `to_bytes` (pickle: never load untrusted bytes)."""
        try:
            payload = pickle.load(io.BytesIO(data))
        except Exception as error:  # pickle raises many kinds on garbage
            raise ClassifierFormatError(_("Not a saved text classifier.")) from error
        if not isinstance(payload, dict) or payload.get("format") != FORMAT_NAME:
            raise ClassifierFormatError(_("Not a saved text classifier."))
        if payload.get("version") != FORMAT_VERSION:
            raise ClassifierFormatError(
                _("The saved text classifier has an unsupported format version; retrain it.")
            )
        return cls(payload["pipeline"])


def _build_pipeline(texts: Sequence[str], *, c: float, random_state: int | None) -> Pipeline:
    features: list[tuple[str, TfidfVectorizer]] = [
        (
            "chars",
            TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=1),
        )
    ]
    if any(_HAS_LATIN_WORD.search(text) for text in texts):
        # Only when the corpus has English words: an empty vocabulary makes scikit-learn fail.
        features.append(
            (
                "words",
                TfidfVectorizer(
                    analyzer="word",
                    token_pattern=_LATIN_WORD,
                    ngram_range=(1, 2),
                    sublinear_tf=True,
                ),
            )
        )
    return Pipeline(
        [
            ("features", FeatureUnion(features)),
            ("model", LogisticRegression(C=c, max_iter=2000, random_state=random_state)),
        ]
    )


def train_text_classifier(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    min_examples: int = DEFAULT_MIN_EXAMPLES,
    c: float = 10.0,
    random_state: int | None = 0,
) -> TextClassifier:
    """Fit TF-IDF (char 1-3-grams + English word 1-2-grams) and logistic regression.

    Raises `NotEnoughTrainingData` with fewer than `min_examples` non-blank texts or fewer than
    two labels. `c` is the inverse regularisation strength of the logistic regression.
    """
    texts, labels = _clean_examples(texts, labels)
    if len(texts) < min_examples:
        raise NotEnoughTrainingData(
            _("At least %(needed)d labelled examples are needed to train; got %(got)d.")
            % {"needed": min_examples, "got": len(texts)}
        )
    if len(set(labels)) < 2:
        raise NotEnoughTrainingData(_("At least two different labels are needed to train."))
    pipeline = _build_pipeline(texts, c=c, random_state=random_state)
    pipeline.fit(texts, labels)
    return TextClassifier(pipeline)


def _clean_examples(texts: Sequence[str], labels: Sequence[str]) -> tuple[list[str], list[str]]:
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    kept = [
        (text, str(label))
        for text, label in zip(texts, labels, strict=True)
        if text and text.strip() and label is not None and str(label).strip()
    ]
    return [text for text, _label in kept], [label for _text, label in kept]


def evaluate(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    test_fraction: float = 0.25,
    random_state: int = 0,
    min_examples: int = DEFAULT_MIN_EXAMPLES,
    c: float = 10.0,
) -> Evaluation:
    """Train on a stratified split and score on the held-out part: accuracy and F1 per label."""
    texts, labels = _clean_examples(texts, labels)
    if len(texts) < min_examples:
        raise NotEnoughTrainingData(
            _("At least %(needed)d labelled examples are needed to evaluate; got %(got)d.")
            % {"needed": min_examples, "got": len(texts)}
        )
    counts = Counter(labels)
    stratify = labels if counts and min(counts.values()) >= 2 else None
    train_texts, test_texts, train_labels, test_labels = train_test_split(
        texts, labels, test_size=test_fraction, random_state=random_state, stratify=stratify
    )
    classifier = train_text_classifier(
        train_texts,
        train_labels,
        min_examples=1,
        c=c,
        random_state=random_state,
    )
    predicted = classifier.pipeline.predict(test_texts)
    label_order = sorted(counts)
    f1_values = f1_score(test_labels, predicted, labels=label_order, average=None, zero_division=0)
    f1_by_label = {label: float(value) for label, value in zip(label_order, f1_values, strict=True)}
    return Evaluation(
        accuracy=float(accuracy_score(test_labels, predicted)),
        f1_by_label=f1_by_label,
        macro_f1=float(np.mean(f1_values)),
        train_size=len(train_texts),
        test_size=len(test_texts),
    )
