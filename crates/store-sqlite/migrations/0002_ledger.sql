-- The Merkle tree over the events (RFC 6962/9162), as the stored hashes of tlog-tiles: every
-- leaf hash and every complete subtree hash, numbered as tlog_tiles::stored_hash_index numbers
-- them. Hash tiles are slices of this table. Written with the events, in the same transaction.
CREATE TABLE tlog_hashes (
    idx   INTEGER PRIMARY KEY,
    hash  BLOB NOT NULL
) STRICT;

-- Every signed checkpoint (c2sp.org/tlog-checkpoint as a signed note), one per committed batch.
CREATE TABLE checkpoints (
    size  INTEGER PRIMARY KEY,
    root  BLOB NOT NULL,
    note  BLOB NOT NULL,
    at    TEXT NOT NULL
) STRICT;

CREATE TRIGGER tlog_hashes_refuse_update BEFORE UPDATE ON tlog_hashes
BEGIN SELECT RAISE(ABORT, 'the Merkle tree is append-only: UPDATE refused (R1)'); END;
CREATE TRIGGER tlog_hashes_refuse_delete BEFORE DELETE ON tlog_hashes
BEGIN SELECT RAISE(ABORT, 'the Merkle tree is append-only: DELETE refused (R1)'); END;
CREATE TRIGGER checkpoints_refuse_update BEFORE UPDATE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only: UPDATE refused (R1)'); END;
CREATE TRIGGER checkpoints_refuse_delete BEFORE DELETE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only: DELETE refused (R1)'); END;
