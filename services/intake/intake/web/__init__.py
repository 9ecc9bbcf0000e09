"""The counter pages (Dutch): register a newcomer, search, a person's page with history."""
