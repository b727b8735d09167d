"""The interface language of each request: English or Simplified Chinese.

- **Choice**: ``?lang=en|zh`` (remembered in a ``lang`` cookie), else that cookie, else the
  ``Accept-Language`` header (werkzeug's q-value matching; any ``zh-*`` is Simplified Chinese),
  else English. HTML answers vary on ``Accept-Language`` and ``Cookie``.
- **Catalogue**: ``web/translations/zh/LC_MESSAGES/messages.po``, a gettext PO file, the one file
  a translator edits (``make messages`` extracts new strings into it with Babel's ``pybabel``;
  ``babel.cfg`` says where they are). It is read with Babel when the app starts, so no compiled
  ``.mo`` file is kept in the tree or can fall out of step with it.
- **Use**: templates call ``_("...")`` and ``ngettext`` (Jinja's i18n extension, new style:
  ``_("%(n)s patents", n=3)``) and write numbers with the ``number`` filter
  (:mod:`web.numbers`, Babel, for the language: ``{{ n | number }}``, ``{{ x | number(2) }}``);
  Python calls :func:`gettext`.
  :func:`locale` is the request's language; :func:`data_language` the language tag to prefer
  among the data's own labels.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import Flask, Response, g, has_request_context, request
from werkzeug.datastructures import LanguageAccept

from web.echo import URL, echoed_path

#: The interface languages, the first the default; code -> its name in itself (for the switch).
LOCALES = {"en": "English", "zh": "中文"}
#: Each language's tag in a page's ``lang`` and an answer's ``Content-Language`` (BCP 47).
TAGS = {"en": "en", "zh": "zh-Hans"}
DEFAULT = "en"
COOKIE = "lang"
CATALOGUES = Path(__file__).resolve().parent / "translations"
_YEAR = 365 * 24 * 3600


@cache
def translations(code: str) -> NullTranslations:
    """The catalogue of one language (English is the source language: no catalogue)."""
    po = CATALOGUES / code / "LC_MESSAGES" / "messages.po"
    if code == DEFAULT or not po.is_file():
        return NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=code)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(fp=buf)


def N_(message: str) -> str:  # noqa: N802 (gettext's name for "translate later")
    """Marks a message for the catalogue (``make messages``) where it is written; it is said
    in the reader's language where it is shown (:func:`gettext`)."""
    return message


def _match(value: str | None) -> str | None:
    if not value:
        return None
    code = value.strip().lower().replace("_", "-").split("-")[0]
    return code if code in LOCALES else None


def negotiate(query: str | None, cookie: str | None, accept: LanguageAccept) -> str:
    """The language for a request's ``?lang=``, ``lang`` cookie and ``Accept-Language``."""
    chosen = _match(query) or _match(cookie)
    if chosen:
        return chosen
    for value, _quality in accept:  # best first
        if code := _match(value):
            return code
    return DEFAULT


def locale() -> str:
    """The current request's language (English outside a request)."""
    if not has_request_context():
        return DEFAULT
    if "hvp_locale" not in g:
        g.hvp_locale = negotiate(request.args.get("lang"), request.cookies.get(COOKIE),
                                 request.accept_languages)
    return str(g.hvp_locale)


def data_language() -> str:
    """The language tag to prefer among the data's labels (``zh`` or ``en``)."""
    return locale()


def gettext(message: str, **values: object) -> str:
    """``message`` in the request's language, ``%(name)s`` placeholders filled from ``values``."""
    text = translations(locale()).ugettext(message)
    return text % values if values else text


def ngettext(singular: str, plural: str, n: int, **values: object) -> str:
    """The singular or plural form for ``n`` in the request's language (``%(num)s`` is ``n``)."""
    text = translations(locale()).ungettext(singular, plural, n)
    return text % {"num": n, **values}


def language(response: Response) -> Response:
    """``response``, an answer in the request's language (a page, a problem): it says which
    (``Content-Language``) and varies with what chose it (``Accept-Language``, the cookie)."""
    response.headers["Content-Language"] = TAGS[locale()]
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    return response


def switch_url(code: str) -> str:
    """This page's URL in language ``code``; without its other parameters when the URL would
    be longer than :data:`web.echo.URL`, the home page's when its path is (no long client
    input repeated in a page)."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    url = f"{request.path}?{urlencode([*args, ('lang', code)])}"
    if len(url) <= URL:
        return url
    path = echoed_path() or f"{request.script_root}/"
    return f"{path}?{urlencode([('lang', code)])}"


def init_app(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.i18n")
    # Jinja's new-style callables fill the placeholders themselves (``num`` may be given
    # written out: ``ngettext(..., n, num=n | number)``): they get the bare lookups
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: translations(locale()).ugettext(message),
        lambda singular, plural, n: translations(locale()).ungettext(singular, plural, n),
        newstyle=True)

    @app.context_processor
    def _language() -> dict[str, object]:
        return {"locale": locale(), "language_tag": TAGS[locale()], "locales": LOCALES,
                "switch_url": switch_url}

    @app.after_request
    def _remember(response: Response) -> Response:
        if response.mimetype == "text/html":
            language(response)
        chosen = _match(request.args.get("lang"))
        if chosen and chosen != _match(request.cookies.get(COOKIE)):
            response.set_cookie(COOKIE, chosen, max_age=_YEAR, samesite="Lax", httponly=True)
        return response
