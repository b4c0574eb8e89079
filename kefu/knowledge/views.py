"""Staff pages: KB list with search, article page, editor, versions with diff and restore,
review queue, synonyms, attachments and recording an article's use on a ticket."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.errors import KefuError
from kefu.core.permissions import require_perm, require_staff
from kefu.knowledge import access, selectors, services
from kefu.knowledge.forms import ArticleForm, SynonymForm
from kefu.knowledge.models import (
    Article,
    ArticleAttachment,
    ArticleState,
    Language,
    Synonym,
    Visibility,
)

PAGE_SIZE = 30
FILTER_KEYS = ("q", "state", "visibility", "language", "category")


def _staff(request) -> None:
    require_staff(request.user)
    require_perm(request.user, access.VIEW, access.VIEW_INTERNAL)


def _form_errors(form, exc: KefuError) -> None:
    for field, errors in exc.fields.items():
        for message in errors:
            form.add_error(field if field in form.fields else None, message)
    if not exc.fields:
        form.add_error(None, exc.message)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def article_list(request):
    _staff(request)
    filters = {key: request.GET.get(key, "").strip() for key in FILTER_KEYS}
    query = urlencode({k: v for k, v in filters.items() if v})
    context = {
        "filters": filters,
        "query": query,
        "categories": selectors.categories(),
        "states": ArticleState.choices,
        "visibilities": Visibility.choices,
        "language_choices": Language.choices,
    }
    if filters["q"]:
        page_number = max(_int(request.GET.get("page")) or 1, 1)
        result = selectors.search_articles(
            request.user,
            filters["q"],
            limit=PAGE_SIZE,
            offset=(page_number - 1) * PAGE_SIZE,
            language=filters["language"] or None,
            include_unpublished=True,
            category=_int(filters["category"]),
        )
        context.update(result=result, page_number=page_number)
        context["has_next"] = result.total > page_number * PAGE_SIZE
    else:
        articles = selectors.article_list(
            request.user,
            state=filters["state"],
            visibility=filters["visibility"],
            language=filters["language"],
            category=_int(filters["category"]),
        )
        context["page"] = Paginator(articles, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "knowledge/list.html", context)


def article_detail(request, article_id: int):
    _staff(request)
    article = access.get_readable_article(request.user, article_id)
    stats = selectors.effectiveness([article.pk])[article.pk]
    return render(
        request,
        "knowledge/detail.html",
        {
            "article": article,
            "translations": selectors.translations(article),
            "attachments": article.attachments.all(),
            "stats": stats,
            "missing_languages": [
                (code, label)
                for code, label in Language.choices
                if code != article.language
                and not selectors.translations(article).filter(language=code).exists()
            ],
            "transitions": _transitions_for(request.user, article),
        },
    )


def _transitions_for(user, article: Article) -> list[tuple[str, str]]:
    labels = dict(ArticleState.choices)
    return [
        (to, labels[to])
        for (frm, to), perm in services.TRANSITIONS.items()
        if frm == article.state and user.has_perm(perm)
    ]


def article_create(request):
    _staff(request)
    require_perm(request.user, access.ADD)
    translation_of = None
    if request.GET.get("translation_of") or request.POST.get("translation_of"):
        translation_of = access.get_readable_article(
            request.user, _int(request.GET.get("translation_of") or request.POST["translation_of"])
        )
    initial = {"language": request.GET.get("language") or Language.ZH_HANS}
    if translation_of:
        initial.update(
            visibility=translation_of.visibility,
            category=translation_of.category_id,
            review_by=translation_of.review_by,
        )
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            article = services.article_create(
                actor=request.user,
                title=data["title"],
                body_html=data["body_html"],
                language=data["language"],
                visibility=data["visibility"],
                category=data["category"],
                review_by=data["review_by"],
                translation_of=translation_of,
            )
        except KefuError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Article saved as a draft."))
            return redirect("knowledge:detail", article.pk)
    return render(request, "knowledge/form.html", {"form": form, "translation_of": translation_of})


def article_edit(request, article_id: int):
    _staff(request)
    require_perm(request.user, access.CHANGE)
    article = get_object_or_404(Article, pk=article_id)
    initial = {
        "title": article.title,
        "body_html": article.body_html,
        "language": article.language,
        "visibility": article.visibility,
        "category": article.category_id,
        "review_by": article.review_by,
        "version": article.version,
    }
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.article_update(
                actor=request.user,
                article=article,
                expected_version=data["version"] or 0,
                changes={
                    name: data[name]
                    for name in (
                        "title",
                        "body_html",
                        "language",
                        "visibility",
                        "category",
                        "review_by",
                    )
                },
                note=data["note"],
            )
        except KefuError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Article saved."))
            return redirect("knowledge:detail", article.pk)
    return render(request, "knowledge/form.html", {"form": form, "article": article})


@require_POST
def article_transition(request, article_id: int):
    _staff(request)
    article = get_object_or_404(Article, pk=article_id)
    try:
        services.article_transition(
            actor=request.user,
            article=article,
            to_state=request.POST.get("state", ""),
            expected_version=_int(request.POST.get("version")) or 0,
        )
    except KefuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Article state changed."))
    return redirect("knowledge:detail", article.pk)


def article_versions(request, article_id: int):
    _staff(request)
    article = get_object_or_404(Article, pk=article_id)
    versions = list(selectors.article_versions(article))
    by_number = {v.number: v for v in versions}
    newest = versions[0].number if versions else 0
    b = by_number.get(_int(request.GET.get("b")) or newest)
    a = by_number.get(_int(request.GET.get("a")) or ((b.number - 1) if b else 0))
    diff = selectors.version_diff(a, b) if a and b and a.pk != b.pk else []
    return render(
        request,
        "knowledge/versions.html",
        {"article": article, "versions": versions, "a": a, "b": b, "diff": diff},
    )


@require_POST
def article_restore(request, article_id: int, number: int):
    _staff(request)
    article = get_object_or_404(Article, pk=article_id)
    try:
        services.article_restore(
            actor=request.user,
            article=article,
            number=number,
            expected_version=_int(request.POST.get("version")) or 0,
        )
    except KefuError as exc:
        messages.error(request, exc.message)
        return redirect("knowledge:versions", article.pk)
    messages.success(request, _("Revision %(n)s restored as a new revision.") % {"n": number})
    return redirect("knowledge:detail", article.pk)


@require_POST
def attachment_add(request, article_id: int):
    _staff(request)
    article = get_object_or_404(Article, pk=article_id)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file."))
        return redirect("knowledge:detail", article.pk)
    try:
        attachment = services.attachment_add(
            actor=request.user,
            article=article,
            upload=services.Upload(
                name=upload.name,
                content_type=upload.content_type,
                data=upload.read(services.MAX_ATTACHMENT_BYTES + 1),
            ),
        )
    except KefuError as exc:
        messages.error(request, " ".join([exc.message, *exc.fields.get("file", [])]))
    else:
        messages.success(request, _("%(name)s attached.") % {"name": attachment.filename})
    return redirect("knowledge:detail", article.pk)


@require_POST
def attachment_remove(request, attachment_id: int):
    _staff(request)
    attachment = get_object_or_404(ArticleAttachment, pk=attachment_id)
    services.attachment_remove(actor=request.user, attachment=attachment)
    messages.success(request, _("Attachment removed."))
    return redirect("knowledge:detail", attachment.article_id)


def attachment_download(request, attachment_id: int):
    """Serve an attachment to whoever may read its article (customers: public ones only)."""
    attachment = get_object_or_404(
        ArticleAttachment.objects.select_related("article"), pk=attachment_id
    )
    access.get_readable_article(request.user, attachment.article_id)
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=not attachment.is_image,
        filename=attachment.filename,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def review_queue(request):
    _staff(request)
    queue = selectors.review_queue()
    return render(
        request,
        "knowledge/review.html",
        {
            "in_review": queue["in_review"][:200],
            "overdue": queue["overdue"][:200],
            "reminders": selectors.reminders_for(request.user),
            "deflection": selectors.deflection_summary(),
        },
    )


def synonym_list(request):
    _staff(request)
    form = SynonymForm(request.POST or None)
    if request.method == "POST":
        require_perm(request.user, "knowledge.add_synonym")
        if form.is_valid():
            try:
                services.synonym_save(actor=request.user, words=form.cleaned_data["words"])
            except KefuError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("Synonym group saved."))
                return redirect("knowledge:synonyms")
    return render(
        request, "knowledge/synonyms.html", {"form": form, "synonyms": selectors.synonyms()}
    )


@require_POST
def synonym_delete(request, synonym_id: int):
    _staff(request)
    services.synonym_delete(actor=request.user, synonym=get_object_or_404(Synonym, pk=synonym_id))
    messages.success(request, _("Synonym group deleted."))
    return redirect("knowledge:synonyms")


@require_POST
def ticket_use(request, ticket_id: int):
    """Record "link inserted", "text inserted" or "solved" for an article on a ticket, then go
    back to the ticket (with ?kb_article=&kb_insert= so the reply box can prefill)."""
    from kefu.tickets.access import visible_tickets

    _staff(request)
    ticket = get_object_or_404(visible_tickets(request.user), pk=ticket_id)
    article = access.get_readable_article(request.user, _int(request.POST.get("article")) or 0)
    kind = request.POST.get("kind", "")
    try:
        services.article_use_record(actor=request.user, article=article, ticket=ticket, kind=kind)
    except KefuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Recorded."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = "/"
    if kind in ("link", "text"):
        separator = "&" if "?" in target else "?"
        target += separator + urlencode({"kb_article": article.pk, "kb_insert": kind})
    return HttpResponseRedirect(target)
