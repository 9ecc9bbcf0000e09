from civic_common.db.migrate import run_migrations

run_migrations()
