"""Ready-made survey instruments (English and 简体中文), worded for Kefu.

SERVQUAL follows the 22-item, five-dimension structure of Parasuraman, Zeithaml & Berry (1988);
the wording here is Kefu's own, not the copyrighted original. The customer-orientation self-test
follows the seven categories of the 客户导向公司特质─自我测试 in the TCL CRM training course
(/work/shared/reference/crm-training-course.txt); the employee survey follows its five
employee-satisfaction dimensions (工作、工作场所、工作条件、组织人事、公司形象). Also the
scoring of such self-assessments (M42, M47) and the anonymity rule for breakdowns. No Django.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from numpy.typing import ArrayLike, NDArray

from kefu.surveys.scoring import validated_scores


def _(message: str) -> str:
    """No-op marker so Django's makemessages extracts user-visible strings."""
    return message


@dataclass(frozen=True)
class ServqualItem:
    code: str
    dimension: str
    expectation_en: str
    perception_en: str
    expectation_zh: str
    perception_zh: str


@dataclass(frozen=True)
class InstrumentItem:
    code: str
    en: str
    zh: str


@dataclass(frozen=True)
class InstrumentCategory:
    code: str
    name_en: str
    name_zh: str
    items: tuple[InstrumentItem, ...]


def _servqual(code: str, dimension: str, en: str, zh: str) -> ServqualItem:
    """Both phrasings: "An excellent service provider …" (expectation), "This company …"."""
    return ServqualItem(
        code=code,
        dimension=dimension,
        expectation_en=f"An excellent service provider {en}.",
        perception_en=f"This company {en}.",
        expectation_zh=f"优秀的服务企业{zh}。",
        perception_zh=f"本公司{zh}。",
    )


SERVQUAL_ITEMS: tuple[ServqualItem, ...] = (
    _servqual(
        "T1", "tangibles", "works with up-to-date equipment and tools", "使用先进的设备和工具"
    ),
    _servqual(
        "T2",
        "tangibles",
        "has premises and service channels (counter, website, app) that feel inviting",
        "的营业场所和服务渠道(柜台、网站、App)让人感觉舒适",
    ),
    _servqual(
        "T3", "tangibles", "has staff who look tidy and professional", "的员工仪表整洁、专业"
    ),
    _servqual(
        "T4",
        "tangibles",
        "provides printed and online material that is clear and pleasant to use",
        "提供的纸质和在线资料清楚易用",
    ),
    _servqual(
        "R1", "reliability", "keeps the commitments it makes to customers", "会兑现对客户作出的承诺"
    ),
    _servqual(
        "R2",
        "reliability",
        "genuinely works to fix a customer's problem",
        "会真心实意地帮助客户解决问题",
    ),
    _servqual("R3", "reliability", "gets the service right the first time", "第一次就把服务做对"),
    _servqual(
        "R4", "reliability", "delivers the service at the time it announced", "在预告的时间提供服务"
    ),
    _servqual(
        "R5",
        "reliability",
        "keeps accurate records of its customers and their orders",
        "对客户及订单的记录准确无误",
    ),
    _servqual(
        "S1",
        "responsiveness",
        "tells customers clearly when each step of the service will happen",
        "会清楚告知客户每一步服务何时进行",
    ),
    _servqual("S2", "responsiveness", "serves customers without delay", "能及时为客户提供服务"),
    _servqual(
        "S3", "responsiveness", "has staff who are always ready to help", "的员工随时乐意提供帮助"
    ),
    _servqual(
        "S4",
        "responsiveness",
        "answers customer requests even at its busiest times",
        "即使在最忙的时候也会回应客户的请求",
    ),
    _servqual(
        "A1",
        "assurance",
        "has staff whose conduct gives customers confidence",
        "员工的言行让客户感到放心",
    ),
    _servqual(
        "A2",
        "assurance",
        "makes customers feel secure about payments and personal data",
        "让客户在付款和个人信息方面感到安全",
    ),
    _servqual("A3", "assurance", "has staff who are polite every time", "的员工始终礼貌待客"),
    _servqual(
        "A4",
        "assurance",
        "has staff who know enough to answer customers' questions",
        "的员工具备回答客户问题的专业知识",
    ),
    _servqual("E1", "empathy", "gives each customer personal attention", "会关注每一位客户"),
    _servqual(
        "E2",
        "empathy",
        "can be reached at times that suit its customers",
        "的服务时间方便客户联系",
    ),
    _servqual(
        "E3",
        "empathy",
        "has staff who look after customers personally",
        "的员工会为客户提供个性化的照顾",
    ),
    _servqual("E4", "empathy", "puts its customers' interests first", "把客户的利益放在首位"),
    _servqual(
        "E5",
        "empathy",
        "has staff who understand each customer's particular needs",
        "的员工了解每位客户的具体需求",
    ),
)
SERVQUAL_ITEM_DIMENSIONS: tuple[str, ...] = tuple(item.dimension for item in SERVQUAL_ITEMS)


