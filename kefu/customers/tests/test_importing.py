import io

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from kefu.customers.importing import detect_encoding, run_import
from kefu.customers.models import ContactPoint, Customer, CustomerKind, Purchase
from kefu.customers.tests.factories import make_customer

pytestmark = pytest.mark.django_db

GOOD = (
    "姓名,手机,邮箱,企业,客户等级,标签\n"
    "张伟,138 1234 1234,ZW@Example.com,华信电子,A,回头客；VIP候选\n"
    "王芳,13900001111,,,B,\n"
)
BAD_ROW = "李娜,12,not-an-email,,E,\n"


def csv_bytes(text: str, encoding: str) -> io.BytesIO:
    return io.BytesIO(text.encode(encoding))


def xlsx_bytes(rows) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def test_detect_encoding():
    assert detect_encoding("张伟".encode("utf-8-sig")) == "utf-8-sig"
    assert detect_encoding("张伟".encode()) == "utf-8"
    assert detect_encoding("张伟,王芳".encode("gb18030")) == "gb18030"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_each_encoding(encoding):
    result, rows, mapping = run_import(
        kind="customers", stream=csv_bytes(GOOD, encoding), name="c.csv"
    )
    assert (rows, result.created, result.errors) == (2, 2, [])
    assert mapping["手机"] == "mobile" and mapping["企业"] == "organization"
    zhang = Customer.objects.get(name="张伟")
    assert zhang.tier == "A"
    assert zhang.organization.name == "华信电子"
    assert zhang.organization.kind == CustomerKind.ORGANIZATION
    assert sorted(zhang.tags.values_list("name", flat=True)) == ["VIP候选", "回头客"]
    assert set(zhang.contacts.values_list("normalized", flat=True)) == {
        "+8613812341234",
        "zw@example.com",
    }
    assert "13812341234" in zhang.search_text and "华信电子" in zhang.search_text


def test_xlsx_with_numbers_stored_as_floats():
    stream = xlsx_bytes([["name", "mobile", "tier"], ["Emma Clarke", 13812341234.0, "c"]])
    result, rows, _mapping = run_import(kind="customers", stream=stream, name="c.xlsx")
    assert (rows, result.created) == (1, 1)
    emma = Customer.objects.get(name="Emma Clarke")
    assert emma.tier == "C"
    assert emma.contacts.get().normalized == "+8613812341234"


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_atomic_default_leaves_the_database_unchanged(encoding):
    result, _rows, _mapping = run_import(
        kind="customers", stream=csv_bytes(GOOD + BAD_ROW, encoding), name="c.csv"
    )
    assert not result.written
    assert {(e.row, e.column) for e in result.errors} == {(4, "mobile"), (4, "email"), (4, "tier")}
    assert Customer.objects.count() == 0 and ContactPoint.objects.count() == 0


def test_valid_only_writes_the_good_rows():
    result, _rows, _mapping = run_import(
        kind="customers",
        stream=csv_bytes(GOOD + BAD_ROW, "utf-8"),
        name="c.csv",
        mode="valid_only",
    )
    assert result.written and result.created == 2
    assert set(Customer.objects.filter(kind="person").values_list("name", flat=True)) == {
        "张伟",
        "王芳",
    }


def test_dry_run_writes_nothing():
    result, _rows, _mapping = run_import(
        kind="customers", stream=csv_bytes(GOOD, "utf-8"), name="c.csv", dry_run=True
    )
    assert result.created == 2 and not result.written
    assert Customer.objects.count() == 0


def test_reimport_is_idempotent_and_updates_changes():
    run_import(kind="customers", stream=csv_bytes(GOOD, "utf-8"), name="c.csv")
    count = Customer.objects.count()
    again, _rows, _mapping = run_import(
        kind="customers", stream=csv_bytes(GOOD, "utf-8"), name="c.csv"
    )
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert Customer.objects.count() == count
    changed = GOOD.replace("王芳,13900001111,,,B,", "王芳,13900001111,,,D,")
    third, _rows, _mapping = run_import(
        kind="customers", stream=csv_bytes(changed, "utf-8"), name="c.csv"
    )
    assert (third.created, third.updated) == (0, 1)
    assert Customer.objects.get(name="王芳").tier == "D"


def test_mapping_overrides_headings_and_bad_mapping_is_rejected():
    text = "Full name,Cell\n赵磊,13700000000\n"
    result, _rows, _mapping = run_import(
        kind="customers",
        stream=csv_bytes(text, "utf-8"),
        name="c.csv",
        mapping={"Full name": "name", "Cell": "mobile"},
    )
    assert result.created == 1
    from kefu.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        run_import(
            kind="customers",
            stream=csv_bytes(text, "utf-8"),
            name="c.csv",
            mapping={"Nope": "name", "Cell": "shoe_size"},
        )
    assert set(exc.value.fields) == {"mapping.Nope", "mapping.shoe_size"}


def test_duplicate_contact_inside_the_file_is_an_error():
    text = "name,mobile\n张伟,13812341234\n张伟2,+86 138 1234 1234\n"
    result, _rows, _mapping = run_import(
        kind="customers", stream=csv_bytes(text, "utf-8"), name="c.csv", mode="valid_only"
    )
    assert result.created == 1
    assert [(e.row, "row 2" in e.message) for e in result.errors] == [(3, True)]


def test_contacts_and_purchases_imports():
    customer = make_customer("张伟")
    contacts = (
        f"customer_number,kind,value\n{customer.number},email,A@B.com\nC-999999,email,x@y.com\n"
    )
    result, _rows, _mapping = run_import(
        kind="contacts", stream=csv_bytes(contacts, "utf-8"), name="c.csv", mode="valid_only"
    )
    assert (result.created, len(result.errors)) == (1, 1)
    assert "a@b.com" in Customer.objects.get(pk=customer.pk).search_text
    purchases = (
        "客户编号,订单号,下单时间,金额,商品,数量\n"
        f'{customer.number},P-1,2025-03-01 10:00,"1,299.00",手机,1\n'
        f"{customer.number},P-2,2025/03/05,99,耳机,2\n"
    )
    for _ in range(2):
        run_import(kind="purchases", stream=csv_bytes(purchases, "gb18030"), name="p.csv")
    assert Purchase.objects.count() == 2
    assert str(Purchase.objects.get(external_id="P-1").amount) == "1299.00"


def test_management_command(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    path = tmp_path / "customers.csv"
    path.write_bytes((GOOD + BAD_ROW).encode("gb18030"))
    out = io.StringIO()
    call_command("import", "customers", str(path), "--mode", "valid_only", stdout=out)
    assert "2" in out.getvalue()
    assert Customer.objects.filter(kind="person").count() == 2
    call_command(
        "import",
        "customers",
        str(path),
        "--dry-run",
        "--mode",
        "valid_only",
        "--mapping",
        "姓名=name",
        stdout=io.StringIO(),
    )
    assert Customer.objects.filter(kind="person").count() == 2
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import", "customers", str(path), stdout=io.StringIO())
