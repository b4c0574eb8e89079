"""KPI definitions and their computation from stored event frames (M36).

Pure: polars frames in, one polars frame out; the only Django import is the lazy translation
of labels. Every figure comes from stored events (ticket status/assignment events, messages,
SLA clocks, call records, survey answers, compensation, QA evaluations), never typed in.

Attribution: a measure belongs to the agent and team that owned the ticket at the moment the
measure happened (an as-of join on the assignment history), so transfers move later work to
the new owner. Periods are local calendar days, ISO weeks (Monday) or months.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class KpiDefinition:
    code: str
    label: object
    unit: str  # "count", "s", "%", "score", "amount"
    higher_is_better: bool
    definition: object


def _d(code, label, unit, higher, definition) -> tuple[str, KpiDefinition]:
    return code, KpiDefinition(code, label, unit, higher, definition)


KPI_DEFINITIONS: dict[str, KpiDefinition] = dict(
    [
        _d(
            "tickets_created",
            _("Tickets created"),
            "count",
            False,
            _("Tickets created in the period (owner at creation)."),
        ),
        _d(
            "tickets_solved",
            _("Tickets solved"),
            "count",
            True,
            _("Moves to Solved in the period; a ticket solved again after reopening counts again."),
        ),
        _d(
            "first_response_s",
            _("First response time"),
            "s",
            False,
            _("Mean time from creation to the first public reply, by the agent who replied."),
        ),
        _d(
            "next_response_s",
            _("Next response time"),
            "s",
            False,
            _("Mean time from a customer's message (after the first reply) to the next reply."),
        ),
        _d(
            "handling_s",
            _("Average handling time"),
            "s",
            False,
            _(
                "Agent work per ticket worked: call talk and wrap-up time plus written work "
                "sessions (actions less than 10 minutes apart, 2 minutes for a session's "
                "first action)."
            ),
        ),
        _d(
            "fcr_rate",
            _("First-contact resolution"),
            "%",
            True,
            _("Share of first solves with at most one reply or call, one owner and no reopening."),
        ),
        _d(
            "reopen_rate",
            _("Reopen rate"),
            "%",
            False,
            _("Share of first solves in the period that were reopened later."),
        ),
        _d(
            "resolution_s",
            _("Resolution time"),
            "s",
            False,
            _(
                "Mean time from creation to Solved, less the time spent Pending or On hold "
                "(waiting for the customer or a third party)."
            ),
        ),
        _d(
            "backlog",
            _("Backlog"),
            "count",
            False,
            _("Unsolved tickets at the end of the period (owner at that moment)."),
        ),
        _d(
            "backlog_age_s",
            _("Backlog age"),
            "s",
            False,
            _("Mean age of the backlog tickets at the end of the period."),
        ),
        _d(
            "sla_compliance",
            _("SLA compliance"),
            "%",
            True,
            _("Share of SLA clocks (first response, next response, resolution) met in time."),
        ),
        _d(
            "csat",
            _("CSAT"),
            "%",
            True,
            _("Share of 4–5 answers to CSAT questions (1–5) submitted in the period."),
        ),
        _d(
            "qa_score",
            _("QA score"),
            "score",
            True,
            _("Mean score (0–100) of QA evaluations made in the period."),
        ),
        _d(
            "compensation_amount",
            _("Compensation granted"),
            "amount",
            False,
            _("Sum of approved or granted compensation decided in the period."),
        ),
    ]
)

KPI_CODES: tuple[str, ...] = tuple(KPI_DEFINITIONS)
LEVELS = ("company", "team", "agent")
PERIODS = ("day", "week", "month")
OPEN_STATUSES = ("new", "open", "pending", "on_hold")
PAUSED_STATUSES = ("pending", "on_hold")
DONE_STATUSES = ("solved", "closed", "merged")
# Additive KPIs show 0 when nothing happened; means and rates stay empty (no denominator).
ZERO_WHEN_EMPTY = ("tickets_created", "tickets_solved", "backlog", "compensation_amount")
_TRUNCATE = {"day": "1d", "week": "1w", "month": "1mo"}

_TS = pl.Datetime("us")
SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    # Times are naive UTC. `assignee_id`/`team_id` are the current owner (used when no
    # assignment event records the initial one).
    "tickets": {
        "ticket_id": pl.Int64,
        "created_at": _TS,
        "assignee_id": pl.Int64,
        "team_id": pl.Int64,
    },
    # One row per status change: the new status ("merged" for a merged-away duplicate).
    "status_events": {"ticket_id": pl.Int64, "at": _TS, "status": pl.Utf8},
    # One row per assignee or team change: field is "assignee" or "team".
    "owner_events": {
        "ticket_id": pl.Int64,
        "at": _TS,
        "field": pl.Utf8,
        "old": pl.Int64,
        "new": pl.Int64,
    },
    # Public conversation: kind "customer" or "reply".
    "messages": {"ticket_id": pl.Int64, "at": _TS, "kind": pl.Utf8, "author_id": pl.Int64},
    # Agents' actions on tickets (replies, notes, status changes, edits).
    "work_events": {"ticket_id": pl.Int64, "at": _TS, "actor_id": pl.Int64},
    "calls": {
        "ticket_id": pl.Int64,
        "agent_id": pl.Int64,
        "at": _TS,
        "talk_s": pl.Float64,
        "wrap_s": pl.Float64,
    },
    # One row per finished SLA clock: `at` = met or breached time.
    "sla": {"ticket_id": pl.Int64, "at": _TS, "breached": pl.Boolean},
    "csat": {
        "ticket_id": pl.Int64,
        "agent_id": pl.Int64,
        "team_id": pl.Int64,
        "at": _TS,
        "value": pl.Float64,
    },
    "qa": {
        "ticket_id": pl.Int64,
        "agent_id": pl.Int64,
        "team_id": pl.Int64,
        "at": _TS,
        "score": pl.Float64,
    },
    "compensation": {
        "ticket_id": pl.Int64,
        "agent_id": pl.Int64,
        "at": _TS,
        "amount": pl.Float64,
    },
}


def empty_frame(name: str) -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMAS[name])


@dataclass
class KpiFrames:
    """The stored facts KPIs are computed from (see SCHEMAS for the columns)."""

    tickets: pl.DataFrame = field(default_factory=lambda: empty_frame("tickets"))
    status_events: pl.DataFrame = field(default_factory=lambda: empty_frame("status_events"))
    owner_events: pl.DataFrame = field(default_factory=lambda: empty_frame("owner_events"))
    messages: pl.DataFrame = field(default_factory=lambda: empty_frame("messages"))
    work_events: pl.DataFrame = field(default_factory=lambda: empty_frame("work_events"))
    calls: pl.DataFrame = field(default_factory=lambda: empty_frame("calls"))
    sla: pl.DataFrame = field(default_factory=lambda: empty_frame("sla"))
    csat: pl.DataFrame = field(default_factory=lambda: empty_frame("csat"))
    qa: pl.DataFrame = field(default_factory=lambda: empty_frame("qa"))
    compensation: pl.DataFrame = field(default_factory=lambda: empty_frame("compensation"))

    def normalised(self) -> KpiFrames:
        """Cast every frame to its schema (missing columns are an error, extra ones dropped)."""
        out = {}
        for name, schema in SCHEMAS.items():
            frame: pl.DataFrame = getattr(self, name)
            missing = set(schema) - set(frame.columns)
            if missing:
                raise ValueError(f"{name}: missing columns {sorted(missing)}")
            out[name] = frame.select(
                [pl.col(c).cast(t, strict=False).alias(c) for c, t in schema.items()]
            )
        return KpiFrames(**out)


@dataclass(frozen=True)
class KpiSettings:
    session_gap_s: float = 600.0  # actions further apart start a new work session
    first_action_s: float = 120.0  # credited to a session's first written action
    fcr_max_contacts: int = 1  # replies + calls allowed for first-contact resolution


# --- ownership -------------------------------------------------------------------------------


def _owner_timelines(frames: KpiFrames) -> dict[str, pl.DataFrame]:
    """Per field ("assignee", "team"): ticket_id, at, value — the owner from `at` onwards."""
    out = {}
    for fld, current in (("assignee", "assignee_id"), ("team", "team_id")):
        changes = frames.owner_events.filter(pl.col("field") == fld).sort("ticket_id", "at")
        first_old = changes.group_by("ticket_id").agg(pl.col("old").first().alias("first_old"))
        initial = (
            frames.tickets.join(first_old, on="ticket_id", how="left")
            .with_columns(
                pl.when(pl.col("ticket_id").is_in(first_old["ticket_id"].implode()))
                .then(pl.col("first_old"))
                .otherwise(pl.col(current))
                .alias("value")
            )
            .select("ticket_id", pl.col("created_at").alias("at"), "value")
        )
        timeline = pl.concat(
            [initial, changes.select("ticket_id", "at", pl.col("new").alias("value"))]
        )
        out[fld] = timeline.sort("at")
    return out


_TICKET_BITS = 23  # ticket ids below 2**23 (8.3 M) use the fast combined-key as-of join
_MS_BITS = 40  # 2**40 ms ≈ 34 years of history after the earliest timestamp


def _combined_key(frame: pl.DataFrame, base_ms: int) -> pl.Expr:
    ms = pl.col("at").dt.epoch("ms") - base_ms
    return (pl.col("ticket_id").cast(pl.Int64) * (1 << _MS_BITS) + ms).alias("_key")


def _keyed_owners(owners: dict[str, pl.DataFrame]) -> dict | None:
    """Owner timelines keyed for the fast as-of join, or None when ids/times overflow the key."""
    both = pl.concat([owners["assignee"], owners["team"]])
    if both.is_empty():
        return None
    base = both["at"].min()
    if (both["ticket_id"].max() or 0) >= (1 << _TICKET_BITS):
        return None
    base_ms = int(pl.Series([base]).dt.epoch("ms")[0])
    keyed = {"_base_ms": base_ms}
    for fld, frame in owners.items():
        keyed[fld] = (
            frame.with_columns(_combined_key(frame, base_ms))
            .select("_key", pl.col("ticket_id").alias("_tid"), "value")
            .sort("_key")
        )
    return keyed


def _attach_owner(
    records: pl.DataFrame, owners: dict[str, pl.DataFrame], *, agent=True, team=True
) -> pl.DataFrame:
    """Add agent_id / team_id: the ticket's owner at each record's `at` (as-of join).

    One as-of join on ticket_id·2⁴⁰ + milliseconds (several times faster than a grouped as-of
    join on millions of rows); a grouped join when ids or times do not fit the key."""
    wanted = [
        (f, n) for f, n, on in (("assignee", "agent_id", agent), ("team", "team_id", team)) if on
    ]
    keyed = owners.get("_keyed")
    if records.is_empty():
        return records.with_columns([pl.lit(None, dtype=pl.Int64).alias(n) for _, n in wanted])
    fits = keyed is not None and (records["ticket_id"].max() or 0) < (1 << _TICKET_BITS)
    if not fits:
        records = records.sort("at")
        for fld, name in wanted:
            records = records.join_asof(
                owners[fld].rename({"at": "_at", "value": name}),
                left_on="at",
                right_on="_at",
                by="ticket_id",
                strategy="backward",
                check_sortedness=False,  # sorted by "at" on both sides
            ).drop("_at")
        return records
    records = records.with_columns(_combined_key(records, keyed["_base_ms"])).sort("_key")
    for fld, name in wanted:
        records = (
            records.join_asof(keyed[fld], on="_key", strategy="backward")
            # A record before its ticket's first row would pick up the previous ticket's row.
            .with_columns(
                pl.when(pl.col("_tid") == pl.col("ticket_id")).then(pl.col("value")).alias(name)
            )
            .drop("_tid", "value")
        )
    return records.drop("_key")


def _in_group(shifted: pl.Expr, n: int, by: tuple[str, ...] = ("ticket_id",)) -> pl.Expr:
    """`shifted` where the row `n` away belongs to the same group (frame sorted by `by`);
    plain shifts with a mask are much faster than window functions over millions of tickets."""
    same = pl.all_horizontal([pl.col(c) == pl.col(c).shift(n) for c in by])
    return pl.when(same).then(shifted).otherwise(None)


def _group_cum_sum(value: pl.Expr, by: str = "ticket_id") -> pl.Expr:
    """Running sum restarting at each group (frame sorted by `by`), without a window."""
    total = value.cum_sum()
    first = pl.col(by) != pl.col(by).shift(1)
    offset = pl.when(first.fill_null(True)).then(total - value).otherwise(None).forward_fill()
    return total - offset


def _status_timeline(frames: KpiFrames) -> pl.DataFrame:
    """ticket_id, at, status, prev_status, until — every status interval of every ticket."""
    initial = frames.tickets.select(
        "ticket_id", pl.col("created_at").alias("at"), pl.lit("new").alias("status")
    )
    timeline = pl.concat([initial, frames.status_events]).sort("ticket_id", "at")
    return timeline.with_columns(
        _in_group(pl.col("status").shift(1), 1).alias("prev_status"),
        _in_group(pl.col("at").shift(-1), -1).alias("until"),
        _in_group(pl.col("status").shift(-1), -1).alias("next_status"),
    )


# --- measures --------------------------------------------------------------------------------


def _solves(frames: KpiFrames, timeline: pl.DataFrame, cfg: KpiSettings) -> pl.DataFrame:
    """One row per move to Solved: resolution net of pauses, reopen and FCR flags."""
    solves = (
        timeline.filter(pl.col("status") == "solved")
        .with_columns(
            pl.col("ticket_id").is_first_distinct().alias("first_solve"),
            pl.col("next_status").is_in(OPEN_STATUSES).fill_null(False).alias("reopened"),
        )
        .join(frames.tickets.select("ticket_id", "created_at"), on="ticket_id")
        .with_row_index("solve_id")
    )
    paused = timeline.filter(pl.col("status").is_in(PAUSED_STATUSES)).select(
        "ticket_id", pl.col("at").alias("p_start"), pl.col("until").alias("p_end")
    )
    pause_sum = (
        solves.select("solve_id", "ticket_id", "at")
        .join(paused, on="ticket_id")
        .filter(pl.col("p_start") < pl.col("at"))
        .with_columns(
            (
                pl.min_horizontal(pl.col("p_end").fill_null(pl.col("at")), pl.col("at"))
                - pl.col("p_start")
            )
            .dt.total_microseconds()
            .alias("paused_us")
        )
        .group_by("solve_id")
        .agg(pl.col("paused_us").sum())
    )
    contacts = pl.concat(
        [
            frames.messages.filter(pl.col("kind") == "reply").select("ticket_id", "at"),
            frames.calls.filter(pl.col("ticket_id").is_not_null()).select("ticket_id", "at"),
        ]
    )
    first_solve_at = solves.filter(pl.col("first_solve")).select(
        "ticket_id", pl.col("at").alias("solve_at")
    )
    contact_count = (
        contacts.join(first_solve_at, on="ticket_id")
        .filter(pl.col("at") <= pl.col("solve_at"))
        .group_by("ticket_id")
        .agg(pl.len().alias("contacts"))
    )
    owner_changes = (
        frames.owner_events.filter(
            (pl.col("field") == "assignee") & pl.col("old").is_not_null()
        )  # a first assignment from nobody is not a transfer
        .join(first_solve_at, on="ticket_id")
        .filter(pl.col("at") <= pl.col("solve_at"))
        .group_by("ticket_id")
        .agg(pl.len().alias("transfers"))
    )
    solves = (
        solves.join(pause_sum, on="solve_id", how="left")
        .join(contact_count, on="ticket_id", how="left")
        .join(owner_changes, on="ticket_id", how="left")
        .with_columns(
            (
                (pl.col("at") - pl.col("created_at")).dt.total_microseconds()
                - pl.col("paused_us").fill_null(0)
            ).alias("resolution_us"),
        )
        .with_columns(
            (pl.col("resolution_us") / 1e6).alias("resolution_s"),
            (
                pl.col("first_solve")
                & ~pl.col("reopened")
                & (pl.col("contacts").fill_null(0) <= cfg.fcr_max_contacts)
                & (pl.col("transfers").fill_null(0) == 0)
            ).alias("fcr"),
        )
    )
    return solves.select("ticket_id", "at", "first_solve", "reopened", "fcr", "resolution_s")


def _responses(frames: KpiFrames) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(first responses, next responses): ticket_id, at (reply time), agent_id, seconds."""
    msgs = frames.messages.sort("ticket_id", "at").with_columns(
        _group_cum_sum((pl.col("kind") == "reply").cast(pl.Int64)).alias("_replies")
    )
    replies = msgs.filter(pl.col("kind") == "reply").with_columns(
        (pl.col("_replies") - 1).alias("run")  # replies before this one
    )
    first = (
        replies.filter(pl.col("run") == 0)
        .join(frames.tickets.select("ticket_id", "created_at"), on="ticket_id")
        .select(
            "ticket_id",
            "at",
            pl.col("author_id").alias("agent_id"),
            ((pl.col("at") - pl.col("created_at")).dt.total_microseconds() / 1e6).alias("seconds"),
        )
    )
    # The customer messages after reply k form run k; the next reply answers its first one.
    waiting = (
        msgs.filter(pl.col("kind") == "customer")
        .group_by("ticket_id", pl.col("_replies").alias("run"))
        .agg(pl.col("at").min().alias("asked_at"))
        .filter(pl.col("run") >= 1)
    )
    nxt = replies.join(waiting, on=["ticket_id", "run"]).select(
        "ticket_id",
        "at",
        pl.col("author_id").alias("agent_id"),
        ((pl.col("at") - pl.col("asked_at")).dt.total_microseconds() / 1e6).alias("seconds"),
    )
    return first, nxt


