"""The index's vocabulary (model Term): every index word with its document counts, kept by
kefu.knowledge.indexing, and the look-ups a search makes in it — document frequencies, prefix
completions and typo corrections — without reading posting lists."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Sequence

from django.db import connection

from kefu.knowledge import text
from kefu.knowledge.models import Term

MAX_COMPLETIONS = 20
MAX_TYPO_WORDS = 5  # typed words looked up with typo tolerance per search
MAX_TYPO_TERMS = 5  # corrections kept per typed word (the most frequent)
HEAD_LENGTH = 5  # typo variants are checked against the beginnings of index words this long
HEADS_MAX_AGE = 60.0  # seconds a process keeps the beginnings before reading them again


def _count_column(public_only: bool) -> str:
    """Term's count that tells whether a word occurs at all in what the search may return."""
    return "public_count" if public_only else "doc_count"


_heads: tuple[float, frozenset[str]] | None = None


def known_heads() -> frozenset[str]:
    """Every beginning (1 to HEAD_LENGTH characters) of an index word. A typo variant whose
    beginning is not among them matches nothing, so it is not sent to the database: a word's
    few hundred one-edit variants shrink to a handful, and PostgreSQL no longer plans hundreds
    of OR-ed index ranges (10–20 ms) for each typo search.

    Read once a minute per process (one DISTINCT over the vocabulary, ≈ 50 ms at 60,000 words)
    and forgotten at once when this process changes the vocabulary; a word another process
    added is found by typo tolerance at most a minute later (exact search finds it at once)."""
    global _heads
    now = time.monotonic()
    if _heads is None or now - _heads[0] > HEADS_MAX_AGE:
        table = connection.ops.quote_name(Term._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT DISTINCT substr(term, 1, {HEAD_LENGTH}) FROM {table}")
            heads = {h[:n] for (h,) in cursor.fetchall() for n in range(1, len(h) + 1)}
        _heads = (now, frozenset(heads))
    return _heads[1]


def forget_heads() -> None:
    global _heads
    _heads = None


def _may_match(variants: Iterable[str]) -> list[str]:
    """The variants that begin like some index word (see known_heads), in the given order."""
    heads = known_heads()
    return [v for v in variants if v[:HEAD_LENGTH] in heads]


class VocabularyDelta:
    """Changes to Term's counts from one (re)indexing, written in bulk by `save`."""

    def __init__(self):
        self.docs: Counter[str] = Counter()
        self.public: Counter[str] = Counter()

    def add(self, term: str, change: int, public: bool) -> None:
        self.docs[term] += change
        if public:
            self.public[term] += change

    def save(self) -> None:
        """One upsert per 500 changed terms (in term order, so concurrent saves lock rows in
        the same order), then drop the terms no article holds any more."""
        changed = sorted(t for t in self.docs if self.docs[t] or self.public[t])
        table = connection.ops.quote_name(Term._meta.db_table)
        with connection.cursor() as cursor:
            for start in range(0, len(changed), 500):
                chunk = changed[start : start + 500]
                params = [x for t in chunk for x in (t, self.docs[t], self.public[t])]
                cursor.execute(
                    f"INSERT INTO {table} (term, doc_count, public_count) VALUES "
                    + ", ".join(["(%s, %s, %s)"] * len(chunk))
                    + f" ON CONFLICT (term) DO UPDATE SET"
                    f" doc_count = {table}.doc_count + excluded.doc_count,"
                    f" public_count = {table}.public_count + excluded.public_count",
                    params,
                )
        gone = [t for t in changed if self.docs[t] < 0]
        for start in range(0, len(gone), 500):
            Term.objects.filter(term__in=gone[start : start + 500], doc_count__lte=0).delete()
        if changed:
            forget_heads()


def lookup(terms: Iterable[str], public_only: bool) -> dict[str, int]:
    """term → document frequency (every article) for those of `terms` the index holds (in a
    published public article when `public_only`)."""
    terms = list(terms)
    if not terms:
        return {}
    table = connection.ops.quote_name(Term._meta.db_table)
    column = _count_column(public_only)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT term, doc_count FROM {table} WHERE term IN ({', '.join(['%s'] * len(terms))})"
            f" AND {column} > 0",
            terms,
        )
        return {term: int(n) for term, n in cursor.fetchall()}


