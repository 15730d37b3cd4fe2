"""Reproduce the paper's tables: recipes, trials in parallel, generated results.

* :mod:`~snu_np.reproduce.recipes`: the shipped run files of every reported row (``snu_np/recipes``);
* :mod:`~snu_np.reproduce.runner`: ``snu-np reproduce``, trials on joblib workers or a Dask cluster,
  each a resumable run folder;
* :mod:`~snu_np.reproduce.report`: ``snu-np report``, Markdown tables, figures and JSON from run folders;
* :mod:`~snu_np.reproduce.commands`: ``snu-np train`` commands in Markdown read back as configurations.

::

    snu-np reproduce --list
    snu-np reproduce jittered-mnist --jobs 2 --out runs
    snu-np report runs --out docs
"""
from .recipes import RECIPES_DIR, Recipe, load_recipe, load_recipes, select, tables
from .runner import expand_trials, reproduce, run_trial, trial_state

__all__ = ["RECIPES_DIR", "Recipe", "load_recipe", "load_recipes", "select", "tables", "expand_trials",
           "reproduce", "run_trial", "trial_state"]
