"""Bulk loaders for data mining: every source in one SQL statement, straight into numpy
columns (times as epoch seconds, money in yuan), never one query per customer."""

from __future__ import annotations

import datetime as dt

import numpy as np

from kefu.analytics.loaders import _epoch_seconds, _q, _scan, fetch_columns
from kefu.analytics.mining import EventLog
from kefu.customers.models import Customer, Purchase
from kefu.surveys.models import Answer, Question, Response
from kefu.tickets.models import Category, Compensation, CompensationState, Ticket, TicketKind


def customer_columns() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(id, created epoch seconds, tier) of customers that were not merged, by id."""
    sql = (
        f"SELECT {_q('id')}, {_epoch_seconds(_q('created_at'))}, {_q('tier')} "
        f"FROM {_q(Customer._meta.db_table)} WHERE {_scan(_q('merged_into_id'))} IS NULL ORDER BY 1"
    )
    ids, created, tier = fetch_columns(sql, [np.int64, np.int64, object])
    return ids, created, tier


def event_log(*, until: dt.datetime) -> tuple[EventLog, dict[str, np.ndarray]]:
    """The churn event log before `until`, plus ticket columns for behaviour analysis
    (customer, seconds, channel, reason = top category or kind)."""
    purchase = _q(Purchase._meta.db_table)
    p_customer, p_seconds, p_amount = fetch_columns(
        f"SELECT {_q('customer_id')}, {_epoch_seconds(_q('ordered_at'))}, "
        f"CAST({_q('amount')} AS DOUBLE PRECISION) FROM {purchase} "
        f"WHERE {_scan(_q('ordered_at'))} < %s",
        [np.int64, np.int64, np.float64],
        [until],
    )
    ticket, category = _q(Ticket._meta.db_table), _q(Category._meta.db_table)
    breach = (
        f"CASE WHEN (t.{_q('first_response_due_at')} IS NOT NULL AND "
        f"COALESCE(t.{_q('first_response_at')}, %s) > t.{_q('first_response_due_at')}) OR "
        f"(t.{_q('resolution_due_at')} IS NOT NULL AND "
        f"COALESCE(t.{_q('solved_at')}, %s) > t.{_q('resolution_due_at')}) THEN 1 ELSE 0 END"
    )
    reason = f"COALESCE(parent.{_q('name')}, c.{_q('name')}, t.{_q('kind')})"
    t_cols = fetch_columns(
        f"SELECT t.{_q('customer_id')}, {_epoch_seconds('t.' + _q('created_at'))}, "
        f"CASE WHEN t.{_q('kind')} = %s THEN 1 ELSE 0 END, "
        f"CASE WHEN t.{_q('is_repeat')} THEN 1 ELSE 0 END, {breach}, t.{_q('channel')}, {reason} "
        f"FROM {ticket} t LEFT JOIN {category} c ON c.{_q('id')} = t.{_q('category_id')} "
        f"LEFT JOIN {category} parent ON parent.{_q('id')} = c.{_q('parent_id')} "
        f"WHERE {_scan('t.' + _q('merged_into_id'))} IS NULL "
        f"AND {_scan('t.' + _q('created_at'))} < %s",
        [np.int64, np.int64, np.int8, np.int8, np.int8, object, object],
        [TicketKind.COMPLAINT.value, until, until, until],
    )
    comp = _q(Compensation._meta.db_table)
    c_customer, c_seconds, c_amount = fetch_columns(
        f"SELECT t.{_q('customer_id')}, {_epoch_seconds('c.' + _q('created_at'))}, "
        f"CAST(c.{_q('amount')} AS DOUBLE PRECISION) FROM {comp} c "
        f"JOIN {ticket} t ON t.{_q('id')} = c.{_q('ticket_id')} "
        f"WHERE c.{_q('state')} IN (%s, %s) AND c.{_q('created_at')} < %s",
        [np.int64, np.int64, np.float64],
        [CompensationState.APPROVED.value, CompensationState.GRANTED.value, until],
    )
    answer, question, response = (_q(m._meta.db_table) for m in (Answer, Question, Response))
    s_customer, s_seconds, s_metric, s_value = fetch_columns(
        f"SELECT r.{_q('customer_id')}, {_epoch_seconds('r.' + _q('submitted_at'))}, "
        f"q.{_q('metric')}, a.{_q('value')} FROM {answer} a "
        f"JOIN {question} q ON q.{_q('id')} = a.{_q('question_id')} "
        f"JOIN {response} r ON r.{_q('id')} = a.{_q('response_id')} "
        f"WHERE q.{_q('metric')} IN ('csat', 'nps') AND a.{_q('value')} IS NOT NULL "
        f"AND r.{_q('customer_id')} IS NOT NULL AND r.{_q('submitted_at')} < %s",
        [np.int64, np.int64, object, np.float64],
        [until],
    )
    is_csat = s_metric == "csat"
    events = EventLog(
        purchase_customer=p_customer,
        purchase_seconds=p_seconds,
        purchase_amount=p_amount,
        ticket_customer=t_cols[0],
        ticket_seconds=t_cols[1],
        ticket_is_complaint=t_cols[2].astype(bool),
        ticket_is_repeat=t_cols[3].astype(bool),
        ticket_sla_breached=t_cols[4].astype(bool),
        compensation_customer=c_customer,
        compensation_seconds=c_seconds,
        compensation_amount=c_amount,
        survey_customer=s_customer,
        survey_seconds=s_seconds,
        survey_csat=np.where(is_csat, s_value, np.nan),
        survey_nps=np.where(~is_csat, s_value, np.nan),
    )
    behaviour = {
        "customer": t_cols[0],
        "seconds": t_cols[1],
        "channel": t_cols[5].astype(str),
        "reason": t_cols[6].astype(str),
    }
    return events, behaviour
