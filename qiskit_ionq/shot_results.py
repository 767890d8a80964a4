"""Per-shot results of API v0.4 -> Qiskit counts and memory (pure numpy, no I/O).

IonQ API v0.4 can return every shot instead of a distribution
(https://docs.ionq.com/api-reference/v0.4/jobs/get-job-shots and the result formats page):

* ``ionq.result.shots.json.v1``: a JSON array with one entry per shot, in shot order, each
  the measured basis state of the whole qubit register as a decimal integer (a string or a
  number; bit k = qubit k).
* ``ionq.result.shots.json.v2``: ``{"shots": [{"registers": {"<creg>": bits}}, ...]}``, one
  object per shot and one entry per classical register of an OpenQASM 3 program, plus the
  reserved register ``output_all`` (the final read-out of every qubit).

A shot can come back tagged as *leaked* (an ion left the qubit subspace, which Tempo-class
systems detect): a non-zero ``leakage_bits`` on the shot object. Such a shot carries no valid
outcome, so it is left out of counts and memory, and reported (:class:`LeakageReport`).

Choices where IonQ's documents say less than a parser needs ("be liberal in what you accept",
all written down here):

* A register's value may be a list of bits (index i = bit i), a bit string (right-most
  character = bit 0, as in the v2 probability keys) or an integer (bit i = bit i).
* ``leakage_bits`` may be an integer bit mask, a bit string, or a list of bits; any set bit
  means the shot leaked. It may sit on the shot object or inside ``registers``.
* A register the program declared but a shot lacks reads as zeros (and warns once).

The output is an :class:`ExperimentData` of :mod:`qiskit_ionq.results` with the real shot
order as ``memory``, so counts, ``get_memory`` and ``BackendSamplerV2`` agree exactly.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from .exceptions import IonQJobError
from .results import ExperimentData, key_layout

__all__ = [
    "LEAKAGE_KEY",
    "OUTPUT_ALL",
    "LeakageReport",
    "ShotExperimentData",
    "ShotTable",
    "build_shot_experiment",
    "parse_shots",
    "qubit_sources",
    "register_sources",
]

OUTPUT_ALL = "output_all"
LEAKAGE_KEY = "leakage_bits"
_MAX_CLBITS = 64  # outcomes are packed into uint64

Source = Optional[Tuple[str, int]]  # (register, bit index) a classical bit is read from


@dataclass(frozen=True)
class LeakageReport:
    """Which shots the API tagged as leaked, and were therefore left out of the results.

    Attributes:
        total_shots: shots the API returned.
        leaked_shots: how many of them were tagged (``leakage_bits`` not zero).
        leaked_indices: their positions in the API's shot order.
        leakage_bits: their ``leakage_bits`` values (integer masks), aligned.
    """

    total_shots: int
    leaked_shots: int
    leaked_indices: Tuple[int, ...] = ()
    leakage_bits: Tuple[int, ...] = ()

    @property
    def kept_shots(self) -> int:
        """Shots that count (``total_shots - leaked_shots``)."""
        return self.total_shots - self.leaked_shots

    @property
    def fraction(self) -> float:
        """Share of leaked shots (0.0 when there were none)."""
        return self.leaked_shots / self.total_shots if self.total_shots else 0.0

    def to_dict(self) -> Dict[str, Any]:
        """JSON-friendly form (used in result metadata)."""
        return {
            "total_shots": self.total_shots,
            "leaked_shots": self.leaked_shots,
            "leaked_indices": list(self.leaked_indices),
            "leakage_bits": list(self.leakage_bits),
        }


@dataclass
class ShotTable:
    """Parsed per-shot data: a bit matrix per register and a leakage mask per shot.

    Attributes:
        registers: register name -> ``uint8`` array of shape (shots, width), column i = bit i.
        leakage: ``int64`` per shot (0 = not leaked); masks wider than 63 bits saturate to 1.
        missing: registers some shots lacked (read as zeros).
    """

    registers: Dict[str, np.ndarray]
    leakage: np.ndarray
    missing: List[str] = field(default_factory=list)

    @property
    def num_shots(self) -> int:
        """Number of shots in the table."""
        return int(len(self.leakage))


def _int_bits(value: int, width: Optional[int] = None) -> List[int]:
    if value < 0:
        raise ValueError("negative")
    n = max(value.bit_length(), 1) if width is None else width
    return [(value >> i) & 1 for i in range(n)]


def _bits(value: Any) -> List[int]:
    """One register value -> its bits, bit 0 first (formats: module docstring)."""
    if isinstance(value, bool):
        return [int(value)]
    if isinstance(value, int):
        return _int_bits(value)
    if isinstance(value, str):
        text = value.strip()
        if text and set(text) <= {"0", "1"}:
            return [int(c) for c in reversed(text)]
        raise ValueError(f"not a bit string: {value!r}")
    if isinstance(value, (list, tuple)):
        out = []
        for bit in value:
            if isinstance(bit, bool) or bit in (0, 1, "0", "1"):
                out.append(int(bit))
            else:
                raise ValueError(f"not a bit: {bit!r}")
        return out
    raise ValueError(f"unexpected register value {value!r}")


def _leak_value(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return min(value, 2**62) if value >= 0 else 1
    bits = _bits(value)
    mask = sum(bit << i for i, bit in enumerate(bits[:62]))
    return mask or (1 if any(bits) else 0)


def _matrix(rows: List[List[int]]) -> np.ndarray:
    width = max((len(r) for r in rows), default=0)
    out = np.zeros((len(rows), width), dtype=np.uint8)
    for i, row in enumerate(rows):
        if row:
            out[i, : len(row)] = row
    return out


def _parse_v1(entries: Sequence[Any], num_qubits: int) -> ShotTable:
    values = []
    for entry in entries:
        try:
            value = int(entry) if not isinstance(entry, bool) else None
        except (TypeError, ValueError):
            value = None
        if value is None or value < 0:
            raise IonQJobError(
                f"malformed shots data: {entry!r} is not a basis state (a decimal integer)"
            )
        values.append(value)
    width = max([num_qubits, *(v.bit_length() for v in values)])
    rows = [_int_bits(v, width) for v in values]
    return ShotTable({OUTPUT_ALL: _matrix(rows)}, np.zeros(len(values), dtype=np.int64))


def _register_matrix(name: str, values: List[Any]) -> np.ndarray:
    """One register's values over all shots -> (shots, width) bits; ``None`` = absent."""
    if None not in values:
        try:  # the common case: equal-length lists of 0/1 -> one numpy conversion
            matrix = np.array(values)
        except ValueError:
            matrix = None
        if (
            matrix is not None
            and matrix.ndim == 2
            and matrix.dtype.kind in "iub"
            and (matrix.size == 0 or (matrix.min() >= 0 and matrix.max() <= 1))
        ):
            return matrix.astype(np.uint8)
    rows: List[List[int]] = []
    for s, value in enumerate(values):
        try:
            rows.append([] if value is None else _bits(value))
        except ValueError as err:
            raise IonQJobError(f"malformed shots data: shot {s} register {name!r}: {err}") from None
    return _matrix(rows)


