"""Vendor histogram -> Qiskit classical-bit counts and probabilities (pure numpy, no I/O).

The IonQ API returns, per circuit, a flat JSON object whose keys are the decimal integer value
of the WHOLE qubit register (bit k = qubit k, little-endian) and whose values are
probabilities (docs/reference/ionq-api.md §6.1-6.3). Qiskit users expect counts keyed by
classical bits, formatted like every Qiskit backend formats them (``format_counts_memory``):
a binary string of ``memory_slots`` characters, classical bit 0 right-most, with a space
between classical registers. The translation takes four vectorized steps:

1. to 3. Parse the histogram, apply the measurement map, and turn probabilities into counts
   that sum to exactly ``shots``. That is integer/array arithmetic that knows nothing of
   Qiskit's key format; it lives in :mod:`qiskit_ionq.histogram`, and its public names
   (:func:`parse_histogram`, :func:`remap`, :func:`map_output`, :func:`sample_counts`,
   :func:`round_counts`) are re-exported here.
4. Key strings are built once per distinct outcome from a character matrix
   (:func:`format_keys`, laid out by :func:`key_layout`), never with per-key
   ``format``/``bin`` calls: a 20-qubit job has a million outcomes, and per-key string work
   is what makes the naive path take seconds.

This module is the Qiskit-facing half: the key format, the header defaults
(:func:`default_header`), the per-circuit container :class:`ExperimentData` that builds the
user-visible dicts lazily, and :func:`build_experiment`, which chains the four steps for one
circuit and is what ``IonQJob`` calls. Other modules import everything from here.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from .exceptions import IonQJobError

# MAX_QUBITS was defined here before the arithmetic moved out; still importable from here.
from .histogram import MAX_QUBITS as MAX_QUBITS
from .histogram import (
    _check_meas_map,
    _check_num_qubits,
    _check_seed,
    _check_shots,
    _normalized,
    _remap,
    check_total,
    first_seen_order,
    map_output,
    parse_histogram,
    remap,
    round_counts,
    sample_counts,
)

__all__ = [
    "ExperimentData",
    "build_experiment",
    "default_header",
    "format_keys",
    "key_layout",
    "map_output",
    "parse_histogram",
    "remap",
    "round_counts",
    "sample_counts",
]

_ONE = np.uint64(1)
_ASCII_ZERO = 48
_ASCII_SPACE = 32


# --------------------------------------------------------------------------------------------
# 4. Key strings
# --------------------------------------------------------------------------------------------
def key_layout(memory_slots: int, creg_sizes: Sequence[Sequence[Any]]) -> List[Optional[int]]:
    """Which classical bit each character of a Qiskit count key shows (``None`` = a space).

    This replays ``qiskit.result.postprocess.format_counts_memory`` on positions instead of
    characters: the key is the ``memory_slots``-wide binary string (clbit 0 right-most), cut
    by ``_separate_bitstring`` into slices of the register sizes taken from the LEFT in
    reversed register order and joined with single spaces. When the registers do not cover
    every clbit (clbits outside any register), Qiskit therefore drops the right-most
    characters; with no registers at all it does not split. Matching this exactly keeps our
    keys identical to what ``Result.get_counts`` would produce from the same data.

    Args:
        memory_slots: the header's ``memory_slots``.
        creg_sizes: the header's ``creg_sizes`` (``[[name, size], ...]``).

    Returns:
        One entry per key character, left to right: the clbit index shown there, or ``None``
        for a separating space. Empty when ``memory_slots`` is 0.
    """
    if not memory_slots:
        return []
    columns: List[Optional[int]] = [memory_slots - 1 - c for c in range(memory_slots)]
    if not creg_sizes:
        return columns
    layout: List[Optional[int]] = []
    start = 0
    for index, (_, size) in enumerate(reversed(list(creg_sizes))):
        if index:
            layout.append(None)
        layout.extend(columns[start : start + int(size)])
        start += int(size)
    return layout


def format_keys(
    compressed: np.ndarray, layout: Sequence[Optional[int]], sources: Mapping[int, int]
) -> List[str]:
    """Build the count-key strings of many outcomes at once.

    Args:
        compressed: outcomes as integers over the measured qubits (uint64).
        layout: from :func:`key_layout` (clbit per character, ``None`` = space).
        sources: clbit -> bit position in ``compressed`` (clbits absent here print ``0``).

    Returns:
        One ``str`` per outcome. The characters are assembled as a ``uint8`` matrix (one
        vectorized gather), viewed as fixed-width byte strings and converted to ``str`` by
        numpy, so no Python code runs per key.
    """
    count, width = len(compressed), len(layout)
    if width == 0:
        return [""] * count
    positions = sorted(set(sources.values()))
    # Columns 0..k-1: the measured bits as '0'/'1'; then a constant '0' and a constant ' '.
    table = np.empty((count, len(positions) + 2), dtype=np.uint8)
    column_of = {}
    for column, position in enumerate(positions):
        bit = (compressed >> np.uint64(position)) & _ONE
        table[:, column] = bit.astype(np.uint8) + _ASCII_ZERO
        column_of[position] = column
    zero_col, space_col = len(positions), len(positions) + 1
    table[:, zero_col] = _ASCII_ZERO
    table[:, space_col] = _ASCII_SPACE
    picks = [
        space_col
        if clbit is None
        else (column_of[sources[clbit]] if clbit in sources else zero_col)
        for clbit in layout
    ]
    # One "\n"-terminated line per key, decoded and split at once (faster than numpy's
    # bytes -> str conversion); keys hold only "0", "1" and " ".
    chars = np.empty((count, width + 1), dtype=np.uint8)
    chars[:, :width] = table[:, picks]
    chars[:, width] = 10
    lines = chars.tobytes().decode("ascii").split("\n")
    lines.pop()
    return lines


# --------------------------------------------------------------------------------------------
# One circuit, end to end
# --------------------------------------------------------------------------------------------
def default_header(num_qubits: int, num_clbits: int) -> Dict[str, Any]:
    """The header of a job submitted without one (``metadata: null``, e.g. another tool).

    One quantum register ``q`` of ``num_qubits`` and one classical register ``c`` of
    ``num_clbits``: the layout Qiskit itself gives ``QuantumCircuit(n, m)``.
    """
    return {
        "global_phase": 0.0,
        "n_qubits": num_qubits,
        "qreg_sizes": [["q", num_qubits]],
        "qubit_labels": [["q", i] for i in range(num_qubits)],
        "memory_slots": num_clbits,
        "creg_sizes": [["c", num_clbits]] if num_clbits else [],
        "clbit_labels": [["c", j] for j in range(num_clbits)],
        "metadata": {},
    }


class ExperimentData:
    """The results of one circuit, ready for :class:`qiskit_ionq.ionq_result.IonQResult`.

    Holds the distinct outcomes as aligned arrays; the dictionaries Qiskit users see are built
    on first access and cached. Building a million-key dict (or a million key strings) costs a
    sizeable fraction of a second, and ``get_counts`` of a job with fewer shots than outcomes
    needs only the keys that were actually counted, so nothing is built before it is asked
    for.

    Attributes:
        header: the experiment header (design.md format); its ``memory_slots`` and
            ``creg_sizes`` are the ones the keys are formatted with.
        shots: the job's shot count.
        values: each outcome's classical value (bit j = clbit j), ascending; ``uint64``, or
            Python ints for more than 64 classical bits.
        outcome_probabilities: normalized probabilities (sum to 1), aligned with ``values``.
        raw_probabilities: the API's probabilities summed per outcome, NOT renormalized
            (what ``get_probabilities`` reports); defaults to ``outcome_probabilities``.
        outcome_counts: integer counts (sum to ``shots``, zeros included), aligned.
        compressed: each outcome over the measured qubits only (bit i = i-th measured qubit).
        layout: :func:`key_layout` of the header.
        sources: clbit -> bit of ``compressed`` it shows (clbits absent here show 0).
        seed: the ``sampler_seed``; also orders :attr:`memory` repeatably.
        memory_requested: whether the run asked for per-shot ``memory`` (``memory=True``).
    """

    def __init__(
        self,
        *,
        header: Dict[str, Any],
        shots: int,
        values: np.ndarray,
        outcome_probabilities: np.ndarray,
        outcome_counts: np.ndarray,
        compressed: np.ndarray,
        layout: Sequence[Optional[int]],
        sources: Mapping[int, int],
        seed: Optional[int] = None,
        raw_probabilities: Optional[np.ndarray] = None,
        memory_requested: bool = False,
    ) -> None:
        self.header = header
        self.shots = shots
        self.values = values
        self.outcome_probabilities = outcome_probabilities
        self.outcome_counts = outcome_counts
        self.compressed = compressed
        self.layout = list(layout)
        self.sources = dict(sources)
        self.seed = seed
        self.raw_probabilities = (
            outcome_probabilities if raw_probabilities is None else raw_probabilities
        )
        self.memory_requested = memory_requested

    def __repr__(self) -> str:
        return (
            f"ExperimentData(name={self.header.get('name')!r}, shots={self.shots}, "
            f"outcomes={len(self.values)})"
        )

    @cached_property
    def keys(self) -> List[str]:
        """The formatted key of every outcome (non-zero probability), aligned with ``values``."""
        return format_keys(self.compressed, self.layout, self.sources)

    @cached_property
    def _counted(self) -> np.ndarray:
        return np.flatnonzero(self.outcome_counts)

    def _counted_keys(self) -> List[str]:
        counted = self._counted
        if len(counted) == len(self.values):
            return self.keys
        if "keys" in self.__dict__:  # already built for get_probabilities: reuse them
            keys = self.keys
            return [keys[i] for i in counted.tolist()]
        return format_keys(self.compressed[counted], self.layout, self.sources)

    @cached_property
    def counts(self) -> Dict[str, int]:
        """Formatted key -> count; outcomes never counted are left out, as Qiskit does."""
        return dict(zip(self._counted_keys(), self.outcome_counts[self._counted].tolist()))

    @cached_property
    def probabilities(self) -> Dict[str, float]:
        """Formatted key -> probability for EVERY outcome (sampled or not).

        The API's values after clbit mapping, summed where outcomes merge, not renormalized.
        """
        return dict(zip(self.keys, self.raw_probabilities.tolist()))

    @cached_property
    def int_counts(self) -> Dict[int, int]:
        """Classical value -> count, the content of ``Counts.int_outcomes()``."""
        counted = self._counted
        return dict(zip(self.values[counted].tolist(), self.outcome_counts[counted].tolist()))

    @cached_property
    def hex_counts(self) -> Dict[str, int]:
        """``"0x.."`` -> count: how Qiskit backends store ``ExperimentResultData.counts``."""
        counted = self._counted
        hex_keys = map(hex, self.values[counted].tolist())
        return dict(zip(hex_keys, self.outcome_counts[counted].tolist()))

    @cached_property
    def bin_counts(self) -> Dict[str, int]:
        """Binary string as wide as the classical bits (no register spaces) -> count.

        How ``ExperimentResultData.counts`` was keyed by the release line for Qiskit 2.
        """
        slots = int(self.header.get("memory_slots") or 0)
        counted = self._counted
        plain = list(range(slots - 1, -1, -1))
        keys = format_keys(self.compressed[counted], plain, self.sources)
        return dict(zip(keys, self.outcome_counts[counted].tolist()))

    @cached_property
    def memory(self) -> List[str]:
        """Per-shot outcomes as hex strings: Qiskit's ``data.memory`` (``memory=True``).

        The API returns only the distribution, never the shot sequence, so the shots are
        the counted outcomes in a random order (seeded by :attr:`seed`, so repeatable).
        ``BackendSamplerV2`` reads nothing else, which is why it is provided at all.
        """
        counted = self._counted
        hex_keys = np.array(list(map(hex, self.values[counted].tolist())), dtype=object)
        shots = np.repeat(hex_keys, self.outcome_counts[counted])
        # A stream of its own: the same seed already drew the counts.
        np.random.default_rng(None if self.seed is None else [self.seed, 1]).shuffle(shots)
        return shots.tolist()

    @property
    def keys_show_every_clbit(self) -> bool:
        """Whether each key shows every classical bit once, in order (no dropped bits).

        True unless some classical bits belong to no register (or registers overlap): then
        Qiskit's key format drops or repeats characters. When true, ``int(key without
        spaces, 2)`` is the outcome's value, so ``Counts.int_outcomes()`` can be derived from
        the keys lazily, exactly as Qiskit does for counts built from bit strings.
        """
        slots = int(self.header.get("memory_slots") or 0)
        return [c for c in self.layout if c is not None] == list(range(slots - 1, -1, -1))


def _resolve_layout(
    header: Optional[Mapping[str, Any]],
    meas_map: Optional[Sequence[Optional[int]]],
    num_qubits: int,
) -> Tuple[Dict[str, Any], List[Optional[int]]]:
    """Fill in a missing header or measurement map, and check that the two agree."""
    if header is None:
        resolved: List[Optional[int]] = (
            list(range(num_qubits)) if meas_map is None else list(meas_map)
        )
        return default_header(num_qubits, len(resolved)), resolved
    full = dict(header)
    slots = full.get("memory_slots")
    if meas_map is None:
        # No registers echoed (the server may not return them, ionq-api.md §3.3): Qiskit
        # clients default to range(qubits), cut or padded to the header's clbit count.
        width = num_qubits if slots is None else int(slots)
        resolved = [j if j < num_qubits else None for j in range(width)]
    else:
        resolved = list(meas_map)
    if slots is None:
        full["memory_slots"] = len(resolved)
    elif int(slots) != len(resolved):
        raise IonQJobError(
            f"the measurement map has {len(resolved)} entries but the experiment header "
            f"declares {slots} classical bits; the job's metadata does not match its registers"
        )
    full.setdefault("creg_sizes", [])
    return full, resolved


def build_experiment(
    histogram: Mapping[str, float],
    *,
    header: Optional[Mapping[str, Any]],
    meas_map: Optional[Sequence[Optional[int]]],
    num_qubits: int,
    shots: int,
    sample: bool,
    seed: Optional[int],
    memory: bool = False,
) -> ExperimentData:
    """Turn one circuit's vendor histogram into Qiskit-formatted counts and probabilities.

    Args:
        histogram: the vendor histogram for this circuit.
        header: the experiment header the serializer stored (design.md), or ``None`` for a
            job submitted without one; then a single register ``c`` is assumed.
        meas_map: ``registers.meas_mapped`` (clbit -> qubit or ``None``); ``None`` when the
            job does not carry it, then ``range(num_qubits)`` as Qiskit clients assume.
        num_qubits: width of the register the histogram refers to.
        shots: the job's shots; counts sum to exactly this.
        sample: ``True`` for the ideal simulator, whose histogram is the exact distribution:
            counts are then sampled with ``seed``. Otherwise the histogram is already
            measured frequencies and counts are apportioned by largest remainder.
        seed: the ``sampler_seed`` (``None`` = not repeatable). Sampling follows earlier
            qiskit-ionq releases draw for draw (see :func:`sample_counts`).
        memory: whether the run asked for per-shot memory (``memory=True``).

    Returns:
        An :class:`ExperimentData`. A circuit without classical bits has empty counts and
        probabilities, like Qiskit's simulators report.

    Raises:
        IonQJobError: malformed histogram, or a measurement map that does not fit the header
            or the register.
    """
    _check_num_qubits(num_qubits)
    full_header, resolved = _resolve_layout(header, meas_map, num_qubits)
    checked = _check_meas_map(resolved, num_qubits)
    shots, seed = _check_shots(shots), _check_seed(seed)
    keys, probs = parse_histogram(histogram, num_qubits)
    if len(probs):
        check_total(probs)
    layout = key_layout(int(full_header["memory_slots"]), full_header["creg_sizes"] or [])
    if not layout:
        empty = np.zeros(0, dtype=np.uint64)
        return ExperimentData(
            header=full_header,
            shots=shots,
            values=empty,
            outcome_probabilities=np.zeros(0),
            outcome_counts=np.zeros(0, dtype=np.int64),
            compressed=empty,
            layout=[],
            sources={},
            memory_requested=memory,
        )
    # A clbit that no key character shows (Qiskit's formatting drops the right-most ones when
    # some clbits belong to no register) is treated as unmeasured, so the outcomes it would
    # split are merged and summed. Qiskit's own format_counts would let the last of such
    # colliding keys overwrite the others, losing shots; summing keeps counts adding up to
    # `shots`, and makes the stored hex values format back to exactly these keys.
    shown = {c for c in layout if c is not None}
    effective = [q if j in shown else None for j, q in enumerate(checked)]
    compressed, values, summed, position = _remap(keys, probs, effective)
    normalized = _normalized(summed)
    if sample:
        measured = sorted(position, key=position.__getitem__)
        order = first_seen_order(keys, measured, compressed)
        counts = sample_counts(summed, shots, seed, order=order)
    else:
        counts = round_counts(normalized, shots)
    sources = {j: position[q] for j, q in enumerate(effective) if q is not None}
    return ExperimentData(
        header=full_header,
        shots=shots,
        values=values,
        outcome_probabilities=normalized,
        outcome_counts=counts,
        compressed=compressed,
        layout=layout,
        sources=sources,
        seed=seed,
        raw_probabilities=summed,
        memory_requested=memory,
    )
