"""``python -m kg.cli``: the ``hvp`` command."""

from kg.cli import main

if __name__ == "__main__":
    main()
