"""The PostgreSQL tables of echoer and the statements the store runs on them.

Kept apart from the store's Python so the data layout can be read (and reviewed by a
DBA) in one place. All tables live in the connection's current schema, so several
echoer installations can share one database through `options=-csearch_path=…`.

- `echoer_meta`: one row; `seq` is the store-wide change counter. A commit takes its
  seqs with `UPDATE … RETURNING`, which holds the row's lock until the commit ends:
  commits therefore become visible in seq order, with no gaps, and a watcher that has
  read everything up to seq N never later finds a smaller seq appear.
- `echoer_resource`: one row per resource, the document as JSONB; `version` is checked
  by the database (`UPDATE … WHERE version = expected`, `INSERT … ON CONFLICT DO
  NOTHING`). Timers also fill `due` and carry a lease (`lease_owner`, `lease_until`)
  that `claim_due_timers` takes with `FOR UPDATE SKIP LOCKED`.
- `echoer_change`: the recent changes, for watchers (bounded, pruned by seq).
"""

from __future__ import annotations

SCHEMA_VERSION = 1

SETUP = [
    """
    CREATE TABLE IF NOT EXISTS echoer_meta (
        id integer PRIMARY KEY CHECK (id = 1),
        seq bigint NOT NULL,
        schema_version integer NOT NULL
    )
    """,
    "INSERT INTO echoer_meta (id, seq, schema_version) VALUES (1, 0, 1) ON CONFLICT DO NOTHING",
    """
    CREATE TABLE IF NOT EXISTS echoer_resource (
        kind text NOT NULL,
        name text COLLATE "C" NOT NULL,
        version bigint NOT NULL,
        uuid text NOT NULL,
        doc jsonb NOT NULL,
        seq bigint NOT NULL,
        due double precision,
        lease_owner text,
        lease_until double precision,
        PRIMARY KEY (kind, name)
    )
    """,
    """
    CREATE INDEX IF NOT EXISTS echoer_resource_timer_due
        ON echoer_resource (due) WHERE kind = 'timer'
    """,
    """
    CREATE INDEX IF NOT EXISTS echoer_resource_labels
        ON echoer_resource USING gin ((doc -> 'metadata' -> 'labels') jsonb_path_ops)
    """,
    """
    CREATE TABLE IF NOT EXISTS echoer_change (
        seq bigint PRIMARY KEY,
        op text NOT NULL,
        kind text NOT NULL,
        name text NOT NULL,
        doc jsonb
    )
    """,
]

SETUP_LOCK = 0x6563686F6572
"""Advisory lock key ("echoer") so two processes opening a fresh database do not race."""

ALLOCATE_SEQS = "UPDATE echoer_meta SET seq = seq + %s WHERE id = 1 RETURNING seq, schema_version"

CURRENT_SEQ = "SELECT seq, schema_version FROM echoer_meta WHERE id = 1"

# A commit sends all its statements at once (pipeline mode), so a write cannot be told
# its seq: it reads it from the counter the commit has just advanced, `back` places
# before the commit's last seq.
CREATE = """
WITH s AS (SELECT seq - %(back)s AS seq FROM echoer_meta WHERE id = 1),
w AS (
    INSERT INTO echoer_resource (kind, name, version, uuid, doc, seq, due)
    SELECT %(kind)s, %(name)s, 1, %(uuid)s, %(doc)s::jsonb, s.seq, %(due)s FROM s
    ON CONFLICT DO NOTHING
    RETURNING doc, seq
)
INSERT INTO echoer_change (seq, op, kind, name, doc)
SELECT seq, 'put', %(kind)s, %(name)s, doc FROM w
RETURNING doc::text
"""

# The uuid and created_time of an updated resource are the stored ones, whatever the
# writer sent; a new version of a timer is a new schedule, so its lease ends.
UPDATE = """
WITH s AS (SELECT seq - %(back)s AS seq FROM echoer_meta WHERE id = 1),
w AS (
    UPDATE echoer_resource r
    SET version = r.version + 1,
        seq = s.seq,
        due = %(due)s,
        lease_owner = NULL,
        lease_until = NULL,
        doc = jsonb_set(
            jsonb_set(%(doc)s::jsonb, '{metadata,uuid}', to_jsonb(r.uuid)),
            '{metadata,created_time}',
            COALESCE(r.doc #> '{metadata,created_time}', to_jsonb(%(now)s::float8))
        )
    FROM s
    WHERE r.kind = %(kind)s AND r.name = %(name)s AND r.version = %(expected)s
    RETURNING r.doc, r.seq
)
INSERT INTO echoer_change (seq, op, kind, name, doc)
SELECT seq, 'put', %(kind)s, %(name)s, doc FROM w
RETURNING doc::text
"""

DELETE = """
WITH s AS (SELECT seq - %(back)s AS seq FROM echoer_meta WHERE id = 1),
w AS (
    DELETE FROM echoer_resource
    WHERE kind = %(kind)s AND name = %(name)s
      AND (%(expected)s::bigint IS NULL OR version = %(expected)s::bigint)
    RETURNING doc
)
INSERT INTO echoer_change (seq, op, kind, name, doc)
SELECT s.seq, 'delete', %(kind)s, %(name)s, w.doc FROM w, s
RETURNING seq
"""

NOTIFY = "SELECT pg_notify(%s, (SELECT seq FROM echoer_meta WHERE id = 1)::text || ' ' || %s)"

VERSION_OF = "SELECT version FROM echoer_resource WHERE kind = %s AND name = %s"

GET = "SELECT doc::text FROM echoer_resource WHERE kind = %s AND name = %s"

LIST = """
SELECT doc::text FROM echoer_resource
WHERE kind = %(kind)s
  AND starts_with(name, %(prefix)s)
  AND (%(labels)s::jsonb IS NULL OR doc -> 'metadata' -> 'labels' @> %(labels)s::jsonb)
ORDER BY name
"""

COUNT = "SELECT count(*) FROM echoer_resource WHERE kind = %s"

CHANGES_AFTER = """
SELECT seq, op, kind, name, doc::text FROM echoer_change
WHERE seq > %(after)s AND seq <= %(upto)s
  AND (%(kinds)s::text[] IS NULL OR kind = ANY(%(kinds)s::text[]))
ORDER BY seq
LIMIT %(limit)s
"""

OLDEST_CHANGE = "SELECT min(seq) FROM echoer_change"

PRUNE_CHANGES = "DELETE FROM echoer_change WHERE seq <= %s"

CLAIM_TIMERS = """
WITH due AS (
    SELECT name FROM echoer_resource
    WHERE kind = 'timer' AND due <= %(now)s
      AND (lease_until IS NULL OR lease_until <= %(now)s)
    ORDER BY due, name
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE echoer_resource r
SET lease_owner = %(owner)s, lease_until = %(now)s + %(lease)s
FROM due
WHERE r.kind = 'timer' AND r.name = due.name
RETURNING r.due, r.name, r.doc::text
"""

RELEASE_TIMERS = """
UPDATE echoer_resource SET lease_owner = NULL, lease_until = NULL
WHERE kind = 'timer' AND lease_owner = %(owner)s
  AND (%(names)s::text[] IS NULL OR name = ANY(%(names)s::text[]))
"""

NEXT_TIMER = """
SELECT min(GREATEST(due, COALESCE(lease_until, due))) FROM echoer_resource
WHERE kind = 'timer' AND due IS NOT NULL
"""
