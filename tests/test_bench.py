"""A smoke run of the benchmark command (tiny sizes): the real benchmarks are not tests."""
import json

from snu_np.cli import main


def test_bench_quick_smoke(tmp_path, capsys):
    out = tmp_path / "bench.json"
    code = main(["bench", "--quick", "--impls", "numba,numba-dp,numpy", "--reps", "1", "--no-compile",
                 "--workloads", "mnist-ff-b32,music-b1-T60", "--out", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "/ numpy" in text and "GEMM bound" in text
    result = json.loads(out.read_text())
    rows = {(r["workload"], r["impl"]) for r in result["rows"]}
    # data parallelism needs a batch to cut: not run on the music net (batch 1)
    assert rows == {("mnist-ff-b32", "numba"), ("mnist-ff-b32", "numba-dp"), ("mnist-ff-b32", "numpy"),
                    ("music-b1-T60", "numba"), ("music-b1-T60", "numpy")}
    assert all(r["samples_per_s"] > 0 for r in result["rows"])
    assert set(result["ratios"]) == {"mnist-ff-b32 numba", "mnist-ff-b32 numba-dp", "music-b1-T60 numba"}
    for rr in result["ratios"].values():
        assert rr["vs_numpy"] > 0 and 0 < rr["of_gemm_bound"] and "vs_torch" not in rr


def test_bench_bad_arguments(capsys):
    assert main(["bench", "--quick", "--impls", "jax"]) == 2
    assert "jax" in capsys.readouterr().err
    assert main(["bench", "--quick", "--workloads", "nope", "--impls", "numpy"]) == 2


def test_fit_tanh_script_reproduces_the_kernel_coefficients():
    """benchmarks/fit_tanh.py, which docs/performance.md cites, fits the rational tanh again: the
    fit meets the stated error, and it is the same function as the one in the kernel."""
    import importlib.util
    from pathlib import Path

    import numpy as np

    from snu_np.constants import TANH_CLIP, TANH_P, TANH_Q

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "fit_tanh.py"
    spec = importlib.util.spec_from_file_location("fit_tanh", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    p, q, err = mod.fit()
    assert mod.CLIP == TANH_CLIP and err < 2.5e-8
    x = np.linspace(0.0, TANH_CLIP, 2001)
    z = x * x
    refit = x * np.polyval(p[::-1], z) / np.polyval(q[::-1], z)
    shipped = x * np.polyval(np.array(TANH_P)[::-1], z) / np.polyval(np.array(TANH_Q)[::-1], z)
    assert np.max(np.abs(refit - shipped)) < 2.5e-8         # within the fit's own error


def test_the_torch_model_lives_outside_the_package(tmp_path, monkeypatch):
    """bench.py holds no PyTorch model: it loads benchmarks/torch_models.py (or the file named by
    $SNU_NP_TORCH_MODELS) and says why there is no torch row when it can't."""
    from pathlib import Path

    import snu_np.bench as bench

    assert "import torch" not in Path(bench.__file__).read_text()
    monkeypatch.delenv("SNU_NP_TORCH_MODELS", raising=False)
    checkout = Path(__file__).resolve().parents[1] / "benchmarks" / "torch_models.py"
    assert bench.torch_models_path() == checkout
    fake = tmp_path / "models.py"
    fake.write_text("def torch_step(workload, dtype, threads, seed=0):\n"
                    "    return lambda: ('fake', workload[0], threads)\n")
    monkeypatch.setenv("SNU_NP_TORCH_MODELS", str(fake))
    assert bench._torch_step(("classify",), "float32", 3)() == ("fake", "classify", 3)
    monkeypatch.setattr(bench, "have_torch", lambda: True)
    assert bench.torch_note() == ""
    monkeypatch.setenv("SNU_NP_TORCH_MODELS", str(tmp_path / "missing.py"))
    assert bench.torch_models_path() is None and "torch_models.py" in bench.torch_note()
    monkeypatch.setattr(bench, "have_torch", lambda: False)
    assert "PyTorch not installed" in bench.torch_note()
