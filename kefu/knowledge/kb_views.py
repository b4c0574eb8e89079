"""The public knowledge base for customers (M49): search, categories, article, feedback.

Signed-in portal customers (and staff, to preview) see published public articles only."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.errors import KefuError
from kefu.knowledge import access, selectors, services

PAGE_SIZE = 20


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def kb_home(request):
    q = request.GET.get("q", "").strip()[:200]
    category = _int(request.GET.get("category"))
    language = request.GET.get("language", "")
    language = language if language in ("zh-hans", "en") else ""
    context = {
        "q": q,
        "category": category,
        "language": language,
        "categories": selectors.categories(public_only=True),
        "ui_language": translation.get_language(),
    }
    if q:
        context["result"] = selectors.public_search(q, language=language or None, limit=PAGE_SIZE)
    else:
        context["articles"] = selectors.public_articles(
            language=language or None, category=category
        )[:200]
    return render(request, "knowledge/kb_home.html", context)


def kb_article(request, article_id: int):
    article = access.get_readable_article(request.user, article_id)
    if not article.is_public:  # staff readers may open any article, but not on the portal page
        from django.http import Http404

        raise Http404(_("No such article."))
    services.deflection_record_read(user=request.user, article=article)
    feedback = article.feedback.filter(user=request.user).first()
    return render(
        request,
        "knowledge/kb_article.html",
        {
            "article": article,
            "feedback": feedback,
            "attachments": article.attachments.all(),
            "translations": selectors.translations(article).filter(
                state="published", visibility="public"
            ),
        },
    )


@require_POST
def kb_feedback(request, article_id: int):
    article = access.get_readable_article(request.user, article_id)
    helpful = request.POST.get("helpful")
    if helpful not in ("yes", "no"):
        messages.error(request, _("Choose yes or no."))
        return redirect("knowledge:kb-article", article.pk)
    try:
        services.feedback_record(
            actor=request.user,
            article=article,
            helpful=helpful == "yes",
            comment=request.POST.get("comment", ""),
        )
    except KefuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Thank you for your feedback."))
    return redirect("knowledge:kb-article", article.pk)
