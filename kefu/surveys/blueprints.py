"""Ready-to-adapt questionnaires built from the standard instruments (instruments.py).

`blueprint(instrument)` returns plain dicts — survey fields, sections, questions — that
services.survey_create_from_instrument turns into rows the admin can then edit. No Django.
"""

from __future__ import annotations

from typing import Any

from kefu.surveys.instruments import (
    CUSTOMER_ORIENTATION_CATEGORIES,
    EMPLOYEE_SATISFACTION_DIMENSIONS,
    SELF_ASSESSMENT_SCALE,
    SERVQUAL_ITEMS,
)
from kefu.surveys.scoring import SERVQUAL_DIMENSIONS

LIKERT5_LABELS = {
    "1": {"en": "Very dissatisfied", "zh": "非常不满意"},
    "2": {"en": "Dissatisfied", "zh": "不满意"},
    "3": {"en": "Neutral", "zh": "一般"},
    "4": {"en": "Satisfied", "zh": "满意"},
    "5": {"en": "Very satisfied", "zh": "非常满意"},
}
AGREE7_LABELS = {
    "1": {"en": "Strongly disagree", "zh": "非常不同意"},
    "4": {"en": "Neutral", "zh": "中立"},
    "7": {"en": "Strongly agree", "zh": "非常同意"},
}
AGREE5_LABELS = {
    "1": {"en": "Strongly disagree", "zh": "非常不同意"},
    "3": {"en": "Neutral", "zh": "中立"},
    "5": {"en": "Strongly agree", "zh": "非常同意"},
}
NPS_LABELS = {
    "0": {"en": "Not at all likely", "zh": "完全不可能"},
    "10": {"en": "Extremely likely", "zh": "非常可能"},
}
DIMENSION_NAMES = {
    "tangibles": ("Tangibles", "有形性"),
    "reliability": ("Reliability", "可靠性"),
    "responsiveness": ("Responsiveness", "响应性"),
    "assurance": ("Assurance", "保证性"),
    "empathy": ("Empathy", "移情性"),
}


def _question(kind: str, en: str, zh: str, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "text_en": en, "text_zh": zh, **extra}


def _why_low(code_of_score: str, at_most: int) -> dict[str, Any]:
    return _question(
        "text",
        "What should we have done better?",
        "我们哪些方面本可以做得更好?",
        code="why_low",
        show_if=(code_of_score, "le", at_most),
    )


def _csat() -> dict[str, Any]:
    return {
        "title_en": "How did we do?",
        "title_zh": "您对本次服务满意吗?",
        "description_en": "Two quick questions about the request we just solved.",
        "description_zh": "关于我们刚刚解决的问题,两个简短的问题。",
        "sections": [
            {
                "title_en": "",
                "title_zh": "",
                "questions": [
                    _question(
                        "likert5",
                        "How satisfied are you with how we handled your request?",
                        "您对我们处理本次问题的方式满意吗?",
                        code="csat",
                        metric="csat",
                        required=True,
                        labels=LIKERT5_LABELS,
                    ),
                    _why_low("csat", 2),
                    _question(
                        "likert7",
                        "The company made it easy for me to handle my issue.",
                        "公司让我很容易就解决了问题。",
                        code="ces",
                        metric="ces",
                        labels=AGREE7_LABELS,
                    ),
                ],
            }
        ],
    }


def _nps() -> dict[str, Any]:
    return {
        "title_en": "Would you recommend us?",
        "title_zh": "您会向朋友推荐我们吗?",
        "description_en": "",
        "description_zh": "",
        "sections": [
            {
                "title_en": "",
                "title_zh": "",
                "questions": [
                    _question(
                        "scale10",
                        "How likely are you to recommend us to a friend or colleague?",
                        "您向朋友或同事推荐我们的可能性有多大?",
                        code="nps",
                        metric="nps",
                        required=True,
                        labels=NPS_LABELS,
                    ),
                    _question(
                        "likert5",
                        "How likely are you to buy from us again?",
                        "您再次购买我们产品的可能性有多大?",
                        code="repurchase",
                        metric="repurchase",
                        labels={
                            "1": {"en": "Very unlikely", "zh": "非常不可能"},
                            "5": {"en": "Very likely", "zh": "非常可能"},
                        },
                    ),
                    _question(
                        "text",
                        "What is the main reason for your score?",
                        "您给出这个分数的主要原因是什么?",
                        code="reason",
                    ),
                ],
            }
        ],
    }


