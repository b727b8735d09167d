"""The README, the docs and the code's docstrings point at things that exist: links and their
anchors, the project's files, the sections of another doc (`docs/web.md` ("Writes")), tests and
decisions they name; and a `|` in a table cell does not split the row."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CODE = sorted([*(ROOT / "kg").rglob("*.py"), *(ROOT / "web").rglob("*.py"),
               *(ROOT / "bench").glob("*.py")])

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
# A path of the project, e.g. docs/web.md, tests/test_cube.py, kg/queries/counts.rq.
PATH = re.compile(r"(?<![\w./-])((?:docs|kg|web|tests|bench|shapes|ontology)/[\w./-]*\w)")
# A doc named with the sections meant: docs/web.md ("Bounded work", "Writes"), or
# (docs/compiler.md, "Validation reports").
SECTIONS = re.compile(r"docs/([\w-]+\.md)`?,?\s\(?((?:\"[^\"]+\"(?:,\s|\sand\s)?)+)")


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _headings(doc: Path) -> list[str]:
    lines = doc.read_text(encoding="utf-8").splitlines()
    return [re.sub(r"^#+\s*", "", line).replace("`", "").strip()
            for line in lines if re.match(r"#+\s", line)]


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("doc", DOCS, ids=_name)
def test_links_and_their_anchors_resolve(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue  # a web address: not checked offline
        path, _, anchor = target.partition("#")
        file = (doc.parent / path).resolve() if path else doc
        assert file.exists(), f"{_name(doc)}: link to a missing {target}"
        if anchor and file.suffix == ".md":
            slugs = {_slug(h) for h in _headings(file)}
            assert anchor in slugs, f"{_name(doc)}: no heading for #{anchor} in {path or 'itself'}"


@pytest.mark.parametrize("doc", DOCS + CODE, ids=_name)
def test_the_files_a_doc_or_docstring_names_exist(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    for path in PATH.findall(text):
        if re.search(r"/[A-Z]+\.\w+$", path) and not (ROOT / path).exists():
            continue  # a placeholder such as shapes/profiles/NAME.ttl
        assert (ROOT / path).exists() or list(ROOT.glob(path + "*")), \
            f"{_name(doc)} names {path}, which is not in the project"


@pytest.mark.parametrize("source", DOCS + CODE, ids=_name)
def test_the_sections_a_reference_names_exist(source: Path) -> None:
    text = source.read_text(encoding="utf-8")
    for match in SECTIONS.finditer(text):
        headings = [" ".join(h.split()) for h in _headings(ROOT / "docs" / match.group(1))]
        for name in re.findall(r'"([^"]+)"', match.group(2)):
            name = " ".join(name.split())
            assert any(h.startswith(name) for h in headings), \
                f"{_name(source)}: docs/{match.group(1)} has no section {name!r}"


def test_a_broken_reference_is_found() -> None:
    """The patterns above do find what they check (a test that cannot fail checks nothing)."""
    text = 'See docs/web.md ("No such section") and [x](web.md#no-such-anchor) and kg/nothing.py.'
    assert SECTIONS.search(text).group(1) == "web.md"
    assert LINK.findall(text) == ["web.md#no-such-anchor"]
    assert "kg/nothing.py" in PATH.findall(text)
    assert "no-such-anchor" not in {_slug(h) for h in _headings(ROOT / "docs" / "web.md")}


@pytest.mark.parametrize("doc", DOCS, ids=_name)
def test_a_pipe_in_a_table_cell_is_escaped(doc: Path) -> None:
    """GitHub splits a table row at every `|`, inside code too (`csv|json` needs `csv\\|json`)."""
    for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("|"):
            for code in re.findall(r"`[^`]*`", line):
                assert not re.search(r"(?<!\\)\|", code), f"{_name(doc)}:{number}: {code}"


def test_the_tests_a_doc_names_exist() -> None:
    """`test_name` or `tests/file.py::test_name` in a doc is a test function (or file) that is."""
    tests = ROOT / "tests"
    defined = {name for path in tests.rglob("*.py")
               for name in re.findall(r"def (test_\w+)", path.read_text(encoding="utf-8"))}
    defined |= {path.stem for path in tests.rglob("test_*.py")}
    named = {(_name(doc), name) for doc in DOCS
             for name in re.findall(r"`(?:tests/[\w/]+\.py::)?(test_\w+)`",
                                    doc.read_text(encoding="utf-8"))}
    assert named, "the pattern finds the tests the docs name"
    assert {(doc, name) for doc, name in named if name not in defined} == set()


def test_the_decisions_a_doc_names_exist() -> None:
    """"decision 41" in a doc (or the code) is an entry of docs/decisions.md."""
    entries = set(re.findall(r"^(\d+)\. \*\*", (ROOT / "docs" / "decisions.md").read_text(
        encoding="utf-8"), flags=re.MULTILINE))
    named = {(_name(source), number) for source in DOCS + CODE
             for number in re.findall(r"\bdecisions? (\d+)\b",
                                      source.read_text(encoding="utf-8"))}
    assert len(entries) > 60 and named
    assert {(source, n) for source, n in named if n not in entries} == set()
