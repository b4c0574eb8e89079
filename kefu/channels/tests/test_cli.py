"""`kefu mail ingest FILE.eml` and stdin, as an MTA pipe calls it."""

from __future__ import annotations

import io
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kefu.channels.models import InboundEmail
from kefu.channels.tests.helpers import EMAILS, eml

pytestmark = pytest.mark.django_db


def test_ingest_files_reports_status_and_duplicates():
    out = io.StringIO()
    path = str(EMAILS / "plain_utf8.eml")
    call_command("mail", "ingest", path, path, str(EMAILS / "autoreply_outlook.eml"), stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"{path}: processed ticket=KF-")
    assert lines[1].startswith(f"{path}: processed (duplicate)")
    assert "auto_reply" in lines[2]
    assert InboundEmail.objects.count() == 2


def test_ingest_reads_stdin(monkeypatch):
    class FakeStdin:
        buffer = io.BytesIO(eml("big5.eml"))

    monkeypatch.setattr(sys, "stdin", FakeStdin)
    out = io.StringIO()
    call_command("mail", "ingest", "-", stdout=out)
    assert out.getvalue().startswith("-: processed")
    assert InboundEmail.objects.get().subject == "訂單查詢"


def test_missing_file_and_unknown_mailbox_are_errors(tmp_path):
    with pytest.raises(CommandError):
        call_command("mail", "ingest", str(tmp_path / "nope.eml"))
    with pytest.raises(CommandError):
        call_command("mail", "ingest", "--mailbox", "nope", str(EMAILS / "big5.eml"))
