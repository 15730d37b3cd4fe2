"""Classroom exercises with automatic feedback.

Twelve short notebooks along the course (the LIF neuron, the SNU's forward and backward pass, BPTT,
pseudo-derivatives, the reset gradient, a jittered-input encoder, an LSTM step, a training run, and two
for analog hardware: quantisation and drift compensation), each written once: the package ships the
exercises as the student gets them (``snu_np/exercises/student/``), and only a source checkout holds
their solutions and teacher notes (the repository's ``exercises/`` folder), which the teacher version
puts in the place of the student's ``NotImplementedError``.

* :func:`build` (``snu-np exercises build --out DIR``) writes the *student* version (each function to
  write ends in ``raise NotImplementedError("Exercise N: ...")``, no teacher notes), zipped as a student
  pack, and, from a source checkout, the *teacher* version; each as ``.py`` (jupytext percent format)
  and ``.ipynb``;
* :func:`check` runs a student's function against the reference and explains what is wrong;
* :func:`grade` (``snu-np exercises grade FOLDER``) grades submitted notebooks or scripts, each in its
  own child process, comparing outputs in the grader's process; ``--csv`` writes a gradebook.

See ``docs/teacher_guide.md``.
"""
from .build import build, cli_add_arguments, cli_run, list_sources, main
from .catalog import CHECKS, EXERCISES, MISTAKES, Exercise
from .checks import CheckResult, ExerciseCheckFailed, Mistake, check
from .grade import grade, write_csv
from .helpers import (bptt_with_reset_term, compare_reset_training, example_images, hidden_lif_trace,
                      make_training_task)

__all__ = ["check", "CheckResult", "ExerciseCheckFailed", "Mistake", "MISTAKES", "CHECKS",
           "build", "grade", "write_csv", "list_sources", "cli_add_arguments", "cli_run", "main", "EXERCISES",
           "Exercise", "hidden_lif_trace", "example_images", "make_training_task", "bptt_with_reset_term",
           "compare_reset_training"]