def _items(prefix: str, *pairs: tuple[str, str]) -> tuple[InstrumentItem, ...]:
    return tuple(
        InstrumentItem(f"{prefix}{number}", en, zh) for number, (en, zh) in enumerate(pairs, 1)
    )


# Answer labels of the self-test: 1 一点都不 … 5 非常多.
SELF_ASSESSMENT_SCALE: tuple[tuple[int, str, str], ...] = (
    (1, "Not at all", "一点都不"),
    (2, "A little", "有一点"),
    (3, "Moderately", "一般"),
    (4, "A lot", "很多"),
    (5, "Very much", "非常多"),
)

CUSTOMER_ORIENTATION_CATEGORIES: tuple[InstrumentCategory, ...] = (
    InstrumentCategory(
        "philosophy",
        "Philosophy and climate",
        "公司理念与组织氛围",
        _items(
            "P",
            ("Our purpose is to create satisfied customers.", "我们的宗旨是创造满意的客户。"),
            (
                "We prefer doing it right the first time to fixing it later.",
                "我们力求一次做对,而不是事后返工。",
            ),
            (
                "Managers show by what they do that customer satisfaction matters.",
                "管理者以实际行动表明客户满意很重要。",
            ),
            (
                "Customer needs come before our internal convenience.",
                "客户的需求优先于公司内部的方便。",
            ),
        ),
    ),
    InstrumentCategory(
        "close_to_customers",
        "Close to customers",
        "贴近客户",
        _items(
            "C",
            (
                "We act as an adviser or partner to customers, not just a seller.",
                "我们是客户的顾问或伙伴,而不仅是卖方。",
            ),
            ("Our advertising promises only what we deliver.", "我们的宣传不夸大其词。"),
            (
                "We know what customers value most in our products and service.",
                "我们清楚客户最看重我们产品和服务的哪些方面。",
            ),
            (
                "Customer feedback shapes how we design products and service.",
                "我们根据客户反馈设计产品和服务。",
            ),
        ),
    ),
    InstrumentCategory(
        "problem_solving",
        "Finding and solving customer problems",
        "随时发现并解决客户问题",
        _items(
            "S",
            ("We listen to customer complaints.", "我们认真倾听客户的投诉。"),
            (
                "Customers rate our performance at regular intervals.",
                "我们定期请客户评价我们的表现。",
            ),
            (
                "We analyse complaints regularly to find their causes.",
                "我们定期分析投诉,找出问题根源。",
            ),
            (
                "We look for procedures and systems that work against customers.",
                "我们主动找出对客户不利的流程和系统。",
            ),
        ),
    ),
    InstrumentCategory(
        "customer_information",
        "Using and sharing customer information",
        "运用并沟通客户信息",
        _items(
            "I",
            (
                "We know what quality means in the customer's eyes.",
                "我们知道客户眼中的“品质”是什么。",
            ),
            ("Employees get chances to meet customers.", "员工有机会在各种场合接触客户。"),
            ("Key managers understand customers' needs clearly.", "公司骨干清楚了解客户需求。"),
            ("Managers are often in contact with customers.", "管理者经常与客户接触。"),
        ),
    ),
    InstrumentCategory(
        "approachability",
        "Easy to do business with",
        "迎向客户",
        _items(
            "A",
            (
                "We make it easy for customers to do business with us.",
                "我们让客户很容易与我们打交道。",
            ),
            ("We try to resolve every complaint.", "我们努力解决每一个投诉。"),
            (
                "Customers find it easy to tell us when they are unhappy.",
                "客户不满时可以很方便地向我们反映。",
            ),
        ),
    ),
    InstrumentCategory(
        "empowerment",
        "Competence and empowerment",
        "能力与授权",
        _items(
            "E",
            ("The company treats its employees with respect.", "公司尊重员工。"),
            (
                "Front-line staff have the resources and support they need.",
                "一线员工得到足够的资源和支持。",
            ),
            (
                "Even junior staff can quickly decide to do something extra for a customer.",
                "基层员工也能迅速决定为客户提供额外服务。",
            ),
            (
                "Staff are cross-trained so they can stand in for each other.",
                "员工接受多岗位培训,必要时可以互相替补。",
            ),
        ),
    ),
    InstrumentCategory(
        "improvement",
        "Process and product improvement",
        "流程与产品改进",
        _items(
            "M",
            ("Departments cooperate towards shared goals.", "各部门合作达成共同目标。"),
            (
                "We study other companies to learn how to improve.",
                "我们研究其他公司以学习改进方法。",
            ),
            ("Quality problems are corrected at once.", "质量问题立即纠正。"),
            ("We invest in developing new ideas.", "我们愿意投资开发新点子。"),
        ),
    ),
)

