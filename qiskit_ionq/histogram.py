"""Vendor histogram arithmetic: parse, remap to classical bits, count (pure numpy, no I/O).

The IonQ API returns, per circuit, a flat JSON object whose keys are the decimal integer value
of the WHOLE qubit register (bit k = qubit k, little-endian) and whose values are
probabilities (docs/reference/ionq-api.md §6.1-6.3). This module is the numeric half of
turning that into Qiskit results: steps 1-3 of the pipeline that
:func:`qiskit_ionq.results.build_experiment` chains, all whole-array operations on integer
outcomes.

1. :func:`parse_histogram` turns the JSON object into two arrays, once, and validates them.
2. The measurement map (``registers.meas_mapped``: clbit j <- qubit ``meas_map[j]``) is
   applied with whole-array shifts and masks, and outcomes that collide once unmeasured
   qubits are dropped are summed (:func:`remap`).
3. Counts are sampled (ideal simulator, seeded) or rounded with the largest-remainder method
   so that they sum to exactly ``shots`` (:func:`sample_counts`, :func:`round_counts`).

Nothing here builds a key string or reads an experiment header: how Qiskit spells an outcome
(bit order, spaces between registers, header defaults) is :mod:`qiskit_ionq.results`'s job.
Kept apart, the arithmetic can be checked against plain integer maths and the formatting can
follow Qiskit without touching it. Callers import the public names from
:mod:`qiskit_ionq.results`, which re-exports them; the private ``_check_*``, ``_remap`` and
``_normalized`` helpers are shared with that module.
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from .exceptions import IonQJobError
from .flat_histogram import FlatHistogram, parse_flat_histogram

__all__ = [
    "FlatHistogram",
    "map_output",
    "parse_flat_histogram",
    "parse_histogram",
    "remap",
    "first_seen_order",
    "round_counts",
    "sample_counts",
]

# Vendor keys are parsed into uint64, so a register may have at most 64 qubits (IonQ's
# largest target has 36).
MAX_QUBITS = 64

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
    if isinstance(histogram, FlatHistogram):
        keys, probs = histogram.outcomes, histogram.probabilities  # distinct, non-negative, finite
        if (num_qubits < 63 and int(keys.max()) >= (1 << num_qubits)) or (probs < 0).any():
            raise _invalid(histogram.to_dict(), num_qubits)
        return keys.view(np.uint64), probs
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
    if str in key_types and not _plain_digits(histogram):
        raise _invalid(histogram, num_qubits)
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


def _plain_digits(histogram: Mapping[Any, Any]) -> bool:
    """True when every text key is ASCII decimal digits only.

    ``int()`` (and numpy's conversion through it) also accepts ``" 3 "``, ``"+3"``, ``"1_1"``
    and full-width digits; a server sending those is not sending the documented format, and
    reading them as numbers could silently merge outcomes that were distinct.
    """
    text = [k for k in histogram if isinstance(k, str)]
    joined = "".join(text)
    return joined.isascii() and joined.isdigit() and all(text)


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
        if isinstance(key, str) and not (key.isascii() and key.isdigit()):
            return IonQJobError(
                f"result key {key!r} is not a decimal integer (digits 0-9 only); the "
                "server's histogram keys must be basis-state integers"
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
        without classical bits has no counts (qiskit-ionq's behaviour, ionq-api.md §6.5, and
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
#: How far from 1 the probabilities of one circuit may sum: the vendor prints rounded
#: values, but a histogram summing to 0.5 or 2 (counts sent as values, a truncated or
#: doubled list) is wrong data, not something to rescale silently.
PROBABILITY_SUM_TOLERANCE = 1e-3


def check_total(probs: np.ndarray) -> None:
    """Raise unless ``probs`` sums to 1 within :data:`PROBABILITY_SUM_TOLERANCE`."""
    total = float(np.sum(probs))
    if not abs(total - 1.0) <= PROBABILITY_SUM_TOLERANCE:
        raise IonQJobError(
            f"the server returned a histogram whose probabilities sum to {total:.6g}, not 1; "
            "the results do not describe one run of the job"
        )


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


def sample_counts(
    probs: np.ndarray, shots: int, seed: Optional[int] = None, order: Optional[np.ndarray] = None
) -> np.ndarray:
    """Draw ``shots`` samples from ``probs`` (the ideal simulator's exact distribution).

    Drawn exactly as earlier qiskit-ionq releases drew them, so a ``sampler_seed`` gives the
    same counts with us as with them: the outcomes are taken in the mapped histogram's order
    (``order``, see :func:`first_seen_order`; default: as given), their weights divided by
    their sum, and ``numpy.random.RandomState(seed).choice(len(outcomes), shots, p=weights)``
    is counted. ``None`` draws fresh entropy.

    Args:
        probs: probabilities of the distinct outcomes (normalized here).
        shots: number of samples.
        seed: the user's ``sampler_seed``.
        order: a permutation of ``range(len(probs))``: the order in which the outcomes are
            laid out for the draw.

    Returns:
        ``int64`` counts aligned with ``probs``, summing to ``shots`` (zeros included).
    """
    shots, seed = _check_shots(shots), _check_seed(seed)
    probs = np.asarray(probs, dtype=np.float64)
    order = np.arange(len(probs)) if order is None else np.asarray(order, dtype=np.intp)
    weights = _normalized(probs[order])
    # What RandomState.choice(n, shots, p=weights) does, draw for draw: one uniform per shot
    # from random_sample, mapped through the normalized cumulative weights with a right-side
    # search. Only the counts matter, so the uniforms are sorted first: the search then walks
    # memory in order (7x faster at 2**20 outcomes and a million shots) and the counts are
    # identical (test/compat pins it against choice itself).
    cdf = weights.cumsum()
    cdf /= cdf[-1]
    uniforms = _random_state(seed).random_sample(shots)
    uniforms.sort()
    drawn = cdf.searchsorted(uniforms, side="right")
    counts = np.zeros(len(probs), dtype=np.int64)
    counts[order] = np.bincount(drawn, minlength=len(weights))
    return counts


def _random_state(seed: Optional[int]) -> np.random.RandomState:
    # RandomState takes seeds below 2**32 as they are (what earlier releases did); larger
    # ones are split into 32-bit words instead of being refused.
    if seed is None or seed < (1 << 32):
        return np.random.RandomState(seed)
    words = []
    while seed:
        words.append(seed & 0xFFFFFFFF)
        seed >>= 32
    return np.random.RandomState(words)


def first_seen_order(
    keys: np.ndarray, measured: Sequence[int], compressed: np.ndarray
) -> np.ndarray:
    """The order in which mapped outcomes first appear in the vendor histogram.

    Args:
        keys: the vendor histogram's basis states, in its order (:func:`parse_histogram`).
        measured: the distinct measured qubits, ascending (bit i of ``compressed`` = qubit
            ``measured[i]``).
        compressed: distinct mapped outcomes over the measured qubits (from :func:`_remap`),
            in any order.

    Returns:
        A permutation of ``range(len(compressed))``: the outcomes sorted by the position of
        their first vendor key, which is the order of a histogram built by walking the
        vendor's entries and summing into a dict (what earlier releases sampled from).
    """
    if len(compressed) == 0:
        return np.zeros(0, dtype=np.intp)
    full = _gather_bits(np.asarray(keys, dtype=np.uint64), list(enumerate(measured)))
    distinct, first = np.unique(full, return_index=True)
    where = np.searchsorted(distinct, compressed)
    return np.argsort(first[where], kind="stable")


def round_counts(probs: np.ndarray, shots: int) -> np.ndarray:
    """Turn probabilities into integer counts that sum to exactly ``shots``.

    Largest-remainder (Hamilton) apportionment of ``p * shots``: floor everything, then give
    the missing shots to the largest fractional parts. Plain ``round(p * shots)`` (the older
    clients' rule) can sum to more or less than ``shots``; the results contract
    (docs/guides/results.md) forbids that. Ties go to the earlier outcome, so the result is
    deterministic.

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
