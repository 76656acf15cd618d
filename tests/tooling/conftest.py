"""Fixtures for the tests of the tooling (fake upstream, local gateway and events, template reader,
load checks, sample events): the sample-event tests run the real handlers in-process against moto,
so they reuse the unit fixtures that do that (imported here, not copied)."""

from tests.unit.conftest import (  # noqa: F401  (fixtures)
    cheap_password_hashing,
    load_function,
    raw_client,
    table,
    unit_env,
)
