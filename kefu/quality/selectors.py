"""Reads of the quality area: KPI reports, evaluations, calibration, targets, actions."""

from __future__ import annotations

import datetime as dt

import polars as pl
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from kefu.accounts.models import Team
from kefu.quality import facts as kpi_facts
from kefu.quality import factstore, kpis
from kefu.quality.loaders import load_kpi_frames
from kefu.quality.models import (
    CalibrationSession,
    CoachingRecord,
    Criterion,
    Evaluation,
    ImprovementAction,
    KpiTarget,
    MysteryContact,
    Rubric,
    RubricSection,
)

VIEW_ALL = "quality.view_quality"


def kpi_report(
    *,
    level: str,
    period: str,
    start: dt.date,
    end: dt.date,
    team_id=None,
    agent_id=None,
    use_facts: bool = True,
) -> pl.DataFrame:
    """KPIs from stored data: period_start, level_key, level_name, one Float64 column per code
    of kpis.KPI_DEFINITIONS. Mystery-customer tickets are excluded; about a dozen queries."""
    tz = settings.TIME_ZONE
    now = timezone.now().astimezone(dt.UTC).replace(tzinfo=None)
    team_id = int(team_id) if team_id is not None else None
    agent_id = int(agent_id) if agent_id is not None else None

    def live(low: dt.date, high: dt.date) -> pl.DataFrame:
        return kpis.compute_kpis(
            load_kpi_frames(start=low, end=high, tz=tz),
            level=level,
            period=period,
            start=low,
            end=high,
            tz=tz,
            now=now,
            team_id=team_id,
            agent_id=agent_id,
        )

    # Whole closed periods come from the per-day fact table, the current period from the
    # table's closed days plus today computed live; anything else (a period cut by the range,
    # days the table does not hold yet) from the events.
    starts = kpis.period_starts(start, end, period)
    through = factstore.complete_through() if use_facts else None
    today = timezone.localdate()

    def mode(s: dt.date) -> str:
        last = kpis.next_period_start(s, period) - dt.timedelta(days=1)
        if through is None or s < start:
            return "live"
        if last <= end and last <= through:
            return "facts"
        if s <= today <= last and end >= today and through >= today - dt.timedelta(days=1):
            return "current"
        return "live"

    segments: list[list] = []  # [mode, first start, last start]
    for s in starts:
        m = mode(s)
        if segments and segments[-1][0] == m and m != "current":
            segments[-1][2] = s
        else:
            segments.append([m, s, s])
    parts = []
    for m, first, last in segments:
        low = max(first, start)
        high = min(kpis.next_period_start(last, period) - dt.timedelta(days=1), end)
        scope = dict(level=level, period=period, team_id=team_id, agent_id=agent_id)
        if m == "facts":
            parts.append(factstore.report(start=low, end=high, **scope))
        elif m == "current":
            parts.append(factstore.current_period(period_start=low, today=today, now=now, **scope))
        else:
            parts.append(live(low, high))
    report = (
        parts[0]
        if len(segments) == 1 and segments[0][0] == "live"
        else kpi_facts.combine_reports(parts, starts=starts, level=level)
    )
    names = level_names(level, report["level_key"].unique().to_list())
    report = report.with_columns(
        pl.col("level_key").replace_strict(names, default=pl.col("level_key")).alias("level_name")
    )
    return report.select("period_start", "level_key", "level_name", *kpis.KPI_CODES)


def level_names(level: str, keys: list[str]) -> dict[str, str]:
    from django.utils.translation import gettext as _

    if level == "company":
        return {"company": str(_("Company"))}
    ids = [int(k) for k in keys if k.isdigit()]
    if level == "team":
        return {
            str(pk): name for pk, name in Team.objects.filter(pk__in=ids).values_list("pk", "name")
        }
    users = get_user_model().objects.filter(pk__in=ids)
    return {str(u.pk): str(u) for u in users}


# --- QA ---------------------------------------------------------------------------------------


def rubric_list(*, active_only: bool = False, history: bool = False) -> QuerySet[Rubric]:
    """Scorecards: the current revision of each (all revisions with `history`)."""
    qs = Rubric.objects.annotate(criteria_count=Count("sections__criteria")).order_by(
        "name", "-revision"
    )
    if not history:
        qs = qs.filter(is_current=True)
    return qs.filter(is_active=True) if active_only else qs


