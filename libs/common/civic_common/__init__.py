"""Shared plumbing of the civic integration services.

Only infrastructure lives here (contracts, envelope, outbox/inbox, database, HTTP edge, auth,
settings, logging, test fixtures); domain rules stay in their service.
"""
