"""The right of access: everything held about one customer, and nothing about anyone else."""

import hashlib
import io
import json
import zipfile

import pytest
from django.core.management import call_command
from django.test import Client

from kefu.core.models import AuditEvent
from kefu.customers.tests.factories import make_customer, make_purchase
from kefu.portal.tests.factories import make_portal_customer, png_bytes
from kefu.tickets import services as tickets
from kefu.tickets.services.conversation import UploadedFile
from kefu.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(make_user):
    """王芳 (portal login, a purchase, a complaint with a photo) and 李雷, whose ticket is an
    incident that 王芳's ticket is attached to."""
    agent = make_user("agent", username="lina")
    user, wang = make_portal_customer(make_user, name="王芳", email="wangfang@example.cn")
    make_purchase(wang, amount="129.00")
    ticket = make_ticket(agent, customer=wang, subject="充电器到货即损坏", kind="complaint")
    photo = UploadedFile("charger.png", "image/png", png_bytes())
    tickets.message_add(
        actor=user, ticket=ticket, kind="customer", body="外壳破裂，见照片。", attachments=[photo]
    )
    li = make_customer("李雷")
    incident = make_ticket(agent, customer=li, subject="李雷的私人问题")
    tickets.incident_attach(actor=agent, incident=incident, tickets=[ticket])
    return wang, li, ticket


def _open(content: bytes) -> tuple[dict, dict, zipfile.ZipFile]:
    archive = zipfile.ZipFile(io.BytesIO(content))
    return (
        json.loads(archive.read("manifest.json")),
        json.loads(archive.read("data.json")),
        archive,
    )


def test_admin_downloads_everything_held_and_nothing_else(held, make_user):
    wang, _li, _ticket = held
    client = Client()
    client.force_login(make_user("admin"))
    response = client.get(f"/api/v1/customers/{wang.pk}/data-export")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    manifest, data, archive = _open(response.content)

    for name, digest in manifest["sha256"].items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest
    assert manifest["counts"] == {label: len(rows) for label, rows in data.items()}
    assert [r["pk"] for r in data["customers.Customer"]] == [wang.pk]
    assert [r["fields"]["subject"] for r in data["tickets.Ticket"]] == ["充电器到货即损坏"]
    assert data["tickets.Ticket"][0]["fields"]["incident"] is not None  # referenced by id only
    bodies = [r["fields"]["body_text"] for r in data["tickets.Message"]]
    assert "外壳破裂，见照片。" in bodies
    assert [r["fields"]["amount"] for r in data["customers.Purchase"]] == ["129.00"]
    photo = next(n for n in archive.namelist() if n.startswith("attachments/"))
    assert photo.endswith("-charger.png") and archive.read(photo) == png_bytes()
    user = data["accounts.User"][0]["fields"]
    assert user["email"] == "wangfang@example.cn" and "password" not in user
    everything = json.dumps(data, ensure_ascii=False)
    assert "李雷" not in everything  # the other customer and their incident ticket stay out
    assert AuditEvent.objects.filter(
        action="customer.data_exported", object_id=str(wang.pk)
    ).exists()


def test_only_administrators_may_export(held, make_user):
    wang, _li, _ticket = held
    for role in ("agent", "supervisor", "manager"):
        client = Client()
        client.force_login(make_user(role))
        assert client.get(f"/api/v1/customers/{wang.pk}/data-export").status_code == 403, role
    assert not AuditEvent.objects.filter(action="customer.data_exported").exists()


def test_the_command_writes_the_same_archive(held, tmp_path):
    wang, _li, _ticket = held
    out = tmp_path / "wang.zip"
    stdout = io.StringIO()
    call_command("privacy", "export", wang.number, "--out", str(out), stdout=stdout)
    manifest, data, _archive = _open(out.read_bytes())
    assert manifest["customer_number"] == wang.number
    assert "tickets.Attachment" in data and str(out) in stdout.getvalue()


def test_the_360_page_offers_the_export_to_administrators_only(held, make_user):
    wang, _li, _ticket = held
    admin, agent = (Client(headers={"Accept-Language": "en"}) for _ in range(2))
    admin.force_login(make_user("admin"))
    agent.force_login(make_user("agent"))
    assert "Export personal data" in admin.get(f"/customers/{wang.pk}/").content.decode()
    assert "Export personal data" not in agent.get(f"/customers/{wang.pk}/").content.decode()
    response = admin.post(f"/customers/{wang.pk}/data-export/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert agent.post(f"/customers/{wang.pk}/data-export/").status_code == 403
