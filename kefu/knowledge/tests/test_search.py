"""Search relevance on the hand-labelled corpus (expected top-3), synonyms, prefixes,
highlighting and scopes. Runs the same on SQLite and PostgreSQL."""

import pytest

from kefu.knowledge import indexing, services
from kefu.knowledge.indexing import PORTAL_SCOPE, Scope
from kefu.knowledge.models import IndexStats, Posting
from kefu.knowledge.tests.factories import load_corpus, make_article

pytestmark = pytest.mark.django_db

STAFF = Scope(published=True)


@pytest.fixture
def corpus():
    return load_corpus()


def top(query, scope=STAFF, n=3, **kwargs):
    return [h.article.pk for h in indexing.search(query, scope=scope, limit=n, **kwargs).hits]


# query → articles expected in the top 3, best first where the order is asserted
EXPECTED_FIRST = {
    "退货": "zh_how_return",  # both return articles match; the shorter one ranks first
    "充电": "zh_charging",
    "屏幕碎了": "zh_screen",
    "发票": "zh_invoice",
    "保修": "zh_warranty",
    "配送": "zh_delivery",
    "refund": "en_refund",
    "charging": "en_charging",
    "warranty": "en_warranty",
    "cracked screen": "en_screen",
    "invoice": "en_invoice",
    "delivery": "en_delivery",
}
EXPECTED_IN_TOP3 = {
    "退货": {"zh_return_policy", "zh_how_return"},
    "退款到账": {"zh_refund_time"},
    "return policy": {"en_return_policy"},
    "phone not charging": {"en_charging"},
    "screen repair": {"en_screen"},
    "退款": {"zh_refund_time", "zh_internal_refund_limit"},
}


@pytest.mark.parametrize("query,key", sorted(EXPECTED_FIRST.items()))
def test_expected_first_result(corpus, query, key):
    assert top(query, n=3)[0] == corpus[key].pk, query


@pytest.mark.parametrize("query,keys", sorted(EXPECTED_IN_TOP3.items()))
def test_expected_in_top_three(corpus, query, keys):
    assert {corpus[k].pk for k in keys} <= set(top(query)), query


def test_chinese_word_inside_longer_title_is_found(corpus):
    """退货 finds both 退货政策 and 如何退货 (jieba search-mode cuts)."""
    found = top("退货", n=10)
    assert found[:2] == [corpus["zh_how_return"].pk, corpus["zh_return_policy"].pk]


def test_title_match_outranks_a_single_body_mention():
    in_body = make_article("常见问题", "<p>关于发票的问题请联系客服。</p>")
    in_title = make_article("发票说明", "<p>开具说明见下文，联系客服处理。</p>")
    assert top("发票") == [in_title.pk, in_body.pk]


def test_english_has_no_stemming(corpus):
    # "refunds" is in the body of en_refund; "refund" (without s) is only in no document's text
    assert top("refunds", n=5) == [corpus["en_refund"].pk]


def test_synonyms_expand_at_query_time(corpus, editor):
    assert corpus["zh_refund_time"].pk not in top("退钱", n=10)
    services.synonym_save(actor=editor, words="退款，退钱, refunds")
    assert corpus["zh_refund_time"].pk in top("退钱", n=3)
    # the English member of the group brings the English article too
    assert set(top("退钱", scope=PORTAL_SCOPE, n=2)) == {
        corpus["zh_refund_time"].pk,
        corpus["en_refund"].pk,
    }


def test_synonym_word_in_articles_is_reindexed_whole(editor):
    article = make_article("不想要了怎么退钱", "<p>七天内可以退钱。</p>")
    services.synonym_save(actor=editor, words="退款, 退钱")
    assert Posting.objects.filter(article=article, term="退钱").exists()
    assert top("退款") == [article.pk]


def test_prefix_of_last_word(corpus):
    assert top("warr", n=3)[0] == corpus["en_warranty"].pk
    assert top("deliv", n=3)[0] == corpus["en_delivery"].pk
    # a finished word (space typed after it) is not completed
    assert top("warr ", n=3) == []


def test_chinese_prefix(corpus):
    found = set(top("退", n=10))
    assert {corpus["zh_return_policy"].pk, corpus["zh_how_return"].pk} <= found


