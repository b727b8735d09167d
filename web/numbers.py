"""Numbers written for the request's language (Babel's CLDR data): ``12,345`` / ``12,345.6``."""

from __future__ import annotations

from babel.numbers import format_decimal
from flask import Flask

from web.i18n import locale

_BABEL = {"en": "en", "zh": "zh_Hans_CN"}


def number(value: float | int | str | None, digits: int | None = None) -> str:
    """``value`` with the locale's grouping and decimal mark (``digits``: decimals shown)."""
    if value is None or value == "":
        return ""
    number_ = float(value) if digits is not None or "." in str(value) else int(value)
    pattern = None if digits is None else "#,##0." + "0" * digits if digits else "#,##0"
    return format_decimal(number_, format=pattern, locale=_BABEL.get(locale(), "en"))


def init_app(app: Flask) -> None:
    app.add_template_filter(number, "number")
