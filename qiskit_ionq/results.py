"""Vendor histogram -> Qiskit classical-bit counts and probabilities (pure numpy, no I/O).

The IonQ API returns, per circuit, a flat JSON object whose keys are the decimal integer value
of the WHOLE qubit register (bit k = qubit k, little-endian) and whose values are
probabilities (API fact sheet 6.1-6.3). Qiskit users expect counts keyed by classical bits,
formatted like every Qiskit backend formats them (``format_counts_memory``): a binary string
of ``memory_slots`` characters, classical bit 0 right-most, with a space between classical
registers. This module does that translation in four vectorized steps:

1. :func:`parse_histogram` turns the JSON object into two arrays, once, and validates them.
2. The measurement map (``registers.meas_mapped``: clbit j <- qubit ``meas_map[j]``) is
   applied with whole-array shifts and masks, and outcomes that collide once unmeasured
   qubits are dropped are summed (:func:`remap`).
3. Counts are sampled (ideal simulator, seeded) or rounded with the largest-remainder method
   so that they sum to exactly ``shots`` (:func:`sample_counts`, :func:`round_counts`).
4. Key strings are built once per distinct outcome from a character matrix
   (:func:`format_keys`), never with per-key ``format``/``bin`` calls: a 20-qubit job has a
   million outcomes, and per-key string work is what makes the naive path take seconds.

:func:`build_experiment` chains the four steps for one circuit and is what ``IonQJob`` calls.
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from .exceptions import IonQJobError

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

# Vendor keys are parsed into uint64, so a register may have at most 64 qubits (IonQ's
# largest target has 36).
MAX_QUBITS = 64

_ONE = np.uint64(1)
_ASCII_ZERO = 48
_ASCII_SPACE = 32

# np.bincount over every possible compressed outcome beats sorting with np.unique while that
# range is at most a few times the number of keys; a 2**24-entry float array is 128 MiB, so
# never go beyond that, and always allow small ranges (cheap whatever the key count).
_DENSE_LIMIT = 1 << 24
_DENSE_MIN = 1 << 16


# --------------------------------------------------------------------------------------------
# 1. Parsing
# --------------------------------------------------------------------------------------------
def parse_histogram(
    histogram: Mapping[str, float], num_qubits: int
) -> Tuple[np.ndarray, np.ndarray]:
    """Parse a vendor histogram into ``(keys, probabilities)`` arrays.

    Args:
        histogram: the vendor's ``{"<decimal int>": probability}`` object for one circuit.
            Values may be written like ``1e-07`` and need not sum to exactly 1.
        num_qubits: width of the qubit register the job ran on.

    Returns:
        ``keys`` (``uint64``) and ``probabilities`` (``float64``), aligned, in the
        histogram's order. Nothing is normalized or merged here.

    Raises:
        IonQJobError: a key that is not a non-negative decimal integer, a key that does not fit
            in ``num_qubits`` qubits, or a probability that is not a finite non-negative
            number. The message names the offending entry: such a histogram means the server
            answered for a different job shape, and guessing would silently give wrong counts.
    """
    _check_num_qubits(num_qubits)
    if not isinstance(histogram, Mapping):
        raise IonQJobError(
            f"expected the job's results to be a JSON object mapping basis states to "
            f"probabilities, got {type(histogram).__name__}"
        )
    size = len(histogram)
    if size == 0:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.float64)
    # One C-level pass each: the type sets let the fast converters below be strict (numpy
    # would otherwise truncate a float key 1.5 to 1, or read a None probability as NaN).
    # Anything unusual (numpy scalars from a Python caller, say) gets the per-entry check.
    key_types = set(map(type, histogram.keys()))
    value_types = set(map(type, histogram.values()))
    if not key_types <= {str, int} or not value_types <= {float, int}:
        error = _diagnose(histogram, num_qubits)
        if error is not None:
            raise error
    try:
        # object -> int64 calls int() per element in C: ~4x faster than numpy's own str
        # parser. int64 (not uint64) so that "-1" is caught instead of wrapping on numpy 1.x.
        signed = np.array(list(histogram.keys()), dtype=object).astype(np.int64)
    except (ValueError, TypeError):
        raise _invalid(histogram, num_qubits) from None
    except OverflowError:
        # Only keys >= 2**63 (a 64-qubit register) land here; rare, so parse them in Python.
        signed = None
    if signed is None:
        ints = [int(k) for k in histogram]
        if min(ints) < 0 or max(ints) >= (1 << num_qubits):
            raise _invalid(histogram, num_qubits)
        keys = np.array(ints, dtype=np.uint64)
    else:
        if signed.min() < 0 or (num_qubits < 63 and signed.max() >= (1 << num_qubits)):
            raise _invalid(histogram, num_qubits)
        keys = signed.view(np.uint64)
    probs = np.fromiter(histogram.values(), dtype=np.float64, count=size)
    if not (np.isfinite(probs).all() and (probs >= 0).all()):
        raise _invalid(histogram, num_qubits)
    return keys, probs


def _check_num_qubits(num_qubits: int) -> None:
    if isinstance(num_qubits, bool) or not isinstance(num_qubits, (int, np.integer)):
        raise IonQJobError(f"num_qubits must be an integer, got {num_qubits!r}")
    if not 0 <= num_qubits <= MAX_QUBITS:
        raise IonQJobError(
            f"cannot read results for a {num_qubits}-qubit register: between 0 and "
            f"{MAX_QUBITS} qubits are supported"
        )


def _invalid(histogram: Mapping[Any, Any], num_qubits: int) -> IonQJobError:
    """The error describing the first bad entry of a histogram the fast path rejected."""
    error = _diagnose(histogram, num_qubits)
    return error or IonQJobError("the server returned an invalid histogram")  # pragma: no cover


def _diagnose(histogram: Mapping[Any, Any], num_qubits: int) -> Optional[IonQJobError]:
    """Check every entry in Python (slow path): the error for the first bad one, or None."""
    for key, value in histogram.items():
        if isinstance(key, bool) or not isinstance(key, (str, int, np.integer)):
            return IonQJobError(
                f"result key {key!r} is not a decimal integer string; the server's histogram "
                "keys must be basis-state integers"
            )
        try:
            state = int(key)
        except ValueError:
            return IonQJobError(
                f"result key {key!r} is not a decimal integer; the server's histogram keys "
                "must be basis-state integers"
            )
        if state < 0:
            return IonQJobError(
                f"result key {key!r} is negative; the server's histogram keys must be "
                "non-negative basis-state integers"
            )
        if state >= (1 << num_qubits):
            return IonQJobError(
                f"result key {state} does not fit in the {num_qubits}-qubit register; the "
                "server returned a histogram wider than the job"
            )
        if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, float, np.integer, np.floating)
        ):
            return IonQJobError(f"the probability of result key {key!r} is not a number: {value!r}")
        if not math.isfinite(value) or value < 0:
            return IonQJobError(
                f"the probability of result key {key!r} is {value!r}; probabilities must be "
                "finite and non-negative"
            )
    return None


# --------------------------------------------------------------------------------------------
# 2. Remapping qubits to classical bits
# --------------------------------------------------------------------------------------------
def _runs(pairs: Sequence[Tuple[int, int]]) -> List[Tuple[int, int, int]]:
    """Group ``(dst_bit, src_bit)`` pairs into ``(dst, src, length)`` runs of consecutive bits.

    Copying a run is one shift + mask + shift + or over the whole array, so the common
    layouts (all qubits measured in order, a register measured in order) cost one pass
    instead of one pass per bit.
    """
    runs: List[Tuple[int, int, int]] = []
    for dst, src in sorted(pairs):
        if runs:
            d0, s0, n = runs[-1]
            if dst == d0 + n and src == s0 + n:
                runs[-1] = (d0, s0, n + 1)
                continue
        runs.append((dst, src, 1))
    return runs


def _gather_bits(source: np.ndarray, pairs: Sequence[Tuple[int, int]]) -> np.ndarray:
    """``out`` with bit ``dst`` = bit ``src`` of ``source`` for each pair (uint64, vectorized)."""
    runs = _runs(pairs)
    if len(runs) == 1 and runs[0][0] == 0 and runs[0][1] == 0:
        length = runs[0][2]
        if length >= 64:
            return source.copy()
        return source & np.uint64((1 << length) - 1)
    out = np.zeros(source.shape, dtype=np.uint64)
    for dst, src, length in runs:
        mask = np.uint64((1 << length) - 1) if length < 64 else np.uint64(2**64 - 1)
        # np.uint64 operands everywhere: numpy 1.x turns uint64 <op> Python int into float64.
        out |= ((source >> np.uint64(src)) & mask) << np.uint64(dst)
    return out


def _check_meas_map(meas_map: Sequence[Optional[int]], num_qubits: int) -> List[Optional[int]]:
    checked: List[Optional[int]] = []
    for clbit, qubit in enumerate(meas_map):
        if qubit is None:
            checked.append(None)
            continue
        if isinstance(qubit, bool) or not isinstance(qubit, (int, np.integer)):
            raise IonQJobError(
                f"the measurement map entry for classical bit {clbit} is {qubit!r}; expected "
                "a qubit index or null"
            )
        if not 0 <= int(qubit) < num_qubits:
            raise IonQJobError(
                f"the measurement map sends qubit {qubit} to classical bit {clbit}, but the "
                f"job has {num_qubits} qubits"
            )
        checked.append(int(qubit))
    return checked


def _collapse(
    keys: np.ndarray, probs: np.ndarray, measured: Sequence[int]
) -> Tuple[np.ndarray, np.ndarray]:
    """Sum probabilities over the unmeasured qubits.

    Args:
        keys: full-register basis states (uint64).
        probs: their probabilities.
        measured: the distinct measured qubits, ascending.

    Returns:
        ``(compressed, probs)``: distinct "compressed" outcomes (bit i = qubit
        ``measured[i]``), ascending, with summed probability; zero-probability outcomes are
        dropped (the vendor omits them too, and Qiskit never reports a zero count).
    """
    compressed = _gather_bits(keys, [(i, q) for i, q in enumerate(measured)])
    width = len(measured)
    if (1 << width) <= max(_DENSE_MIN, min(_DENSE_LIMIT, 4 * len(keys))):
        # Dense: one O(N + 2**width) pass, and the result comes out sorted.
        summed = np.bincount(compressed.astype(np.intp), weights=probs, minlength=1 << width)
        outcomes = np.flatnonzero(summed)
        return outcomes.astype(np.uint64), summed[outcomes]
    outcomes, inverse = np.unique(compressed, return_inverse=True)
    summed = np.bincount(inverse.ravel(), weights=probs, minlength=len(outcomes))
    keep = summed > 0
    return outcomes[keep], summed[keep]


def _clbit_values(
    compressed: np.ndarray, meas_map: Sequence[Optional[int]], position: Mapping[int, int]
) -> np.ndarray:
    """Integer value of the classical bits (bit j = clbit j) for each compressed outcome.

    ``uint64`` when there are at most 64 classical bits; otherwise an object array of Python
    ints (a wide register with only a few measured bits is legal in Qiskit), built 60 bits
    at a time so the bit work stays vectorized.
    """
    pairs = [(j, position[q]) for j, q in enumerate(meas_map) if q is not None]
    if len(meas_map) <= 64:
        return _gather_bits(compressed, pairs)
    total = np.zeros(len(compressed), dtype=object)
    for start in range(0, len(meas_map), 60):
        chunk = [(j - start, p) for j, p in pairs if start <= j < start + 60]
        if chunk:
            part = _gather_bits(compressed, chunk).astype(object)
            total = total + (part << start) if start else total + part
    return total


def remap(
    keys: np.ndarray, probs: np.ndarray, meas_map: Sequence[Optional[int]]
) -> Tuple[np.ndarray, np.ndarray]:
    """Apply a measurement map to a parsed full-register histogram.

    Classical bit ``j`` takes qubit ``meas_map[j]`` (``None``: a clbit nothing was measured
    into, which Qiskit leaves at 0). Qubits that no clbit reads are summed out, so outcomes
    that then coincide have their probabilities added.

    Args:
        keys: full-register basis states from :func:`parse_histogram`.
        probs: their probabilities.
        meas_map: one entry per classical bit (the API's ``registers.meas_mapped``).

    Returns:
        ``(values, probs)``: distinct classical values (bit j = clbit j), ascending, and their
        summed probabilities (not renormalized). ``uint64`` values for up to 64 classical
        bits, Python ints (object array) beyond. Zero-probability outcomes are dropped. An
        empty ``meas_map`` gives the single outcome 0 carrying the total probability.
    """
    keys = np.asarray(keys, dtype=np.uint64)
    probs = np.asarray(probs, dtype=np.float64)
    _, values, summed, _ = _remap(keys, probs, _check_meas_map(meas_map, MAX_QUBITS))
    return values, summed


def _remap(
    keys: np.ndarray, probs: np.ndarray, meas_map: Sequence[Optional[int]]
) -> Tuple[np.ndarray, np.ndarray, np.ndarray, Dict[int, int]]:
    """:func:`remap`, also returning the compressed outcomes and qubit -> compressed bit."""
    measured = sorted({q for q in meas_map if q is not None})
    compressed, summed = _collapse(keys, probs, measured)
    position = {q: i for i, q in enumerate(measured)}
    values = _clbit_values(compressed, meas_map, position)
    if len(values) > 1 and not (values[1:] > values[:-1]).all():
        # The map is not order-preserving (e.g. q1 -> c0, q0 -> c1): sort by clbit value so
        # the output order (and rounding tie-breaks) never depend on the qubit layout.
        order = np.argsort(values, kind="stable")
        compressed, values, summed = compressed[order], values[order], summed[order]
    return compressed, values, summed, position


def map_output(
    data: Mapping[str, float], clbits: Sequence[Optional[int]], num_qubits: int
) -> Dict[int, float]:
    """Vendor histogram -> classical-bit histogram with integer keys (seed-era public name).

    Args:
        data: the vendor histogram (``{"<decimal int>": probability}``).
        clbits: the measurement map, one qubit index (or ``None``) per classical bit.
        num_qubits: the register width the histogram refers to.

    Returns:
        ``{clbit value: summed probability}``. An empty ``clbits`` gives ``{}``: a circuit
        without classical bits has no counts (qiskit-ionq's behaviour, fact sheet 6.5, and
        what Qiskit's own simulators report).
    """
    meas_map = _check_meas_map(clbits, num_qubits)
    keys, probs = parse_histogram(data, num_qubits)
    if not meas_map:
        return {}
    values, summed = remap(keys, probs, meas_map)
    return dict(zip(values.tolist(), summed.tolist()))


# --------------------------------------------------------------------------------------------
# 3. Counts
# --------------------------------------------------------------------------------------------
def _normalized(probs: np.ndarray) -> np.ndarray:
    probs = np.asarray(probs, dtype=np.float64)
    total = probs.sum()
    if not total > 0:
        raise IonQJobError(
            "the server returned a histogram with no outcome of non-zero probability"
        )
    return probs / total


def _check_seed(seed: Optional[int]) -> Optional[int]:
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise IonQJobError(f"sampler_seed must be a non-negative integer or None, got {seed!r}")
    return int(seed)


def _check_shots(shots: int) -> int:
    if isinstance(shots, bool) or not isinstance(shots, (int, np.integer)) or shots < 0:
        raise IonQJobError(f"shots must be a non-negative integer, got {shots!r}")
    return int(shots)


def sample_counts(probs: np.ndarray, shots: int, seed: Optional[int] = None) -> np.ndarray:
    """Draw ``shots`` samples from ``probs`` (the ideal simulator's exact distribution).

    One multinomial draw from ``numpy.random.default_rng(seed)``: the same seed gives the same
    counts on every run (the API's ``sampler_seed`` contract, spec section 7); ``None`` draws
    fresh entropy.

    Args:
        probs: probabilities of the distinct outcomes (normalized here).
        shots: number of samples.
        seed: the user's ``sampler_seed``.

    Returns:
        ``int64`` counts aligned with ``probs``, summing to ``shots`` (zeros included).
    """
    shots, seed = _check_shots(shots), _check_seed(seed)
    return np.random.default_rng(seed).multinomial(shots, _normalized(probs)).astype(np.int64)


def round_counts(probs: np.ndarray, shots: int) -> np.ndarray:
    """Turn probabilities into integer counts that sum to exactly ``shots``.

    Largest-remainder (Hamilton) apportionment of ``p * shots``: floor everything, then give
    the missing shots to the largest fractional parts. Plain ``round(p * shots)`` (the older
    clients' rule) can sum to more or less than ``shots``; spec section 7 forbids that. Ties
    go to the earlier outcome, so the result is deterministic.

    Args:
        probs: probabilities of the distinct outcomes (normalized here, since vendor values
            need not sum to 1).
        shots: the job's shot count.

    Returns:
        ``int64`` counts aligned with ``probs`` (zeros included).
    """
    shots = _check_shots(shots)
    exact = _normalized(probs) * shots
    counts = np.floor(exact).astype(np.int64)
    missing = shots - int(counts.sum())
    if missing > 0:
        counts[_largest(exact - counts, missing)] += 1
    elif missing < 0:  # pragma: no cover - float error would have to exceed a whole shot
        counts[_largest(np.where(counts > 0, counts - exact, -np.inf), -missing)] -= 1
    return counts


def _largest(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest ``scores``, ties going to the lower index.

    O(N) with ``np.partition`` instead of a full sort: at a million outcomes the sort alone
    would be a sizeable share of the whole result-building time.
    """
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=np.intp)
    threshold = np.partition(scores, len(scores) - k)[len(scores) - k]
    above = np.flatnonzero(scores > threshold)
    ties = np.flatnonzero(scores == threshold)[: k - len(above)]
    return np.concatenate([above, ties])


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
    chars = np.ascontiguousarray(table[:, picks])
    return chars.view(f"S{width}").ravel().astype(f"U{width}").tolist()


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
        outcome_counts: integer counts (sum to ``shots``, zeros included), aligned.
        compressed: each outcome over the measured qubits only (bit i = i-th measured qubit).
        layout: :func:`key_layout` of the header.
        sources: clbit -> bit of ``compressed`` it shows (clbits absent here show 0).
        seed: the ``sampler_seed``; also orders :attr:`memory` repeatably.
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
        """Formatted key -> probability for EVERY outcome (sampled or not); sums to 1."""
        return dict(zip(self.keys, self.outcome_probabilities.tolist()))

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
        # No registers echoed (the server may not return them, fact sheet 3.3): Qiskit
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
        seed: the ``sampler_seed`` (``None`` = not repeatable).

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
    counts = sample_counts(normalized, shots, seed) if sample else round_counts(normalized, shots)
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
    )
