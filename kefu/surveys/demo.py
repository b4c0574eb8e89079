"""Demo surveys of 华信电子: a post-resolution CSAT survey (with its automatic rule), an NPS
survey, a SERVQUAL survey, the employee survey and the customer-orientation self-assessment,
with a few hundred generated responses over six months so the results pages show charts.

Idempotent: each survey is keyed by its public key ("demo-csat", …); responses are generated
only when the survey has none.
"""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from kefu.accounts.models import Team, User
from kefu.customers.models import Customer
from kefu.surveys import services
from kefu.surveys.models import Answer, Response, Survey, SurveyStatus

CHANNELS = ["phone", "email", "chat", "wechat", "web"]
LOW_COMMENTS = [
    "等了三天才有人回复",
    "The courier never came.",
    "问题到现在还没解决",
    "换货流程太复杂",
]
REASONS = ["服务很快,态度好", "Great after-sales help.", "价格偏高", "客服很专业", "物流太慢"]
_keys = itertools.count(1)


def _survey(instrument: str, key: str, **overrides) -> tuple[Survey, bool]:
    survey = Survey.objects.filter(public_key=key).first()
    if survey is not None:
        return survey, False
    survey = services.survey_create_from_instrument(actor=None, instrument=instrument, **overrides)
    Survey.objects.filter(pk=survey.pk).update(
        public_key=key,
        status=SurveyStatus.PUBLISHED,
        published_at=timezone.now() - dt.timedelta(days=200),
        public_link_enabled=True,
    )
    survey.refresh_from_db()
    return survey, True


def _clip(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def _context():
    teams = list(Team.objects.order_by("id"))
    agents = list(User.objects.filter(username__startswith="agent").order_by("id")[:40])
    customers = list(Customer.objects.filter(merged_into__isnull=True).order_by("id")[:400])
    return teams, agents, customers


def _responses(survey: Survey, count: int, rng, build) -> None:
    """Create `count` submitted responses; `build(rng, i, meta)` returns [(question, kw)]."""
    teams, agents, customers = _context()
    now = timezone.now()
    rows, answers = [], []
    for i in range(count):
        team = rng.choice(teams) if teams else None
        customer = rng.choice(customers) if customers and not survey.anonymous else None
        meta = {
            "team_index": teams.index(team) if team else 0,
            "month": i * 6 // max(count, 1),
        }
        submitted = now - dt.timedelta(days=180 - 30 * meta["month"] - rng.random() * 29)
        rows.append(
            Response(
                survey=survey,
                # The column holds 40 characters (PostgreSQL enforces it, SQLite does not).
                submission_key=f"demo-{survey.pk}-{next(_keys)}-{rng.random():.10f}"[:40],
                customer=customer,
                agent=rng.choice(agents) if agents and not survey.anonymous else None,
                team=team,
                channel=rng.choice(CHANNELS) if not survey.anonymous else "",
                tier=(customer.tier if customer else ""),
                language="zh-hans",
                submitted_at=submitted,
            )
        )
        answers.append(build(rng, i, meta))
    Response.objects.bulk_create(rows, batch_size=500)
    Answer.objects.bulk_create(
        (
            Answer(response=response, question=question, **fields)
            for response, built in zip(rows, answers, strict=True)
            for question, fields in built
        ),
        batch_size=2000,
    )
    # Bulk rows bypass response_save: build the survey's results tallies from them.
    from kefu.surveys import aggregates

    aggregates.rebuild(survey)


def _by_code(survey: Survey) -> dict:
    return {q.code: q for q in survey.questions.all()}


def load(*, scale: int, rng, stdout=None) -> None:
    csat, new = _survey("csat", "demo-csat", follow_up_low_scores=True)
    if not hasattr(csat, "auto_rule"):
        services.auto_rule_save(
            actor=None,
            survey=csat,
            enabled=True,
            delay_minutes=60,
            sampling_percent=50,
            min_days_between=30,
        )
    if new:
        q = _by_code(csat)

        def build_csat(rng, i, meta):
            # Teams differ a little and the service improves over the six months.
            base = 3.6 + 0.15 * meta["month"] - 0.3 * (meta["team_index"] % 3 == 2)
            score = _clip(rng.gauss(base, 1.0), 1, 5)
            out = [
                (q["csat"], {"value": score}),
                (q["ces"], {"value": _clip(rng.gauss(score + 1.5, 1.0), 1, 7)}),
            ]
            if score <= 2 and rng.random() < 0.7:
                out.append((q["why_low"], {"text": rng.choice(LOW_COMMENTS)}))
            return out

        _responses(csat, 300 * scale, rng, build_csat)

    nps, new = _survey("nps", "demo-nps")
    if new:
        q = _by_code(nps)

        def build_nps(rng, i, meta):
            score = _clip(rng.gauss(7.4 + 0.1 * meta["month"], 2.0), 0, 10)
            out = [
                (q["nps"], {"value": score}),
                (q["repurchase"], {"value": _clip(rng.gauss(score / 2.2, 0.9), 1, 5)}),
            ]
            if rng.random() < 0.3:
                out.append((q["reason"], {"text": rng.choice(REASONS)}))
            return out

        _responses(nps, 250 * scale, rng, build_nps)

    servqual, new = _survey("servqual", "demo-servqual")
    if new:
        matrices = list(servqual.questions.filter(kind="matrix"))
        points_question = servqual.questions.get(kind="points")
        shortfall = {
            "tangibles": 0.3,
            "reliability": 1.4,
            "responsiveness": 1.1,
            "assurance": 0.6,
            "empathy": 0.8,
        }

        def build_servqual(rng, i, meta):
            out = []
            for question in matrices:
                for item in question.items:
                    expectation = _clip(rng.gauss(6.2, 0.7), 1, 7)
                    perception = _clip(
                        rng.gauss(expectation - shortfall[question.dimension], 1.0), 1, 7
                    )
                    out.append(
                        (
                            question,
                            {"item": item["id"], "column": "expectation", "value": expectation},
                        )
                    )
                    out.append(
                        (
                            question,
                            {"item": item["id"], "column": "perception", "value": perception},
                        )
                    )
            cuts = sorted(rng.sample(range(1, 20), 4))
            shares = [b - a for a, b in zip([0, *cuts], [*cuts, 20], strict=True)]
            for choice, share in zip(points_question.choices, shares, strict=True):
                out.append((points_question, {"item": choice["id"], "value": share * 5}))
            return out

        _responses(servqual, 120 * scale, rng, build_servqual)

    employee, new = _survey("employee", "demo-employee")
    if new:
        items = list(employee.questions.all())
        mood = {
            "job": 4.0,
            "workplace": 3.6,
            "working_conditions": 3.0,
            "organisation_and_people": 3.8,
            "company_image": 4.1,
        }

        def build_employee(rng, i, meta):
            return [
                (q, {"value": _clip(rng.gauss(mood.get(q.dimension, 3.5), 0.8), 1, 5)})
                for q in items
            ]

        _responses(employee, 60 * scale, rng, build_employee)

    assessment, new = _survey("self_assessment", "demo-self-assessment")
    if new:
        items = list(assessment.questions.all())

        def build_assessment(rng, i, meta):
            strong = {"philosophy", "problem_solving", "approachability"}
            return [
                (q, {"value": _clip(rng.gauss(4.0 if q.dimension in strong else 2.9, 0.8), 1, 5)})
                for q in items
            ]

        _responses(assessment, 12 * scale, rng, build_assessment)
    if stdout is not None:
        stdout.write(
            f"surveys: {Survey.objects.count()} surveys, {Response.objects.count()} responses\n"
        )
