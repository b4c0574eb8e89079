"""Knowledge API: articles (CRUD, versions, restore, publish), search, ticket suggestions,
problem records with their trend, synonyms and deflection. Portal customers only ever see
published public articles."""

import datetime as dt
from typing import Literal
from uuid import UUID

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kefu.api.pagination import MAX_PAGE_SIZE, PageNumberless
from kefu.core.errors import ValidationFailed
from kefu.core.permissions import require_perm, require_staff
from kefu.knowledge import access, selectors, services
from kefu.knowledge.indexing import Hit
from kefu.knowledge.models import Article, ArticleVersion, Category, Synonym

router = Router(tags=["knowledge"])
tickets_router = Router(tags=["knowledge"])
knowledge_router = Router(tags=["knowledge"])

LanguageIn = Literal["zh-hans", "en"]
VisibilityIn = Literal["internal", "public"]
StateIn = Literal["draft", "review", "published", "archived"]


class ArticleBrief(Schema):
    id: int
    title: str
    language: str
    visibility: str
    state: str
    category_id: int | None
    updated_at: dt.datetime


class ArticleOut(ArticleBrief):
    uuid: UUID
    version: int
    revision: int
    body_html: str
    translation_group: UUID
    owner_id: int | None
    review_by: dt.date | None
    published_at: dt.datetime | None
    problem_id: int | None
    created_at: dt.datetime


class ArticleIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    body_html: str = ""
    language: LanguageIn = "zh-hans"
    visibility: VisibilityIn = "internal"
    category_id: int | None = None
    owner_id: int | None = None
    review_by: dt.date | None = None
    translation_of: int | None = Field(None, description="Id of the article this translates.")


class ArticlePatch(Schema):
    version: int = Field(description="The version you read; a stale one gets 409.")
    title: str | None = Field(None, min_length=1, max_length=200)
    body_html: str | None = None
    language: LanguageIn | None = None
    visibility: VisibilityIn | None = None
    category_id: int | None = None
    owner_id: int | None = None
    review_by: dt.date | None = None
    note: str = Field("", max_length=200)


class ArticleFilters(Schema):
    state: StateIn | None = None
    visibility: VisibilityIn | None = None
    language: LanguageIn | None = None
    category_id: int | None = None


class VersionOut(Schema):
    number: int
    title: str
    language: str
    visibility: str
    author_id: int | None
    note: str
    created_at: dt.datetime


class DiffLineOut(Schema):
    op: str = Field(description='" " unchanged, "-" removed, "+" added, "@" position')
    text: str


class VersionDetailOut(VersionOut):
    body_html: str
    against: int | None = Field(description="The revision the diff compares with.")
    diff: list[DiffLineOut]


class ArticleVersionIn(Schema):
    version: int


class RestoreIn(Schema):
    version: int
    number: int = Field(ge=1, description="The revision to restore.")


class ArticleTransitionIn(Schema):
    version: int
    state: StateIn


class HitOut(Schema):
    article: ArticleBrief
    score: float
    title_html: str
    snippet_html: str


class SearchOut(Schema):
    query: str
    total: int
    terms: list[str]
    items: list[HitOut]


class SearchParams(Schema):
    q: str = Field(max_length=500)
    language: LanguageIn | None = None
    include_unpublished: bool = False
    limit: int = Field(20, ge=1, le=MAX_PAGE_SIZE)
    offset: int = Field(0, ge=0, le=10000)


class FeedbackIn(Schema):
    helpful: bool
    comment: str = Field("", max_length=2000)


class FeedbackOut(Schema):
    article_id: int
    helpful: bool
    comment: str


class UseIn(Schema):
    ticket_id: int
    kind: Literal["link", "text", "solved"]


class UseOut(Schema):
    article_id: int
    ticket_id: int
    kind: str
    at: dt.datetime


def _hits(result) -> dict:
    return {
        "query": result.query,
        "total": result.total,
        "terms": result.terms,
        "items": [_hit(h) for h in result.hits],
    }


def _hit(hit: Hit) -> dict:
    return {
        "article": hit.article,
        "score": hit.score,
        "title_html": hit.title_html,
        "snippet_html": hit.snippet_html,
    }


def _category(pk: int | None) -> Category | None:
    if pk is None:
        return None
    category = Category.objects.filter(pk=pk).first()
    if category is None:
        raise ValidationFailed(
            "category_id: no such record.", fields={"category_id": ["No such record."]}
        )
    return category


def _user(pk: int | None):
    if pk is None:
        return None
    from kefu.accounts.models import User

    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None:
        raise ValidationFailed("owner_id: no such user.", fields={"owner_id": ["No such user."]})
    return user


def _article(request, article_id: int) -> Article:
    return access.get_readable_article(request.user, article_id)