def _work(frames: KpiFrames, cfg: KpiSettings) -> pl.DataFrame:
    """ticket_id, agent_id, at, seconds — written work sessions and calls."""
    gap_us = int(cfg.session_gap_s * 1e6)
    written = (
        frames.work_events.filter(pl.col("actor_id").is_not_null())
        .sort("ticket_id", "actor_id", "at")
        .with_columns(
            _in_group(pl.col("at") - pl.col("at").shift(1), 1, ("ticket_id", "actor_id"))
            .dt.total_microseconds()
            .alias("gap_us")
        )
        .with_columns(
            pl.when(pl.col("gap_us").is_not_null() & (pl.col("gap_us") <= gap_us))
            .then(pl.col("gap_us") / 1e6)
            .otherwise(pl.lit(cfg.first_action_s))
            .alias("seconds")
        )
        .select("ticket_id", pl.col("actor_id").alias("agent_id"), "at", "seconds")
    )
    calls = frames.calls.filter(pl.col("agent_id").is_not_null()).select(
        "ticket_id", "agent_id", "at", (pl.col("talk_s") + pl.col("wrap_s")).alias("seconds")
    )
    return pl.concat([written, calls])


def _backlog(
    timeline: pl.DataFrame, frames: KpiFrames, owners, period_ends: np.ndarray
) -> pl.DataFrame:
    """ticket_id, at (= period end instant), age_s, agent_id, team_id: open at each period end."""
    if period_ends.size == 0:
        return pl.DataFrame(
            schema={"ticket_id": pl.Int64, "at": _TS, "age_s": pl.Float64, "_pe": pl.Int64}
        )
    open_segments = timeline.filter(pl.col("status").is_in(OPEN_STATUSES))
    ends = period_ends.astype("datetime64[us]").astype(np.int64)
    start_us = open_segments["at"].dt.epoch("us").to_numpy()
    until = open_segments["until"].dt.epoch("us").fill_null(np.iinfo(np.int64).max).to_numpy()
    first = np.searchsorted(ends, start_us, side="left")  # first period end >= start
    stop = np.searchsorted(ends, until, side="left")  # first period end >= until
    covered = (
        open_segments.select("ticket_id")
        .with_columns(pl.int_ranges(pl.Series(first), pl.Series(stop)).alias("_pe"))
        .explode("_pe")
        .drop_nulls("_pe")
    )
    at = pl.Series("at", ends[covered["_pe"].to_numpy()]).cast(_TS)
    covered = covered.with_columns(at).join(
        frames.tickets.select("ticket_id", "created_at"), on="ticket_id"
    )
    return covered.with_columns(
        ((pl.col("at") - pl.col("created_at")).dt.total_microseconds() / 1e6).alias("age_s")
    ).select("ticket_id", "at", "age_s", "_pe")


