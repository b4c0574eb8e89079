"""Property-based fuzzing of the whole API with schemathesis, in-process through WSGI.

Every operation in the OpenAPI schema gets generated requests (valid and invalid bodies, query
strings and path ids) as an admin and as an agent. Each response must not be a 5xx and, when its
status is documented, must match the documented schema. KEFU_FUZZ_EXAMPLES (default 1; raise it
for a deeper run) bounds the examples per operation and role so the run stays within a few
minutes on two cores.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import response_schema_conformance

from kefu.wsgi import application


@schemathesis.serializer("message/rfc822")
def _raw_email(ctx, value):
    """POST /channels/email/inbound takes a raw message: send generated text as its bytes."""
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogatepass")


EXAMPLES = int(os.environ.get("KEFU_FUZZ_EXAMPLES", "1"))

# Only the generative phase: the coverage/examples phases multiply the requests several-fold
# and the stateful phase needs links the schema does not declare.
CONFIG = SchemathesisConfig.from_dict(
    {
        "phases": {
            "coverage": {"enabled": False},
            "examples": {"enabled": False},
            "stateful": {"enabled": False},
        }
    }
)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=CONFIG)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The real WSGI handler closes "old" connections at each request's start and end; inside
    the test's transaction that closes the test connection (PostgreSQL then answers 503).
    Django's own test client disconnects the same handler for the same reason."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(db, make_user, settings):
    """Bearer tokens of an admin and an agent."""
    from kefu.accounts.services import token_create

    settings.LANGUAGE_CODE = "en"
    out = {}
    for role in ("admin", "agent"):
        user = make_user(role)
        out[role] = token_create(actor=user, user=user, name="fuzz").raw
    return out


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_survives_generated_requests(case, tokens):
    for role in ("admin", "agent"):
        case.call_and_validate(
            headers={"Authorization": f"Bearer {tokens[role]}"},
            checks=[not_a_server_error, response_schema_conformance],
        )
