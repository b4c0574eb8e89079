"""Text analysis and ranking for the knowledge base — pure functions, no Django imports.

Tokens: Chinese runs are cut with jieba's search mode (a long word also yields its shorter
dictionary words, so 退货政策 gives 退货 and 政策); Latin letters and digits are lower-cased
words with no stemming. Ranking is BM25F (Robertson, Zaragoza & Taylor 2004, "Simple BM25
extension to multiple weighted fields"): the title's term frequency and length count
`TITLE_WEIGHT` times, then ordinary BM25 (Robertson & Zaragoza 2009, eq. 3.15) applies.
"""

from __future__ import annotations

import html
import logging
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

K1 = 1.2
B = 0.75
TITLE_WEIGHT = 3
SYNONYM_WEIGHT = 0.8  # a synonym's match counts a little less than the word the user typed
PREFIX_WEIGHT = 0.7  # same for a completion of the last, unfinished word
TYPO_WEIGHT = 0.5  # a word one typo away from what was typed counts least
TYPO_MIN_LENGTH = 4  # shorter words have too many neighbours one edit away (card/cart/care)
_TYPO_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
MAX_TERM_LENGTH = 40

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_CJK}]+|[a-z0-9]+(?:[.'][a-z0-9]+)*")
_CJK_RUN = re.compile(rf"^[{_CJK}]+$")

# Words that carry no meaning for ranking. Kept short on purpose: BM25's idf already discounts
# frequent words; these are the ones that would otherwise fill every posting list.
_STOP_WORDS_TEXT = (
    "a an and are as at be by can do does for from how i if in is it my of on or the to "
    "what when where which with you your 的 了 吗 呢 吧 啊 是 在 和 与 及 我 你 您 他 她 它 "
    "我们 怎么 怎么办 如何 什么 为什么 可以 能 会 有 没有 一个 这个 那个 请问"
)
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

_tokenizer = None
_tokenizer_lock = threading.Lock()
_extra_words: set[str] = set()


def _jieba():
    global _tokenizer
    if _tokenizer is None:
        with _tokenizer_lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                for word in sorted(_extra_words):
                    tokenizer.add_word(word, freq=2000)
                _tokenizer = tokenizer
    return _tokenizer


def add_words(words: Iterable[str]) -> None:
    """Teach the Chinese tokenizer extra words (synonyms such as 退钱) so they stay whole."""
    new = {w.strip().lower() for w in words if w and _CJK_RUN.match(w.strip())} - _extra_words
    if not new:
        return
    _extra_words.update(new)
    if _tokenizer is not None:
        for word in sorted(new):
            _tokenizer.add_word(word, freq=2000)


def tokenize(text: str, *, keep_stop_words: bool = False) -> list[str]:
    """Return the index terms of `text` in order (repeats kept, so counts are term frequencies)."""
    terms: list[str] = []
    for run in _RUN.findall((text or "").lower()):
        if run[0].isascii():
            pieces = [run]
        else:
            pieces = [p for p in _jieba().lcut_for_search(run) if p.strip()]
        for piece in pieces:
            if len(piece) > MAX_TERM_LENGTH:
                continue
            if keep_stop_words or piece not in STOP_WORDS:
                terms.append(piece)
    return terms


def term_frequencies(title: str, body: str) -> tuple[dict[str, tuple[int, int]], int, int]:
    """(term → (tf in title, tf in body), title length, body length) for one document."""
    title_terms, body_terms = tokenize(title), tokenize(body)
    in_title, in_body = Counter(title_terms), Counter(body_terms)
    freqs = {term: (in_title.get(term, 0), in_body.get(term, 0)) for term in in_title | in_body}
    return freqs, len(title_terms), len(body_terms)


def weighted_length(title_len, body_len):
    """The BM25F document length: the title counts TITLE_WEIGHT times."""
    return TITLE_WEIGHT * np.asarray(title_len) + np.asarray(body_len)


def idf(doc_freq, doc_count: int):
    """BM25's idf, log(1 + (N − df + 0.5)/(df + 0.5)) — never negative (Lucene's variant)."""
    df = np.asarray(doc_freq, dtype=float)
    return np.log1p((doc_count - df + 0.5) / (df + 0.5))


def bm25f(tf_title, tf_body, title_len, body_len, term_idf, avg_length: float):
    """BM25F score of each posting: idf · tf'(k1+1) / (tf' + k1(1 − b + b·dl/avgdl)).

    tf' = TITLE_WEIGHT·tf_title + tf_body and dl is the weighted length; all arguments broadcast.
    """
    tf = TITLE_WEIGHT * np.asarray(tf_title, dtype=float) + np.asarray(tf_body, dtype=float)
    dl = weighted_length(title_len, body_len).astype(float)
    norm = K1 * (1.0 - B + B * dl / np.maximum(avg_length, 1e-9))
    return np.asarray(term_idf, dtype=float) * tf * (K1 + 1.0) / (tf + norm)


def query_terms(query: str) -> tuple[list[str], str | None]:
    """The distinct terms of a search box's text, and the last word if it may be unfinished.

    The last word is a prefix candidate unless the user typed a space after it. Stop words are
    dropped unless the query has nothing else.
    """
    terms = list(dict.fromkeys(tokenize(query)))
    if not terms:
        terms = list(dict.fromkeys(tokenize(query, keep_stop_words=True)))
    prefix = None
    stripped = (query or "").rstrip()
    if terms and stripped and stripped == query:
        runs = _RUN.findall(stripped.lower())
        last = runs[-1] if runs else ""
        if last.isascii() and len(last) >= 2:
            prefix = last
        elif not last.isascii() and len(terms[-1]) == 1 and last.endswith(terms[-1]):
            # Chinese arrives word by word from the input method; only a lone character
            # (退 …) is an unfinished word worth completing.
            prefix = terms[-1]
    return terms, prefix


def typo_candidates(word: str) -> set[str]:
    """The words one edit from `word` (Damerau–Levenshtein distance 1: a letter deleted,
    inserted, replaced, or two neighbours swapped — Damerau 1964), for Latin words of at least
    TYPO_MIN_LENGTH characters; empty for Chinese and short words. `word` itself is excluded."""
    if not word or not word.isascii() or len(word) < TYPO_MIN_LENGTH:
        return set()
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in _TYPO_ALPHABET}
    out |= {a + c + b for a, b in splits for c in _TYPO_ALPHABET}
    out.discard(word)
    return {w for w in out if len(w) <= MAX_TERM_LENGTH}


def edit_distance(a: str, b: str) -> int:
    """Optimal-string-alignment distance (Damerau–Levenshtein with adjacent swaps)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


def expand_synonyms(
    terms: Sequence[str], groups: Iterable[Sequence[str]]
) -> dict[str, tuple[str, float]]:
    """term → (the query term it stands for, weight): the typed terms (weight 1) and their
    synonyms (SYNONYM_WEIGHT). A synonym already typed keeps weight 1."""
    expanded = {term: (term, 1.0) for term in terms}
    for group in groups:
        members = [w.lower() for w in group if w]
        for term in terms:
            if term in members:
                for other in members:
                    expanded.setdefault(other, (term, SYNONYM_WEIGHT))
    return expanded


def highlight(text: str, words: Iterable[str] | re.Pattern | None) -> str:
    """HTML-escaped `text` with every occurrence of `words` (case-insensitive) in <mark>.

    `words` may be a pattern from `words_pattern` (a search compiles it once for all hits)."""
    pattern = words if isinstance(words, re.Pattern) or words is None else words_pattern(words)
    if pattern is None:
        return html.escape(text or "")
    out, pos = [], 0
    for match in pattern.finditer(text or ""):
        out.append(html.escape(text[pos : match.start()]))
        out.append(f"<mark>{html.escape(match.group(0))}</mark>")
        pos = match.end()
    out.append(html.escape((text or "")[pos:]))
    return "".join(out)


def snippet(text: str, words: Iterable[str] | re.Pattern | None, width: int = 160) -> str:
    """About `width` characters of `text` around the first match, highlighted and escaped."""
    pattern = words if isinstance(words, re.Pattern) or words is None else words_pattern(words)
    text = re.sub(r"\s+", " ", text or "").strip()
    match = pattern.search(text) if pattern else None
    start = 0 if match is None else max(0, match.start() - width // 3)
    end = min(len(text), start + width)
    piece = text[start:end]
    return ("…" if start else "") + highlight(piece, pattern) + ("…" if end < len(text) else "")


def words_pattern(words: Iterable[str]) -> re.Pattern | None:
    """Longest words first; Latin words only as whole words ("art" does not mark "start"),
    Chinese words anywhere (Chinese has no spaces between words)."""
    unique = sorted({w for w in words if w and w.strip()}, key=lambda w: (-len(w), w))
    if not unique:
        return None
    # One group for the Latin words, case-insensitive, and the Chinese words as they are: a
    # third of the compile time of one case-insensitive alternative per word (a ticket's ten
    # words compile afresh for every suggestion). Index words are all-Latin or all-Chinese, so
    # the two groups never compete for the same text.
    latin = [re.escape(w) for w in unique if w.isascii()]
    parts = [re.escape(w) for w in unique if not w.isascii()]
    if latin:
        parts.insert(0, rf"(?<![a-zA-Z0-9])(?i:{'|'.join(latin)})(?![a-zA-Z0-9])")
    return re.compile("|".join(parts))


def rank(scores: np.ndarray, ids: np.ndarray, limit: int) -> list[tuple[int, float]]:
    """The `limit` best (id, score) pairs: highest score first, lower id first on ties."""
    if len(ids) == 0:
        return []
    order = np.lexsort((ids, -np.round(scores, 9)))[:limit]
    return [(int(ids[i]), float(scores[i])) for i in order]