# --- periods and aggregation -----------------------------------------------------------------


def period_starts(start: dt.date, end: dt.date, period: str) -> list[dt.date]:
    """The starts of the periods (day, ISO week from Monday, month) that meet [start, end]."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}")
    first = pl.Series([start]).dt.truncate(_TRUNCATE[period])[0]
    every = {"day": "1d", "week": "1w", "month": "1mo"}[period]
    return pl.date_range(first, end, every, eager=True).to_list()


def next_period_start(day: dt.date, period: str) -> dt.date:
    return pl.Series([day]).dt.offset_by({"day": "1d", "week": "1w", "month": "1mo"}[period])[0]


def _utc_instants(days: list[dt.date], tz: str) -> np.ndarray:
    """Local midnights of `days` in `tz` as naive-UTC datetime64[us] (DST-exact)."""
    return (
        pl.Series(days, dtype=pl.Date)
        .cast(pl.Datetime("us"))
        .dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
        .dt.replace_time_zone(None)
        .to_numpy()
    )


def _bucket(frame: pl.DataFrame, *, period: str, tz: str, start: dt.date, end: dt.date):
    """Keep records whose local date is in [start, end] and add their period_start.

    Searches the UTC instants of the period boundaries instead of converting every row to
    local time (much faster on millions of rows, same result across DST changes)."""
    starts = period_starts(start, end, period)
    edges = [start, *starts[1:], end + dt.timedelta(days=1)]
    bounds = _utc_instants(edges, tz).astype("datetime64[us]").astype(np.int64)
    at = frame["at"].dt.epoch("us").to_numpy()
    index = np.searchsorted(bounds, at, side="right") - 1
    inside = (index >= 0) & (index < len(starts)) & ~np.isnan(at.astype(float))
    labels = pl.Series("period_start", starts, dtype=pl.Date)
    kept = frame.filter(pl.Series(inside))
    return kept.with_columns(labels.gather(pl.Series(index[inside])).alias("period_start"))


def _keyed(frame: pl.DataFrame, level: str) -> pl.DataFrame:
    if level == "company":
        return frame.with_columns(pl.lit("company").alias("level_key"))
    column = "team_id" if level == "team" else "agent_id"
    return frame.filter(pl.col(column).is_not_null()).with_columns(
        pl.col(column).cast(pl.Utf8).alias("level_key")
    )


def kpi_records(
    frames: KpiFrames,
    *,
    level: str,
    period: str,
    start: dt.date,
    end: dt.date,
    tz: str = "UTC",
    now: dt.datetime | None = None,
    team_id: int | None = None,
    agent_id: int | None = None,
    settings: KpiSettings | None = None,
) -> dict[str, pl.DataFrame]:
    """The measured records behind each KPI, each with period_start, level_key, ticket_id
    (see RECORD_OF for which KPI reads which), scoped to the level and filters."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}")
    if period not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}")
    if end < start:
        raise ValueError("end is before start")
    cfg = settings or KpiSettings()
    frames = frames.normalised()
    owners = _owner_timelines(frames)
    owners["_keyed"] = _keyed_owners(owners)
    timeline = _status_timeline(frames)
    starts = period_starts(start, end, period)

    def owned(records: pl.DataFrame) -> pl.DataFrame:
        return _attach_owner(records, owners)

    def team_of_ticket(records: pl.DataFrame) -> pl.DataFrame:
        return _attach_owner(records, owners, agent=False)

    created = owned(frames.tickets.select("ticket_id", pl.col("created_at").alias("at")))
    solves = owned(_solves(frames, timeline, cfg))
    first, nxt = _responses(frames)
    work = team_of_ticket(_work(frames, cfg).filter(pl.col("ticket_id").is_not_null()))
    sla = owned(frames.sla)
    compensation = team_of_ticket(frames.compensation)
    first, nxt = team_of_ticket(first), team_of_ticket(nxt)

    # Backlog: open at each period end (local midnight after the period; `now` for the
    # current period), owner at that instant.
    local_ends = [next_period_start(s, period) for s in starts]
    end_instants = (
        pl.Series(local_ends)
        .cast(pl.Datetime("us"))
        .dt.replace_time_zone(tz)
        .dt.convert_time_zone("UTC")
        .dt.replace_time_zone(None)
    )
    if now is not None:
        end_instants = end_instants.clip(upper_bound=now)
    backlog = _backlog(timeline, frames, owners, end_instants.to_numpy())
    start_by_index = pl.DataFrame(
        {"_pe": list(range(len(starts))), "period_start": starts},
        schema={"_pe": pl.Int64, "period_start": pl.Date},
    )
    backlog = owned(backlog).join(start_by_index, on="_pe").drop("_pe")

    def scoped(frame: pl.DataFrame, *, bucket: bool = True) -> pl.DataFrame:
        if bucket:
            frame = _bucket(frame, period=period, tz=tz, start=start, end=end)
        if team_id is not None:
            frame = frame.filter(pl.col("team_id") == team_id)
        if agent_id is not None:
            frame = frame.filter(pl.col("agent_id") == agent_id)
        return _keyed(frame, level)

    return {
        "periods": pl.DataFrame({"period_start": starts}, schema={"period_start": pl.Date}),
        "created": scoped(created),
        "solves": scoped(solves),
        "first": scoped(first),
        "next": scoped(nxt),
        "work": scoped(work),
        "backlog": scoped(backlog, bucket=False),
        "sla": scoped(sla),
        "csat": scoped(frames.csat),
        "qa": scoped(frames.qa),
        "compensation": scoped(compensation),
    }


