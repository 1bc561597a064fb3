-- loopcloser team hub, schema version 1.
--
-- Agents never write a table: every change goes through hub_record(), a SECURITY
-- DEFINER function owned by a role that cannot log in. Row-level security is forced
-- on every table, so even a grant added by mistake lets an agent read only.

CREATE TABLE hub_meta (
    key text PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE agents (
    name text PRIMARY KEY,
    login text NOT NULL UNIQUE,          -- the PostgreSQL role the agent logs in as
    lead boolean NOT NULL DEFAULT false,
    last_sync timestamptz
);

CREATE TABLE loops (
    uid uuid PRIMARY KEY,
    owner text NOT NULL REFERENCES agents (name),
    seq bigint NOT NULL,                 -- how many events the loop has
    fields jsonb NOT NULL,               -- the loop's current stored fields
    position bigint NOT NULL             -- the hub's position of its latest event
);

CREATE TABLE loop_events (
    uid uuid PRIMARY KEY,                -- made by the agent's machine: a re-send is a no-op
    loop_uid uuid NOT NULL,
    seq bigint NOT NULL,
    author text NOT NULL,
    kind text NOT NULL,
    body jsonb NOT NULL,
    late boolean NOT NULL DEFAULT false, -- arrived after the loop was reassigned away
    position bigint NOT NULL UNIQUE,     -- the hub's order, never an agent's clock
    at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (loop_uid, seq)
);

CREATE TABLE erasures (
    loop_uid uuid PRIMARY KEY,           -- a tombstone: no name, contact or words
    position bigint NOT NULL UNIQUE,
    at timestamptz NOT NULL DEFAULT now()
);

CREATE SEQUENCE hub_positions;

INSERT INTO hub_meta VALUES ('schema_version', '1'), ('epoch', gen_random_uuid()::text);

-- The one way a change reaches the hub. It runs as the hub's owner, and trusts only
-- session_user: the login of the agent who called it.
CREATE FUNCTION hub_record(
    event_uid uuid, target uuid, kind text, body jsonb, fields jsonb
) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, loopcloser, pg_temp AS $$
DECLARE
    me loopcloser.agents%ROWTYPE;
    loop_row loopcloser.loops%ROWTYPE;
    next_seq bigint;
    pos bigint;
    receiver text;
BEGIN
    -- Positions are taken under one lock per team, so they commit in the order they
    -- are taken: a reader past position P never misses one committed later below it.
    PERFORM pg_advisory_xact_lock(hashtext('loopcloser hub ' || current_database()));
    SELECT * INTO me FROM loopcloser.agents WHERE login = session_user;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'loopcloser: % is not an agent of this hub', session_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF EXISTS (SELECT 1 FROM loopcloser.loop_events WHERE uid = event_uid) THEN
        IF EXISTS (SELECT 1 FROM loopcloser.loop_events
                   WHERE uid = event_uid AND loop_uid = target AND author = me.name) THEN
            RETURN 'duplicate';  -- a re-sent event (the reply was lost): stored once
        END IF;
        RAISE EXCEPTION 'loopcloser: event % is another''s', event_uid
            USING ERRCODE = 'unique_violation', HINT = 'taken';
    END IF;
    IF EXISTS (SELECT 1 FROM loopcloser.erasures WHERE loop_uid = target) THEN
        RAISE EXCEPTION 'loopcloser: loop % was erased from the hub', target
            USING ERRCODE = 'no_data_found', HINT = 'erased';
    END IF;
    SELECT * INTO loop_row FROM loopcloser.loops WHERE uid = target FOR UPDATE;
    IF NOT FOUND THEN
        IF kind <> 'created' THEN
            RAISE EXCEPTION 'loopcloser: no loop % in the hub', target
                USING ERRCODE = 'no_data_found', HINT = 'unknown';
        END IF;
        pos := nextval('loopcloser.hub_positions');
        INSERT INTO loopcloser.loops VALUES (target, me.name, 1, fields, pos);
        INSERT INTO loopcloser.loop_events (uid, loop_uid, seq, author, kind, body, position)
            VALUES (event_uid, target, 1, me.name, kind, body, pos);
        PERFORM pg_notify('loopcloser_hub', target::text);
        RETURN 'stored';
    END IF;
    next_seq := loop_row.seq + 1;
    IF kind = 'reassigned' THEN
        IF NOT me.lead THEN
            RAISE EXCEPTION 'loopcloser: only a lead may reassign a loop'
                USING ERRCODE = 'insufficient_privilege', HINT = 'not_lead';
        END IF;
    ELSIF loop_row.owner <> me.name THEN
        IF NOT EXISTS (SELECT 1 FROM loopcloser.loop_events WHERE loop_uid = target AND author = me.name) THEN
            RAISE EXCEPTION 'loopcloser: loop % is %''s, not %''s', target, loop_row.owner, me.name
                USING ERRCODE = 'insufficient_privilege', HINT = 'not_owner';
        END IF;
        -- Made offline by an owner it was taken from: kept in the history as a late
        -- arrival, never dropped, and changing nothing of the loop.
        pos := nextval('loopcloser.hub_positions');
        INSERT INTO loopcloser.loop_events (uid, loop_uid, seq, author, kind, body, late, position)
            VALUES (event_uid, target, next_seq, me.name, kind, body, true, pos);
        UPDATE loopcloser.loops SET seq = next_seq, position = pos WHERE uid = target;
        PERFORM pg_notify('loopcloser_hub', target::text);
        RETURN 'late';
    END IF;
    receiver := CASE WHEN kind IN ('handoff', 'reassigned') THEN body->>'to' END;
    IF receiver IS NOT NULL AND NOT EXISTS (SELECT 1 FROM loopcloser.agents WHERE name = receiver) THEN
        RAISE EXCEPTION 'loopcloser: % is not an agent of this hub', receiver
            USING ERRCODE = 'no_data_found', HINT = 'unknown_agent';
    END IF;
    pos := nextval('loopcloser.hub_positions');
    INSERT INTO loopcloser.loop_events (uid, loop_uid, seq, author, kind, body, position)
        VALUES (event_uid, target, next_seq, me.name, kind, body, pos);
    UPDATE loopcloser.loops
        SET seq = next_seq, fields = hub_record.fields, position = pos,
            owner = coalesce(receiver, owner)
        WHERE uid = target;
    PERFORM pg_notify('loopcloser_hub', target::text);
    RETURN 'stored';
END
$$;
