"""Inbox reads: view counts against the lists they count, the visible set in disjoint parts, the
two-step page read, and the Python-rendered select of the properties panel."""

import datetime as dt

import pytest
from django import forms
from django.utils import timezone

from kefu.accounts.models import User
from kefu.tickets import selectors, services
from kefu.tickets.access import visible_ticket_parts, visible_tickets
from kefu.tickets.forms import PropertiesForm, QuickSelect, staff_users
from kefu.tickets.models import Ticket
from kefu.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(people, make_user):
    """Li Na in team A, Wang in team B, supervisor Chen leading A; tickets in every view."""
    agent, other, supervisor = people["agent"], people["other"], people["supervisor"]
    team_a, team_b = people["team_a"], people["team_b"]
    now = timezone.now()
    mine = make_ticket(agent, team=team_a, assignee=agent)
    make_ticket(agent, team=team_a)  # unassigned, my team
    make_ticket(agent)  # no team: everyone sees it
    make_ticket(agent, team=team_b, assignee=other)  # hidden from Li Na
    make_ticket(agent, team=team_b, assignee=agent)  # another team's, but assigned to her
    complaint = make_ticket(agent, team=team_a, kind="complaint", assignee=agent)
    due_soon = make_ticket(agent, team=team_a, assignee=other)
    breached = make_ticket(agent, team=team_b, assignee=agent)
    solved = make_ticket(agent, team=team_a, assignee=agent)
    Ticket.objects.filter(pk=due_soon.pk).update(
        first_response_due_at=now + dt.timedelta(minutes=20)
    )
    Ticket.objects.filter(pk=breached.pk).update(resolution_due_at=now - dt.timedelta(hours=3))
    Ticket.objects.filter(pk=solved.pk).update(status="solved")
    services.compensation_request(
        actor=agent, ticket=complaint, remedy="refund", amount="800.00", reason="屏幕运输损坏"
    )
    services.compensation_request(
        actor=agent, ticket=complaint, remedy="refund", amount="900.00", reason="第二次"
    )
    loner = make_user("agent", username="zhao")  # in no team
    make_ticket(agent, team=team_b, assignee=loner)
    return {"agent": agent, "other": other, "supervisor": supervisor, "loner": loner, "mine": mine}


def _fresh(user) -> User:
    return User.objects.get(pk=user.pk)  # no cached permissions or team ids


@pytest.mark.parametrize("who", ["agent", "other", "supervisor", "loner"])
def test_each_view_count_is_the_size_of_its_list(desk, who):
    actor = _fresh(desk[who])
    counts = selectors.inbox_counts(actor)
    assert set(counts) == {view.key for view in selectors.INBOX_VIEWS}
    for view in selectors.INBOX_VIEWS:
        listed = selectors.ticket_list(actor, view=view.key)
        assert counts[view.key] == listed.count() == len(set(listed.values_list("pk", flat=True)))
    # Two pending requests on one ticket count once; Wang's team cannot see that ticket.
    assert counts["approvals"] == (0 if who in ("other", "loner") else 1)
    if who == "agent":
        assert counts["mine"] == 4 and counts["breached"] == 1 and counts["due_soon"] == 1


@pytest.mark.parametrize("who", ["agent", "other", "supervisor", "loner"])
def test_visible_parts_are_disjoint_and_make_up_the_visible_tickets(desk, who):
    actor = _fresh(desk[who])
    parts = [
        set(Ticket.objects.filter(p).values_list("pk", flat=True))
        for p in visible_ticket_parts(actor)
    ]
    union = set().union(*parts)
    assert sum(len(p) for p in parts) == len(union)
    assert union == set(visible_tickets(actor).values_list("pk", flat=True))
    assert selectors.visible_ticket_count(actor) == len(union) > 0


def test_customers_and_inactive_users_see_no_part(desk, make_user):
    portal = make_user("customer", username="zhang")
    assert [set(Ticket.objects.filter(p)) for p in visible_ticket_parts(portal)] == [set()]
    gone = _fresh(desk["other"])
    gone.is_active = False
    assert visible_ticket_parts(gone) == []


def test_a_page_is_read_in_the_list_order(desk):
    actor = _fresh(desk["supervisor"])
    listed = selectors.ticket_list(actor, view="all_open", sort="created")
    page = selectors.tickets_of_page(listed[1:5])
    assert [t.pk for t in page] == list(listed.values_list("pk", flat=True)[1:5])
    assert all(t.customer.name for t in page)  # joined, no query per row


def test_quick_select_renders_what_django_select_renders(desk, django_assert_num_queries):
    ticket = desk["mine"]
    form = PropertiesForm(ticket=Ticket.objects.get(pk=ticket.pk))
    reference = forms.ModelChoiceField(queryset=staff_users(), required=False)
    expected = reference.widget.render("assignee", ticket.assignee_id, {"id": "id_assignee"})
    with django_assert_num_queries(0):  # the options were read once, with the form
        assert str(form["assignee"]) == expected
    assert "selected>李娜</option>" in expected
    widget = QuickSelect(
        attrs={"disabled": True, "hidden": False, "data-x": 'a"b'},
        choices=[("", "—"), ("<b>", "<b> & co"), (3, "三")],
    )
    plain = forms.Select(attrs=widget.attrs, choices=widget.choices)
    for value in ("", "<b>", 3, None):
        assert widget.render("f", value) == plain.render("f", value)
    grouped = QuickSelect(choices=[("Fruit", [("a", "Apple")]), ("b", "Banana")])
    assert grouped.render("g", "a") == forms.Select(choices=grouped.choices).render("g", "a")
