"""Each notebook's reviewable source (``NN_name.py``, jupytext percent format) and its executed
``.ipynb`` hold the same code, and no notebook was saved with an error output. (CI executes the
notebooks themselves with nbmake.)"""
import json
import pathlib
import re

import pytest

pytestmark = pytest.mark.nojit
NB_DIR = pathlib.Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("[0-9][0-9]_*.ipynb"))


def percent_code_cells(text):
    """Code cells of a jupytext percent file (the header and markdown cells skipped)."""
    cells = re.split(r"^# %%(.*)$", text, flags=re.M)
    out = []
    for marker, body in zip(cells[1::2], cells[2::2]):
        if "[markdown]" in marker or "[raw]" in marker:
            continue
        out.append(body.strip("\n").strip())
    return out


def test_there_are_nine_notebooks():
    assert [p.name[:2] for p in NOTEBOOKS] == [f"0{i}" for i in range(1, 10)]


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_pair_in_sync_and_no_errors(nb):
    data = json.loads(nb.read_text(encoding="utf-8"))
    code = ["".join(c["source"]).strip() for c in data["cells"] if c["cell_type"] == "code"]
    src = nb.with_suffix(".py")
    assert src.exists(), f"{nb.name} has no jupytext .py pair"
    assert percent_code_cells(src.read_text(encoding="utf-8")) == code, \
        f"{src.name} and {nb.name} differ: edit the .py, then run `jupytext --sync {src}`"
    errors = [o for c in data["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{nb.name} was saved with an error output"
    assert all(c.get("execution_count") for c in data["cells"] if c["cell_type"] == "code"), \
        f"{nb.name} has unexecuted code cells: save it executed"
