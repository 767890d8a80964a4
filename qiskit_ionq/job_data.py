"""What the client accepts from a server about a job: checked before anything is built from it.

A job object and its results come from the network, and a server (a buggy proxy, another
tool, someone serving hostile data on the URL a user was given) can send anything: a
``qiskit_header`` that is a 2 MB gzip bomb, a 72-character header claiming
``memory_slots=3e8`` (allocating a list of 300 million key positions), ``children`` that is a
number, bad base64. Every such case must end in an :class:`~qiskit_ionq.exceptions.IonQJobError`
that says which field was wrong, never a ``KeyError``/``binascii.Error``/``MemoryError``
(or an exhausted machine).

* :func:`decode_header` decompresses the stored Qiskit header (JSON -> gzip -> base64, written
  by :func:`qiskit_ionq.serializer.compress_dict_to_metadata_string`) with a hard size cap.
* :func:`check_header` validates every header field the result builder reads against the
  job's own registers, BEFORE anything is allocated from them.
* :func:`check_job` validates the job object's fields (types and shapes) once per fetch.

Pure: no I/O.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import zlib
from typing import Any, Dict, List, Mapping, Optional, Sequence

from .exceptions import IonQJobError

__all__ = [
    "MAX_CLBITS",
    "MAX_HEADER_BYTES",
    "MAX_QUBITS",
    "check_header",
    "check_job",
    "decode_header",
    "derived_sampler_seed",
    "header_list",
    "results_size_bound",
]

#: Decompressed size cap of a stored header. A header holds register sizes and bit labels
#: (~15 bytes per bit) and the circuit's own metadata; the vendor caps a metadata value at
#: 40,000 characters, which compresses from at most a few MB of JSON.
MAX_HEADER_BYTES = 8 << 20
#: Classical bits one circuit's results may show: each count key is this many characters.
MAX_CLBITS = 1 << 14
#: Vendor histogram keys are read as 64-bit integers.
MAX_QUBITS = 64


def _bad(where: str, problem: str) -> IonQJobError:
    return IonQJobError(
        f"The server sent malformed job data for {where}: {problem}. The job's data cannot be "
        "trusted; check the API URL (is this an IonQ API?) and report it if it is."
    )


# --------------------------------------------------------------------------------------------
# The stored Qiskit header
# --------------------------------------------------------------------------------------------
def decode_header(blob: Any, where: str = "the job", max_bytes: int = MAX_HEADER_BYTES) -> Any:
    """base64 -> gunzip (at most ``max_bytes``) -> JSON value, every failure an IonQJobError.

    Args:
        blob: the ``qiskit_header`` metadata value (text).
        where: names the job in error messages.
        max_bytes: decompressed size cap.

    Raises:
        IonQJobError: not text, not base64, not gzip (or truncated), larger than
            ``max_bytes`` once decompressed, not UTF-8 JSON.
    """
    if not isinstance(blob, (str, bytes)):
        raise _bad(where, f"qiskit_header is a {type(blob).__name__}, expected a string")
    try:
        compressed = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError) as err:
        raise _bad(where, f"qiskit_header is not valid base64 ({err})") from None
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip framing only
    try:
        raw = inflater.decompress(compressed, max_bytes + 1)
    except zlib.error as err:
        raise _bad(where, f"qiskit_header is not valid gzip data ({err})") from None
    if len(raw) > max_bytes or inflater.unconsumed_tail:
        raise _bad(
            where,
            f"qiskit_header decompresses to more than {max_bytes:,} bytes (a compression bomb?)",
        )
    if not inflater.eof:
        raise _bad(where, "qiskit_header is truncated gzip data")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise _bad(where, f"qiskit_header is not valid JSON ({err})") from None


def _int_field(
    header: Mapping[str, Any], key: str, where: str, low: int, high: int
) -> Optional[int]:
    value = header.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(where, f"header field {key} is {value!r}, expected an integer")
    if not low <= value <= high:
        raise _bad(where, f"header field {key}={value} is outside {low}..{high}")
    return value


def _sizes(header: Mapping[str, Any], key: str, where: str, limit: int) -> None:
    sizes = header.get(key)
    if sizes is None:
        return
    if not isinstance(sizes, list) or len(sizes) > limit + 16:
        raise _bad(where, f"header field {key} must be a list of [name, size] pairs")
    for entry in sizes:
        if (
            not isinstance(entry, list)
            or len(entry) != 2
            or not isinstance(entry[0], str)
            or isinstance(entry[1], bool)
            or not isinstance(entry[1], int)
            or not 0 <= entry[1] <= limit
        ):
            raise _bad(where, f"header field {key} has an invalid entry {str(entry)[:80]}")


def _labels(header: Mapping[str, Any], key: str, where: str, count: Optional[int]) -> None:
    labels = header.get(key)
    if labels is None:
        return
    if not isinstance(labels, list) or (count is not None and len(labels) != count):
        raise _bad(where, f"header field {key} must be a list with one entry per bit")


def check_header(
    header: Any,
    where: str = "the job",
    num_qubits: Optional[int] = None,
    num_clbits: Optional[int] = None,
) -> Optional[Dict[str, Any]]:
    """Validate one circuit's header against the job's registers; return it (or None).

    Args:
        header: the decoded header (a JSON object), or None.
        where: names the job/circuit in error messages.
        num_qubits: the job's qubit count, when the server gave it.
        num_clbits: the classical bits the job's measurement map has, when known.

    Raises:
        IonQJobError: a field of the wrong type, or a size that the job's registers
            contradict (or beyond :data:`MAX_CLBITS`/:data:`MAX_QUBITS`).
    """
    if header is None:
        return None
    if not isinstance(header, dict):
        raise _bad(where, f"the experiment header is a {type(header).__name__}, expected an object")
    qubit_limit = MAX_QUBITS if num_qubits is None else max(num_qubits, 0)
    clbit_limit = MAX_CLBITS if num_clbits is None else num_clbits
    n_qubits = _int_field(header, "n_qubits", where, 0, qubit_limit)
    slots = _int_field(header, "memory_slots", where, 0, clbit_limit)
    if num_clbits is not None and slots is not None and slots != num_clbits:
        raise _bad(
            where,
            f"the header declares {slots} classical bits but the job's measurement map has "
            f"{num_clbits}",
        )
    _sizes(header, "creg_sizes", where, clbit_limit if slots is None else slots)
    _sizes(header, "qreg_sizes", where, qubit_limit if n_qubits is None else n_qubits)
    _labels(header, "clbit_labels", where, slots)
    _labels(header, "qubit_labels", where, n_qubits)
    name = header.get("name")
    if name is not None and not isinstance(name, str):
        raise _bad(where, f"header field name is {name!r}, expected a string")
    phase = header.get("global_phase")
    if phase is not None and (
        isinstance(phase, bool) or not isinstance(phase, (int, float)) or not math.isfinite(phase)
    ):
        raise _bad(where, f"header field global_phase is {phase!r}, expected a finite number")
    metadata = header.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise _bad(where, "header field metadata must be an object")
    return header


# --------------------------------------------------------------------------------------------
# The job object
# --------------------------------------------------------------------------------------------
_OBJECT_FIELDS = ("metadata", "failure", "warning", "noise", "registers", "settings")
_NUMBER_FIELDS = ("execution_time", "request", "response", "predicted_execution_time")


def _count(data: Mapping[str, Any], key: str, where: str) -> Optional[int]:
    """An integer field that may arrive as a number or a decimal string."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _bad(where, f"field {key} is {value!r}, expected a non-negative integer")
    return value


