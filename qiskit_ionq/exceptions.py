"""The one exception tree of qiskit_ionq.

Every error this package raises is an :class:`IonQError`, itself a Qiskit ``QiskitError``,
so ``except QiskitError`` in user code keeps working. No exception from the HTTP library
escapes: the transport wraps each one into :class:`IonQClientError` (the request could not be
completed) or :class:`IonQAPIError` (the server answered with an error)::

    QiskitError
    └── IonQError
        ├── IonQCredentialsError              no token, or the server refused it
        ├── IonQClientError                   request never completed (network, TLS, bad JSON)
        │   └── IonQRequestTimeoutError       ... because a connect/read timeout expired
        ├── IonQAPIError                      the server answered with an error status
        │   └── IonQAuthenticationError       401/403; also an IonQCredentialsError
        ├── IonQRetriableError                internal: an IonQAPIError worth retrying
        ├── IonQBackendError                  backend misuse (bad option, unknown target)
        │   ├── IonQBackendNotFoundError      also Qiskit's QiskitBackendNotFoundError
        │   └── IonQInvalidOptionError        also ValueError: invalid run option value
        ├── IonQGateError                     also JobError, ValueError: gate not in the gateset
        ├── IonQMidCircuitMeasurementError    also JobError, ValueError: gate after a measurement
        ├── IonQPauliExponentialError         also ValueError: non-commuting pauliexp terms
        ├── IonQCircuitError                  also ValueError: other unsupported circuit content
        └── IonQJobError                      also qiskit JobError
            ├── IonQJobFailureError           the vendor says the job failed
            ├── IonQJobStateError             the job is in the wrong state (e.g. cancelled)
            └── IonQJobTimeoutError           also qiskit JobTimeoutError

All of them pickle and unpickle to an equal exception (``__reduce__`` below), which matters
for ``multiprocessing`` and for notebooks that cache outputs. None of them ever holds the API
token: the transport builds messages from the response, never from the request headers.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Tuple

from qiskit.exceptions import QiskitError
from qiskit.providers.exceptions import JobError, JobTimeoutError, QiskitBackendNotFoundError

__all__ = [
    "IonQError",
    "IonQCredentialsError",
    "IonQClientError",
    "IonQRequestTimeoutError",
    "IonQSubmissionUnknownError",
    "IonQAPIError",
    "IonQAuthenticationError",
    "IonQRetriableError",
    "IonQBackendError",
    "IonQBackendNotFoundError",
    "IonQInvalidOptionError",
    "IonQGateError",
    "IonQMidCircuitMeasurementError",
    "IonQPauliExponentialError",
    "IonQCircuitError",
    "IonQJobError",
    "IonQJobFailureError",
    "IonQJobStateError",
    "IonQJobTimeoutError",
    "IonQAPIVersionError",
    "IonQCostLimitError",
]


class IonQError(QiskitError):
    """Base class for every error raised by qiskit_ionq."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"

    def __reduce__(self) -> Any:
        # QiskitError keeps ``*message`` in args; subclasses take other constructor
        # arguments, so rebuild from the message and restore every attribute afterwards.
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.__dict__ == self.__dict__  # type: ignore[union-attr]

    __hash__ = Exception.__hash__


def _rebuild_retriable(cls: type, cause: Any, state: dict) -> IonQError:
    exc: IonQError = cls(cause)
    exc.__dict__.update(state)
    return exc


def _rebuild(cls: type, message: str, state: dict) -> IonQError:
    exc: IonQError = IonQError.__new__(cls)
    Exception.__init__(exc, message)
    exc.__dict__.update(state)
    return exc


class IonQCredentialsError(IonQError):
    """No API token was found, or the server refused the one given."""


class IonQClientError(IonQError):
    """A request could not be completed: connection, TLS, proxy or invalid JSON response."""


class IonQRequestTimeoutError(IonQClientError):
    """A connect or read timeout expired."""


class IonQSubmissionUnknownError(IonQClientError):
    """A job submission failed ambiguously and the job could not be found (yet).

    The job may exist, or appear later; resubmitting could run it twice. ``submission_id``
    is the value of the job's ``qiskit_ionq_submission_id`` metadata, to look it up with
    ``qiskit-ionq job find <submission_id>`` or ``client.find_job(submission_id)``.
    """

    def __init__(self, message: str = "", submission_id: str = "") -> None:
        super().__init__(message)
        self.submission_id = submission_id


