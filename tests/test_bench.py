"""A smoke run of the benchmark command (tiny sizes): the real benchmarks are not tests."""
import json

from snu_np.cli import main


def test_bench_quick_smoke(tmp_path, capsys):
    out = tmp_path / "bench.json"
    code = main(["bench", "--quick", "--impls", "numba,numpy", "--reps", "1", "--no-compile",
                 "--workloads", "music-b1-T60", "--out", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "numba/numpy" in text and "GEMM bound" in text
    result = json.loads(out.read_text())
    impls = {r["impl"] for r in result["rows"]}
    assert impls == {"numba", "numpy"}
    assert all(r["samples_per_s"] > 0 for r in result["rows"])
    assert "numba/gemm_bound" in result["ratios"]["music-b1-T60"]


def test_bench_bad_arguments(capsys):
    assert main(["bench", "--quick", "--impls", "jax"]) == 2
    assert "jax" in capsys.readouterr().err
    assert main(["bench", "--quick", "--workloads", "nope", "--impls", "numpy"]) == 2
