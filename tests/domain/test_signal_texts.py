import ast
from pathlib import Path

from flask import Flask
from flask_babel import Babel

import fit_platform
from fit_platform.domain.signals import SignalCode
from fit_platform.signal_texts import SIGNAL_EXPLANATIONS, SIGNAL_TITLES


def test_every_signal_code_has_a_title_and_an_explanation_for_therapists() -> None:
    assert set(SIGNAL_TITLES) == set(SignalCode) == set(SIGNAL_EXPLANATIONS)
    app = Flask(__name__)
    Babel(app)  # type: ignore[no-untyped-call]  # Flask-Babel leaves it unannotated
    with app.test_request_context():
        for code in SignalCode:
            assert str(SIGNAL_TITLES[code]) and len(str(SIGNAL_EXPLANATIONS[code])) > 40


def test_signal_texts_use_literal_msgids_so_babel_can_extract_them() -> None:
    src = Path(fit_platform.__file__).parent / "signal_texts.py"
    for node in ast.walk(ast.parse(src.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_l":
            assert len(node.args) == 1 and isinstance(node.args[0], ast.Constant)
