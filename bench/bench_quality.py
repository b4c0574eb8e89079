"""KPI computation benchmark (issue 11): 500 agents over a year with 5,000,000 tickets in < 10 s.

    .venv/bin/python bench/bench_quality.py --quick     # 50 agents, 200,000 tickets
    .venv/bin/python bench/bench_quality.py             # 500 agents, 5,000,000 tickets

Draws a synthetic year of stored facts in the shape kefu.quality.loaders produces (tickets,
status and assignment events with transfers, pending pauses and reopenings, public messages,
agent actions, calls, SLA outcomes, CSAT answers, QA scores, compensation) with numpy, then
times kefu.quality.kpis.compute_kpis per agent × week, per team × month and for the company
× day. The generation is not timed. Pure polars: no database, no Django settings needed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kefu.quality.kpis import KpiFrames, compute_kpis

TARGET_S = 10.0
YEAR_START = dt.datetime(2026, 1, 1)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthetic_frames(n_tickets: int, n_agents: int, seed: int = 7) -> KpiFrames:
    rng = np.random.default_rng(seed)
    n_teams = max(1, n_agents // 25)
    us = 1_000_000
    year_us = 365 * 86_400 * us
    ids = np.arange(1, n_tickets + 1, dtype=np.int64)
    created = rng.integers(0, year_us, n_tickets)
    agent = rng.integers(1, n_agents + 1, n_tickets)
    team = (agent - 1) % n_teams + 1
    first_reply = created + rng.exponential(1800 * us, n_tickets).astype(np.int64)
    solved = first_reply + rng.exponential(6 * 3600 * us, n_tickets).astype(np.int64)
    paused = rng.random(n_tickets) < 0.3  # waited for the customer
    pause_start = first_reply + 60 * us
    pause_end = pause_start + rng.exponential(3600 * us, n_tickets).astype(np.int64)
    solved = np.where(paused, np.maximum(solved, pause_end + 60 * us), solved)
    reopened = rng.random(n_tickets) < 0.08
    reopen_at = solved + rng.exponential(86_400 * us, n_tickets).astype(np.int64)
    resolved_again = reopen_at + rng.exponential(3 * 3600 * us, n_tickets).astype(np.int64)
    transferred = rng.random(n_tickets) < 0.1
    transfer_at = first_reply + 30 * us
    new_agent = rng.integers(1, n_agents + 1, n_tickets)

    def ts(values) -> pl.Series:
        return pl.Series(values + int(YEAR_START.timestamp()) * us).cast(pl.Datetime("us"))

    def cat(*parts):
        return np.concatenate(parts)

    p, r = np.flatnonzero(paused), np.flatnonzero(reopened)
    status = pl.DataFrame(
        {
            "ticket_id": cat(ids, ids[p], ids[p], ids, ids[r], ids[r]),
            "at": ts(
                cat(
                    first_reply,
                    pause_start[p],
                    pause_end[p],
                    solved,
                    reopen_at[r],
                    resolved_again[r],
                )
            ),
            "status": ["open"] * n_tickets
            + ["pending"] * p.size
            + ["open"] * p.size
            + ["solved"] * n_tickets
            + ["open"] * r.size
            + ["solved"] * r.size,
        }
    )
    t = np.flatnonzero(transferred)
    owner = pl.DataFrame(
        {
            "ticket_id": ids[t],
            "at": ts(transfer_at[t]),
            "field": ["assignee"] * t.size,
            "old": agent[t],
            "new": new_agent[t],
        }
    )
    final_agent = np.where(transferred, new_agent, agent)
    messages = pl.DataFrame(
        {
            "ticket_id": cat(ids, ids[p], ids[p]),
            "at": ts(cat(first_reply, pause_end[p] - 30 * us, pause_end[p] + 600 * us)),
            "kind": ["reply"] * n_tickets + ["customer"] * p.size + ["reply"] * p.size,
            "author_id": cat(agent, np.zeros(p.size, dtype=np.int64), final_agent[p]),
        }
    ).with_columns(pl.col("author_id").replace(0, None))
    work = pl.DataFrame(
        {
            "ticket_id": cat(ids, ids, ids[p]),
            "at": ts(cat(first_reply, solved, pause_end[p] + 600 * us)),
            "actor_id": cat(agent, final_agent, final_agent[p]),
        }
    )
    phone = rng.random(n_tickets) < 0.3
    c = np.flatnonzero(phone)
    calls = pl.DataFrame(
        {
            "ticket_id": ids[c],
            "agent_id": agent[c],
            "at": ts(created[c] + 20 * us),
            "talk_s": rng.exponential(240, c.size),
            "wrap_s": rng.exponential(45, c.size),
        }
    )
    sla = pl.DataFrame(
        {
            "ticket_id": cat(ids, ids),
            "at": ts(cat(first_reply, solved)),
            "breached": rng.random(2 * n_tickets) < 0.12,
        }
    )
    s = np.flatnonzero(rng.random(n_tickets) < 0.2)
    csat = pl.DataFrame(
        {
            "ticket_id": ids[s],
            "agent_id": final_agent[s],
            "team_id": team[s],
            "at": ts(solved[s] + 3600 * us),
            "value": rng.integers(1, 6, s.size).astype(float),
        }
    )
    q = np.flatnonzero(rng.random(n_tickets) < 0.02)
    qa = pl.DataFrame(
        {
            "ticket_id": ids[q],
            "agent_id": final_agent[q],
            "team_id": team[q],
            "at": ts(solved[q] + 86_400 * us),
            "score": rng.uniform(50, 100, q.size),
        }
    )
    m = np.flatnonzero(rng.random(n_tickets) < 0.03)
    compensation = pl.DataFrame(
        {
            "ticket_id": ids[m],
            "agent_id": final_agent[m],
            "at": ts(solved[m] - 600 * us),
            "amount": rng.uniform(10, 500, m.size),
        }
    )
    tickets = pl.DataFrame(
        {"ticket_id": ids, "created_at": ts(created), "assignee_id": final_agent, "team_id": team}
    )
    return KpiFrames(
        tickets=tickets,
        status_events=status,
        owner_events=owner,
        messages=messages,
        work_events=work,
        calls=calls,
        sla=sla,
        csat=csat,
        qa=qa,
        compensation=compensation,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 agents, 200,000 tickets")
    args = parser.parse_args()
    n_tickets, n_agents = (200_000, 50) if args.quick else (5_000_000, 500)
    t0 = time.perf_counter()
    frames = synthetic_frames(n_tickets, n_agents)
    rows = sum(getattr(frames, name).height for name in frames.__dataclass_fields__)
    print(
        f"generated {n_tickets:,} tickets, {n_agents} agents, {rows:,} fact rows "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    start, end = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    runs = [("agent", "week"), ("team", "month"), ("company", "day")]
    for level, period in runs:
        t0 = time.perf_counter()
        report = compute_kpis(
            frames, level=level, period=period, start=start, end=end, tz="Asia/Shanghai"
        )
        elapsed = time.perf_counter() - t0
        scaled = elapsed * (5_000_000 / n_tickets) if args.quick else elapsed
        verdict = "OK" if scaled < TARGET_S else "SLOW"
        note = f" (≈ {scaled:.1f} s linearly scaled to 5 M)" if args.quick else ""
        print(
            f"KPIs per {level} × {period}: {report.height:,} rows in {elapsed:.2f} s{note}"
            f" — target < {TARGET_S:.0f} s for 5 M tickets: {verdict}"
        )
    print(f"peak memory {peak_mb():,.0f} MB")


if __name__ == "__main__":
    main()
