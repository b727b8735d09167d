"""Placeholder: /indicators."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("indicators", __name__)


@bp.route("/indicators")
def dashboard() -> str:
    return "todo"
