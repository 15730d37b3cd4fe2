"""The teacher guide's classroom workflow, step by step, offline: build the student pack, unzip it,
students fill in their functions (from the teacher version) and hand in one folder each, the teacher
grades the folder and gets a report naming every file by its path and a CSV gradebook."""
import configparser
import csv
import fnmatch
import pathlib
import zipfile

import pytest

from snu_np.exercises.build import PACK_NAME, STUDENT_DIR, main

ROOT = pathlib.Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "teacher_guide.md"


def test_the_guide_shows_the_commands_this_test_runs():
    guide = GUIDE.read_text(encoding="utf-8")
    for command in ("snu-np exercises build --out course/", "course/snu-np-exercises-student.zip",
                    "pip install -e .", "pip wheel . --no-deps -w dist/", "python -m build",
                    "submissions/\n    alice/ex03_snu_forward.ipynb",
                    "snu-np exercises grade submissions/ --csv gradebook.csv",
                    "student, exercise, check, passed, score", "not a sandbox", "copied"):
        assert command in guide, command
    assert guide.count("pip install snu-np") == 1 and "`pip install snu-np` does not work" in guide


def test_package_data_ships_the_student_files():
    """setup.cfg must ship snu_np/exercises/student/*.py (and nothing with solutions, see
    test_exercises.py): without them an installed snu-np cannot build the student pack."""
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    patterns = [p.strip() for p in cfg.get("options.package_data", "snu_np", fallback="").split(",")]
    student = [f"exercises/student/{p.name}" for p in STUDENT_DIR.glob("ex*_*.py")]
    assert student and all(any(fnmatch.fnmatch(s, pat) for pat in patterns) for s in student), \
        f"setup.cfg [options.package_data] snu_np = {patterns}: add exercises/student/*.py"
    assert not any(pat.startswith("exercises/source") for pat in patterns), "exercises/source/ is gone"


@pytest.mark.slow
def test_classroom_end_to_end(tmp_path, capsys):
    course = tmp_path / "course"
    # 1. the teacher builds the pack (and the teacher version) in the checkout
    assert main(["build", "--out", str(course), "--only", "3", "11"]) == 0
    pack = course / PACK_NAME
    assert pack.exists()
    # 2. each student unzips the pack ...
    subs = tmp_path / "submissions"
    for student in ("alice", "bob"):
        with zipfile.ZipFile(pack) as zf:
            zf.extractall(tmp_path / "desk" / student)
        work = tmp_path / "desk" / student / "snu-np-exercises"
        assert (work / "ex03_snu_forward.ipynb").exists() and (work / "README.md").exists()
        (subs / student).mkdir(parents=True)
    # 3. ... fills in the functions (here: from the teacher version) and hands in a folder
    teacher = course / "teacher"
    (subs / "alice" / "ex03_snu_forward.ipynb").write_bytes((teacher / "ex03_snu_forward.ipynb").read_bytes())
    (subs / "alice" / "ex11_quantize.py").write_text((teacher / "ex11_quantize.py").read_text())
    bob = tmp_path / "desk" / "bob" / "snu-np-exercises"
    (subs / "bob" / "ex03_snu_forward.py").write_text((bob / "ex03_snu_forward.py").read_text())   # not done
    wrong = (teacher / "ex11_quantize.py").read_text().replace("step * np.round(W / step)", "step * np.trunc(W / step)")
    assert wrong != (teacher / "ex11_quantize.py").read_text()
    (subs / "bob" / "ex11_quantize.py").write_text(wrong)
    # 4. the teacher grades the folder
    capsys.readouterr()
    gradebook = tmp_path / "gradebook.csv"
    assert main(["grade", str(subs), "--csv", str(gradebook), "--timeout", "60"]) == 1     # bob did not pass
    report = capsys.readouterr().out
    for line in ("alice/ex03_snu_forward.ipynb: ok, score 100%", "alice/ex11_quantize.py: ok, score 100%",
                 "bob/ex03_snu_forward.py: unfinished, score 0%", "bob/ex11_quantize.py: ok, score 0%",
                 "hint: you rounded towards zero", "2 of 4 files passed every check."):
        assert line in report, (line, report)
    with open(gradebook, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0])[:5] == ["student", "exercise", "check", "passed", "score"]
    got = {(r["student"], r["exercise"], r["check"]): (r["passed"], float(r["score"])) for r in rows}
    assert got == {("alice", "3", "snu_step_forward"): ("1", 1.0), ("alice", "3", "TOTAL"): ("1", 1.0),
                   ("alice", "11", "quantize"): ("1", 1.0), ("alice", "11", "TOTAL"): ("1", 1.0),
                   ("bob", "3", "snu_step_forward"): ("0", 0.0), ("bob", "3", "TOTAL"): ("0", 0.0),
                   ("bob", "11", "quantize"): ("0", 0.0), ("bob", "11", "TOTAL"): ("0", 0.0)}
