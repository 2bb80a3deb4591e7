"""``python -m borderflow``: the same command line as the ``borderflow`` command."""

from borderflow.cli import main

if __name__ == "__main__":
    main()
