"""The CLI as a careless or unlucky user meets it: one clear line per failure, documented exit codes,
no traceback without --debug, and no run overwritten or lost."""
import errno
import json
import subprocess
import sys

import pytest

from snu_np.cli import main

TINY = ["--layers", "8", "--batch-size", "50", "--limit-train", "100", "--limit-test", "20", "--no-progress"]


def _one_line(capsys):
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err, err
    return err


def _train(out, *extra):
    return main(["train", "demo", "--epochs", "1", *TINY, "--out", str(out), *extra])


def test_a_finished_run_is_never_overwritten_without_being_told(tmp_path, capsys):
    out = tmp_path / "run"
    assert _train(out) == 0
    before = (out / "results.json").read_bytes(), (out / "best.npz").read_bytes()
    assert _train(out, "--seed", "3") == 2
    assert "already holds a run; use --resume" in _one_line(capsys)
    assert ((out / "results.json").read_bytes(), (out / "best.npz").read_bytes()) == before
    assert _train(out, "--seed", "3", "--overwrite") == 0
    assert json.loads((out / "results.json").read_text())["seed"] == 3


def test_resume_needs_a_checkpoint_and_more_epochs(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _train(empty, "--resume") == 2
    assert "nothing to resume" in _one_line(capsys)
    out = tmp_path / "run"
    assert main(["train", "demo", "--epochs", "2", *TINY, "--out", str(out)]) == 0
    capsys.readouterr()
    assert _train(out, "--resume") == 2                       # asks for 1 epoch, 2 are done
    assert "has already trained 2 epochs; --epochs 1 asks for fewer" in _one_line(capsys)
    assert _train(out, "--resume", "--overwrite") == 2
    assert "contradict" in _one_line(capsys)


def test_the_default_run_folder_is_new_for_each_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        assert main(["train", "demo", "--epochs", "1", *TINY]) == 0
    runs = sorted((tmp_path / "runs").iterdir())
    assert len(runs) == 2 and all((r / "results.json").is_file() for r in runs)


def test_divergence_stops_with_exit_4_naming_epoch_and_step(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "demo", "--optimizer", "sgd", "--lr", "1e30", "--layers", "16", "--epochs", "3",
                 "--limit-train", "100", "--limit-test", "20", "--no-progress", "--out", str(out)]) == 4
    err = _one_line(capsys)
    assert "training diverged at epoch 1, step 1/" in err and "--lr" in err
    assert not (out / "best.npz").exists()                    # a diverged network is never saved as best


def test_divergence_checks_can_be_switched_off(tmp_path, capsys):
    assert main(["train", "demo", "--optimizer", "sgd", "--lr", "1e30", "--layers", "16", "--epochs", "1",
                 "--limit-train", "100", "--limit-test", "20", "--no-progress", "--max-weight", "0",
                 "--diverge-factor", "0", "--out", str(tmp_path / "r")]) == 0


def test_out_naming_a_file_is_an_io_error_before_training(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert _train(f) == 5
    assert "is a file, not a folder" in _one_line(capsys)
    assert _train(f / "sub") == 5                             # a folder inside a file cannot be made
    _one_line(capsys)


def test_disk_full_is_one_line_and_exit_5(tmp_path, capsys, monkeypatch):
    import snu_np.io as io

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "run" / "last.npz"))
    monkeypatch.setattr(io, "save_checkpoint", full)
    assert _train(tmp_path / "run") == 5
    assert "the disk is full" in _one_line(capsys)


@pytest.mark.parametrize("argv,code,text", [
    (["train"], 2, "name a TASK or give --config"),
    (["train", "cifar"], 2, "invalid choice: 'cifar'"),
    (["train", "demo", "--lr", "abc"], 2, "invalid float value"),
    (["train", "demo", "--lr", "-1"], 2, "lr must be > 0"),
    (["train", "demo", "--layers", "8,,x"], 2, "comma-separated positive integers"),
    (["train", "demo", "--window", "9,3"], 2, "window must satisfy"),
    (["train", "demo", "--epochs", "0"], 2, "epochs must be >= 1"),
    (["train", "demo", "--shards", "0"], 2, "shards must be >= 1"),
    (["train", "jsb", "--loss", "mse"], 2, "does not fit the music task"),
    (["train", "--config", "no/such.toml"], 2, "run file no/such.toml does not exist"),
    (["train", "mnist", "--data-dir", "no/such/dir"], 3, "data directory no/such/dir does not exist"),
    (["evaluate", "no/such/run"], 2, "does not exist"),
    (["train", "demo", "--resume"], 2, "--resume needs --out"),
])
def test_bad_input_gets_one_line_and_its_exit_code(argv, code, text, capsys):
    assert main(argv) == code
    assert text in _one_line(capsys)


def test_evaluate_accepts_a_run_folder(tmp_path, capsys):
    out = tmp_path / "run"
    assert _train(out) == 0
    capsys.readouterr()
    assert main(["evaluate", str(out), "--limit-test", "20"]) == 0
    assert "test: loss" in capsys.readouterr().out


def test_debug_shows_the_traceback():
    r = subprocess.run([sys.executable, "-m", "snu_np", "train", "demo", "--lr", "-1", "--debug"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "Traceback" in r.stderr
    r = subprocess.run([sys.executable, "-m", "snu_np", "train", "demo", "--lr", "-1"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr and r.stderr.count("\n") == 1
