"""Reply checker: warn before sending a reply that breaks the ten commandments (十大戒律).

Pure: no Django import. Rules are phrases or regular expressions in Chinese or English; the
services load extra rules from configuration with `rules_from_dicts`. The list of commandments
is from crm-training-course.txt ("十大戒律") in /work/shared/reference. METHODS M16.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from html.parser import HTMLParser
from typing import Any


def _(message: str) -> str:
    """Mark a user-visible string for translation (Django's makemessages extracts it)."""
    return message


class Commandment(StrEnum):
    """The ten commandments of complaint handling, in the reference's order."""

    DOUBTING = "doubting"  # 1 怀疑口气质问
    INSISTING_ON_BEING_RIGHT = "insisting_on_being_right"  # 2 过份强调自己的正确性
    PREMATURE_CONCLUSION = "premature_conclusion"  # 3 急著作结论
    JOKING = "joking"  # 4 乱开玩笑转移焦点
    SHIFTING_BLAME = "shifting_blame"  # 5 转嫁责任予他人
    NITPICKING = "nitpicking"  # 6 吹毛求疵,挑语病
    WORDS_UNMATCHED_BY_DEEDS = "words_unmatched_by_deeds"  # 7 言词与行动不一致
    BLAMING_OTHER_DEPARTMENTS = "blaming_other_departments"  # 8 说其它部门的不是
    INDIFFERENCE = "indifference"  # 9 装傻或漫不经心
    BLAMING_THE_CUSTOMER = "blaming_the_customer"  # 10 责难申诉者


COMMANDMENT_TITLES: dict[Commandment, tuple[str, str]] = {
    Commandment.DOUBTING: (_("Questioning in a doubting tone"), "怀疑口气质问"),
    Commandment.INSISTING_ON_BEING_RIGHT: (
        _("Over-stressing that we are right"),
        "过份强调自己的正确性",
    ),
    Commandment.PREMATURE_CONCLUSION: (_("Jumping to conclusions"), "急着作结论"),
    Commandment.JOKING: (_("Joking and shifting the focus"), "乱开玩笑转移焦点"),
    Commandment.SHIFTING_BLAME: (_("Passing the responsibility to others"), "转嫁责任予他人"),
    Commandment.NITPICKING: (_("Nitpicking the customer's words"), "吹毛求疵，挑语病"),
    Commandment.WORDS_UNMATCHED_BY_DEEDS: (
        _("Words that actions will not match"),
        "言词与行动不一致",
    ),
    Commandment.BLAMING_OTHER_DEPARTMENTS: (
        _("Speaking ill of other departments"),
        "说其它部门的不是",
    ),
    Commandment.INDIFFERENCE: (_("Playing dumb or being indifferent"), "装傻或漫不经心"),
    Commandment.BLAMING_THE_CUSTOMER: (_("Blaming the complainant"), "责难申诉者"),
}

LANGUAGES = ("zh", "en", "any")

# English matches must not start or end inside a Latin word or number; Chinese has no word
# boundaries, so "zh" and "any" rules match as substrings.
_EN_BEFORE = r"(?<![A-Za-z0-9])"
_EN_AFTER = r"(?![A-Za-z0-9])"


@dataclass(frozen=True)
class Rule:
    """A phrase rule: `pattern` is a literal phrase, or a regular expression when `regex`."""

    id: str
    commandment: Commandment
    language: str
    pattern: str
    message: str
    regex: bool = False
    compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "commandment", Commandment(self.commandment))
        if self.language not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
        if not self.pattern.strip():
            raise ValueError("pattern must not be empty")
        if self.regex:
            body = self.pattern
        else:
            # A space in a phrase matches any run of whitespace.
            body = r"\s+".join(re.escape(word) for word in self.pattern.split())
        if self.language == "en":
            body = f"{_EN_BEFORE}(?:{body}){_EN_AFTER}"
        compiled = re.compile(body, re.IGNORECASE)
        if compiled.search("") is not None:
            raise ValueError("pattern matches the empty string")
        object.__setattr__(self, "compiled", compiled)


@dataclass(frozen=True)
class ReplyWarning:
    """A match of `rule_id` at text[start:end] of `reply_plain_text(reply)`."""

    rule_id: str
    commandment: Commandment
    start: int
    end: int
    matched: str
    message: str


@dataclass(frozen=True)
class RuleProblem:
    rule: str  # the rule's id, or "#<position>" when it has none
    field: str
    message: str


class RuleConfigError(ValueError):
    """Raised by `rules_from_dicts`; `problems` names each bad rule and field."""

    def __init__(self, problems: Sequence[RuleProblem]) -> None:
        self.problems = list(problems)
        super().__init__(
            "; ".join(f"rule {p.rule!r} field {p.field!r}: {p.message}" for p in self.problems)
        )


