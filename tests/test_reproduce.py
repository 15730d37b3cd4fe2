"""snu-np reproduce / report: recipes, trials in parallel (joblib, Dask), resuming, generated tables.

Tiny recipes (the embedded demo task, one hidden layer of 8, 100 training digits) written by the
tests; the shipped recipes are only resolved, never trained.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from snu_np.errors import UsageError
from snu_np.reproduce import load_recipes, reproduce, select
from snu_np.reproduce.cli import main
from snu_np.reproduce.commands import command_config, extract_commands, train_parser
from snu_np.reproduce.recipes import RECIPES_DIR, load_recipe
from snu_np.reproduce.report import build_tables, collect

ROOT = Path(__file__).resolve().parents[1]
HEADLINE_TABLES = ("jittered-mnist", "rate-mnist", "music-jsb", "music-nottingham", "music-musedata",
                   "music-piano-midi")
TINY = """\
task = "demo"
[network]
layers = [8]
[data]
limit_train = 100
limit_test = 50
[run]
epochs = {epochs}
seed = {seed}
[recipe]
name = "{name}"
title = "a tiny demo SNU"
table = "tiny-table"
paper = "no paper figure: a test"
paper_value = 12.5
protocol = "the demo's last 500 training digits held out (limited to 50); best validation epoch"
trials = 2
expected_time_per_trial = "1 s"
"""


def _env():
    env = dict(os.environ, MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    return env


@pytest.fixture(scope="module")
def recipes_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("recipes")
    (d / "tiny.toml").write_text(TINY.format(name="tiny", epochs=8, seed=0), encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def serial(recipes_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    infos = reproduce(select(["tiny"], [recipes_dir]), out=out, jobs=1, progress=False, log=lambda m: None)
    assert [i["status"] for i in infos] == ["trained", "trained"]
    return out


def _weights(folder):
    """Every numeric array of every checkpoint in a run folder (metadata aside)."""
    out = {}
    for f in sorted(Path(folder).glob("*.npz")):
        with np.load(f) as z:
            out.update({(f.name, k): z[k] for k in z.files if not k.startswith("__")})
    return out


def _same_runs(a, b):
    for seed in (0, 1):
        ra, rb = (json.loads((x / "tiny" / f"seed{seed}" / "results.json").read_text()) for x in (a, b))
        assert ra["finished"] and rb["finished"]
        assert ra["test"] == rb["test"] and ra["valid"] == rb["valid"] and ra["best_epoch"] == rb["best_epoch"]
        assert [h["train_loss"] for h in ra["history"]] == [h["train_loss"] for h in rb["history"]]
        wa, wb = _weights(a / "tiny" / f"seed{seed}"), _weights(b / "tiny" / f"seed{seed}")
        assert wa and wa.keys() == wb.keys()
        for k in wa:
            np.testing.assert_array_equal(wa[k], wb[k], err_msg=str(k))


def _table_rows(out, recipes_dir):
    rows = build_tables(collect([out], warn=lambda m: None), load_recipes([recipes_dir]))["tiny-table"]["rows"]
    return [{k: r[k] for k in ("recipe", "n", "mean", "std", "min", "max", "n_params")} |
            {"tests": [(t["seed"], t["test"], t["best_epoch"]) for t in r["trials"]]} for r in rows]


# --------------------------------------------------------------------------------------------------
# recipes
# --------------------------------------------------------------------------------------------------
def test_every_recipe_resolves_and_names_its_table_and_protocol():
    recipes = load_recipes()
    files = sorted(RECIPES_DIR.glob("*.toml"))
    assert len(files) == len(recipes) >= 40
    for path in files:
        r = load_recipe(path)
        assert r.name == path.stem
        cfg = r.config.resolve()
        assert cfg.run.trials == 1 and cfg.task
        assert r.table and r.protocol and r.paper and r.title and r.expected_time_per_trial
        assert r.trials >= 1
        if r.table in HEADLINE_TABLES:
            assert r.trials == 10, r.name
    assert set(HEADLINE_TABLES) <= {r.table for r in recipes.values()}
    assert all(r.table not in recipes for r in recipes.values()), "a table named like a recipe"


# the commands of docs/results.md as it was written by hand, before snu-np report generated its tables
# (each prefixed with its line there; an abbreviated row extends the full command above it)
HAND_WRITTEN_COMMANDS = """\
35: `snu-np train jittered-mnist --model snu --layers 256,256 --epochs 40 --lr 3e-3 --lr-decay 0.93 --seed 0 --trials 3 --data-dir DIR --threads 1`
36: `snu-np train jittered-mnist --model ssnu --g leaky_relu --threshold 3 --layers 256,256 --epochs 40 --lr 6e-3 --lr-decay 0.93 --seed 0 --trials 3 --data-dir DIR --threads 1`
37: `snu-np train jittered-mnist --model ssnu --g leaky_relu --threshold 3 --layers 256,256 --epochs 60 --lr 6e-3 --lr-decay 0.95 --weight-decay 0.02 --ema 0.999 --val-size 0 --seed 0 --trials 6 --data-dir DIR --threads 1`
38: `snu-np train jittered-mnist --model ssnu --g leaky_relu --threshold 3 --layers 256,256 --epochs 60 --lr 6e-3 --lr-decay 0.95 --weight-decay 0.02 --seed 0 --trials 6 --data-dir DIR --threads 1`
39: `snu-np train jittered-mnist --model ssnu --g leaky_relu --threshold 3 --layers 256,256 --epochs 60 --lr 6e-3 --lr-decay 0.95 --weight-decay 0.04 --seed 0 --trials 4 --data-dir DIR --threads 1`
40: `snu-np train jittered-mnist --model ssnu --g leaky_relu --threshold 3 --layers 256,256 --epochs 60 --lr 6e-3 --lr-decay 0.95 --weight-decay 0.02 --ema 0.999 --seed 0 --trials 6 --data-dir DIR --threads 1`
41: `snu-np train jittered-mnist --model ssnu --g leaky_relu --threshold 3 --layers 256,256 --epochs 80 --lr 6e-3 --lr-decay 0.96 --weight-decay 0.02 --seed 0 --trials 2 --data-dir DIR --threads 1`
42: `snu-np train jittered-mnist --model ssnu --g leaky_relu --threshold 3 --layers 256,256 --epochs 60 --lr 6e-3 --lr-decay 0.95 --seed 0 --trials 3 --data-dir DIR --threads 1`
43: `snu-np train jittered-mnist --model snu --layers 256,256 --epochs 25 --lr 3e-3 --lr-decay 0.9 --seed 0 --trials 3 --data-dir DIR --threads 1`
44: `snu-np train jittered-mnist --model ssnu --g leaky_relu --layers 256,256 --epochs 25 --lr 3e-3 --lr-decay 0.9 --seed 0 --trials 3 --data-dir DIR --threads 1`
126: `snu-np train jittered-mnist --model rnn --layers 256,256 --epochs 6 --lr 3e-3 --lr-decay 0.9 --seed 0 --data-dir DIR --threads 1`
127: `... --model gru ...`
128: `... --model lstm ...`
129: `snu-np train jittered-mnist --model gru --layers 256,256 --epochs 6 --lr 6e-3 --lr-decay 0.93 --seed 0 --data-dir DIR --threads 1`
130: `... --model lstm ...`
147: `snu-np train mnist --model ssnu --g leaky_relu --threshold 3 --layers 256,256,256 --epochs 12 --lr 6e-3 --lr-decay 0.8 --seed 0 --data-dir DIR --threads 1`
148: `snu-np train mnist --model ssnu --g leaky_relu --layers 256,256,256 --epochs 10 --lr 3e-3 --lr-decay 0.8 --seed 0 --data-dir DIR`
149: `snu-np train mnist --model snu --threshold 0.5 --layers 256,256,256,256,256,256 --epochs 12 --lr 3e-3 --lr-decay 0.8 --seed 0 --data-dir DIR --threads 1`
175: `snu-np train jsb --model snu --layers 150 --epochs 300 --lr 1e-3 --patience 30 --seed 0 --trials 3 --data-dir DIR`
176: `... --model snu --g leaky_relu ...`
177: `snu-np train jsb --model snu --g leaky_relu --clip 1 --layers 150 --epochs 300 --lr 1e-3 --patience 30 --seed 0 --trials 3 --data-dir DIR`
178: `snu-np train jsb --model snu --layers 150 --epochs 400 --lr 1e-3 --patience 40 --clip 1 --g leaky_relu --threshold 0.4 --detach-reset --seed 0 --trials 3 --data-dir DIR`
179: `snu-np train jsb --model snu --layers 150 --epochs 400 --lr 1e-3 --patience 40 --clip 1 --g leaky_relu --threshold 0.4 --detach-reset --weight-decay 0.1 --seed 0 --trials 3 --data-dir DIR`
180: `snu-np train jsb --model ssnu --layers 150 --epochs 500 --lr 1e-3 --patience 60 --seed 0 --trials 3 --data-dir DIR`
181: `snu-np train jsb --model ssnu --layers 150 --epochs 400 --lr 3e-3 --lr-decay 0.98 --patience 40 --seed 0 --trials 3 --data-dir DIR`
182: `snu-np train jsb --model ssnu --layers 150 --epochs 400 --lr 3e-3 --lr-decay 0.98 --patience 40 --decay 0.9 --seed 0 --trials 3 --data-dir DIR`
183: `snu-np train jsb --model rnn --layers 97 --epochs 300 --lr 1e-3 --patience 20 --seed 0 --data-dir DIR`
184: `... --model gru --layers 52 ...`
185: `... --model lstm --layers 43 ...`
203: `snu-np train jsb --model ssnu --recurrent --h-scale 0.1 --layers 150 --epochs 400 --lr 1e-3 --patience 40 --data-dir DIR`
227: `snu-np train nottingham --model snu --layers 150 --epochs 150 --lr 1e-3 --patience 20 --seed 0 --data-dir DIR`
228: `... --model ssnu ...`
229: `snu-np train piano-midi --model snu --layers 150 --epochs 200 --lr 1e-3 --patience 20 --seed 0 --data-dir DIR`
230: `... --model ssnu ...`
231: `snu-np train musedata --model snu --layers 150 --epochs 40 --lr 1e-3 --patience 8 --seed 0 --data-dir DIR`
232: `... --model ssnu ...`
239: `snu-np train nottingham --model rnn --layers 97 --epochs 80 --lr 1e-3 --patience 15 --seed 0 --data-dir DIR`
240: `... --model gru --layers 52 ...`
241: `... --model lstm --layers 43 ...`
242: `snu-np train piano-midi --model rnn --layers 97 --epochs 100 --lr 1e-3 --patience 15 --seed 0 --data-dir DIR`
243: `... --model gru --layers 52 ...`
244: `... --model lstm --layers 43 ...`
245: `snu-np train musedata --model rnn --layers 97 --epochs 40 --lr 1e-3 --patience 15 --seed 0 --data-dir DIR`
246: `... --model gru --layers 52 ...`
247: `... --model lstm --layers 43 ...`
"""


def _twin_key(cfg):
    """A run's configuration as a comparable key. The music recipes lift the epoch caps of the earlier
    runs (several stopped while still improving; early stopping on validation ends a run now), so
    for music tasks the cap is not part of the key."""
    d = cfg.to_dict()
    if cfg.task in ("nottingham", "musedata", "piano-midi"):
        d["run"].pop("epochs")
    return json.dumps(d, sort_keys=True)


def test_commands_in_the_results_pages_have_recipe_twins():
    keys = {}
    for r in load_recipes().values():
        keys.setdefault(_twin_key(r.config.replace(trials=1).resolve()), []).append(r.name)
    parser = train_parser()
    unmatched, n = [], 0
    pages = {"docs/results.md (hand-written)": HAND_WRITTEN_COMMANDS}
    for page in ("docs/results.md", "docs/results_history.md", "docs/reproduce.md"):
        if (ROOT / page).exists():
            pages[page] = (ROOT / page).read_text(encoding="utf-8")
    for page, text in pages.items():
        for c in extract_commands(text):
            n += 1
            key = _twin_key(command_config(c, parser))
            if key not in keys:
                unmatched.append(f"{page}:{c.line}: {c.text}")
    assert n >= len(HAND_WRITTEN_COMMANDS.splitlines()) == 45
    assert not unmatched, "commands without a recipe twin:\n" + "\n".join(unmatched)


def test_extract_commands_expands_abbreviated_rows():
    md = ("| a | `snu-np train jsb --model rnn --layers 97\n--epochs 3 --seed 0 --data-dir DIR` |\n"
          "| b | `... --model gru --layers 52 ...` (as above) |\n| c | `--weight-decay 0.1` |\n")
    cs = extract_commands(md)
    assert [c.line for c in cs] == [1, 3] and cs[1].abbreviated and cs[1].base_line == 1
    cfg = command_config(cs[1])
    assert (cfg.network.model, cfg.network.layers, cfg.run.epochs) == ("gru", (52,), 3)


# --------------------------------------------------------------------------------------------------
# running trials
# --------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_local_pool_matches_serial_and_a_rerun_skips(serial, recipes_dir, tmp_path):
    out = tmp_path / "pool"
    infos = reproduce(select(["tiny-table"], [recipes_dir]), out=out, jobs=2, progress=False, log=lambda m: None)
    assert sorted(i["status"] for i in infos) == ["trained", "trained"]
    assert len({i["pid"] for i in infos}) == 2 and os.getpid() not in {i["pid"] for i in infos}
    _same_runs(serial, out)
    again = reproduce(select(["tiny"], [recipes_dir]), out=out, jobs=2, progress=False, log=lambda m: None)
    assert [i["status"] for i in again] == ["skipped", "skipped"]
    assert (out / "tiny" / "recipe.toml").read_text() == (recipes_dir / "tiny.toml").read_text()


@pytest.mark.slow
def test_dask_cluster_matches_serial(serial, recipes_dir, tmp_path):
    distributed = pytest.importorskip("distributed")
    out = tmp_path / "dask"
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as c:
        infos = reproduce(select(["tiny"], [recipes_dir]), out=out, scheduler=c.scheduler_address,
                          progress=False, log=lambda m: None)
    assert sorted(i["status"] for i in infos) == ["trained", "trained"]
    assert os.getpid() not in {i["pid"] for i in infos}
    _same_runs(serial, out)


@pytest.mark.slow
def test_a_killed_trial_resumes_and_the_table_is_the_same(serial, recipes_dir, tmp_path):
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "snu_np.reproduce", "reproduce", "tiny", "--recipes", str(recipes_dir),
           "--jobs", "1", "--out", str(out), "--no-progress"]
    proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    res = out / "tiny" / "seed0" / "results.json"
    deadline = time.monotonic() + 40
    seen = None
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                seen = json.loads(res.read_text())
                if seen["epochs_completed"] >= 1:
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.005)
        os.killpg(proc.pid, signal.SIGKILL)         # the process group this test started
    finally:
        proc.wait(timeout=30)
    assert seen is not None and not seen["finished"], f"not killed mid-trial: {proc.stderr.read()}"
    killed_at = json.loads(res.read_text())["epochs_completed"]
    assert 1 <= killed_at < 8
    infos = reproduce(select(["tiny"], [recipes_dir]), out=out, jobs=1, progress=False, log=lambda m: None)
    assert infos[0]["status"] == "resumed" and infos[1]["status"] in ("trained", "resumed")
    _same_runs(serial, out)
    assert _table_rows(out, recipes_dir) == _table_rows(serial, recipes_dir)


def test_a_changed_recipe_does_not_reuse_old_trials(serial, tmp_path):
    d = tmp_path / "recipes"
    d.mkdir()
    (d / "tiny.toml").write_text(TINY.format(name="tiny", epochs=8, seed=0).replace("layers = [8]", "layers = [9]"))
    before = (serial / "tiny" / "recipe.toml").read_text()
    with pytest.raises(UsageError, match="another configuration"):     # before anything runs
        reproduce(select(["tiny"], [d]), out=serial, jobs=1, progress=False, log=lambda m: None)
    assert (serial / "tiny" / "recipe.toml").read_text() == before


# --------------------------------------------------------------------------------------------------
# report and the command line
# --------------------------------------------------------------------------------------------------
def test_report_names_corrupt_runs_and_carries_on(serial, recipes_dir, tmp_path, capsys):
    runs = tmp_path / "runs"
    shutil.copytree(serial, runs / "good")
    bad = runs / "broken"
    (bad / "a").mkdir(parents=True)
    (bad / "a" / "results.json").write_text("{not json")
    (bad / "b").mkdir()
    (bad / "b" / "results.json").write_text(json.dumps({"task": "demo", "seed": 3}))
    unfinished = json.loads((serial / "tiny" / "seed0" / "results.json").read_text())
    unfinished["finished"] = False
    (bad / "c").mkdir()
    (bad / "c" / "results.json").write_text(json.dumps(unfinished))
    docs = tmp_path / "docs"
    assert main(["report", str(runs), "--recipes", str(recipes_dir), "--out", str(docs)]) == 0
    err = capsys.readouterr().err
    for name in ("a", "b", "c"):
        assert str(bad / name) in err, err
    assert "not readable JSON" in err and "lacks" in err and "not finished" in err
    page = (docs / "results" / "tiny-table.md").read_text()
    assert "Generated by `snu-np report" in page and "| `tiny`: a tiny demo SNU | 12.50 % |" in page
    data = json.loads((docs / "results" / "tiny-table.json").read_text())
    assert data["rows"][0]["n"] == 2 and data["rows"][0]["paper_value"] == 12.5
    assert (docs / "_static" / "results" / "tiny-table.png").stat().st_size > 1000


def test_report_all_tables_marks_tables_awaiting_runs(tmp_path, capsys):
    docs = tmp_path / "docs"
    assert main(["report", "--all-tables", "--out", str(docs), "--no-figures"]) == 0
    page = (docs / "results" / "jittered-mnist.md").read_text()
    assert "No finished trials yet" in page and "97.41 %" in page


def test_list_and_unknown_recipe(capsys):
    assert main(["reproduce", "--list"]) == 0
    out = capsys.readouterr().out
    assert "jittered-mnist  (" in out and "jmnist-snu" in out and "10 trials" in out
    assert main(["reproduce", "no-such-recipe"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown recipe or table 'no-such-recipe'" in err


def _loky_workers():
    """The loky worker processes this test process started (children running popen_loky)."""
    out = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            ppid = int((p / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmd = (p / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == os.getpid() and "popen_loky" in cmd:
            out.append(int(p.name))
    return out


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to find the worker processes")
def test_a_dead_pool_worker_costs_only_its_trials_progress(tmp_path):
    import threading
    d = tmp_path / "recipes"
    d.mkdir()
    (d / "long.toml").write_text(TINY.format(name="long", epochs=25, seed=0))
    out, logs, box = tmp_path / "pool", [], {}
    th = threading.Thread(target=lambda: box.update(infos=reproduce(
        select(["long"], [d]), out=out, jobs=2, progress=False, log=logs.append)))
    th.start()
    deadline = time.monotonic() + 60
    killed = []
    while time.monotonic() < deadline and th.is_alive() and not killed:
        try:
            states = [json.loads((out / "long" / f"seed{s}" / "results.json").read_text()) for s in (0, 1)]
        except (OSError, ValueError):
            states = None
        if states and all(r["epochs_completed"] >= 1 and not r["finished"] for r in states):
            for pid in _loky_workers():
                os.kill(pid, signal.SIGKILL)        # worker processes of this test's own pool
                killed.append(pid)
        time.sleep(0.005)
    th.join(timeout=120)
    assert killed, "the trials finished before a worker could be killed"
    assert any("a worker process died" in m for m in logs), logs
    infos = box["infos"]
    assert [i["status"] for i in infos] == ["resumed", "resumed"]
    for s in (0, 1):
        r = json.loads((out / "long" / f"seed{s}" / "results.json").read_text())
        assert r["finished"] and r["epochs_completed"] == 25


def test_scheduler_without_the_cluster_extra_is_a_clear_error(recipes_dir, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)          # as if dask.distributed were missing
    with pytest.raises(UsageError, match=r"snu-np\[cluster\]"):
        reproduce(select(["tiny"], [recipes_dir]), out=tmp_path, scheduler="tcp://127.0.0.1:8786",
                  progress=False, log=lambda m: None)