class IonQAPIError(IonQError):
    """The IonQ API answered with an error status.

    ``IonQAPIError(message, status_code, headers, body, error_type)``: positional in that
    order, as code written for earlier qiskit-ionq releases builds it; every field is stored
    exactly as given, whatever its type.

    Attributes:
        status_code: the HTTP status.
        headers: response headers (never the request's, which hold the token).
        body: the response body as text.
        error_type: the vendor's error name or type (``"Bad Request"``, ``"internal_error"``...).
    """

    def __init__(
        self,
        message: str = "",
        status_code: Any = None,
        headers: Any = None,
        body: Any = None,
        error_type: Any = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.headers = headers
        self.body = body
        self.error_type = error_type

    def __str__(self) -> str:
        text = f"{self.message} (HTTP {self.status_code}, {self.error_type})"
        if self.message == NO_ERROR_DETAILS and isinstance(self.body, str) and self.body.strip():
            # A body that carried no readable error (an HTML 502 page, say) is still what
            # tells the user what happened: show its start.
            text += f"; response body: {' '.join(self.body.split())[:200]}"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, status_code={self.status_code!r}, "
            f"error_type={self.error_type!r})"
        )

    @classmethod
    def from_response(cls, response: Any) -> IonQAPIError:
        """Build an error from a response-like object (``status_code``, ``headers``, ``text``,
        ``json()``).

        The body is read with ``response.json()``; a body that does not decode counts as
        empty. Which fields are read follows the vendor's error shapes:

        * ``{"code": ..., "message": ...}``: only ``message`` is read;
        * ``{"statusCode": ..., "error": "<type>", "message": ...}``: message and type;
        * ``{"error": {"type": ..., "message": ...}}``: the error object's fields;
        * ``{"error": "<type>", "message": ...}`` (no statusCode): read like the second.

        Missing values default to ``"No error details provided."`` and ``"internal_error"``.
        ``body`` is ``response.text`` and ``headers`` is ``response.headers``, unchanged.
        """
        try:
            data = response.json()
        except Exception:  # any decode failure (ValueError, our IonQClientError...) = empty
            data = {}
        message, error_type = _error_fields(data if isinstance(data, dict) else {})
        text = getattr(response, "text", None)
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        return cls(
            message or NO_ERROR_DETAILS,
            getattr(response, "status_code", None),
            getattr(response, "headers", None),
            text,
            error_type or "internal_error",
        )

    @classmethod
    def raise_for_status(cls, response: Any) -> None:
        """Return ``None`` when ``response`` succeeded, else raise the matching error.

        Success is status 200 below Qiskit 2 and any status below 400 from Qiskit 2 on (the
        behaviour of the qiskit-ionq release line for that Qiskit). A retriable status (also
        per line; 409 only when the request was a GET) raises :class:`IonQRetriableError`
        wrapping the API error; anything else raises the API error itself (401/403 as
        :class:`IonQAuthenticationError`, whose message says how to fix the token).
        """
        from ._qiskit_compat import EARLIER_RELEASE  # imports Qiskit; exceptions stays light

        status = getattr(response, "status_code", None)
        if isinstance(status, int) and EARLIER_RELEASE.is_success(status):
            return None
        error = cls.from_response(response)
        if status in (401, 403) and cls is IonQAPIError:
            error = IonQAuthenticationError.from_response(response)
        method = str(getattr(getattr(response, "request", None), "method", "") or "").upper()
        if status in EARLIER_RELEASE.retriable_statuses or (status == 409 and method == "GET"):
            raise IonQRetriableError(error)
        raise error


#: ``IonQAPIError.message`` when the response said nothing readable.
NO_ERROR_DETAILS = "No error details provided."


def _error_fields(data: Mapping[str, Any]) -> Tuple[Optional[str], Optional[str]]:
    """``(message, error_type)`` of a decoded error body (``None`` where it has none)."""
    if "code" in data:
        return _text(data.get("message")), None
    if "statusCode" in data:
        return _text(data.get("message")), _text(data.get("error"))
    error = data.get("error")
    if isinstance(error, Mapping):
        return _text(error.get("message")), _text(error.get("type"))
    if isinstance(error, str):  # {"error": "Bad Request", "message": ...} without statusCode
        return _text(data.get("message")) or error, error
    return _text(data.get("message")), None


def _text(value: Any) -> Optional[str]:
    return None if value is None or value == "" else str(value)


class IonQAuthenticationError(IonQAPIError, IonQCredentialsError):
    """The server refused the API token (HTTP 401 or 403)."""

    def __str__(self) -> str:
        return (
            f"The IonQ API refused the API token (HTTP {self.status_code}: {self.message}). "
            "Check QISKIT_IONQ_API_TOKEN (or the token= argument) and that the key is active."
        )


class IonQRetriableError(IonQError):
    """An :class:`IonQAPIError` worth retrying, wrapped.

    The API error is the wrapper's cause (``__cause__``, also ``_cause`` and ``cause``), and
    the wrapper copies its message. Users see the API error itself once retries are
    exhausted.
    """

    def __init__(self, cause: Any = None) -> None:
        message = getattr(cause, "message", None)
        super().__init__(
            message if isinstance(message, str) else (str(cause) if cause else "retriable error")
        )
        self.cause = cause
        self._cause = cause
        if isinstance(cause, BaseException):
            self.__cause__ = cause

    def __reduce__(self) -> Any:
        return (_rebuild_retriable, (type(self), self.cause, dict(self.__dict__)))


