import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.tickets.reply_checker import (
    COMMANDMENT_TITLES,
    DEFAULT_RULES,
    SUGGESTIONS,
    Commandment,
    Rule,
    RuleConfigError,
    check_reply,
    reply_plain_text,
    rules_from_dicts,
    rules_to_dicts,
)

# (reply, the commandment it breaks, the text that should be flagged)
BAD_REPLIES = [
    ("你确定吗？我们的系统一直很稳定。", Commandment.DOUBTING, "你确定"),
    ("这不可能，我们从来没出过这种问题。", Commandment.DOUBTING, "不可能"),
    ("Are you sure you placed the order?", Commandment.DOUBTING, "Are you sure"),
    (
        "That's impossible, our system never loses orders.",
        Commandment.DOUBTING,
        "That's impossible",
    ),
    ("我已经说过了，规定就是规定。", Commandment.INSISTING_ON_BEING_RIGHT, "我已经说过"),
    (
        "As I already said, rules are rules.",
        Commandment.INSISTING_ON_BEING_RIGHT,
        "As I already said",
    ),
    ("肯定是你操作不当造成的。", Commandment.PREMATURE_CONCLUSION, "肯定是你"),
    ("Obviously the battery was charged wrongly.", Commandment.PREMATURE_CONCLUSION, "Obviously"),
    ("哈哈，这有什么大不了的。", Commandment.JOKING, "哈哈"),
    ("lol, no big deal, it happens.", Commandment.JOKING, "lol"),
    ("Sorry about that 😂", Commandment.JOKING, "😂"),
    ("这是快递的问题，不是我们的问题。", Commandment.SHIFTING_BLAME, "快递的问题"),
    (
        "It's the courier's fault, please contact the courier.",
        Commandment.SHIFTING_BLAME,
        "courier's fault",
    ),
    ("你刚才说的不对，你明明说的是周二。", Commandment.NITPICKING, "你刚才说的不对"),
    ("Technically, that's not what you said.", Commandment.NITPICKING, "Technically"),
    ("我保证明天一定送到。", Commandment.WORDS_UNMATCHED_BY_DEEDS, "保证明天"),
    ("We guarantee it arrives tomorrow.", Commandment.WORDS_UNMATCHED_BY_DEEDS, "We guarantee"),
    ("I promise it will never happen again.", Commandment.WORDS_UNMATCHED_BY_DEEDS, "I promise"),
    ("我们100%会处理好。", Commandment.WORDS_UNMATCHED_BY_DEEDS, "100%"),
    ("那是财务部的事，你去问他们。", Commandment.BLAMING_OTHER_DEPARTMENTS, "那是财务部的事"),
    ("Sorry, not our department.", Commandment.BLAMING_OTHER_DEPARTMENTS, "not our department"),
    ("That is another team's problem.", Commandment.BLAMING_OTHER_DEPARTMENTS, "another team's"),
    (
        "The billing team messed up again.",
        Commandment.BLAMING_OTHER_DEPARTMENTS,
        "billing team messed up",
    ),
    ("这个我们也没办法。", Commandment.INDIFFERENCE, "没办法"),
    (
        "There is nothing we can do about it.",
        Commandment.INDIFFERENCE,
        "There is nothing we can do",
    ),
    ("你自己没看说明书。", Commandment.BLAMING_THE_CUSTOMER, "你自己"),
    (
        "It's your fault, you should have read the manual.",
        Commandment.BLAMING_THE_CUSTOMER,
        "your fault",
    ),
]

POLITE_REPLIES = [
    "您好，非常抱歉给您带来不便。我们已经为您安排了退款，预计3个工作日内到账。",
    "感谢您的耐心等待，我已经联系物流公司核实，会在今天下班前给您答复。",
    "这不是您的错，我们会负责到底。请问您方便提供一下订单号吗？",
    "Thank you for letting us know, and I'm sorry for the trouble.",
    "I have arranged a replacement and will update you within two working days.",
    "This is not your fault. I have passed the details to the colleagues responsible and will "
    "follow it through.",
    "I understand how frustrating this must be. Could you send me the order number?",
    "Thanks for your patience. Our technical team has found the cause and fixed it.",
    "<p>Dear customer,</p><p>We're <strong>sorry</strong> for the delay. "
    "Your refund was issued today.</p>",
    "I'm sure we can sort this out together.",
    "You must have been very frustrated; I'm sorry.",
    "关于你的问题，我们已经安排专人处理。",
    "Our guarantees page lists the warranty terms; I've attached the certificate.",
]


@pytest.mark.parametrize(("reply", "commandment", "flagged"), BAD_REPLIES)
def test_bad_replies_are_flagged_with_span_and_commandment(reply, commandment, flagged):
    warnings = check_reply(reply)
    matching = [w for w in warnings if w.commandment == commandment]
    assert matching, f"no {commandment} warning in {warnings}"
    plain = reply_plain_text(reply)
    warning = matching[0]
    assert plain[warning.start : warning.end] == warning.matched
    assert warning.matched.lower() == flagged.lower()
    assert warning.message == SUGGESTIONS[commandment]
    assert warning.rule_id in {rule.id for rule in DEFAULT_RULES}


@pytest.mark.parametrize("reply", POLITE_REPLIES)
def test_polite_replies_have_no_warnings(reply):
    assert check_reply(reply) == []


def test_default_rules_cover_all_ten_commandments_in_both_languages():
    for commandment in Commandment:
        languages = {rule.language for rule in DEFAULT_RULES if rule.commandment == commandment}
        assert {"zh", "en"} <= languages, commandment
        assert commandment in SUGGESTIONS and commandment in COMMANDMENT_TITLES
    ids = [rule.id for rule in DEFAULT_RULES]
    assert len(ids) == len(set(ids))


