"""Minting and reading the IRIs of things, under one configurable base."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

DEFAULT_BASE = "https://w3id.org/hvp/"
#: Criteria profiles' IRIs (``{PROFILE_NS}cnipa-2021``): fixed, whatever the base.
PROFILE_NS = "https://w3id.org/hvp/profile/"
#: Collections of things, as the first path segment of their IRIs.
KINDS = ("patent", "owner", "region", "family", "publication", "pledge", "award", "population",
         "concordance", "classification", "observation", "indicators", "graph", "sei", "award-kind",
         "links")
_SAFE = "-._~:@!$&'()*+,;="
#: A segment that percent-encoding leaves as it is (ASCII letters, digits and the safe
#: characters): most ids, returned without encoding (an ingest mints a few IRIs per row).
_KEPT = re.compile(r"[A-Za-z0-9\-._~:@!$&'()*+,;=]*")


def segment(text: str) -> str:
    """Percent-encode one path segment (a ``/`` in an id is encoded)."""
    if _KEPT.fullmatch(text):
        return text
    return quote(text, safe=_SAFE)


def mint(base: str, kind: str, *ids: str) -> str:
    """The IRI of a thing: ``mint(base, "patent", "CN-T01")`` -> ``{base}patent/CN-T01``."""
    return base + kind + "/" + "/".join(segment(i) for i in ids)


def derived_prefix(base: str) -> str:
    """The start of every derived graph's IRI (classifications, timelines, indicators):
    ``{base}graph/``; graphs under it are computed from the data, never written by users."""
    return mint(base, "graph", "")


def parse(base: str, iri: str) -> tuple[str, tuple[str, ...]] | None:
    """Inverse of :func:`mint`: ``(kind, ids)``, or None for an IRI outside the base."""
    if not iri.startswith(base):
        return None
    kind, _, rest = iri[len(base):].partition("/")
    if kind not in KINDS or not rest:
        return None
    return kind, tuple(unquote(p) for p in rest.split("/"))
