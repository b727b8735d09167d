"""Placeholder: /queries."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("queries", __name__)


@bp.route("/queries")
def index() -> str:
    return "todo"


def catalogue() -> list:
    return []