# ---------------------------------------------------------------------------------------------
# Plain text
# ---------------------------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    {"address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption"}
    | {"figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main"}
    | {"nav", "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr"}
    | {"ul"}
)
_HIDDEN_TAGS = frozenset({"script", "style", "head", "title", "template"})
# Full-width ASCII (ＡＢＣ，？) to half-width, curly quotes to straight: one character for one,
# so positions in the normalised text are positions in the extracted text.
_CHARACTER_FOLDING = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {
    ord("\u2018"): "'",
    ord("\u2019"): "'",
    ord("\u201c"): '"',
    ord("\u201d"): '"',
}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden_depth += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:
            self.parts.append(data)


def reply_plain_text(text: str) -> str:
    """The text the rules see: HTML tags stripped, entities decoded, whitespace collapsed,
    full-width ASCII and curly quotes folded. Warning positions index into this string."""
    extractor = _TextExtractor()
    extractor.feed(text)
    extractor.close()
    plain = " ".join("".join(extractor.parts).split())
    return plain.translate(_CHARACTER_FOLDING)


def check_reply(text: str, rules: Iterable[Rule] | None = None) -> list[ReplyWarning]:
    """Warnings for every rule match in the reply (HTML or plain text), in reading order."""
    plain = reply_plain_text(text)
    warnings = [
        ReplyWarning(
            rule_id=rule.id,
            commandment=rule.commandment,
            start=match.start(),
            end=match.end(),
            matched=match.group(0),
            message=rule.message,
        )
        for rule in (DEFAULT_RULES if rules is None else rules)
        for match in rule.compiled.finditer(plain)
    ]
    return sorted(warnings, key=lambda w: (w.start, w.end, w.rule_id))


# ---------------------------------------------------------------------------------------------
# Loading rules from configuration
# ---------------------------------------------------------------------------------------------

_REQUIRED_KEYS = ("id", "commandment", "language", "pattern", "message")
_KNOWN_KEYS = frozenset((*_REQUIRED_KEYS, "regex"))


def _problems_in_rule_dict(item: Any, name: str) -> list[RuleProblem]:
    if not isinstance(item, Mapping):
        return [RuleProblem(name, "*", "a rule must be a mapping of field to value")]
    problems = [RuleProblem(name, key, "unknown field") for key in item if key not in _KNOWN_KEYS]
    for key in _REQUIRED_KEYS:
        value = item.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(RuleProblem(name, key, "required, a non-empty string"))
    if problems:
        return problems
    if item["commandment"] not in {c.value for c in Commandment}:
        choices = ", ".join(c.value for c in Commandment)
        problems.append(RuleProblem(name, "commandment", f"must be one of: {choices}"))
    if item["language"] not in LANGUAGES:
        problems.append(RuleProblem(name, "language", f"must be one of: {', '.join(LANGUAGES)}"))
    if not isinstance(item.get("regex", False), bool):
        problems.append(RuleProblem(name, "regex", "must be true or false"))
    if item.get("regex") is True:
        try:
            re.compile(item["pattern"])
        except re.error as error:
            problems.append(RuleProblem(name, "pattern", f"bad regular expression: {error}"))
    return problems


def rules_from_dicts(items: Iterable[Mapping[str, Any]]) -> list[Rule]:
    """Rules from configuration (JSON/YAML/database rows); raises `RuleConfigError` listing
    every problem with the rule's id (or position) and the field."""
    rules: list[Rule] = []
    problems: list[RuleProblem] = []
    seen_ids: set[str] = set()
    for position, item in enumerate(items):
        raw_id = item.get("id") if isinstance(item, Mapping) else None
        name = raw_id if isinstance(raw_id, str) and raw_id.strip() else f"#{position}"
        found = _problems_in_rule_dict(item, name)
        if not found and item["id"] in seen_ids:
            found = [RuleProblem(name, "id", "duplicate id")]
        if not found:
            try:
                rules.append(
                    Rule(
                        id=item["id"],
                        commandment=Commandment(item["commandment"]),
                        language=item["language"],
                        pattern=item["pattern"],
                        message=item["message"],
                        regex=item.get("regex", False),
                    )
                )
            except (ValueError, re.error) as error:
                found = [RuleProblem(name, "pattern", str(error))]
        if isinstance(raw_id, str):
            seen_ids.add(raw_id)
        problems.extend(found)
    if problems:
        raise RuleConfigError(problems)
    return rules


