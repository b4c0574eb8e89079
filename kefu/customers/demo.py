"""Demo customers of 华信电子 Huaxin Electronics: people and organisations with two years of
consumer-electronics purchases (repeat buyers and one-off buyers), for the value analytics.

Idempotent: customers are keyed by their demo email, purchases by ("demo", external_id).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from kefu.customers.contacts import normalize_contact
from kefu.customers.credit import credit_grade, credit_score
from kefu.customers.models import (
    SIX_C,
    ContactPoint,
    CreditPolicy,
    CreditRating,
    Customer,
    CustomerKind,
    CustomerNote,
    Purchase,
    Tag,
)
from kefu.customers.services import format_customer_number, reserve_customer_ids, search_columns

SURNAMES = [
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
    ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("高", "gao"),
    ("林", "lin"), ("罗", "luo"),
]  # fmt: skip
GIVEN = [
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"),
    ("杰", "jie"), ("娟", "juan"), ("涛", "tao"), ("明", "ming"), ("超", "chao"),
    ("秀英", "xiuying"), ("霞", "xia"), ("平", "ping"), ("建华", "jianhua"), ("晓东", "xiaodong"),
]  # fmt: skip
ENGLISH = [
    "Emma Clarke", "Oliver Smith", "Sophie Müller", "James Wilson", "Lucas Martin",
    "Mia Johnson", "Noah Brown", "Hannah Schmidt", "Daniel Lee", "Chloe Taylor",
]  # fmt: skip
ORGANIZATIONS = [
    ("深圳前海云帆科技有限公司", "广东 深圳"), ("杭州西溪数码贸易有限公司", "浙江 杭州"),
    ("北京中关村启明教育集团", "北京"), ("上海浦江物流有限公司", "上海"),
    ("成都天府连锁酒店管理有限公司", "四川 成都"), ("武汉光谷医疗器械有限公司", "湖北 武汉"),
    ("Nordlicht Trading GmbH", "Hamburg"), ("南京紫金会计师事务所", "江苏 南京"),
    ("苏州工业园区星河电子厂", "江苏 苏州"), ("西安曲江文化传媒有限公司", "陕西 西安"),
]  # fmt: skip
REGIONS = ["北京", "上海", "广东 广州", "广东 深圳", "浙江 杭州", "江苏 南京", "四川 成都",
           "湖北 武汉", "陕西 西安", "山东 青岛", "福建 厦门", "天津"]  # fmt: skip
PRODUCTS = [
    ("华信 Mate 60 手机 Phone", 4999, 0.18), ("华信 Nova 12 手机 Phone", 2699, 0.20),
    ("华信 MatePad 平板 Tablet", 2299, 0.22), ("华信 MateBook 14 笔记本 Laptop", 5999, 0.15),
    ("FreeBuds 蓝牙耳机 Earbuds", 799, 0.35), ("Watch GT 智能手表 Smartwatch", 1488, 0.30),
    ("66W 快充充电器 Charger", 149, 0.45), ("手机壳 Phone case", 99, 0.55),
    ("延保服务 Extended warranty", 399, 0.70), ("智能音箱 Smart speaker", 599, 0.28),
    ("路由器 AX3 Router", 329, 0.25), ("移动电源 Power bank", 199, 0.40),
]  # fmt: skip
CHANNELS = ["天猫旗舰店", "京东自营", "官网商城", "线下门店", "微信小程序"]
EMAIL_DOMAINS = ["qq.com", "163.com", "126.com", "gmail.com", "outlook.com", "sina.com"]
TAGS = ["回头客", "VIP候选", "投诉过", "企业采购", "以旧换新", "线上活跃", "价格敏感"]
DEMO_SOURCE = "demo"


def _person(index: int, rng) -> tuple[str, str]:
    if index % 7 == 3:
        name = ENGLISH[rng.randrange(len(ENGLISH))]
        return name, name.lower().replace(" ", ".").replace("ü", "ue")
    surname, surname_py = SURNAMES[rng.randrange(len(SURNAMES))]
    given, given_py = GIVEN[rng.randrange(len(GIVEN))]
    return surname + given, f"{given_py}.{surname_py}"


def load(*, scale: int, rng, stdout=None) -> None:
    now = timezone.now()
    start = now - dt.timedelta(days=730)
    people_count = 300 * scale
    org_count = min(len(ORGANIZATIONS), 4 + 2 * scale)

    # Plan every customer first (deterministic with the seeded rng), then write what is missing.
    plans = []
    for index, (name, region) in enumerate(ORGANIZATIONS[:org_count]):
        plans.append(
            {
                "key": f"org{index:03d}@b2b.huaxin-demo.cn",
                "kind": CustomerKind.ORGANIZATION,
                "name": name,
                "region": region,
                "contacts": [("email", f"org{index:03d}@b2b.huaxin-demo.cn"),
                             ("phone", f"0755 {8600_0000 + index * 17:08d}")],
                "organization": None,
            }
        )  # fmt: skip
    for index in range(people_count):
        name, handle = _person(index, rng)
        email = f"{handle}{index}@{EMAIL_DOMAINS[index % len(EMAIL_DOMAINS)]}"
        mobile = f"1{rng.choice('3578')}{rng.randrange(10)}{rng.randrange(10**8):08d}"
        contacts = [("mobile", mobile), ("email", email)]
        if rng.random() < 0.4:
            contacts.append(("wechat", f"wx_{handle.replace('.', '_')}{index}"))
        organization = rng.randrange(org_count) if rng.random() < 0.12 else None
        plans.append(
            {
                "key": email.lower(),
                "kind": CustomerKind.PERSON,
                "name": name,
                "region": REGIONS[rng.randrange(len(REGIONS))],
                "contacts": contacts,
                "organization": organization,
                "language": "en" if name in ENGLISH else "zh-hans",
            }
        )
    # The classic duplicate (M1): 张伟 wrote by email, then called from the same mobile.
    first_zhang = next((p for p in plans if p["name"] == "张伟"), plans[org_count])
    plans.append(
        {
            "key": "zhangwei.dup@163.com",
            "kind": CustomerKind.PERSON,
            "name": first_zhang["name"],
            "region": first_zhang["region"],
            "contacts": [("email", "zhangwei.dup@163.com"), first_zhang["contacts"][0]],
            "organization": None,
            "language": "zh-hans",
        }
    )

    existing = dict(
        ContactPoint.objects.filter(
            kind="email", normalized__in=[p["key"] for p in plans]
        ).values_list("normalized", "customer_id")
    )
    missing = [p for p in plans if p["key"] not in existing]
    ids = reserve_customer_ids(len(missing))
    for plan, pk in zip(missing, ids, strict=True):
        plan["id"] = pk
    for plan in plans:
        plan.setdefault("id", existing.get(plan["key"]))
    org_ids = [p["id"] for p in plans[:org_count]]
    org_names = {p["id"]: p["name"] for p in plans[:org_count]}

    customers, contacts = [], []
    for plan in missing:
        number = format_customer_number(plan["id"])
        organization_id = (
            org_ids[plan["organization"]] if plan["organization"] is not None else None
        )
        normalized = [(k, v, normalize_contact(k, v)) for k, v in plan["contacts"]]
        customers.append(
            Customer(
                id=plan["id"],
                number=number,
                kind=plan["kind"],
                name=plan["name"],
                region=plan["region"],
                language=plan.get("language", "zh-hans"),
                organization_id=organization_id,
                **search_columns(
                    number=number,
                    name=plan["name"],
                    organization_name=org_names.get(organization_id, ""),
                    contacts=[n for _k, _v, n in normalized],
                ),
            )
        )
        contacts += [
            ContactPoint(customer_id=plan["id"], kind=k, value=v, normalized=n, is_primary=True)
            for k, v, n in normalized
        ]
    Customer.objects.bulk_create(customers, batch_size=1000)
    ContactPoint.objects.bulk_create(contacts, batch_size=1000)

    # Purchases: a heterogeneous Poisson rate per customer (some one-off buyers, some loyal
    # repeat buyers), ~5 purchases per customer on average over two years.
    purchases = []
    spend: dict[int, Decimal] = {}
    for index, plan in enumerate(plans):
        if plan["key"] == "zhangwei.dup@163.com":
            continue
        rate = rng.gammavariate(1.2, 4.2)  # mean ≈ 5 purchases in two years
        if plan["kind"] == CustomerKind.ORGANIZATION:
            rate *= 2.5
        count = max(0 if rng.random() < 0.08 else 1, round(rate))
        first = start + dt.timedelta(days=rng.uniform(0, 600))
        for k in range(count):
            at = first + dt.timedelta(days=rng.uniform(0, (now - first).days))
            product, price, margin = PRODUCTS[rng.randrange(len(PRODUCTS))]
            quantity = rng.choice([1, 1, 1, 1, 2]) * (
                rng.choice([5, 10, 20]) if plan["kind"] == CustomerKind.ORGANIZATION else 1
            )
            unit = Decimal(price) * Decimal(str(round(rng.uniform(0.85, 1.0), 2)))
            amount = (unit * quantity).quantize(Decimal("0.01"))
            purchases.append(
                Purchase(
                    customer_id=plan["id"],
                    source=DEMO_SOURCE,
                    external_id=f"HX-{index:05d}-{k:03d}",
                    ordered_at=at,
                    amount=amount,
                    currency="CNY",
                    gross_margin=(amount * Decimal(str(margin))).quantize(Decimal("0.01")),
                    product=product,
                    quantity=quantity,
                    channel=CHANNELS[rng.randrange(len(CHANNELS))],
                )
            )
            spend[plan["id"]] = spend.get(plan["id"], Decimal(0)) + amount
    Purchase.objects.bulk_create(purchases, batch_size=1000, ignore_conflicts=True)

    if missing:
        _tiers_tags_ratings(missing, spend, rng, now)
    _link_portal_login(first_zhang["id"])
    if stdout is not None:
        stdout.write(
            f"  customers: {len(missing)} new of {len(plans)} ({org_count} organisations), "
            f"{len(purchases)} purchases"
        )


def _tiers_tags_ratings(new_plans, spend, rng, now) -> None:
    """Tiers by spend rank (A top 10 %, B next 20 %, C next 40 %, D rest), tags, some ratings."""
    ranked = sorted(new_plans, key=lambda p: spend.get(p["id"], Decimal(0)), reverse=True)
    cut = [int(len(ranked) * share) for share in (0.1, 0.3, 0.7)]
    updates = []
    for position, plan in enumerate(ranked):
        tier = "A" if position < cut[0] else "B" if position < cut[1] else "C"
        tier = tier if position < cut[2] else "D"
        updates.append(Customer(id=plan["id"], tier=tier, is_vip=position < cut[0] // 2))
    Customer.objects.bulk_update(updates, ["tier", "is_vip"], batch_size=1000)
    tags = {t.name: t for t in Tag.objects.filter(name__in=TAGS)}
    Tag.objects.bulk_create([Tag(name=n) for n in TAGS if n not in tags], ignore_conflicts=True)
    tags = {t.name: t.pk for t in Tag.objects.filter(name__in=TAGS)}
    through = Customer.tags.through
    links = [
        through(customer_id=plan["id"], tag_id=tags[rng.choice(TAGS)])
        for plan in new_plans
        if rng.random() < 0.45
    ]
    through.objects.bulk_create(links, ignore_conflicts=True)
    policy = CreditPolicy.current()

    ratings, grades = [], []
    for plan in new_plans:
        if plan["kind"] != CustomerKind.ORGANIZATION and rng.random() > 0.15:
            continue
        scores = {name: rng.choice([2, 3, 3, 4, 4, 5]) for name in SIX_C}
        grade = credit_grade(scores, policy.weights, policy.cutoffs)
        ratings.append(
            CreditRating(
                customer_id=plan["id"],
                **scores,
                weights=policy.weights,
                score=Decimal(str(credit_score(scores, policy.weights))),
                grade=grade,
                rated_at=now - dt.timedelta(days=rng.randrange(1, 300)),
                note="演示评估 demo rating",
            )
        )
        grades.append(Customer(id=plan["id"], credit_grade=grade))
    CreditRating.objects.bulk_create(ratings, batch_size=1000)
    Customer.objects.bulk_update(grades, ["credit_grade"], batch_size=1000)
    notes = [
        CustomerNote(customer_id=plan["id"], body=rng.choice(
            ["偏好微信联系 Prefers WeChat", "上次投诉已妥善处理 Last complaint resolved",
             "对价格敏感，关注促销 Watches for promotions", "企业采购联系人 Purchasing contact"]
        ))
        for plan in new_plans if rng.random() < 0.2
    ]  # fmt: skip
    CustomerNote.objects.bulk_create(notes, batch_size=1000)


def _link_portal_login(customer_id: int | None) -> None:
    """The demo portal login `customer` (张伟 Zhang Wei) is this customer's login."""
    from kefu.accounts.models import User

    user = User.objects.filter(username="customer").first()
    if user is None or customer_id is None or Customer.objects.filter(user=user).exists():
        return
    Customer.objects.filter(pk=customer_id, user__isnull=True).update(user=user)
