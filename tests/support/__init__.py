"""Helpers shared by the unit and e2e suites (event builders, template reading, payload factories)."""
