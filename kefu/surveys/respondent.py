"""The respondent's form as plain blocks for the template (no JavaScript needed).

Used by the public page (/s/<token>/) and the builder's preview. Values come from the posted
data (after an error) or from a saved draft.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from kefu.surveys.answering import SCALES, field_name
from kefu.surveys.models import Question, _in_language


def _values_from_answers(answers) -> dict[str, Any]:
    """Saved answers → the flat form-field mapping (as if they had been posted)."""
    data: dict[str, Any] = {}
    for answer in answers:
        parts = [p for p in (answer.item, answer.column) if p] if answer.item else []
        if answer.item and not answer.column and answer.question.kind == "matrix":
            parts = [answer.item, ""]
        name = field_name(answer.question_id, *parts)
        if answer.choice_ids:
            data[name] = list(answer.choice_ids)
        elif answer.value is not None:
            data[name] = f"{answer.value:g}"
        else:
            data[name] = answer.text
    return data


def _chosen(data: Mapping[str, Any], name: str) -> list[str]:
    raw = data.get(name)
    if raw is None:
        return []
    return [str(v) for v in raw] if isinstance(raw, list | tuple) else [str(raw)]


def _point_label(question: Question, value: int) -> str:
    label = question.labels.get(str(value)) if isinstance(question.labels, dict) else None
    return _in_language(label.get("en", ""), label.get("zh", "")) if label else ""


def _scale_points(question: Question, kind: str, name: str, data) -> list[dict[str, Any]]:
    low, high = SCALES[kind]
    chosen = _chosen(data, name)
    return [
        {
            "value": value,
            "label": _point_label(question, value),
            "checked": str(value) in chosen,
            "id": f"{name}_{value}",
        }
        for value in range(low, high + 1)
    ]


def form_blocks(
    questions: list[Question], data: Mapping[str, Any], errors: Mapping[str, str]
) -> list[dict[str, Any]]:
    numbers = {q.pk: n for n, q in enumerate(questions, 1)}
    blocks = []
    section_id = None
    for number, q in enumerate(questions, 1):
        name = field_name(q.pk)
        block: dict[str, Any] = {
            "number": number,
            "name": name,
            "kind": q.kind,
            "text": q.text,
            "help": q.help,
            "required": q.required,
            "error": errors.get(name, ""),
            "section": q.section.title if q.section_id and q.section_id != section_id else "",
        }
        section_id = q.section_id or section_id
        if q.show_if_question_id and q.show_if_value is not None:
            operator = _("or less") if q.show_if_operator == "le" else _("or more")
            block["condition"] = _(
                "Answer only if your answer to question %(number)d was %(value)s %(operator)s."
            ) % {
                "number": numbers.get(q.show_if_question_id, 0),
                "value": f"{q.show_if_value:g}",
                "operator": operator,
            }
        if q.kind in SCALES:
            block["points"] = _scale_points(q, q.kind, name, data)
        elif q.kind in ("single", "multi"):
            chosen = _chosen(data, name)
            block["choices"] = [
                {
                    "id": str(c["id"]),
                    "label": _in_language(c.get("en", ""), c.get("zh", "")),
                    "checked": str(c["id"]) in chosen,
                    "input_id": f"{name}_{c['id']}",
                }
                for c in q.choices
            ]
        elif q.kind == "matrix":
            columns = q.columns or [{"id": "", "en": "", "zh": ""}]
            block["rows"] = [
                {
                    "label": _in_language(item.get("en", ""), item.get("zh", "")),
                    "code": item["id"],
                    "cells": [
                        {
                            "label": _in_language(c.get("en", ""), c.get("zh", "")),
                            "name": field_name(q.pk, str(item["id"]), str(c["id"])),
                            "points": _scale_points(
                                q,
                                q.scale_kind or "likert7",
                                field_name(q.pk, str(item["id"]), str(c["id"])),
                                data,
                            ),
                        }
                        for c in columns
                    ],
                }
                for item in q.items
            ]
            low, high = SCALES.get(q.scale_kind or "likert7", (1, 7))
            block["scale_hint"] = " · ".join(
                f"{v} = {_point_label(q, v)}" for v in range(low, high + 1) if _point_label(q, v)
            )
        elif q.kind == "points":
            block["inputs"] = [
                {
                    "name": field_name(q.pk, str(c["id"])),
                    "label": _in_language(c.get("en", ""), c.get("zh", "")),
                    "value": (_chosen(data, field_name(q.pk, str(c["id"]))) or [""])[0],
                }
                for c in q.choices
            ]
        else:
            block["value"] = (_chosen(data, name) or [""])[0]
        blocks.append(block)
    return blocks


def saved_values(response) -> dict[str, Any]:
    if response is None:
        return {}
    return _values_from_answers(response.answers.select_related("question"))
