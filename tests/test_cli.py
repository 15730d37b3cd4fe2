"""The ``snu-np`` command: exit codes, one-line errors, and tiny end-to-end runs."""
import json

import pytest

from snu_np.cli import COMMANDS, main, register_command


def _one_line_error(capsys):
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


def test_info(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    for word in ("snu-np", "backend", "numba", "BLAS threads", "jittered-mnist"):
        assert word in out


def test_commands_are_a_dict_and_extensible(capsys):
    assert {"demo", "train", "evaluate", "info"} <= set(COMMANDS)

    def add(p):
        p.add_argument("--n", type=int, default=3)

    def run(args):
        """Say hello."""
        print("hello" * args.n)
        return 0
    register_command("hello", add, run)
    try:
        assert main(["hello", "--n", "2"]) == 0
        assert capsys.readouterr().out.strip() == "hellohello"
    finally:
        COMMANDS.pop("hello")


@pytest.mark.parametrize("argv,match", [
    (["train", "cifar"], "invalid choice: 'cifar'"),
    (["train", "demo", "--model", "cnn"], "invalid choice: 'cnn'"),
    (["train", "demo", "--epochs", "0", "--no-progress"], "epochs must be >= 1, got 0"),
    (["train", "demo", "--batch-size", "-1", "--no-progress"], "batch_size must be >= 1"),
    (["train", "demo", "--lr", "-0.1", "--no-progress"], "lr must be > 0"),
    (["train", "demo", "--layers", "64,,x", "--no-progress"], "comma-separated"),
    (["train", "demo", "--epochs", "two"], "invalid int value"),
    (["train", "demo", "--threshold", "0", "--no-progress"], "threshold must be > 0"),
    (["train", "demo", "--surrogate", "relu"], "invalid choice: 'relu'"),
    (["train", "demo", "--surrogate-scale", "-1", "--no-progress"], "surrogate_scale must be > 0"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["evaluate", "no/such/checkpoint"], "checkpoint no/such/checkpoint does not exist"),
])
def test_user_mistakes_exit_2_with_one_line(argv, match, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert match in _one_line_error(capsys)


def test_missing_data_dir(capsys, tmp_path):
    assert main(["train", "mnist", "--data-dir", str(tmp_path / "nope"), "--no-progress"]) == 3   # data
    assert "does not exist" in _one_line_error(capsys)


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert main(["train", "--help"]) == 0
    assert "--limit-train" in capsys.readouterr().out


def test_train_then_evaluate_then_resume(tmp_path, capsys):
    out = tmp_path / "run"
    base = ["train", "demo", "--layers", "16", "--batch-size", "50", "--lr", "3e-3", "--limit-train", "100",
            "--limit-test", "50", "--out", str(out), "--no-progress"]
    assert main(base + ["--epochs", "1"]) == 0
    text = capsys.readouterr().out
    assert "test accuracy" in text and "at epoch 1 (best validation)" in text and (out / "best.npz").is_file()
    assert main(base + ["--epochs", "2", "--resume"]) == 0
    assert "resuming" in capsys.readouterr().out
    assert json.loads((out / "results.json").read_text())["epochs_completed"] == 2
    assert main(["evaluate", str(out / "best"), "--limit-test", "50"]) == 0
    assert "test: loss" in capsys.readouterr().out and "accuracy" in text
    # a corrupt checkpoint is a user-facing error, not a traceback
    (out / "best.npz").write_bytes(b"garbage")
    assert main(["evaluate", str(out / "best")]) == 5            # a damaged checkpoint: the I/O class
    assert "best.npz" in _one_line_error(capsys)


def test_trials_cli(tmp_path, capsys):
    out = tmp_path / "t"
    assert main(["train", "demo", "--layers", "8", "--epochs", "1", "--batch-size", "50", "--limit-train", "50",
                 "--limit-test", "20", "--trials", "2", "--out", str(out), "--no-progress"]) == 0
    assert "over 2 trials" in capsys.readouterr().out
    assert json.loads((out / "summary.json").read_text())["seeds"] == [0, 1]


def test_demo_quick_writes_plots(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--quick", "--out", str(out), "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "test accuracy:" in text
    for name in ("neuron.png", "hidden_raster.png", "output_raster.png", "input_raster.png", "states.png",
                 "training_curves.png"):
        assert (out / name).stat().st_size > 1000, name


def test_no_arguments_runs_the_demo(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SNU_NP_DEMO_QUICK", "1")
    assert main(["--no-plots", "--no-progress"]) == 0
    assert "test accuracy:" in capsys.readouterr().out
    assert (tmp_path / "snu-np-demo" / "run" / "results.json").is_file()


def test_missing_data_files_say_where_they_were_looked_for(tmp_path, capsys):
    assert main(["train", "mnist", "--data-dir", str(tmp_path), "--no-download", "--no-progress"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(tmp_path) in err and "Traceback" not in err


def test_cell_options_reach_every_layer_and_the_checkpoint(tmp_path, capsys):
    from snu_np.io import load_checkpoint
    out = tmp_path / "cells"
    assert main(["train", "demo", "--layers", "8", "--epochs", "1", "--batch-size", "50", "--limit-train", "50",
                 "--limit-test", "20", "--threshold", "0.5", "--surrogate", "boxcar", "--surrogate-scale", "2",
                 "--detach-reset", "--out", str(out), "--no-progress"]) == 0
    capsys.readouterr()
    net, _, meta = load_checkpoint(out / "best")
    hidden, output = net.layers
    assert meta["config"]["network"]["surrogate"] == "boxcar" and meta["config"]["network"]["threshold"] == 0.5
    for layer in net.layers:
        assert layer.surrogate.name == "boxcar" and layer.surrogate.scale == 2.0 and layer.detach_reset
    assert hidden.threshold == 0.5 and output.threshold == 1.0   # the output layer keeps its own bias


def test_shards_and_val_size_options(tmp_path, capsys):
    out = tmp_path / "dp"
    assert main(["train", "demo", "--layers", "8", "--epochs", "1", "--batch-size", "50", "--limit-train", "100",
                 "--limit-test", "20", "--shards", "2", "--val-size", "0", "--threads", "1", "--out", str(out),
                 "--ema", "0.9", "--no-progress"]) == 0
    assert "at epoch 1 (the last: no validation set, averaged weights)" in capsys.readouterr().out
    res = json.loads((out / "results.json").read_text())
    assert (res["config"]["run"]["shards"], res["config"]["data"]["val_size"], res["config"]["optim"]["ema"]) == (2, 0, 0.9)
    assert "val_accuracy" not in res["history"][0]              # nothing held out: no validation
    assert res["history"][0]["train_samples"] == 100
    assert main(["train", "demo", "--shards", "0", "--no-progress"]) == 2
    assert "shards must be >= 1" in _one_line_error(capsys)
