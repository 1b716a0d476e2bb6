-- Full-text search over a record's current version (issue 5): content, handling, the intervener's
-- name, unit and post, the persons present, place, case number and title. The trigram tokenizer
-- finds Chinese text as written without a word list; LIKE queries of three or more characters use
-- the index. A query table like the others: derived from the events, filled for existing records
-- when the store opens, rebuilt and checked by `liuhen verify`.
CREATE VIRTUAL TABLE record_search USING fts5(record_id UNINDEXED, body, tokenize = 'trigram');
