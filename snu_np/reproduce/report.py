"""Results tables generated from run folders: Markdown, one figure and the JSON behind them per table.

:func:`collect` finds every ``results.json`` below the folders it is given (any depth) and keeps
the finished runs; a file that cannot be read, lacks a field or belongs to an unfinished run is named
in a warning and skipped. Each run is assigned to its recipe: the ``recipe.toml`` that
``snu-np reproduce`` leaves beside the trial folders, else the shipped recipe with the same
configuration (seed aside), else a row of its own in the table ``other``. :func:`build_tables`
summarises each recipe's trials (mean, std with ddof 1, min, max, number of trials, parameters, time
per trial) beside the paper's figure; :func:`write_report` writes, per table,
``DOCS/results/<table>.md``, ``DOCS/results/<table>.json`` and ``DOCS/_static/results/<table>.png``.
"""
from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np

from ..errors import UsageError

__all__ = ["collect", "build_tables", "write_report", "markdown_table", "plot_table", "REQUIRED_FIELDS"]

REQUIRED_FIELDS = ("task", "seed", "config", "metric", "test", "n_params", "finished", "wall_time_s")
UNITS = {"accuracy": ("test accuracy (%)", 100.0, 2), "nll": ("test NLL (nats per step)", 1.0, 3)}


def _warn(msg, warn):
    (warn or (lambda m: print(m)))(f"warning: {msg}")


def collect(dirs, warn=None):
    """``[(folder, results dict), ...]`` of the finished runs below ``dirs`` (sorted by path)."""
    runs = []
    files = []
    for d in dirs:
        d = Path(d)
        if d.is_file() and d.name == "results.json":
            files.append(d)
        elif d.is_dir():
            files.extend(sorted(d.rglob("results.json")))
        else:
            _warn(f"{d} does not exist; skipped", warn)
    for f in sorted(set(files)):
        folder = f.parent
        try:
            res = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            _warn(f"{folder}: results.json is not readable JSON ({str(exc).splitlines()[0]}); skipped", warn)
            continue
        if not isinstance(res, dict):
            _warn(f"{folder}: results.json is not a JSON object; skipped", warn)
            continue
        missing = [k for k in REQUIRED_FIELDS if k not in res]
        if missing:
            _warn(f"{folder}: results.json lacks {', '.join(missing)}; skipped", warn)
            continue
        if not res["finished"]:
            _warn(f"{folder}: the run is not finished ({res.get('epochs_completed')} epochs so far; resume it with "
                  f"snu-np reproduce); skipped", warn)
            continue
        metric = res["metric"]
        value = (res["test"] or {}).get(metric) if isinstance(res["test"], dict) else None
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            _warn(f"{folder}: results.json has no finite test {metric}; skipped", warn)
            continue
        runs.append((folder, res))
    return runs


def _recipe_of(folder, res, known, cache):
    """The Recipe a run belongs to, or None."""
    from ..config import RunConfig
    from .recipes import load_recipe
    for parent in (folder.parent, folder):
        path = parent / "recipe.toml"
        if path.is_file():
            if path not in cache:
                try:
                    cache[path] = load_recipe(path)
                except UsageError:
                    cache[path] = None
            if cache[path] is not None:
                return cache[path]
    try:
        cfg = RunConfig.from_dict(res["config"]).replace(seed=0, trials=1)
    except (UsageError, TypeError):
        return None
    if "__known__" not in cache:
        resolved = []
        for r in known.values():
            try:
                resolved.append((r.config.replace(seed=0, trials=1).resolve(), r))
            except UsageError:
                continue
        cache["__known__"] = resolved
    for c, r in cache["__known__"]:
        if c == cfg:
            return r
    return None


def _stats(values):
    v = np.asarray(values, dtype=float)
    return {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if len(v) > 1 else None,
            "min": float(v.min()), "max": float(v.max()), "n": int(len(v))}


