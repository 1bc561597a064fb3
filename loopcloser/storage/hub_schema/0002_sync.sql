-- loopcloser team hub, schema version 2: what agents' stores need to sync.
--
-- A loop's row now holds its whole history as its stores keep it (events, oldest
-- first, in the hub's order), so a replica or a report reads one row per loop. The
-- events are appended here by the hub alone; an agent sends only the fields its
-- replay of that history gives (hub_fields), and only while the loop is theirs.

ALTER TABLE loops ADD COLUMN events jsonb NOT NULL DEFAULT '[]';
UPDATE loops SET events = coalesce(
    (SELECT jsonb_agg(e.body ORDER BY e.seq) FROM loop_events e WHERE e.loop_uid = loops.uid),
    '[]');
-- What a report asks of every row, kept beside the documents so that choosing rows
-- never unpacks them: whether the loop is still ours to close, and its latest moment.
ALTER TABLE loops ADD COLUMN active boolean NOT NULL DEFAULT true;
ALTER TABLE loops ADD COLUMN last_at text NOT NULL DEFAULT '';
UPDATE loops SET active = coalesce(fields->>'state', 'open') IN ('open', 'waiting', 'done'),
                 last_at = coalesce((SELECT max(e.body->>'at') FROM loop_events e
                                     WHERE e.loop_uid = loops.uid), '');
CREATE INDEX loops_active ON loops (owner) WHERE active;
CREATE INDEX loops_by_last_at ON loops (last_at);
CREATE INDEX loop_events_by_author ON loop_events (author, loop_uid);
-- The transaction that recorded each event: only in that transaction may someone who
-- is not the loop's owner (the giver of a handoff, a lead) set its fields or void it.
ALTER TABLE loop_events ADD COLUMN recorded_in xid8;
ALTER TABLE loop_events ALTER COLUMN recorded_in SET DEFAULT pg_current_xact_id();

DROP FUNCTION hub_record(uuid, uuid, text, jsonb, jsonb);

-- The caller as the hub knows them, from session_user alone; an error for a stranger.
CREATE FUNCTION hub_caller() RETURNS loopcloser.agents
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, loopcloser, pg_temp AS $$
DECLARE
    caller loopcloser.agents%ROWTYPE;
BEGIN
    SELECT * INTO caller FROM loopcloser.agents WHERE login = session_user;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'loopcloser: % is not an agent of this hub', session_user
            USING ERRCODE = 'insufficient_privilege', HINT = 'not_agent';
    END IF;
    RETURN caller;
END
$$;