EMPLOYEE_SATISFACTION_DIMENSIONS: tuple[InstrumentCategory, ...] = (
    InstrumentCategory(
        "job",
        "The job",
        "工作",
        _items(
            "J",
            ("My work is interesting and worthwhile.", "我的工作有意思、有价值。"),
            ("I can use my skills in my work.", "我能在工作中发挥自己的能力。"),
            ("I know what is expected of me.", "我清楚公司对我的期望。"),
        ),
    ),
    InstrumentCategory(
        "workplace",
        "The workplace",
        "工作场所",
        _items(
            "W",
            (
                "My workspace is comfortable and quiet enough to serve customers.",
                "我的工位舒适,足够安静,便于服务客户。",
            ),
            ("The tools and systems I use work well.", "我使用的工具和系统运行良好。"),
            ("I can take breaks in a pleasant place.", "我有舒适的地方休息。"),
        ),
    ),
    InstrumentCategory(
        "working_conditions",
        "Working conditions",
        "工作条件",
        _items(
            "C",
            ("My workload is reasonable.", "我的工作量合理。"),
            (
                "My schedule lets me balance work and private life.",
                "我的排班让我能兼顾工作和生活。",
            ),
            ("My pay is fair for the work I do.", "我的薪酬与我的付出相称。"),
        ),
    ),
    InstrumentCategory(
        "organisation_and_people",
        "Organisation and people",
        "组织与人事",
        _items(
            "O",
            (
                "My supervisor supports me with difficult customers.",
                "遇到难缠的客户时,主管会支持我。",
            ),
            ("Colleagues help each other.", "同事之间互相帮助。"),
            ("Promotions and appraisals are fair.", "晋升和考核公平公正。"),
        ),
    ),
    InstrumentCategory(
        "company_image",
        "Company image",
        "公司形象",
        _items(
            "I",
            ("I am proud to tell people where I work.", "我为在本公司工作感到自豪。"),
            ("I would recommend the company as an employer.", "我愿意推荐朋友来本公司工作。"),
            ("The company treats its customers honestly.", "公司以诚信对待客户。"),
        ),
    ),
)


def item_categories(categories: tuple[InstrumentCategory, ...]) -> list[str]:
    """Category code of each item in order, ready for `scoring.self_assessment`."""
    return [category.code for category in categories for _item in category.items]


# --------------------------------------------------------------------------- self-assessment


def self_assessment(
    item_scores: ArrayLike, item_categories: Sequence[str], scale_max: int = 5
) -> pl.DataFrame:
    """Score per category (sum of items 1–scale_max) and % of the category maximum (items answered
    × scale_max), as in the TCL CRM course self-test (客户导向); 2-D → rows per respondent."""
    scores = validated_scores(item_scores, name="Item score", low=1, high=scale_max)
    matrix = np.atleast_2d(scores)
    if matrix.ndim != 2 or matrix.shape[1] != len(item_categories):
        raise ValueError(_("Give one category per item"))
    categories = list(dict.fromkeys(item_categories))
    codes = np.array([categories.index(c) for c in item_categories])
    indicator = (codes[:, None] == np.arange(len(categories))[None, :]).astype(np.float64)
    answered = ~np.isnan(matrix)
    score = np.where(answered, matrix, 0.0) @ indicator
    maximum = (answered.astype(np.float64) @ indicator) * scale_max
    with np.errstate(invalid="ignore", divide="ignore"):
        percent = 100 * score / maximum
    respondents = matrix.shape[0]
    frame = pl.DataFrame(
        {
            "respondent": np.repeat(np.arange(respondents), len(categories)),
            "category": categories * respondents,
            "score": score.ravel(),
            "maximum": maximum.ravel(),
            "percent": percent.ravel(),
        }
    )
    return frame.drop("respondent") if scores.ndim == 1 else frame


def anonymity_ok(group_sizes: ArrayLike, minimum: int = 5) -> NDArray[np.bool_]:
    """True where a breakdown group has at least `minimum` respondents, so its results may be
    shown without identifying anyone (k-anonymity threshold, Sweeney 2002)."""
    return np.asarray(group_sizes) >= minimum
