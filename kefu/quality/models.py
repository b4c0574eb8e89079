"""QA rubrics and evaluations, mystery-customer contacts, calibration, disputes and coaching
(M37, M15 8F); KPI targets and PDCA improvement actions (M38); competencies and training (M43);
staff-care thresholds (M41)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.core.models import TimeStampedModel, VersionedModel

USER = settings.AUTH_USER_MODEL


class Competency(models.Model):
    """A skill QA criteria measure (empathy, product knowledge, …); the radar's axes (M43)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("competency")
        verbose_name_plural = _("competencies")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Rubric(VersionedModel):
    """A QA scorecard: criteria grouped in sections, with weights and auto-fail criteria.

    Scorecards are revised, not rewritten, once used: editing one that has evaluations creates
    the next revision (`previous` points back, `is_current` moves to it) and the evaluations
    keep the revision they were scored on."""

    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    revision = models.PositiveIntegerField(_("revision"), default=1, editable=False)
    previous = models.OneToOneField(
        "self",
        verbose_name=_("previous revision"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="next_revision",
    )
    is_current = models.BooleanField(_("current revision"), default=True, editable=False)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        ordering = ["name", "-revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(is_current=True),
                name="quality_rubric_current_name_unique",
            ),
        ]
        permissions = [
            ("evaluate", _("Can evaluate tickets (QA)")),
            ("resolve_dispute", _("Can resolve evaluation disputes")),
            ("view_quality", _("Can see KPIs and QA results of every agent")),
            ("manage_targets", _("Can set targets and manage improvement actions")),
        ]

    def __str__(self) -> str:
        return self.name


class RubricSection(models.Model):
    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="sections")
    name = models.CharField(_("name"), max_length=150)
    position = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        ordering = ["rubric_id", "position", "id"]

    def __str__(self) -> str:
        return self.name


class Criterion(models.Model):
    section = models.ForeignKey(RubricSection, on_delete=models.CASCADE, related_name="criteria")
    text = models.CharField(_("criterion"), max_length=300)
    guidance = models.TextField(_("guidance"), blank=True)
    weight = models.FloatField(_("weight"), default=1.0)
    auto_fail = models.BooleanField(
        _("auto-fail"),
        default=False,
        help_text=_("Not meeting it makes the whole evaluation 0 and opens a coaching record."),
    )
    competency = models.ForeignKey(
        Competency,
        verbose_name=_("competency"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="criteria",
    )
    position = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["section_id", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(weight__gte=0), name="quality_weight_gte_0")
        ]

    def __str__(self) -> str:
        return self.text


class MysteryContact(TimeStampedModel):
    """A scripted contact made by a mystery shopper; its ticket is left out of customer KPIs."""

    ticket = models.OneToOneField(
        "tickets.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="+"
    )
    shopper = models.CharField(_("mystery shopper"), max_length=150)
    scenario = models.TextField(_("scenario"))
    rubric = models.ForeignKey(
        Rubric, verbose_name=_("scorecard"), null=True, blank=True, on_delete=models.SET_NULL
    )
    recorded_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("mystery-customer contact")
        verbose_name_plural = _("mystery-customer contacts")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.shopper}: {self.ticket_id}"