def rubric_revisions(rubric: Rubric) -> list[Rubric]:
    """Every revision of a scorecard, newest first, with how many evaluations each has."""
    chain = [rubric]
    while (nxt := Rubric.objects.filter(previous=chain[0]).first()) is not None:
        chain.insert(0, nxt)
    while chain[-1].previous_id is not None:
        chain.append(Rubric.objects.get(pk=chain[-1].previous_id))
    counts = dict(
        Evaluation.objects.filter(rubric__in=chain)
        .values("rubric")
        .annotate(n=Count("id"))
        .values_list("rubric", "n")
    )
    for r in chain:
        r.evaluation_count = counts.get(r.pk, 0)
    return chain


def rubric_detail(rubric_id: int) -> Rubric:
    """A rubric with its sections and criteria (three queries)."""
    return Rubric.objects.prefetch_related(
        Prefetch(
            "sections",
            queryset=RubricSection.objects.prefetch_related(
                Prefetch("criteria", queryset=Criterion.objects.select_related("competency"))
            ),
        )
    ).get(pk=rubric_id)


def rubric_criteria(rubric: Rubric) -> list[Criterion]:
    return list(
        Criterion.objects.filter(section__rubric=rubric)
        .select_related("section", "competency")
        .order_by("section__position", "section_id", "position", "id")
    )


def can_see_all(user) -> bool:
    return user.has_perm(VIEW_ALL) or user.has_perm("quality.evaluate")


def evaluation_list(user, *, agent_id=None, state: str = "") -> QuerySet[Evaluation]:
    """Evaluations the user may see: their own as an agent; all for QA and supervisors."""
    qs = Evaluation.objects.select_related(
        "ticket", "agent", "evaluator", "rubric", "team", "dispute"
    )
    if not can_see_all(user):
        qs = qs.filter(agent=user)
    elif agent_id:
        qs = qs.filter(agent_id=agent_id)
    if state:
        qs = qs.filter(state=state)
    return qs.filter(calibration__isnull=True)


def evaluation_detail(user, evaluation_id: int) -> Evaluation:
    from django.core.exceptions import PermissionDenied

    evaluation = (
        Evaluation.objects.select_related(
            "ticket", "agent", "evaluator", "rubric", "team", "dispute", "calibration"
        )
        .prefetch_related("scores__criterion__section")
        .get(pk=evaluation_id)
    )
    if not can_see_all(user) and evaluation.agent_id != user.pk:
        raise PermissionDenied
    return evaluation


def calibration_list() -> QuerySet[CalibrationSession]:
    return (
        CalibrationSession.objects.select_related("ticket", "rubric")
        .annotate(evaluator_count=Count("evaluations"))
        .order_by("-created_at", "-id")
    )


def calibration_scores(session: CalibrationSession) -> pl.DataFrame:
    """One row per (evaluator, criterion): evaluator, criterion_id, value (one query)."""
    from kefu.quality.models import CriterionScore

    rows = CriterionScore.objects.filter(evaluation__calibration=session).values_list(
        "evaluation__evaluator_id", "criterion_id", "value"
    )
    return pl.DataFrame(
        list(rows),
        schema={"evaluator_id": pl.Int64, "criterion_id": pl.Int64, "value": pl.Float64},
        orient="row",
    )


def mystery_list() -> QuerySet[MysteryContact]:
    return MysteryContact.objects.select_related("ticket", "rubric", "recorded_by")


def coaching_list(user, *, open_only: bool = True) -> QuerySet[CoachingRecord]:
    qs = CoachingRecord.objects.select_related("agent", "criterion", "evaluation", "coach")
    if not can_see_all(user):
        qs = qs.filter(agent=user)
    return qs.filter(done_at__isnull=True) if open_only else qs


def target_list(*, kpi: str = "") -> QuerySet[KpiTarget]:
    qs = KpiTarget.objects.select_related("team", "agent", "parent")
    return qs.filter(kpi=kpi) if kpi else qs