def _ces() -> dict[str, Any]:
    return {
        "title_en": "How easy was it?",
        "title_zh": "解决问题是否方便?",
        "description_en": "",
        "description_zh": "",
        "sections": [
            {
                "title_en": "",
                "title_zh": "",
                "questions": [
                    _question(
                        "likert7",
                        "The company made it easy for me to handle my issue.",
                        "公司让我很容易就解决了问题。",
                        code="ces",
                        metric="ces",
                        required=True,
                        labels=AGREE7_LABELS,
                    ),
                    _why_low("ces", 3),
                ],
            }
        ],
    }


def _servqual() -> dict[str, Any]:
    sections = []
    for dimension in SERVQUAL_DIMENSIONS:
        en, zh = DIMENSION_NAMES[dimension]
        items = [
            {
                "id": item.code,
                "en": item.perception_en.removeprefix("This company ").rstrip("."),
                "zh": item.perception_zh.removeprefix("本公司").rstrip("。"),
                "dimension": dimension,
            }
            for item in SERVQUAL_ITEMS
            if item.dimension == dimension
        ]
        sections.append(
            {
                "title_en": en,
                "title_zh": zh,
                "questions": [
                    _question(
                        "matrix",
                        f"{en}: what an excellent service provider would do, and what we do",
                        f"{zh}:优秀服务企业应该怎样做,以及本公司做得怎样",
                        code=f"sq_{dimension}",
                        dimension=dimension,
                        required=True,
                        scale_kind="likert7",
                        labels=AGREE7_LABELS,
                        items=items,
                        columns=[
                            {"id": "expectation", "en": "Expectation", "zh": "期望"},
                            {"id": "perception", "en": "Perception", "zh": "感知"},
                        ],
                    )
                ],
            }
        )
    sections.append(
        {
            "title_en": "Importance",
            "title_zh": "重要程度",
            "questions": [
                _question(
                    "points",
                    "Share 100 points over the five aspects by how important each is to you.",
                    "请按重要程度把 100 分分配给以下五个方面。",
                    code="importance",
                    choices=[
                        {"id": d, "en": DIMENSION_NAMES[d][0], "zh": DIMENSION_NAMES[d][1]}
                        for d in SERVQUAL_DIMENSIONS
                    ],
                )
            ],
        }
    )
    return {
        "title_en": "Service quality survey (SERVQUAL)",
        "title_zh": "服务质量调查(SERVQUAL)",
        "description_en": "For each statement, rate what an excellent company would do "
        "(expectation) and what we do (perception), from 1 (strongly disagree) to 7.",
        "description_zh": "请对每一项分别评价优秀企业应该做到的程度(期望)和本公司实际做到的程度"
        "(感知),1 表示非常不同意,7 表示非常同意。",
        "importance_points": dict.fromkeys(SERVQUAL_DIMENSIONS, 20),
        "sections": sections,
    }


def _rater() -> dict[str, Any]:
    questions = [
        _question(
            "likert7",
            f"{DIMENSION_NAMES[d][0]}: {text_en}",
            f"{DIMENSION_NAMES[d][1]}:{text_zh}",
            code=f"rater_{d}",
            dimension=d,
            required=True,
            labels=AGREE7_LABELS,
        )
        for d, text_en, text_zh in (
            ("reliability", "we did what we promised.", "我们兑现了承诺。"),
            ("assurance", "our staff were competent and courteous.", "员工专业且有礼貌。"),
            (
                "tangibles",
                "our tools, website and materials were clear.",
                "工具、网站和资料清楚易用。",
            ),
            ("empathy", "we understood your particular needs.", "我们理解您的具体需求。"),
            ("responsiveness", "we helped you promptly.", "我们及时提供了帮助。"),
        )
    ]
    return {
        "title_en": "RATER service check",
        "title_zh": "RATER 服务评价",
        "description_en": "",
        "description_zh": "",
        "sections": [{"title_en": "", "title_zh": "", "questions": questions}],
    }


