"""A job's histogram as two arrays, and its ``/results`` JSON written in pieces.

A dense ideal histogram of ``m`` qubits has ``2**m`` entries. As a Python dict of decimal
strings to floats that is ~110 bytes per entry (26 qubits: over 7 GiB, and the JSON encoder
then holds the GIL for the whole body); as arrays it is 16 bytes per entry, or 8 when the
keys are simply ``0 .. 2**m - 1`` (they are not stored then).

:class:`Histogram` is a read-only ``Mapping[str, float]`` (decimal keys in ascending
order), so code and tests that treat a histogram as a dict keep working; the encoder writes
it straight from the arrays, a slice at a time, releasing the GIL between slices.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any, Dict, Iterator, List, Optional

import numpy as np

__all__ = ["Histogram", "encode_plain", "iter_results_json", "results_json_size_hint"]

_ENCODER = json.JSONEncoder(separators=(",", ":"), check_circular=False)


def encode_plain(value: Any) -> bytes:
    """Compact JSON bytes of plain JSON data (the C encoder; floats by ``repr``)."""
    return _ENCODER.encode(value).encode()


_SLICE = 1 << 15  # entries per encoded slice (~1 MB of JSON)


class Histogram(Mapping):  # type: ignore[type-arg]
    """Outcome probabilities: ``keys`` (ascending int64 basis indices, or ``None`` for all of
    ``0 .. len(probs) - 1``) and ``probs`` (float64). Immutable once built.

    Args:
        probs: probabilities, one per key.
        keys: ascending distinct basis indices; ``None`` means ``arange(len(probs))``.
    """

    __slots__ = ("_keys", "_probs")

    def __init__(self, probs: np.ndarray, keys: Optional[np.ndarray] = None) -> None:
        probs = np.ascontiguousarray(probs, dtype=np.float64)
        if keys is not None:
            keys = np.ascontiguousarray(keys, dtype=np.int64)
            if keys.shape != probs.shape:
                raise ValueError("keys and probs differ in length")
            if len(keys) > 1 and not bool(np.all(keys[1:] > keys[:-1])):
                order = np.argsort(keys, kind="stable")
                keys, probs = keys[order], probs[order]
            if len(keys) and keys[0] == 0 and keys[-1] == len(keys) - 1:
                keys = None  # ascending, distinct and spanning 0..n-1: the implicit range
        probs.setflags(write=False)
        if keys is not None:
            keys.setflags(write=False)
        self._keys, self._probs = keys, probs

    @classmethod
    def from_dict(cls, histogram: Dict[str, float]) -> Histogram:
        """A histogram from a ``{"index": probability}`` dict."""
        keys = np.fromiter((int(k) for k in histogram), dtype=np.int64, count=len(histogram))
        probs = np.fromiter(histogram.values(), dtype=np.float64, count=len(histogram))
        return cls(probs, keys)

    @property
    def keys_array(self) -> np.ndarray:
        """The basis indices as an int64 array (built when implicit)."""
        if self._keys is None:
            return np.arange(len(self._probs), dtype=np.int64)
        return self._keys

    @property
    def probs(self) -> np.ndarray:
        """The probabilities (read-only float64 array)."""
        return self._probs

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays."""
        return int(self._probs.nbytes + (0 if self._keys is None else self._keys.nbytes))

    def __len__(self) -> int:
        return len(self._probs)

    def __iter__(self) -> Iterator[str]:
        for start in range(0, len(self._probs), _SLICE):
            stop = min(start + _SLICE, len(self._probs))
            keys = range(start, stop) if self._keys is None else self._keys[start:stop].tolist()
            yield from map(str, keys)

    def _index(self, key: Any) -> int:
        if not isinstance(key, str) or not key.isdecimal() or not key.isascii():
            return -1
        value = int(key)
        if self._keys is None:
            return value if value < len(self._probs) else -1
        i = int(np.searchsorted(self._keys, value))
        return i if i < len(self._keys) and int(self._keys[i]) == value else -1

    def __getitem__(self, key: str) -> float:
        i = self._index(key)
        if i < 0:
            raise KeyError(key)
        return float(self._probs[i])

    def __contains__(self, key: object) -> bool:
        return self._index(key) >= 0

    def __repr__(self) -> str:
        return f"Histogram({len(self)} entries)"

    def __reduce__(self) -> Any:
        return (Histogram, (self._probs, self._keys))

    # ------------------------------------------------------------------ JSON
    def json_slices(self) -> Iterator[bytes]:
        """The JSON object text in slices: ``{"0":0.5,"3":0.5}`` (same bytes as ``json.dumps``
        with compact separators: keys in ascending order, floats by ``repr``)."""
        yield b"{"
        n = len(self._probs)
        for start in range(0, n, _SLICE):
            stop = min(start + _SLICE, n)
            keys = range(start, stop) if self._keys is None else self._keys[start:stop].tolist()
            # The C encoder writes ["k0",p0,"k1",p1,...]; a key is the only thing followed by
            # '",' (floats hold no quote), so turning those into '":' gives the object text.
            items: List[Any] = [None] * (2 * (stop - start))
            items[0::2] = map(str, keys)
            items[1::2] = self._probs[start:stop].tolist()
            text = _ENCODER.encode(items)[1:-1].replace('",', '":')
            yield (text if start == 0 else "," + text).encode()
        yield b"}"

    def json_size_hint(self) -> int:
        """A cheap estimate of the encoded size in bytes (for choosing how to serve it)."""
        return 2 + 30 * len(self._probs)

    # ------------------------------------------------------------------ storage
    def to_state(self) -> Dict[str, Any]:
        """A JSON-ready form for a store file (arrays as base64 of their bytes)."""
        state: Dict[str, Any] = {"probs": base64.b64encode(self._probs.tobytes()).decode()}
        if self._keys is not None:
            state["keys"] = base64.b64encode(self._keys.tobytes()).decode()
        return {"__histogram__": state}

    @classmethod
    def from_state(cls, state: Dict[str, Any]) -> Histogram:
        """Inverse of :meth:`to_state` (given the inner dict)."""
        probs = np.frombuffer(base64.b64decode(state["probs"]), dtype="<f8").copy()
        keys = state.get("keys")
        return cls(
            probs, None if keys is None else np.frombuffer(base64.b64decode(keys), "<i8").copy()
        )


def _encode_value(value: Any) -> Iterator[bytes]:
    if isinstance(value, Histogram):
        yield from value.json_slices()
    else:
        yield encode_plain(value)


def iter_results_json(results: Any) -> Iterator[bytes]:
    """The ``/results`` body of ``results`` (a histogram, or ``{child id: histogram}``) in
    slices; plain dicts and :class:`Histogram` values may be mixed."""
    if isinstance(results, Histogram):
        yield from results.json_slices()
        return
    if not any(isinstance(v, Histogram) for v in results.values()):
        yield from _encode_value(results)
        return
    yield b"{"
    for i, (key, value) in enumerate(results.items()):
        yield (b"," if i else b"") + encode_plain(key) + b":"
        yield from _encode_value(value)
    yield b"}"


def results_json_size_hint(results: Any) -> int:
    """Estimated byte size of :func:`iter_results_json` output."""
    if isinstance(results, Histogram):
        return results.json_size_hint()
    if isinstance(results, dict):
        return sum(
            v.json_size_hint() if isinstance(v, Histogram) else 30 * len(v) + 50
            for v in results.values()
            if isinstance(v, (Histogram, dict))
        ) + 30 * len(results)
    return 64