class CalibrationSession(TimeStampedModel):
    """Several evaluators score the same ticket with the same scorecard; the spread is shown."""

    name = models.CharField(_("name"), max_length=150)
    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="+"
    )
    rubric = models.ForeignKey(Rubric, verbose_name=_("scorecard"), on_delete=models.PROTECT)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_closed = models.BooleanField(_("closed"), default=False)

    class Meta:
        verbose_name = _("calibration session")
        verbose_name_plural = _("calibration sessions")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class EvaluationState(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    DISPUTED = "disputed", _("Disputed")
    FINAL = "final", _("Final")


class Sampling(models.TextChoices):
    MANUAL = "manual", _("Chosen by the evaluator")
    RANDOM = "random", _("Random sample")
    RULE = "rule", _("Sampling rule")
    MYSTERY = "mystery", _("Mystery customer")
    CALIBRATION = "calibration", _("Calibration")


class Evaluation(TimeStampedModel):
    """One evaluator's scoring of one agent's handling of a ticket."""

    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="+"
    )
    rubric = models.ForeignKey(Rubric, verbose_name=_("scorecard"), on_delete=models.PROTECT)
    agent = models.ForeignKey(
        USER, verbose_name=_("agent"), on_delete=models.PROTECT, related_name="qa_evaluations"
    )
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL
    )
    evaluator = models.ForeignKey(
        USER, verbose_name=_("evaluator"), on_delete=models.PROTECT, related_name="+"
    )
    calibration = models.ForeignKey(
        CalibrationSession,
        verbose_name=_("calibration session"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="evaluations",
    )
    sampling = models.CharField(
        _("sampling"), max_length=12, choices=Sampling.choices, default=Sampling.MANUAL
    )
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=EvaluationState.choices,
        default=EvaluationState.SUBMITTED,
    )
    score = models.FloatField(_("score"))
    auto_failed = models.BooleanField(_("auto-failed"), default=False)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["agent", "created_at"]),
            models.Index(fields=["created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.agent} {self.score:.0f}"

    @property
    def counts_in_kpis(self) -> bool:
        """Calibration scorings measure the evaluators, not the agent."""
        return self.calibration_id is None


class CriterionScore(models.Model):
    """How well one criterion was met: 1 met, 0.5 partly, 0 not met, empty = not applicable."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    value = models.FloatField(_("value"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "criterion"], name="quality_score_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.evaluation_id}/{self.criterion_id}={self.value}"


class Dispute(TimeStampedModel):
    """An agent's objection to an evaluation, resolved by a supervisor."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        UPHELD = "upheld", _("Upheld (score changed)")
        REJECTED = "rejected", _("Rejected")

    evaluation = models.OneToOneField(Evaluation, on_delete=models.CASCADE, related_name="dispute")
    raised_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    resolved_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    original_score = models.FloatField(_("original score"), null=True, blank=True)

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.evaluation_id} {self.state}"


class CoachingRecord(TimeStampedModel):
    """Coaching opened at once when an auto-fail criterion is missed (hot-stove rule)."""

    agent = models.ForeignKey(
        USER, verbose_name=_("agent"), on_delete=models.CASCADE, related_name="coaching_records"
    )
    evaluation = models.ForeignKey(
        Evaluation, null=True, blank=True, on_delete=models.CASCADE, related_name="coaching"
    )
    criterion = models.ForeignKey(
        Criterion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    topic = models.CharField(_("topic"), max_length=300)
    coach = models.ForeignKey(
        USER,
        verbose_name=_("coach"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due_at = models.DateTimeField(_("due"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("coaching record")
        verbose_name_plural = _("coaching records")
        ordering = ["done_at", "due_at"]

    def __str__(self) -> str:
        return self.topic


class TrainingItem(models.Model):
    """Admin-defined training suggested to agents weak in its competency."""

    competency = models.ForeignKey(
        Competency, verbose_name=_("competency"), on_delete=models.CASCADE, related_name="training"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    url = models.URLField(_("link"), blank=True)

    class Meta:
        verbose_name = _("training item")
        verbose_name_plural = _("training items")
        ordering = ["competency_id", "title"]

    def __str__(self) -> str:
        return self.title


class TrainingAssignment(TimeStampedModel):
    agent = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="training_assignments")
    item = models.ForeignKey(TrainingItem, on_delete=models.CASCADE, related_name="assignments")
    assigned_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("training assignment")
        verbose_name_plural = _("training assignments")
        constraints = [
            models.UniqueConstraint(fields=["agent", "item"], name="quality_training_unique")
        ]

    def __str__(self) -> str:
        return f"{self.agent_id}: {self.item_id}"


class TargetLevel(models.TextChoices):
    COMPANY = "company", _("Company")
    TEAM = "team", _("Team")
    AGENT = "agent", _("Agent")


class SplitMethod(models.TextChoices):
    EQUAL = "equal", _("Equal split")
    SHARE = "share", _("By share of last period's volume")
    SAME = "same", _("Same target for everyone")


class KpiTarget(VersionedModel):
    """A target for one KPI over a date range, at company, team or agent level (M38)."""

    kpi = models.CharField(_("KPI"), max_length=40)
    level = models.CharField(_("level"), max_length=8, choices=TargetLevel.choices)
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.CASCADE
    )
    agent = models.ForeignKey(
        USER, verbose_name=_("agent"), null=True, blank=True, on_delete=models.CASCADE
    )
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    value = models.FloatField(_("target"))
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    split = models.CharField(_("split"), max_length=8, choices=SplitMethod.choices, blank=True)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["kpi", "-start", "level", "id"]
        indexes = [models.Index(fields=["kpi", "level", "start"])]

    def __str__(self) -> str:
        return f"{self.kpi} {self.level} {self.value:g}"


class ActionState(models.TextChoices):
    PLAN = "plan", _("Plan")
    DO = "do", _("Do")
    CHECK = "check", _("Check")
    ACT = "act", _("Act")
    CLOSED = "closed", _("Closed")


class ImprovementAction(VersionedModel):
    """A PDCA improvement action aimed at moving one KPI (M38)."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kpi = models.CharField(_("KPI"), max_length=40)
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL
    )
    problem = models.ForeignKey(
        "tickets.Problem",
        verbose_name=_("problem record"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    owner = models.ForeignKey(
        USER,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due_date = models.DateField(_("due"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=8, choices=ActionState.choices, default=ActionState.PLAN
    )
    plan = models.TextField(_("plan"), blank=True)
    started_on = models.DateField(_("started"), null=True, blank=True)
    checked_on = models.DateField(_("checked"), null=True, blank=True)
    baseline_value = models.FloatField(_("before"), null=True, blank=True)
    result_value = models.FloatField(_("after"), null=True, blank=True)
    conclusion = models.TextField(_("conclusion"), blank=True)
    cycle = models.PositiveIntegerField(_("cycle"), default=1)

    class Meta:
        verbose_name = _("improvement action")
        verbose_name_plural = _("improvement actions")
        ordering = ["state", "due_date", "id"]

    def __str__(self) -> str:
        return self.title


class CareSettings(VersionedModel):
    """Staff-care warning thresholds (M41); one row."""

    max_tickets_per_day = models.PositiveIntegerField(_("tickets per day above"), default=60)
    max_difficult_share = models.FloatField(_("share of difficult contacts above (%)"), default=40)
    max_consecutive_difficult = models.PositiveIntegerField(
        _("consecutive difficult contacts from"), default=5
    )
    window_days = models.PositiveIntegerField(_("look-back window (days)"), default=14)

    class Meta:
        verbose_name = _("staff-care settings")
        verbose_name_plural = _("staff-care settings")

    def __str__(self) -> str:
        return "staff care"


class KpiDay(models.Model):
    """Additive KPI parts per local day, agent and team (kefu.quality.facts), refreshed from
    the stored events by kefu.quality.factstore; never edited by hand."""

    day = models.DateField(_("day"))
    week = models.DateField(_("week"))
    month = models.DateField(_("month"))
    agent_id = models.BigIntegerField(_("agent"), null=True, blank=True)
    team_id = models.BigIntegerField(_("team"), null=True, blank=True)
    created_n = models.BigIntegerField(default=0)
    solved_n = models.BigIntegerField(default=0)
    resolution_n = models.BigIntegerField(default=0)
    first_solve_n = models.BigIntegerField(default=0)
    fcr_n = models.BigIntegerField(default=0)
    reopen_n = models.BigIntegerField(default=0)
    first_resp_n = models.BigIntegerField(default=0)
    next_resp_n = models.BigIntegerField(default=0)
    backlog_n = models.BigIntegerField(default=0)
    sla_n = models.BigIntegerField(default=0)
    sla_met_n = models.BigIntegerField(default=0)
    csat_n = models.BigIntegerField(default=0)
    csat_top_n = models.BigIntegerField(default=0)
    qa_n = models.BigIntegerField(default=0)
    activity_n = models.BigIntegerField(default=0)
    wt_day_c = models.BigIntegerField(default=0)
    wt_day_t = models.BigIntegerField(default=0)
    wt_day_a = models.BigIntegerField(default=0)
    wt_day_at = models.BigIntegerField(default=0)
    wt_week_c = models.BigIntegerField(default=0)
    wt_week_t = models.BigIntegerField(default=0)
    wt_week_a = models.BigIntegerField(default=0)
    wt_week_at = models.BigIntegerField(default=0)
    wt_month_c = models.BigIntegerField(default=0)
    wt_month_t = models.BigIntegerField(default=0)
    wt_month_a = models.BigIntegerField(default=0)
    wt_month_at = models.BigIntegerField(default=0)
    resolution_sum = models.FloatField(default=0)
    first_resp_sum = models.FloatField(default=0)
    next_resp_sum = models.FloatField(default=0)
    work_sum = models.FloatField(default=0)
    backlog_age_sum = models.FloatField(default=0)
    qa_sum = models.FloatField(default=0)
    comp_sum = models.FloatField(default=0)

    class Meta:
        verbose_name = _("KPI day fact")
        verbose_name_plural = _("KPI day facts")
        indexes = [
            models.Index(fields=["day", "agent_id"], name="quality_kpiday_day_agent"),
            models.Index(fields=["day", "team_id"], name="quality_kpiday_day_team"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.agent_id} {self.team_id}"


class KpiFactState(models.Model):
    """Watermark of the KPI fact table: every closed local day up to `complete_through` is in
    it, and changes stored before `scanned_at` have been folded in."""

    key = models.CharField(max_length=20, primary_key=True, default="kpi")
    complete_through = models.DateField(null=True, blank=True)
    scanned_at = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    days_refreshed = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("KPI fact watermark")
        verbose_name_plural = _("KPI fact watermarks")

    def __str__(self) -> str:
        return f"{self.key}: {self.complete_through}"
