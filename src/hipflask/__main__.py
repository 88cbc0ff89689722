"""``python -m hipflask``: the same command line as the ``hipflask`` script."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    main()
