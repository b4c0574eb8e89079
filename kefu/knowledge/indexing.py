"""The knowledge base's own inverted index: identical behaviour on SQLite and PostgreSQL.

`index_articles` (called by the article services in the same transaction) replaces an article's
postings in bulk; `search` reads the postings of the query's terms once and ranks them with
BM25F in numpy (kefu.knowledge.text). A search costs a constant number of queries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, F

from kefu.knowledge import text
from kefu.knowledge.models import (
    Article,
    ArticleState,
    IndexStats,
    Posting,
    Synonym,
    Visibility,
)

MAX_QUERY_TERMS = 32
MAX_COMPLETIONS = 20
# A search reads at most this many postings of a word, best first (impact order). Words found
# in more articles are cut there: the ranking of the first pages is unchanged in practice, and
# the count of matches becomes a lower bound (SearchResult.total_exact is False).
CANDIDATES_PER_TERM = 1000
TF_CAP = 32767


@dataclass(frozen=True)
class Scope:
    """Which articles a search may return. None = no restriction on that column."""

    published: bool | None = True
    public: bool | None = None
    language: str | None = None


PORTAL_SCOPE = Scope(published=True, public=True)


@dataclass
class Hit:
    article: Article
    score: float
    title_html: str
    snippet_html: str


@dataclass
class SearchResult:
    query: str
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    total_exact: bool = True
    terms: list[str] = field(default_factory=list)  # every index term that took part

    def __iter__(self):
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)


def _stats_row() -> IndexStats:
    return IndexStats.objects.get_or_create(pk=1)[0]


def index_articles(articles: Sequence[Article]) -> None:
    """(Re)build the postings of `articles` and keep the whole-index totals right. Bulk: three
    statements plus one insert per 1,000 postings, whatever the number of articles."""
    if not articles:
        return
    ids = [a.pk for a in articles]
    previous = dict(
        Article.objects.filter(pk__in=ids, is_indexed=True).values_list(
            "pk", F("title_length") * text.TITLE_WEIGHT + F("body_length")
        )
    )
    Posting.objects.filter(article_id__in=ids).delete()
    stats = _stats_row()
    avg_length = stats.total_length / stats.doc_count if stats.doc_count > 0 else 0.0
    rows, doc_delta, length_delta = [], 0, 0
    for article in articles:
        freqs, title_len, body_len = text.term_frequencies(article.title, article.body_text)
        average = avg_length or float(text.weighted_length(title_len, body_len)) or 1.0
        published = article.state == ArticleState.PUBLISHED
        public = article.visibility == Visibility.PUBLIC
        rows.extend(
            Posting(
                term=term,
                article_id=article.pk,
                tf_title=min(tf_title, TF_CAP),
                tf_body=min(tf_body, TF_CAP),
                title_length=title_len,
                body_length=body_len,
                impact=float(text.bm25f(tf_title, tf_body, title_len, body_len, 1.0, average)),
                published=published,
                public=public,
                language=article.language,
            )
            for term, (tf_title, tf_body) in freqs.items()
        )
        weighted = int(text.weighted_length(title_len, body_len))
        if article.pk in previous:
            length_delta += weighted - previous[article.pk]
        else:
            doc_delta += 1
            length_delta += weighted
        article.title_length, article.body_length, article.is_indexed = title_len, body_len, True
    Posting.objects.bulk_create(rows, batch_size=1000)
    if len(articles) == 1:
        article = articles[0]
        Article.objects.filter(pk=article.pk).update(
            title_length=article.title_length, body_length=article.body_length, is_indexed=True
        )
    else:
        Article.objects.bulk_update(
            articles, ["title_length", "body_length", "is_indexed"], batch_size=1000
        )
    IndexStats.objects.filter(pk=1).update(
        doc_count=F("doc_count") + doc_delta, total_length=F("total_length") + length_delta
    )


def unindex_article(article: Article) -> None:
    """Remove an article from the index (before it is deleted)."""
    if not article.is_indexed:
        return
    Posting.objects.filter(article_id=article.pk).delete()
    weighted = int(text.weighted_length(article.title_length, article.body_length))
    _stats_row()
    IndexStats.objects.filter(pk=1).update(
        doc_count=F("doc_count") - 1, total_length=F("total_length") - weighted
    )
    Article.objects.filter(pk=article.pk).update(is_indexed=False)


def rebuild_index(batch_size: int = 2000) -> int:
    """Rebuild every posting from the articles (after a tokenizer or synonym change)."""
    Posting.objects.all().delete()
    Article.objects.update(is_indexed=False)
    IndexStats.objects.update_or_create(pk=1, defaults={"doc_count": 0, "total_length": 0})
    count = 0
    ids = list(Article.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch_size):
        batch = list(
            Article.objects.filter(pk__in=ids[start : start + batch_size]).only(
                "pk", "title", "body_text", "state", "visibility", "language", "is_indexed"
            )
        )
        index_articles(batch)
        count += len(batch)
    return count


def synonym_groups() -> list[list[str]]:
    """Every synonym group as a list of words (one query); teaches the tokenizer the words."""
    groups = [s.word_list for s in Synonym.objects.all()]
    text.add_words(w for group in groups for w in group)
    return groups


def _completions(prefix: str) -> list[str]:
    """Index terms that start with `prefix` (the last, maybe unfinished, word typed)."""
    postings = Posting.objects.all()
    if connection.vendor == "postgresql":
        # LIKE 'x%' uses the varchar_pattern_ops index whatever the database collation is
        postings = postings.filter(term__startswith=prefix)
    else:
        # SQLite compares text byte-wise, so the prefix range is exact and uses the index
        postings = postings.filter(term__gte=prefix, term__lt=prefix + "\U0010ffff")
    return list(
        postings.exclude(term=prefix)
        .order_by("term")
        .values_list("term", flat=True)
        .distinct()[:MAX_COMPLETIONS]
    )


def _scope_filter(postings, scope: Scope):
    if scope.published is not None:
        postings = postings.filter(published=scope.published)
    if scope.public is not None:
        postings = postings.filter(public=scope.public)
    if scope.language:
        postings = postings.filter(language=scope.language)
    return postings


def weighted_terms(
    query: str, *, prefix_search: bool = True, max_terms: int = MAX_QUERY_TERMS
) -> dict[str, tuple[str, float]]:
    """term → (the typed word it stands for, weight): typed words (1), their synonyms and the
    completions of the last, unfinished word (less). A document scores the best of each
    typed word's stand-ins, so a synonym never counts on top of the word itself."""
    terms, prefix = text.query_terms(query)
    groups = synonym_groups()
    if groups:
        # the tokenizer may just have learnt a synonym: cut the query again
        terms, prefix = text.query_terms(query)
    terms = terms[:max_terms]
    weights = text.expand_synonyms(terms, groups)
    if prefix_search and prefix:
        for term in _completions(prefix):
            weights.setdefault(term, (prefix, text.PREFIX_WEIGHT))
    return weights