-- The one way an event reaches the hub: (outcome, the loop's event count after it).
-- outcome is 'stored', 'duplicate' (sent before: stored once) or 'late' (made by an
-- owner the loop was taken from: kept in its history, changing nothing).
CREATE FUNCTION hub_record(event_uid uuid, target uuid, event jsonb,
                           OUT outcome text, OUT hub_seq bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, loopcloser, pg_temp AS $$
DECLARE
    caller loopcloser.agents%ROWTYPE;
    loop_row loopcloser.loops%ROWTYPE;
    event_kind text := event->>'kind';
    stored jsonb;
    pos bigint;
    receiver text;
    is_late boolean := false;
BEGIN
    IF jsonb_typeof(event) IS DISTINCT FROM 'object'
       OR event_kind IS NULL
       OR event_kind NOT IN ('created', 'edited', 'note', 'contact', 'waiting', 'resumed',
                             'handoff', 'reassigned', 'rescheduled', 'done', 'closed',
                             'cancelled', 'reopened', 'reminded', 'snoozed')
       OR jsonb_typeof(event->'at') IS DISTINCT FROM 'string'
       OR (event->>'at') !~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$'
       OR jsonb_typeof(coalesce(event->'changes', '{}')) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'loopcloser: event % is not one loopcloser writes', event_uid
            USING ERRCODE = 'invalid_parameter_value', HINT = 'malformed';
    END IF;
    -- Positions are taken under one lock per team, so they commit in the order they
    -- are taken: a reader past position P never misses one committed later below it.
    PERFORM pg_advisory_xact_lock(hashtext('loopcloser hub ' || current_database()));
    caller := loopcloser.hub_caller();
    IF EXISTS (SELECT 1 FROM loopcloser.loop_events e WHERE e.uid = event_uid) THEN
        IF EXISTS (SELECT 1 FROM loopcloser.loop_events e
                   WHERE e.uid = event_uid AND e.loop_uid = target AND e.author = caller.name) THEN
            outcome := 'duplicate';  -- a re-sent event (the reply was lost): stored once
            SELECT l.seq INTO hub_seq FROM loopcloser.loops l WHERE l.uid = target;
            RETURN;
        END IF;
        RAISE EXCEPTION 'loopcloser: event % is another''s', event_uid
            USING ERRCODE = 'unique_violation', HINT = 'taken';
    END IF;
    IF EXISTS (SELECT 1 FROM loopcloser.erasures x WHERE x.loop_uid = target) THEN
        RAISE EXCEPTION 'loopcloser: loop % was erased from the hub', target
            USING ERRCODE = 'no_data_found', HINT = 'erased';
    END IF;
    -- The event as its replicas hold it, written by the caller whatever it says.
    stored := (event - 'void' - 'sent') || jsonb_build_object('uid', event_uid, 'by', caller.name);
    SELECT * INTO loop_row FROM loopcloser.loops l WHERE l.uid = target FOR UPDATE;
    IF NOT FOUND THEN
        IF event_kind <> 'created' THEN
            RAISE EXCEPTION 'loopcloser: no loop % in the hub', target
                USING ERRCODE = 'no_data_found', HINT = 'unknown';
        END IF;
        pos := nextval('loopcloser.hub_positions');
        INSERT INTO loopcloser.loops (uid, owner, seq, fields, position, events, last_at)
            VALUES (target, caller.name, 1, '{}', pos, jsonb_build_array(stored),
                    coalesce(stored->>'at', ''));
        INSERT INTO loopcloser.loop_events (uid, loop_uid, seq, author, kind, body, position)
            VALUES (event_uid, target, 1, caller.name, event_kind, stored, pos);
        PERFORM pg_notify('loopcloser_hub', target::text);
        outcome := 'stored';
        hub_seq := 1;
        RETURN;
    END IF;
    IF event_kind = 'created' THEN
        IF loop_row.owner <> caller.name THEN
            RAISE EXCEPTION 'loopcloser: loop % is in the hub already', target
                USING ERRCODE = 'unique_violation', HINT = 'exists';
        END IF;
        -- The same loop made on two machines of its owner (one file imported on both):
        -- the second creation is kept, as a conflict that changes nothing.
        stored := stored || '{"void": "conflict"}';
    END IF;
    IF event_kind = 'reassigned' THEN
        IF NOT caller.lead THEN
            RAISE EXCEPTION 'loopcloser: only a lead may reassign a loop'
                USING ERRCODE = 'insufficient_privilege', HINT = 'not_lead';
        END IF;
    ELSIF loop_row.owner <> caller.name THEN
        IF NOT EXISTS (SELECT 1 FROM loopcloser.loop_events e
                       WHERE e.loop_uid = target AND e.author = caller.name) THEN
            RAISE EXCEPTION 'loopcloser: loop % is %''s, not %''s', target, loop_row.owner, caller.name
                USING ERRCODE = 'insufficient_privilege', HINT = 'not_owner';
        END IF;
        -- Made offline by an owner it was taken from: kept in the history as a late
        -- arrival, never dropped, and changing nothing of the loop.
        is_late := true;
        stored := stored || '{"void": "late"}';
    END IF;
    IF NOT is_late AND event_kind IN ('handoff', 'reassigned') THEN
        receiver := stored->'changes'->>'owner';
        IF receiver IS NULL OR NOT EXISTS (SELECT 1 FROM loopcloser.agents a WHERE a.name = receiver) THEN
            RAISE EXCEPTION 'loopcloser: % is not an agent of this hub', coalesce(receiver, 'nobody')
                USING ERRCODE = 'no_data_found', HINT = 'unknown_agent';
        END IF;
    END IF;
    pos := nextval('loopcloser.hub_positions');
    hub_seq := loop_row.seq + 1;
    INSERT INTO loopcloser.loop_events (uid, loop_uid, seq, author, kind, body, late, position)
        VALUES (event_uid, target, hub_seq, caller.name, event_kind, stored, is_late, pos);
    UPDATE loopcloser.loops l
        SET seq = hub_seq, position = pos, events = l.events || jsonb_build_array(stored),
            owner = coalesce(receiver, l.owner),
            last_at = greatest(l.last_at, coalesce(stored->>'at', ''))
        WHERE l.uid = target;
    PERFORM pg_notify('loopcloser_hub', target::text);
    outcome := CASE WHEN is_late THEN 'late' ELSE 'stored' END;
END
$$;

-- A loop's waiting events in one call, in order (each through hub_record): their
-- outcomes, the loop's event count after the last, and whether its fields were set.
-- When the hub took them all on top of the ``base`` events the caller knew, the
-- caller's fields are the replay of the hub's history: they are set at once, and a
-- sync needs one round trip a loop.
CREATE FUNCTION hub_record_all(target uuid, events jsonb, base bigint, new_fields jsonb,
                               void jsonb, OUT outcomes text[], OUT hub_seq bigint,
                               OUT settled boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, loopcloser, pg_temp AS $$
DECLARE
    event jsonb;
    one text;
BEGIN
    outcomes := '{}';
    FOR event IN SELECT value FROM jsonb_array_elements(events) LOOP
        SELECT r.outcome, r.hub_seq INTO one, hub_seq
            FROM loopcloser.hub_record((event->>'uid')::uuid, target, event) AS r;
        outcomes := outcomes || one;
    END LOOP;
    settled := hub_seq = base + jsonb_array_length(events)
        AND outcomes <@ ARRAY['stored']
        AND loopcloser.hub_fields(target, hub_seq, new_fields, void);
END
$$;

-- The loop's fields as the caller's replay of its whole history gives them, set only
-- when the hub holds exactly ``at_seq`` events (else false: replay again), and only by
-- its owner, a lead, or the agent whose event (a handoff) was its latest to apply. ``void``
-- names events that replay could not apply (a conflict between two machines).
CREATE FUNCTION hub_fields(target uuid, at_seq bigint, new_fields jsonb, void jsonb)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, loopcloser, pg_temp AS $$
DECLARE
    caller loopcloser.agents%ROWTYPE := loopcloser.hub_caller();
    loop_row loopcloser.loops%ROWTYPE;
BEGIN
    SELECT * INTO loop_row FROM loopcloser.loops l WHERE l.uid = target FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'loopcloser: no loop % in the hub', target
            USING ERRCODE = 'no_data_found', HINT = 'unknown';
    END IF;
    IF loop_row.seq <> at_seq THEN
        RETURN false;
    END IF;
    -- The owner sets the fields; anyone else (the giver of a handoff, a lead who
    -- reassigned) only in the transaction that recorded the latest event that applied.
    IF loop_row.owner <> caller.name AND NOT EXISTS (
        SELECT 1 FROM (SELECT e.author, e.recorded_in FROM loopcloser.loop_events e
                       WHERE e.loop_uid = target AND NOT e.late ORDER BY e.seq DESC LIMIT 1) AS latest
        WHERE latest.author = caller.name AND latest.recorded_in = pg_current_xact_id()
    ) THEN
        RAISE EXCEPTION 'loopcloser: loop % is %''s, not %''s', target, loop_row.owner, caller.name
            USING ERRCODE = 'insufficient_privilege', HINT = 'not_owner';
    END IF;
    -- Only events recorded in this transaction may be marked, and only as conflicts.
    void := coalesce((
        SELECT jsonb_object_agg(e.uid::text, 'conflict') FROM loopcloser.loop_events e
        WHERE e.loop_uid = target AND e.recorded_in = pg_current_xact_id()
          AND void ? e.uid::text AND void->>(e.uid::text) = 'conflict'), '{}');
    UPDATE loopcloser.loops l
        SET fields = (new_fields - 'events' - 'sent') || jsonb_build_object('owner', l.owner),
            active = coalesce(new_fields->>'state', 'open') IN ('open', 'waiting', 'done'),
            events = CASE WHEN void = '{}' THEN l.events ELSE (
                SELECT jsonb_agg(CASE WHEN void ? (e->>'uid') AND NOT e ? 'void'
                                      THEN e || jsonb_build_object('void', void->(e->>'uid'))
                                      ELSE e END ORDER BY n)
                FROM jsonb_array_elements(l.events) WITH ORDINALITY AS t(e, n)) END
        WHERE l.uid = target;
    RETURN true;
END
$$;

-- The right to erasure: the loops go with every event, and a tombstone that holds
-- their uids alone keeps any replica from sending them back. Their owner or a lead
-- may erase; a uid the hub has not seen yet is tombstoned all the same.
CREATE FUNCTION hub_erase(targets uuid[]) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, loopcloser, pg_temp AS $$
DECLARE
    caller loopcloser.agents%ROWTYPE;
    theirs text;
    erased integer;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('loopcloser hub ' || current_database()));
    caller := loopcloser.hub_caller();
    IF NOT caller.lead THEN
        SELECT l.owner INTO theirs FROM loopcloser.loops l
            WHERE l.uid = ANY (targets) AND l.owner <> caller.name LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'loopcloser: some of these loops are %''s: a lead erases them', theirs
                USING ERRCODE = 'insufficient_privilege', HINT = 'not_owner';
        END IF;
    END IF;
    DELETE FROM loopcloser.loop_events e WHERE e.loop_uid = ANY (targets);
    DELETE FROM loopcloser.loops l WHERE l.uid = ANY (targets);
    GET DIAGNOSTICS erased = ROW_COUNT;
    INSERT INTO loopcloser.erasures (loop_uid, position)
        SELECT t, nextval('loopcloser.hub_positions')
        FROM (SELECT DISTINCT unnest(targets) AS t) AS wanted
        WHERE NOT EXISTS (SELECT 1 FROM loopcloser.erasures x WHERE x.loop_uid = wanted.t);
    PERFORM pg_notify('loopcloser_hub', 'erased');
    RETURN erased;
END
$$;

-- A sync finished: the lead's `hub agents` shows when.
CREATE FUNCTION hub_synced() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, loopcloser, pg_temp AS $$
BEGIN
    UPDATE loopcloser.agents a SET last_sync = now() WHERE a.login = session_user;
END
$$;
