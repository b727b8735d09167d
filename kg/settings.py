"""Settings, declared once as data.

Precedence: defaults < a TOML settings file (``--config`` / ``HVP_CONFIG``) < ``HVP_*``
environment variables < explicit values (CLI options, ``create_app(config)``). Nothing is read at
import time: call :func:`load`. ``tests/test_settings.py`` checks that README documents each one,
``tests/test_web_serve.py`` that docs/web.md does.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.errors import BadValue, InputError
from kg.federation import parse_allowed


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    parse: Callable[[str], Any]
    help: str


def _bool(text: str) -> bool:
    if text.lower() in {"1", "true", "yes", "on"}:
        return True
    if text.lower() in {"0", "false", "no", "off"}:
        return False
    raise BadValue("expected true or false, got %(text)r", text=text)


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise BadValue("expected a whole number, got %(text)r", text=text) from None


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise BadValue("expected a number, got %(text)r", text=text) from None


SETTINGS: tuple[Setting, ...] = (
    Setting("store", "hvp-store", str,
            "Directory of the on-disk Oxigraph store; ':memory:' for an in-memory store."),
    Setting("endpoint", "", str,
            "URL of a remote SPARQL 1.1 endpoint to use instead of the embedded store."),
    Setting("base", "https://w3id.org/hvp/", str,
            "Base IRI under which patents, owners, regions... are minted."),
    Setting("profile", "cnipa-2021", str,
            "Criteria profile: a name under shapes/profiles/ or a Turtle file."),
    Setting("timeout", 30.0, _float, "Time limit of one SPARQL query from a user (web /sparql, "
            "`hvp sparql`), in seconds; a federated query's SERVICE calls included."),
    Setting("federation_allow", (), parse_allowed, "SPARQL endpoints that a query's SERVICE "
            "may call (/sparql, `hvp sparql`, canned queries), separated by spaces or commas; "
            "empty: SERVICE is refused."),
    Setting("row_cap", 10_000, _int, "Most rows shown in an HTML results table."),
    Setting("read_only", True, _bool, "Refuse writes on the web app (/update, /store); "
            "false accepts them from clients that send the write_token."),
    Setting("write_token", "", str, "Bearer token of the web app's writes (/update, /store); "
            "empty: no writes."),
    Setting("workers", 2, _int, "Query worker processes of the web app."),
    Setting("page_workers", 2, _int, "Worker processes that render the web app's pages "
            "(linked-data pages, the dashboard, canned queries) over a read-only view of an "
            "on-disk store; 0 renders them in the app's process."),
    Setting("page_queue", 16, _int, "Page requests that may wait for a busy page worker; one "
            "more answers 503 with Retry-After at once."),
    Setting("cors", "*", str, "Access-Control-Allow-Origin of the web app's answers "
            "(any web page may read them); an origin, or empty for none."),
    Setting("max_body", 10_000_000, _int, "Largest request body the web app reads, in bytes "
            "(larger: 413)."),
    Setting("max_query", 100_000, _int, "Longest SPARQL query or update the web app takes, in "
            "characters (longer: 413)."),
    Setting("worker_memory", 2048, _int, "Memory limit (address space, MB) of the web app's "
            "/shacl worker process, which parses and validates uploads."),
    Setting("write_timeout", 300.0, _float, "Time limit of one write of the web app (a queued "
            "computation, an /update or /store write; in memory, a computation's forked "
            "child), in seconds: its process is killed."),
    Setting("write_memory", 4096, _int, "Memory (MB of address space) that the web app's writer "
            "process (in memory, a computation's forked child) may take beyond its size at "
            "rest; past it the write is stopped."),
    Setting("computing", 1, _int, "Requests that compute in the web app's request threads at "
            "once (/shacl, writes, a list's whole download not kept yet); more answer 503 with "
            "Retry-After."),
    Setting("compute_wait", 2.0, _float, "Seconds a page of an in-memory store waits for its "
            "computation (run one at a time beside the request threads) before answering 503 "
            "with Retry-After; one page waits at a time per `computing` slot."),
    Setting("kept_dates", 16, _int, "Classifications at dates other than 31 December that the "
            "web app keeps (computed for a page; the oldest are dropped first)."),
    Setting("update_endpoint", "", str, "URL of the remote engine's SPARQL Update service "
            "[default: the endpoint's folder + /update, as oxigraph serve names it]."),
    Setting("gsp_endpoint", "", str, "URL of the remote engine's Graph Store Protocol service "
            "[default: the endpoint's folder + /store, as oxigraph serve names it]."),
    Setting("endpoint_user", "", str, "User name for the remote engine (HTTP basic or digest)."),
    Setting("endpoint_password", "", str, "Password of endpoint_user."),
    Setting("endpoint_auth", "basic", str, "How endpoint_user authenticates: basic or digest "
            "(Virtuoso's /sparql-auth)."),
    Setting("endpoint_token", "", str, "Bearer token for the remote engine (instead of a user)."),
    Setting("endpoint_timeout", 600.0, _float, "Time limit of one request to the remote engine, "
            "in seconds."),
    Setting("endpoint_row_limit", 0, _int, "The remote engine's cap on result rows (Virtuoso's "
            "ResultSetMaxRows): a result of that many rows is refused as possibly cut; 0: none."),
    Setting("endpoint_engine", "oxigraph", str, "The remote engine's kind, for the default "
            "update and graph store URLs: oxigraph, virtuoso, fuseki, graphdb, qlever, neptune."),
    Setting("access_log", "-", str, "Where `hvp serve` writes its access log (one line per "
            "request: time, method, path, status, bytes, ms): '-' standard error, a file path, "
            "or empty for none."),
    Setting("link_endpoint", "https://query.wikidata.org/sparql", str,
            "SPARQL endpoint that `hvp link` looks owners up in (Wikidata or one shaped like it)."),
    Setting("link_rate", 1.0, _float, "Most requests per second that `hvp link` sends to the "
            "link endpoint (0: no limit)."),
    Setting("link_batch", 50, _int, "Owners (and items) per query of `hvp link`."),
    Setting("link_threshold", 0.75, _float, "Score from which `hvp link` writes owl:sameAs "
            "(below it: skos:closeMatch)."),
    Setting("link_timeout", 60.0, _float, "Time limit of one `hvp link` request, in seconds."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def load(explicit: Mapping[str, Any] | None = None, *, env: Mapping[str, str] | None = None,
         config_file: str | Path | None = None) -> dict[str, Any]:
    """Resolve every setting: defaults, then file, then ``HVP_*`` variables, then ``explicit``."""
    env = os.environ if env is None else env
    values = {s.name: s.default for s in SETTINGS}
    path = config_file or env.get("HVP_CONFIG")
    if path:
        values.update(_from_file(Path(path)))
    for s in SETTINGS:
        raw = env.get(f"HVP_{s.name.upper()}")
        if raw is not None:
            values[s.name] = _parse(s, raw)
    for key, value in (explicit or {}).items():
        if value is not None:
            values[key] = value
    return values


def _from_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:  # the system's or the TOML parser's words
        raise InputError("%(path)s: cannot read settings file: %(engine)s",
                         path=path, engine=str(exc)) from exc
    unknown = sorted(set(data) - set(_BY_NAME))
    if unknown:
        raise InputError("%(path)s: unknown settings %(unknown)s; known: %(by_name)s",
                         path=path, unknown=unknown, by_name=sorted(_BY_NAME))
    return {k: _parse(_BY_NAME[k], str(v), path) for k, v in data.items()}


def _parse(setting: Setting, raw: str, path: Path | None = None) -> Any:
    """The setting's value from text read from the settings file ``path``, else from its
    environment variable."""
    try:
        return setting.parse(raw)
    except ValueError as exc:
        if path is None:
            raise InputError("environment variable %(variable)s: %(problem)s",
                             variable=f"HVP_{setting.name.upper()}", problem=exc) from None
        raise InputError("%(path)s: %(setting)s: %(problem)s", path=path, setting=setting.name,
                         problem=exc) from None