def _csi() -> dict[str, Any]:
    attributes = (
        ("speed", "Speed of response", "响应速度", 30),
        ("competence", "Competence of staff", "员工专业能力", 25),
        ("courtesy", "Courtesy", "礼貌态度", 15),
        ("resolution", "Problem solved", "问题解决", 20),
        ("information", "Clear information", "信息清楚", 10),
    )
    return {
        "title_en": "Customer satisfaction index",
        "title_zh": "客户满意度指数调查",
        "description_en": "",
        "description_zh": "",
        "sections": [
            {
                "title_en": "",
                "title_zh": "",
                "questions": [
                    _question(
                        "likert5",
                        f"How satisfied are you with: {en}?",
                        f"您对“{zh}”满意吗?",
                        code=code,
                        metric="attribute",
                        dimension=code,
                        weight=weight,
                        required=True,
                        labels=LIKERT5_LABELS,
                    )
                    for code, en, zh, weight in attributes
                ],
            }
        ],
    }


def _category_sections(categories, labels) -> list[dict[str, Any]]:
    return [
        {
            "title_en": category.name_en,
            "title_zh": category.name_zh,
            "questions": [
                _question(
                    "likert5",
                    item.en,
                    item.zh,
                    code=item.code,
                    dimension=category.code,
                    required=True,
                    labels=labels,
                )
                for item in category.items
            ],
        }
        for category in categories
    ]


def _employee() -> dict[str, Any]:
    sections = _category_sections(EMPLOYEE_SATISFACTION_DIMENSIONS, AGREE5_LABELS)
    return {
        "title_en": "Employee satisfaction survey",
        "title_zh": "员工满意度调查",
        "description_en": "Anonymous: results are shown only for groups of at least five people.",
        "description_zh": "匿名调查:只有人数不少于五人的小组才会显示结果。",
        "anonymous": True,
        "audience": "employees",
        "sections": sections,
    }


def _self_assessment() -> dict[str, Any]:
    labels = {str(v): {"en": en, "zh": zh} for v, en, zh in SELF_ASSESSMENT_SCALE}
    return {
        "title_en": "Customer-orientation self-assessment",
        "title_zh": "客户导向公司特质自我测试",
        "description_en": "How far does each statement describe our company today?",
        "description_zh": "以下描述在多大程度上符合本公司目前的情况?",
        "audience": "employees",
        "sections": _category_sections(CUSTOMER_ORIENTATION_CATEGORIES, labels),
    }


def _innovation() -> dict[str, Any]:
    prompts = (
        (
            "wish",
            "What do you wish someone in our industry did for you?",
            "您希望本行业有人为您做些什么?",
        ),
        (
            "best",
            "Who served you best, and what did they do?",
            "谁为您提供过最好的服务?他们做了什么?",
        ),
        (
            "redesign",
            "If you could redesign our service, what would you change?",
            "如果由您重新设计我们的服务,您会改变什么?",
        ),
    )
    questions = [_question("text", en, zh, code=code) for code, en, zh in prompts]
    return {
        "title_en": "Service innovation: your ideas",
        "title_zh": "服务创新:听听您的想法",
        "description_en": "",
        "description_zh": "",
        "sections": [{"title_en": "", "title_zh": "", "questions": questions}],
    }


BLUEPRINTS = {
    "csat": _csat,
    "nps": _nps,
    "ces": _ces,
    "servqual": _servqual,
    "rater": _rater,
    "csi": _csi,
    "loyalty": _nps,
    "employee": _employee,
    "self_assessment": _self_assessment,
    "innovation": _innovation,
}


def blueprint(instrument: str) -> dict[str, Any]:
    """The questionnaire of `instrument` as plain data; KeyError for an unknown instrument."""
    return BLUEPRINTS[instrument]()