def action_list(*, state: str = "") -> QuerySet[ImprovementAction]:
    qs = ImprovementAction.objects.select_related("owner", "team", "problem")
    return qs.filter(state=state) if state else qs


# --- dashboard --------------------------------------------------------------------------------


def _trend(current, previous) -> str:
    if current is None or previous is None or current == previous:
        return "flat"
    return "up" if current > previous else "down"


def active_target(kpi: str, *, day: dt.date, team_id=None, agent_id=None) -> KpiTarget | None:
    qs = KpiTarget.objects.filter(kpi=kpi, start__lte=day, end__gte=day)
    if agent_id:
        return qs.filter(level="agent", agent_id=agent_id).first()
    if team_id:
        return qs.filter(level="team", team_id=team_id).first()
    return qs.filter(level="company").first()


def kpi_dashboard(
    *, period: str, start: dt.date, end: dt.date, team_id=None, agent_id=None
) -> dict:
    """Cards (value of the last period, previous period, trend, target and progress), the
    report rows for charts and tables. A fixed number of queries."""
    from kefu.quality import targets as target_math

    level = "agent" if agent_id else ("team" if team_id else "company")
    report = kpi_report(
        level=level, period=period, start=start, end=end, team_id=team_id, agent_id=agent_id
    )
    if report.is_empty():
        report = report.clear()
    last = report.row(-1, named=True) if report.height else {}
    prev = report.row(-2, named=True) if report.height > 1 else {}
    filters = {"level": "agent", "agent": agent_id} if agent_id else {}
    if team_id and not agent_id:
        filters = {"level": "team", "team": team_id}
    target_rows = {
        t.kpi: t
        for t in KpiTarget.objects.filter(start__lte=end, end__gte=end).filter(
            **(
                {"level": "agent", "agent_id": agent_id}
                if agent_id
                else {"level": "team", "team_id": team_id}
                if team_id
                else {"level": "company"}
            )
        )
    }
    cards = []
    for code, definition in kpis.KPI_DEFINITIONS.items():
        value, previous = last.get(code), prev.get(code)
        trend = _trend(value, previous)
        target = target_rows.get(code)
        cards.append(
            {
                "code": code,
                "label": definition.label,
                "unit": definition.unit,
                "definition": definition.definition,
                "value": value,
                "previous": previous,
                "trend": trend,
                "better": trend != "flat" and ((trend == "up") == definition.higher_is_better),
                "target": target.value if target else None,
                "progress": target_math.progress(value, target.value, definition.higher_is_better)
                if target and value is not None
                else None,
                "period_start": last.get("period_start"),
                "level_key": last.get("level_key"),
            }
        )
    return {"level": level, "report": report, "cards": cards, "filters": filters}


def drill_down_tickets(
    *, kpi: str, level: str, period: str, period_start: dt.date, level_key: str
) -> list[int]:
    """Ids of the tickets behind one KPI figure."""
    tz = settings.TIME_ZONE
    end = kpis.next_period_start(period_start, period) - dt.timedelta(days=1)
    frames = load_kpi_frames(start=period_start, end=end, tz=tz)
    records = kpis.kpi_records(
        frames,
        level=level,
        period=period,
        start=period_start,
        end=end,
        tz=tz,
        now=timezone.now().astimezone(dt.UTC).replace(tzinfo=None),
    )
    return kpis.drill_down(records, kpi, period_start=period_start, level_key=level_key)


# --- people: competencies, recognition, staff care ----------------------------------------------


def competency_scores(*, agent_id=None, since: dt.date | None = None) -> pl.DataFrame:
    """agent_id, competency_id, value of every criterion scored (calibrations excluded)."""
    from kefu.quality.models import CriterionScore

    qs = CriterionScore.objects.filter(
        evaluation__calibration__isnull=True, criterion__competency__isnull=False
    )
    if agent_id:
        qs = qs.filter(evaluation__agent_id=agent_id)
    if since:
        qs = qs.filter(evaluation__created_at__date__gte=since)
    rows = qs.values_list("evaluation__agent_id", "criterion__competency_id", "value")
    return pl.DataFrame(
        list(rows),
        schema={"agent_id": pl.Int64, "competency_id": pl.Int64, "value": pl.Float64},
        orient="row",
    )


