"""Helpers shared by the tests. Fixtures live in conftest.py files; anything a test imports
lives here."""
