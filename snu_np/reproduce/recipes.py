"""Recipes: the run files of the rows we report, with what each row claims.

A recipe is a TOML run file (:meth:`snu_np.config.RunConfig.from_toml` reads its settings) with one
more table, ``[recipe]``, which the run configuration ignores::

    task = "jsb"
    [network]
    model = "ssnu"
    ...
    [recipe]
    name = "jsb-ssnu"                     # = the file's name without .toml
    title = "sSNU 88-150-88, ..."         # what the row is
    table = "music-jsb"                   # the results table it is a row of
    paper = "Woźniak et al. 2020, ..."    # where the paper's figure is (or why there is none)
    paper_value = 8.39                    # the paper's figure in the table's units (accuracy in %,
    paper_max = ...                       #   NLL in nats per step); optional
    protocol = "..."                      # what is held out, how the reported epoch is chosen
    trials = 10                           # seeds: [run] seed, seed + 1, ...
    expected_time_per_trial = "2.0 min"   # on two cores, or "unknown"
    note = "..."                          # optional

The recipes shipped with snu-np are in ``snu_np/recipes/``; :func:`load_recipes` reads them (and
those of any extra folder), :func:`select` turns names of recipes or tables into recipes.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..config import RunConfig, _read_toml
from ..errors import UsageError

__all__ = ["Recipe", "RECIPES_DIR", "load_recipe", "load_recipes", "select", "tables", "REQUIRED"]

RECIPES_DIR = Path(__file__).resolve().parent.parent / "recipes"
REQUIRED = ("name", "title", "table", "paper", "protocol", "trials", "expected_time_per_trial")
OPTIONAL = ("paper_value", "paper_max", "note")


@dataclass(frozen=True)
class Recipe:
    """One row of a results table: its run configuration and what the row claims."""

    name: str
    title: str
    table: str
    paper: str
    protocol: str
    trials: int
    expected_time_per_trial: str
    config: RunConfig
    text: str
    path: Optional[str] = None
    paper_value: Optional[float] = None
    paper_max: Optional[float] = None
    note: Optional[str] = None

    @property
    def seed(self):
        return self.config.run.seed

    @property
    def metric(self):
        from ..tasks import get_task
        return get_task(self.config.task).metric

    def meta(self):
        """The ``[recipe]`` table as a plain dict (what reports show)."""
        return {k: getattr(self, k) for k in REQUIRED + OPTIONAL}


def load_recipe(path_or_text, name=None):
    """Read one recipe from a file path or TOML text; raise UsageError naming what is wrong."""
    if isinstance(path_or_text, Path) or (isinstance(path_or_text, str) and "\n" not in path_or_text):
        path = Path(path_or_text)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot read recipe {path}: {exc.strerror or exc}") from None
        where, stem = str(path), path.stem
    else:
        text, path, where, stem = path_or_text, None, "the recipe", name
    d = _read_toml(text)
    meta = d.get("recipe")
    if not isinstance(meta, dict):
        raise UsageError(f"{where} has no [recipe] table (name, title, table, paper, protocol, trials, "
                         f"expected_time_per_trial); it is a run file, not a recipe")
    meta = dict(meta)
    meta.setdefault("name", stem)
    missing = [k for k in REQUIRED if k not in meta]
    if missing:
        raise UsageError(f"{where}: [recipe] lacks {', '.join(missing)}")
    stray = sorted(set(meta) - set(REQUIRED) - set(OPTIONAL))
    if stray:
        raise UsageError(f"{where}: [recipe] has unknown key(s) {', '.join(stray)}; known: "
                         f"{', '.join(REQUIRED + OPTIONAL)}")
    trials = meta["trials"]
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise UsageError(f"{where}: [recipe] trials must be a positive integer, got {trials!r}")
    for k in ("paper_value", "paper_max"):
        v = meta.get(k)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
            raise UsageError(f"{where}: [recipe] {k} must be a number, got {v!r}")
    try:
        cfg = RunConfig.from_toml(text)
    except UsageError as exc:
        raise UsageError(f"{where}: {exc}") from None
    if cfg.run.trials != 1:
        raise UsageError(f"{where}: give the number of trials in [recipe] trials, not [run] trials")
    return Recipe(name=str(meta["name"]), title=str(meta["title"]), table=str(meta["table"]),
                  paper=str(meta["paper"]), protocol=str(meta["protocol"]), trials=int(trials),
                  expected_time_per_trial=str(meta["expected_time_per_trial"]), config=cfg, text=text,
                  path=None if path is None else str(path),
                  paper_value=None if meta.get("paper_value") is None else float(meta["paper_value"]),
                  paper_max=None if meta.get("paper_max") is None else float(meta["paper_max"]),
                  note=meta.get("note"))


# the order tables (and, within one, models) are listed and reported in; others follow by name
TABLE_ORDER = ("jittered-mnist", "jittered-mnist-budget", "rate-mnist", "music-jsb", "music-nottingham",
               "music-musedata", "music-piano-midi", "jittered-mnist-variants", "rate-mnist-variants",
               "music-jsb-variants")
MODEL_ORDER = ("snu", "ssnu", "rnn", "gru", "lstm")


def _order(r):
    t = TABLE_ORDER.index(r.table) if r.table in TABLE_ORDER else len(TABLE_ORDER)
    m = r.config.network.model
    return (t, r.table, MODEL_ORDER.index(m) if m in MODEL_ORDER else len(MODEL_ORDER), r.name)


def load_recipes(extra_dirs=()):
    """``{name: Recipe}``: the shipped recipes, then those of ``extra_dirs`` (which may replace them),
    in the order of :data:`TABLE_ORDER` (then model, then name)."""
    out = {}
    for folder in [RECIPES_DIR, *map(Path, extra_dirs)]:
        if not folder.is_dir():
            if folder != RECIPES_DIR:
                raise UsageError(f"recipe folder {folder} does not exist")
            continue
        for path in sorted(folder.glob("*.toml")):
            r = load_recipe(path)
            out[r.name] = r
    return dict(sorted(out.items(), key=lambda kv: _order(kv[1])))


def tables(recipes):
    """``{table: [Recipe, ...]}`` in the order the recipes come."""
    out = {}
    for r in recipes.values() if isinstance(recipes, dict) else recipes:
        out.setdefault(r.table, []).append(r)
    return out


def select(targets, extra_dirs=()):
    """The recipes named by ``targets``: recipe names, table names, or paths to recipe files.
    Raises UsageError (one line) for a name that is neither."""
    known = load_recipes(extra_dirs)
    by_table = tables(known)
    chosen = {}
    for t in targets:
        t = str(t)
        if t.endswith(".toml") and Path(t).is_file():
            r = load_recipe(Path(t))
            chosen[r.name] = r
        elif t in known:
            chosen[t] = known[t]
        elif t in by_table:
            chosen.update((r.name, r) for r in by_table[t])
        else:
            raise UsageError(f"unknown recipe or table {t!r}; 'snu-np reproduce --list' shows them")
    if not chosen:
        raise UsageError("name a recipe or a table (or a recipe file); 'snu-np reproduce --list' shows them")
    return list(chosen.values())
