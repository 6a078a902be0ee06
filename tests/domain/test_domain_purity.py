import ast
from pathlib import Path

import fit_platform.domain

FORBIDDEN = ("flask", "sqlalchemy", "flask_babel", "flask_wtf", "wtforms")


def _imported_top_level_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


def test_no_domain_module_imports_flask_or_sqlalchemy() -> None:
    root = Path(fit_platform.domain.__file__).parent
    files = sorted(root.rglob("*.py"))
    assert len(files) > 3
    for f in files:
        bad = _imported_top_level_modules(f) & set(FORBIDDEN)
        assert not bad, f"{f.name} imports {sorted(bad)}"
