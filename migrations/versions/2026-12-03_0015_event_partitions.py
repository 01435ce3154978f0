"""event_partitions: events partitioned by month of reported_at (native range partitioning)

A city receives over a million events a year; KPIs of a month, a grid's events and the grid
load read a date range, and with one table each of them walked indexes (or the heap) of every
year. ``event`` is now ``PARTITION BY RANGE (reported_at)`` with one partition per calendar
month in UTC (``event_2026_12`` holds [2026-12-01 00:00Z, 2027-01-01 00:00Z)) and a DEFAULT
partition ``event_default``, so a date-bounded query reads the months it asks for only
(plan-time pruning: gridmap binds values client-side).

**Partitions are made ahead, never on the insert path.** ``gm_event_partition(month)`` makes
one month's partition (idempotent, serialised by an advisory lock) and moves that month's
rows out of the default partition: it builds a plain table, fills it, then ATTACHes it, which
locks the parent only in SHARE UPDATE EXCLUSIVE mode (readers and writers of other months go
on; CREATE TABLE ... PARTITION OF would take ACCESS EXCLUSIVE). ``gm_event_partitions_ahead()``
makes the current month and the next three and splits out every month found in the default
partition; it runs here, at every ``gridmap migrate`` and before bulk loads (demo, import),
which also make the months of the rows they are about to write (gis.events.partitions).
Making partitions from a trigger is not possible (a table cannot be altered while the INSERT
that fired the trigger uses it) and making them from intake requests would hold DDL locks in
request transactions. An event whose month has no partition (an import of 1998's archive, a
server left without ``gridmap migrate`` for over a year) still lands, in the default
partition: nothing is refused, only that month is slower until the next maintenance run.
Months outside [now - 20 years, now + 2 years] stay in the default partition (validation
already refuses dates outside 1900-2099, gis.core.dates; this bounds the partition count).
Making a partition locks the default partition (ACCESS EXCLUSIVE: PostgreSQL checks that it
holds no row of the new month) until the transaction ends, so a bulk load that brings a new
month makes readers of the default partition (queries not bounded by date) wait until it
commits; loads of months that have their partition take no lock at all.

**Keys.** A primary key or unique constraint of a partitioned table must include the
partition key, so ``event``'s key becomes (id, reported_at) and the code can no longer be
unique on it; foreign keys to ``event(id)`` (event_log.event_id, event.duplicate_of) cannot
exist either (a key to (id, reported_at) would copy the date into every referencing row and
break when an event's time is corrected). ``event_registry (id PRIMARY KEY, code UNIQUE)``
holds every event's id and code, kept in step by triggers on ``event``: inserts and deletes
by statement-level triggers with transition tables (one set-based INSERT or DELETE per
statement, COPY included: a bulk load of 1M events pays one join, not a million trigger
calls); a change of id or code by a row-level BEFORE UPDATE OF id, code trigger (an UPDATE
that sets neither column, such as bulk assignment's grid_id, never calls it and captures no
transition rows; one that moves a row to another month's partition is seen by PostgreSQL as
a delete and an insert in the partitions but fires no statement-level insert or delete
trigger, so the registry keeps the row). The referencing columns point
at it with real foreign keys: event_log.event_id ON DELETE CASCADE and event.duplicate_of
ON DELETE SET NULL as before, a duplicate code raises ``uq_event_registry_code`` (unique
violation, as ``uq_event_code`` did), a log row for a missing event is refused. TRUNCATE of
``event`` (directly or cascaded from grid) empties the registry and the log with it.
A row written directly into a partition (not through ``event``) bypasses the
registry: only the partition functions here do that, moving rows that are registered.

Downgrading rebuilds the plain table with its old keys and indexes (rows and ids kept).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 16:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTIONS = """
CREATE FUNCTION gm_event_partition(month timestamptz) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    first timestamptz := date_trunc('month', month AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    next timestamptz := first + interval '1 month';
    name text := 'event_' || to_char(first AT TIME ZONE 'UTC', 'YYYY_MM');
BEGIN
    IF first < now() - interval '20 years' OR first > now() + interval '2 years' THEN
        RETURN false;
    END IF;
    IF to_regclass(name) IS NOT NULL THEN
        RETURN false;  -- the usual case takes no lock: loads of existing months run side by side
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('gm_event_partition'));
    IF to_regclass(name) IS NOT NULL THEN
        RETURN false;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE event INCLUDING DEFAULTS INCLUDING CONSTRAINTS, '
                   'CHECK (reported_at >= %L AND reported_at < %L))', name, first, next);
    EXECUTE format('WITH moved AS (DELETE FROM event_default WHERE reported_at >= %L '
                   'AND reported_at < %L RETURNING *) INSERT INTO %I SELECT * FROM moved',
                   first, next, name);
    EXECUTE format('ALTER TABLE event ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                   name, first, next);
    RETURN true;
END $$;

CREATE FUNCTION gm_event_partitions_ahead(months integer DEFAULT 3) RETURNS integer
LANGUAGE sql AS $$
    SELECT count(*) FILTER (WHERE gm_event_partition(m))::integer
    FROM (SELECT generate_series(date_trunc('month', now() AT TIME ZONE 'UTC'),
                                 date_trunc('month', now() AT TIME ZONE 'UTC')
                                     + make_interval(months => months),
                                 interval '1 month') AT TIME ZONE 'UTC' AS m
          UNION
          SELECT DISTINCT date_trunc('month', reported_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
          FROM event_default) AS months_wanted
$$;

CREATE FUNCTION gm_event_registry_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_registry (id, code) SELECT id, code FROM new_rows;
    RETURN NULL;
END $$;
CREATE FUNCTION gm_event_registry_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE event_registry SET id = NEW.id, code = NEW.code WHERE id = OLD.id;
    RETURN NEW;
END $$;
CREATE FUNCTION gm_event_registry_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM event_registry r USING old_rows o WHERE r.id = o.id;
    RETURN NULL;
END $$;
CREATE FUNCTION gm_event_registry_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- a TRUNCATE of the registry would need event (which references it) in the same list
    TRUNCATE event_log;
    DELETE FROM event_registry;
    RETURN NULL;
END $$;
"""

TRIGGERS = """
CREATE TRIGGER event_registry_insert AFTER INSERT ON event REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION gm_event_registry_insert();
CREATE TRIGGER event_registry_update BEFORE UPDATE OF id, code ON event FOR EACH ROW
    WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.code IS DISTINCT FROM NEW.code)
    EXECUTE FUNCTION gm_event_registry_update();
CREATE TRIGGER event_registry_delete AFTER DELETE ON event REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION gm_event_registry_delete();
CREATE TRIGGER event_registry_truncate AFTER TRUNCATE ON event
    FOR EACH STATEMENT EXECUTE FUNCTION gm_event_registry_truncate();
"""

# the indexes of ``event`` after 0014, with the per-grid one now (grid_id, reported_at): a
# grid's events newest first and a grid's events of a period read one range of it
INDEXES = {
    "idx_event_geom": "USING gist (geom)",
    "ix_event_category": "(category)",
    "ix_event_community_code": "(community_code)",
    "ix_event_grid_id": "(grid_id, reported_at)",
    "ix_event_reported_at": "(reported_at)",
    "ix_event_status": "(status)",
    "ix_event_unit_prefix":
        "((coalesce(community_code, subdistrict_code, region_code)) text_pattern_ops)",
    "ix_event_duplicate_of": "(duplicate_of) WHERE duplicate_of IS NOT NULL",
}
# a grid's events not yet closed (grid list, grid page): few per partition once closed
NEW_INDEXES = {"ix_event_grid_not_closed": "(grid_id) WHERE gm_event_not_closed(status)",
               "ix_event_code": "(code)"}
OLD_GRID_INDEX = "(grid_id)"
KEYS = {
    "fk_event_grid_id_grid": "FOREIGN KEY (grid_id) REFERENCES grid(id)",
    "fk_event_worker_id_grid_worker": "FOREIGN KEY (worker_id) REFERENCES grid_worker(id)",
}


def upgrade() -> None:
    _drop_references()
    op.execute("ALTER TABLE event RENAME TO event_plain")
    op.execute("CREATE TABLE event (LIKE event_plain INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
               " PARTITION BY RANGE (reported_at)")
    op.execute("CREATE TABLE event_default PARTITION OF event DEFAULT")
    op.execute(FUNCTIONS)
    # one partition per month that holds rows, then the months ahead (no trigger yet)
    op.execute("SELECT gm_event_partition(m) FROM (SELECT DISTINCT date_trunc('month', "
               "reported_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS m FROM event_plain) d")
    op.execute("INSERT INTO event SELECT * FROM event_plain")
    op.execute("ALTER SEQUENCE event_id_seq OWNED BY event.id")
    op.execute("DROP TABLE event_plain")
    op.execute("ALTER TABLE event ADD CONSTRAINT pk_event PRIMARY KEY (id, reported_at)")
    _indexes({**INDEXES, **NEW_INDEXES})
    for name, definition in KEYS.items():
        op.execute(f"ALTER TABLE event ADD CONSTRAINT {name} {definition}")
    op.execute("CREATE TABLE event_registry (id integer NOT NULL, code varchar(40) NOT NULL, "
               "CONSTRAINT pk_event_registry PRIMARY KEY (id), "
               "CONSTRAINT uq_event_registry_code UNIQUE (code))")
    op.execute("INSERT INTO event_registry (id, code) SELECT id, code FROM event")
    op.execute(TRIGGERS)
    _reference("event_registry")
    op.execute("SELECT gm_event_partitions_ahead()")
    op.execute("ANALYZE event, event_registry")


def downgrade() -> None:
    _drop_references()
    op.execute("ALTER TABLE event RENAME TO event_partitioned")
    op.execute("CREATE TABLE event (LIKE event_partitioned INCLUDING DEFAULTS "
               "INCLUDING CONSTRAINTS)")
    op.execute("INSERT INTO event SELECT * FROM event_partitioned ORDER BY id")
    op.execute("ALTER SEQUENCE event_id_seq OWNED BY event.id")
    op.execute("DROP TABLE event_partitioned, event_registry")
    op.execute("DROP FUNCTION gm_event_partition(timestamptz), gm_event_partitions_ahead(int), "
               "gm_event_registry_insert(), gm_event_registry_update(), "
               "gm_event_registry_delete(), gm_event_registry_truncate()")
    op.execute("ALTER TABLE event ADD CONSTRAINT pk_event PRIMARY KEY (id)")
    op.execute("ALTER TABLE event ADD CONSTRAINT uq_event_code UNIQUE (code)")
    _indexes({**INDEXES, "ix_event_grid_id": OLD_GRID_INDEX})
    for name, definition in KEYS.items():
        op.execute(f"ALTER TABLE event ADD CONSTRAINT {name} {definition}")
    _reference("event")
    op.execute("ANALYZE event")


def _drop_references() -> None:
    """Drop the foreign keys that point at the event ids (their table changes)."""
    op.execute("ALTER TABLE event_log DROP CONSTRAINT "
               "IF EXISTS fk_event_log_event_id_event, "
               "DROP CONSTRAINT IF EXISTS fk_event_log_event_id_event_registry")
    op.execute("ALTER TABLE event DROP CONSTRAINT IF EXISTS fk_event_duplicate_of_event, "
               "DROP CONSTRAINT IF EXISTS fk_event_duplicate_of_event_registry")


def _reference(table: str) -> None:
    """Point event_log.event_id and event.duplicate_of at ``table``'s ids."""
    op.execute(f"ALTER TABLE event_log ADD CONSTRAINT fk_event_log_event_id_{table} "
               f"FOREIGN KEY (event_id) REFERENCES {table}(id) ON DELETE CASCADE")
    op.execute(f"ALTER TABLE event ADD CONSTRAINT fk_event_duplicate_of_{table} "
               f"FOREIGN KEY (duplicate_of) REFERENCES {table}(id) ON DELETE SET NULL")


def _indexes(indexes: dict[str, str]) -> None:
    for name, definition in indexes.items():
        op.execute(f"CREATE INDEX {name} ON event {definition}")
