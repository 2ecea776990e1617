"""The PostgreSQL tables of echoer and the statements the store runs on them.

Kept apart from the store's Python so the data layout can be read (and reviewed by a
DBA) in one place. All tables live in the connection's current schema, so several
echoer installations can share one database through `options=-csearch_path=…`.

- `echoer_meta`: one row; `seq` is the store-wide change counter. A commit takes its
  seqs with `UPDATE … RETURNING` as its last statement, which holds the row's lock
  until the commit ends: commits therefore become visible in seq order, with no gaps,
  and a watcher that has read everything up to seq N never later finds a smaller seq
  appear.
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

CURRENT_SEQ = "SELECT seq, schema_version FROM echoer_meta WHERE id = 1"

# A commit runs in two pipelined batches. The first sends every write, version-checked
# by the statement itself, and reads back what each stored (no row: the write was
# refused and the transaction rolls back). The second takes the commit's seqs, logs
# the changes, notifies and commits, all sent at once: the counter row is locked only
# while the server runs that tail, never across a round trip to the client, so the
# commits of several processes (and of one process's pooled connections) overlap in
# everything but those last statements. A created row has seq 0 until the tail
# stamps it.
CREATE = """
INSERT INTO echoer_resource (kind, name, version, uuid, doc, seq, due)
VALUES (%(kind)s, %(name)s, 1, %(uuid)s, %(doc)s::jsonb, 0, %(due)s)
ON CONFLICT DO NOTHING
RETURNING doc::text
"""

# The uuid and created_time of an updated resource are the stored ones, whatever the
# writer sent; a new version of a timer is a new schedule, so its lease ends.
UPDATE = """
UPDATE echoer_resource r
SET version = r.version + 1,
    due = %(due)s,
    lease_owner = NULL,
    lease_until = NULL,
    doc = jsonb_set(
        jsonb_set(%(doc)s::jsonb, '{metadata,uuid}', to_jsonb(r.uuid)),
        '{metadata,created_time}',
        COALESCE(r.doc #> '{metadata,created_time}', to_jsonb(%(now)s::float8))
    )
WHERE r.kind = %(kind)s AND r.name = %(name)s AND r.version = %(expected)s
RETURNING r.doc::text
"""

DELETE = """
DELETE FROM echoer_resource
WHERE kind = %(kind)s AND name = %(name)s
  AND (%(expected)s::bigint IS NULL OR version = %(expected)s::bigint)
RETURNING doc::text
"""

# The tail of a commit: its changes in the caller's order (`ops`, `kinds`, `names`,
# `docs` side by side) take the next seqs, are logged for watchers and stamp the rows
# they wrote; one notification carries the last seq and the kinds.
LOG_CHANGES = """
WITH s AS (
    UPDATE echoer_meta SET seq = seq + cardinality(%(ops)s::text[]) WHERE id = 1
    RETURNING seq
),
c AS (
    SELECT s.seq - cardinality(%(ops)s::text[]) + x.ord AS seq, x.op, x.kind, x.name, x.doc
    FROM s, unnest(%(ops)s::text[], %(kinds)s::text[], %(names)s::text[], %(docs)s::text[])
        WITH ORDINALITY AS x(op, kind, name, doc, ord)
),
logged AS (
    INSERT INTO echoer_change (seq, op, kind, name, doc)
    SELECT seq, op, kind, name, doc::jsonb FROM c
),
stamped AS (
    UPDATE echoer_resource r SET seq = last.seq
    FROM (
        SELECT DISTINCT ON (kind, name) seq, kind, name FROM c
        WHERE op = 'put' ORDER BY kind, name, seq DESC
    ) last
    WHERE r.kind = last.kind AND r.name = last.name
)
SELECT s.seq, pg_notify(%(channel)s, s.seq::text || ' ' || %(notified)s) FROM s
"""

VERSION_OF = "SELECT version FROM echoer_resource WHERE kind = %s AND name = %s"

GET = "SELECT doc::text FROM echoer_resource WHERE kind = %s AND name = %s"

# One statement per shape of query, so that even the generic plan of a prepared
# statement finds the rows through an index: the primary key for a kind (and a name
# range for a prefix), the GIN index for labels. (One statement with "labels IS NULL
# OR …" compiles, once prepared, to a scan of the whole kind.)
LIST = """
SELECT doc::text FROM echoer_resource
WHERE kind = %(kind)s AND starts_with(name, %(prefix)s)
ORDER BY name
"""

LIST_PREFIX = """
SELECT doc::text FROM echoer_resource
WHERE kind = %(kind)s AND name >= %(prefix)s AND name < %(beyond)s
  AND starts_with(name, %(prefix)s)
ORDER BY name
"""

LIST_LABELS = """
SELECT doc::text FROM echoer_resource
WHERE kind = %(kind)s
  AND doc -> 'metadata' -> 'labels' @> %(labels)s::jsonb
  AND starts_with(name, %(prefix)s)
ORDER BY name
"""

SUMMARY_SELECT = """
SELECT jsonb_build_object(
  'metadata', doc -> 'metadata',
  'spec', COALESCE(
    (SELECT jsonb_object_agg(key, value) FROM jsonb_each(
       CASE jsonb_typeof(doc -> 'spec') WHEN 'object' THEN doc -> 'spec' ELSE '{}'::jsonb END)
     WHERE key = ANY(%(fields)s::text[])),
    '{}'::jsonb))::text"""
"""A resource's summary (storage.repository.summary_of), built in the database so only
the metadata and a few spec fields cross the wire and get decoded."""

SUMMARY_OF = {
    statement: statement.replace("\nSELECT doc::text", SUMMARY_SELECT, 1)
    for statement in (LIST, LIST_PREFIX, LIST_LABELS)
}
"""For each LIST statement, the same selection answering summaries."""

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