def check_job(data: Any, job_id: str) -> Dict[str, Any]:
    """Validate the job object ``GET /jobs/{id}`` returned; return it.

    Checks every field the job and result code read: its type, and the element types of
    ``children`` and ``registers.meas_mapped``. Unknown fields are left alone.

    Raises:
        IonQJobError: naming the field and what was wrong.
    """
    where = f"job {job_id}"
    if not isinstance(data, dict):
        raise _bad(where, f"the job is a JSON {type(data).__name__}, expected an object")
    status = data.get("status")
    if not isinstance(status, str):
        raise _bad(where, f"field status is {status!r}, expected a string")
    for key in _OBJECT_FIELDS:
        value = data.get(key)
        if value is not None and not isinstance(value, dict):
            raise _bad(where, f"field {key} is a {type(value).__name__}, expected an object")
    for key in _NUMBER_FIELDS:
        value = data.get(key)
        if value is not None and (isinstance(value, bool) or not _is_number(value)):
            raise _bad(where, f"field {key} is {value!r}, expected a number")
    for key in ("qubits", "circuits", "shots"):
        _count(data, key, where)
    children = data.get("children")
    if children is not None and (
        not isinstance(children, list) or not all(isinstance(c, str) and c for c in children)
    ):
        raise _bad(where, "field children must be a list of job ids")
    metadata = data.get("metadata") or {}
    for key, value in metadata.items():
        if not isinstance(value, str):
            raise _bad(where, f"metadata value {key!r} is {type(value).__name__}, expected text")
    messages = (data.get("warning") or {}).get("messages")
    if messages is not None and (
        not isinstance(messages, list) or not all(isinstance(m, str) for m in messages)
    ):
        raise _bad(where, "field warning.messages must be a list of strings")
    check_meas_map((data.get("registers") or {}).get("meas_mapped"), where)
    noise_model = (data.get("noise") or {}).get("model")
    if noise_model is not None and not isinstance(noise_model, str):
        raise _bad(where, "field noise.model must be a string")
    return data