class IonQBackendError(IonQError):
    """The backend was misused: unknown target, invalid configuration or option."""


class IonQBackendNotFoundError(IonQBackendError, QiskitBackendNotFoundError):
    """No backend has that name; also Qiskit's ``QiskitBackendNotFoundError``.

    A subclass so that ``str(error)`` is the message itself: Qiskit's own exception prints
    its message wrapped in quotes.
    """


class IonQInvalidOptionError(IonQBackendError, ValueError):
    """A run option has an invalid value (shots, noise model, ...)."""


_NON_UNITARY = frozenset({"reset", "initialize", "set_density_matrix", "save_statevector"})


class IonQGateError(IonQError, JobError, ValueError):
    """A gate is not supported by the chosen gateset (also a Qiskit ``JobError``).

    Attributes:
        gate_name: the Qiskit instruction name.
        gateset: ``"qis"`` or ``"native"``.
    """

    def __init__(self, gate_name: str = "", gateset: str = "qis") -> None:
        other = "native" if gateset == "qis" else "qis"
        if gate_name in _NON_UNITARY:
            message = (
                f"IonQ does not support {gate_name!r}: every qubit starts in |0> and is measured "
                "once at the end. Remove the instruction; to prepare a state, use "
                "qiskit.circuit.library.StatePreparation, then qiskit.transpile(circuit, backend)."
            )
        else:
            message = (
                f"IonQ does not support the gate {gate_name!r} in the {gateset!r} gateset. "
                f"Transpile the circuit for this backend first "
                f"(qiskit.transpile(circuit, backend)), or use the {other!r} gateset if the gate "
                f"belongs to it."
            )
        super().__init__(message)
        self.gate_name = gate_name
        self.gateset = gateset

    def __repr__(self) -> str:
        return f"{type(self).__name__}(gate_name={self.gate_name!r}, gateset={self.gateset!r})"


class IonQMidCircuitMeasurementError(IonQError, JobError, ValueError):
    """A gate acts on a qubit that was already measured (IonQ measures only at the end).

    Also a Qiskit ``JobError``, so ``except JobError`` written for earlier releases catches it.

    Attributes:
        qubit_index: the qubit's index in the circuit.
        gate_name: the offending instruction.
    """

    def __init__(self, qubit_index: int = 0, gate_name: str = "") -> None:
        message = (
            f"Attempting to put {gate_name!r} after a measurement on qubit {qubit_index}. "
            "IonQ measures every qubit once, at the end of the circuit: move the measurement "
            "after the last gate on that qubit."
        )
        super().__init__(message)
        self.qubit_index = qubit_index
        self.gate_name = gate_name


class IonQPauliExponentialError(IonQError, ValueError):
    """A PauliEvolutionGate cannot be sent as ``pauliexp`` (e.g. its terms do not commute)."""


class IonQCircuitError(IonQError, ValueError):
    """The circuit holds something IonQ cannot run (condition, unbound parameter, ...)."""


class IonQJobError(IonQError, JobError):
    """Base class for job errors; also a Qiskit ``JobError``."""


class IonQJobFailureError(IonQJobError):
    """The vendor reports the job as failed.

    Attributes:
        error_code: the vendor's ``failure.code`` (e.g. ``"NotEnoughQubits"``).
        error_message: the vendor's ``failure.error`` text.
    """

    def __init__(
        self, message: str = "", error_code: Optional[str] = None, error_message: str = ""
    ) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.error_message = error_message


class IonQJobStateError(IonQJobError):
    """The job is in a state that does not allow the request (e.g. results of a cancelled job)."""


class IonQJobTimeoutError(IonQJobError, JobTimeoutError):
    """Waiting for the job exceeded the timeout; also a Qiskit ``JobTimeoutError``."""


class IonQAPIVersionError(IonQInvalidOptionError):
    """A feature the client's IonQ API version does not have (e.g. sessions on v0.3).

    Attributes:
        feature: what was asked for.
        needed: the API version that has it (``"v0.4"``).
        current: the API version the client talks to.
    """

    def __init__(self, feature: str = "", needed: str = "v0.4", current: str = "v0.3") -> None:
        super().__init__(
            f'{feature}: this needs IonQ API {needed}: IonQProvider(api_version="{needed}") '
            f"(or an API URL ending in /{needed}); this provider talks to {current}."
        )
        self.feature = feature
        self.needed = needed
        self.current = current


class IonQCostLimitError(IonQInvalidOptionError):
    """A run was refused before submission: its estimated cost is over ``max_cost``.

    Attributes:
        estimate: the estimated total (``None`` when the units did not match).
        limit: the user's limit.
    """

    def __init__(
        self, message: str = "", estimate: Optional[float] = None, limit: Optional[float] = None
    ) -> None:
        super().__init__(message)
        self.estimate = estimate
        self.limit = limit
