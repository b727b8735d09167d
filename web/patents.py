"""Placeholder."""

from flask import Blueprint

bp = Blueprint("patents", __name__)
