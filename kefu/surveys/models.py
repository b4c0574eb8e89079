"""Surveys: questionnaires (sections, questions), invitations, responses and answers.

Only kefu.surveys.services writes these rows. Scores are computed by the pure modules
(scoring.py, instruments.py, waterfall.py) over answers loaded in bulk by selectors.py.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from kefu.core.models import TimeStampedModel, VersionedModel


def _in_language(en: str, zh: str) -> str:
    """The Chinese text when the active language is Chinese (and it exists), else English."""
    language = (translation.get_language() or "en").lower()
    if language.startswith("zh"):
        return zh or en
    return en or zh


class Instrument(models.TextChoices):
    CUSTOM = "custom", _("Custom questionnaire")
    CSAT = "csat", _("Customer satisfaction (CSAT)")
    NPS = "nps", _("Net promoter score (NPS)")
    CES = "ces", _("Customer effort score (CES)")
    SERVQUAL = "servqual", _("SERVQUAL service quality gaps")
    RATER = "rater", _("RATER index")
    CSI = "csi", _("Customer satisfaction index (CSI)")
    LOYALTY = "loyalty", _("Loyalty")
    EMPLOYEE = "employee", _("Employee satisfaction")
    SELF_ASSESSMENT = "self_assessment", _("Customer-orientation self-assessment")
    INNOVATION = "innovation", _("Service innovation (open questions)")


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CLOSED = "closed", _("Closed")


class Audience(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    EMPLOYEES = "employees", _("Employees")


class Survey(VersionedModel):
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200, blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    instrument = models.CharField(
        _("instrument"), max_length=20, choices=Instrument.choices, default=Instrument.CUSTOM
    )
    audience = models.CharField(
        _("audience"), max_length=10, choices=Audience.choices, default=Audience.CUSTOMERS
    )
    status = models.CharField(
        _("status"), max_length=10, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT
    )
    anonymous = models.BooleanField(
        _("anonymous"), default=False, help_text=_("Responses are not linked to a person.")
    )
    min_group_size = models.PositiveSmallIntegerField(
        _("minimum group size"),
        default=5,
        help_text=_("Breakdowns hide groups with fewer respondents than this."),
    )
    importance_points = models.JSONField(
        _("importance points"),
        default=dict,
        blank=True,
        help_text=_("Points per dimension summing to 100 (SERVQUAL), when not asked."),
    )
    follow_up_low_scores = models.BooleanField(
        _("open a follow-up ticket on low scores"),
        default=False,
        help_text=_("CSAT 1–2 or an NPS detractor (0–6) opens a service-recovery ticket."),
    )
    public_key = models.CharField(max_length=32, unique=True, editable=False)
    public_link_enabled = models.BooleanField(_("public link enabled"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("publish_survey", "Can publish and close surveys"),
            ("send_survey", "Can invite respondents"),
            ("view_results", "Can view survey results"),
            ("view_employee_results", "Can view employee survey results"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return _in_language(self.title_en, self.title_zh)

    @property
    def description(self) -> str:
        return _in_language(self.description_en, self.description_zh)


class Section(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="sections")
    order = models.PositiveIntegerField(_("order"), default=0)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200, blank=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return _in_language(self.title_en, self.title_zh)


class QuestionKind(models.TextChoices):
    LIKERT5 = "likert5", _("Likert 1–5")
    LIKERT7 = "likert7", _("Likert 1–7")
    SCALE10 = "scale10", _("Scale 0–10")
    SINGLE = "single", _("Single choice")
    MULTI = "multi", _("Multiple choice")
    MATRIX = "matrix", _("Matrix (items × scale)")
    POINTS = "points", _("Points (share 100 points)")
    TEXT = "text", _("Free text")


SCALE_RANGES: dict[str, tuple[int, int]] = {
    QuestionKind.LIKERT5: (1, 5),
    QuestionKind.LIKERT7: (1, 7),
    QuestionKind.SCALE10: (0, 10),
}


class Metric(models.TextChoices):
    NONE = "", _("None")
    CSAT = "csat", _("CSAT (1–5)")
    NPS = "nps", _("NPS (0–10)")
    CES = "ces", _("CES (1–7)")
    REPURCHASE = "repurchase", _("Repurchase intention (1–5)")
    ATTRIBUTE = "attribute", _("Attribute satisfaction (CSI)")


class SkipOperator(models.TextChoices):
    AT_MOST = "le", _("at most")
    AT_LEAST = "ge", _("at least")


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    section = models.ForeignKey(
        Section, on_delete=models.SET_NULL, null=True, blank=True, related_name="questions"
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    code = models.CharField(_("code"), max_length=30, blank=True)
    kind = models.CharField(_("type"), max_length=10, choices=QuestionKind.choices)
    text_en = models.CharField(_("question (English)"), max_length=500, blank=True)
    text_zh = models.CharField(_("question (Chinese)"), max_length=500, blank=True)
    help_en = models.CharField(_("hint (English)"), max_length=300, blank=True)
    help_zh = models.CharField(_("hint (Chinese)"), max_length=300, blank=True)
    required = models.BooleanField(_("required"), default=False)
    metric = models.CharField(
        _("metric"), max_length=12, choices=Metric.choices, default="", blank=True
    )
    dimension = models.CharField(_("dimension"), max_length=40, blank=True)
    weight = models.FloatField(_("importance weight"), default=1.0)
    # Likert / scale point labels: {"1": {"en": …, "zh": …}, …}; matrix uses scale_kind.
    labels = models.JSONField(_("point labels"), default=dict, blank=True)
    # Single/multi choice and points: [{"id": "a", "en": …, "zh": …}].
    choices = models.JSONField(_("choices"), default=list, blank=True)
    # Matrix rows: [{"id": "T1", "en": …, "zh": …, "dimension": "tangibles"}].
    items = models.JSONField(_("items"), default=list, blank=True)
    # Matrix columns, each asked on the matrix scale: [{"id": "expectation", "en": …, "zh": …}].
    columns = models.JSONField(_("columns"), default=list, blank=True)
    scale_kind = models.CharField(
        _("matrix scale"), max_length=10, blank=True, default=QuestionKind.LIKERT7
    )
    show_if_question = models.ForeignKey(
        "self",
        verbose_name=_("show only if question"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    show_if_operator = models.CharField(
        max_length=2, choices=SkipOperator.choices, default=SkipOperator.AT_MOST, blank=True
    )
    show_if_value = models.FloatField(_("value"), null=True, blank=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        return _in_language(self.text_en, self.text_zh)

    @property
    def help(self) -> str:
        return _in_language(self.help_en, self.help_zh)

    @property
    def scale(self) -> tuple[int, int] | None:
        kind = self.scale_kind if self.kind == QuestionKind.MATRIX else self.kind
        return SCALE_RANGES.get(kind)


class InvitationState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SENT = "sent", _("Sent")
    RESPONDED = "responded", _("Responded")
    CANCELLED = "cancelled", _("Cancelled")


class Invitation(TimeStampedModel):
    """One respondent's link: a signed token, one response, an expiry."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    key = models.CharField(max_length=32, unique=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    email = models.EmailField(_("email"), blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=InvitationState.choices, default=InvitationState.SENT
    )
    send_after = models.DateTimeField(_("send after"), null=True, blank=True, db_index=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"))
    responded_at = models.DateTimeField(_("responded"), null=True, blank=True)
    automatic = models.BooleanField(_("automatic"), default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        indexes = [models.Index(fields=["customer", "created_at"])]

    def __str__(self) -> str:
        return f"{self.survey_id}/{self.key[:6]}"


class Response(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    invitation = models.OneToOneField(
        Invitation, on_delete=models.SET_NULL, null=True, blank=True, related_name="response"
    )
    # A public-link form carries a signed one-off key: a replayed POST finds it taken.
    submission_key = models.CharField(max_length=40, unique=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=10, blank=True)
    tier = models.CharField(_("tier"), max_length=1, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True, db_index=True)
    follow_up_ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        indexes = [models.Index(fields=["survey", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.survey_id}#{self.pk}"

    @property
    def is_complete(self) -> bool:
        return self.submitted_at is not None


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    item = models.CharField(max_length=30, blank=True)  # matrix row / points choice
    column = models.CharField(max_length=30, blank=True)  # matrix column
    value = models.FloatField(null=True, blank=True)
    choice_ids = models.JSONField(default=list, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question", "item", "column"], name="surveys_answer_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.response_id}/{self.question_id}"


class AutoSurveyRule(VersionedModel):
    """Post-resolution survey: invite the customer of a solved ticket (sampled, throttled)."""

    survey = models.OneToOneField(Survey, on_delete=models.CASCADE, related_name="auto_rule")
    enabled = models.BooleanField(_("enabled"), default=True)
    delay_minutes = models.PositiveIntegerField(_("delay (minutes)"), default=60)
    sampling_percent = models.PositiveSmallIntegerField(
        _("sampling rate (%)"),
        default=100,
        help_text=_("Share of solved tickets whose customer is invited."),
    )
    min_days_between = models.PositiveSmallIntegerField(
        _("at most one survey per customer every (days)"), default=30
    )
    expires_after_days = models.PositiveSmallIntegerField(_("link valid for (days)"), default=14)

    class Meta:
        verbose_name = _("automatic survey rule")
        verbose_name_plural = _("automatic survey rules")

    def __str__(self) -> str:
        return f"auto:{self.survey_id}"


class ResultTally(models.Model):
    """Results aggregates kept at write time (see kefu.surveys.tallies): one additive row per
    survey, kind, question, group, answer cell and value. response_save adds a response's rows
    in its transaction; `kefu surveys_rebuild_results` rebuilds them from the raw answers."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12)
    question_id = models.BigIntegerField(default=0)  # 0 = not about one question
    grp = models.CharField(max_length=40, blank=True)
    item = models.CharField(max_length=40, blank=True)
    col = models.CharField(max_length=40, blank=True)
    bucket = models.CharField(max_length=40, blank=True)
    n = models.BigIntegerField(default=0)
    total = models.FloatField(default=0.0)

    class Meta:
        verbose_name = _("results tally")
        verbose_name_plural = _("results tallies")
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "kind", "question_id", "grp", "item", "col", "bucket"],
                name="surveys_tally_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}/{self.kind}/{self.question_id}"
