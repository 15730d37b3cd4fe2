"""Short fixed-seed training runs, pinned: a refactoring must not change what a seed trains.

Each case trains a tiny network for two epochs through :func:`snu_np.train.train` and compares a
SHA-256 of every parameter's bytes with the value recorded in ``tests/data/pinned_runs.json``.
On the machine that recorded them (same CPU model, NumPy and Numba versions) the weights must be
bit-identical; elsewhere BLAS may round differently, so the test compares each parameter's L1 norm
to a relative 1e-3 instead (a changed formula moves them far more than that).

Record again (only when a change is *meant* to alter the numbers, and say so in the commit)::

    python tests/test_pinned_runs.py --write
"""
import hashlib
import json
import platform
import sys
from pathlib import Path

import numpy as np
import pytest

PIN_FILE = Path(__file__).parent / "data" / "pinned_runs.json"

CASES = {}
for _model in ("snu", "ssnu", "lstm"):
    for _dtype in ("float32", "float64"):
        for _backend in ("numpy", "numba"):
            CASES[f"demo-{_model}-{_dtype}-{_backend}"] = dict(
                task="demo", model=_model, dtype=_dtype, backend=_backend)
CASES["demo-snu-float32-numba-shards2"] = dict(task="demo", model="snu", dtype="float32",
                                               backend="numba", shards=2)
CASES["demo-ssnu-float32-numba-ema"] = dict(task="demo", model="ssnu", dtype="float32", backend="numba",
                                            ema=0.9, weight_decay=0.01, clip=1.0)
for _backend in ("numpy", "numba"):
    CASES[f"music-snu-recurrent-float32-{_backend}"] = dict(
        task="pinned-music", model="snu", dtype="float32", backend=_backend, recurrent=True, h_scale=0.5,
        threshold=0.4)
    CASES[f"music-ssnu-float64-{_backend}"] = dict(task="pinned-music", model="ssnu", dtype="float64",
                                                   backend=_backend, decay=0.9)

COMMON = dict(layers=(16,), epochs=2, limit_train=120, limit_test=40, lr=3e-3, seed=7, progress=False,
              verbose=False)


def _music_data():
    rng = np.random.default_rng(3)

    def seqs(n):
        return [(rng.random((int(rng.integers(3, 15)), 88)) < 0.1).astype(np.float64) for _ in range(n)]
    return {"train": seqs(10), "valid": seqs(3), "test": seqs(3)}


def _fingerprint():
    import numba
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu or platform.processor(), "numpy": np.__version__, "numba": numba.__version__,
            "machine": platform.machine()}


def _run(name):
    from snu_np.train import train
    kw = dict(COMMON, **CASES[name])
    task = kw.pop("task")
    if task == "pinned-music":
        kw.update(batch_size=1, data=_music_data(), patience=None)
        task = _music_task()
    else:
        kw.update(batch_size=40)
    from threadpoolctl import threadpool_limits
    with threadpool_limits(1, user_api="blas"):    # BLAS rounds differently with other thread counts
        res = train(task, **kw)
    state = res["net"].state_dict()
    h = hashlib.sha256()
    norms = {}
    for k in sorted(state):
        a = np.ascontiguousarray(state[k])
        h.update(k.encode())
        h.update(a.tobytes())
        norms[k] = float(np.abs(a.astype(np.float64)).sum())
    return {"sha256": h.hexdigest(), "l1": norms}


def _music_task():
    from snu_np.tasks import TASKS, Task, register_task
    if "pinned-music" not in TASKS:
        register_task(Task(name="pinned-music", kind="music", n_in=88, n_out=88, description="pinned test data",
                           loss="bernoulli_nll", metric="nll", load=lambda d, dl: _music_data()))
    return TASKS["pinned-music"]


def _pins():
    return json.loads(PIN_FILE.read_text())


@pytest.mark.parametrize("name", sorted(CASES))
def test_pinned_run(name):
    pins = _pins()
    assert name in pins["runs"], f"no pin recorded for {name}; run python {__file__} --write"
    got, want = _run(name), pins["runs"][name]
    if _fingerprint() == pins["fingerprint"]:
        assert got["sha256"] == want["sha256"], (
            f"{name}: the trained weights changed bit for bit on the machine that pinned them")
    for k, v in want["l1"].items():
        assert got["l1"][k] == pytest.approx(v, rel=1e-3), f"{name}: parameter {k} moved"


if __name__ == "__main__":
    if "--write" not in sys.argv:
        sys.exit("usage: python tests/test_pinned_runs.py --write")
    PIN_FILE.parent.mkdir(exist_ok=True)
    out = {"fingerprint": _fingerprint(), "settings": COMMON,
           "runs": {name: _run(name) for name in sorted(CASES)}}
    PIN_FILE.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {len(out['runs'])} pins to {PIN_FILE}")
