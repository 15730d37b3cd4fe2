"""Run the speed benchmarks and write their results.

    python benchmarks/run.py [--quick] [--threads 2] [--reps 10] [--out benchmarks/results/latest.json]

Same as ``snu-np bench``. See docs/performance.md for what is measured and the results on our machine.
"""
import sys

from snu_np.bench import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
