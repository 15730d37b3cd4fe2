"""``python -m snu_np.reproduce reproduce|report ...`` (the same as ``snu-np reproduce|report``)."""
from .cli import main

raise SystemExit(main())
