"""`make load` (python -m load): a bounded locust load test of the whole API against the local stack
(or --host), with a consistency check of every simulated user's statistics and call history.

  load/__main__.py    the CLI: starts the stack, runs locust headless in a subprocess, checks, reports
  load/locustfile.py  the simulated users: register + login, then weighted tasks over all endpoints
  load/checks.py      pure logic: judging responses, the ledger, the consistency verdicts, locust's CSV
"""
