"""Authentication: passwords, tokens, sessions, the login throttle."""
