"""Database-enforced ledger invariants (see gongyi/ledger/models.py).

SQLite has no deferred triggers, so "balanced" is checked when an entry is marked posted, on both
databases. PostgreSQL additionally checks, at commit, that every line belongs to a posted, balanced entry.
Deletes on SQLite are allowed only while the connection's ``gongyi_ledger_maintenance()`` function
answers 1 (test database flushes); the function is registered per connection by gongyi.core.
"""

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE TRIGGER ledger_post_requires_balance BEFORE UPDATE OF is_posted ON ledger_journalentry
       WHEN NEW.is_posted = 1 AND OLD.is_posted = 0
       BEGIN
         SELECT RAISE(ABORT, 'ledger: an entry must have two or more lines summing to zero to be posted')
         WHERE (SELECT COUNT(*) FROM ledger_journalline WHERE entry_id = NEW.id) < 2
            OR (SELECT COALESCE(SUM(amount_fen), 0) FROM ledger_journalline WHERE entry_id = NEW.id) <> 0;
       END""",
    """CREATE TRIGGER ledger_posted_entry_immutable BEFORE UPDATE ON ledger_journalentry
       WHEN OLD.is_posted = 1
       BEGIN SELECT RAISE(ABORT, 'ledger: posted entries are never edited; post a reversal'); END""",
    """CREATE TRIGGER ledger_posted_entry_undeletable BEFORE DELETE ON ledger_journalentry
       WHEN OLD.is_posted = 1 AND gongyi_ledger_maintenance() = 0
       BEGIN SELECT RAISE(ABORT, 'ledger: posted entries are never deleted'); END""",
    """CREATE TRIGGER ledger_line_immutable BEFORE UPDATE ON ledger_journalline
       BEGIN SELECT RAISE(ABORT, 'ledger: lines are never edited'); END""",
    """CREATE TRIGGER ledger_line_undeletable BEFORE DELETE ON ledger_journalline
       WHEN gongyi_ledger_maintenance() = 0
       BEGIN SELECT RAISE(ABORT, 'ledger: lines are never deleted'); END""",
    """CREATE TRIGGER ledger_line_not_into_posted BEFORE INSERT ON ledger_journalline
       WHEN (SELECT is_posted FROM ledger_journalentry WHERE id = NEW.entry_id) = 1
       BEGIN SELECT RAISE(ABORT, 'ledger: no lines may be added to a posted entry'); END""",
]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS {name}" for name in (
        "ledger_post_requires_balance", "ledger_posted_entry_immutable", "ledger_posted_entry_undeletable",
        "ledger_line_immutable", "ledger_line_undeletable", "ledger_line_not_into_posted",
    )
]

POSTGRES_FORWARD = [
    """CREATE OR REPLACE FUNCTION ledger_entry_guard() RETURNS trigger LANGUAGE plpgsql AS $$
       DECLARE n integer; total bigint;
       BEGIN
         IF TG_OP = 'DELETE' THEN
           IF OLD.is_posted THEN RAISE EXCEPTION 'ledger: posted entries are never deleted'; END IF;
           RETURN OLD;
         END IF;
         IF OLD.is_posted THEN
           RAISE EXCEPTION 'ledger: posted entries are never edited; post a reversal';
         END IF;
         IF NEW.is_posted THEN
           SELECT COUNT(*), COALESCE(SUM(amount_fen), 0) INTO n, total
             FROM ledger_journalline WHERE entry_id = NEW.id;
           IF n < 2 OR total <> 0 THEN
             RAISE EXCEPTION 'ledger: an entry must have two or more lines summing to zero to be posted (entry %, lines %, sum %)', NEW.id, n, total;
           END IF;
         END IF;
         RETURN NEW;
       END $$""",
    """CREATE TRIGGER ledger_entry_guard BEFORE UPDATE OR DELETE ON ledger_journalentry
       FOR EACH ROW EXECUTE FUNCTION ledger_entry_guard()""",
    """CREATE OR REPLACE FUNCTION ledger_line_guard() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP = 'INSERT' THEN
           IF (SELECT is_posted FROM ledger_journalentry WHERE id = NEW.entry_id) THEN
             RAISE EXCEPTION 'ledger: no lines may be added to a posted entry';
           END IF;
           RETURN NEW;
         END IF;
         RAISE EXCEPTION 'ledger: lines are never edited or deleted';
       END $$""",
    """CREATE TRIGGER ledger_line_guard BEFORE INSERT OR UPDATE OR DELETE ON ledger_journalline
       FOR EACH ROW EXECUTE FUNCTION ledger_line_guard()""",
    """CREATE OR REPLACE FUNCTION ledger_line_commit_check() RETURNS trigger LANGUAGE plpgsql AS $$
       DECLARE posted boolean; total bigint;
       BEGIN
         SELECT e.is_posted, (SELECT COALESCE(SUM(l.amount_fen), 0) FROM ledger_journalline l WHERE l.entry_id = e.id)
           INTO posted, total FROM ledger_journalentry e WHERE e.id = NEW.entry_id;
         IF NOT posted OR total <> 0 THEN
           RAISE EXCEPTION 'ledger: entry % is not posted and balanced at commit (sum %)', NEW.entry_id, total;
         END IF;
         RETURN NULL;
       END $$""",
    """CREATE CONSTRAINT TRIGGER ledger_line_commit_check AFTER INSERT ON ledger_journalline
       DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_line_commit_check()""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS ledger_line_commit_check ON ledger_journalline",
    "DROP TRIGGER IF EXISTS ledger_line_guard ON ledger_journalline",
    "DROP TRIGGER IF EXISTS ledger_entry_guard ON ledger_journalentry",
    "DROP FUNCTION IF EXISTS ledger_line_commit_check()",
    "DROP FUNCTION IF EXISTS ledger_line_guard()",
    "DROP FUNCTION IF EXISTS ledger_entry_guard()",
]


def forward(apps, schema_editor):
    statements = POSTGRES_FORWARD if schema_editor.connection.vendor == "postgresql" else SQLITE_FORWARD
    for sql in statements:
        schema_editor.execute(sql, params=None)


def reverse(apps, schema_editor):
    statements = POSTGRES_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE
    for sql in statements:
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunPython(forward, reverse)]