def search(
    query: str,
    *,
    scope: Scope,
    limit: int = 20,
    offset: int = 0,
    prefix_search: bool = True,
    exclude_ids: Iterable[int] = (),
    category_ids: Iterable[int] | None = None,
    max_terms: int = MAX_QUERY_TERMS,
    keep_rarest: int | None = None,
) -> SearchResult:
    """Rank the articles in `scope` for `query` by BM25F with synonyms and prefix completion.

    The scoring runs inside the database (one grouped query: only the page of results comes
    back), with ties broken by article id, so SQLite and PostgreSQL give the same order."""
    result = SearchResult(query=query)
    weights = weighted_terms(query, prefix_search=prefix_search, max_terms=max_terms)
    if not weights:
        return result
    result.terms = list(weights)
    stats = _stats_row()
    if stats.doc_count <= 0:
        return result
    avg_length = stats.total_length / stats.doc_count
    doc_freq = dict(
        Posting.objects.filter(term__in=list(weights))
        .values("term")
        .annotate(n=Count("id"))
        .values_list("term", "n")
    )
    present = [t for t in weights if doc_freq.get(t)]
    if not present:
        return result
    if keep_rarest and len(present) > keep_rarest:
        # long texts (ticket suggestions): the rarest words carry the meaning
        present = sorted(present, key=lambda t: (doc_freq[t], t))[:keep_rarest]
    long_lists = [t for t in present if doc_freq[t] > CANDIDATES_PER_TERM]
    result.total_exact = not long_lists
    ranked, result.total = _rank_in_database(
        present,
        long_lists,
        weights,
        {t: text.idf(doc_freq[t], stats.doc_count) for t in present},
        avg_length=avg_length,
        scope=scope,
        exclude_ids=list(exclude_ids),
        category_ids=None if category_ids is None else list(category_ids),
        limit=limit,
        offset=offset,
    )
    articles = (
        Article.objects.select_related("category")
        .defer("body_html")
        .in_bulk([pk for pk, _s in ranked])
    )
    words = _highlight_words(query, present)
    for pk, score in ranked:
        article = articles[pk]
        result.hits.append(
            Hit(
                article=article,
                score=round(score, 6),
                title_html=text.highlight(article.title, words),
                snippet_html=text.snippet(article.body_text, words),
            )
        )
    return result


def _highlight_words(query: str, terms: list[str]) -> list[str]:
    """What to mark in titles and snippets: the matched index terms and the typed words."""
    typed = [w for w in text.tokenize(query, keep_stop_words=True) if len(w) > 1 or ord(w) > 127]
    return list(dict.fromkeys([*terms, *typed]))


