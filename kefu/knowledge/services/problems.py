"""Publishing a problem record's workaround as an article (M22)."""

from __future__ import annotations

import html

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.core.errors import ValidationFailed
from kefu.core.permissions import require_perm
from kefu.knowledge import access
from kefu.knowledge.models import (
    Article,
    ArticleState,
    Language,
    Visibility,
)
from kefu.knowledge.services.articles import (
    article_create,
    article_transition,
    article_update,
    text_to_html,
)


@transaction.atomic
def problem_workaround_publish(
    *, actor, problem, language: str = Language.ZH_HANS, visibility: str = Visibility.PUBLIC
) -> Article:
    """Publish a problem record's workaround (and standard fix) as an article; a second call
    updates that article as a new revision instead of writing another one."""
    require_perm(actor, access.ADD)
    if not (problem.workaround or "").strip():
        raise ValidationFailed(
            _("The problem record has no workaround yet."),
            fields={"workaround": _("Write the workaround first.")},
        )
    if language.startswith("en"):
        title = f"Workaround: {problem.title}"
        parts = [("Workaround", problem.workaround), ("Fix", problem.standard_fix)]
    else:
        title = f"临时解决办法：{problem.title}"
        parts = [("临时解决办法", problem.workaround), ("标准解决方案", problem.standard_fix)]
    body = "".join(
        f"<h2>{html.escape(head)}</h2>{text_to_html(value)}"
        for head, value in parts
        if value.strip()
    )
    state = ArticleState.PUBLISHED if actor.has_perm(access.PUBLISH) else ArticleState.REVIEW
    existing = Article.objects.filter(problem=problem, language=language).first()
    if existing is None:
        return article_create(
            actor=actor,
            title=title[:200],
            body_html=body,
            language=language,
            visibility=visibility,
            problem=problem,
            state=state,
        )
    article = article_update(
        actor=actor,
        article=existing,
        expected_version=existing.version,
        changes={"title": title[:200], "body_html": body, "visibility": visibility},
        note=_("Updated from the problem record"),
    )
    if article.state != ArticleState.PUBLISHED and state == ArticleState.PUBLISHED:
        article = article_transition(
            actor=actor, article=article, to_state=state, expected_version=article.version
        )
    return article
