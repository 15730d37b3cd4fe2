"""kill -9 during real training runs: every run stays loadable and resumes bit-identically.

Training processes (``python -m snu_np train demo ...``) are killed with SIGKILL

* right after each step of each checkpoint file write (``open``, ``write``, ``fsync``, ``replace``,
  ``dirsync`` of ``best.npz``, ``last.npz``, ``results.json``), through the fault-injection hook of
  :mod:`snu_np.io` (``SNU_NP_FAULT=STEP:N:NAME`` makes the process SIGKILL itself there), and
* at random moments, by the test.

After every kill the run folder must load (``last`` and ``best``, whichever exist) and the next process
continues it: with ``--resume`` when a ``last`` checkpoint exists, else from scratch (``--overwrite``
if the CLI has it: a folder killed before its first checkpoint holds no run to resume). Every run is
finally completed and its weights, optimiser state and history must equal those of one uninterrupted
run, bit for bit (one BLAS thread everywhere).
"""
import concurrent.futures
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from snu_np.io import FAULT_ENV, FAULT_STEPS, checkpoint_exists, read_checkpoint

pytestmark = pytest.mark.slow

EPOCHS = 4
ARGS = ["train", "demo", "--model", "snu", "--layers", "8", "--epochs", str(EPOCHS), "--batch-size", "50",
        "--limit-train", "200", "--limit-test", "50", "--no-progress",
        "--backend", "numpy"]   # the NumPy backend starts 0.6 s faster; resuming does not depend on it
FILES = ("best.npz", "last.npz", "results.json")
PROC_TIMEOUT = 120          # seconds one training process may take before the test gives up
RANDOM_KILLS = 28           # kills at random moments (besides the 30 at the fault points)


def _env(fault=None):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parents[1])]
                                          + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])))
    env.pop(FAULT_ENV, None)
    env.pop("SNU_NP_DEBUG", None)
    if fault:
        env[FAULT_ENV] = fault
    return env


_HELP = {}


def _train_flags():
    """The ``train`` flags of the CLI as it is now (``--overwrite`` may or may not exist)."""
    if "text" not in _HELP:
        _HELP["text"] = subprocess.run([sys.executable, "-m", "snu_np", "train", "--help"], env=_env(),
                                       capture_output=True, text=True, timeout=PROC_TIMEOUT).stdout
    return _HELP["text"]


def _command(run):
    """The next command for ``run``: resume if it has a ``last`` checkpoint, else start it (again)."""
    cmd = [sys.executable, "-m", "snu_np", *ARGS, "--out", str(run)]
    if checkpoint_exists(run / "last"):
        return cmd + ["--resume"], True
    if run.exists() and any(run.iterdir()) and "--overwrite" in _train_flags():
        return cmd + ["--overwrite"], False     # killed before the first checkpoint: nothing to resume
    return cmd, False