def rules_to_dicts(rules: Iterable[Rule]) -> list[dict[str, Any]]:
    """The rules as plain dicts, the format `rules_from_dicts` reads."""
    return [
        {
            "id": rule.id,
            "commandment": rule.commandment.value,
            "language": rule.language,
            "pattern": rule.pattern,
            "message": rule.message,
            "regex": rule.regex,
        }
        for rule in rules
    ]


# ---------------------------------------------------------------------------------------------
# Default rules
# ---------------------------------------------------------------------------------------------

# One suggestion per commandment, shown whatever the reply's language (translated by Django).
SUGGESTIONS: dict[Commandment, str] = {
    Commandment.DOUBTING: _(
        "Do not question the customer's account. Try: “Thank you for telling us; "
        "let me check this for you right away.”"
    ),
    Commandment.INSISTING_ON_BEING_RIGHT: _(
        "Arguing who is right escalates the complaint. State the facts calmly and say what "
        "you will do next."
    ),
    Commandment.PREMATURE_CONCLUSION: _(
        "Do not conclude before checking. Try: “Let's first confirm exactly what happened.”"
    ),
    Commandment.JOKING: _(
        "Jokes and laughing emoji can feel like mockery in a complaint. Keep to the problem "
        "and its solution."
    ),
    Commandment.SHIFTING_BLAME: _(
        "Own the problem even when a partner caused it. Try: “I will follow this up with "
        "the courier and get back to you.”"
    ),
    Commandment.NITPICKING: _("Do not pick at the customer's words; answer what they mean."),
    Commandment.WORDS_UNMATCHED_BY_DEEDS: _(
        "Promise only what you can keep. Try: “We will update you within two working days.”"
    ),
    Commandment.BLAMING_OTHER_DEPARTMENTS: _(
        "To the customer we are one company. Try: “I have passed this to the colleagues "
        "responsible and will follow it through.”"
    ),
    Commandment.INDIFFERENCE: _(
        "Do not refuse outright or sound indifferent. Say what you can do: “While I "
        "can't …, what I can do is …”"
    ),
    Commandment.BLAMING_THE_CUSTOMER: _(
        "Do not blame the customer. Try: “I'm sorry for the trouble; let's sort it out together.”"
    ),
}

