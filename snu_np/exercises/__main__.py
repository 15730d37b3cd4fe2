"""``python -m snu_np.exercises build --out DIR`` (the same as ``snu-np exercises ...``)."""
import sys

from .build import main

sys.exit(main())
