"""``/shacl``: validate posted RDF data against SHACL shapes; answer a ``sh:ValidationReport``.

POST the data as the body (its ``Content-Type`` names the syntax) or as a form (``data`` and
``syntax``); optionally shapes (``shapes`` and ``shapes_syntax``) or a shipped criteria profile at
a date (``profile``, ``as_of``, by default 2024-12-31). Default shapes: the data-quality shapes
of ``shapes/data/``. Validated against a profile, the data is joined with the reference data
(the SEI concordance, regions, award kinds, the ontology), which the criteria read, and the
HTML page leads with each patent's verdict (high-value or not, valid, domestic, the criteria met;
the high-value ones first), as the patent pages give it, then the data's own faults (the
data-quality shapes); the profile's report, where a patent that misses a criterion is a result,
is folded away below. The report is Turtle, JSON-LD, or an HTML page, by ``Accept`` (or ``format``).
Bad RDF is a 400 problem with its line and column; no data, or data given twice (pasted and a
file), is a 400 too. Non-conformance is a result (200), never an error.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pyoxigraph as ox
import rdflib
from flask import Blueprint, Response, render_template, request

from kg import (
    DEFAULT_AS_OF,
    HVP,
    SH,
    InputError,
    LocalStore,
    Profile,
    Word,
    data_graph,
    ensure_reference,
    load_profile,
    load_shapes,
    parse_date,
    shipped_profiles,
    validate_graph,
)
from web import labels, limits, negotiate
from web.echo import clip
from web.errors import Problem, detail_of, position
from web.i18n import data_language
from web.links import short_iri
from web.service import service

bp = Blueprint("shacl", __name__)

SYNTAXES = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES,
            "jsonld": ox.RdfFormat.JSON_LD, "rdfxml": ox.RdfFormat.RDF_XML,
            "trig": ox.RdfFormat.TRIG, "nquads": ox.RdfFormat.N_QUADS}
REPORTS = {"text/turtle": "turtle", "application/ld+json": "json-ld"}
SHORT = {"ttl": "text/turtle", "turtle": "text/turtle", "jsonld": "application/ld+json",
         "json-ld": "application/ld+json", "html": "text/html"}
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
#: The two texts of a validation, as errors name them (the form's fields).
DATA, SHAPES = Word("data"), Word("shapes")


@bp.route("/shacl", methods=["GET"])
def form() -> str:
    return render_template("shacl.html", syntaxes=SYNTAXES, profiles=_profiles(),
                           report=None, data="", today=DEFAULT_AS_OF)


@bp.route("/shacl", methods=["POST"])
def check() -> Response:
    mime = _report_type()
    svc = service()
    try:
        text, fmt = _data()
        limits.check_rdf(text, fmt, DATA)
        spec = _shapes()
        # parsed and validated in the sandbox: a killable process with a memory limit
        with svc.computing.enter():
            outcome = svc.sandbox.run(job, text, fmt.media_type, spec, mime, svc.base)
        if "problem" in outcome:
            raise Problem(*outcome["problem"][:3], **outcome["problem"][3])
    except (Problem, InputError) as exc:
        # a browser's form gets the form again, whichever report format it asked for
        browser = request.mimetype in FORM_TYPES and negotiate.prefers_html(
            request.headers.get("Accept", ""))
        if mime != "text/html" and not browser:
            raise
        # the form again, filled in, with what to correct
        status = exc.status if isinstance(exc, Problem) else 400
        html = render_template("shacl.html", syntaxes=SYNTAXES, profiles=_profiles(),
                               report=None, error=_message(exc), **_filled())
        return Response(html, status=status, mimetype="text/html")
    if mime == "text/html":
        named = {key: [{**r, "shape_name": shape_name(r["shape_parts"]),
                        "message": _in_language(r["messages"]) or r["message"]}
                       for r in outcome[key]] for key in ("results", "broken")}
        html = render_template("shacl.html", syntaxes=SYNTAXES, profiles=_profiles(),
                               report=outcome, verdicts=outcome["verdicts"],
                               criteria=labels.criteria(), **named, **_filled())
        return Response(html, mimetype="text/html")
    return Response(outcome["body"], content_type=f"{mime}; charset=utf-8")


#: The shapes a job validates against: ("profile", name, as_of), ("shapes", RDF, media type)
#: or ("default",), the data-quality shapes.
Spec = tuple[Any, ...]


def job(text: bytes, media_type: str, spec: Spec, mime: str, base: str) -> dict[str, Any]:
    """What runs in the sandbox (:mod:`web.sandbox`): parse, validate, and the report in the
    form asked for (``mime``): its bytes, or for the page its results and verdicts. A bad
    upload is ``{"problem": (status, title, detail, extra)}``."""
    try:
        data = _graph(text, _format(media_type), DATA)
        profile = _profile(spec[1]) if spec[0] == "profile" else None
        if profile is not None:
            shapes = _instantiate(profile, spec[2])
        elif spec[0] == "shapes":
            shapes = _graph(spec[1], _format(spec[2]), SHAPES)
        else:
            shapes = load_shapes()
    except Problem as exc:
        return {"problem": (exc.status, exc.title, exc.detail, {**exc.extra,
                                                                 "params": exc.params})}
    report = validate_graph(data if profile is None else data + _reference(base), shapes)
    if mime != "text/html":
        return {"body": report.graph.serialize(format=REPORTS[mime], encoding="utf-8")}
    if profile is None:
        return {"conforms": report.conforms, "results": results(report.graph, shapes),
                "verdicts": [], "broken": []}
    # against a profile a patent that misses a criterion is a result, not a fault: the page
    # leads with each patent's verdict, and the data's faults are the data-quality shapes'
    quality_shapes = load_shapes()
    quality = validate_graph(data, quality_shapes)
    return {"conforms": report.conforms, "results": results(report.graph, shapes),
            "verdicts": verdicts(data, report.graph, profile),
            "broken": results(quality.graph, quality_shapes)}


def _in_language(messages: dict[str, str]) -> str | None:
    """The message in the reader's language, else English, else one without a tag."""
    lang = data_language()
    return next((messages[k] for k in (lang, "en", "") if k in messages), None)