def test_highlighting_marks_matches_and_escapes(editor):
    make_article("退货 <b>须知</b>", "<p>退货前请备份数据 &amp; 个人信息。</p>")
    hit = indexing.search("退货", scope=STAFF).hits[0]
    assert hit.title_html == "<mark>退货</mark> &lt;b&gt;须知&lt;/b&gt;"
    assert "<mark>退货</mark>前请备份数据 &amp; 个人信息" in hit.snippet_html


def test_english_highlight_is_case_insensitive(corpus):
    hit = indexing.search("return", scope=STAFF).hits[0]
    assert "<mark>Return</mark>" in hit.title_html


def test_portal_scope_never_returns_internal_articles(corpus):
    staff = top("退款审批", scope=STAFF, n=10)
    portal = top("退款审批", scope=PORTAL_SCOPE, n=10)
    assert corpus["zh_internal_refund_limit"].pk in staff
    assert corpus["zh_internal_refund_limit"].pk not in portal


def test_drafts_only_when_asked():
    draft = make_article("草稿：以旧换新", "<p>以旧换新活动</p>", state="draft")
    assert top("以旧换新") == []
    assert top("以旧换新", scope=Scope(published=None)) == [draft.pk]


def test_language_scope(corpus):
    assert top("return", scope=Scope(published=True, language="zh-hans")) == []


def test_index_statistics_follow_changes(editor):
    article = make_article("退货政策", "<p>七天无理由退货</p>")
    stats = IndexStats.objects.get()
    assert stats.doc_count == 1
    assert stats.total_length == 3 * article.title_length + article.body_length
    services.article_update(
        actor=editor,
        article=article,
        expected_version=article.version,
        changes={"body_html": "<p>十五天无理由退货，邮费由我们承担</p>"},
    )
    article.refresh_from_db()
    stats.refresh_from_db()
    assert stats.doc_count == 1
    assert stats.total_length == 3 * article.title_length + article.body_length
    services.article_delete(actor=editor, article=article)
    stats.refresh_from_db()
    assert (stats.doc_count, stats.total_length) == (0, 0)
    assert not Posting.objects.exists()


def test_rebuild_gives_the_same_ranking(corpus):
    before = indexing.search("退货 保修 charging", scope=STAFF, limit=10)
    indexing.rebuild_index()
    after = indexing.search("退货 保修 charging", scope=STAFF, limit=10)
    assert [(h.article.pk, h.score) for h in before.hits] == [
        (h.article.pk, h.score) for h in after.hits
    ]


def test_scores_match_hand_computed_bm25f():
    """Two documents, query 'cable': check the score against the formula by hand."""
    a = make_article("cable", "<p>usb cable</p>", language="en")  # title 1 token, body 2
    make_article("charger", "<p>wall charger plug</p>", language="en")
    # N=2, df(cable)=1 → idf = ln(1 + (2-1+0.5)/(1+0.5)) = ln 2
    # doc a: tf' = 3·1 + 1 = 4, dl = 3·1 + 2 = 5; doc b: dl = 3·1 + 3 = 6; avgdl = 5.5
    import math

    norm = 1.2 * (1 - 0.75 + 0.75 * 5 / 5.5)
    expected = math.log(2) * 4 * 2.2 / (4 + norm)
    hit = indexing.search("cable", scope=STAFF).hits[0]
    assert hit.article.pk == a.pk
    assert hit.score == pytest.approx(expected, abs=1e-6)


