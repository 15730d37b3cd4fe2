"""``python -m snu_np``: the same as the ``snu-np`` command."""
from .cli import main

raise SystemExit(main())
