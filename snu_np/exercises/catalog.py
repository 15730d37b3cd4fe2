"""The list of exercises: order, title, time needed, what each teaches, and its checks.

Each exercise's checks (with their known mistakes) live in ``checks/exNN_<name>.py``; this catalogue is
the one place that puts them in order. ``docs/teacher_guide.md`` presents the same list for teachers;
``snu-np exercises list`` prints it.
"""
from __future__ import annotations

from dataclasses import dataclass

from .checks import (ex01_lif_euler, ex02_hidden_lif, ex03_snu_forward, ex04_snu_step_backward, ex05_bptt_loop,
                     ex06_pseudo_derivative, ex07_reset_gradient, ex08_jitter_encoder, ex09_lstm_backward,
                     ex10_training_run, ex11_quantize, ex12_drift_compensation)

__all__ = ["Exercise", "EXERCISES", "CHECKS", "MISTAKES", "exercise"]


@dataclass(frozen=True)
class Exercise:
    """One exercise: ``number``, ``slug`` (its source and handed-out file is ``<slug>.py``), ``title``,
    ``minutes`` (typical time in class), ``teaches`` (one sentence) and ``checks`` (its
    :class:`~snu_np.exercises.checks.Check` objects, in the order the notebook runs them)."""

    number: int
    slug: str
    title: str
    minutes: int
    teaches: str
    checks: tuple

    @property
    def check_names(self):
        return tuple(c.name for c in self.checks)


def _exercise(checks, title, minutes, teaches):
    """The exercise whose checks are the module ``checks`` (``checks/exNN_<slug>.py``: its number and slug)."""
    slug = checks.__name__.rpartition(".")[2]
    return Exercise(int(slug[2:4]), slug, title, minutes, teaches, checks.CHECKS)


EXERCISES = (
    _exercise(ex01_lif_euler, "The LIF neuron: one Euler step and the f-I curve", 30,
              "discretising an ODE (decay 1 - dt/tau), threshold and reset, measuring a rate"),
    _exercise(ex02_hidden_lif, "Read tau and the threshold off a membrane trace", 25,
              "what tau and v_th look like in data: exponential relaxation and the reset"),
    _exercise(ex03_snu_forward, "One SNU step, forward", 20,
              "the SNU as an LIF neuron in RNN form: reset gate, ReLU state, step or sigmoid output"),
    _exercise(ex04_snu_step_backward, "One SNU step, backward", 45,
              "the chain rule through one step, the pseudo-derivative, the reset gradient"),
    _exercise(ex05_bptt_loop, "Backpropagation through time: the loop", 30,
              "BPTT as a reversed loop: what flows back between steps, accumulating shared weights"),
    _exercise(ex06_pseudo_derivative, "Derive and code a pseudo-derivative", 25,
              "surrogate gradients as derivatives of smooth step-like primitives; finite differences"),
    _exercise(ex07_reset_gradient, "The reset gradient: kept or detached", 30,
              "the gradient through the reset gate and what dropping it does to training"),
    _exercise(ex08_jitter_encoder, "A jittered event-camera encoder", 40,
              "turning images into spikes: shifts with zero padding, temporal differences, seeded randomness"),
    _exercise(ex09_lstm_backward, "The LSTM step, backward", 45,
              "backward through gates: sigmoid and tanh derivatives, the cell-state carry"),
    _exercise(ex10_training_run, "Train an SNU network to 90 %", 30,
              "a complete training loop: batches, forward, loss, backward, optimiser, evaluation"),
    _exercise(ex11_quantize, "Quantise weights for analog hardware", 20,
              "symmetric uniform quantisation: levels, step size, rounding to the nearest level"),
    _exercise(ex12_drift_compensation, "Compensate conductance drift", 20,
              "why analog outputs shrink over time and how one calibration batch rescales them"),
)

#: every check by name
CHECKS = {c.name: c for ex in EXERCISES for c in ex.checks}
#: every check's known mistakes, by check name
MISTAKES = {name: list(c.mistakes) for name, c in CHECKS.items()}


def exercise(number):
    """The :class:`Exercise` numbered ``number``."""
    if isinstance(number, bool) or not isinstance(number, int):
        raise TypeError(f"number must be an int, got {type(number).__name__}")
    for ex in EXERCISES:
        if ex.number == number:
            return ex
    raise ValueError(f"number: no exercise numbered {number}; known: {[e.number for e in EXERCISES]}")
