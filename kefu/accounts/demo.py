"""Demo staff of 华信电子 Huaxin Electronics: one login per role, teams, and more agents."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import Group

from kefu.accounts.models import Team, User
from kefu.accounts.roles import Role, sync_role_groups
from kefu.core.demo import DEMO_PASSWORD

# username, display name, role, language, authority limit (CNY)
DEMO_LOGINS = [
    ("admin", "系统管理员 Admin", Role.ADMIN, "zh-hans", "100000"),
    ("manager", "王敏 Wang Min", Role.MANAGER, "zh-hans", "20000"),
    ("supervisor", "陈静 Chen Jing", Role.SUPERVISOR, "zh-hans", "5000"),
    ("qa", "赵磊 Zhao Lei", Role.QA, "zh-hans", "0"),
    ("agent", "李娜 Li Na", Role.AGENT, "zh-hans", "500"),
    ("agent.en", "Emma Clarke", Role.AGENT, "en", "500"),
    ("customer", "张伟 Zhang Wei", Role.CUSTOMER, "zh-hans", "0"),
]

TEAMS = [
    ("售前咨询 Pre-sales", "Product questions before purchase, via chat and phone.", "supervisor"),
    ("售后服务 After-sales", "Repairs, returns, warranty and delivery questions.", "supervisor"),
    ("投诉处理 Complaints", "Complaints and service recovery (LSPCAS).", "manager"),
    ("大客户 VIP", "Tier-A customers and organisations.", "manager"),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
]


def load(*, scale: int, rng, stdout=None) -> None:
    sync_role_groups()
    groups = {g.name: g for g in Group.objects.all()}
    users = {}
    for username, name, role, language, limit in DEMO_LOGINS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "display_name": name,
                "language": language,
                "email": f"{username}@huaxin.example",
                "authority_limit": Decimal(limit),
                "is_staff": role == Role.ADMIN,
                "is_superuser": role == Role.ADMIN,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user.groups.add(groups[role.value])
        users[username] = user

    extra_agents = []
    for i in range(12 * scale):
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)]
        user, created = User.objects.get_or_create(
            username=f"agent{i + 1:03d}",
            defaults={
                "display_name": name,
                "language": "zh-hans",
                "authority_limit": Decimal("300"),
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user.groups.add(groups[Role.AGENT.value])
        extra_agents.append(user)

    for index, (name, description, lead) in enumerate(TEAMS):
        team, _ = Team.objects.get_or_create(
            name=name, defaults={"description": description, "lead": users[lead]}
        )
        members = [users[lead], *extra_agents[index :: len(TEAMS)]]
        if index < 2:
            members += [users["agent"], users["agent.en"]]
        team.members.add(*members)
    if stdout is not None:
        stdout.write(
            f"  accounts: {len(DEMO_LOGINS) + len(extra_agents)} users, {len(TEAMS)} teams"
        )
