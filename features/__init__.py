"""Acceptance scenarios (pytest-bdd), one feature per file, grouped by capability."""