def test_search_query_count_is_constant(corpus, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        result = indexing.search("退货 保修 warr", scope=STAFF, limit=10)
    assert len(result.hits) >= 3


def test_long_posting_lists_are_read_best_first(monkeypatch):
    """With the per-word cut at 2 postings, a word found in 4 articles is read best first: the
    top results are unchanged and the count becomes a lower bound."""
    short = make_article("退货", "<p>退货</p>")
    make_article("退货须知", "<p>退货前请备份数据，退货时附上发票和全部配件。</p>")
    make_article("会员权益", "<p>会员可享受延长退货期。</p>")
    make_article("以旧换新说明", "<p>旧机回收后不支持退货，新机可正常退货。</p>")
    exhaustive = indexing.search("退货", scope=STAFF, limit=2)
    monkeypatch.setattr(indexing, "CANDIDATES_PER_TERM", 2)
    pruned = indexing.search("退货", scope=STAFF, limit=2)
    assert [h.article.pk for h in pruned.hits] == [h.article.pk for h in exhaustive.hits]
    assert pruned.hits[0].article.pk == short.pk
    assert (exhaustive.total, exhaustive.total_exact) == (4, True)
    assert (pruned.total, pruned.total_exact) == (2, False)
    # a second, rare word still brings its article in (short lists are read whole)
    mixed = indexing.search("退货 会员", scope=STAFF, limit=5)
    assert "会员权益" in [h.article.title for h in mixed.hits]


def test_cut_search_rescores_its_candidates_exactly(monkeypatch):
    """When a long list is cut, an article found through the rare word is scored again from
    all its postings: it gets its due for the common word outside the cut."""
    make_article("退货", "<p>退货</p>")
    make_article("退货须知", "<p>退货前请备份数据，退货时附上发票和全部配件。</p>")
    member = make_article("会员权益", "<p>会员可享受延长退货期。</p>")
    make_article("以旧换新说明", "<p>旧机回收后不支持退货，新机可正常退货。</p>")
    exhaustive = indexing.search("退货 会员", scope=STAFF, limit=5)
    assert exhaustive.total_exact
    exact = {h.article.pk: h.score for h in exhaustive.hits}
    monkeypatch.setattr(indexing, "CANDIDATES_PER_TERM", 2)
    monkeypatch.setattr(indexing, "RESCORED_CANDIDATES", 0)
    unrescored = {h.article.pk: h.score for h in indexing.search("退货 会员", scope=STAFF, limit=5)}
    assert unrescored[member.pk] < exact[member.pk]  # its 退货 posting is outside the cut
    monkeypatch.setattr(indexing, "RESCORED_CANDIDATES", 50)
    cut = indexing.search("退货 会员", scope=STAFF, limit=5)
    assert not cut.total_exact
    assert cut.hits[0].article.pk == member.pk == exhaustive.hits[0].article.pk
    assert {h.article.pk: h.score for h in cut.hits}[member.pk] == pytest.approx(exact[member.pk])


def test_read_caps_share_the_budget_from_the_rarest_word_up(monkeypatch):
    monkeypatch.setattr(indexing, "POSTINGS_PER_SEARCH", 1000)
    doc_freq = {"rare": 10, "mid": 300, "common": 5000, "commoner": 9000}
    caps = indexing.read_caps(list(doc_freq), doc_freq, page_end=20)
    # rare: read whole (10); mid: its share 330 > 300, read whole; the 690 left split in two
    assert caps == {"common": 345, "commoner": 345}
    # never fewer than the page
    assert indexing.read_caps(list(doc_freq), doc_freq, page_end=400)["commoner"] == 400


def test_database_score_equals_the_numpy_formula(corpus):
    """The SQL expression and kefu.knowledge.text.bm25f agree for every corpus hit."""
    import numpy as np

    from kefu.knowledge import text
    from kefu.knowledge.models import IndexStats

    stats = IndexStats.objects.get()
    avg = stats.total_length / stats.doc_count
    df = Posting.objects.filter(term="退货").count()
    for hit in indexing.search("退货", scope=Scope(published=None), limit=20).hits:
        p = Posting.objects.get(term="退货", article=hit.article)
        expected = float(text.idf(df, stats.doc_count)) * float(
            text.bm25f(p.tf_title, p.tf_body, p.title_length, p.body_length, 1.0, avg)
        )
        assert hit.score == pytest.approx(expected, abs=1e-6)
        assert np.isfinite(expected)


# Typo tolerance -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query,key",
    [
        ("refnud", "en_refund"),  # swapped letters, and an unfinished word (refunds)
        ("delivry", "en_delivery"),  # a letter left out
        ("delivry ", "en_delivery"),  # … also as a finished word
        ("warrenty", "en_warranty"),  # a wrong letter
        ("refu", "en_refund"),  # a plain prefix
        ("cracked screan", "en_screen"),
        ("invoise", "en_invoice"),
    ],
)
def test_one_typo_or_a_prefix_still_finds_the_article(corpus, query, key):
    assert top(query)[0] == corpus[key].pk, query


