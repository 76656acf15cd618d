"""Model-call log, daily rollups, statistics and per-user rate limits."""
