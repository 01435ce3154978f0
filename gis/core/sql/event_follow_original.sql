-- A duplicate (重复件) follows its original: the original's state, closure and due time go to
-- every duplicate of :id that differs, each change written to event_log (one statement).
WITH old AS (
    SELECT id, status FROM event
    WHERE duplicate_of = :id
      AND (status <> :status OR closed_at IS DISTINCT FROM CAST(:closed_at AS timestamptz))
    FOR UPDATE
), moved AS (
    UPDATE event e
    SET status = :status, closed_at = CAST(:closed_at AS timestamptz),
        due_at = coalesce(CAST(:due_at AS timestamptz), e.due_at)
    FROM old WHERE e.id = old.id
    RETURNING e.id, old.status AS from_status
)
INSERT INTO event_log (event_id, from_status, to_status, actor, note)
SELECT id, from_status, :status, :actor, :note FROM moved
