"""Collision detection: who else is looking at (or typing on) a ticket right now.

Kept in Django's cache (not the database): presence is a few seconds old at most and is lost
harmlessly on restart. With several web processes, configure a shared cache (Redis).
"""

from __future__ import annotations

import time

from django.core.cache import cache

TTL_SECONDS = 45  # a viewer who stops polling disappears after this


def _key(ticket_id: int) -> str:
    return f"tickets:presence:{ticket_id}"


def presence_touch(ticket_id: int, user, *, typing: bool = False) -> None:
    """Record that `user` is viewing (typing on) the ticket now."""
    now = time.time()
    viewers = {
        uid: v for uid, v in (cache.get(_key(ticket_id)) or {}).items() if now - v[1] < TTL_SECONDS
    }
    viewers[user.pk] = (str(user), now, typing)
    cache.set(_key(ticket_id), viewers, TTL_SECONDS)


def presence_others(ticket_id: int, user) -> list[dict]:
    """Other people seen on the ticket within the TTL, typing ones first."""
    now = time.time()
    others = [
        {"name": name, "typing": typing, "seconds_ago": int(now - seen)}
        for uid, (name, seen, typing) in (cache.get(_key(ticket_id)) or {}).items()
        if uid != user.pk and now - seen < TTL_SECONDS
    ]
    return sorted(others, key=lambda v: (not v["typing"], v["name"]))
