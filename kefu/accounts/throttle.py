"""Failed-credential counters in the cache (Redis across processes, process memory embedded).

A fixed window per key: the first failure starts it, later failures count up, and once the
count reaches the limit every further try is refused until the window ends. Only a hash of the
username/IP goes into the cache key, never a password or a token.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class Limit:
    kind: str
    max_failures: int
    window_seconds: int


def login_limit() -> Limit:
    return Limit("login", settings.KEFU_LOGIN_MAX_FAILURES, settings.KEFU_LOGIN_WINDOW_SECONDS)


def token_limit() -> Limit:
    # A wrong token has no username: count per client address, with a higher ceiling since one
    # office can share an address. (Settings with defaults; see docs/security.md.)
    return Limit(
        "token",
        getattr(settings, "KEFU_TOKEN_MAX_FAILURES", 20),
        getattr(settings, "KEFU_TOKEN_WINDOW_SECONDS", 15 * 60),
    )


def _key(limit: Limit, *parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(p.lower() for p in parts).encode()).hexdigest()[:32]
    return f"kefu:throttle:{limit.kind}:{digest}"


def is_locked(limit: Limit, *parts: str) -> bool:
    """True when `parts` (e.g. username and IP) used up their failures in this window."""
    return int(cache.get(_key(limit, *parts), 0)) >= limit.max_failures


def record_failure(limit: Limit, *parts: str) -> int:
    """Count one failure; returns the count in the current window."""
    key = _key(limit, *parts)
    cache.add(key, 0, timeout=limit.window_seconds)  # starts the window; no-op when running
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=limit.window_seconds)
        return 1


def clear(limit: Limit, *parts: str) -> None:
    cache.delete(_key(limit, *parts))


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR") or "-"
