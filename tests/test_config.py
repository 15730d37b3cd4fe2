"""The run configuration: declared once, and the CLI, TOML files and checkpoints derive from it."""
import argparse
import dataclasses
import json
import re
from pathlib import Path

import pytest

from snu_np import config as C
from snu_np.cli import build_parser, main
from snu_np.config import RunConfig
from snu_np.errors import UsageError

pytestmark = pytest.mark.nojit
ROOT = Path(__file__).resolve().parents[1]


def _train_parser():
    parser = build_parser("train")
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices["train"]


def test_every_setting_is_a_cli_flag_with_its_default_in_the_help():
    p = _train_parser()
    dests = {a.dest: a for a in p._actions}
    for name, (_, f) in C.field_specs().items():
        assert name in dests, f"setting {name} has no flag"
        assert "default:" in dests[name].help, f"--{name} shows no default"
    for a in p._actions:                                  # the invocation options too
        if a.dest not in ("help", "task") and a.option_strings:
            assert a.help and ("default" in a.help or a.const is True or a.dest in
                               ("config", "print_config", "resume", "overwrite", "no_download", "no_progress")), a.dest


def test_settings_are_unique_and_flat_access_works():
    specs = C.field_specs()
    assert len(specs) == sum(len(dataclasses.fields(c)) for c in C.SECTIONS.values())
    cfg = RunConfig.from_flat(task="jsb", model="ssnu", lr=2e-3, layers="150")
    assert cfg["lr"] == cfg.optim.lr == 2e-3 and cfg.network.layers == (150,)
    assert cfg.replace(**{"optim.lr": 5e-4}).optim.lr == 5e-4


def test_round_trip_toml_config_checkpoint_config(tmp_path):
    from snu_np.io import load_checkpoint, save_checkpoint
    from snu_np.tasks import build_from_config
    cfg = RunConfig.from_flat(task="demo", model="ssnu", layers=(8, 4), recurrent=True, window=(5, 20),
                              ema=0.99, clip=2.5, surrogate="arctan", surrogate_scale=2.0, epochs=3,
                              weight_noise=0.5, center_inputs="off").resolve()
    text = cfg.to_toml(header="a test")
    back = RunConfig.from_toml(text)
    assert back == cfg
    assert back.to_toml(header="a test") == text               # printing is stable too
    net = build_from_config(cfg)
    save_checkpoint(tmp_path / "ck", net, None, cfg.to_dict(), {})
    _, _, meta = load_checkpoint(tmp_path / "ck")
    assert meta["config"]["schema"] == C.SCHEMA_VERSION
    assert RunConfig.from_dict(meta["config"]) == cfg
    assert RunConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg


def test_resolving_twice_changes_nothing_and_fills_the_tasks_defaults():
    for task in ("demo", "jsb"):
        r = RunConfig.from_flat(task=task, model="ssnu").resolve()
        assert r.resolve() == r
        assert None not in (r.run.batch_size, r.run.patience, r.data.loss, r.data.val_size)
    assert RunConfig.from_flat(task="jsb").resolve().run.batch_size == 1
    assert RunConfig.from_flat(task="demo").resolve().run.batch_size == 128
    assert RunConfig.from_flat(task="demo", model="ssnu").resolve().network.output_bias == -4.0


@pytest.mark.parametrize("values,match", [
    (dict(lr=0), r"lr must be > 0"),
    (dict(epochs=0), r"epochs must be >= 1"),
    (dict(epochs=1.5), r"epochs must be an integer"),
    (dict(model="cnn"), r"unknown model 'cnn'; choose one of: snu"),
    (dict(layers="8,x"), r"comma-separated positive integers"),
    (dict(layers=[0]), r"layers\[0\] must be an integer from 1"),
    (dict(window=(3, 3)), r"window must satisfy 0 <= a < b"),
    (dict(decay=1.5), r"decay must be <= 1"),
    (dict(lr=float("nan")), r"lr must be a finite number"),
    (dict(recurrent="maybe"), r"recurrent must be true or false"),
    (dict(colour="red"), r"unknown setting\(s\) colour"),
])
def test_bad_settings_name_the_setting(values, match):
    with pytest.raises(UsageError, match=match):
        RunConfig.from_flat(task="demo", **values)


def test_cross_checks_need_the_task():
    with pytest.raises(UsageError, match="does not fit the music task"):
        RunConfig.from_flat(task="jsb", loss="mse").resolve()
    with pytest.raises(UsageError, match="shards = 2: data-parallel shards work for classification"):
        RunConfig.from_flat(task="jsb", shards=2).resolve()
    with pytest.raises(UsageError, match="window = \\(5, 30\\) must end at or before T = 20"):
        RunConfig.from_flat(task="demo", window=(5, 30)).resolve()


