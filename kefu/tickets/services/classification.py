"""Training the category and urgency suggestion (M23) on the organisation's own closed tickets."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.audit import audit_record
from kefu.core.errors import ValidationFailed
from kefu.core.permissions import require_perm
from kefu.tickets.models import ClassifierTarget, Ticket, TicketStatus, TrainedClassifier

if TYPE_CHECKING:
    from kefu.tickets import classifier

# Train on the most recent examples only: enough to learn from, bounded training time.
MAX_TRAINING_EXAMPLES = 50_000
# scikit-learn is imported when a model is trained or used, not with every ticket service.
MIN_TRAINING_EXAMPLES = 20  # classifier.DEFAULT_MIN_EXAMPLES
KEEP_PER_TARGET = 3  # older models are deleted after a successful training


def training_examples(target: str, *, limit: int = MAX_TRAINING_EXAMPLES):
    """(texts, labels) of solved and closed tickets for `target`, newest first, read in bulk:
    the text is subject and description; the label is the category id or the priority."""
    label_field = "category_id" if target == ClassifierTarget.CATEGORY else "priority"
    rows = (
        Ticket.objects.filter(
            status__in=[TicketStatus.SOLVED, TicketStatus.CLOSED], merged_into__isnull=True
        )
        .exclude(**{f"{label_field}__isnull": True})
        .order_by("-id")
        .values_list("subject", "description", label_field)[:limit]
    )
    texts, labels = [], []
    for subject, description, label in rows:
        texts.append(f"{subject}\n{description}".strip())
        labels.append(str(label))
    return texts, labels


def _target(value: str) -> str:
    if value not in ClassifierTarget.values:
        raise ValidationFailed(
            _("Unknown target: %(target)s. Use category or priority.") % {"target": value},
            fields={"target": _("Use category or priority.")},
        )
    return value


@transaction.atomic
def classifier_train(
    *, actor, target: str, min_examples: int = MIN_TRAINING_EXAMPLES
) -> TrainedClassifier:
    """Train the suggestion for `target` ("category" or "priority") on labelled solved/closed
    tickets, score it on a held-out quarter (accuracy, macro-F1), store it and keep the newest
    few. `actor=None` is Kefu itself (the weekly retraining)."""
    if actor is not None:
        require_perm(actor, "tickets.manage_ticket_settings")
    target = _target(target)
    texts, labels = training_examples(target)
    kept = [(t, label) for t, label in zip(texts, labels, strict=True) if t.strip()]
    if len(kept) < min_examples:
        raise ValidationFailed(
            _(
                "Only %(got)d solved or closed tickets have a %(target)s; at least %(needed)d "
                "are needed to train the suggestion."
            )
            % {"got": len(kept), "needed": min_examples, "target": _label(target)},
            fields={"target": _("Not enough labelled tickets.")},
        )
    counts = Counter(label for _text, label in kept)
    if len(counts) < 2:
        raise ValidationFailed(
            _("All labelled tickets have the same %(target)s; at least two are needed to train.")
            % {"target": _label(target)},
            fields={"target": _("Only one label.")},
        )
    texts, labels = [t for t, _l in kept], [label for _t, label in kept]
    scores = _held_out_scores(texts, labels, min_examples)
    import sklearn

    from kefu.tickets import classifier

    trained = classifier.train_text_classifier(texts, labels, min_examples=min_examples)
    row = TrainedClassifier.objects.create(
        target=target,
        model=trained.to_bytes(),
        labels=trained.labels,
        example_count=len(texts),
        test_size=scores.test_size if scores else 0,
        accuracy=scores.accuracy if scores else None,
        macro_f1=scores.macro_f1 if scores else None,
        f1_by_label=scores.f1_by_label if scores else {},
        sklearn_version=sklearn.__version__,
        trained_by=actor if actor is not None and actor.is_authenticated else None,
    )
    old = TrainedClassifier.objects.filter(target=target).order_by("-trained_at", "-id")
    TrainedClassifier.objects.filter(
        pk__in=list(old.values_list("pk", flat=True)[KEEP_PER_TARGET:])
    ).delete()
    audit_record(
        actor=actor,
        action="classifier.trained",
        obj=row,
        changes={
            "target": [None, target],
            "examples": [None, row.example_count],
            "accuracy": [None, row.accuracy],
            "macro_f1": [None, row.macro_f1],
        },
    )
    return row


def _held_out_scores(texts, labels, min_examples) -> classifier.Evaluation | None:
    """Accuracy and F1 on a held-out quarter, or None when the split is impossible (a label
    with too few examples for the stratified split)."""
    from kefu.tickets import classifier

    try:
        return classifier.evaluate(texts, labels, min_examples=min_examples)
    except ValueError:
        return None


def _label(target: str) -> str:
    return str(dict(ClassifierTarget.choices)[target]).lower()


def classifiers_retrain_due(*, max_age: dt.timedelta) -> dict[str, str]:
    """Retrain each target whose newest model is older than `max_age` (or missing); returns
    {target: "trained" | "fresh" | why it was not trained}. Idempotent: run it as often as
    you like."""
    now = timezone.now()
    outcome: dict[str, str] = {}
    for target in ClassifierTarget.values:
        newest = (
            TrainedClassifier.objects.filter(target=target)
            .order_by("-trained_at")
            .values_list("trained_at", flat=True)
            .first()
        )
        if newest is not None and now - newest < max_age:
            outcome[target] = "fresh"
            continue
        try:
            classifier_train(actor=None, target=target)
        except ValidationFailed as exc:
            outcome[target] = exc.message
        else:
            outcome[target] = "trained"
    return outcome
