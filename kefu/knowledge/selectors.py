"""Reads of the knowledge base: lists, search, ticket suggestions, versions and diffs,
effectiveness, deflection, review queue and problem-record trends."""

from __future__ import annotations

import datetime as dt
import difflib
import json
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from kefu.knowledge import access, indexing, trend
from kefu.knowledge.indexing import PORTAL_SCOPE, Scope, SearchResult
from kefu.knowledge.models import (
    Article,
    ArticleFeedback,
    ArticleState,
    ArticleUse,
    ArticleVersion,
    Category,
    Deflection,
    DeflectionOutcome,
    ReviewReminder,
    Synonym,
)
from kefu.tickets.sanitize import plain_text

SUGGESTION_TERMS = 32
SUGGESTION_RAREST = 10  # of a ticket's words, the 10 rarest in the index decide


def article_list(
    actor,
    *,
    state: str = "",
    visibility: str = "",
    language: str = "",
    category: int | None = None,
    owner: int | None = None,
) -> QuerySet[Article]:
    """Articles `actor` may read, filtered, newest change first."""
    articles = access.visible_articles(actor).select_related("category", "owner")
    if state:
        articles = articles.filter(state=state)
    if visibility:
        articles = articles.filter(visibility=visibility)
    if language:
        articles = articles.filter(language=language)
    if category:
        articles = articles.filter(Q(category_id=category) | Q(category__parent_id=category))
    if owner:
        articles = articles.filter(owner_id=owner)
    return articles.order_by("-updated_at", "-id")


def search_articles(
    actor,
    query: str,
    *,
    limit: int = 20,
    offset: int = 0,
    language: str | None = None,
    include_unpublished: bool = False,
    category: int | None = None,
) -> SearchResult:
    """Ranked, highlighted search over what `actor` may read."""
    scope = access.search_scope(actor, include_unpublished=include_unpublished, language=language)
    return indexing.search(
        query,
        scope=scope,
        limit=limit,
        offset=offset,
        category_ids=_category_ids(category) if category else None,
    )


def _category_ids(category: int) -> list[int]:
    return list(
        Category.objects.filter(Q(pk=category) | Q(parent_id=category)).values_list("pk", flat=True)
    )


def public_articles(*, language: str | None = None, category: int | None = None):
    """Published public articles for the customer portal (never internal ones)."""
    articles = access.public_articles().select_related("category")
    if language:
        articles = articles.filter(language=language)
    if category:
        articles = articles.filter(Q(category_id=category) | Q(category__parent_id=category))
    return articles.order_by("category__position", "title", "id")


def public_search(
    query: str, *, language: str | None = None, limit: int = 20, offset: int = 0
) -> SearchResult:
    """Search the public knowledge base (what the portal shows)."""
    scope = Scope(published=PORTAL_SCOPE.published, public=PORTAL_SCOPE.public, language=language)
    return indexing.search(query, scope=scope, limit=limit, offset=offset)


def categories(*, public_only: bool = False) -> list[Category]:
    """Top-level categories with their sections (two queries)."""
    top = Category.objects.filter(parent__isnull=True)
    sections = Category.objects.order_by("position", "name")
    if public_only:
        top, sections = top.filter(is_public=True), sections.filter(is_public=True)
    return list(top.prefetch_related(Prefetch("sections", queryset=sections)))


def ticket_text(ticket) -> str:
    """The text suggestions are computed from: subject + the first customer message."""
    from kefu.tickets.models import MessageKind

    first = (
        ticket.messages.filter(kind=MessageKind.CUSTOMER)
        .order_by("created_at", "id")
        .values_list("body_text", flat=True)
        .first()
    )
    return f"{ticket.subject}\n{first or ticket.description or ''}"


def suggest_articles(ticket, limit: int = 5, *, public_only: bool = False) -> list[indexing.Hit]:
    """The best published articles for a ticket's subject and first message (BM25F, synonyms,
    no prefix completion or typo correction: a ticket's text is finished, and its rare words
    are often names the index rightly lacks). Internal articles are included unless
    `public_only`."""
    scope = Scope(published=True, public=True if public_only else None)
    return indexing.search(
        ticket_text(ticket),
        scope=scope,
        limit=limit,
        prefix_search=False,
        typo_tolerance=False,
        max_terms=SUGGESTION_TERMS,
        keep_rarest=SUGGESTION_RAREST,
    ).hits


def used_on_ticket(ticket) -> dict[int, set[str]]:
    """article id → kinds of use already recorded on `ticket`."""
    uses: dict[int, set[str]] = defaultdict(set)
    for article_id, kind in ArticleUse.objects.filter(ticket=ticket).values_list(
        "article_id", "kind"
    ):
        uses[article_id].add(kind)
    return uses


@dataclass
class Effectiveness:
    suggested: int = 0
    link: int = 0
    text: int = 0
    solved: int = 0
    helpful: int = 0
    unhelpful: int = 0

    @property
    def solve_rate(self) -> float | None:
        """Share of the tickets an article was suggested on that it solved."""
        return self.solved / self.suggested if self.suggested else None

    @property
    def helpful_rate(self) -> float | None:
        total = self.helpful + self.unhelpful
        return self.helpful / total if total else None


def effectiveness(article_ids) -> dict[int, Effectiveness]:
    """Use and feedback counts per article (two grouped queries)."""
    ids = list(article_ids)
    stats = {pk: Effectiveness() for pk in ids}
    for article_id, kind, n in (
        ArticleUse.objects.filter(article_id__in=ids)
        .values("article_id", "kind")
        .annotate(n=Count("id"))
        .values_list("article_id", "kind", "n")
    ):
        setattr(stats[article_id], kind, n)
    for article_id, helpful, n in (
        ArticleFeedback.objects.filter(article_id__in=ids)
        .values("article_id", "helpful")
        .annotate(n=Count("id"))
        .values_list("article_id", "helpful", "n")
    ):
        setattr(stats[article_id], "helpful" if helpful else "unhelpful", n)
    return stats


