"""Alembic environment and versions: the only place DDL lives."""