# (rule id, commandment, language, regular expression). English ones get word boundaries.
_DEFAULT_PATTERNS: tuple[tuple[str, Commandment, str, str], ...] = (
    (
        "zh-doubting",
        Commandment.DOUBTING,
        "zh",
        r"你确定|真的吗|不可能|怎么可能|不会吧|我不信|是不是(?:你)?(?:搞错|弄错|看错|记错)",
    ),
    (
        "en-doubting",
        Commandment.DOUBTING,
        "en",
        r"are you (?:sure|certain)|(?:that'?s|that is|it'?s|it is|this is) (?:impossible|not "
        r"possible)|I (?:don'?t|do not) believe (?:you|that|this)|that can'?t be (?:right|true)"
        r"|(?:did|have) you (?:actually|really) (?:try|tried|read|check|checked)",
    ),
    (
        "zh-insisting",
        Commandment.INSISTING_ON_BEING_RIGHT,
        "zh",
        r"我们(?:没有|没)(?:做)?错|我们是对的|我(?:已经|早就)(?:说过|告诉过你|讲过)|(?:跟|和)你说过了"
        r"|我都说了|规定就是规定",
    ),
    (
        "en-insisting",
        Commandment.INSISTING_ON_BEING_RIGHT,
        "en",
        r"we (?:did|have done) nothing wrong|we are not (?:wrong|at fault)|as I (?:already |have "
        r"already )?(?:said|told you)|I (?:already|have already) (?:told|explained)|like I said"
        r"|rules are rules",
    ),
    (
        "zh-premature",
        Commandment.PREMATURE_CONCLUSION,
        "zh",
        r"肯定是你|一定是你|显然|明显是|一看就是|肯定是(?:操作|使用)不当",
    ),
    (
        "en-premature",
        Commandment.PREMATURE_CONCLUSION,
        "en",
        r"obviously|clearly (?:you|your)|it must be your|you must have (?:done|made|used|dropped"
        r"|broken|forgotten|misread|entered|typed|clicked|pressed|deleted)|(?:it'?s|this is) "
        r"definitely (?:your|a user)",
    ),
    (
        "zh-joking",
        Commandment.JOKING,
        "zh",
        r"哈哈|呵呵|嘿嘿|开(?:个)?玩笑|别当真|想开点|(?:什么|啥)大不了",
    ),
    (
        "en-joking",
        Commandment.JOKING,
        "en",
        r"lol|lmao|rofl|ha(?:ha)+|just kidding|jk|(?:no|not a) big deal|chill out",
    ),
    (
        "any-emoji",
        Commandment.JOKING,
        "any",
        "[\U0001f602\U0001f923\U0001f606\U0001f61c\U0001f61d]",
    ),
    (
        "zh-shifting-blame",
        Commandment.SHIFTING_BLAME,
        "zh",
        r"不是我们的(?:问题|责任|错)|(?:跟|和|与)我们(?:没|无)关|不归我们管|(?:快递|物流公司|厂家|厂商"
        r"|供应商)的(?:问题|责任|错)|你(?:去)?找(?:厂家|快递|厂商|供应商)",
    ),
    (
        "en-shifting-blame",
        Commandment.SHIFTING_BLAME,
        "en",
        r"not our (?:problem|fault|responsibility)|(?:nothing|not anything) to do with us"
        r"|(?:courier|manufacturer|supplier|carrier)'?s (?:fault|problem|responsibility)"
        r"|(?:contact|call|ask) the (?:manufacturer|courier|supplier|carrier)",
    ),
    (
        "zh-nitpicking",
        Commandment.NITPICKING,
        "zh",
        r"你(?:刚才|之前)?说的不对|你(?:刚才|之前)明明说|你的说法不(?:准确|对)|严格来说|准确地说",
    ),
    (
        "en-nitpicking",
        Commandment.NITPICKING,
        "en",
        r"technically|that'?s not what you (?:said|wrote)|what you actually (?:said|wrote)"
        r"|to be (?:precise|pedantic)",
    ),
    (
        "zh-overpromising",
        Commandment.WORDS_UNMATCHED_BY_DEEDS,
        "zh",
        r"保证(?:今天|明天|马上|立刻|立即|一定)|百分之百|绝对(?:不会|没问题)|一定不会再|马上就(?:好|到|解决)",
    ),
    (
        "en-overpromising",
        Commandment.WORDS_UNMATCHED_BY_DEEDS,
        "en",
        r"(?:I|we)(?: can)? guarantee|guaranteed|I promise|(?:will|it'?ll) never happen again"
        r"|definitely (?:by|tomorrow"
        r"|today)|for sure (?:by|tomorrow|today)",
    ),
    ("any-hundred-percent", Commandment.WORDS_UNMATCHED_BY_DEEDS, "any", r"100\s*%"),
    (
        "zh-other-department",
        Commandment.BLAMING_OTHER_DEPARTMENTS,
        "zh",
        r"(?:那|这)(?:是|归).{1,6}?部(?:门)?(?:的事|的问题|管)|不是我们部门|别的部门|其他部门的(?:问题|错|事)"
        r"|(?:财务|技术|仓库|销售|售后)(?:部|部门)?(?:搞错|弄错|的错)",
    ),
    (
        "en-other-department",
        Commandment.BLAMING_OTHER_DEPARTMENTS,
        "en",
        r"not (?:our|my) department|another (?:team|department)'s|(?:billing|finance"
        r"|shipping|warehouse|tech(?:nical)?|sales|IT) (?:team|department) (?:messed up|screwed "
        r"up|made a mistake|got it wrong)|blame (?:the )?\w+ (?:team|department)",
    ),
    (
        "zh-indifference",
        Commandment.INDIFFERENCE,
        "zh",
        r"没办法|无能为力|我(?:也)?不(?:知道|清楚)|不关我的事|随便你|爱(?:怎么|咋)(?:样|办)|你自己看着办|等着吧",
    ),
    (
        "en-indifference",
        Commandment.INDIFFERENCE,
        "en",
        r"(?:there'?s |there is )?nothing (?:we|I) can do|(?:I|we) can'?t help (?:you|with that)"
        r"|no idea|not my (?:job|problem)|deal with it|calm down|it is what it is|that'?s life",
    ),
    (
        "zh-blaming-customer",
        Commandment.BLAMING_THE_CUSTOMER,
        "zh",
        r"你自己|你应该(?:早|先)|谁让你|怪你|(?<!不是)你的(?:错|责任)|你(?:没(?:有)?|不)(?:看|读)"
        r"(?:清楚)?说明|是你(?:操作|使用)",
    ),
    (
        "en-blaming-customer",
        Commandment.BLAMING_THE_CUSTOMER,
        "en",
        r"(?<!not )(?<!n't )your (?:own )?fault|you should(?: have|'ve)|you shouldn'?t have"
        r"|you didn'?t (?:read|follow|check)|you failed to|user error|you were supposed to",
    ),
)

DEFAULT_RULES: tuple[Rule, ...] = tuple(
    Rule(rule_id, commandment, language, pattern, SUGGESTIONS[commandment], regex=True)
    for rule_id, commandment, language, pattern in _DEFAULT_PATTERNS
)
