"""Each notebook's reviewable source (``NN_name.py``, jupytext percent format) and its executed
``.ipynb`` hold the same code, no notebook was saved with an error output, and no code line is wider
than the docs site shows without scrolling. (CI executes the notebooks themselves with nbmake.)

Numbering: the tutorials are ``01``-``19`` (``06`` is free: the speed notebook moved to the advanced
track), the advanced notebooks ``20`` and up, read after the tutorials."""
import json
import pathlib
import re

import pytest

pytestmark = pytest.mark.nojit
NB_DIR = pathlib.Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("[0-9][0-9]_*.ipynb"))


def code_lines(text):
    """(line number, line) of every line in a code cell of a jupytext percent file."""
    code, out = False, []
    for n, line in enumerate(text.splitlines(), start=1):
        if line.startswith("# %%"):
            code = "[markdown]" not in line and "[raw]" not in line
        elif code:
            out.append((n, line))
    return out


def percent_code_cells(text):
    """Code cells of a jupytext percent file (the header and markdown cells skipped)."""
    cells = re.split(r"^# %%(.*)$", text, flags=re.M)
    out = []
    for marker, body in zip(cells[1::2], cells[2::2]):
        if "[markdown]" in marker or "[raw]" in marker:
            continue
        out.append(body.strip("\n").strip())
    return out


CODE_WIDTH = 88      # the widest code line a notebook cell on the docs site (furo) shows in full


def test_the_tutorials_and_the_advanced_track():
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    tutorials = [n for n in numbers if n < 20]
    assert tutorials[:8] == [1, 2, 3, 4, 5, 7, 8, 9], numbers
    assert 6 not in numbers                         # speed is no longer on the tutorial path
    assert (NB_DIR / "20_advanced_speed.ipynb").exists()
    assert numbers == sorted(numbers)


@pytest.mark.parametrize("src", sorted(NB_DIR.glob("[0-9][0-9]_*.py")), ids=lambda p: p.stem)
def test_code_fits_the_docs_width(src):
    wide = [f"{src.name}:{n}: {len(line)} characters" for n, line in code_lines(src.read_text(encoding="utf-8"))
            if len(line) > CODE_WIDTH]
    assert not wide, (f"code lines wider than {CODE_WIDTH} characters are cut off on the docs site "
                      f"(wrap them, then `jupytext --sync`):\n" + "\n".join(wide))


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