def completions(prefixes: Sequence[str], public_only: bool, *, exclude: str = "") -> dict[str, int]:
    """The MAX_COMPLETIONS most frequent index words that start with one of `prefixes` (none
    of which may extend another), most frequent first then in byte order (the same on both
    databases), with their document frequencies."""
    if not prefixes:
        return {}
    table = connection.ops.quote_name(Term._meta.db_table)
    column = _count_column(public_only)
    # Byte-wise comparison on both databases (SQLite's BINARY collation; PostgreSQL's pattern
    # operators, which use the varchar_pattern_ops index whatever the database collation).
    postgres = connection.vendor == "postgresql"
    ge, lt = ("~>=~", "~<~") if postgres else (">=", "<")
    in_byte_order = 't.term COLLATE "C"' if postgres else "t.term"
    params = [x for p in prefixes for x in (p, p + "\U0010ffff")]
    if len(prefixes) == 1:
        head, source, where = "", f"{table} t", f"t.term {ge} %s AND t.term {lt} %s"
    elif postgres:
        # one index range per prefix, OR-ed (a bitmap OR of index scans): joined with a VALUES
        # list, PostgreSQL sorts the whole vocabulary and tests every range against every word
        # (seconds for the few hundred ranges of a typo's variants)
        head, source = "", f"{table} t"
        where = "(" + " OR ".join([f"(t.term {ge} %s AND t.term {lt} %s)"] * len(prefixes)) + ")"
    else:  # one index range per prefix: SQLite loops over the VALUES rows
        head = "WITH r(lo, hi) AS (VALUES " + ", ".join(["(%s, %s)"] * len(prefixes)) + ") "
        source = f"r JOIN {table} t ON t.term {ge} r.lo AND t.term {lt} r.hi"
        where = "1 = 1"
    sql = (
        # no DISTINCT: the ranges never overlap (no prefix given extends another)
        f"{head}SELECT t.term, t.doc_count FROM {source}"
        f" WHERE {where} AND t.{column} > 0 AND t.term <> %s"
        f" ORDER BY t.doc_count DESC, {in_byte_order} LIMIT {MAX_COMPLETIONS}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, exclude])
        return {term: int(n) for term, n in cursor.fetchall()}


def typo_corrections(words: Sequence[str], public_only: bool) -> dict[str, tuple[str, int]]:
    """correction → (typed word, document frequency): index words one typo from a typed word
    that the index does not hold (the MAX_TYPO_TERMS most frequent per word)."""
    variants: dict[str, str] = {}
    for word in words[:MAX_TYPO_WORDS]:
        for variant in sorted(text.typo_candidates(word)):
            variants.setdefault(variant, word)
    if not variants:
        return {}
    possible = _may_match(variants)
    found = sorted(lookup(possible, public_only).items(), key=lambda item: (-item[1], item[0]))
    kept: dict[str, tuple[str, int]] = {}
    per_word: Counter[str] = Counter()
    for term, df in found:
        word = variants[term]
        if per_word[word] < MAX_TYPO_TERMS:
            kept[term] = (word, df)
            per_word[word] += 1
    return kept


def prefix_typo_completions(prefix: str, public_only: bool) -> dict[str, int]:
    """Index words whose beginning is one typo from the unfinished last word (refnu → refund,
    refunds): the completions of its one-edit variants."""
    variants = sorted(text.typo_candidates(prefix))
    # a variant that extends another variant adds nothing: its completions are the other's
    kept: list[str] = []
    for variant in variants:
        if not kept or not variant.startswith(kept[-1]):
            kept.append(variant)
    return completions(_may_match(kept), public_only, exclude=prefix)