def care_contacts(*, since: dt.datetime) -> pl.DataFrame:
    """agent_id, at, day, difficult: one row per ticket an agent replied to (first reply per
    day). Difficult = complaint, urgent, escalated by an SLA rule, or answered CSAT ≤ 2."""
    from kefu.sla.models import EscalationFiring
    from kefu.surveys.models import Answer
    from kefu.tickets.models import Message

    rows = (
        Message.objects.filter(kind="reply", created_at__gte=since, author__isnull=False)
        .exclude(ticket_id__in=MysteryContact.objects.values("ticket_id"))
        .values_list("author_id", "ticket_id", "created_at", "ticket__kind", "ticket__priority")
    )
    frame = pl.DataFrame(
        list(rows),
        schema={
            "agent_id": pl.Int64,
            "ticket_id": pl.Int64,
            "at": pl.Datetime("us", "UTC"),
            "kind": pl.Utf8,
            "priority": pl.Utf8,
        },
        orient="row",
    )
    escalated = list(
        EscalationFiring.objects.filter(created_at__gte=since).values_list("ticket_id", flat=True)
    )
    angry = list(
        Answer.objects.filter(
            question__metric="csat",
            value__lte=2,
            response__ticket__isnull=False,
            response__submitted_at__gte=since,
        ).values_list("response__ticket_id", flat=True)
    )
    tz = settings.TIME_ZONE
    frame = frame.with_columns(
        pl.col("at").dt.convert_time_zone(tz).dt.date().alias("day"),
        (
            (pl.col("kind") == "complaint")
            | (pl.col("priority") == "urgent")
            | pl.col("ticket_id").is_in(pl.Series(escalated, dtype=pl.Int64).implode())
            | pl.col("ticket_id").is_in(pl.Series(angry, dtype=pl.Int64).implode())
        ).alias("difficult"),
    )
    return (
        frame.sort("at")
        .unique(["agent_id", "ticket_id", "day"], keep="first", maintain_order=True)
        .select("agent_id", "at", "day", "difficult")
    )


def user_names(ids) -> dict[int, str]:
    return {u.pk: str(u) for u in get_user_model().objects.filter(pk__in=list(ids))}


def ticket_by_number(text: str):
    """A ticket by its public number (KF-2026-000123) or database id; None if not found."""
    from kefu.tickets.models import Ticket

    text = (text or "").strip()
    if not text:
        return None
    ticket = Ticket.objects.filter(public_id__iexact=text).first()
    if ticket is None and text.isdigit():
        ticket = Ticket.objects.filter(pk=int(text)).first()
    return ticket


def target_progress(target_rows: list[KpiTarget]) -> list[dict]:
    """Each target with its actual value so far and attainment (one KPI report per level)."""
    from kefu.quality import targets as target_math

    if not target_rows:
        return []
    start = min(t.start for t in target_rows)
    end = min(max(t.end for t in target_rows), timezone.localdate())
    start = min(start, end)
    reports = {
        level: kpi_report(level=level, period="month", start=start, end=end)
        for level in {t.level for t in target_rows}
    }
    out = []
    for t in target_rows:
        key = {"company": "company", "team": str(t.team_id), "agent": str(t.agent_id)}[t.level]
        report = reports[t.level].filter(
            (pl.col("level_key") == key)
            & (pl.col("period_start") >= t.start.replace(day=1))
            & (pl.col("period_start") <= t.end)
        )
        actual = kpis.totals(report.drop("level_name"))[t.kpi] if report.height else None
        definition = kpis.KPI_DEFINITIONS[t.kpi]
        out.append(
            {
                "target": t,
                "definition": definition,
                "actual": actual,
                "progress": target_math.progress(actual, t.value, definition.higher_is_better),
            }
        )
    return out


