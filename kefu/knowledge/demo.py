"""Demo knowledge base of 华信电子 (Huaxin Electronics): ~40 bilingual articles in categories,
some internal, a synonym list, and workaround articles for the demo problem records.

Idempotent: categories and synonyms are found by name, articles by (title, language)."""

# ruff: noqa: E501 — the demo article texts are long string literals
from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kefu.knowledge import services
from kefu.knowledge.models import Article, ArticleState, Category, Synonym

CATEGORIES = [
    # (name, English name, sections [(name, English name)])
    ("售后政策", "After-sales policy", [("退货与退款", "Returns & refunds"), ("保修", "Warranty")]),
    ("维修服务", "Repairs", [("屏幕", "Screens"), ("电池与充电", "Battery & charging")]),
    ("订单与配送", "Orders & delivery", [("配送", "Delivery"), ("发票", "Invoices")]),
    ("账号与设备", "Account & devices", []),
    ("内部流程", "Internal procedures", []),
]

# (key, section, visibility, zh (title, body), en (title, body))
ARTICLES = [
    (
        "return-policy",
        "退货与退款",
        "public",
        (
            "七天无理由退货政策",
            "签收后七天内，商品完好、配件和赠品齐全、包装不影响二次销售，可申请无理由退货。\n\n"
            "定制商品、已激活的软件服务和个人护理类商品不适用无理由退货。\n\n"
            "退货运费：质量问题由我们承担；非质量问题由客户承担。",
        ),
        (
            "7-day no-reason return policy",
            "Within 7 days of delivery you can return a product without giving a reason, as long as "
            "it is undamaged and complete with accessories and gifts.\n\nCustom-made products, "
            "activated software services and personal-care items are excluded.\n\nReturn shipping "
            "is free for quality problems; otherwise the customer pays it.",
        ),
    ),
    (
        "how-to-return",
        "退货与退款",
        "public",
        (
            "如何申请退货",
            "1. 打开 App，进入「我的订单」，找到要退的商品。\n2. 点击「申请售后」，选择「退货」和原因，"
            "上传商品照片。\n3. 审核通过后，快递员会在约定时间上门取件，无需垫付运费。\n\n"
            "仓库签收并检测后 48 小时内完成退款。",
        ),
        (
            "How to return a product",
            "1. Open the app and go to My orders.\n2. Choose Request after-sales service, pick Return "
            "and a reason, and upload photos.\n3. Once approved, a courier collects the parcel at the "
            "agreed time; you do not pay shipping upfront.\n\nThe refund is issued within 48 hours "
            "after our warehouse receives and checks the item.",
        ),
    ),
    (
        "refund-time",
        "退货与退款",
        "public",
        (
            "退款多久到账",
            "退款按原支付方式退回：微信支付和支付宝一般当天到账；银行卡三到五个工作日；"
            "信用卡以发卡行入账为准，最长十五个工作日。\n\n花呗分期的退款会退回到花呗额度。",
        ),
        (
            "When will I get my refund?",
            "Refunds go back to the original payment method: WeChat Pay and Alipay usually the same "
            "day; bank cards 3 to 5 working days; credit cards depend on the issuing bank, up to 15 "
            "working days.\n\nInstalment (Huabei) refunds go back to the Huabei credit line.",
        ),
    ),
    (
        "exchange",
        "退货与退款",
        "public",
        (
            "十五天质量问题换货",
            "签收后十五天内出现性能故障，经检测确认属于质量问题的，可免费换同型号新机。"
            "换货需保留完整包装和购买凭证。",
        ),
        (
            "15-day exchange for defects",
            "If a performance fault appears within 15 days of delivery and our test confirms a "
            "quality problem, we exchange it for a new unit of the same model free of charge. Keep "
            "the full packaging and your proof of purchase.",
        ),
    ),
    (
        "warranty-policy",
        "保修",
        "public",
        (
            "保修政策与保修期",
            "手机、平板和笔记本电脑整机保修一年；耳机、手表和充电器保修半年；电池保修一年。\n\n"
            "人为损坏（摔落、挤压、进水）和私自拆机不在保修范围内，可付费维修。",
        ),
        (
            "Warranty policy and periods",
            "Phones, tablets and laptops carry a one-year warranty; earbuds, watches and chargers six "
            "months; batteries one year.\n\nAccidental damage (drops, crushing, liquid) and "
            "unauthorised disassembly are not covered; paid repair is available.",
        ),
    ),
    (
        "warranty-check",
        "保修",
        "public",
        (
            "如何查询保修状态",
            "在 App「设备服务」中输入序列号（IMEI 或 SN）即可查询保修到期日。"
            "序列号可在包装盒侧面或「设置 > 关于本机」中找到。",
        ),
        (
            "How to check your warranty status",
            "Enter the serial number (IMEI or SN) under Device services in the app to see the "
            "warranty end date. The serial number is on the side of the box or in Settings > About.",
        ),
    ),
    (
        "screen-repair",
        "屏幕",
        "public",
        (
            "屏幕碎了怎么维修",
            "屏幕碎裂属于人为损坏，不在免费保修范围内。可预约到授权服务中心付费更换原装屏幕，"
            "一般当天完成。购买了碎屏保障服务的，在保障期内可免费更换一次。",
        ),
        (
            "Cracked screen repair",
            "A cracked screen is accidental damage and is not covered by the free warranty. Book a "
            "paid original-screen replacement at an authorised service centre; most are done the "
            "same day. With screen protection cover, one replacement is free during the cover.",
        ),
    ),
    (
        "screen-lines",
        "屏幕",
        "public",
        (
            "屏幕出现绿线或闪烁",
            "先重启设备并把系统升级到最新版本。如果问题仍在，并且设备没有摔落或进水记录，"
            "属于保修范围，请预约检测。",
        ),
        (
            "Green lines or flickering on the screen",
            "Restart the device and update the system to the latest version. If the problem remains "
            "and the device has not been dropped or wet, it is covered by the warranty; book a check.",
        ),
    ),
    (
        "not-charging",
        "电池与充电",
        "public",
        (
            "手机无法充电怎么办",
            "1. 换一根原装充电线和充电头再试。\n2. 用软毛刷清理充电接口里的灰尘。\n"
            "3. 强制重启手机。\n4. 仍然无法充电，请预约检测，在保修期内免费维修。",
        ),
        (
            "Phone is not charging",
            "1. Try an original cable and charger.\n2. Clean the charging port with a soft brush.\n"
            "3. Force-restart the phone.\n4. If it still does not charge, book a check; repairs are "
            "free within the warranty.",
        ),
    ),
    (
        "slow-charging",
        "电池与充电",
        "public",
        (
            "快充不生效、充电慢",
            "快充需要原装快充头和支持快充的数据线。充电时玩大型游戏或环境温度过高，"
            "系统会自动降低充电功率以保护电池。",
        ),
        (
            "Fast charging does not work or charging is slow",
            "Fast charging needs the original fast charger and a cable that supports it. While "
            "gaming or in a hot room the system lowers charging power to protect the battery.",
        ),
    ),
    (
        "battery-drain",
        "电池与充电",
        "public",
        (
            "电池耗电快",
            "在「设置 > 电池」查看耗电排行，关闭异常后台应用。电池健康低于 80% 时建议更换电池，"
            "保修期内免费。",
        ),
        (
            "Battery drains quickly",
            "See Settings > Battery for the apps using most power and close misbehaving ones. Below "
            "80 % battery health we recommend a battery replacement, free within the warranty.",
        ),
    ),
    (
        "delivery-times",
        "配送",
        "public",
        (
            "配送时间与范围",
            "现货商品下单后 48 小时内发货，快递配送一般两到三天送达，偏远地区五到七天。"
            "大促期间可能延迟一到两天。",
        ),
        (
            "Delivery times and areas",
            "In-stock items ship within 48 hours; delivery usually takes 2 to 3 days, remote areas 5 "
            "to 7 days. During big sales allow one or two extra days.",
        ),
    ),
    (
        "delivery-damaged",
        "配送",
        "public",
        (
            "收到的包裹破损怎么办",
            "请当着快递员的面开箱验货。外包装破损或商品损坏可以拒收，并在 App 中拍照反馈，"
            "我们会在 24 小时内补发。",
        ),
        (
            "The parcel arrived damaged",
            "Open the parcel in front of the courier. You may refuse a damaged parcel and report it "
            "with photos in the app; we send a replacement within 24 hours.",
        ),
    ),
    (
        "change-address",
        "配送",
        "public",
        (
            "发货前修改收货地址",
            "订单发货前可以在「我的订单」中修改收货地址一次；已发货的订单请联系快递改派。",
        ),
        (
            "Change the delivery address before shipping",
            "Before an order ships you can change its address once under My orders; after shipping "
            "please ask the courier to redirect it.",
        ),
    ),
    (
        "invoice",
        "发票",
        "public",
        (
            "如何开具发票",
            "订单完成后，在订单详情申请电子发票，一般 24 小时内发送到邮箱。"
            "企业客户可申请增值税专用发票，需要填写税号、开户行和账号。",
        ),
        (
            "How to get an invoice",
            "After the order is completed, request an electronic invoice (fapiao) in the order "
            "details; it is emailed within 24 hours. Business customers can request a VAT special "
            "invoice with their tax number and bank details.",
        ),
    ),
    (
        "invoice-change",
        "发票",
        "public",
        (
            "发票抬头开错了怎么办",
            "电子发票开具后 30 天内可以申请换开一次，原发票自动作废。纸质专票需寄回原票。",
        ),
        (
            "Wrong name on the invoice",
            "Within 30 days you can ask once to reissue an electronic invoice; the old one is voided. "
            "Paper VAT invoices must be sent back first.",
        ),
    ),
    (
        "account-transfer",
        "账号与设备",
        "public",
        (
            "二手转让前如何解绑账号",
            "在「设置 > 账号」退出账号并关闭查找设备，然后恢复出厂设置。"
            "未解绑的设备新机主无法激活。",
        ),
        (
            "Unlink your account before selling a device",
            "Sign out under Settings > Account, turn off Find my device, then reset to factory "
            "settings. A device that is still linked cannot be activated by the new owner.",
        ),
    ),
    (
        "refund-authority",
        None,
        "internal",
        (
            "退款与补偿授权额度（内部）",
            "客服专员可直接批准 200 元以内的退款或补偿；200 至 1000 元需主管审批；"
            "超过 1000 元需经理审批。VIP（A 类）客户额度上浮 50%。",
        ),
        (
            "Refund and compensation authority limits (internal)",
            "Agents may approve refunds or compensation up to CNY 200; CNY 200 to 1,000 needs a "
            "supervisor; above CNY 1,000 a manager. Limits are 50 % higher for A-tier (VIP) "
            "customers.",
        ),
    ),
    (
        "escalation",
        None,
        "internal",
        (
            "投诉升级流程（内部）",
            "客户明确表示要向媒体或 12315 投诉、或同一问题第三次来电时，立即升级给值班主管，"
            "并在工单中标记「重复投诉」。",
        ),
        (
            "Complaint escalation procedure (internal)",
            "When a customer says they will go to the media or the 12315 hotline, or calls a third "
            "time about the same problem, escalate to the supervisor on duty at once and mark the "
            "ticket as a repeat complaint.",
        ),
    ),
    (
        "battery-batch",
        "电池与充电",
        "internal",
        (
            "充电器批次 HX-2309 排查指引（内部）",
            "序列号以 2309 开头的 65W 充电器存在发热问题。确认批次后直接安排换新，"
            "无需寄回检测，并在工单关联问题记录。",
        ),
        (
            "Charger batch HX-2309 troubleshooting (internal)",
            "65 W chargers whose serial starts with 2309 may overheat. Once the batch is confirmed, "
            "replace the charger directly without a return for testing, and link the ticket to the "
            "problem record.",
        ),
    ),
]

