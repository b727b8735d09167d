"""A polite SPARQL client for a public endpoint (Wikidata Query Service or one shaped like it).

SPARQLWrapper sends the queries (POST, form-encoded: long ``VALUES`` blocks do not fit a URL),
with a User-Agent naming the tool, its version and where to read about it, as the Wikimedia
User-Agent policy asks. Requests are spaced by the ``link_rate`` setting (requests per second);
an answer 429 (Too Many Requests) or 503 (Service Unavailable) is retried after the time its
``Retry-After`` header names (seconds or an HTTP date), else after an exponential backoff
(1, 2, 4... seconds), up to ``retries`` times.
"""

from __future__ import annotations

import email.utils
import time
import urllib.error
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from SPARQLWrapper import JSON, POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from kg.errors import StoreError

__all__ = ["Endpoint", "WIKIDATA", "user_agent", "RETRY_CODES"]

#: The public Wikidata Query Service: the documented default, never contacted by the tests.
WIKIDATA = "https://query.wikidata.org/sparql"
RETRY_CODES = (429, 503)
MAX_WAIT = 300.0  # never sleep longer than this on one Retry-After


def user_agent() -> str:
    try:
        v = version("hvp-kg")
    except PackageNotFoundError:  # pragma: no cover - running from a tree without install
        v = "0"
    return f"hvp-kg/{v} (hvp link; docs/linking.md) SPARQLWrapper"


class Endpoint:
    """One SPARQL endpoint: :meth:`select` answers the bindings of a SELECT query."""

    def __init__(self, url: str, *, rate: float = 1.0, timeout: float = 60.0, retries: int = 5,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.timeout, self.retries = timeout, retries
        self.sleep, self.clock = sleep, clock
        self.requests = 0  # requests sent, retries included
        self.retried = 0
        self._last: float | None = None

    def select(self, query: str) -> list[dict[str, dict[str, str]]]:
        """The ``results.bindings`` of a SELECT query's JSON answer."""
        for attempt in range(self.retries + 1):
            self._space()
            try:
                return self._send(query)
            except urllib.error.HTTPError as exc:
                if exc.code not in RETRY_CODES or attempt == self.retries:
                    raise StoreError(f"{self.url} answered HTTP {exc.code} {exc.reason}"
                                     + (f" after {attempt} retries" if attempt else "")) from None
                self.retried += 1
                self.sleep(retry_after(exc.headers.get("Retry-After"), attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(self, query: str) -> list[dict[str, dict[str, str]]]:
        wrapper = SPARQLWrapper(self.url, agent=user_agent())
        wrapper.setMethod(POST)
        wrapper.setReturnFormat(JSON)
        wrapper.setTimeout(int(max(1, self.timeout)))
        wrapper.setQuery(query)
        self.requests += 1
        try:
            answer: Any = wrapper.query().convert()
        except SPARQLWrapperException as exc:
            text = " ".join(str(exc).split())
            raise StoreError("%(url)s refused a query: %(text)s%(value)s",
                             url=self.url, text=text[:300],
                             value=' ...' if len(text) > 300 else '') from None
        except (TimeoutError, urllib.error.URLError, ConnectionError) as exc:
            if isinstance(exc, urllib.error.HTTPError):
                raise
            reason = getattr(exc, "reason", exc)
            raise StoreError("cannot reach the SPARQL endpoint %(url)s: %(reason)s",
                             url=self.url, reason=reason) from None
        if not isinstance(answer, dict) or "results" not in answer:
            raise StoreError("%(url)s did not answer SPARQL JSON results", url=self.url)
        return list(answer["results"]["bindings"])

    def _space(self) -> None:
        now = self.clock()
        if self._last is not None and self.interval:
            wait = self._last + self.interval - now
            if wait > 0:
                self.sleep(wait)
                now += wait
        self._last = now


def retry_after(header: str | None, attempt: int) -> float:
    """Seconds to wait: the ``Retry-After`` header (delta-seconds or an HTTP date), else
    ``2 ** attempt``; at most :data:`MAX_WAIT`."""
    backoff = float(2 ** attempt)
    if not header:
        return backoff
    header = header.strip()
    if header.isdigit():
        return min(float(header), MAX_WAIT)
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return backoff
    return min(max(0.0, when.timestamp() - time.time()), MAX_WAIT)