def _rank_in_database(
    terms: list[str],
    long_lists: list[str],
    weights: dict[str, tuple[str, float]],
    term_idf: dict[str, float],
    *,
    avg_length: float,
    scope: Scope,
    exclude_ids: list[int],
    category_ids: list[int] | None,
    limit: int,
    offset: int,
) -> tuple[list[tuple[int, float]], int]:
    """([(article id, score)] of the page, number of matching articles): BM25F per posting
    (kefu.knowledge.text.bm25f, written in SQL), the best stand-in per typed word, summed."""
    slots = {slot: i for i, slot in enumerate(dict.fromkeys(weights[t][0] for t in terms))}
    params: list = []
    slot_case, weight_case = ["CASE p.term"], ["CASE p.term"]
    for term in terms:
        slot_case.append("WHEN %s THEN %s")
        params += [term, slots[weights[term][0]]]
    slot_case.append("END")
    for term in terms:
        weight_case.append("WHEN %s THEN %s")
        params += [term, float(weights[term][1] * term_idf[term])]
    weight_case.append("END")
    tf = "(%s * p.tf_title + p.tf_body)"
    dl = "(%s * p.title_length + p.body_length)"
    score = f"{' '.join(weight_case)} * {tf} * %s / ({tf} + %s * (%s + %s * {dl} / %s))"
    w = float(text.TITLE_WEIGHT)
    params += [w, text.K1 + 1.0, w, text.K1, 1.0 - text.B, text.B, w, float(avg_length)]
    where = [f"p.term IN ({', '.join(['%s'] * len(terms))})"]
    params += terms
    for column, value in (
        ("published", scope.published),
        ("public", scope.public),
        ("language", scope.language or None),
    ):
        if value is not None:
            where.append(f"p.{column} = %s")
            params.append(value)
    if exclude_ids:
        where.append(f"p.article_id NOT IN ({', '.join(['%s'] * len(exclude_ids))})")
        params += exclude_ids
    if category_ids is not None:
        if not category_ids:
            return [], 0
        article_table = connection.ops.quote_name(Article._meta.db_table)
        where.append(
            f"p.article_id IN (SELECT id FROM {article_table} WHERE category_id IN "
            f"({', '.join(['%s'] * len(category_ids))}))"
        )
        params += category_ids
    if long_lists:
        # candidates: every posting of the short lists, the best of each long one
        parts, part_params = [], []
        short = [t for t in terms if t not in long_lists]
        filters, filter_params = _scope_clauses(scope)
        if short:
            parts.append(
                f"SELECT c.article_id FROM {_posting_table()} c WHERE c.term IN "
                f"({', '.join(['%s'] * len(short))}){filters}"
            )
            part_params += [*short, *filter_params]
        for term in long_lists:
            parts.append(
                f"SELECT article_id FROM (SELECT c.article_id FROM {_posting_table()} c "
                f"WHERE c.term = %s{filters} ORDER BY c.impact DESC, c.article_id "
                f"LIMIT {CANDIDATES_PER_TERM}) best_{len(parts)}"
            )
            part_params += [term, *filter_params]
        where.append(f"p.article_id IN ({' UNION '.join(parts)})")
        params += part_params
    rounded = (
        "ROUND(CAST(SUM(best) AS NUMERIC), 9)"
        if connection.vendor == "postgresql"
        else "ROUND(SUM(best), 9)"
    )
    table = _posting_table()
    sql = (
        f"SELECT article_id, SUM(best) AS score, COUNT(*) OVER () AS total FROM ("
        f" SELECT article_id, slot, MAX(s) AS best FROM ("
        f"  SELECT p.article_id AS article_id, {' '.join(slot_case)} AS slot, {score} AS s"
        f"  FROM {table} p WHERE {' AND '.join(where)}"
        f" ) scored GROUP BY article_id, slot"
        f") best_per_slot GROUP BY article_id ORDER BY {rounded} DESC, article_id"
        f" LIMIT %s OFFSET %s"
    )
    params += [limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        if offset:  # past the last page: still report how many matched
            with connection.cursor() as cursor:
                cursor.execute(sql.replace("LIMIT %s OFFSET %s", "LIMIT 1"), params[:-2])
                first = cursor.fetchone()
            return [], int(first[2]) if first else 0
        return [], 0
    return [(int(pk), float(score)) for pk, score, _total in rows], int(rows[0][2])


def _posting_table() -> str:
    return connection.ops.quote_name(Posting._meta.db_table)


def _scope_clauses(scope: Scope) -> tuple[str, list]:
    """SQL conditions (on alias c) and parameters for a scope."""
    clauses, params = "", []
    for column, value in (
        ("published", scope.published),
        ("public", scope.public),
        ("language", scope.language or None),
    ):
        if value is not None:
            clauses += f" AND c.{column} = %s"
            params.append(value)
    return clauses, params
