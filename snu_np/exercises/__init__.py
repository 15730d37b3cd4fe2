"""Classroom exercises with automatic feedback.

Ten short notebooks along the course (the LIF neuron, the SNU's forward and backward pass, BPTT,
pseudo-derivatives, the reset gradient, a jittered-input encoder, an LSTM step, a training run), each
written once with its solution marked inside the source (``snu_np/exercises/source/``):

* :func:`build` (``snu-np exercises build --out DIR``) writes the *student* version (solutions replaced
  by ``raise NotImplementedError("Exercise N: ...")``, teacher notes removed) and the *teacher*
  version, each as ``.py`` (jupytext percent format) and ``.ipynb``;
* :func:`check` runs a student's function against the reference and explains what is wrong;
* :func:`grade` (``snu-np exercises grade FILES``) runs submitted notebooks or scripts and tabulates
  every check.

See ``docs/teacher_guide.md``.
"""
from .build import build, cli_add_arguments, cli_run, list_sources, main
from .catalog import EXERCISES, Exercise
from .checks import CHECKS, MISTAKES, CheckResult, ExerciseCheckFailed, Mistake, check
from .grade import grade
from .helpers import (bptt_with_reset_term, compare_reset_training, example_images, hidden_lif_trace,
                      make_training_task)

__all__ = ["check", "CheckResult", "ExerciseCheckFailed", "Mistake", "MISTAKES", "CHECKS",
           "build", "grade", "list_sources", "cli_add_arguments", "cli_run", "main", "EXERCISES", "Exercise",
           "hidden_lif_trace", "example_images", "make_training_task", "bptt_with_reset_term",
           "compare_reset_training"]
