"""Server-side validation of one respondent's answers: ranges, required, choice ids, skip logic.

No Django: questions are any objects with the Question attributes (pk, kind, required, …) and
the answers come as a flat mapping of form field names to strings or lists of strings:

    q<id>                      scale, single choice, free text (str); multiple choice (list)
    q<id>__<item>__<column>    one matrix cell
    q<id>__<choice>            points given to one choice (the points must sum to 100)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

POINTS_TOTAL = 100
TEXT_MAX = 5000
SCALES: dict[str, tuple[int, int]] = {"likert5": (1, 5), "likert7": (1, 7), "scale10": (0, 10)}


def _(message: str) -> str:
    """No-op marker so makemessages extracts the messages; callers translate them."""
    return message


@dataclass(frozen=True)
class CleanAnswer:
    question_id: int
    item: str = ""
    column: str = ""
    value: float | None = None
    choice_ids: tuple[str, ...] = ()
    text: str = ""


@dataclass
class Validation:
    answers: list[CleanAnswer] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # field name → message
    hidden: set[int] = field(default_factory=set)  # question ids skipped by skip logic
    translate: Callable[[str], str] = str  # e.g. django's gettext, applied before interpolating

    @property
    def ok(self) -> bool:
        return not self.errors


def field_name(question_id: int, *parts: str) -> str:
    return "__".join([f"q{question_id}", *parts])


def _scale(question) -> tuple[int, int] | None:
    kind = question.scale_kind if question.kind == "matrix" else question.kind
    return SCALES.get(kind)


def _first(raw: Any) -> str:
    if isinstance(raw, list | tuple):
        raw = raw[0] if raw else ""
    return "" if raw is None else str(raw).strip()


def _number(raw: str, low: float, high: float, *, integer: bool = True) -> float | None:
    """The number in `raw` if it is inside [low, high] (and whole when `integer`), else None."""
    try:
        value = float(raw)
    except ValueError:
        return None
    if not math.isfinite(value) or value < low or value > high:
        return None
    if integer and value != int(value):
        return None
    return value


def _label(question, number: int) -> str:
    return f"{number}. {question.text}"


def is_shown(question, numeric: Mapping[int, float]) -> bool:
    """Skip logic: a question with a condition is shown only when the earlier answer meets it."""
    condition_id = getattr(question, "show_if_question_id", None)
    if condition_id is None or question.show_if_value is None:
        return True
    answer = numeric.get(condition_id)
    if answer is None:
        return False
    if question.show_if_operator == "ge":
        return answer >= question.show_if_value
    return answer <= question.show_if_value


def validate_answers(
    questions: Sequence,
    data: Mapping[str, Any],
    *,
    partial: bool = False,
    translate: Callable[[str], str] = str,
) -> Validation:
    """Clean `data` against `questions` (in survey order). `partial` skips the required checks,
    so a half-filled form can be saved; ranges and choice ids are always checked."""
    result = Validation(translate=translate)
    numeric: dict[int, float] = {}
    for number, question in enumerate(questions, 1):
        if not is_shown(question, numeric):
            result.hidden.add(question.pk)
            continue
        before = len(result.answers)
        _validate_one(question, number, data, result, partial)
        given = result.answers[before:]
        if given and given[0].value is not None and not given[0].item:
            numeric[question.pk] = given[0].value
        name = field_name(question.pk)
        if question.required and not partial and not given and name not in result.errors:
            result.errors[name] = result.translate(_("%(question)s: an answer is required.")) % {
                "question": _label(question, number)
            }
    return result


def _validate_one(
    question, number: int, data: Mapping[str, Any], result: Validation, partial: bool
) -> None:
    kind, name, label = question.kind, field_name(question.pk), _label(question, number)
    if kind in SCALES:
        raw = _first(data.get(name))
        if not raw:
            return
        low, high = SCALES[kind]
        value = _number(raw, low, high)
        if value is None:
            result.errors[name] = result.translate(
                _("%(question)s: choose a whole number from %(low)d to %(high)d.")
            ) % {
                "question": label,
                "low": low,
                "high": high,
            }
            return
        result.answers.append(CleanAnswer(question.pk, value=value))
    elif kind in ("single", "multi"):
        raw = data.get(name)
        chosen = [str(v).strip() for v in (raw if isinstance(raw, list | tuple) else [raw]) if v]
        chosen = list(dict.fromkeys(c for c in chosen if c))
        if not chosen:
            return
        valid = {str(choice["id"]) for choice in question.choices}
        unknown = [c for c in chosen if c not in valid]
        if unknown or (kind == "single" and len(chosen) > 1):
            result.errors[name] = result.translate(
                _("%(question)s: choose among the listed options.")
            ) % {"question": label}
            return
        result.answers.append(CleanAnswer(question.pk, choice_ids=tuple(chosen)))
    elif kind == "matrix":
        _validate_matrix(question, label, data, result, partial)
    elif kind == "points":
        _validate_points(question, label, data, result)
    elif kind == "text":
        text = _first(data.get(name))
        if not text:
            return
        if len(text) > TEXT_MAX:
            result.errors[name] = result.translate(
                _("%(question)s: at most %(max)d characters.")
            ) % {
                "question": label,
                "max": TEXT_MAX,
            }
            return
        result.answers.append(CleanAnswer(question.pk, text=text))


def _cells(question) -> Iterable[tuple[str, str]]:
    columns = [str(c["id"]) for c in question.columns] or [""]
    for item in question.items:
        for column in columns:
            yield str(item["id"]), column


def _validate_matrix(
    question, label: str, data: Mapping[str, Any], result: Validation, partial: bool
) -> None:
    low, high = _scale(question) or (1, 7)
    name = field_name(question.pk)
    cells, missing = [], 0
    for item, column in _cells(question):
        raw = _first(data.get(field_name(question.pk, item, column)))
        if not raw:
            missing += 1
            continue
        value = _number(raw, low, high)
        if value is None:
            result.errors[name] = result.translate(
                _("%(question)s: every row takes a whole number from %(low)d to %(high)d.")
            ) % {"question": label, "low": low, "high": high}
            return
        cells.append(CleanAnswer(question.pk, item=item, column=column, value=value))
    if cells and missing and question.required and not partial:
        result.errors[name] = result.translate(_("%(question)s: answer every row.")) % {
            "question": label
        }
        return
    result.answers.extend(cells)


def _validate_points(question, label: str, data: Mapping[str, Any], result: Validation) -> None:
    name = field_name(question.pk)
    cells = []
    for choice in question.choices:
        raw = _first(data.get(field_name(question.pk, str(choice["id"]))))
        if not raw:
            continue
        value = _number(raw, 0, POINTS_TOTAL)
        if value is None:
            result.errors[name] = result.translate(
                _("%(question)s: give whole points from 0 to 100.")
            ) % {"question": label}
            return
        cells.append(CleanAnswer(question.pk, item=str(choice["id"]), value=value))
    if cells and sum(c.value or 0 for c in cells) != POINTS_TOTAL:
        result.errors[name] = result.translate(
            _("%(question)s: the points must add up to 100.")
        ) % {"question": label}
        return
    result.answers.extend(cells)


def flatten_api_answers(answers: Mapping[str, Any]) -> dict[str, Any]:
    """API body {"<question id>": value | [ids] | {item: {column: value}} | {choice: points} |
    text} → the flat form-field mapping that validate_answers reads."""
    flat: dict[str, Any] = {}
    for key, value in answers.items():
        base = f"q{str(key).removeprefix('q')}"
        if isinstance(value, Mapping):
            for item, inner in value.items():
                if isinstance(inner, Mapping):
                    for column, cell in inner.items():
                        flat[f"{base}__{item}__{column}"] = "" if cell is None else str(cell)
                else:
                    flat[f"{base}__{item}"] = "" if inner is None else str(inner)
        elif isinstance(value, list | tuple):
            flat[base] = [str(v) for v in value]
        else:
            flat[base] = "" if value is None else str(value)
    return flat
