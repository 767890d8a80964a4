"""A flat vendor histogram's JSON text, parsed straight into numpy arrays.

The results of a large job are one flat JSON object, ``{"<int>": <probability>, ...}`` (fact
sheet 6.1); for 2**20 outcomes that is ~35 MB, and ``json.loads`` into a dict followed by
:func:`qiskit_ionq.histogram.parse_histogram` costs more than everything else on the results
path. This module recognises exactly that shape and yields arrays, falling back (``None``)
to the standard parser for anything else, so it never changes a result or an error message.
Pure: no I/O (the client hands it the response bytes).
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict, Iterator, Mapping, Optional

import numpy as np

from .exceptions import IonQJobError

__all__ = ["FlatHistogram", "parse_flat_histogram"]

# Exactly the JSON (RFC 8259, and Python's json module) grammar of a non-empty object whose
# keys are plain decimal-digit strings (no escapes) and whose values are numbers. Possessive
# quantifiers: one linear pass, no backtracking (~0.2 s for the 35 MB of 2**20 outcomes).
_WS = rb"[ \t\n\r]*+"
_NUMBER = rb"-?+(?:0|[1-9][0-9]*+)(?:\.[0-9]++)?+(?:[eE][+-]?+[0-9]++)?+"
_ENTRY = rb'"[0-9]++"' + _WS + rb":" + _WS + _NUMBER + _WS
_FLAT_RE = re.compile(_WS + rb"\{" + _WS + _ENTRY + rb"(?:," + _WS + _ENTRY + rb")*+\}" + _WS)
_TO_SPACES = bytes.maketrans(b'{}":,', b"     ")
# Duplicate-key check: np.bincount when the key range is small, else np.unique (as in
# histogram.py's remap, a bincount over up to 2**16 slots is always cheap).
_DENSE_MIN = 1 << 16


class FlatHistogram(Mapping[str, Any]):
    """A flat vendor histogram parsed from its JSON text straight into arrays.

    Built by :func:`parse_flat_histogram`; :func:`parse_histogram` takes it without going
    through a dictionary. It is also a read-only mapping equal to ``json.loads`` of the text
    (built on first use only: error messages and unusual callers rely on it).

    Attributes:
        outcomes: the keys as ``int64``, in the text's order (all distinct).
        probabilities: the values as ``float64`` (all finite), aligned with ``outcomes``.
    """

    __slots__ = ("outcomes", "probabilities", "_text", "_dict")

    def __init__(self, keys: np.ndarray, probs: np.ndarray, text: bytes) -> None:
        self.outcomes = keys
        self.probabilities = probs
        self._text = text
        self._dict: Optional[Dict[str, Any]] = None

    def to_dict(self) -> Dict[str, Any]:
        """``json.loads`` of the text (cached)."""
        if self._dict is None:
            self._dict = json.loads(self._text)
        return self._dict

    def __getitem__(self, key: Any) -> Any:
        return self.to_dict()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_dict())

    def __len__(self) -> int:
        return len(self.outcomes)

    def __repr__(self) -> str:
        return f"FlatHistogram({len(self.outcomes)} outcomes)"


def parse_flat_histogram(text: bytes) -> Optional[FlatHistogram]:
    """Parse the JSON text of a flat ``{"<decimal int>": <number>, ...}`` object into arrays.

    About twice as fast as ``json.loads`` (then :func:`parse_histogram`) on a large
    histogram, and it builds no dictionary. Anything else (nested multi-circuit objects, an
    empty object, escapes, invalid JSON, a BOM or another encoding, keys
    beyond int64, values that overflow a float) returns ``None``: the caller then uses
    ``json.loads``, whose result (and errors) this never contradicts. Values are converted by
    ``float()`` exactly as the ``json`` module does.

    Raises:
        IonQJobError: a key appears twice (``json.loads`` would silently keep the last).
    """
    if not isinstance(text, (bytes, bytearray)) or _FLAT_RE.fullmatch(text) is None:
        return None
    tokens = bytes(text).translate(_TO_SPACES).split()
    try:
        # object -> int64 calls int() per element in C (as parse_histogram does).
        keys = np.array(tokens[0::2], dtype=object).astype(np.int64)
    except OverflowError:
        return None
    values = tokens[1::2]
    probs = np.fromiter(map(float, values), dtype=np.float64, count=len(values))
    if not np.isfinite(probs).all():
        return None  # 1e999 or a huge integer: json.loads's own inf/int handling decides
    top = int(keys.max())
    if top < max(_DENSE_MIN, 4 * len(keys)):
        duplicated = int(np.bincount(keys).max()) > 1
    else:
        duplicated = len(np.unique(keys)) != len(keys)
    if duplicated:
        # json.loads would keep the last value of a repeated key: an outcome's probability
        # silently lost. Not results anyone should build counts from.
        raise IonQJobError(
            "The server sent malformed results: an outcome key appears twice in the histogram."
        )
    return FlatHistogram(keys, probs, bytes(text))