def test_english_matching_is_case_insensitive_with_word_boundaries():
    assert [w.matched for w in check_reply("ARE YOU SURE?")] == ["ARE YOU SURE"]
    assert [w.matched for w in check_reply("are   you\nsure")] == ["are you sure"]
    # "lol" inside a word, "jk" inside an order number: no match.
    assert check_reply("Your parcel is in Lolland; ref ABJK77.") == []
    assert check_reply("Please see the obviousness test.") == []
    # Boundaries are Latin-only: English next to Chinese still matches.
    assert [w.rule_id for w in check_reply("客户说Are you sure吗")] == ["en-doubting"]


def test_chinese_matches_as_substring_and_full_width_text_is_folded():
    warnings = check_reply("好的你确定吗")
    assert [(w.start, w.end) for w in warnings] == [(2, 5)]
    # Full-width Latin letters and curly apostrophes are folded before matching.
    assert [w.rule_id for w in check_reply("ＡＲＥ ＹＯＵ ＳＵＲＥ")] == ["en-doubting"]
    assert [w.rule_id for w in check_reply("That\u2019s impossible")] == ["en-doubting"]


def test_html_is_stripped_before_matching():
    html = "<div><p>Hello,</p><p>are <em>you</em>&nbsp;sure?</p><script>你确定</script></div>"
    assert reply_plain_text(html) == "Hello, are you sure?"
    warnings = check_reply(html)
    assert [(w.rule_id, w.matched) for w in warnings] == [("en-doubting", "are you sure")]
    # Block tags separate words: "not our" + "<br>" + "department" still reads as a phrase,
    # while tag names and attributes are never matched.
    assert check_reply('<a title="are you sure">link</a>') == []
    assert [w.matched for w in check_reply("not our<br>department")] == ["not our department"]


def test_several_matches_are_reported_in_reading_order():
    warnings = check_reply("你确定吗？肯定是你自己弄坏的，我们没办法。")
    assert [w.start for w in warnings] == sorted(w.start for w in warnings)
    assert {w.commandment for w in warnings} == {
        Commandment.DOUBTING,
        Commandment.PREMATURE_CONCLUSION,
        Commandment.BLAMING_THE_CUSTOMER,
        Commandment.INDIFFERENCE,
    }


def test_literal_phrase_rule_escapes_regex_characters():
    rule = Rule("x", Commandment.DOUBTING, "en", "really?!", "Say it kindly.")
    assert [w.matched for w in check_reply("Really?! OK", rules=[rule])] == ["Really?!"]
    assert check_reply("Really OK", rules=[rule]) == []
    zh_rule = Rule("y", Commandment.INDIFFERENCE, "zh", "等着吧", "Give a time.")
    assert [w.rule_id for w in check_reply("您就等着吧", rules=[zh_rule])] == ["y"]


def test_rules_load_from_dicts_and_round_trip():
    loaded = rules_from_dicts(rules_to_dicts(DEFAULT_RULES))
    assert loaded == list(DEFAULT_RULES)
    custom = rules_from_dicts(
        [
            {
                "id": "refund-never",
                "commandment": "indifference",
                "language": "any",
                "pattern": "不退款",
                "message": "Explain the refund policy instead.",
            }
        ]
    )
    assert [w.rule_id for w in check_reply("本店一律不退款", rules=custom)] == ["refund-never"]


def test_rule_validation_names_the_rule_and_the_field():
    with pytest.raises(RuleConfigError) as raised:
        rules_from_dicts(
            [
                {
                    "id": "bad-regex",
                    "commandment": "doubting",
                    "language": "en",
                    "pattern": "are (you",
                    "message": "m",
                    "regex": True,
                },
                {
                    "id": "bad-language",
                    "commandment": "doubting",
                    "language": "fr",
                    "pattern": "vraiment",
                    "message": "m",
                },
                {
                    "id": "bad-commandment",
                    "commandment": "rude",
                    "language": "en",
                    "pattern": "x",
                    "message": "m",
                },
                {"commandment": "doubting", "language": "en", "pattern": "x", "message": "m"},
                {
                    "id": "bad-regex",
                    "commandment": "doubting",
                    "language": "en",
                    "pattern": "x",
                    "message": "m",
                    "colour": "red",
                },
                {
                    "id": "empty-match",
                    "commandment": "doubting",
                    "language": "zh",
                    "pattern": "a*",
                    "message": "m",
                    "regex": True,
                },
                "not a mapping",
            ]
        )
    problems = [(p.rule, p.field) for p in raised.value.problems]
    assert problems == [
        ("bad-regex", "pattern"),
        ("bad-language", "language"),
        ("bad-commandment", "commandment"),
        ("#3", "id"),
        ("bad-regex", "colour"),
        ("empty-match", "pattern"),
        ("#6", "*"),
    ]
    assert "bad regular expression" in raised.value.problems[0].message
    assert "rule 'bad-language' field 'language'" in str(raised.value)
    with pytest.raises(RuleConfigError) as duplicate:
        rules_from_dicts(rules_to_dicts(DEFAULT_RULES[:1]) * 2)
    assert [(p.rule, p.field) for p in duplicate.value.problems] == [("zh-doubting", "id")]


@given(st.text(max_size=200))
def test_warning_spans_always_index_the_plain_text(text):
    plain = reply_plain_text(text)
    for warning in check_reply(text):
        assert plain[warning.start : warning.end] == warning.matched
        assert warning.end > warning.start