def _message(exc: Problem | InputError) -> dict[str, Any]:
    """What the form shows of a refused upload, in the reader's language (``_said.html``)."""
    if isinstance(exc, InputError):
        return {"detail": detail_of(exc), "engine": exc.params.get("engine")}
    return {"detail": exc.localized(), "engine": exc.params.get("engine"), **exc.extra}


def _filled() -> dict[str, str]:
    """The form's fields as the user sent them."""
    form = request.form
    return {"data": form.get("data", ""), "shapes_text": form.get("shapes", ""),
            "syntax": form.get("syntax", "turtle"),
            "shapes_syntax": form.get("shapes_syntax", "turtle"),
            "profile": form.get("profile", ""),
            "today": form.get("as_of") or DEFAULT_AS_OF,
            "format": form.get("format", "html")}


def _data() -> tuple[bytes, ox.RdfFormat]:
    if request.mimetype in FORM_TYPES:
        upload = request.files.get("file")  # none chosen: no file name, false
        pasted = request.form.get("data", "")
        if upload and pasted.strip():
            raise InputError("give the data once: paste it or choose a file, not both")
        text = upload.read() if upload else pasted.encode("utf-8")
        if not text.strip():
            raise InputError("no data to validate: paste RDF or choose a file")
        return text, _syntax(request.form.get("syntax", "turtle"))
    fmt = ox.RdfFormat.from_media_type(request.mimetype) if request.mimetype else None
    if fmt is None:
        raise Problem(415, "Unsupported Media Type", "cannot read %(request_mimetype)s as RDF; "
                                                     "POST Turtle, N-Triples, JSON-LD, "
                                                     "RDF/XML, TriG or N-Quads, or a form",
            params={"request_mimetype": clip(request.mimetype)})
    body = request.get_data()
    if not body.strip():
        raise InputError("no data to validate: POST RDF as the request body")
    return body, fmt


def _syntax(name: str) -> ox.RdfFormat:
    if name not in SYNTAXES:
        raise InputError("syntax %(name)s is not one of %(syntaxes)s",
                         name=clip(name), syntaxes=', '.join(SYNTAXES))
    return SYNTAXES[name]


def _format(media_type: str) -> ox.RdfFormat:
    """The RDF format of a media type that the request's negotiation already accepted."""
    fmt = ox.RdfFormat.from_media_type(media_type)
    assert fmt is not None, media_type
    return fmt


def _graph(text: bytes, fmt: ox.RdfFormat, what: str) -> rdflib.Graph:
    """Parse with pyoxigraph (errors located by line and column), hand over to rdflib."""
    try:
        quads = list(ox.parse(text, format=fmt, base_iri="https://example.org/shacl-input/"))
    except SyntaxError as exc:
        where = _where(exc)
        raise Problem(400, "Bad RDF", "%(what)s: %(engine)s", **where, part=what,
                      params={"what": what, "engine": exc.msg}) from None
    triples = [q if isinstance(q, ox.Triple) else q.triple for q in quads]
    graph = rdflib.Graph()
    graph.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"", format="nt")
    return graph


def _where(exc: SyntaxError) -> dict[str, Any]:
    if exc.lineno is not None:
        return {"line": int(exc.lineno), "column": int(exc.offset or 0)}
    return position(str(exc))


