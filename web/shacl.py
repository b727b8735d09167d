"""Placeholder: /shacl."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("shacl", __name__)


@bp.route("/shacl")
def form() -> str:
    return "todo"