def check_meas_map(meas_map: Any, where: str) -> Optional[List[Optional[int]]]:
    """``registers.meas_mapped``: None, or a list of qubit indices / nulls."""
    if meas_map is None:
        return None
    if not isinstance(meas_map, list) or len(meas_map) > MAX_CLBITS:
        raise _bad(where, f"registers.meas_mapped must be a list of at most {MAX_CLBITS} entries")
    for entry in meas_map:
        if entry is not None and (
            isinstance(entry, bool) or not isinstance(entry, int) or not 0 <= entry < MAX_QUBITS
        ):
            raise _bad(where, f"registers.meas_mapped has an invalid entry {entry!r}")
    return meas_map


def _is_number(value: Any) -> bool:
    if isinstance(value, (int, float)):
        return math.isfinite(value)
    if isinstance(value, str):
        try:
            return math.isfinite(float(value))
        except ValueError:
            return False
    return False


def header_list(headers: Any, count: int, where: str) -> Sequence[Any]:
    """The per-circuit headers of a job of ``count`` circuits (a list, or one header)."""
    if headers is None:
        return [None] * count
    if isinstance(headers, list):
        if count > 1 and len(headers) != count:
            raise _bad(where, f"qiskit_header holds {len(headers)} headers for {count} circuits")
        return headers if count > 1 else headers[:1] or [None]
    if count > 1:
        raise _bad(where, f"qiskit_header holds one header for a job of {count} circuits")
    return [headers]


def derived_sampler_seed(job_id: str) -> int:
    """The ideal simulator's sampling seed for a job submitted without ``sampler_seed``.

    The server returns the exact distribution; counts are drawn client-side. Without a seed,
    every retrieval of the same job would draw different counts, so the seed is derived from
    the job id: stable across retrievals, processes and machines, and different per job.
    32 bits, so every sampler (``numpy.random.RandomState`` included) accepts it.
    """
    digest = hashlib.sha256(f"qiskit-ionq-sampler:{job_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


#: Bytes one histogram entry takes at most in the results JSON: a key of up to 20 digits,
#: a probability of up to 24 characters, quotes, colon, comma and spaces.
_BYTES_PER_OUTCOME = 64


def results_size_bound(data: Mapping[str, Any]) -> Optional[int]:
    """Largest results body a job can legitimately have, from its qubit and circuit counts.

    A circuit on ``n`` qubits has at most ``2**n`` outcomes; anything larger is not results
    (an endless or hostile body) and must not be buffered. None when the job does not say
    how many qubits it has, or when the bound would exceed the transport's own cap anyway.
    """
    try:
        qubits = int(data.get("qubits") or 0)
        circuits = max(1, int(data.get("circuits") or 1))
    except (TypeError, ValueError):
        return None
    if not 0 < qubits <= 30:
        return None
    return circuits * ((1 << qubits) * _BYTES_PER_OUTCOME + 1024) + 4096
