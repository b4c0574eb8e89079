"""Customers (people and organisations), their contacts, purchases, credit ratings and merges."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.core.models import TimeStampedModel, VersionedModel


class CustomerKind(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANIZATION = "organization", _("Organisation")


class Tier(models.TextChoices):
    """ABCD management (M11): A = most valuable."""

    A = "A", _("Tier A")
    B = "B", _("Tier B")
    C = "C", _("Tier C")
    D = "D", _("Tier D")


class CreditGrade(models.TextChoices):
    """6C credit grade (M3): A = best."""

    A = "A", _("Credit A")
    B = "B", _("Credit B")
    C = "C", _("Credit C")
    D = "D", _("Credit D")


class ContactKind(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    MOBILE = "mobile", _("Mobile")
    WECHAT = "wechat", _("WeChat")
    ADDRESS = "address", _("Address")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CustomerQuerySet(models.QuerySet):
    def active(self) -> CustomerQuerySet:
        """Customers that were not merged into another record."""
        return self.filter(merged_into__isnull=True)

    def organizations(self) -> CustomerQuerySet:
        return self.filter(kind=CustomerKind.ORGANIZATION)


class Customer(VersionedModel):
    """One record per customer across every channel (M1): a person or an organisation."""

    kind = models.CharField(
        _("kind"), max_length=20, choices=CustomerKind.choices, default=CustomerKind.PERSON
    )
    number = models.CharField(_("customer number"), max_length=20, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    organization = models.ForeignKey(
        "self",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="people",
        limit_choices_to={"kind": CustomerKind.ORGANIZATION},
    )
    tier = models.CharField(_("tier"), max_length=1, choices=Tier.choices, blank=True)
    is_vip = models.BooleanField(_("VIP"), default=False)
    credit_grade = models.CharField(
        _("credit grade"), max_length=1, choices=CreditGrade.choices, blank=True
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    attributes = models.JSONField(_("custom attributes"), default=dict, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("portal login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customer_profile",
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_from",
        editable=False,
    )
    search_text = models.TextField(_("search text"), blank=True, editable=False)
    # n-grams of search_text (kefu.customers.search_index), indexed by FTS5 / GIN
    search_tokens = models.TextField(_("search tokens"), blank=True, editable=False)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-id"]
        permissions = [
            ("merge_customer", _("Can merge customers")),
            ("import_customers", _("Can import customers and purchases")),
            ("export_customers", _("Can export customers")),
            ("change_tier", _("Can set customer tiers")),
            ("export_personal_data", _("Can export everything held about a customer")),
        ]
        indexes = [
            models.Index(fields=["tier"]),
            models.Index(fields=["kind", "name"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.number})" if self.number else self.name

    @property
    def display_tier(self) -> str:
        """The tier's label ("Tier A"), or an empty string when no tier is set."""
        return self.get_tier_display() if self.tier else ""

    @property
    def is_organization(self) -> bool:
        return self.kind == CustomerKind.ORGANIZATION