def test_exact_word_disables_corrections_and_ranks_first():
    """'card' is in the index: articles with 'cart' or 'care' (one edit away) are not found;
    misspelt 'cadr' finds the card article before any other."""
    card = make_article("Card reader", "<p>The card slot takes microSD.</p>", language="en")
    cart = make_article("Shopping cart", "<p>Items stay in the cart for 7 days.</p>", language="en")
    make_article("Screen care", "<p>Clean the glass with a dry cloth.</p>", language="en")
    assert top("card", n=10) == [card.pk]
    assert top("cart ", n=10) == [cart.pk]
    assert top("cadr ", n=10)[0] == card.pk


def test_exact_match_outranks_a_correction_of_another_word():
    exact = make_article("Delivery", "<p>About delivery.</p>", language="en")
    typo = make_article("Deliver", "<p>We deliver daily.</p>", language="en")
    # 'delivery' is held by the index: no correction, so the one-edit 'deliver' stays out
    assert top("delivery ", n=10) == [exact.pk]
    assert typo.pk in top("delivr ", n=10)


def test_short_and_chinese_words_get_no_corrections(corpus):
    assert top("fex ", n=5) == []  # 3 letters: 'fee' is one edit away, but too short to guess
    assert top("退贷 ", n=5) == []  # Chinese typos are other characters, not edits


def test_typo_corrections_respect_the_portal_scope(editor):
    """A word only internal articles hold is never a correction for portal customers."""
    make_article("Refund limits", "<p>Approve refunds below 200.</p>", language="en",
                 visibility="internal")  # fmt: skip
    assert top("refnds ", scope=STAFF)
    assert top("refnds ", scope=PORTAL_SCOPE) == []
    assert indexing.search("refnds ", scope=PORTAL_SCOPE).terms == []


def test_typo_candidates_are_exactly_one_edit_away():
    from kefu.knowledge import text

    candidates = text.typo_candidates("refnud")
    assert "refund" in candidates  # swap
    assert {"refnd", "refnuds", "refnad"} <= candidates  # delete, insert, replace
    assert "refnud" not in candidates
    assert all(text.edit_distance("refnud", c) == 1 for c in candidates)
    # every word one edit away over the alphabet is there: 6 deletes, 5 swaps, 36·6 replaces
    # and 36·7 inserts, minus duplicates (counted independently by brute force)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    brute = {
        w
        for n in (5, 6, 7)
        for w in _strings_near("refnud", n, alphabet)
        if text.edit_distance("refnud", w) == 1
    }
    assert candidates == brute
    assert text.typo_candidates("abc") == set()
    assert text.typo_candidates("退货政策") == set()


def _strings_near(word, length, alphabet):
    """Every string of `length` that keeps all but at most one of word's letters in order."""
    if length == len(word) - 1:
        yield from (word[:i] + word[i + 1 :] for i in range(len(word)))
    elif length == len(word):
        for i in range(len(word)):
            yield from (word[:i] + c + word[i + 1 :] for c in alphabet)
        for i in range(len(word) - 1):
            yield word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    else:
        for i in range(len(word) + 1):
            yield from (word[:i] + c + word[i:] for c in alphabet)


def test_edit_distance_matches_reference_values():
    from kefu.knowledge import text

    # optimal string alignment distances (hand-checked; 'ca'→'abc' is 3 under OSA)
    cases = {("kitten", "sitting"): 3, ("refnud", "refund"): 1, ("ca", "abc"): 3,
             ("", "abc"): 3, ("delivry", "delivery"): 1, ("same", "same"): 0}  # fmt: skip
    for (a, b), expected in cases.items():
        assert text.edit_distance(a, b) == expected, (a, b)


# Highlighting only marks what matched ---------------------------------------------------------


def test_highlighting_skips_stop_words_english(editor):
    make_article("How to return the phone", "<p>To return it, pack the phone.</p>",
                 language="en")  # fmt: skip
    hit = indexing.search("how to return the phone", scope=STAFF).hits[0]
    assert hit.title_html == "How to <mark>return</mark> the <mark>phone</mark>"
    assert "<mark>the</mark>" not in hit.snippet_html and "<mark>To</mark>" not in hit.snippet_html


def test_highlighting_skips_stop_words_chinese(editor):
    make_article("如何退货", "<p>我们的退货流程是什么</p>")
    hit = indexing.search("如何退货的流程", scope=STAFF).hits[0]
    assert hit.title_html == "如何<mark>退货</mark>"
    assert hit.snippet_html == "我们的<mark>退货</mark><mark>流程</mark>是什么"