def compute_kpis(
    frames: KpiFrames,
    *,
    level: str,
    period: str,
    start: dt.date,
    end: dt.date,
    tz: str = "UTC",
    now: dt.datetime | None = None,
    team_id: int | None = None,
    agent_id: int | None = None,
    settings: KpiSettings | None = None,
) -> pl.DataFrame:
    """KPIs per period and level key: period_start, level_key, one Float64 column per KPI code.

    Rows exist for every period of [start, end] and every key with any figure. `now` (naive
    UTC) caps the backlog instant of the current period.
    """
    r = kpi_records(
        frames,
        level=level,
        period=period,
        start=start,
        end=end,
        tz=tz,
        now=now,
        team_id=team_id,
        agent_id=agent_id,
        settings=settings,
    )
    starts = r["periods"]["period_start"].to_list()
    keys = ["period_start", "level_key"]
    parts = [
        r["created"].group_by(keys).agg(pl.len().cast(pl.Float64).alias("tickets_created")),
        r["solves"]
        .group_by(keys)
        .agg(
            pl.len().cast(pl.Float64).alias("tickets_solved"),
            pl.col("resolution_s").mean().alias("resolution_s"),
            (pl.col("fcr").filter(pl.col("first_solve")).mean() * 100).alias("fcr_rate"),
            (pl.col("reopened").filter(pl.col("first_solve")).mean() * 100).alias("reopen_rate"),
        ),
        r["first"].group_by(keys).agg(pl.col("seconds").mean().alias("first_response_s")),
        r["next"].group_by(keys).agg(pl.col("seconds").mean().alias("next_response_s")),
        r["work"]
        .group_by(keys)
        .agg((pl.col("seconds").sum() / pl.col("ticket_id").n_unique()).alias("handling_s")),
        r["backlog"]
        .group_by(keys)
        .agg(
            pl.len().cast(pl.Float64).alias("backlog"),
            pl.col("age_s").mean().alias("backlog_age_s"),
        ),
        r["sla"].group_by(keys).agg(((~pl.col("breached")).mean() * 100).alias("sla_compliance")),
        r["csat"].group_by(keys).agg(((pl.col("value") >= 4).mean() * 100).alias("csat")),
        r["qa"].group_by(keys).agg(pl.col("score").mean().alias("qa_score")),
        r["compensation"].group_by(keys).agg(pl.col("amount").sum().alias("compensation_amount")),
    ]
    level_keys = pl.concat([p.select("level_key") for p in parts]).unique()
    if level == "company":
        level_keys = pl.DataFrame({"level_key": ["company"]})
    grid = pl.DataFrame({"period_start": starts}, schema={"period_start": pl.Date}).join(
        level_keys, how="cross"
    )
    result = grid
    for part in parts:
        result = result.join(part, on=keys, how="left")
    result = result.with_columns(
        [
            pl.col(c).cast(pl.Float64).fill_null(0.0)
            if c in ZERO_WHEN_EMPTY
            else pl.col(c).cast(pl.Float64)
            for c in KPI_CODES
        ]
    )
    return result.select(keys + list(KPI_CODES)).sort(keys)


