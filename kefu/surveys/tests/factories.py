"""Factories for survey tests: surveys from the instruments, answers through the services."""

from __future__ import annotations

import itertools

from kefu.surveys import services
from kefu.surveys.models import Survey

_n = itertools.count(1)


def published(actor, instrument: str = "csat", **overrides) -> Survey:
    survey = services.survey_create_from_instrument(actor=actor, instrument=instrument, **overrides)
    return services.survey_publish(actor=actor, survey=survey, expected_version=survey.version)


def question(survey: Survey, code: str):
    return survey.questions.get(code=code)


def submit(survey: Survey, answers: dict, *, invitation=None, partial: bool = False):
    """Submit answers given as {question code: value | {item: {column: value}} | …}."""
    data = {}
    for code, value in answers.items():
        q = question(survey, code)
        if isinstance(value, dict):
            for item, inner in value.items():
                if isinstance(inner, dict):
                    for column, cell in inner.items():
                        data[f"q{q.pk}__{item}__{column}"] = str(cell)
                else:
                    data[f"q{q.pk}__{item}"] = str(inner)
        elif isinstance(value, list):
            data[f"q{q.pk}"] = [str(v) for v in value]
        else:
            data[f"q{q.pk}"] = str(value)
    key = "" if invitation is not None and not survey.anonymous else f"test-{next(_n)}"
    return services.response_save(
        survey=survey, data=data, invitation=invitation, submission_key=key, partial=partial
    )
