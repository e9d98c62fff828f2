"""Alembic migrations of curator's schema (env.py, versions/), shipped as package data."""
