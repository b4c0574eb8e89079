"""The respondent's page /s/<token>/: no sign-in, the signed token is the key.

Bad or tampered tokens, expired links, closed surveys and replays each get a clear page.
"""

from __future__ import annotations

from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _

from kefu.core.errors import Conflict, KefuError, NotFound
from kefu.surveys import services
from kefu.surveys.models import Response
from kefu.surveys.respondent import form_blocks, saved_values

LANGUAGES = {"en": "en", "zh": "zh-hans", "zh-hans": "zh-hans"}
STATUS = {"already_answered": 409, "expired": 410, "survey_closed": 410}


def _language(request, invitation) -> str:
    chosen = request.POST.get("lang") or request.GET.get("lang")
    if chosen in LANGUAGES:
        return LANGUAGES[chosen]
    customer_language = getattr(getattr(invitation, "customer", None), "language", "") or ""
    if customer_language.lower().startswith("zh"):
        return "zh-hans"
    if customer_language.lower().startswith("en"):
        return "en"
    return translation.get_language() or "zh-hans"


def answer(request, token: str):
    try:
        survey, invitation = services.resolve_token(token)
    except NotFound:
        with translation.override(_language(request, None)):
            message = _("This survey link is not valid.")
            return render(request, "surveys/public/message.html", {"message": message}, status=404)
    with translation.override(_language(request, invitation)):
        return _answer(request, token, survey, invitation)


def _answer(request, token, survey, invitation):
    language = translation.get_language()
    try:
        services.check_open(survey, invitation)
    except Conflict as exc:
        return _message(request, survey, exc)
    questions = services.survey_questions(survey)
    personal = invitation is not None and not survey.anonymous
    errors: dict[str, str] = {}
    notice = ""
    if request.method == "POST":
        data = {
            key: request.POST.getlist(key) if key.startswith("q") else request.POST.get(key)
            for key in request.POST
        }
        submission = request.POST.get("submission", "")
        partial = request.POST.get("action") == "save"
        try:
            key = "" if personal else services.submission_key_from(submission)
            services.response_save(
                survey=survey,
                data=data,
                invitation=invitation,
                submission_key=key,
                partial=partial,
                language=language,
            )
            if not partial:
                return render(
                    request,
                    "surveys/public/message.html",
                    {
                        "survey": survey,
                        "title": _("Thank you!"),
                        "message": _("Your answers were received."),
                        "done": True,
                    },
                )
            notice = (
                _("Your answers are saved. Come back with the same link to finish.")
                if personal
                else _("Your answers are saved on this page; submit them when you are done.")
            )
        except Conflict as exc:
            return _message(request, survey, exc)
        except KefuError as exc:
            errors = {k: v[0] for k, v in exc.fields.items()} or {"__all__": exc.message}
            notice = exc.message
    else:
        submission = "" if personal else services.submission_token()
        data = {}
        if personal:
            draft = Response.objects.filter(
                submission_key=f"inv-{invitation.key}", submitted_at__isnull=True
            ).first()
            data = saved_values(draft)
    return render(
        request,
        "surveys/public/answer.html",
        {
            "survey": survey,
            "token": token,
            "blocks": form_blocks(questions, data, errors),
            "errors": errors,
            "notice": notice,
            "submission": submission,
            "lang": "zh" if language.startswith("zh") else "en",
        },
        status=422 if errors else 200,
    )


def _message(request, survey, exc: KefuError):
    return render(
        request,
        "surveys/public/message.html",
        {"survey": survey, "message": exc.message, "done": exc.code == "already_answered"},
        status=STATUS.get(exc.code, 400),
    )