def _parse_v2(entries: Sequence[Any]) -> ShotTable:
    n = len(entries)
    columns: Dict[str, List[Any]] = {}
    leaks: List[Any] = [None] * n
    for s, entry in enumerate(entries):
        registers = entry.get("registers") if isinstance(entry, dict) else None
        if not isinstance(registers, dict):
            raise IonQJobError(
                f"malformed shots data: shot {s} is not an object with a 'registers' object"
            )
        leaks[s] = entry.get(LEAKAGE_KEY, registers.get(LEAKAGE_KEY))
        for name, value in registers.items():
            column = columns.get(name)
            if column is None:
                column = columns[name] = [None] * n
            column[s] = value
    columns.pop(LEAKAGE_KEY, None)
    leakage = np.zeros(n, dtype=np.int64)
    for s, leak in enumerate(leaks):
        if leak:
            try:
                leakage[s] = _leak_value(leak)
            except ValueError as err:
                raise IonQJobError(f"malformed shots data: shot {s} {LEAKAGE_KEY}: {err}") from None
    missing = sorted(name for name, column in columns.items() if None in column)
    matrices = {name: _register_matrix(name, column) for name, column in columns.items()}
    return ShotTable(matrices, leakage, missing)


def parse_shots(payload: Any, num_qubits: int = 0) -> ShotTable:
    """Parse a v1 or v2 shots payload (see the module docstring).

    Args:
        payload: the decoded JSON: a v1 array, a v2 ``{"shots": [...]}`` object, or the v2
            array of shot objects.
        num_qubits: width of a v1 shot (bits above the highest set one read as 0).

    Raises:
        IonQJobError: the payload is not a shots payload.
    """
    if isinstance(payload, dict):
        entries = payload.get("shots")
        if not isinstance(entries, list):
            raise IonQJobError("malformed shots data: expected a 'shots' array")
    elif isinstance(payload, list):
        entries = payload
    else:
        raise IonQJobError(f"malformed shots data: {type(payload).__name__} is not an array")
    if entries and isinstance(entries[0], dict):
        return _parse_v2(entries)
    return _parse_v1(entries, num_qubits)


