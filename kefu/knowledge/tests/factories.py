"""Factories and the hand-labelled search corpus for knowledge tests (through the services)."""

from __future__ import annotations

from kefu.knowledge import services
from kefu.knowledge.models import ArticleState, Visibility


def make_article(
    title: str = "退货政策",
    body: str = "<p>签收后七天内可以申请退货。</p>",
    *,
    language: str = "zh-hans",
    visibility: str = Visibility.PUBLIC,
    state: str = ArticleState.PUBLISHED,
    actor=None,
    **fields,
):
    return services.article_create(
        actor=actor,
        title=title,
        body_html=body,
        language=language,
        visibility=visibility,
        state=state,
        **fields,
    )


# key: (title, body, language, visibility)
CORPUS = {
    "zh_return_policy": (
        "退货政策",
        "签收后七天内，商品完好、配件齐全即可申请无理由退货。定制商品不适用。",
        "zh-hans",
        "public",
    ),
    "zh_how_return": (
        "如何退货",
        "在订单页面点击申请售后，选择退货原因并上传照片，快递员上门取件。",
        "zh-hans",
        "public",
    ),
    "zh_refund_time": (
        "退款多久到账",
        "退款按原支付方式退回，银行卡一般三到五个工作日到账，微信和支付宝当天到账。",
        "zh-hans",
        "public",
    ),
    "zh_warranty": (
        "保修政策",
        "手机和平板保修一年，耳机和充电器保修半年。人为损坏和进水不在保修范围内。",
        "zh-hans",
        "public",
    ),
    "zh_charging": (
        "手机无法充电怎么办",
        "请先更换原装充电线和充电头，清理充电接口里的灰尘，然后重启手机再试。",
        "zh-hans",
        "public",
    ),
    "zh_screen": (
        "屏幕碎了如何维修",
        "屏幕碎裂属于人为损坏，不在免费保修范围内，可到授权服务中心付费更换屏幕。",
        "zh-hans",
        "public",
    ),
    "zh_delivery": (
        "配送时间与范围",
        "下单后四十八小时内发货，快递配送一般两到三天送达，偏远地区五到七天。",
        "zh-hans",
        "public",
    ),
    "zh_invoice": (
        "如何开具发票",
        "订单完成后可在订单详情申请电子发票，企业客户可申请增值税专用发票。",
        "zh-hans",
        "public",
    ),
    "zh_internal_refund_limit": (
        "退款审批额度（内部）",
        "客服专员可直接批准两百元以内的退款，超过需要主管审批。",
        "zh-hans",
        "internal",
    ),
    "en_return_policy": (
        "Return policy",
        "You can return a product within 7 days of delivery if it is complete and undamaged.",
        "en",
        "public",
    ),
    "en_refund": (
        "How refunds are paid",
        "Refunds go back to the original payment method. Bank cards take 3 to 5 working days.",
        "en",
        "public",
    ),
    "en_charging": (
        "Phone is not charging",
        "Try another cable and charger, clean the charging port, then restart the phone.",
        "en",
        "public",
    ),
    "en_warranty": (
        "Warranty coverage",
        "Phones and tablets carry a one-year warranty; earbuds and chargers six months.",
        "en",
        "public",
    ),
    "en_screen": (
        "Cracked screen repair",
        "A cracked screen is accidental damage. Authorised service centres replace screens "
        "for a fee.",
        "en",
        "public",
    ),
    "en_delivery": (
        "Delivery times",
        "Orders ship within 48 hours; delivery usually takes 2 to 3 days, remote areas longer.",
        "en",
        "public",
    ),
    "en_invoice": (
        "Getting an invoice",
        "Request an electronic invoice (fapiao) from the order page once the order is complete.",
        "en",
        "public",
    ),
}


def load_corpus() -> dict[str, object]:
    """Create the corpus articles (published); key → article."""
    return {
        key: make_article(title, f"<p>{body}</p>", language=language, visibility=visibility)
        for key, (title, body, language, visibility) in CORPUS.items()
    }
