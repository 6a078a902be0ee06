import ast
import sys
from pathlib import Path

import fit_platform.domain

MODULES = [
    "consent.py",
    "invitation_times.py",
    "quiet_hours.py",
    "schedule_model.py",
    "scheduling.py",
    "send_window.py",
]


def test_the_scheduling_rules_import_only_the_standard_library_and_the_domain() -> None:
    folder = Path(fit_platform.domain.__file__).parent
    for name in MODULES:
        tree = ast.parse((folder / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                roots = [node.module.split(".")[0]]
            else:
                continue
            for root in roots:
                allowed = root in sys.stdlib_module_names or node_is_domain(node)
                assert allowed, f"{name} imports {root}"


def node_is_domain(node: ast.Import | ast.ImportFrom) -> bool:
    return isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
        "fit_platform.domain"
    )
