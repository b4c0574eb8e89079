"""The customer search index: n-gram tokens of `search_text`, looked up by the database's own
inverted index (SQLite FTS5, PostgreSQL GIN), then checked exactly with LIKE.

Why: one- and two-character Chinese terms (张伟, 李) have no trigrams, so a pg_trgm index cannot
serve them, and SQLite has no substring index at all. Instead every customer carries
`search_tokens`, a space-separated list of the n-grams of its lower-cased `search_text`:

- runs of CJK characters (Han, kana, Hangul): every character and every pair of neighbours
  (张伟明 → 张 伟 明 张伟 伟明), so any Chinese term of one or more characters has tokens;
- runs of digits: every 4-gram (13812341234 → 1381 3812 … 1234), so a phone fragment of four or
  more digits has tokens;
- runs of other letters: every trigram (zhang → zha han ang).

A term's own n-grams, computed the same way, are a subset of the tokens of every customer whose
`search_text` contains the term (the term lies inside one word, and each of its runs lies inside
a run of the same kind), so "has all the term's tokens" never loses a match; the exact
`search_text LIKE %term%` on those few candidates removes the false ones. Terms without any
n-gram (one or two Latin letters, one to three digits, punctuation) are matched by LIKE alone.

No Django imports at module level except in the functions that touch the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

CJK = (
    "\u3040-\u30ff"  # hiragana, katakana
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uac00-\ud7af"  # Hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\U00020000-\U0003134f"  # extensions B–G
)
_RUN = re.compile(rf"(?P<cjk>[{CJK}]+)|(?P<digits>[0-9]+)|(?P<letters>[^\W\d_{CJK}]+)")
_CJK_RUN = re.compile(f"[{CJK}]+")  # the same runs as _RUN, one kind at a time (faster)
_DIGIT_RUN = re.compile("[0-9]+")
_LETTER_RUN = re.compile(rf"[^\W\d_{CJK}]+")
DIGIT_GRAM = 4
LETTER_GRAM = 3
MAX_TERM_TOKENS = 4


def _runs(text: str) -> Iterable[tuple[str, str]]:
    for match in _RUN.finditer(text):
        yield match.lastgroup or "", match.group()


def _grams(run: str, n: int) -> Iterable[str]:
    return (run[i : i + n] for i in range(len(run) - n + 1))


def text_tokens(text: str) -> set[str]:
    """Every n-gram token of a (lower-cased) search text."""
    text = text.lower()
    tokens: set[str] = set()
    for run in _CJK_RUN.findall(text):
        tokens.update(run)
        tokens.update([run[i : i + 2] for i in range(len(run) - 1)])
    for run in _DIGIT_RUN.findall(text):
        tokens.update([run[i : i + DIGIT_GRAM] for i in range(len(run) - DIGIT_GRAM + 1)])
    for run in _LETTER_RUN.findall(text):
        tokens.update([run[i : i + LETTER_GRAM] for i in range(len(run) - LETTER_GRAM + 1)])
    return tokens


def search_tokens(text: str) -> str:
    """The `search_tokens` column for a search text: its tokens, sorted, space-separated."""
    return " ".join(sorted(text_tokens(text)))


def _spread(items: list[str], count: int) -> list[str]:
    """`count` items spread evenly over `items`, first and last included."""
    if len(items) <= count:
        return items
    if count == 1:
        return items[:1]
    step = (len(items) - 1) / (count - 1)
    return [items[round(i * step)] for i in range(count)]


def term_tokens(term: str, limit: int = MAX_TERM_TOKENS) -> list[str]:
    """Tokens every customer matching `term` has; at most `limit`, the most selective kinds first.

    A one- or two-character Chinese run is its own token; longer runs use their bigrams (the
    LIKE check makes the match exact). Digit 4-grams are the rarest tokens, then Chinese
    bigrams, then letter trigrams (com, exa… are everywhere), so a few of the rarer kind, spread
    over the term, keep the index lookup short without losing selectivity.
    """
    groups: dict[str, list[str]] = {"digits": [], "cjk": [], "letters": []}
    for kind, run in _runs(term.lower()):
        if kind == "cjk":
            grams = [run] if len(run) <= 2 else list(_grams(run, 2))
        elif kind == "digits":
            grams = list(_grams(run, DIGIT_GRAM))
        else:
            grams = list(_grams(run, LETTER_GRAM))
        seen = groups[kind]
        seen += [g for g in grams if g not in seen]
    wanted: list[str] = []
    for kind in ("digits", "cjk", "letters"):
        room = limit - len(wanted)
        if room <= 0:
            break
        wanted += _spread(groups[kind], room)
    return wanted


def term_is_exact(term: str) -> bool:
    """Whether having `term`'s one token already means containing `term` (李, 张伟, 1234, wei):
    then no LIKE check is needed, which also lets the planner estimate the matches well."""
    runs = list(_runs(term.lower()))
    if len(runs) != 1 or runs[0][1] != term.lower():
        return False
    kind, run = runs[0]
    return (
        (kind == "cjk" and len(run) <= 2)
        or (kind == "digits" and len(run) == DIGIT_GRAM)
        or (kind == "letters" and len(run) == LETTER_GRAM)
    )


# --- the database side --------------------------------------------------------------------------

FTS_TABLE = "customers_customer_fts"


def create_index_sql(vendor: str) -> list[str]:
    """DDL of the inverted index over customers_customer.search_tokens."""
    if vendor == "postgresql":
        return [
            "CREATE INDEX IF NOT EXISTS customers_customer_search_tokens_gin "
            "ON customers_customer USING gin ((string_to_array(search_tokens, ' ')))"
        ]
    if vendor == "sqlite":
        return [
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(search_tokens, "
            "content='customers_customer', content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 0', detail='none')",
            f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ai AFTER INSERT ON customers_customer "
            f"BEGIN INSERT INTO {FTS_TABLE}(rowid, search_tokens) "
            "VALUES (new.id, new.search_tokens); END",
            f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ad AFTER DELETE ON customers_customer "
            f"BEGIN INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_tokens) "
            "VALUES ('delete', old.id, old.search_tokens); END",
            f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_au AFTER UPDATE OF search_tokens "
            "ON customers_customer "
            f"BEGIN INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_tokens) "
            "VALUES ('delete', old.id, old.search_tokens); "
            f"INSERT INTO {FTS_TABLE}(rowid, search_tokens) "
            "VALUES (new.id, new.search_tokens); END",
        ]
    return []


def drop_index_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return ["DROP INDEX IF EXISTS customers_customer_search_tokens_gin"]
    if vendor == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {FTS_TABLE}_ai",
            f"DROP TRIGGER IF EXISTS {FTS_TABLE}_ad",
            f"DROP TRIGGER IF EXISTS {FTS_TABLE}_au",
            f"DROP TABLE IF EXISTS {FTS_TABLE}",
        ]
    return []


def _fts_phrase(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def token_filter(tokens: list[str]):
    """A queryset filter (Q-able expression) for customers having every token, or None."""
    from django.db import connection
    from django.db.models import BooleanField, Q
    from django.db.models.expressions import RawSQL

    if not tokens:
        return None
    if connection.vendor == "postgresql":
        return Q(
            RawSQL(
                "string_to_array(customers_customer.search_tokens, ' ') @> %s::text[]",
                [tokens],
                output_field=BooleanField(),
            )
        )
    if connection.vendor == "sqlite":
        expression = " AND ".join(_fts_phrase(t) for t in tokens)
        return Q(
            id__in=RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [expression])
        )
    return None  # other databases: LIKE alone


CANDIDATE_LIMIT = 1000


def token_filter_for_postgresql(tokens: list[str]):
    """On PostgreSQL, the customers having every token as an `id IN (…)` list when there are at
    most CANDIDATE_LIMIT of them, else None: the terms are then checked by LIKE alone.

    Why: with ORDER BY id DESC LIMIT 25 the planner likes to walk the primary key backwards and
    test every row, which costs a full scan for a rare term (张伟: 0.5 s at 300,000 customers),
    and it underestimates how many customers share several trigrams (emma: bitmap scan and sort
    of 21,000 rows). Asking for the ids first (no ORDER BY) lets it use the GIN index; a common
    term (李, emma) is then matched by LIKE, walking the newest customers first.
    """
    from django.db import connection
    from django.db.models import Q

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM customers_customer "
            "WHERE string_to_array(search_tokens, ' ') @> %s::text[] LIMIT %s",
            [tokens, CANDIDATE_LIMIT + 1],
        )
        ids = [row[0] for row in cursor.fetchall()]
    if len(ids) <= CANDIDATE_LIMIT:
        return Q(id__in=ids)
    if len(tokens) == 1:  # 李, 华信: the statistics of one token are good, keep the index
        return token_filter(tokens)
    return None  # common trigrams (emma): LIKE alone; walking the newest first finds them at once


def rebuild(*, batch_size: int = 5000, progress=None) -> int:
    """Recompute `search_tokens` of every customer from `search_text` and rebuild the index.

    Returns the number of customers whose tokens changed. `progress(done, total)` is called
    after each batch.
    """
    from django.db import connection, transaction

    from kefu.customers.models import Customer

    total = Customer.objects.count()
    changed = done = 0
    last_id = 0
    while True:
        with transaction.atomic():
            rows = list(
                Customer.objects.filter(id__gt=last_id)
                .order_by("id")
                .values_list("id", "search_text", "search_tokens")[:batch_size]
            )
            if not rows:
                break
            stale = [
                Customer(id=pk, search_tokens=fresh)
                for pk, text, tokens in rows
                if (fresh := search_tokens(text)) != tokens
            ]
            Customer.objects.bulk_update(stale, ["search_tokens"], batch_size=1000)
        changed += len(stale)
        done += len(rows)
        last_id = rows[-1][0]
        if progress:
            progress(done, total)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The GIN index follows every UPDATE; it is created only if missing.
            cursor.execute(
                "SELECT 1 FROM pg_indexes WHERE indexname = 'customers_customer_search_tokens_gin'"
            )
            if cursor.fetchone() is None:
                for statement in create_index_sql("postgresql"):
                    cursor.execute(statement)
        elif connection.vendor == "sqlite":
            for statement in create_index_sql("sqlite"):  # IF NOT EXISTS: missing parts only
                cursor.execute(statement)
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
    return changed
