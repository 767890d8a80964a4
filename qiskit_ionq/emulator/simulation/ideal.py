"""Ideal (noise-free) runs: what they cost in memory, and their histogram from a final state.

Kept apart from :mod:`.simulator` (parsing and dispatch) because the widest jobs live or die
here: IonQ's cloud simulator advertises 29 qubits, 2**29 amplitudes. The figures that force
the choices below:

* the state is complex128 up to :data:`.statevector.DOUBLE_PRECISION_MAX_QUBITS` (26) active qubits
  and complex64 above (29 qubits: 4 GiB instead of 8), updated in place from
  :data:`.statevector.IN_PLACE_AMPLITUDES` on (no spare buffer, chunk-sized temporaries);
* probabilities are computed a chunk at a time, in float64, twice: once to count the outcomes
  that are kept (>= 1e-12), once to fill arrays of exactly that size. A dense 29-qubit
  probability array would be 4 GiB more, and its JSON about 12 GB;
* a circuit's result holds at most :data:`MAX_RESULT_ENTRIES` outcomes (2**26, ~1.6 GB of
  JSON), else the job fails with ``SimulationError``: sparse outputs (GHZ, Bernstein-Vazirani,
  arithmetic on basis states) run at 29 qubits, uniform superpositions stop at 26.

:func:`ideal_memory` is the estimate the emulator's memory budget reserves (see
``docs/guides/emulator-testing.md`` for the measured figures per width).
"""

from __future__ import annotations

from typing import Sequence, Tuple

import numpy as np

from . import statevector
from .gates import JobFailure
from .histogram import Histogram
from .statevector import amplitude_probabilities

__all__ = [
    "IDEAL_CUTOFF",
    "MAX_RESULT_ENTRIES",
    "full_keys",
    "ideal_histogram",
    "ideal_memory",
    "max_ideal_qubits",
]

IDEAL_CUTOFF = 1e-12  # ideal histograms omit states below this probability
MAX_RESULT_ENTRIES = 1 << 26  # outcomes kept per circuit: 2**26 is ~1.6 GB of JSON
_CHUNK = 1 << 21  # amplitudes per probability chunk (32 MiB of complex128)
_TEMPORARIES = 128 << 20  # chunk temporaries of the in-place kernels and of the two passes


def ideal_memory(m: int) -> Tuple[int, int]:
    """``(working, kept)`` bytes of an ideal run on ``m`` active qubits.

    ``working`` is held only while the circuit runs; ``kept`` is its histogram, held until
    the job's results are dropped. Small states use the fast kernels (state and spare buffer,
    32 bytes per amplitude, then probabilities and their temporaries, ~24); large ones are
    updated in place (the state, plus bounded temporaries) and their histogram is counted
    before it is allocated (16 bytes per kept outcome: keys and probabilities).
    """
    amplitudes = 1 << m
    if amplitudes < statevector.IN_PLACE_AMPLITUDES:
        return 56 * amplitudes, 16 * amplitudes
    state = np.dtype(statevector.state_dtype(m)).itemsize * amplitudes
    return state + _TEMPORARIES, 16 * min(amplitudes, MAX_RESULT_ENTRIES)


def max_ideal_qubits(budget: int, ceiling: int) -> int:
    """The most active qubits (up to ``ceiling``) whose ideal run fits ``budget`` bytes."""
    best = 0
    for m in range(1, ceiling + 1):
        working, kept = ideal_memory(m)
        if working + kept <= budget:
            best = m
    return best


def full_keys(local_index: np.ndarray, active: Sequence[int]) -> np.ndarray:
    """Full-register keys: local bit j moves to bit ``active[j]`` (active is sorted, so
    ascending local indices give ascending keys)."""
    if list(active) == list(range(len(active))):
        return local_index.astype(np.int64)
    keys = np.zeros(len(local_index), dtype=np.int64)
    for j, q in enumerate(active):
        keys |= ((local_index >> j) & 1) << q
    return keys


def ideal_histogram(state: np.ndarray, active: Sequence[int]) -> Histogram:
    """The ideal histogram of the final ``state`` (one row, little-endian over ``active``).

    Raises:
        JobFailure: ``SimulationError`` when more than :data:`MAX_RESULT_ENTRIES` outcomes
            have probability >= :data:`IDEAL_CUTOFF`.
    """
    identity = list(active) == list(range(len(active)))
    if state.size < statevector.IN_PLACE_AMPLITUDES:  # small: one pass, as fast as numpy goes
        probs = amplitude_probabilities(state)
        keep = np.flatnonzero(probs >= IDEAL_CUTOFF)
        if len(keep) == len(probs) and identity:
            return Histogram(probs)  # dense: keys are implicit, the array is kept as is
        return Histogram(probs[keep], full_keys(keep, active))
    count, total = 0, 0.0
    for start in range(0, state.size, _CHUNK):
        chunk = amplitude_probabilities(state[start : start + _CHUNK])
        count += int(np.count_nonzero(chunk >= IDEAL_CUTOFF))
        total += float(chunk.sum())
    if count > MAX_RESULT_ENTRIES:
        raise JobFailure(
            "SimulationError",
            f"the result has {count:,} outcomes with probability >= {IDEAL_CUTOFF:g} (about "
            f"{count * 23 / 1e9:.1f} GB of JSON); this emulator returns at most "
            f"{MAX_RESULT_ENTRIES:,} (2**26) per circuit. Circuits this wide run when their "
            "output is concentrated on fewer outcomes; otherwise use fewer qubits.",
        )
    dense = count == state.size and identity
    probs = np.empty(count, dtype=np.float64)
    keys = None if dense else np.empty(count, dtype=np.int64)
    at = 0
    for start in range(0, state.size, _CHUNK):
        chunk = amplitude_probabilities(state[start : start + _CHUNK])
        if keys is None:
            probs[start : start + len(chunk)] = chunk
            continue
        local = np.flatnonzero(chunk >= IDEAL_CUTOFF)
        probs[at : at + len(local)] = chunk[local]
        keys[at : at + len(local)] = full_keys(local + start, active)
        at += len(local)
    if state.dtype == np.complex64 and total > 0:
        # Single-precision gates drift the norm by ~1e-7 per hundred gates: renormalize so
        # the probabilities sum to 1 as they would in exact arithmetic.
        probs /= total
    return Histogram(probs, keys)
