"""Constants shared by every layer: vendor statuses, enums, targets and limits.

A leaf module: it imports nothing from this package, so every other module may import it.
"""

from __future__ import annotations

import enum
from types import MappingProxyType
from typing import Mapping

from qiskit.providers.jobstatus import JobStatus

DEFAULT_API_URL = "https://api.ionq.co/v0.3"
TOKEN_ENV_VARS = ("QISKIT_IONQ_API_TOKEN", "IONQ_API_KEY", "IONQ_API_TOKEN")
URL_ENV_VARS = ("QISKIT_IONQ_API_URL", "IONQ_API_URL")


class APIJobStatus(str, enum.Enum):
    """Job statuses as the IonQ API v0.3 spells them (note ``canceled``, one "l")."""

    SUBMITTED = "submitted"
    READY = "ready"
    RUNNING = "running"
    CANCELED = "canceled"
    COMPLETED = "completed"
    FAILED = "failed"


class JobStatusMap(enum.Enum):
    """Vendor status (the enum name) -> Qiskit ``JobStatus`` (the value)."""

    SUBMITTED = JobStatus.INITIALIZING
    READY = JobStatus.QUEUED
    RUNNING = JobStatus.RUNNING
    CANCELED = JobStatus.CANCELLED
    COMPLETED = JobStatus.DONE
    FAILED = JobStatus.ERROR


FINAL_API_STATUSES = frozenset({"completed", "failed", "canceled"})


class AggregationType(str, enum.Enum):
    """How the results of a debiased (error-mitigated) QPU job are aggregated.

    ``AVERAGE`` averages the symmetrized variants' distributions; ``PLURALITY`` keeps each
    variant's most frequent outcome (the API's ``sharpen=true``).
    """

    AVERAGE = "average"
    PLURALITY = "plurality"


class ErrorMitigation(enum.Enum):
    """Error-mitigation choices, serialized as the API's ``error_mitigation`` object."""

    DEBIASING = {"debias": True}
    NO_DEBIASING = {"debias": False}


# Qubits per target (docs/reference/ionq-api.md §3.7). "simulator" is IonQ's ideal simulator.
TARGET_QUBITS: Mapping[str, int] = MappingProxyType(
    {
        "simulator": 29,
        "qpu": 25,
        "qpu.harmony": 11,
        "qpu.aria-1": 25,
        "qpu.aria-2": 25,
        "qpu.forte-1": 36,
        "qpu.forte-enterprise-1": 36,
    }
)
# Noise models of the cloud simulator (ionq-api.md §3.5) and their qubit ceilings.
NOISE_MODEL_QUBITS: Mapping[str, int] = MappingProxyType(
    {
        "ideal": 29,
        "harmony": 11,
        "aria-1": 25,
        "aria-2": 25,
        "forte-1": 29,
        "forte-enterprise-1": 29,
    }
)
NOISE_MODELS = tuple(NOISE_MODEL_QUBITS)

# Shot limits. The API documents a minimum of 1 and no maximum; we cap at a value far
# above any real use so that a typo (shots=10**12) is caught before anything is billed.
MIN_SHOTS = 1
MAX_SHOTS = 1_000_000

# Metadata limits (ionq-api.md §3.4): we enforce the documented 10 keys, 40-char key names and
# 40,000-char values. The older "400 chars" is an outdated example (qiskit-ionq dropped that
# check in 0.4.7 when the server limit was raised).
METADATA_MAX_KEYS = 10
METADATA_MAX_KEY_LENGTH = 40
METADATA_MAX_VALUE_LENGTH = 40_000

# HTTP statuses worth retrying (ionq-api.md §7.3). 409 only on GET (Cloudflare's DNS error).
# 500 is deliberately absent: ionq-api.md §7.3 treats it as a real server error to report.
RETRIABLE_STATUS_CODES = frozenset({429, 502, 503, 504, *range(520, 530)})
RETRIABLE_GET_ONLY_STATUS_CODES = frozenset({409})

# Metadata key holding our client-generated submission id (exactly-once submission).
SUBMISSION_ID_KEY = "qiskit_ionq_submission_id"


def get_n_qubits(backend_name: str, fallback: int = 100) -> int:
    """Qubits of a target named like ``ionq_qpu.aria-1``, ``qpu.forte-1`` or ``simulator``.

    A static table (ionq-api.md §3.7): answering needs no request, so it can never hang.
    """
    name = str(backend_name)
    name = name[len("ionq_") :] if name.startswith("ionq_") else name
    return TARGET_QUBITS.get(name, fallback)