SYNONYMS = [
    "退款, 退钱, 返款, refund, refunds",
    "退货, 退换, return, returns",
    "发票, 开票, 税票, invoice, fapiao",
    "充电, 充不进电, charge, charging",
    "屏幕, 屏, 显示屏, screen, display",
    "快递, 物流, 配送, delivery, courier",
    "保修, 质保, 售后, warranty",
]


def _category_map() -> dict[str, Category]:
    sections: dict[str, Category] = {}
    for position, (name, name_en, children) in enumerate(CATEGORIES):
        top = Category.objects.filter(parent=None, name=name).first() or services.category_create(
            actor=None, name=name, name_en=name_en, position=position,
            is_public=name != "内部流程",
        )  # fmt: skip
        sections[name] = top
        for child_position, (child, child_en) in enumerate(children):
            sections[child] = Category.objects.filter(
                parent=top, name=child
            ).first() or services.category_create(
                actor=None, name=child, name_en=child_en, parent=top, position=child_position
            )
    return sections


def load(*, scale: int, rng, stdout=None) -> None:
    from kefu.accounts.models import User

    sections = _category_map()
    owners = list(User.objects.filter(groups__name__in=["supervisor", "agent"]).order_by("pk"))
    today = timezone.localdate()
    created = 0
    for index, (_key, section, visibility, zh, en) in enumerate(ARTICLES):
        category = sections.get(section) if section else sections["内部流程"]
        owner = owners[index % len(owners)] if owners else None
        # a few articles are past their review date, so the review queue has work
        review_by = today + dt.timedelta(days=-7 if index % 6 == 0 else 90 + index)
        zh_article = Article.objects.filter(title=zh[0], language="zh-hans").first()
        if zh_article is None:
            zh_article = services.article_create(
                actor=None, title=zh[0], body_html=services.text_to_html(zh[1]),
                language="zh-hans", visibility=visibility, category=category, owner=owner,
                review_by=review_by, state=ArticleState.PUBLISHED,
            )  # fmt: skip
            created += 1
        if not Article.objects.filter(title=en[0], language="en").exists():
            services.article_create(
                actor=None, title=en[0], body_html=services.text_to_html(en[1]),
                language="en", visibility=visibility, category=category, owner=owner,
                review_by=review_by, translation_of=zh_article,
                state=ArticleState.REVIEW if index % 7 == 3 else ArticleState.PUBLISHED,
            )  # fmt: skip
            created += 1
    for words in SYNONYMS:
        if not Synonym.objects.filter(words=words).exists():
            services.synonym_save(actor=None, words=words)
    created += _problem_articles()
    if stdout is not None:
        stdout.write(f"knowledge: {created} articles, {len(SYNONYMS)} synonym groups\n")


def _problem_articles() -> int:
    """Publish the workaround of each demo problem record that has one (once)."""
    from kefu.accounts.models import User
    from kefu.tickets.models import Problem

    admin = User.objects.filter(username="admin").first()
    if admin is None:
        return 0
    count = 0
    for problem in Problem.objects.exclude(workaround="").filter(articles__isnull=True):
        services.problem_workaround_publish(actor=admin, problem=problem)
        count += 1
    return count
