"""Excel export of a survey: raw responses and the aggregates, one workbook (openpyxl)."""

from __future__ import annotations

import io

from django.http import HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook

from kefu.core.spreadsheet import safe_row
from kefu.surveys import selectors
from kefu.surveys.analysis import SurveyResults
from kefu.surveys.models import Survey

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _round(value):
    return round(value, 4) if isinstance(value, float) else value


def results_workbook(survey: Survey, results: SurveyResults) -> Workbook:
    """Sheets: Responses (raw, one row per response), Questions, Breakdowns, and the instrument
    blocks (SERVQUAL items, RATER, CSI, categories) when present."""
    book = Workbook()
    raw = book.active
    raw.title = _("Responses")[:31]
    header, rows = selectors.raw_responses(survey)
    raw.append(safe_row(header))
    for row in rows:  # respondents' own text: never let a spreadsheet run it as a formula
        raw.append(safe_row(row))
    questions = book.create_sheet(_("Questions")[:31])
    questions.append(
        [
            _("Question"),
            _("Answers"),
            _("Mean"),
            _("95% CI low"),
            _("95% CI high"),
            _("Answer"),
            _("Count"),
            _("Share"),
        ]
    )
    for summary in results.questions:
        base = [
            summary.question.text,
            summary.n,
            _round(summary.mean),
            _round(summary.ci_low),
            _round(summary.ci_high),
        ]
        if not summary.distribution:
            questions.append(base)
        for label, count, share in summary.distribution:
            questions.append([*base, label, count, _round(share)])
    scores = book.create_sheet(_("Scores")[:31])
    scores.append([_("Measure"), _("Value"), _("95% CI low"), _("95% CI high"), _("n")])
    if results.csat:
        scores.append(
            [
                "CSAT %",
                _round(results.csat.csat),
                _round(results.csat.ci_low),
                _round(results.csat.ci_high),
                results.csat.n,
            ]
        )
    if results.nps:
        scores.append(
            [
                "NPS",
                _round(results.nps.nps),
                _round(results.nps.ci_low),
                _round(results.nps.ci_high),
                results.nps.n,
            ]
        )
    if results.ces:
        ci = results.ces.mean_ci
        scores.append(
            ["CES", _round(results.ces.mean), _round(ci.low), _round(ci.high), results.ces.n]
        )
    breakdown = book.create_sheet(_("Breakdowns")[:31])
    breakdown.append([_("By"), _("Group"), _("n"), _("Mean"), _("Score")])
    for group, rows_ in results.breakdowns.items():
        for row in rows_:
            breakdown.append(
                [group, row["group"], row["n"], _round(row["mean"]), _round(row["score"])]
            )
    if results.servqual:
        sheet = book.create_sheet("SERVQUAL")
        sheet.append([_("Item"), _("Dimension"), _("Expectation"), _("Perception"), _("Gap")])
        for item in results.servqual["items"]:
            sheet.append(
                [
                    item["code"],
                    item["dimension"],
                    _round(item["expectation"]),
                    _round(item["perception"]),
                    _round(item["gap"]),
                ]
            )
        sheet.append([])
        for dimension, gap in results.servqual["dimensions"].items():
            sheet.append([dimension, "", "", "", _round(gap)])
        sheet.append([_("Unweighted score"), "", "", "", _round(results.servqual["unweighted"])])
        sheet.append([_("Weighted score"), "", "", "", _round(results.servqual["weighted"])])
    if results.rater:
        sheet = book.create_sheet("RATER")
        sheet.append([_("Group"), *[k for k in results.rater["overall"]]])
        sheet.append([_("All"), *[_round(v) for v in results.rater["overall"].values()]])
        for group in ("period", "team", "channel"):
            for row in results.rater.get(group, []):
                sheet.append(
                    [f"{group}: {row[group]}", *[_round(row[k]) for k in results.rater["overall"]]]
                )
    if results.csi:
        sheet = book.create_sheet("CSI")
        sheet.append(["CSI", _round(results.csi["index"])])
        sheet.append([_("Attribute"), _("Importance"), _("Satisfaction"), _("Quadrant")])
        for row in results.csi["attributes"]:
            sheet.append(
                [
                    row["attribute"],
                    _round(row["importance"]),
                    _round(row["satisfaction"]),
                    row["quadrant"],
                ]
            )
    if results.dimensions:
        sheet = book.create_sheet(_("Categories")[:31])
        sheet.append([_("Category"), _("Score"), _("Maximum"), _("% of maximum")])
        for row in results.dimensions["categories"]:
            sheet.append(
                [row["label"], _round(row["score"]), _round(row["maximum"]), _round(row["percent"])]
            )
    return book


def results_response(survey: Survey, results: SurveyResults) -> HttpResponse:
    buffer = io.BytesIO()
    results_workbook(survey, results).save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="survey-{survey.pk}-results.xlsx"'
    return response
