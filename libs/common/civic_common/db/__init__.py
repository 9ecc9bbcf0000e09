"""Database plumbing: engines, the shared messaging tables, the unit of work and migrations."""
