"""The service hashes passwords with argon2-cffi's recommended parameters.

The test process hashes cheaply (`tests/support/password_cost.py`); this asks a process of
the service's own, as a deployment would run it, what a new hash carries."""

from __future__ import annotations

import subprocess
import sys

from argon2 import PasswordHasher
from argon2.profiles import RFC_9106_LOW_MEMORY

from fit_platform.services import passwords
from tests.support.password_cost import CHEAP


def test_the_service_hashes_with_the_recommended_parameters() -> None:
    printed = subprocess.run(
        [
            sys.executable,
            "-c",
            "from fit_platform.services.passwords import hash_password; "
            "print(hash_password('correct horse battery staple'))",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.strip()
    expected = RFC_9106_LOW_MEMORY
    assert printed.startswith("$argon2id$")
    assert f"m={expected.memory_cost},t={expected.time_cost},p={expected.parallelism}$" in printed
    assert PasswordHasher().verify(printed, "correct horse battery staple")


def test_the_test_process_hashes_cheaply_with_the_same_algorithm() -> None:
    stored = passwords.hash_password("correct horse battery staple")
    assert passwords._hasher is CHEAP
    assert stored.startswith("$argon2id$") and "m=8,t=1,p=1$" in stored
    assert passwords.verify_password(stored, "correct horse battery staple")
    assert not passwords.verify_password(stored, "wrong horse battery staple")
    assert not passwords.needs_rehash(stored)
