"""The log's leaves, tree nodes and checkpoints are append-only: the database refuses UPDATE and DELETE.

On SQLite a statement is let through only while the connection's ``gongyi_ledger_maintenance()``
answers 1 (test-database flushes, see gongyi.core); PostgreSQL flushes with TRUNCATE, which row
triggers do not see.
"""

from django.db import migrations

TABLES = {
    "translog_logleaf": "log leaves",
    "translog_treenode": "log tree nodes",
    "translog_checkpoint": "log checkpoints",
}


def _sqlite_forward():
    for table, what in TABLES.items():
        for op in ("UPDATE", "DELETE"):
            yield (
                f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                f"WHEN gongyi_ledger_maintenance() = 0 "
                f"BEGIN SELECT RAISE(ABORT, 'public log: {what} are append-only ({op} refused)'); END"
            )


def _sqlite_reverse():
    for table in TABLES:
        for op in ("update", "delete"):
            yield f"DROP TRIGGER IF EXISTS {table}_no_{op}"


def _postgres_forward():
    yield """CREATE OR REPLACE FUNCTION translog_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
               RAISE EXCEPTION 'public log: % is append-only (% refused)', TG_TABLE_NAME, TG_OP;
             END $$"""
    for table in TABLES:
        yield (
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION translog_append_only()"
        )


def _postgres_reverse():
    for table in TABLES:
        yield f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"
    yield "DROP FUNCTION IF EXISTS translog_append_only()"


def forward(apps, schema_editor):
    statements = _postgres_forward() if schema_editor.connection.vendor == "postgresql" else _sqlite_forward()
    for sql in statements:
        schema_editor.execute(sql, params=None)


def reverse(apps, schema_editor):
    statements = _postgres_reverse() if schema_editor.connection.vendor == "postgresql" else _sqlite_reverse()
    for sql in statements:
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("translog", "0001_initial")]
    operations = [migrations.RunPython(forward, reverse)]
