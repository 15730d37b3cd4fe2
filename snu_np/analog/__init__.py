"""SNUs on analog in-memory hardware, simulated: phase-change-memory devices (:mod:`.pcm`),
weights on conductance pairs and limited precision (:mod:`.mapping`), inference on drifting devices
with drift compensation (:mod:`.inference`), hardware-aware training (:mod:`.training`) and training
in memory with mixed precision (:mod:`.mixed_precision`). Docs: ``docs/derivations/analog.md``;
notebook 10.
"""
from .inference import (AnalogNetwork, analog_sweep, calibrate, compensation_factor, program_network,
                        programmed_weights, quantize_network, read_network, read_weights)
from .mapping import conductances_to_weights, quantize, weights_to_conductances
from .mixed_precision import MixedPrecision
from .pcm import PCM, parse_time, parse_times
from .training import clip_weights, hardware_aware, inject_weight_noise, quantized_weights, weight_noise

__all__ = ["PCM", "parse_time", "parse_times", "weights_to_conductances", "conductances_to_weights", "quantize",
           "AnalogNetwork", "program_network", "programmed_weights", "read_weights", "calibrate",
           "compensation_factor", "read_network", "analog_sweep", "quantize_network", "weight_noise",
           "inject_weight_noise", "quantized_weights", "clip_weights", "hardware_aware", "MixedPrecision"]
