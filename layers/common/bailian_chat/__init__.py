"""Bailian Chat API: the shared domain package (the Lambda layer).

Every function imports it first: in a Lambda execution environment the garbage collector is paused
from here until the function's module has imported (bailian_chat.warm_start says why), and the code
Python generates while it imports is taken precompiled from the build (bailian_chat.generated_code)."""

import gc

# Paused before anything else imports (this package's own modules pull in logging, json, ast, ...);
# warm_start.hold_collector_until_prime then keeps it so in Lambda and turns it back on elsewhere.
_collector_was_running = gc.isenabled()
gc.disable()

# Before anything makes a dataclass: their generated methods come precompiled (generated_code).
from bailian_chat import generated_code  # noqa: E402

generated_code.install()

from bailian_chat import warm_start  # noqa: E402

warm_start.hold_collector_until_prime(_collector_was_running)
