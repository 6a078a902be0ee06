"""Cheap Argon2 parameters for the test process (a pytest plugin, loaded with `-p` in
pyproject.toml so that it runs before anything hashes a password).

The service hashes with argon2-cffi's recommended parameters (RFC 9106's low-memory profile:
64 MiB, three passes), which is the point of them: some 250 ms of CPU per hash on the test
machine. The suite logs staff in well over a thousand times, and every login verifies a hash
with the parameters written in it, so that alone cost minutes of each run. Django recommends
the same trade for its own test runs.

Here the test process hashes with the same algorithm (Argon2id) and code path at the smallest
cost argon2 allows. Each login still verifies a real hash, refuses a wrong password and
rehashes when the parameters differ (`needs_rehash` compares against the same hasher). The
service's own parameters run wherever the suite starts the service as a separate process
(the deployment, the command-line and the demo tests), and
`tests/services/test_password_parameters.py` checks, in such a process, that they are the
recommended ones. A test about what a password check costs (the login-timing test) runs
under `recommended_cost()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from argon2 import PasswordHasher, Type

from fit_platform.services import passwords

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID)

passwords._hasher = CHEAP


@contextmanager
def recommended_cost() -> Iterator[None]:
    """The service's own parameters for the length of a block, for a test about what a
    password check costs (the hasher, and the stand-in hash an unknown username is checked
    against, made again with them: `passwords.dummy_hash` keeps one per process)."""
    kept = passwords._hasher
    passwords._hasher = PasswordHasher()
    passwords.dummy_hash.cache_clear()
    passwords.dummy_hash()
    try:
        yield
    finally:
        passwords._hasher = kept
        passwords.dummy_hash.cache_clear()
