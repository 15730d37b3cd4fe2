"""Superseded by ``snu-np report``: results tables are generated from run folders, not typed.

    python scripts/results_table.py RUN_DIR [RUN_DIR ...]      # = snu-np report RUN_DIR ...

prints the Markdown tables of the runs below the folders given (see docs/reproduce.md); add
``--out docs`` to write docs/results/TABLE.md, the figures and the JSON instead.
"""
import sys

from snu_np.reproduce.cli import main

if __name__ == "__main__":
    sys.exit(main(["report", *sys.argv[1:]]))
