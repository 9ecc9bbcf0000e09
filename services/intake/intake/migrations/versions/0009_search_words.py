"""Name search at a year's volume: a vocabulary of the search keys' words with its own trigram
index, and a b-tree-like (GIN array) index on each person's words.

The trigram index on the whole key made Postgres walk the posting lists of every trigram a typed
word shares with a million keys (common syllables: 40 ms at low load, bench/year_of_data.py).
Now a typed word is first compared with the vocabulary (the distinct words of all keys, some
tens of thousands), and the persons are looked up by the resembling words themselves, exactly,
through ``persons_search_words``; the similarity conditions then run on those few rows only.

Triggers keep the vocabulary equal to the words of the keys: an insert or update adds the new
words; an update that takes words away (a correction, an erasure) removes those no person uses
any more, in the same transaction, so an erased person's names do not stay behind. It takes a
SHARE ROW EXCLUSIVE lock on the vocabulary first: a registration adding a word (ROW EXCLUSIVE)
waits for it or it for the registration, so a word is never removed while a person who has it
is being committed. The old trigram index on ``search_key`` stays: the duplicate check at
registration and ``candidates`` rank with it.

Revision ID: 0009
"""

from alembic import op

revision = "0009"
down_revision = "0008"
S = "intake"

WORDS = "string_to_array(search_key, ' ')"


def upgrade() -> None:
    added = f"""
        IF EXISTS (SELECT 1 FROM (SELECT DISTINCT unnest({WORDS}) AS word FROM new_rows) n
                   WHERE n.word <> ''
                     AND NOT EXISTS (SELECT 1 FROM {S}.search_words v WHERE v.word = n.word))
        THEN
            INSERT INTO {S}.search_words
                SELECT DISTINCT unnest({WORDS}) FROM new_rows WHERE search_key <> ''
                ON CONFLICT DO NOTHING;
        END IF;"""
    for statement in [
        f"CREATE TABLE {S}.search_words (word text PRIMARY KEY)",
        f"""COMMENT ON TABLE {S}.search_words IS 'The distinct words of persons.search_key (no
            link to a person): the name search finds resembling words here first'""",
        f"CREATE INDEX search_words_trigrams ON {S}.search_words USING gin (word gin_trgm_ops)",
        f"CREATE INDEX persons_search_words ON {S}.persons USING gin (({WORDS}))",
        f"""INSERT INTO {S}.search_words
            SELECT DISTINCT unnest({WORDS}) FROM {S}.persons WHERE search_key <> ''""",
        f"""CREATE FUNCTION {S}.search_words_added() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN {added}
                RETURN NULL;
            END $$""",
        # Words taken away first (under the lock, see above), then the new ones.
        f"""CREATE FUNCTION {S}.search_words_changed() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                gone text[];
            BEGIN
                SELECT array_agg(word) INTO gone FROM (
                    SELECT unnest({WORDS}) AS word FROM old_rows
                    EXCEPT SELECT unnest({WORDS}) FROM new_rows
                ) w WHERE word <> '';
                IF gone IS NOT NULL THEN
                    LOCK TABLE {S}.search_words IN SHARE ROW EXCLUSIVE MODE;
                    DELETE FROM {S}.search_words v
                    WHERE v.word = ANY(gone)
                      AND NOT EXISTS (SELECT 1 FROM {S}.persons p WHERE {WORDS} @> ARRAY[v.word]);
                END IF; {added}
                RETURN NULL;
            END $$""",
        f"""CREATE TRIGGER persons_search_words_added AFTER INSERT ON {S}.persons
            REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION {S}.search_words_added()""",
        f"""CREATE TRIGGER persons_search_words_changed AFTER UPDATE ON {S}.persons
            REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION {S}.search_words_changed()""",
    ]:
        op.execute(statement)


def downgrade() -> None:
    for statement in [
        f"DROP TRIGGER persons_search_words_changed ON {S}.persons",
        f"DROP TRIGGER persons_search_words_added ON {S}.persons",
        f"DROP FUNCTION {S}.search_words_changed()",
        f"DROP FUNCTION {S}.search_words_added()",
        f"DROP INDEX {S}.persons_search_words",
        f"DROP TABLE {S}.search_words",
    ]:
        op.execute(statement)
