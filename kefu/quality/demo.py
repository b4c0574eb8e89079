"""Demo quality data of 华信电子 Huaxin Electronics: the 8F scorecard, evaluations of solved
tickets (one auto-fail with its coaching, one dispute), a mystery-customer contact, a
calibration session, company targets split to teams, PDCA actions and training items.

Idempotent: nothing is added when the demo evaluations exist. Runs after the tickets and
surveys demos (INSTALLED_APPS order)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from kefu.quality import selectors, services
from kefu.quality.models import Competency, Evaluation, TrainingItem
from kefu.tickets.models import Ticket

TRAINING = {
    0: [("产品知识月考 Monthly product quiz", "https://kb.huaxin.example/quiz")],
    1: [("响应时限与SLA Response times and SLAs", "")],
    2: [
        ("同理心沟通工作坊 Empathy workshop", ""),
        ("投诉客户情绪安抚 Calming upset customers", ""),
    ],
    3: [("8F沟通原则 The 8F principles", "")],
    4: [("服务补救与授权 Service recovery within authority", "")],
}


def _user(username: str):
    return get_user_model().objects.filter(username=username).first()


def load(*, scale: int, rng, stdout=None) -> None:
    qa = _user("qa")
    supervisor = _user("supervisor")
    manager = _user("manager") or supervisor
    if qa is None or supervisor is None or Evaluation.objects.filter(evaluator=qa).exists():
        return
    rubric = services.rubric_create_8f(actor=qa)
    for position, items in TRAINING.items():
        competency = Competency.objects.filter(position=position).first()
        for title, url in items:
            if competency and not TrainingItem.objects.filter(title=title).exists():
                services.training_item_create(
                    actor=manager, competency=competency, title=title, url=url
                )
    criteria = selectors.rubric_criteria(rubric)
    tickets = list(
        Ticket.objects.filter(solved_at__isnull=False, assignee__isnull=False)
        .select_related("assignee", "team")
        .order_by("pk")[: 400 * scale]
    )
    rng.shuffle(tickets)
    sample = tickets[: 60 * scale]
    if not sample:
        return
    mystery, calibrated, sample = sample[0], sample[1], sample[2:]
    services.mystery_contact_create(
        actor=qa,
        ticket=mystery,
        shopper="神秘客户 07号",
        scenario="来电询问手机屏幕划痕能否保修，并表达不满，观察坐席是否先安抚情绪再说明政策。",
        rubric=rubric,
    )
    made = []
    for i, ticket in enumerate([mystery, *sample]):
        values = {}
        for c in criteria:
            draw = rng.random()
            values[c.pk] = 1.0 if draw < 0.75 else (0.5 if draw < 0.93 else 0.0)
            if c.auto_fail:
                values[c.pk] = 0.0 if i == 3 else 1.0  # one hot-stove case
        evaluation = services.evaluation_create(
            actor=qa,
            ticket=ticket,
            rubric=rubric,
            values=values,
            sampling="mystery" if ticket is mystery else ("random" if i % 3 else "rule"),
            comment="" if i % 4 else "回复及时，但未确认客户是否满意。",
        )
        made.append((evaluation, ticket))
    # Evaluations dated a day after the solve, so QA scores have a trend.
    for evaluation, ticket in made:
        when = min(ticket.solved_at + dt.timedelta(days=1), timezone.now())
        Evaluation.objects.filter(pk=evaluation.pk).update(created_at=when)
    disputed = made[5][0]
    services.dispute_raise(
        actor=disputed.agent,
        evaluation=disputed,
        reason="客户当时已离线，无法在会话中确认结果，已通过短信回访。",
    )
    session = services.calibration_create(
        actor=qa, ticket=calibrated, rubric=rubric, name="校准会 Calibration: 屏幕划痕投诉"
    )
    for evaluator in (qa, supervisor, manager):
        values = {c.pk: 1.0 if rng.random() < 0.7 else 0.5 for c in criteria}
        services.evaluation_create(
            actor=evaluator,
            ticket=calibrated,
            rubric=rubric,
            values=values,
            calibration=session,
        )
    _targets(manager)
    _actions(manager, supervisor)
    if stdout is not None:
        stdout.write(f"  quality: 8F scorecard, {len(made)} evaluations, targets, PDCA actions")


def _targets(manager) -> None:
    today = timezone.localdate()
    start = today.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    solved = services.target_create(
        actor=manager, kpi="tickets_solved", start=start, end=end, value=600
    )
    services.target_decompose(actor=manager, target=solved, method="equal")
    for kpi, value in (("csat", 85.0), ("first_response_s", 1800.0), ("sla_compliance", 90.0)):
        target = services.target_create(actor=manager, kpi=kpi, start=start, end=end, value=value)
        services.target_decompose(actor=manager, target=target, method="same")


def _actions(manager, supervisor) -> None:
    today = timezone.localdate()
    services.action_create(
        actor=manager,
        title="首次响应提速：早高峰增加在线坐席 Faster first response at the morning peak",
        kpi="first_response_s",
        owner=supervisor,
        due_date=today + dt.timedelta(days=30),
        plan="9:00–11:00 增派2名坐席处理邮件与在线咨询；每日看板跟踪首次响应时间。",
    )
    action = services.action_create(
        actor=manager,
        title="降低重开率：结案前确认客户问题已解决 Fewer reopenings",
        kpi="reopen_rate",
        owner=supervisor,
        due_date=today + dt.timedelta(days=45),
        plan="结案前必须使用“确认解决”话术；质检抽查10%。",
    )
    services.action_move(actor=manager, action=action, to_state="do", expected_version=1)