def build_tables(runs, known=None, all_tables=False):
    """``{table: {"table", "metric", "rows": [...]}}`` from :func:`collect`'s runs. ``known``: the
    recipes (default: the shipped ones); ``all_tables``: include the recipes' tables without runs."""
    from .recipes import load_recipes
    known = load_recipes() if known is None else known
    cache, rows = {}, {}
    for folder, res in runs:
        r = _recipe_of(folder, res, known, cache)
        key = r.name if r is not None else f"{res['task']}-{res.get('model', '?')}:{folder.parent}"
        row = rows.get(key)
        if row is None:
            row = rows[key] = {
                "recipe": r.name if r else None, "table": r.table if r else "other",
                "title": r.title if r else f"{res['task']} {res.get('model', '?')} (no recipe)",
                "task": res["task"], "model": res.get("model"), "metric": res["metric"],
                "paper": r.paper if r else None, "paper_value": r.paper_value if r else None,
                "paper_max": r.paper_max if r else None, "protocol": r.protocol if r else None,
                "note": r.note if r else None, "recipe_trials": r.trials if r else None,
                "expected_time_per_trial": r.expected_time_per_trial if r else None, "trials": []}
        row["trials"].append({"seed": res["seed"], "test": float(res["test"][res["metric"]]),
                              "best_epoch": res.get("best_epoch"), "epochs": res.get("epochs_completed"),
                              "n_params": res["n_params"], "wall_time_s": res["wall_time_s"],
                              "run": str(folder)})
    if all_tables:
        for r in known.values():
            if r.name not in rows:
                rows[r.name] = {"recipe": r.name, "table": r.table, "title": r.title, "task": r.config.task,
                                "model": r.config.network.model, "metric": r.metric, "paper": r.paper,
                                "paper_value": r.paper_value, "paper_max": r.paper_max, "protocol": r.protocol,
                                "note": r.note, "recipe_trials": r.trials,
                                "expected_time_per_trial": r.expected_time_per_trial, "trials": []}
    order = {name: i for i, name in enumerate(known)}
    out = {}
    for row in sorted(rows.values(), key=lambda x: (order.get(x["recipe"], len(order)), x["title"])):
        row["trials"].sort(key=lambda t: (t["seed"], t["run"]))
        seeds = [t["seed"] for t in row["trials"]]
        if len(set(seeds)) != len(seeds):
            row["duplicate_seeds"] = sorted({s for s in seeds if seeds.count(s) > 1})
        if row["trials"]:
            row.update(_stats([t["test"] for t in row["trials"]]))
            row["n_params"] = row["trials"][0]["n_params"]
            row["time_per_trial_s"] = float(np.mean([t["wall_time_s"] for t in row["trials"]]))
        else:
            row.update(mean=None, std=None, min=None, max=None, n=0, n_params=None, time_per_trial_s=None)
        t = out.setdefault(row["table"], {"table": row["table"], "metric": row["metric"], "rows": []})
        if t["metric"] != row["metric"]:
            t["metric"] = "mixed"
        t["rows"].append(row)
    return out


def _fmt(v, metric, digits=None):
    if v is None:
        return "–"
    label, scale, d = UNITS.get(metric, ("", 1.0, 3))
    text = f"{v * scale:.{digits if digits is not None else d}f}"
    return text + (" %" if metric == "accuracy" else "")


TABLE_TITLES = {
    "jittered-mnist": "Jittered MNIST: SNU and sSNU against RNN, LSTM and GRU (784-256-256-10)",
    "jittered-mnist-budget": "Jittered MNIST, the same budget: 6 epochs for every model",
    "jittered-mnist-variants": "Jittered MNIST: the variants tried on the way",
    "rate-mnist": "Rate-coded MNIST: 4-layer sSNU and 7-layer SNU",
    "rate-mnist-variants": "Rate-coded MNIST: the variants tried on the way",
    "music-jsb": "JSB Chorales: SNU and sSNU against size-matched RNN, GRU and LSTM",
    "music-jsb-variants": "JSB Chorales: the variants tried on the way",
    "music-nottingham": "Nottingham: SNU and sSNU against size-matched RNN, GRU and LSTM",
    "music-musedata": "MuseData: SNU and sSNU against size-matched RNN, GRU and LSTM",
    "music-piano-midi": "Piano-midi.de: SNU and sSNU against size-matched RNN, GRU and LSTM",
}


def _paper(row):
    if row["paper_value"] is None:
        return "–"
    unit = " %" if row["metric"] == "accuracy" else ""
    text = f"{row['paper_value']:.2f}{unit}"
    if row["paper_max"] is not None:
        text += f" (max {row['paper_max']:.2f}{unit})"
    return text


def _sentence(text):
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _minutes(s):
    if s is None:
        return "–"
    return f"{s:.0f} s" if s < 60 else f"{s / 60:.1f} min"