def people_overview(*, agent_id: int, include_team: bool) -> dict:
    """Competency profile and weakest area of one agent with training; and, for supervisors,
    the balanced-score ranking, staff-care warnings and consistency across agents."""
    from kefu.quality import people
    from kefu.quality.models import (
        CareSettings,
        Competency,
        TrainingAssignment,
        TrainingItem,
    )

    competencies = {c.pk: c.name for c in Competency.objects.all()}
    profile = people.competency_profile(competency_scores(agent_id=agent_id))
    rows = [
        {**r, "name": competencies.get(r["competency_id"], "")}
        for r in profile.filter(pl.col("agent_id") == agent_id).to_dicts()
    ]
    weakest = [r for r in rows if r["weakest"]]
    weakest_ids = [r["competency_id"] for r in weakest]
    suggestions = list(TrainingItem.objects.filter(competency_id__in=weakest_ids))
    assignments = list(
        TrainingAssignment.objects.filter(agent_id=agent_id).select_related("item__competency")
    )
    context = {
        "agent_name": user_names([agent_id]).get(agent_id, ""),
        "profile": rows,
        "weakest": weakest,
        "suggestions": [s for s in suggestions if s.pk not in {a.item_id for a in assignments}],
        "assignments": assignments,
        "coaching": list(
            CoachingRecord.objects.filter(agent_id=agent_id, done_at__isnull=True).select_related(
                "criterion"
            )
        ),
    }
    if not include_team:
        return context
    care = CareSettings.objects.order_by("pk").first() or CareSettings()
    today = timezone.localdate()
    since = today - dt.timedelta(days=care.window_days)
    agents = kpi_report(level="agent", period="month", start=since, end=today)
    per_agent = (
        agents.group_by("level_key")
        .agg([pl.col(c).mean() for c in ("qa_score", "csat", "fcr_rate")])
        .sort("level_key")
    )
    ranking = people.balanced_scores(per_agent).to_dicts()
    names = user_names(int(r["level_key"]) for r in per_agent.to_dicts())
    for r in ranking:
        r["name"] = names.get(int(r["level_key"]), r["level_key"])
    low = dt.datetime.combine(since, dt.time(), tzinfo=timezone.get_current_timezone())
    contacts = care_contacts(since=low)
    figures = people.care_figures(
        contacts,
        max_per_day=care.max_tickets_per_day,
        max_difficult_share=care.max_difficult_share,
        max_consecutive=care.max_consecutive_difficult,
    ).to_dicts()
    names.update(user_names(r["agent_id"] for r in figures))
    for r in figures:
        r["name"] = names.get(r["agent_id"], str(r["agent_id"]))
        r["warn"] = r["warn_workload"] or r["warn_difficult_share"] or r["warn_consecutive"]
    context.update(
        ranking=ranking,
        care=figures,
        care_settings=care,
        consistency=people.consistency(per_agent),
        window_days=care.window_days,
    )
    return context


def sample_tickets(*, size: int = 10, days: int = 14, seed: int | None = None) -> list:
    """Tickets to evaluate: every complaint with granted compensation (rule) plus a uniform
    random sample of the other solved ones of the last `days` days; never one already
    evaluated or a mystery-customer contact. Two queries."""
    import numpy as np

    from kefu.tickets.models import Ticket

    since = timezone.now() - dt.timedelta(days=days)
    candidates = (
        Ticket.objects.filter(solved_at__gte=since, assignee__isnull=False)
        .exclude(pk__in=Evaluation.objects.values("ticket_id"))
        .exclude(pk__in=MysteryContact.objects.values("ticket_id"))
    )
    rows = list(
        candidates.values_list("pk", "kind", "compensations__state").order_by("pk")[:50_000]
    )
    if not rows:
        return []
    frame = pl.DataFrame(
        rows, schema={"pk": pl.Int64, "kind": pl.Utf8, "comp": pl.Utf8}, orient="row"
    )
    ruled = (
        frame.filter(
            (pl.col("kind") == "complaint") & pl.col("comp").is_in(["approved", "granted"])
        )["pk"]
        .unique()
        .to_list()
    )
    rest = np.setdiff1d(frame["pk"].unique().to_numpy(), ruled)
    rng = np.random.default_rng(seed)
    chosen = (
        rng.choice(rest, size=min(size, rest.size), replace=False).tolist() if rest.size else []
    )
    ids = ruled[:size] + chosen
    tickets = Ticket.objects.filter(pk__in=ids).select_related("assignee")
    return sorted(tickets, key=lambda t: (t.pk not in ruled, t.pk))
