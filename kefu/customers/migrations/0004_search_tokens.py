"""Customer.search_tokens (n-grams of search_text) with an inverted index: FTS5 on SQLite, GIN on
PostgreSQL. The pg_trgm index on search_text is dropped: it could not serve one- and
two-character Chinese terms, and the new index covers every term it did."""

from django.db import migrations, models

from kefu.customers import search_index


def fill_and_index(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    last_id = 0
    while True:
        rows = list(
            Customer.objects.filter(id__gt=last_id)
            .order_by("id")
            .values_list("id", "search_text")[:5000]
        )
        if not rows:
            break
        Customer.objects.bulk_update(
            [Customer(id=pk, search_tokens=search_index.search_tokens(t)) for pk, t in rows],
            ["search_tokens"],
            batch_size=1000,
        )
        last_id = rows[-1][0]
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS customers_customer_search_trgm")
    for statement in search_index.create_index_sql(vendor):
        schema_editor.execute(statement)
    if vendor == "sqlite":
        table = search_index.FTS_TABLE
        schema_editor.execute(f"INSERT INTO {table}({table}) VALUES ('rebuild')")


def drop_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in search_index.drop_index_sql(vendor):
        schema_editor.execute(statement)
    if vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS customers_customer_search_trgm "
            "ON customers_customer USING gin (search_text gin_trgm_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_personal_data_export")]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="search_tokens",
            field=models.TextField(blank=True, editable=False, verbose_name="search tokens"),
        ),
        migrations.RunPython(fill_and_index, drop_index),
    ]
