"""HTTP edge: resolver factory, envelope, the one exception-to-status mapping."""
