"""Security battery part: faults (SECURITY.md "Faults survived"; docs/security.md).

``python -m kindred.security.faults --out FILE.json [--full] [--only a,b]`` brings up its
own PostgreSQL 15 cluster, Redis, SMTP and SMS provider mocks and gunicorn on loopback
(infra.py), makes a small practice through the real services (setup.py), then:

- ``broken_variant``: a writer whose first answers are lost resends each write; with its
  Idempotency-Key nothing is stored twice, without one the ledger reconciliation must
  report duplicates (ledger.py);
- ``pg_crash``: writers post through the API with keys while PostgreSQL is crashed
  (``pg_ctl stop -m immediate``) and restarted; the client ledger is reconciled with the
  rows: acknowledged writes lost, duplicates, 503s, other 5xx;
- ``redis_down``: Redis killed; the sign-in form (with django-axes) and clinical pages;
- ``worker_killed``: ``db_worker`` killed with SIGKILL while a reminder is being sent;
  deliveries counted by what the provider mocks received;
- ``disk_full``: a full tmpfs as upload temporary directory and backup target; no
  orphan files;
- and during each fault a PHQ-9 with item 9 answered: exactly one safety alert.

Exit 0 passed, 1 findings, 2 could not run (scenarios.py has the details of each).
"""