def totals(report: pl.DataFrame) -> dict[str, float | None]:
    """Whole-range figures of a single-key report: sums for counts, means of the rest
    (unweighted mean of the periods; backlog at the last period)."""
    out: dict[str, float | None] = {}
    for code in KPI_CODES:
        column = report[code].drop_nulls()
        if column.is_empty():
            out[code] = None
        elif code == "backlog" or code == "backlog_age_s":
            out[code] = float(report[code][-1]) if report[code][-1] is not None else None
        elif code in ZERO_WHEN_EMPTY:
            out[code] = float(column.sum())
        else:
            out[code] = float(column.mean())
    return out


# Which record set each KPI is computed from (for drill-down to the tickets behind a figure).
RECORD_OF = {
    "tickets_created": "created",
    "tickets_solved": "solves",
    "first_response_s": "first",
    "next_response_s": "next",
    "handling_s": "work",
    "fcr_rate": "solves",
    "reopen_rate": "solves",
    "resolution_s": "solves",
    "backlog": "backlog",
    "backlog_age_s": "backlog",
    "sla_compliance": "sla",
    "csat": "csat",
    "qa_score": "qa",
    "compensation_amount": "compensation",
}


def drill_down(
    records: dict[str, pl.DataFrame], kpi: str, *, period_start: dt.date, level_key: str
) -> list[int]:
    """Ids of the tickets behind one figure (a KPI, a period, a level key)."""
    frame = records[RECORD_OF[kpi]]
    if kpi in ("fcr_rate", "reopen_rate"):
        frame = frame.filter(pl.col("first_solve"))
    chosen = frame.filter(
        (pl.col("period_start") == period_start) & (pl.col("level_key") == level_key)
    )
    return chosen["ticket_id"].drop_nulls().unique().sort().to_list()