def _start(run, fault=None):
    cmd, resumed = _command(run)
    proc = subprocess.Popen(cmd, env=_env(fault), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, resumed


def _snapshot(run):
    return {p.name: p.stat().st_mtime_ns for p in run.iterdir()} if run.is_dir() else {}


def _finish(proc, run, moment=None):
    """Wait for ``proc``; return (returncode, stdout, stderr).

    ``moment`` (seconds, float) kills it that long after the start; ``("active", s)`` kills it ``s``
    seconds after it first changes the run folder (its first file write), so that the kill lands
    while it trains and saves rather than while Python starts.
    """
    if isinstance(moment, tuple):
        before, t0 = _snapshot(run), time.perf_counter()
        while proc.poll() is None and time.perf_counter() - t0 < PROC_TIMEOUT:
            try:
                if _snapshot(run) != before:
                    break
            except FileNotFoundError:           # a temporary file vanished while we looked
                break
            time.sleep(0.002)
        moment = moment[1]
    try:
        out, err = proc.communicate(timeout=moment if moment is not None else PROC_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate(timeout=PROC_TIMEOUT)
        if moment is None:
            raise AssertionError(f"a training process did not end within {PROC_TIMEOUT} s") from None
    return proc.returncode, out, err


def _check_usable(run, where, problems):
    """Every checkpoint present loads; results.json, if present, is valid JSON."""
    for name in ("last", "best"):
        if checkpoint_exists(run / name):
            try:
                read_checkpoint(run / name)
            except Exception as exc:             # noqa: BLE001  (any failure is an unusable run)
                problems.append(f"{where}: {name} does not load: {exc}")
    if (run / "results.json").exists():
        try:
            json.loads((run / "results.json").read_text())
        except ValueError as exc:
            problems.append(f"{where}: results.json is not valid JSON: {exc}")


def _final_state(run):
    """What must be bit-identical: arrays of last and best, and the history without timings."""
    state = {}
    for name in ("last", "best"):
        _, arrays = read_checkpoint(run / name)
        state.update({f"{name}:{k}": v for k, v in arrays.items()})
    hist = json.loads((run / "results.json").read_text())["history"]
    state["history"] = [{k: v for k, v in row.items() if "time" not in k and "per_s" not in k} for row in hist]
    return state


def _series(folder, moments, reference, log):
    """Train runs in ``folder`` through a list of kill moments; return (kills, resumes, problems).

    A moment is a fault spec (``"replace:1:last.npz"``: the process kills itself there) or a float (the
    test kills the process that many seconds after starting it). Each process continues the current
    run; when one ends by itself (the run is complete) the run is compared with the uninterrupted one
    and the next moments go to a new run. After the list, the current run is completed without faults.
    """
    kills, resumes, problems, runs = 0, 0, [], 0
    run = folder / f"run{runs}"
    pending = list(moments)
    while True:
        moment = pending.pop(0) if pending else None
        proc, resumed = _start(run, moment if isinstance(moment, str) else None)
        rc, out, err = _finish(proc, run, None if isinstance(moment, str) else moment)
        where = f"{run.relative_to(folder.parent)} ({moment!r}, {'resumed' if resumed else 'fresh'})"
        resumes += resumed
        if rc == -signal.SIGKILL:
            kills += 1
            log.append(where)
            _check_usable(run, where, problems)
            continue
        if rc != 0:
            problems.append(f"{where}: exit code {rc}\n{err[-2000:]}")
            return kills, resumes, problems
        if resumed and "resum" not in (out + err).lower():
            problems.append(f"{where}: started with --resume but did not say it resumed:\n{out}{err}")
        problems.extend(_compare(run, reference))
        if moment is None:
            return kills, resumes, problems
        runs += 1
        run = folder / f"run{runs}"


def _compare(run, reference):
    """Differences between a completed run and the uninterrupted one (an empty list: bit-identical)."""
    out = []
    if list(run.glob(".*.tmp")):
        out.append(f"{run}: temporary files left: {[p.name for p in run.glob('.*.tmp')]}")
    got = _final_state(run)
    if set(got) != set(reference):
        out.append(f"{run}: entries {sorted(set(got) ^ set(reference))} are in only one of the runs")
    for k, want in reference.items():
        if k == "history":
            if got.get(k) != want:
                out.append(f"{run}: history differs from the uninterrupted run")
        elif k in got and (got[k].dtype != want.dtype or got[k].tobytes() != want.tobytes()):
            out.append(f"{run}: {k} differs from the uninterrupted run")
    return out


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted run: its final state, and when its first ``last`` checkpoint appeared."""
    run = tmp_path_factory.mktemp("reference") / "run"
    t0 = time.perf_counter()
    proc, _ = _start(run)
    t_first = None
    while proc.poll() is None and time.perf_counter() - t0 < PROC_TIMEOUT:
        if t_first is None and checkpoint_exists(run / "last"):
            t_first = time.perf_counter() - t0
        time.sleep(0.005)
    rc, out, err = _finish(proc, run)
    t_total = time.perf_counter() - t0
    assert rc == 0, err
    return _final_state(run), (t_first or t_total / 2), t_total


def test_sigkill_at_every_checkpoint_write_and_at_random_moments(tmp_path, reference):
    t0 = time.perf_counter()
    ref, t_first, t_total = reference
    faults = [f"{step}:{n}:{name}" for name in FILES for n in (1, 2) for step in FAULT_STEPS]
    rnd = random.Random(1234)
    # a quarter of the random kills counted from the start (most land while Python starts), the others
    # from the process's first write (they land while it trains, evaluates and saves)
    span = max(0.05, 0.6 * (t_total - t_first))     # from the first write to near the end of a run
    delays = [round(rnd.uniform(0.1, t_first), 3) if i % 4 == 0 else ("active", round(rnd.uniform(0, span), 3))
              for i in range(RANDOM_KILLS)]
    half = len(faults) // 2                     # two series side by side: the machine has 2 cores
    series = [(tmp_path / "a", faults[:half] + delays[: RANDOM_KILLS // 2]),
              (tmp_path / "b", faults[half:] + delays[RANDOM_KILLS // 2:])]
    log = []

    def run_all(series):
        for folder, _ in series:
            folder.mkdir()
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            return list(pool.map(lambda s: _series(s[0], s[1], ref, log), series))

    results = run_all(series)
    # a random moment may fall after its process ended: top up with more until 50 kills (bounded)
    for extra in range(3):
        kills = sum(r[0] for r in results)
        if kills >= 50:
            break
        more = [("active", round(rnd.uniform(0, span), 3)) for _ in range(50 - kills + 2)]
        results += run_all([(tmp_path / f"extra{extra}", more)])
    kills = sum(r[0] for r in results)
    resumes = sum(r[1] for r in results)
    problems = [p for r in results for p in r[2]]
    summary = (f"{kills} SIGKILLs ({len(faults)} fault points, {RANDOM_KILLS} random moments, {len(results) - 2} top-ups), "
               f"{resumes} resumes, {time.perf_counter() - t0:.1f} s (reference run {t_total:.2f} s)")
    print("\n" + summary + "\n" + "\n".join(sorted(log)))
    assert not problems, "\n".join(problems)
    hit = {tuple(w.split("'")[1].split(":")[0::2]) for w in log if "'" in w and ":" in w.split("'")[1]}
    missed = sorted({(step, name) for step in FAULT_STEPS for name in FILES} - hit)
    assert not missed, f"no kill right after these (step, file) pairs: {missed}\n{summary}"
    assert kills >= 50, summary
    assert resumes >= 25, summary
