"""Who may read which articles. Internal articles never reach portal customers."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from kefu.knowledge.indexing import PORTAL_SCOPE, Scope
from kefu.knowledge.models import Article, ArticleState, Visibility

VIEW = "knowledge.view_article"
VIEW_INTERNAL = "knowledge.view_internal_article"
ADD = "knowledge.add_article"
CHANGE = "knowledge.change_article"
DELETE = "knowledge.delete_article"
PUBLISH = "knowledge.publish_article"


def is_staff_reader(user) -> bool:
    """Staff who may read the whole knowledge base (drafts and internal articles included)."""
    return (
        user.is_authenticated
        and user.is_active
        and not getattr(user, "is_customer", False)
        and user.has_perm(VIEW)
        and user.has_perm(VIEW_INTERNAL)
    )


def visible_articles(user) -> QuerySet[Article]:
    """Articles `user` may read: everything for staff readers, published public ones otherwise."""
    articles = Article.objects.all()
    if not user.is_authenticated or not user.is_active:
        return articles.none()
    if is_staff_reader(user):
        return articles
    return articles.filter(state=ArticleState.PUBLISHED, visibility=Visibility.PUBLIC)


def public_articles() -> QuerySet[Article]:
    """Published public articles: what the portal shows."""
    return Article.objects.filter(state=ArticleState.PUBLISHED, visibility=Visibility.PUBLIC)


def search_scope(user, *, include_unpublished: bool = False, language: str | None = None) -> Scope:
    if is_staff_reader(user):
        return Scope(published=None if include_unpublished else True, language=language)
    return Scope(published=PORTAL_SCOPE.published, public=PORTAL_SCOPE.public, language=language)


def get_readable_article(user, pk: int) -> Article:
    """The article if `user` may read it; 404 otherwise (an internal article's existence is not
    revealed to customers)."""
    article = visible_articles(user).select_related("category", "owner").filter(pk=pk).first()
    if article is None:
        raise Http404(_("No such article."))
    return article


def require_staff_reader(user) -> None:
    if not is_staff_reader(user):
        raise PermissionDenied(_("This area is for staff only."))