def _staff_article(request, article_id: int) -> Article:
    require_staff(request.user)
    access.require_staff_reader(request.user)
    return get_object_or_404(Article, pk=article_id)


@router.get("", response=list[ArticleOut])
@paginate(PageNumberless)
def article_list(request, filters: Query[ArticleFilters]):
    """Articles you may read (customers: published public ones only)."""
    return selectors.article_list(
        request.user,
        state=filters.state or "",
        visibility=filters.visibility or "",
        language=filters.language or "",
        category=filters.category_id,
    )


@router.get("/search", response=SearchOut)
def article_search(request, params: Query[SearchParams]):
    """Ranked search (BM25F with title boost, synonyms, prefix completion of the last word)."""
    result = selectors.search_articles(
        request.user,
        params.q,
        limit=params.limit,
        offset=params.offset,
        language=params.language,
        include_unpublished=params.include_unpublished and access.is_staff_reader(request.user),
    )
    return _hits(result)


@router.post("", response={201: ArticleOut})
def article_create(request, payload: ArticleIn):
    require_staff(request.user)
    translation_of = (
        _staff_article(request, payload.translation_of) if payload.translation_of else None
    )
    article = services.article_create(
        actor=request.user,
        title=payload.title,
        body_html=payload.body_html,
        language=payload.language,
        visibility=payload.visibility,
        category=_category(payload.category_id),
        owner=_user(payload.owner_id),
        review_by=payload.review_by,
        translation_of=translation_of,
    )
    return Status(201, article)


@router.get("/{article_id}", response=ArticleOut)
def article_detail(request, article_id: int):
    return _article(request, article_id)


@router.patch("/{article_id}", response=ArticleOut)
def article_update(request, article_id: int, payload: ArticlePatch):
    article = _staff_article(request, article_id)
    data = payload.dict(exclude_unset=True)
    changes = {}
    for name in ("title", "body_html", "language", "visibility", "review_by"):
        if name in data:
            changes[name] = data[name]
    if "category_id" in data:
        changes["category"] = _category(data["category_id"])
    if "owner_id" in data:
        changes["owner"] = _user(data["owner_id"])
    return services.article_update(
        actor=request.user,
        article=article,
        expected_version=payload.version,
        changes=changes,
        note=payload.note,
    )


@router.delete("/{article_id}", response={204: None})
def article_delete(request, article_id: int):
    services.article_delete(actor=request.user, article=_staff_article(request, article_id))
    return Status(204, None)


@router.get("/{article_id}/versions", response=list[VersionOut])
def article_versions(request, article_id: int):
    return list(selectors.article_versions(_staff_article(request, article_id)))


@router.get("/{article_id}/versions/{number}", response=VersionDetailOut)
def article_version(request, article_id: int, number: int, against: int | None = None):
    """A revision, with its diff against revision `against` (default: the one before)."""
    article = _staff_article(request, article_id)
    version = get_object_or_404(ArticleVersion, article=article, number=number)
    other = ArticleVersion.objects.filter(
        article=article, number=against if against is not None else number - 1
    ).first()
    if against is not None and other is None:
        raise ValidationFailed(_("No such revision."), fields={"against": _("No such revision.")})
    version.against = other.number if other else None
    version.diff = selectors.version_diff(other, version) if other else []
    return version


@router.post("/{article_id}/restore", response=ArticleOut)
def article_restore(request, article_id: int, payload: RestoreIn):
    return services.article_restore(
        actor=request.user,
        article=_staff_article(request, article_id),
        number=payload.number,
        expected_version=payload.version,
    )


@router.post("/{article_id}/publish", response=ArticleOut)
def article_publish(request, article_id: int, payload: ArticleVersionIn):
    return services.article_publish(
        actor=request.user,
        article=_staff_article(request, article_id),
        expected_version=payload.version,
    )


@router.post("/{article_id}/transition", response=ArticleOut)
def article_transition(request, article_id: int, payload: ArticleTransitionIn):
    return services.article_transition(
        actor=request.user,
        article=_staff_article(request, article_id),
        to_state=payload.state,
        expected_version=payload.version,
    )


@router.post("/{article_id}/feedback", response={201: FeedbackOut})
def article_feedback(request, article_id: int, payload: FeedbackIn):
    """ "Did this answer your question?" (customers and staff; one answer per reader)."""
    feedback = services.feedback_record(
        actor=request.user,
        article=_article(request, article_id),
        helpful=payload.helpful,
        comment=payload.comment,
    )
    return Status(201, feedback)


@router.post("/{article_id}/uses", response={201: UseOut})
def article_use(request, article_id: int, payload: UseIn):
    """Record that the article was inserted into a ticket's reply or solved it."""
    from kefu.tickets.access import visible_tickets

    article = _staff_article(request, article_id)
    ticket = get_object_or_404(visible_tickets(request.user), pk=payload.ticket_id)
    use = services.article_use_record(
        actor=request.user, article=article, ticket=ticket, kind=payload.kind
    )
    return Status(201, use)


