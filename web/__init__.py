"""The hvp-kg web app: SPARQL protocol, query editor, canned queries, SHACL, linked data pages."""
