"""The list of exercises: order, source file, title, time needed, checks and what each teaches.

``docs/teacher_guide.md`` presents the same list for teachers; ``snu-np exercises list`` prints it.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Exercise:
    """One exercise: ``number``, ``slug`` (its source file is ``source/<slug>.py``), ``title``,
    ``minutes`` (typical time in class), ``checks`` (names for :func:`~snu_np.exercises.check`)
    and ``teaches`` (one sentence)."""

    number: int
    slug: str
    title: str
    minutes: int
    checks: tuple
    teaches: str


EXERCISES = (
    Exercise(1, "ex01_lif_euler", "The LIF neuron: one Euler step and the f-I curve", 30,
             ("lif_euler_step", "firing_rates"),
             "discretising an ODE (decay 1 - dt/tau), threshold and reset, measuring a rate"),
    Exercise(2, "ex02_hidden_lif", "Read tau and the threshold off a membrane trace", 25,
             ("estimate_lif_parameters",),
             "what tau and v_th look like in data: exponential relaxation and the reset"),
    Exercise(3, "ex03_snu_forward", "One SNU step, forward", 20, ("snu_step_forward",),
             "the SNU as an LIF neuron in RNN form: reset gate, ReLU state, step or sigmoid output"),
    Exercise(4, "ex04_snu_step_backward", "One SNU step, backward", 45, ("snu_step_backward",),
             "the chain rule through one step, the pseudo-derivative, the reset gradient"),
    Exercise(5, "ex05_bptt_loop", "Backpropagation through time: the loop", 30, ("snu_backward",),
             "BPTT as a reversed loop: what flows back between steps, accumulating shared weights"),
    Exercise(6, "ex06_pseudo_derivative", "Derive and code a pseudo-derivative", 25,
             ("fast_sigmoid", "pseudo_derivative"),
             "surrogate gradients as derivatives of smooth step-like primitives; finite differences"),
    Exercise(7, "ex07_reset_gradient", "The reset gradient: kept or detached", 30, ("reset_term",),
             "the gradient through the reset gate and what dropping it does to training"),
    Exercise(8, "ex08_jitter_encoder", "A jittered event-camera encoder", 40, ("shift_image", "jitter_encode"),
             "turning images into spikes: shifts with zero padding, temporal differences, seeded randomness"),
    Exercise(9, "ex09_lstm_backward", "The LSTM step, backward", 45, ("lstm_step_backward",),
             "backward through gates: sigmoid and tanh derivatives, the cell-state carry"),
    Exercise(10, "ex10_training_run", "Train an SNU network to 90 %", 30, ("train",),
             "a complete training loop: batches, forward, loss, backward, optimiser, evaluation"),
)