class ArticleSuggestionOut(HitOut):
    used: list[str]


@tickets_router.get("/{ticket_id}/suggestions", response=list[ArticleSuggestionOut])
def ticket_suggestions(request, ticket_id: int, limit: int = Query(5, ge=1, le=20)):
    """The best published articles for the ticket's subject and first message. Each one is
    recorded as suggested (the denominator of the article's solve rate)."""
    from kefu.tickets.access import visible_tickets

    require_staff(request.user)
    access.require_staff_reader(request.user)
    ticket = get_object_or_404(visible_tickets(request.user), pk=ticket_id)
    hits = selectors.suggest_articles(ticket, limit=limit)
    services.suggestions_record(
        actor=request.user, ticket=ticket, articles=[h.article for h in hits]
    )
    used = selectors.used_on_ticket(ticket)
    return [{**_hit(h), "used": sorted(used.get(h.article.pk, ()))} for h in hits]


# Problem records (read; their writes are the tickets services) -------------------------------


class KnowledgeProblemOut(Schema):
    id: int
    version: int
    title: str
    state: str
    root_cause_id: int | None
    root_cause_detail: str
    workaround: str
    standard_fix: str
    owner_id: int | None
    ticket_count: int
    article_count: int
    created_at: dt.datetime
    updated_at: dt.datetime


class WeekOut(Schema):
    week: dt.date
    tickets: int


class KnowledgeProblemDetailOut(KnowledgeProblemOut):
    ticket_ids: list[int]
    article_ids: list[int]
    trend: list[WeekOut]


class ProblemFilters(Schema):
    state: Literal["investigating", "known_error", "resolved"] | None = None


class PublishIn(Schema):
    language: LanguageIn = "zh-hans"
    visibility: VisibilityIn = "public"


@knowledge_router.get("/problems", response=list[KnowledgeProblemOut])
@paginate(PageNumberless)
def problem_list(request, filters: Query[ProblemFilters]):
    require_staff(request.user)
    require_perm(request.user, "tickets.view_problem")
    return selectors.problem_list(state=filters.state or "")


@knowledge_router.get("/problems/{problem_id}", response=KnowledgeProblemDetailOut)
def problem_detail(request, problem_id: int):
    require_staff(request.user)
    require_perm(request.user, "tickets.view_problem")
    problem = get_object_or_404(selectors.problem_list(), pk=problem_id)
    trend = selectors.problem_trend(problem)
    problem.ticket_ids = list(problem.tickets.order_by("pk").values_list("pk", flat=True))
    problem.article_ids = list(problem.articles.order_by("pk").values_list("pk", flat=True))
    problem.trend = [{"week": w, "tickets": n} for w, n in trend.rows]
    return problem


@knowledge_router.post("/problems/{problem_id}/publish-workaround", response={201: ArticleOut})
def problem_publish_workaround(request, problem_id: int, payload: PublishIn):
    """Publish the problem's workaround and standard fix as an article (again = new revision)."""
    from kefu.tickets.models import Problem

    require_staff(request.user)
    require_perm(request.user, "tickets.view_problem")
    problem = get_object_or_404(Problem, pk=problem_id)
    article = services.problem_workaround_publish(
        actor=request.user,
        problem=problem,
        language=payload.language,
        visibility=payload.visibility,
    )
    return Status(201, article)


class SynonymOut(Schema):
    id: int
    words: str


class SynonymIn(Schema):
    words: str = Field(min_length=1, max_length=300)


@knowledge_router.get("/synonyms", response=list[SynonymOut])
def synonym_list(request):
    require_perm(request.user, "knowledge.view_synonym")
    return list(selectors.synonyms())


@knowledge_router.post("/synonyms", response={201: SynonymOut})
def synonym_create(request, payload: SynonymIn):
    return Status(201, services.synonym_save(actor=request.user, words=payload.words))


@knowledge_router.delete("/synonyms/{synonym_id}", response={204: None})
def synonym_delete(request, synonym_id: int):
    services.synonym_delete(actor=request.user, synonym=get_object_or_404(Synonym, pk=synonym_id))
    return Status(204, None)


class DeflectionOut(Schema):
    reads: int
    deflected: int
    ticket: int
    pending: int
    rate: float | None


@knowledge_router.get("/deflection", response=DeflectionOut)
def deflection(request, days: int = Query(30, ge=1, le=3650)):
    """Portal reads and how many were deflected (no ticket within the window)."""
    from django.utils import timezone

    require_perm(request.user, "knowledge.view_deflection")
    return selectors.deflection_summary(since=timezone.now() - dt.timedelta(days=days))


ROUTERS = [
    ("/articles", router),
    ("/tickets", tickets_router),
    ("/knowledge", knowledge_router),
]
