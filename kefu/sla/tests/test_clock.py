"""SLA clock over status history: pause/resume, breach, projections, thresholds, recomputation."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.sla.calendar import BusinessCalendar, business_time_between
from kefu.sla.clock import (
    BREACH,
    SlaTarget,
    StatusInterval,
    evaluate_clock,
    fired_thresholds,
)

from .sample_calendars import SHANGHAI_OFFICE, local, utc

SH = SHANGHAI_OFFICE
H = dt.timedelta(hours=1)
EIGHT_HOURS = SlaTarget(duration=8 * H)  # business time, "pending" pauses


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """September 2026 in Shanghai (Mon 14 = a Monday)."""
    return local(SH, 2026, 9, day, hour, minute)


PAUSED_TICKET = [
    (at(14, 9), at(14, 11), "open"),  # 2 h
    (at(14, 11), at(15, 10), "pending"),  # waiting for the customer
    (at(15, 10), None, "open"),
]


def test_pause_and_resume():
    state = evaluate_clock(EIGHT_HOURS, PAUSED_TICKET, at(15, 12), SH)
    assert state.elapsed == 4 * H  # 2 h Monday + Tue 10:00-12:00
    assert state.remaining == 4 * H
    assert state.percent_elapsed == 50.0
    assert not state.paused and not state.breached and state.breached_at is None
    assert state.paused_intervals == ((at(14, 11), at(15, 10)),)
    # 4 h left from Tue 12:00: lunch until 13:30, then 13:30-17:30 (+08) = 09:30 UTC.
    assert state.due_at == utc(2026, 9, 15, 9, 30)


def test_state_during_a_pause_that_later_ended():
    # Recomputing for Mon 15:00, inside the pending interval that ends on Tuesday.
    state = evaluate_clock(EIGHT_HOURS, PAUSED_TICKET, at(14, 15), SH)
    assert state.paused and state.elapsed == 2 * H and state.percent_elapsed == 25.0
    assert state.paused_intervals == ((at(14, 11), None),)
    # Due if resumed at Mon 15:00: 3 h to 18:00, Tue 09:00-12:00.
    assert state.due_at == at(15, 12)


def test_breach_while_running():
    state = evaluate_clock(EIGHT_HOURS, PAUSED_TICKET, at(15, 18, 30), SH)
    assert state.elapsed == 8.5 * H
    assert state.remaining == dt.timedelta(0)
    assert state.breached and state.breached_at == utc(2026, 9, 15, 9, 30)
    assert state.due_at == state.breached_at
    assert state.percent_elapsed == pytest.approx(106.25)


def test_breach_over_the_weekend_without_working_time():
    history = [(at(17, 9), None, "open")]  # Thu 09:00: 7.5 h Thu + 0.5 h Fri -> Fri 09:30
    friday_evening = evaluate_clock(EIGHT_HOURS, history, at(17, 9) + 20 * H, SH)
    assert not friday_evening.breached  # Thu 09:00 + 20 h = Fri 05:00, before the deadline
    saturday = evaluate_clock(EIGHT_HOURS, history, at(19, 10), SH)
    assert saturday.elapsed == 15 * H
    assert saturday.breached and saturday.breached_at == at(18, 9, 30)


def test_paused_exactly_at_deadline_is_met_in_time_until_resumed():
    history = [
        (at(14, 9), at(15, 9, 30), "open"),  # 7.5 h Monday + 0.5 h Tuesday = 8 h
        (at(15, 9, 30), at(16, 10), "pending"),
        (at(16, 10), None, "open"),
    ]
    during_pause = evaluate_clock(EIGHT_HOURS, history, at(15, 15), SH)
    assert during_pause.paused and not during_pause.breached
    assert during_pause.percent_elapsed == 100.0
    assert during_pause.due_at == at(15, 9, 30)
    resumed = evaluate_clock(EIGHT_HOURS, history, at(16, 11), SH)
    assert resumed.breached and resumed.breached_at == at(16, 10)


def test_paused_clock_projects_due_from_now():
    history = [(at(14, 9), at(14, 10), "open"), (at(14, 10), None, "pending")]
    state = evaluate_clock(EIGHT_HOURS, history, at(16, 9), SH)
    assert state.paused and state.elapsed == H
    assert state.paused_intervals == ((at(14, 10), None),)
    # 7 h from Wed 09:00: 3 h to noon, 13:30 + 4 h = 17:30.
    assert state.due_at == at(16, 17, 30)


def test_on_hold_pauses_only_when_configured():
    history = [
        (utc(2026, 9, 14, 0), utc(2026, 9, 14, 10), "open"),
        (utc(2026, 9, 14, 10), utc(2026, 9, 14, 20), "on_hold"),
        (utc(2026, 9, 15, 20) - 24 * H, None, "open"),
    ]
    now = utc(2026, 9, 15, 16)  # 40 h after creation
    plain = SlaTarget(duration=24 * H, business_time=False)
    state = evaluate_clock(plain, history, now)
    assert state.elapsed == 40 * H and state.breached
    assert state.breached_at == utc(2026, 9, 15, 0)
    with_hold = SlaTarget(
        duration=24 * H, business_time=False, pause_statuses=frozenset({"pending", "on_hold"})
    )
    state = evaluate_clock(with_hold, history, now)
    assert state.elapsed == 30 * H
    assert state.breached_at == utc(2026, 9, 15, 10)  # 20:00 + the 14 h still due
    assert state.percent_elapsed == pytest.approx(125.0)


def test_stopped_clock():
    history = [(at(14, 9), at(14, 12), "open"), (at(14, 12), None, "solved")]
    state = evaluate_clock(EIGHT_HOURS, history, at(21, 9), SH)
    assert state.stopped and not state.paused and not state.breached
    assert state.elapsed == 3 * H and state.due_at is None


def test_recompute_after_restart_gives_the_same_state():
    first = evaluate_clock(EIGHT_HOURS, PAUSED_TICKET, at(15, 18, 30), SH)
    rebuilt = BusinessCalendar.from_dict(SH.to_dict())  # fresh process: empty caches
    rows = [StatusInterval(*row) for row in PAUSED_TICKET]
    again = evaluate_clock(EIGHT_HOURS, rows, at(15, 18, 30), rebuilt)
    assert again == first


def test_invalid_history():
    with pytest.raises(ValueError, match="overlap"):
        evaluate_clock(
            EIGHT_HOURS,
            [(at(14, 9), at(14, 12), "open"), (at(14, 11), None, "open")],
            at(15, 9),
            SH,
        )
    with pytest.raises(ValueError, match="Only the last"):
        evaluate_clock(
            EIGHT_HOURS, [(at(14, 9), None, "open"), (at(14, 11), None, "open")], at(15, 9), SH
        )
    with pytest.raises(ValueError, match="needs a calendar"):
        evaluate_clock(EIGHT_HOURS, PAUSED_TICKET, at(15, 9))


def test_fired_thresholds():
    thresholds = [50, 75, 90, BREACH]
    assert fired_thresholds(80.0, thresholds) == (50, 75)
    assert fired_thresholds(100.0, thresholds) == (50, 75, 90)
    assert fired_thresholds(100.0, thresholds, breached=True) == (50, 75, 90, BREACH)
    assert fired_thresholds(10.0, thresholds) == ()
    with pytest.raises(ValueError):
        fired_thresholds(10.0, [-5])


STATUSES = st.sampled_from(["open", "pending", "new", "on_hold"])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(60, 3 * 86_400), STATUSES), min_size=1, max_size=8),
    st.integers(0, 20 * 86_400),
    st.integers(1, 60),
)
def test_clock_properties(steps, now_offset, target_hours):
    start = utc(2026, 9, 10)
    history, cursor = [], start
    for length, status in steps:
        history.append((cursor, cursor + dt.timedelta(seconds=length), status))
        cursor += dt.timedelta(seconds=length)
    history[-1] = (history[-1][0], None, history[-1][2])
    now = start + dt.timedelta(seconds=now_offset)
    target = SlaTarget(duration=target_hours * H)
    state = evaluate_clock(target, history, now, SH)
    running = sum(
        (
            business_time_between(a, min(b or now, now), SH)
            for a, b, status in history
            if status != "pending" and a <= now
        ),
        dt.timedelta(0),
    )
    assert state.elapsed == running
    assert state.remaining == max(target.duration - running, dt.timedelta(0))
    assert state == evaluate_clock(target, history, now, SH)  # deterministic
    if state.breached:
        assert state.elapsed >= target.duration and state.breached_at <= now
    later = evaluate_clock(target, history, now + 5 * H, SH)
    assert later.elapsed >= state.elapsed
    assert later.breached or not state.breached
