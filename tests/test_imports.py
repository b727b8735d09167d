"""The dependency picture of the code, read from its import statements: no import cycles among
the modules of ``kg`` and ``web`` (an import inside a function counts: it only hides one)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _modules(*packages: str) -> dict[str, Path]:
    """Dotted module name -> file, for every module of ``packages``."""
    out = {}
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


MODULES = _modules("kg", "web")


def imports(path: Path, name: str) -> list[tuple[str, int, str | None]]:
    """(imported module, line, enclosing function or None) for each import in the file; a name
    taken from a package is the submodule of that name when there is one."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[str, int, str | None]] = []

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, function or child.name)
                continue
            if isinstance(child, ast.Import):
                found.extend((a.name, child.lineno, function) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    up = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*up, base] if base else up)
                for alias in child.names:
                    sub = f"{base}.{alias.name}"
                    found.append((sub if sub in MODULES else base, child.lineno, function))
            visit(child, function)

    visit(ast.parse(path.read_text(encoding="utf-8")), None)
    return found


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(edges[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            connect(v)
    return out


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_in_kg_and_web() -> None:
    edges = {name: {target for target, _, _ in imports(path, name)
                    if target in MODULES and target != name}
             for name, path in MODULES.items()}
    assert _cycles(edges) == []


def test_the_store_and_the_endpoint_share_the_protocol_not_each_other() -> None:
    endpoint = {t for t, _, _ in imports(MODULES["kg.endpoint"], "kg.endpoint")}
    assert "kg.protocol" in endpoint and "kg.store" not in endpoint


#: The imports made inside functions, each with its reason (module, function, imported module).
LOCAL_IMPORTS = {
    # pySHACL takes about 0.3 s of CPU to import; only validation by pySHACL needs it
    ("kg.validate", "validate", "pyshacl"),
    ("kg.classify.engines", "pyshacl_sets", "pyshacl"),
    # `hvp serve` alone loads the web app and the servers: kg imports no Flask otherwise
    ("kg.cli.server", "serve", "waitress"),
    ("kg.cli.server", "serve", "granian"), ("kg.cli.server", "serve", "granian.constants"),
    ("kg.cli.server", "serve", "granian.log"), ("kg.cli.server", "serve", "web.wsgi"),
    ("kg.cli.server", "serve", "web.access_log"),
    ("kg.cli.server", "_preflight", "web.service"),
}


def test_imports_are_at_the_top_but_the_listed_ones() -> None:
    local = {(name, function, target) for name, path in MODULES.items()
             for target, _, function in imports(path, name) if function is not None}
    assert local == LOCAL_IMPORTS


def test_the_cli_imports_no_flask_until_it_serves() -> None:
    code = "import sys, kg.cli; print('flask' in sys.modules, 'pyshacl' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    assert done.stdout.split() == ["False", "False"]
