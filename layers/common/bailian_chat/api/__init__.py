"""HTTP edge: resolver factory, envelope, the one exception-to-status mapping."""

from bailian_chat import lean_imports

lean_imports.install()  # before the first import of the Powertools resolver (see lean_imports)
