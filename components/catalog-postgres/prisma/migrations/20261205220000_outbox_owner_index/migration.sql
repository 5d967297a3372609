-- One owner's event feed (GET /api/v1/events?owner=): `owner = $1 AND sequence > $2 ORDER BY owner, sequence LIMIT n`
-- is a range of this index from the cursor, which stops after a page however few of the events are that owner's
-- (the primary key alone would be walked from the cursor to the end, filtering every other owner's rows).
-- No semicolon may appear except at the end of a statement (see the init migration).

CREATE INDEX "outbox_events_owner_sequence_idx" ON "outbox_events"("owner", "sequence");

-- Statistics for the planner at once: an embedded database has no autovacuum to gather them later.
ANALYZE "outbox_events";