def _shapes() -> Spec:
    """The shapes asked for (:data:`Spec`), their names and dates checked."""
    form = request.form if request.mimetype in FORM_TYPES else request.args
    name = form.get("profile", "")
    if name:
        if name not in _profiles():
            raise InputError("unknown profile %(name)s; shipped: %(profiles)s",
                             name=clip(name), profiles=', '.join(_profiles()))
        as_of = form.get("as_of") or DEFAULT_AS_OF
        try:
            parse_date(as_of)
        except ValueError as exc:
            raise InputError("parameter 'as_of': %(exc)s", exc=exc) from None
        return ("profile", name, as_of)
    text = form.get("shapes", "")
    if text.strip():
        fmt = _syntax(form.get("shapes_syntax", "turtle"))
        limits.check_rdf(text.encode("utf-8"), fmt, SHAPES)
        return ("shapes", text.encode("utf-8"), fmt.media_type)
    return ("default",)


@lru_cache(maxsize=4)
def _reference(base: str) -> rdflib.Graph:
    """The reference data every store holds (built in), which a profile's criteria read."""
    store = LocalStore()
    ensure_reference(store, base)
    return data_graph(store)


def verdicts(data: rdflib.Graph, report: rdflib.Graph, profile: Profile) -> list[dict[str, Any]]:
    """Per invention patent of the data: which of the profile's shapes it conforms to (no
    result with it as focus node and the shape as source); the high-value ones first, then
    by IRI."""
    failed: dict[Any, set[Any]] = {}
    for r in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        failed.setdefault(report.value(r, SH.focusNode), set()).add(
            report.value(r, SH.sourceShape))
    rows = []
    for patent in set(data.subjects(rdflib.RDF.type, HVP.InventionPatent)):
        fails = failed.get(patent, set())
        rows.append({"patent": patent, "valid": profile.valid not in fails,
                     "domestic": profile.domestic not in fails,
                     "criteria": [c.key for c in profile.criteria if c.shape not in fails],
                     "high_value": profile.high_value not in fails})
    return sorted(rows, key=lambda row: (not row["high_value"], str(row["patent"])))


def _profiles() -> list[str]:
    return shipped_profiles()


def _profile(name: str) -> Profile:
    if name not in _profiles():
        raise InputError("unknown profile %(name)s; shipped: %(profiles)s",
                         name=clip(name), profiles=', '.join(_profiles()))

    return load_profile(name)


def _instantiate(profile: Profile, as_of: str) -> rdflib.Graph:
    try:
        day = parse_date(as_of)
    except ValueError as exc:
        raise InputError("parameter 'as_of': %(exc)s", exc=exc) from None
    return profile.instantiate(day)


def _report_type() -> str:
    fmt = request.args.get("format") or request.form.get("format")
    if fmt:
        if fmt not in SHORT:
            raise Problem(406, "Not Acceptable", "format=%(fmt)s; available: %(names)s",
                          available=list(SHORT), params={"fmt": clip(fmt),
                                                         "names": ", ".join(SHORT)})
        return SHORT[fmt]
    best = request.accept_mimetypes.best_match(["text/turtle", "application/ld+json",
                                                "text/html"], default="text/turtle")
    return best or "text/turtle"


def results(report: rdflib.Graph, shapes: rdflib.Graph | None = None) -> list[dict[str, Any]]:
    """One dict per sh:ValidationResult: focus node, path, message, shape, severity, value;
    ``shape_name`` names a blank-node property shape by its node shape and ``sh:name``."""
    rows = []
    for r in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        row: dict[str, Any] = {key: report.value(r, prop) for key, prop in (
            ("focus", SH.focusNode), ("path", SH.resultPath), ("message", SH.resultMessage),
            ("shape", SH.sourceShape), ("severity", SH.resultSeverity), ("value", SH.value))}
        row["shape_parts"] = _shape_parts(row["shape"], shapes)
        # a shape's message in each of its languages: the page shows the reader's
        row["messages"] = {getattr(m, "language", None) or "": str(m)
                           for m in report.objects(r, SH.resultMessage)}
        rows.append(row)
    return sorted(rows, key=lambda row: (str(row["focus"]), str(row["path"])))


def _shape_parts(shape: Any, shapes: rdflib.Graph | None) -> tuple[Any, ...]:
    """What names a result's shape (:func:`shape_name`, in the app): an IRI, or for a
    blank-node property shape its node shape and its ``sh:name`` (or path)."""
    if not isinstance(shape, rdflib.BNode) or shapes is None:
        return (shape,)
    parent = shapes.value(predicate=SH.property, object=shape)
    return (shape, parent, shapes.value(shape, SH.name) or shapes.value(shape, SH.path))


def shape_name(parts: tuple[Any, ...]) -> str:
    if len(parts) == 1:
        return short_iri(str(parts[0])) if parts[0] is not None else ""
    _, parent, name = parts
    owner = short_iri(str(parent)) if parent is not None else "a property shape"
    return f"{owner} › {short_iri(str(name)) if isinstance(name, rdflib.URIRef) else name}"