class ContactPoint(TimeStampedModel):
    """A way to reach a customer; `normalized` is what search and duplicate detection compare."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ContactKind.choices)
    value = models.CharField(_("value"), max_length=300)
    normalized = models.CharField(_("normalised value"), max_length=300, editable=False)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "kind", "id"]
        indexes = [models.Index(fields=["kind", "normalized"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class AttributeType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")


class CustomAttribute(models.Model):
    """The definition of one custom attribute stored in Customer.attributes[key]."""

    key = models.SlugField(_("key"), max_length=50, unique=True)
    label = models.CharField(_("label"), max_length=100)
    type = models.CharField(
        _("type"), max_length=10, choices=AttributeType.choices, default=AttributeType.TEXT
    )
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)

    class Meta:
        verbose_name = _("custom attribute")
        verbose_name_plural = _("custom attributes")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.label


def _score_field(label):
    return models.PositiveSmallIntegerField(
        label, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )


SIX_C = ("character", "capacity", "capital", "collateral", "condition", "continuity")


class CreditRating(TimeStampedModel):
    """One 6C credit assessment (M3); the history is kept, the newest sets Customer.credit_grade."""

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="credit_ratings",
    )
    character = _score_field(_("character"))
    capacity = _score_field(_("capacity"))
    capital = _score_field(_("capital"))
    collateral = _score_field(_("collateral"))
    condition = _score_field(_("condition"))
    continuity = _score_field(_("continuity"))
    weights = models.JSONField(_("weights used"), default=dict)
    score = models.DecimalField(_("score"), max_digits=4, decimal_places=2)
    grade = models.CharField(_("credit grade"), max_length=1, choices=CreditGrade.choices)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rated_at = models.DateTimeField(_("rated at"), db_index=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("credit rating")
        verbose_name_plural = _("credit ratings")
        ordering = ["-rated_at", "-id"]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.grade} ({self.score})"

    def scores(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in SIX_C}


def default_credit_weights() -> dict[str, float]:
    return {name: 1.0 for name in SIX_C}


def default_credit_cutoffs() -> dict[str, float]:
    return {"A": 4.0, "B": 3.0, "C": 2.0}


class CreditPolicy(VersionedModel):
    """The 6C weights and grade cut-offs (score ≥ cutoff[A] → A, …, else D). One row is used."""

    weights = models.JSONField(_("weights"), default=default_credit_weights)
    cutoffs = models.JSONField(_("grade cut-offs"), default=default_credit_cutoffs)

    class Meta:
        verbose_name = _("credit policy")
        verbose_name_plural = _("credit policies")

    def __str__(self) -> str:
        return str(_("Credit policy"))

    @classmethod
    def current(cls) -> CreditPolicy:
        policy = cls.objects.order_by("id").first()
        return policy if policy is not None else cls.objects.create()


class Purchase(TimeStampedModel):
    """One purchase (order line) of a customer: the input to value analytics (M8–M12)."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="purchases"
    )
    source = models.CharField(_("source"), max_length=50, default="manual")
    external_id = models.CharField(_("external id"), max_length=100)
    ordered_at = models.DateTimeField(_("ordered at"), db_index=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    gross_margin = models.DecimalField(
        _("gross margin"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    product = models.CharField(_("product"), max_length=200, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    channel = models.CharField(_("channel"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")
        ordering = ["-ordered_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="customers_purchase_source_external_id"
            )
        ]
        indexes = [models.Index(fields=["customer", "ordered_at"])]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id} {self.amount} {self.currency}"


class CustomerNote(TimeStampedModel):
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="customer_notes",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = models.TextField(_("note"))

    class Meta:
        verbose_name = _("customer note")
        verbose_name_plural = _("customer notes")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.body[:60]


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    CONTACTS = "contacts", _("Contacts")
    PURCHASES = "purchases", _("Purchases")


class ImportMode(models.TextChoices):
    ATOMIC = "atomic", _("All or nothing")
    VALID_ONLY = "valid_only", _("Import the valid rows")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    CHECKED = "checked", _("Checked (dry run)")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(TimeStampedModel):
    """One upload of customers, contacts or purchases, with its per-row error report."""

    kind = models.CharField(_("kind"), max_length=20, choices=ImportKind.choices)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", blank=True)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    mode = models.CharField(
        _("mode"), max_length=20, choices=ImportMode.choices, default=ImportMode.ATOMIC
    )
    dry_run = models.BooleanField(_("dry run"), default=False)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    skipped_count = models.PositiveIntegerField(_("unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    errors = models.JSONField(_("error report"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name} ({self.get_status_display()})"


class MergeRecord(TimeStampedModel):
    """A merge of `merged` into `kept`: which rows moved, so that the merge can be undone."""

    kept = models.ForeignKey(
        Customer, verbose_name=_("kept record"), on_delete=models.CASCADE, related_name="+"
    )
    merged = models.ForeignKey(
        Customer, verbose_name=_("merged record"), on_delete=models.CASCADE, related_name="+"
    )
    moved = models.JSONField(_("moved records"), default=dict)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("merged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)

    class Meta:
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.kept_id}"
