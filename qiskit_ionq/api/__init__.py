"""The IonQ REST API layer: HTTP transport, retry policy, exactly-once submission, route adapters.

Everything here is below the Qiskit-facing objects and above ``requests``:

* :mod:`.transport` -- the one module that imports ``requests``: pooling, timeouts, retries,
  error wrapping;
* :mod:`.retry` -- the retry policy as data and small pure functions;
* :mod:`.submission` -- exactly-once ``POST /jobs`` (submission id, reconciliation);
* :mod:`._http_common` -- request-free helpers (User-Agent, loopback check, redaction, Reply);
* :mod:`.v03` -- the routes of IonQ API v0.3 (one adapter module per API version).

The public client stays :class:`qiskit_ionq.ionq_client.IonQClient`.
"""

from .retry import RetryPolicy

__all__ = ["RetryPolicy"]
