"""hvp-kg: a knowledge graph of high-value invention patents."""