def test_highlighting_marks_whole_english_words_and_completions(editor):
    make_article("Warranty start", "<p>Art of the warranty: it starts at purchase.</p>",
                 language="en")  # fmt: skip
    hit = indexing.search("warr", scope=STAFF).hits[0]
    assert hit.title_html == "<mark>Warranty</mark> start"
    hit = indexing.search("art ", scope=STAFF).hits[0]
    assert hit.title_html == "Warranty start"  # 'art' inside 'start' is not a match
    assert hit.snippet_html.startswith("<mark>Art</mark> of the warranty")


def test_typo_correction_is_what_gets_highlighted(corpus):
    hit = indexing.search("delivry ", scope=STAFF).hits[0]
    assert hit.title_html == "<mark>Delivery</mark> times"


# The vocabulary (document frequencies) follows every change ----------------------------------


def _vocabulary_from_postings():
    from django.db.models import Count, Q

    return {
        row["term"]: (row["n"], row["pub"])
        for row in Posting.objects.values("term").annotate(
            n=Count("id"), pub=Count("id", filter=Q(published=True, public=True))
        )
    }


def test_vocabulary_counts_equal_the_postings_after_changes(corpus, editor):
    from kefu.knowledge.models import Term

    def vocabulary():
        return {t.term: (t.doc_count, t.public_count) for t in Term.objects.all()}

    assert vocabulary() == _vocabulary_from_postings()
    article = corpus["en_refund"]
    services.article_update(
        actor=editor,
        article=article,
        expected_version=article.version,
        changes={"body_html": "<p>Money back within a week.</p>", "visibility": "internal"},
    )
    assert vocabulary() == _vocabulary_from_postings()
    assert "refunds" in vocabulary()  # still in the title
    services.article_delete(actor=editor, article=corpus["en_delivery"])
    assert vocabulary() == _vocabulary_from_postings()
    assert "delivery" in vocabulary()  # the return-policy article still says it
    assert "ship" not in vocabulary()
    indexing.rebuild_index()
    assert vocabulary() == _vocabulary_from_postings()


def test_same_results_on_every_database_for_the_corpus(corpus):
    """Reference ranking of the corpus (identical on SQLite and PostgreSQL: the suite runs on
    both against these literal lists)."""
    names = {a.pk: k for k, a in corpus.items()}
    expected = {
        "退货": ["zh_how_return", "zh_return_policy"],
        "refnud": ["en_refund"],
        "delivry": ["en_delivery", "en_return_policy"],
        "screen": ["en_screen"],
        "charg": ["en_charging", "en_warranty"],
    }
    for query, keys in expected.items():
        assert [names[pk] for pk in top(query, n=10)] == keys, query


def test_typo_variants_are_pruned_to_possible_beginnings_without_changing_results(corpus):
    """Variants whose beginning no index word has are not looked up; the corrections and
    completions stay exactly those of the unpruned variants."""
    from kefu.knowledge import text, vocabulary

    heads = vocabulary.known_heads()
    for word in ("refnud", "deliverry", "warrenty", "adress", "retrun"):
        variants = sorted(text.typo_candidates(word))
        kept = vocabulary._may_match(variants)
        assert len(kept) < len(variants) * 0.6
        assert all(v[: vocabulary.HEAD_LENGTH] in heads for v in kept)
        assert vocabulary.lookup(kept, False) == vocabulary.lookup(variants, False)
        assert vocabulary.completions(
            vocabulary._may_match([word[:-1] + c for c in "aeiourst"]), False
        ) == vocabulary.completions([word[:-1] + c for c in "aeiourst"], False)


def test_a_new_word_is_found_with_a_typo_at_once_in_the_process_that_added_it(corpus):
    from kefu.knowledge import vocabulary

    vocabulary.known_heads()  # cached before the word exists
    article = make_article("Zephyrine", "<p>The zephyrine cable kit.</p>", language="en")
    assert article.pk in top("zephyrien ", n=5)  # finished word, one swap
    assert article.pk in top("zephyrin", n=5)  # unfinished: a completion
    assert article.pk in top("zepyhrin", n=5)  # unfinished with a typo