def markdown_table(table):
    """The Markdown rows of one table (paper against ours)."""
    lines = ["| row | paper | ours: mean | std | min | max | trials | parameters | time per trial |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in table["rows"]:
        m = row["metric"]
        n = f"{row['n']}" + (f" of {row['recipe_trials']}" if row["recipe_trials"] else "")
        name = f"`{row['recipe']}`: {row['title']}" if row["recipe"] else row["title"]
        params = "–" if row["n_params"] is None else f"{row['n_params']:,}"
        lines.append(f"| {name} | {_paper(row)} | {_fmt(row['mean'], m)} | {_fmt(row['std'], m)} | "
                     f"{_fmt(row['min'], m)} | {_fmt(row['max'], m)} | {n} | {params} | "
                     f"{_minutes(row['time_per_trial_s'])} |")
    return "\n".join(lines) + "\n"


def page(table, command, figure=None):
    """The generated Markdown page of one table."""
    name = table["table"]
    have = sum(r["n"] for r in table["rows"])
    title = TABLE_TITLES.get(name, name)
    lines = [f"# {title}", ""] + ([f"Table `{name}`.", ""] if title != name else []) + [
             f"*Generated by `{command}` on {time.strftime('%Y-%m-%d')}; do not edit by hand. "
             f"To regenerate it: `snu-np reproduce {name} --jobs 2 --out runs`, then "
             f"`snu-np report runs --out docs --all-tables`.*", ""]
    if have == 0:
        lines += ["**No finished trials yet**: this table awaits runs. The rows below are the recipes; "
                  "their paper figures are shown, ours are empty.", ""]
    lines += [markdown_table(table)]
    lines += ["Ours: the test metric of every finished trial (seeds `seed`, `seed + 1`, ... of the recipe); "
              "std with ddof 1; time per trial is wall time on the machine that ran it. "
              "`snu-np reproduce --list` gives the expected time on two cores.", ""]
    if figure is not None and have:
        lines += [f"![{name}: trials, mean and spread, paper]({figure})", ""]
    lines += ["## Protocol of each row", ""]
    for row in table["rows"]:
        bits = [_sentence(row["protocol"] or "unknown (no recipe)")]
        if row.get("note"):
            bits.append("Note: " + _sentence(row["note"]))
        if row.get("paper"):
            bits.append("Paper: " + _sentence(row["paper"]))
        if row.get("duplicate_seeds"):
            bits.append(f"**Seeds {row['duplicate_seeds']} appear more than once** (several run folders).")
        seeds = ", ".join(str(t["seed"]) for t in row["trials"]) or "none yet"
        bits.append(f"Seeds: {seeds}.")
        lines.append(f"* **{row['recipe'] or row['title']}**: " + " ".join(bits))
    return "\n".join(lines) + "\n"


def plot_table(table, path):
    """One figure: each row's trials as points, their mean and ± std, the paper's figure as a marker."""
    import matplotlib
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    rows = table["rows"]
    metric = table["metric"] if table["metric"] in UNITS else rows[0]["metric"]
    label, scale, _ = UNITS.get(metric, ("test metric", 1.0, 3))
    fig, ax = plt.subplots(figsize=(max(4.0, 1.1 * len(rows) + 1.5), 3.6), dpi=110)
    rng = np.random.default_rng(0)                 # fixed jitter: the same runs give the same figure
    for i, row in enumerate(rows):
        vals = np.array([t["test"] for t in row["trials"]], dtype=float) * scale
        if len(vals):
            ax.scatter(i + rng.uniform(-0.12, 0.12, len(vals)), vals, s=14, color="C0", alpha=0.7,
                       label="our trials" if i == 0 else None, zorder=3)
            sd = vals.std(ddof=1) if len(vals) > 1 else 0.0
            ax.errorbar(i + 0.25, vals.mean(), yerr=sd, fmt="_", color="C0", capsize=4, markersize=14,
                        label="mean ± std" if i == 0 else None, zorder=4)
        if row["paper_value"] is not None:
            ax.scatter([i - 0.25], [row["paper_value"]], marker="D", s=30, color="C3", zorder=5,
                       label="paper" if not any(r["paper_value"] is not None for r in rows[:i]) else None)
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([r["recipe"] or r["title"] for r in rows], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel(label)
    ax.set_title(table["table"])
    ax.grid(axis="y", alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def write_report(tables, docs_dir, command, figures=True):
    """Write each table's page, JSON and figure under ``docs_dir``; return the paths written."""
    from ..io import atomic_write_json, atomic_write_text
    docs = Path(docs_dir)
    written = []
    for name, table in tables.items():
        md = docs / "results" / f"{name}.md"
        md.parent.mkdir(parents=True, exist_ok=True)
        png = docs / "_static" / "results" / f"{name}.png"
        have = any(r["n"] for r in table["rows"])
        fig_ref = None
        if figures and have:
            plot_table(table, png)
            written.append(png)
            fig_ref = f"../_static/results/{name}.png"
        atomic_write_text(md, page(table, command, fig_ref))
        atomic_write_json(md.with_suffix(".json"), dict(table, generated_by=command,
                                                        generated_on=time.strftime("%Y-%m-%d")))
        written += [md, md.with_suffix(".json")]
    return written
