-- The ledger in PostgreSQL (DESIGN.md, issue 7): the same tables as SQLite's 0001/0002, with the
-- same columns, so that a store moves between the two byte for byte.
CREATE TABLE events (
    seq         BIGINT PRIMARY KEY CHECK (seq >= 0),
    entry       BYTEA  NOT NULL,
    leaf_hash   BYTEA  NOT NULL,
    kind        TEXT   NOT NULL,
    record_id   TEXT,
    at          TEXT   NOT NULL
);
CREATE INDEX events_record ON events(record_id);

-- Every leaf hash and complete subtree hash, numbered as tlog_tiles::stored_hash_index numbers them.
CREATE TABLE tlog_hashes (
    idx   BIGINT PRIMARY KEY CHECK (idx >= 0),
    hash  BYTEA  NOT NULL
);

-- Every signed checkpoint (c2sp.org/tlog-checkpoint), one per committed batch.
CREATE TABLE checkpoints (
    size  BIGINT PRIMARY KEY CHECK (size > 0),
    root  BYTEA  NOT NULL,
    note  BYTEA  NOT NULL,
    at    TEXT   NOT NULL
);

-- R1 (全程留痕、永久存储): nothing in the ledger is updated in place, deleted or truncated. The
-- database refuses it whoever asks, the owner included; the application's role has no right to
-- it either (docs/operations.md), and dropping a trigger takes the owner, whom the ledger catches.
CREATE FUNCTION liuhen_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused (R1 全程留痕、永久存储)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;

CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION liuhen_refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION liuhen_refuse_change();
CREATE TRIGGER tlog_hashes_append_only BEFORE UPDATE OR DELETE ON tlog_hashes
    FOR EACH ROW EXECUTE FUNCTION liuhen_refuse_change();
CREATE TRIGGER tlog_hashes_no_truncate BEFORE TRUNCATE ON tlog_hashes
    FOR EACH STATEMENT EXECUTE FUNCTION liuhen_refuse_change();
CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON checkpoints
    FOR EACH ROW EXECUTE FUNCTION liuhen_refuse_change();
CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION liuhen_refuse_change();

-- Exactly one sequencer among the server processes over this database. The process that holds the
-- advisory lock is the sequencer; taking over raises the epoch (fencing), and every append states
-- its writer's epoch, so a sequencer that lost its lock without noticing cannot append again.
CREATE TABLE sequencer_lease (
    only_row  BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    epoch     BIGINT  NOT NULL,
    holder    TEXT    NOT NULL,
    since     TEXT    NOT NULL
);
INSERT INTO sequencer_lease (epoch, holder, since) VALUES (0, '', '');

-- Events only in order, only from the current sequencer: each INSERT's rows continue the log with
-- no gap, and the writer's epoch (set for its transaction as liuhen.epoch) is the current one.
-- Checked once a statement, over the rows it inserted, before the transaction can commit. The
-- lease row is read FOR SHARE, so a takeover waits for an append under way and every later
-- append sees the new epoch.
CREATE FUNCTION liuhen_events_in_order() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    current_epoch BIGINT;
    first_new BIGINT;
    last_new BIGINT;
    inserted BIGINT;
    before BIGINT;
BEGIN
    SELECT epoch INTO current_epoch FROM sequencer_lease FOR SHARE;
    IF current_setting('liuhen.epoch', true) IS DISTINCT FROM current_epoch::text THEN
        RAISE EXCEPTION 'only the current sequencer (epoch %) appends events; this writer states epoch %',
            current_epoch, coalesce(nullif(current_setting('liuhen.epoch', true), ''), 'none')
            USING ERRCODE = 'LH001';
    END IF;
    SELECT min(seq), max(seq), count(*) INTO first_new, last_new, inserted FROM new_events;
    IF inserted = 0 THEN
        RETURN NULL;
    END IF;
    SELECT coalesce(max(seq), -1) INTO before FROM events WHERE seq < first_new;
    IF first_new <> before + 1 OR last_new - first_new + 1 <> inserted THEN
        RAISE EXCEPTION 'events % to % (% rows) out of order: the log goes on at index %, without gaps',
            first_new, last_new, inserted, before + 1
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER events_in_order AFTER INSERT ON events REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION liuhen_events_in_order();
