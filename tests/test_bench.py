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

    from snu_np.kernels.snu import TANH_CLIP, TANH_P, TANH_Q

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
