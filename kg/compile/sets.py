"""Sets of focus nodes in SPARQL, and how they combine.

A *set* is a group graph pattern (``{ ... }``) whose only visible variable is ``?focus``; the
compiler combines sets with MINUS, UNION and joins.
"""

from __future__ import annotations


def select_focus(where: str) -> str:
    """Wrap a pattern that binds ?focus as a set: ``{ SELECT DISTINCT ?focus WHERE {..} }``."""
    return f"{{ SELECT DISTINCT ?focus WHERE {{\n{indent(where)}\n}} }}"


def select_rows(where: str) -> str:
    """Rows of ``?focus ?value`` that a pattern binds: ``{ SELECT DISTINCT ?focus ?value .. }``."""
    return f"{{ SELECT DISTINCT ?focus ?value WHERE {{\n{indent(where)}\n}} }}"


def undistinct(focus_set: str) -> str:
    """A set made by :func:`select_focus` without its DISTINCT (for a reader that builds a set
    anyway); any other pattern unchanged."""
    head = "{ SELECT DISTINCT ?focus WHERE {"
    return "{ SELECT ?focus WHERE {" + focus_set[len(head):] if focus_set.startswith(head) \
        else focus_set


def union(sets: list[str]) -> str:
    """One set of the union of sets (an empty set for none)."""
    if not sets:
        return EMPTY
    if len(sets) == 1:
        return sets[0]
    return select_focus("\nUNION\n".join(sets))


def as_value(focus_set: str) -> str:
    """The set renamed from ?focus to ?value, to join with a value pattern."""
    return f"{{ SELECT (?focus AS ?value) WHERE {focus_set} }}"


def indent(text: str) -> str:
    """Indent every line by two spaces."""
    return "\n".join("  " + line for line in text.splitlines())


EMPTY = "{ VALUES ?focus { } }"
