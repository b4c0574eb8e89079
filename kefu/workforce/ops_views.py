"""Operations pages: live wall, queues & skills administration, and the agent's presence switch."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.errors import KefuError
from kefu.core.permissions import require_perm
from kefu.workforce import selectors, services
from kefu.workforce.forms import AgentSkillForm, PresenceForm, QueueForm, SkillForm
from kefu.workforce.models import DEFAULT_CAPACITY, AgentPresence, PresenceState, Queue, Skill


def _form_errors(form, exc: KefuError) -> None:
    for field, errors in exc.fields.items():
        for message in errors:
            form.add_error(field if field in form.fields else None, message)
    if not exc.fields:
        form.add_error(None, exc.message)


def live_wall(request):
    require_perm(request.user, "workforce.view_live_wall")
    return render(
        request,
        "workforce/live_wall.html",
        {
            "wall": selectors.live_wall(),
            "board": selectors.agent_board(),
            "decisions": selectors.routing_decision_list()[:15],
            "states": PresenceState.choices,
        },
    )


def queues(request):
    require_perm(request.user, "workforce.view_queue")
    require_perm(request.user, "workforce.use_planning")
    board = selectors.agent_board()
    return render(
        request,
        "workforce/queues.html",
        {
            "queues": selectors.queue_list(),
            "skills": selectors.skill_list(),
            "board": board,
            "queue_form": QueueForm(),
            "skill_form": SkillForm(),
            "agent_skill_form": AgentSkillForm(),
            "all_skills": Skill.objects.order_by("name"),
        },
    )


def queue_edit(request, queue_id: int | None = None):
    queue = get_object_or_404(Queue, pk=queue_id) if queue_id else None
    require_perm(request.user, "workforce.change_queue" if queue else "workforce.add_queue")
    initial = {"version": queue.version} if queue else {}
    form = QueueForm(request.POST or None, instance=queue, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        skills = data.pop("required_skills")
        version = data.pop("version") or (queue.version if queue else None)
        try:
            if queue is None:
                services.queue_create(actor=request.user, required_skills=skills, **data)
            else:
                queue.refresh_from_db()
                services.queue_update(
                    actor=request.user,
                    queue=queue,
                    expected_version=version,
                    changes=data,
                    required_skills=skills,
                )
        except KefuError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The queue was saved."))
            return redirect("workforce:queues")
    return render(request, "workforce/queue_form.html", {"form": form, "queue": queue})


@require_POST
def queue_delete(request, queue_id: int):
    require_perm(request.user, "workforce.delete_queue")
    queue = get_object_or_404(Queue, pk=queue_id)
    services.queue_delete(actor=request.user, queue=queue)
    messages.success(request, _("The queue was deleted."))
    return redirect("workforce:queues")


@require_POST
def skill_create(request):
    require_perm(request.user, "workforce.add_skill")
    form = SkillForm(request.POST)
    if form.is_valid():
        try:
            services.skill_create(actor=request.user, **form.cleaned_data)
        except KefuError as exc:
            detail = "; ".join(m for ms in exc.fields.values() for m in ms)
            messages.error(request, f"{exc.message} {detail}".strip())
        else:
            messages.success(request, _("Skill added."))
    else:
        messages.error(request, _("Check the form: %s") % form.errors.as_text())
    return redirect("workforce:queues")


@require_POST
def agent_skill_set(request):
    require_perm(request.user, "workforce.change_agentskill")
    form = AgentSkillForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the form: %s") % form.errors.as_text())
        return redirect("workforce:queues")
    agent = get_object_or_404(get_user_model(), pk=form.cleaned_data["agent"], is_active=True)
    services.agent_skill_set(
        actor=request.user,
        agent=agent,
        skill=form.cleaned_data["skill"],
        level=form.cleaned_data["level"],
    )
    messages.success(request, _("Skill level saved for %(agent)s.") % {"agent": agent})
    return redirect("workforce:queues")


def presence(request):
    require_perm(request.user, "workforce.view_agentpresence")
    current = AgentPresence.objects.filter(agent=request.user).first()
    capacity = {**DEFAULT_CAPACITY, **(current.capacity if current else {})}
    initial = {
        "state": current.state if current else PresenceState.OFFLINE,
        "reason": current.reason if current else "",
        **{f"capacity_{c}": capacity[c] for c in ("phone", "chat", "email")},
    }
    form = PresenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.presence_set(
                actor=request.user,
                agent=request.user,
                state=form.cleaned_data["state"],
                reason=form.cleaned_data["reason"] or "",
                capacity=form.capacity(),
            )
        except KefuError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Your presence was updated."))
            return redirect("workforce:presence")
    history = selectors.presence_history(request.user)[:10]
    return render(
        request,
        "workforce/presence.html",
        {"form": form, "presence": current, "history": history, "states": PresenceState.choices},
    )


@require_POST
def presence_quick(request, state: str):
    """One-click state buttons of the presence page (keep reason empty and capacity as is)."""
    require_perm(request.user, "workforce.view_agentpresence")
    try:
        services.presence_set(actor=request.user, agent=request.user, state=state)
    except KefuError as exc:
        messages.error(request, exc.message)
    return redirect("workforce:presence")
