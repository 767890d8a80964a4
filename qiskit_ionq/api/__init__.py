"""The IonQ REST API layer: HTTP transport, retry policy, exactly-once submission, route adapters.

Everything here is below the Qiskit-facing objects and above ``requests``:

* :mod:`.transport` -- the one module that imports ``requests``: pooling, timeouts, retries,
  error wrapping (with :mod:`._http_session`, its ``requests``-level pieces);
* :mod:`.retry` -- the retry policy as data and small pure functions;
* :mod:`.submission` -- exactly-once ``POST /jobs`` (submission id, reconciliation);
* :mod:`._http_common` -- request-free helpers (User-Agent, loopback check, redaction, Reply);
* :mod:`.adapter` -- what every adapter shares, and the capability seam;
* :mod:`.v03`, :mod:`.v04` -- one adapter per IonQ API version, both mapping to the one
  internal job view of :mod:`.jobview`;
* :mod:`.versions` -- which version a base URL (or ``api_version=``) means;
* :mod:`.catalogue` -- the backends ``GET /backends`` lists, cached, with the static table
  as the offline fallback.

The public client stays :class:`qiskit_ionq.ionq_client.IonQClient`.
"""

from typing import Dict, Type

from .adapter import BaseAdapter, Connection
from .retry import RetryPolicy
from .v03 import V03Adapter
from .v04 import V04Adapter
from .versions import DEFAULT_API_VERSION, SUPPORTED_API_VERSIONS, resolve_api

__all__ = [
    "ADAPTERS",
    "BaseAdapter",
    "DEFAULT_API_VERSION",
    "RetryPolicy",
    "SUPPORTED_API_VERSIONS",
    "make_adapter",
    "resolve_api",
]

#: The adapter class of each API version.
ADAPTERS: Dict[str, Type[BaseAdapter]] = {"v0.3": V03Adapter, "v0.4": V04Adapter}


def make_adapter(version: str, connection: Connection) -> BaseAdapter:
    """The adapter of ``version`` (a key of :data:`ADAPTERS`) on ``connection``."""
    return ADAPTERS[version](connection)
