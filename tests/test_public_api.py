"""The public API (``kg/__init__.py``): what it exports, and that the CLI, the web app and the
benchmarks use nothing else (after httpx's tests/test_exported_members.py)."""

from __future__ import annotations

import ast
import inspect
import pkgutil
import types
from pathlib import Path

import pytest

import kg
from tests.test_imports import MODULES, ROOT, imports

#: Modules of web/, bench/ and kg/cli/ that may import a kg submodule, and which, with why.
EXCEPTIONS = {
    # measures the engine's inner steps one by one (the sets per shape, the patent list)
    ("bench/classify.py", "kg.classify"),
    ("bench/classify.py", "kg.classify.result_sets"),
    # times each compiled shape's sets, in the form used before and now
    ("bench/forms.py", "kg.classify.engines"),
    # times the search index's own steps (build from a store or from CSV rows, its entries)
    ("bench/search.py", "kg.generations"),
    ("bench/search.py", "kg.search"),
    # sends the standard dialect and a trailing VALUES, the baselines of the engine figures
    ("bench/engines.py", "kg.engines.dialect"),
}
SUBMODULES = {m.name for m in pkgutil.iter_modules(kg.__path__)}


def _users() -> list[Path]:
    return [*sorted((ROOT / "kg" / "cli").rglob("*.py")),
            *sorted((ROOT / "web").rglob("*.py")),
            *sorted((ROOT / "bench").rglob("*.py"))]


def _within_the_cli(where: str, module: str) -> bool:
    """A module of the CLI's package importing another (the group, what commands share)."""
    return where.startswith("kg/cli/") and (module == "kg.cli" or module.startswith("kg.cli."))


def offences(path: Path, source: str | None = None) -> list[str]:
    """Each import of ``path`` (or of ``source`` as if it were that file) that reaches past the
    public API: a ``kg.<submodule>``, or a name ``kg`` does not export."""
    tree = ast.parse(source if source is not None else path.read_text(encoding="utf-8"))
    where = str(path.relative_to(ROOT))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "kg":
                found += [f"{where}:{node.lineno}: kg.{a.name} is not exported" for a in node.names
                          if a.name not in kg.__all__]
            elif node.module.startswith("kg.") and (where, node.module) not in EXCEPTIONS \
                    and not _within_the_cli(where, node.module):
                found.append(f"{where}:{node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Import):
            found += [f"{where}:{node.lineno}: import {a.name}" for a in node.names
                      if a.name.startswith("kg.") and (where, a.name) not in EXCEPTIONS]
    return found


def test_the_cli_web_and_bench_import_only_the_public_api() -> None:
    assert [o for path in _users() for o in offences(path)] == []


@pytest.mark.parametrize("source", [
    "from kg.store import LocalStore", "import kg.canned", "from kg import not_a_name",
    "def f():\n    from kg.classify.output import to_csv\n"])
def test_the_check_sees_a_private_import(source: str) -> None:
    assert offences(ROOT / "web" / "app.py", source)


def test_the_cli_modules_import_each_other_and_nothing_else_imports_them() -> None:
    assert offences(ROOT / "kg" / "cli" / "data.py", "from kg.cli.app import App") == []
    assert offences(ROOT / "web" / "app.py", "from kg.cli.app import App")
    assert offences(ROOT / "kg" / "cli" / "data.py", "from kg.store import LocalStore")


def used_names(path: Path) -> set[str]:
    """The names of ``kg`` that ``path`` uses: imported from ``kg`` or read as ``kg.<name>``."""
    used: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "kg":
            used |= {a.name for a in node.names}
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
              and node.value.id == "kg"):
            used.add(node.attr)
    return used


def test_every_exported_name_is_used_by_the_cli_web_or_bench() -> None:
    """The API stays small: a name is exported because the CLI, the web app or a benchmark
    needs it, or because it is a type a program annotates with, catches or reads (the result
    classes, the errors, ``Row``, ``Progress``)."""
    used = set().union(*(used_names(p) for p in _users()))
    unused = [n for n in kg.__all__ if n not in used
              and not isinstance(getattr(kg, n), (type, types.GenericAlias))]
    assert unused == []


@pytest.mark.parametrize("source", ["from kg import LocalStore", "kg.LocalStore()"])
def test_the_usage_check_sees_both_forms(source: str, tmp_path: Path) -> None:
    path = tmp_path / "user.py"
    path.write_text(source, encoding="utf-8")
    assert used_names(path) == {"LocalStore"}


def test_every_exception_is_still_needed() -> None:
    used = {(str(p.relative_to(ROOT)), target) for p in _users()
            for target, _, _ in imports(p, "")}
    assert used >= EXCEPTIONS


def test_exported_names_exist_once_and_shadow_no_submodule() -> None:
    assert len(set(kg.__all__)) == len(kg.__all__)
    assert not [n for n in kg.__all__ if not hasattr(kg, n)]
    assert not set(kg.__all__) & SUBMODULES
    assert not [n for n in kg.__all__ if isinstance(getattr(kg, n), types.ModuleType)]
    # the submodules that share a verb's name stay modules after `import kg`
    for name in ("classify", "explain", "ingest", "validate", "indicators"):
        assert isinstance(getattr(kg, name), types.ModuleType), name


def test_exported_functions_and_classes_are_documented() -> None:
    bare = [n for n in kg.__all__ if (inspect.isfunction(getattr(kg, n))
                                     or inspect.isclass(getattr(kg, n)))
            and not inspect.getdoc(getattr(kg, n))]
    assert bare == []


def test_the_import_table_names_real_modules() -> None:
    assert "kg.protocol" in MODULES and "web.units" in MODULES


def test_the_readme_example_runs(tmp_path: Path) -> None:
    """The README's Python example, on the small test data in memory."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    example = text.split("From Python, import from `kg` alone")[1].split("```python\n")[1]
    example = example.split("```")[0]
    code = example.replace('LocalStore("hvp-store")', "LocalStore()").replace(
        '"build/demo"', repr(str(ROOT / "tests" / "data" / "small")))
    scope: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), scope)  # noqa: S102 - the project's own README
    assert scope["rows"] and scope["cube"].rows  # type: ignore[attr-defined]
