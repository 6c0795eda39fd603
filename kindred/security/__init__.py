"""The security and reliability battery (issue 9; docs/security.md).

Each part lives in its own subpackage and can run on its own:

- ``authz``  — the authorization matrix over every URL pattern and role
- ``fuzz``   — schemathesis per role and sqlmap on every parameter (live server)
- ``xss``    — an XSS corpus into every free-text field, checked on every surface
- ``faults`` — database crash, Redis down, worker killed, under write load
- ``static`` — bandit, the offline dependency-advisory check, ``check --deploy``

``python -m kindred.security`` (``make security``) runs the parts and writes one JSON of
figures; ``python -m kindred.security.faults`` (``make faults``) runs the fault part.
Only loopback addresses are ever targeted; every loop is bounded in count and time.
"""
