"""Rapportage: read models built from every topic, the report catalogue and report exchange."""