def test_toml_errors_are_one_clear_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("task = 'demo'\n[network]\nlayer = [8]\n")
    with pytest.raises(UsageError, match=r"unknown setting\(s\) layer in \[network\]"):
        RunConfig.from_toml(bad)
    bad.write_text("task = 'demo'\n[netwrk]\nlayers = [8]\n")
    with pytest.raises(UsageError, match=r"unknown section \[netwrk\]"):
        RunConfig.from_toml(bad)
    bad.write_text("task = \n")
    with pytest.raises(UsageError, match="is not valid TOML"):
        RunConfig.from_toml(bad)
    with pytest.raises(UsageError, match="does not exist"):
        RunConfig.from_toml(tmp_path / "none.toml")


def test_schema1_configs_of_earlier_runs_are_read():
    old = {"task": "jsb", "model": "ssnu", "layers": [150], "epochs": 500, "batch_size": 1, "lr": 0.001,
           "optimizer": "adam", "seed": 0, "lr_decay": 1.0, "clip": None, "window": None,
           "loss": "bernoulli_nll", "dtype": "float32", "limit_train": None, "limit_test": None,
           "recurrent": False, "patience": 60, "val_size": None, "T": None, "output_bias": None,
           "center_output": None, "decay": 0.9, "backend": None, "trials": 1, "data_dir": None,
           "out_dir": "runs/x", "progress": True, "verbose": True, "download": True}
    cfg = RunConfig.from_dict(old)
    assert cfg.network.decay == 0.9 and cfg.run.patience == 60 and cfg.network.g == "relu"
    assert cfg.network.center_inputs == "auto"


def test_print_config_then_config_file_resolves_to_the_same_run(tmp_path, capsys):
    argv = ["train", "jsb", "--model", "ssnu", "--layers", "150", "--decay", "0.9", "--epochs", "500",
            "--patience", "60", "--weight-decay", "0.01"]
    assert main(argv + ["--print-config"]) == 0
    text = capsys.readouterr().out
    f = tmp_path / "run.toml"
    f.write_text(text)
    assert main(["train", "--config", str(f), "--print-config"]) == 0
    assert capsys.readouterr().out == text
    # a flag overrides the file
    assert main(["train", "--config", str(f), "--lr", "0.005", "--print-config"]) == 0
    assert RunConfig.from_toml(capsys.readouterr().out).optim.lr == 0.005


def test_resume_names_the_settings_that_differ(tmp_path, capsys):
    out = tmp_path / "run"
    base = ["train", "demo", "--layers", "8", "--epochs", "1", "--batch-size", "50", "--limit-train", "100",
            "--limit-test", "20", "--out", str(out), "--no-progress"]
    assert main(base) == 0
    capsys.readouterr()
    assert main(base + ["--resume", "--lr", "0.01", "--decay", "0.5", "--epochs", "2"]) == 2
    err = capsys.readouterr().err
    assert "configuration differs" in err and "lr: 0.001 -> 0.01" in err and "decay: 0.8 -> 0.5" in err


def test_settings_table_lists_every_setting():
    table = C.settings_table()
    for name in C.field_specs():
        assert f"`{name}`" in table


def test_choices_have_one_home():
    from snu_np.functional.losses import LOSSES
    from snu_np.optim import OPTIMIZERS
    from snu_np.surrogates import SURROGATES
    assert set(C.LOSS_NAMES) == set(LOSSES)
    assert set(C.OPTIMIZERS) == set(OPTIMIZERS)
    assert set(C.SURROGATE_NAMES) == set(SURROGATES)


def test_a_new_setting_is_named_in_few_package_files():
    # one idea, one place: a setting is declared in config.py and used where it acts
    pkg = ROOT / "snu_np"
    for name in ("h_scale", "weight_decay", "surrogate_scale", "center_inputs"):
        files = {p for p in pkg.rglob("*.py") if re.search(rf"\b{name}\b", p.read_text(encoding="utf-8"))}
        assert len(files) <= 3, (name, sorted(str(p.relative_to(ROOT)) for p in files))


def test_config_takes_a_shipped_recipe_by_name(capsys):
    assert main(["train", "--config", "jsb-ssnu", "--seed", "4", "--print-config"]) == 0
    cfg = RunConfig.from_toml(capsys.readouterr().out)
    assert cfg.task == "jsb" and cfg.network.decay == 0.9 and cfg.run.seed == 4
    assert main(["train", "--config", "no-such-recipe", "--print-config"]) == 2
    assert "nor is it a recipe's name" in capsys.readouterr().err
