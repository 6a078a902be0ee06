"""What every process pays at start: the app is created without importing SciPy.

SciPy's optimiser (the export's small-cell audit, `domain/disclosure_audit.py`) takes about a
second to import. Every process imports the module that uses it, through the groups' figures,
while only the export runs the audit; so it is imported there, when the audit runs. A web
worker, the scheduler and each command start that much sooner. Checked in a new process, as
a server starts, since this test process has long imported everything.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CREATE_THE_APP = """
import sys
from fit_platform.app import create_app
create_app(overrides={"environment": "test", "database_url": "sqlite://",
                      "secret_key": "start-up-test-secret-key-0123456789",
                      "public_base_url": "http://localhost", "log_level": "WARNING"})
from fit_platform.domain import disclosure_audit, small_cells  # imported, not run
print(sorted(name for name in ("numpy", "scipy", "scipy.optimize") if name in sys.modules))
"""

AUDIT = """
import sys
from fit_platform.domain.disclosure_audit import disclosed_cells
print("scipy.optimize" in sys.modules)
"""


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def test_the_app_is_created_without_importing_scipy() -> None:
    assert _run(CREATE_THE_APP) == "[]"


def test_the_audit_module_imports_scipy_only_when_it_runs() -> None:
    assert _run(AUDIT) == "False"
