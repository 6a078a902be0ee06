"""Files the app reads at run time are inside the package, so an installed wheel has them.

The export codebook page once read `docs/export-codebook.md` through the source tree
(`parents[3] / "docs"`), which a wheel does not contain: installed from one, the page said the
codebook was missing. The codebook is now package data, declared in pyproject.toml. Building a
wheel here takes seconds of the shared machine for each run; checking the declaration is
enough, since setuptools copies what these patterns match (checked by hand with
`pip wheel --no-deps .`).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import fit_platform
from fit_platform.services.export_files import CODEBOOK_PATH
from fit_platform.web.export import codebook as codebook_page

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(fit_platform.__file__).resolve().parent


def _declared_package_data() -> set[Path]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["fit_platform"]
    return {path.resolve() for pattern in patterns for path in PACKAGE.glob(pattern)}


def test_the_codebook_the_page_reads_is_package_data_inside_the_package() -> None:
    assert codebook_page.CODEBOOK == CODEBOOK_PATH
    assert CODEBOOK_PATH.is_file()
    assert CODEBOOK_PATH.resolve().is_relative_to(PACKAGE)
    assert CODEBOOK_PATH.resolve() in _declared_package_data()


def test_the_docs_no_longer_keep_a_second_copy_of_the_codebook() -> None:
    assert not (ROOT / "docs" / "export-codebook.md").exists()
    export_doc = (ROOT / "docs" / "export.md").read_text(encoding="utf-8")
    assert "(../fit_platform/services/export/codebook.md)" in export_doc