def article_versions(article: Article) -> QuerySet[ArticleVersion]:
    return article.versions.select_related("author").order_by("-number")


@dataclass
class DiffLine:
    op: str  # " ", "+", "-", "@"
    text: str


def version_diff(old: ArticleVersion, new: ArticleVersion) -> list[DiffLine]:
    """A unified diff (difflib) of two revisions' title and text, line by line, then their
    visibility, language and category when those differ."""
    before = [old.title, "", *plain_text(old.body_html).splitlines()]
    after = [new.title, "", *plain_text(new.body_html).splitlines()]
    lines = []
    for line in difflib.unified_diff(before, after, lineterm="", n=3):
        if line.startswith(("---", "+++")):
            continue
        lines.append(DiffLine(op=line[:1] if line[:1] in "+-@" else " ", text=line[1:]))
    for before_value, after_value in (
        (old.visibility, new.visibility),
        (old.language, new.language),
        (_category_label(old.category_id_snapshot), _category_label(new.category_id_snapshot)),
    ):
        if before_value != after_value:
            lines.append(DiffLine("-", f"[{before_value}]"))
            lines.append(DiffLine("+", f"[{after_value}]"))
    return lines


def _category_label(category_id: int | None) -> str:
    if category_id is None:
        return "-"
    category = Category.objects.filter(pk=category_id).values_list("name", flat=True).first()
    return f"{category_id} {category}" if category else str(category_id)


def translations(article: Article) -> QuerySet[Article]:
    return Article.objects.filter(translation_group=article.translation_group).exclude(
        pk=article.pk
    )


def review_queue(*, today: dt.date | None = None) -> dict[str, QuerySet[Article]]:
    """Articles waiting for review, and articles past their review date."""
    today = today or timezone.localdate()
    base = Article.objects.select_related("owner", "category")
    return {
        "in_review": base.filter(state=ArticleState.REVIEW).order_by("updated_at", "id"),
        "overdue": base.filter(review_by__lt=today)
        .exclude(state=ArticleState.ARCHIVED)
        .order_by("review_by", "id"),
    }


def reminders_for(user, *, limit: int = 50) -> QuerySet[ReviewReminder]:
    return ReviewReminder.objects.filter(owner=user).select_related("article")[:limit]


def deflection_summary(*, since: dt.datetime | None = None) -> dict[str, float | int | None]:
    """Reads by portal customers and what followed: deflected, ticket, pending; deflection rate
    = deflected / decided reads."""
    reads = Deflection.objects.all()
    if since is not None:
        reads = reads.filter(read_at__gte=since)
    counts = dict(reads.values("outcome").annotate(n=Count("id")).values_list("outcome", "n"))
    deflected = counts.get(DeflectionOutcome.DEFLECTED, 0)
    ticket = counts.get(DeflectionOutcome.TICKET, 0)
    decided = deflected + ticket
    return {
        "reads": sum(counts.values()),
        "deflected": deflected,
        "ticket": ticket,
        "pending": counts.get(DeflectionOutcome.PENDING, 0),
        "rate": deflected / decided if decided else None,
    }


def synonyms() -> QuerySet[Synonym]:
    return Synonym.objects.order_by("id")


# Problem records (owned by tickets; read here for their pages) -------------------------------


def problem_list(*, state: str = "") -> QuerySet:
    from kefu.tickets.models import Problem

    problems = Problem.objects.select_related("root_cause", "owner").annotate(
        ticket_count=Count("tickets", distinct=True),
        article_count=Count("articles", distinct=True),
    )
    if state:
        problems = problems.filter(state=state)
    return problems.order_by("-created_at", "-id")


def problem_tickets(problem) -> QuerySet:
    return problem.tickets.select_related("customer", "assignee").order_by("-created_at", "-id")


@dataclass
class Trend:
    weeks: list[dt.date]
    counts: list[int]

    @property
    def rows(self) -> list[tuple[dt.date, int]]:
        return list(zip(self.weeks, self.counts, strict=True))

    @property
    def total(self) -> int:
        return sum(self.counts)


def problem_trend(problem, *, today: dt.date | None = None, max_weeks: int = 52) -> Trend:
    """Linked tickets per week (by the week each ticket was opened), up to this week."""
    today = today or timezone.localdate()
    tz = timezone.get_current_timezone()
    days = [
        timezone.localtime(at, tz).date()
        for at in problem.tickets.values_list("created_at", flat=True)
    ]
    weeks, counts = trend.weekly_counts(days, end=today, max_weeks=max_weeks)
    return Trend(weeks=weeks, counts=[int(c) for c in counts])


def problem_trend_figure(trend_data: Trend, *, title: str, y_label: str, x_label: str) -> dict:
    """The plotly figure (as a JSON-ready dict) of a problem's weekly ticket counts."""
    import plotly.graph_objects as go

    figure = go.Figure(
        go.Bar(
            x=[w.isoformat() for w in trend_data.weeks],
            y=trend_data.counts,
            name=y_label,
            marker_color="#2563eb",
        )
    )
    figure.update_layout(
        title=title,
        xaxis_title=x_label,
        yaxis_title=y_label,
        showlegend=True,
        legend={"orientation": "h", "y": -0.25},
        margin={"l": 50, "r": 20, "t": 50, "b": 60},
        height=320,
    )
    return json.loads(figure.to_json())
