"""The knowledge base's own inverted index: identical behaviour on SQLite and PostgreSQL.

`index_articles` (called by the article services in the same transaction) replaces an article's
postings and updates the vocabulary (kefu.knowledge.vocabulary) in bulk; `search` expands the
query (synonyms, completions, typo corrections), then ranks inside the database with BM25F
(kefu.knowledge.text.bm25f written in SQL). A search costs a constant number of queries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from django.db import connection
from django.db.models import F

from kefu.knowledge import text, vocabulary
from kefu.knowledge.models import (
    Article,
    ArticleState,
    IndexStats,
    Posting,
    Synonym,
    Term,
    Visibility,
    split_words,
)

MAX_QUERY_TERMS = 32
# A search reads at most this many postings of a word, best first (impact order). Words found
# in more articles are cut there: the ranking of the first pages is unchanged in practice, and
# the count of matches becomes a lower bound (SearchResult.total_exact is False).
CANDIDATES_PER_TERM = 1000
# ... and all of a search's words together at most about this many (ticket suggestions look up
# ten words, prefix searches up to twenty completions): shared out from the rarest word up, so
# a short list is read whole and the long ones split what remains — never fewer than the page.
POSTINGS_PER_SEARCH = 4000
# When lists were cut and the query has several words, the best candidates of the cut reading
# are scored again from all their postings of the query's words (an article found through a
# rare word gets its due for the common ones) and re-ranked: this many, or the page if longer.
RESCORED_CANDIDATES = 50
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


def _index_totals() -> tuple[int, int]:
    """(documents, summed weighted length) of the index: one plain SELECT (a search's read)."""
    table = connection.ops.quote_name(IndexStats._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT doc_count, total_length FROM {table} WHERE id = 1")
        row = cursor.fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


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
    changes = vocabulary.VocabularyDelta()
    for term, published, public in Posting.objects.filter(article_id__in=ids).values_list(
        "term", "published", "public"
    ):
        changes.add(term, -1, published and public)
    Posting.objects.filter(article_id__in=ids).delete()
    stats = _stats_row()
    avg_length = stats.total_length / stats.doc_count if stats.doc_count > 0 else 0.0
    rows: list[list] = []  # posting columns, impact (column 6) filled in below
    averages: list[float] = []
    doc_delta, length_delta = 0, 0
    for article in articles:
        freqs, title_len, body_len = text.term_frequencies(article.title, article.body_text)
        weighted = int(text.weighted_length(title_len, body_len))
        average = avg_length or float(weighted) or 1.0
        published = article.state == ArticleState.PUBLISHED
        public = article.visibility == Visibility.PUBLIC
        for term, (tf_title, tf_body) in freqs.items():
            rows.append(
                [
                    term,
                    article.pk,
                    min(tf_title, TF_CAP),
                    min(tf_body, TF_CAP),
                    title_len,
                    body_len,
                    0.0,
                    published,
                    public,
                    article.language,
                ]
            )
            changes.add(term, 1, published and public)
        averages.extend([average] * len(freqs))
        if article.pk in previous:
            length_delta += weighted - previous[article.pk]
        else:
            doc_delta += 1
            length_delta += weighted
        article.title_length, article.body_length, article.is_indexed = title_len, body_len, True
    _insert_postings(rows, averages)
    _save_lengths(articles)
    IndexStats.objects.filter(pk=1).update(
        doc_count=F("doc_count") + doc_delta, total_length=F("total_length") + length_delta
    )
    changes.save()


def _save_lengths(articles: Sequence[Article]) -> None:
    """Write each article's token counts and is_indexed: one UPDATE … FROM (VALUES …) per
    1,000 articles (Django's bulk_update builds a CASE per row and costs more than indexing)."""
    if len(articles) == 1:
        article = articles[0]
        Article.objects.filter(pk=article.pk).update(
            title_length=article.title_length, body_length=article.body_length, is_indexed=True
        )
        return
    table = connection.ops.quote_name(Article._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(articles), 1000):
            chunk = articles[start : start + 1000]
            cursor.execute(
                "WITH v(id, title_length, body_length) AS (VALUES "
                + ", ".join(["(%s, %s, %s)"] * len(chunk))
                + f") UPDATE {table} SET title_length = CAST(v.title_length AS INTEGER),"
                " body_length = CAST(v.body_length AS INTEGER), is_indexed = %s"
                f" FROM v WHERE {table}.id = CAST(v.id AS BIGINT)",
                [x for a in chunk for x in (a.pk, a.title_length, a.body_length)] + [True],
            )


def _insert_postings(rows: list[list], averages: list[float]) -> None:
    """Write postings with multi-row INSERTs of 500 (no model instances: the bulk path builds
    millions of them); each posting's impact is its BM25F weight without idf (text.bm25f on
    the whole batch at once)."""
    if not rows:
        return
    columns = np.array([r[2:6] for r in rows], dtype=float).T
    impacts = text.bm25f(columns[0], columns[1], columns[2], columns[3], 1.0, np.array(averages))
    for row, impact in zip(rows, impacts.tolist(), strict=True):
        row[6] = impact
    table = _posting_table()
    names = (
        "term, article_id, tf_title, tf_body, title_length, body_length, impact, published, "
        "public, language"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES "
                + ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(chunk)),
                [x for row in chunk for x in row],
            )


def unindex_article(article: Article) -> None:
    """Remove an article from the index (before it is deleted)."""
    if not article.is_indexed:
        return
    changes = vocabulary.VocabularyDelta()
    for term, published, public in Posting.objects.filter(article_id=article.pk).values_list(
        "term", "published", "public"
    ):
        changes.add(term, -1, published and public)
    Posting.objects.filter(article_id=article.pk).delete()
    changes.save()
    weighted = int(text.weighted_length(article.title_length, article.body_length))
    _stats_row()
    IndexStats.objects.filter(pk=1).update(
        doc_count=F("doc_count") - 1, total_length=F("total_length") - weighted
    )
    Article.objects.filter(pk=article.pk).update(is_indexed=False)


def rebuild_index(batch_size: int = 2000) -> int:
    """Rebuild every posting from the articles (after a tokenizer or synonym change)."""
    Posting.objects.all().delete()
    Term.objects.all().delete()
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
    table = connection.ops.quote_name(Synonym._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT words FROM {table} ORDER BY id")
        groups = [split_words(words) for (words,) in cursor.fetchall()]
    text.add_words(w for group in groups for w in group)
    return groups


@dataclass
class WeightedQuery:
    """What a search looks for: term → (the typed word it stands for, weight), and each
    term's document frequency (terms found in the scope only)."""

    weights: dict[str, tuple[str, float]] = field(default_factory=dict)
    doc_freq: dict[str, int] = field(default_factory=dict)


def weighted_terms(
    query: str,
    *,
    scope: Scope,
    prefix_search: bool = True,
    typo_tolerance: bool = True,
    max_terms: int = MAX_QUERY_TERMS,
) -> WeightedQuery:
    """The typed words (weight 1), their synonyms, the completions of the last, unfinished word
    and — for a Latin word the index does not hold — the words one typo away (less). Typo
    corrections are looked for only when a word is not found, so an exact match always wins. A
    document scores the best of each typed word's stand-ins, never their sum."""
    terms, prefix = text.query_terms(query)
    groups = synonym_groups()
    if groups:
        # the tokenizer may just have learnt a synonym: cut the query again
        terms, prefix = text.query_terms(query)
    terms = terms[:max_terms]
    if not prefix_search:
        prefix = None
    expanded = text.expand_synonyms(terms, groups)
    public_only = bool(scope.published and scope.public)
    doc_freq = vocabulary.lookup(expanded, public_only)
    weighted = WeightedQuery(
        weights={t: w for t, w in expanded.items() if t in doc_freq}, doc_freq=doc_freq
    )
    completions: dict[str, int] = {}
    handled = set(doc_freq)
    if prefix:
        completions = vocabulary.completions([prefix], public_only, exclude=prefix)
        for term, df in completions.items():
            weighted.weights.setdefault(term, (prefix, text.PREFIX_WEIGHT))
            weighted.doc_freq.setdefault(term, df)
        if completions:
            handled.add(prefix)
        elif typo_tolerance and len(prefix) > text.TYPO_MIN_LENGTH and prefix not in doc_freq:
            for term, df in vocabulary.prefix_typo_completions(prefix, public_only).items():
                weighted.weights.setdefault(term, (prefix, text.TYPO_WEIGHT))
                weighted.doc_freq.setdefault(term, df)
            handled.add(prefix)
    if typo_tolerance:
        # a word counts as found when it, or one of its synonyms, is in the index
        handled |= {typed for term, (typed, _w) in expanded.items() if term in doc_freq}
        missing = [t for t in terms if t not in handled]
        for term, (word, df) in vocabulary.typo_corrections(missing, public_only).items():
            weighted.weights.setdefault(term, (word, text.TYPO_WEIGHT))
            weighted.doc_freq.setdefault(term, df)
    return weighted


def search(
    query: str,
    *,
    scope: Scope,
    limit: int = 20,
    offset: int = 0,
    prefix_search: bool = True,
    typo_tolerance: bool = True,
    exclude_ids: Iterable[int] = (),
    category_ids: Iterable[int] | None = None,
    max_terms: int = MAX_QUERY_TERMS,
    keep_rarest: int | None = None,
) -> SearchResult:
    """Rank the articles in `scope` for `query` by BM25F with synonyms, prefix completion and
    typo tolerance.

    The scoring runs inside the database (one grouped query: only the page of results comes
    back — or, when long lists were cut, the best 50 candidates, scored again exactly), with
    ties broken by article id, so SQLite and PostgreSQL give the same order."""
    result = SearchResult(query=query)
    weighted = weighted_terms(
        query,
        scope=scope,
        prefix_search=prefix_search,
        typo_tolerance=typo_tolerance,
        max_terms=max_terms,
    )
    weights, doc_freq = weighted.weights, weighted.doc_freq
    present = list(weights)
    if not present:
        return result
    doc_count, total_length = _index_totals()
    if doc_count <= 0:
        return result
    avg_length = total_length / doc_count
    if keep_rarest and len(present) > keep_rarest:
        # long texts (ticket suggestions): the rarest words carry the meaning
        present = sorted(present, key=lambda t: (doc_freq[t], t))[:keep_rarest]
    result.terms = present
    caps = read_caps(present, doc_freq, page_end=offset + limit)
    result.total_exact = not caps
    ranked, result.total = _rank_in_database(
        present,
        caps,
        weights,
        {t: float(text.idf(doc_freq[t], doc_count)) for t in present},
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
    # only the index terms that matched: never stop words or the unfinished prefix itself
    marks = text.words_pattern(present)
    for pk, score in ranked:
        article = articles[pk]
        result.hits.append(
            Hit(
                article=article,
                score=round(score, 6),
                title_html=text.highlight(article.title, marks),
                snippet_html=text.snippet(article.body_text, marks),
            )
        )
    return result


def read_caps(terms: Sequence[str], doc_freq: dict[str, int], *, page_end: int) -> dict[str, int]:
    """term → how many of its best postings a search reads, for the words whose lists are cut.

    Each word gets at most CANDIDATES_PER_TERM, all of them together about POSTINGS_PER_SEARCH:
    from the rarest word up, a word whose list fits its share of what is left is read whole,
    a longer one gets the share (but at least the page, so a one-word search's first page is
    exact)."""
    caps: dict[str, int] = {}
    remaining, left = POSTINGS_PER_SEARCH, len(terms)
    for term in sorted(terms, key=lambda t: (doc_freq[t], t)):
        share = min(CANDIDATES_PER_TERM, max(page_end, remaining // left))
        if doc_freq[term] > share:
            caps[term] = share
        remaining -= min(doc_freq[term], share)
        left -= 1
    return caps


def _rank_in_database(
    terms: list[str],
    caps: dict[str, int],
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
    (kefu.knowledge.text.bm25f, written in SQL), the best stand-in per typed word, summed.

    One branch per term, each an index range read with the term's slot (typed word) and
    weight × idf as constants. Postings read: every posting of a short list, the best `caps[t]`
    (by impact, see read_caps) of a long one — so the work is bounded whatever the size of the
    index (impact-ordered early termination, Anh & Moffat 2006); an article outside a long
    list's best part gets nothing for that word — unless it is among the candidates that
    `_rescore` scores again from all their postings."""
    if category_ids is not None and not category_ids:
        return [], 0
    slots = {slot: i for i, slot in enumerate(dict.fromkeys(weights[t][0] for t in terms))}
    # Every constant typed as a double on PostgreSQL, which would otherwise read 3.0 as NUMERIC
    # and do the whole sum in (slow) decimal arithmetic; SQLite binds Python floats as REAL.
    f = "CAST(%s AS DOUBLE PRECISION)" if connection.vendor == "postgresql" else "%s"
    tf = f"({f} * c.tf_title + c.tf_body)"
    dl = f"({f} * c.title_length + c.body_length)"
    score = f"{f} * {tf} * {f} / ({tf} + {f} * ({f} + {f} * {dl} / {f}))"
    w = float(text.TITLE_WEIGHT)
    score_params = [w, text.K1 + 1.0, w, text.K1, 1.0 - text.B, text.B, w, float(avg_length)]
    filters, filter_params = _scope_clauses(scope)
    if exclude_ids:
        filters += f" AND c.article_id NOT IN ({', '.join(['%s'] * len(exclude_ids))})"
        filter_params += exclude_ids
    if category_ids is not None:
        article_table = connection.ops.quote_name(Article._meta.db_table)
        filters += (
            f" AND c.article_id IN (SELECT id FROM {article_table} WHERE category_id IN "
            f"({', '.join(['%s'] * len(category_ids))}))"
        )
        filter_params += category_ids
    table = _posting_table()
    branches, params = [], []
    for term in terms:
        slot = slots[weights[term][0]]
        select = (
            f"SELECT c.article_id AS article_id, {slot} AS slot, {score} AS s"
            f" FROM {table} c WHERE c.term = %s{filters}"
        )
        branch_params = [
            float(weights[term][1] * term_idf[term]),
            *score_params,
            term,
            *filter_params,
        ]
        if term in caps:
            cap = caps[term]
            select = (
                f"SELECT * FROM ({select} ORDER BY c.impact DESC, c.article_id"
                f" LIMIT {int(cap)}) best_{len(branches)}"
            )
        branches.append(select)
        params += branch_params
    union = " UNION ALL ".join(branches)
    if len(slots) == len(terms):
        # one term per typed word (no synonyms, completions or corrections): no best-of step
        per_slot = union
    else:
        per_slot = (
            f"SELECT article_id, slot, MAX(s) AS s FROM ({union}) scored GROUP BY article_id, slot"
        )
    rounded = (
        "ROUND(CAST(SUM(s) AS NUMERIC), 9)"
        if connection.vendor == "postgresql"
        else "ROUND(SUM(s), 9)"
    )
    sql = (
        f"SELECT article_id, SUM(s) AS score, COUNT(*) OVER () AS total FROM ({per_slot})"
        f" best_per_slot GROUP BY article_id ORDER BY {rounded} DESC, article_id"
        f" LIMIT %s OFFSET %s"
    )
    # One typed word: a cut list's best postings are its best articles, the page is exact
    # already. Several: rescore the best candidates.
    rescore = caps and len(slots) > 1 and RESCORED_CANDIDATES
    window = max(RESCORED_CANDIDATES, offset + limit) if rescore else 0
    params += [window, 0] if window else [limit, offset]
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
    total = int(rows[0][2])
    if window:
        ranked = _rescore(
            [int(pk) for pk, _s, _t in rows], terms, slots, weights, term_idf, avg_length
        )
        return ranked[offset : offset + limit], total
    return [(int(pk), float(score)) for pk, score, _total in rows], total


def _rescore(
    ids: list[int],
    terms: list[str],
    slots: dict[str, int],
    weights: dict[str, tuple[str, float]],
    term_idf: dict[str, float],
    avg_length: float,
) -> list[tuple[int, float]]:
    """The exact scores of the candidates a cut search found (every posting of theirs for the
    query's words, read by article: an article found through a rare word also gets its due for
    the common words whose lists were cut), best first, ties by id — text.bm25f in numpy."""
    table = _posting_table()
    # by article: SQLite would otherwise walk the (long) lists by term; "+" disables that index
    term_column = "c.term" if connection.vendor == "postgresql" else "+c.term"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.article_id, c.term, c.tf_title, c.tf_body, c.title_length, c.body_length"
            f" FROM {table} c WHERE c.article_id IN ({', '.join(['%s'] * len(ids))})"
            f" AND {term_column} IN ({', '.join(['%s'] * len(terms))})",
            [*ids, *terms],
        )
        rows = cursor.fetchall()
    if not rows:
        return []
    columns = np.array([row[2:] for row in rows], dtype=float).T
    factor = np.array([weights[row[1]][1] * term_idf[row[1]] for row in rows])
    scores = text.bm25f(columns[0], columns[1], columns[2], columns[3], factor, avg_length)
    best: dict[tuple[int, int], float] = {}
    for (pk, term, *_cols), value in zip(rows, scores.tolist(), strict=True):
        key = (pk, slots[weights[term][0]])
        if value > best.get(key, -1.0):
            best[key] = value
    totals: dict[int, float] = dict.fromkeys(ids, 0.0)
    for (pk, _slot), value in best.items():
        totals[pk] += value
    pks = np.array(list(totals), dtype=np.int64)
    return text.rank(np.array(list(totals.values())), pks, len(pks))


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
