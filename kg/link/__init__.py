"""Linking owners to Wikidata-compatible SPARQL endpoints (docs/linking.md).

``names`` normalizes organization names (one module, also used by the reconciliation service),
``client`` talks to the endpoint politely, ``candidates`` finds candidate items in batches,
``score`` weighs the evidence, ``graph`` writes the links graph with provenance, ``review``
writes the review CSV and reads it back, ``owners`` runs the whole command.
"""
