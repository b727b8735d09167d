"""Where the shipped files are: the ontology, the SHACL shapes and the reference data.

A module of constants only (it imports nothing of ``kg``), so that any module can name these
folders without importing what loads them (:mod:`kg.reference`)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology"
SHAPES = ROOT / "shapes"
DATA = Path(__file__).resolve().parent / "data"
