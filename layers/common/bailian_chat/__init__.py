"""Bailian Chat API: the shared domain package (the Lambda layer).

Every function imports it first: in a Lambda execution environment the garbage collector is paused
from here until the function's module has imported (bailian_chat.warm_start says why)."""

import gc

# Paused before anything else imports (this package's own modules pull in logging, json, ast, ...);
# warm_start.hold_collector_until_prime then keeps it so in Lambda and turns it back on elsewhere.
_collector_was_running = gc.isenabled()
gc.disable()

from bailian_chat import warm_start  # noqa: E402

warm_start.hold_collector_until_prime(_collector_was_running)
