from __future__ import annotations

import pytest

from kefu.quality import services


@pytest.fixture
def qa(make_user):
    return make_user("qa", display_name="赵磊")


@pytest.fixture
def supervisor(make_user):
    return make_user("supervisor")


@pytest.fixture
def manager(make_user):
    return make_user("manager")


@pytest.fixture
def agent(make_user):
    return make_user("agent", display_name="李娜")


@pytest.fixture
def rubric(qa):
    return services.rubric_create_8f(actor=qa)