def register_sources(program_labels: Sequence[Sequence[Any]]) -> List[Source]:
    """Sources of an OpenQASM 3 job's classical bits: ``[register, index]`` per clbit."""
    return [(str(label[0]), int(label[1])) for label in program_labels]


def qubit_sources(meas_map: Sequence[Optional[int]]) -> List[Source]:
    """Sources of a JSON-circuit job's classical bits: the measured qubit in ``output_all``."""
    return [None if q is None else (OUTPUT_ALL, int(q)) for q in meas_map]


class ShotExperimentData(ExperimentData):
    """:class:`ExperimentData` whose ``memory`` is the API's own shot sequence."""

    def __init__(self, *, shot_values: np.ndarray, **fields: Any) -> None:
        super().__init__(**fields)
        self.shot_values = shot_values

    @cached_property
    def memory(self) -> List[str]:  # type: ignore[override]
        """Per-shot outcomes as hex strings, in the order the API returned the shots."""
        uniques, inverse = np.unique(self.shot_values, return_inverse=True)
        hex_keys = np.array([hex(v) for v in uniques.tolist()], dtype=object)
        return list(hex_keys[inverse.reshape(-1)].tolist())


def _column(table: ShotTable, source: Source, warned: List[str]) -> np.ndarray:
    shots = table.num_shots
    if source is None:
        return np.zeros(shots, dtype=np.uint64)
    name, index = source
    matrix = table.registers.get(name)
    if matrix is None:
        if name not in warned:
            warned.append(name)
        return np.zeros(shots, dtype=np.uint64)
    if index >= matrix.shape[1]:
        return np.zeros(shots, dtype=np.uint64)
    return matrix[:, index].astype(np.uint64)


def build_shot_experiment(
    table: ShotTable,
    *,
    header: Mapping[str, Any],
    sources: Sequence[Source],
    seed: Optional[int] = None,
) -> Tuple[ShotExperimentData, LeakageReport]:
    """Turn one circuit's per-shot data into Qiskit-formatted counts and memory.

    Args:
        table: from :func:`parse_shots`.
        header: the circuit's experiment header (``memory_slots``, ``creg_sizes``).
        sources: for each classical bit, the (register, bit) it is read from or ``None``
            (never measured: reads 0); see :func:`register_sources` / :func:`qubit_sources`.
        seed: kept on the data (``sampler_seed``), not used for drawing.

    Returns:
        The experiment data (counts sum to the kept shots; ``memory`` in shot order) and the
        leakage report.

    Raises:
        IonQJobError: more than 64 classical bits, or sources that do not fit the header.
    """
    full = dict(header)
    slots = int(full.get("memory_slots") or len(sources))
    if slots != len(sources):
        raise IonQJobError(
            f"the experiment header declares {slots} classical bits but {len(sources)} "
            "sources were given; the job's metadata does not match its registers"
        )
    if slots > _MAX_CLBITS:
        raise IonQJobError(
            f"{slots} classical bits do not fit the per-shot decoder (at most {_MAX_CLBITS})"
        )
    full["memory_slots"] = slots
    full.setdefault("creg_sizes", [])
    layout = key_layout(slots, full["creg_sizes"] or [])
    shown = {c for c in layout if c is not None}
    warned: List[str] = []
    values = np.zeros(table.num_shots, dtype=np.uint64)
    for j, source in enumerate(sources):
        if j in shown:  # a bit no key character shows is merged, as for histograms
            values |= _column(table, source, warned) << np.uint64(j)
    for name in sorted(set(warned) | (set(table.missing) & {s[0] for s in sources if s})):
        warnings.warn(
            f"The per-shot results lack classical register {name!r} in some or all shots; "
            "its bits read as 0.",
            UserWarning,
            stacklevel=3,
        )
    leaked = np.flatnonzero(table.leakage)
    report = LeakageReport(
        total_shots=table.num_shots,
        leaked_shots=int(len(leaked)),
        leaked_indices=tuple(leaked.tolist()),
        leakage_bits=tuple(table.leakage[leaked].tolist()),
    )
    kept = values[table.leakage == 0]
    uniques, counts = np.unique(kept, return_counts=True)
    total = int(counts.sum())
    data = ShotExperimentData(
        shot_values=kept,
        header=full,
        shots=total,
        values=uniques,
        outcome_probabilities=counts / total if total else counts.astype(float),
        outcome_counts=counts.astype(np.int64),
        compressed=uniques,
        layout=layout if slots else [],
        sources={j: j for j in sorted(shown)},
        seed=seed,
    )
    return data, report
