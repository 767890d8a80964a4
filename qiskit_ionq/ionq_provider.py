"""The entry point: ``IonQProvider().get_backend("ionq_simulator")``.

Building a provider makes no request (a notebook cell that only builds a provider can never
hang); the token is checked when the first request that needs it is made.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Dict, List, Optional

from . import _qiskit_compat as compat
from .api.catalogue import UnknownBackendError
from .constants import TARGET_QUBITS
from .exceptions import IonQBackendNotFoundError
from .ionq_backend import IonQBackend, IonQQPUBackend, IonQSimulatorBackend
from .ionq_client import IonQClient, redacted, resolve_credentials
from .options import (
    check_bool,
    check_custom_headers,
    check_retry_policy,
    check_timeout,
    check_token,
)
from .version import __version__

__all__ = ["BackendList", "IonQProvider", "resolve_credentials"]

_QPU_SYSTEMS = sorted(t for t in TARGET_QUBITS if t.startswith("qpu."))
BACKEND_NAMES = ["ionq_simulator", "ionq_qpu"] + [f"ionq_{t}" for t in _QPU_SYSTEMS]


def normalize_backend_name(name: str) -> str:
    """``"simulator"`` -> ``"ionq_simulator"``, ``"qpu.aria-1"`` -> ``"ionq_qpu.aria-1"``."""
    name = str(name).strip()
    if not name.startswith("ionq_") and name.startswith(("simulator", "qpu")):
        name = f"ionq_{name}"
    return name


def is_backend_name(name: str) -> bool:
    """Whether ``name`` (normalized) names an IonQ backend: it starts like one of ours."""
    return name.startswith(("ionq_simulator", "ionq_qpu"))


class BackendList:
    """``provider.backends``: call it to list backends, or read one as an attribute.

    Calling it, ``backends(name=None, filters=None, **kwargs)``, keeps the backends whose
    name starts with ``name`` (``ionq_`` prefix optional), then applies Qiskit's
    ``filter_backends``: ``kwargs`` match configuration (then status) fields and
    ``filters`` is a predicate. ``gateset=`` chooses the gateset of the backends built.
    """

    def __init__(self, provider: IonQProvider) -> None:
        self._provider = provider

    def __call__(
        self,
        name: Optional[str] = None,
        filters: Optional[Callable[[IonQBackend], bool]] = None,
        **kwargs: Any,
    ) -> List[IonQBackend]:
        gateset = kwargs.pop("gateset", "qis")
        prefix = None if name is None else normalize_backend_name(name)
        known = self._provider._known_names()  # ours + what GET /backends lists (cached)
        names = [n for n in known if prefix is None or n.startswith(prefix)]
        if prefix is not None and not names and is_backend_name(prefix):
            names = [prefix]  # a system IonQ added after this release
        found = [self._provider._make(n, gateset) for n in names]
        return compat.filter_backends(found, filters=filters, **kwargs)

    def __getattr__(self, name: str) -> IonQBackend:
        if name in BACKEND_NAMES:
            return self._provider._make(name)
        raise AttributeError(
            f"No IonQ backend attribute {name!r}; backends are {', '.join(BACKEND_NAMES)} "
            "(use provider.get_backend('ionq_qpu.<system>') for other QPUs)."
        )

    def __dir__(self) -> List[str]:
        return sorted(set(super().__dir__()) | set(BACKEND_NAMES))

    def __repr__(self) -> str:
        return f"<IonQ backends: {', '.join(BACKEND_NAMES)}>"


class IonQProvider:
    """Hands out IonQ backends.

    Args:
        token: API key; else ``QISKIT_IONQ_API_TOKEN`` (or ``IONQ_API_KEY``) from the environment.
        url: API base URL; else ``QISKIT_IONQ_API_URL``, else ``https://api.ionq.co/v0.3``.
        custom_headers: extra HTTP headers (ours win on Authorization/Content-Type/User-Agent).
        timeout: ``(connect, read)`` seconds per request (default ``(5, 30)``).
        retry_policy: a :class:`~qiskit_ionq.api.retry.RetryPolicy` (attempts, backoff, deadline).
        allow_insecure_http: allow sending the token over plain ``http://`` to a host that
            is not this machine (refused by default).
        api_version: ``"v0.3"`` (default) or ``"v0.4"``, when the URL does not end in a
            version segment (see :class:`~qiskit_ionq.ionq_client.IonQClient`).
    """

    name = "ionq_provider"

    def __init__(
        self,
        token: Optional[str] = None,
        url: Optional[str] = None,
        custom_headers: Optional[Dict[str, str]] = None,
        *,
        timeout: Optional[Any] = None,
        retry_policy: Optional[Any] = None,
        allow_insecure_http: bool = False,
        api_version: Optional[str] = None,
    ) -> None:
        # Options are checked now, not at the first request (which may be minutes of
        # compilation later); the token is kept only in the client's redacting wrapper.
        check_token(token)
        self.credentials = resolve_credentials(token, url)
        self.credentials["token"] = redacted(check_token(self.credentials["token"]))
        self.custom_headers = check_custom_headers(custom_headers)
        self.client_options: Dict[str, Any] = {
            "retry_policy": check_retry_policy(retry_policy),
            "allow_insecure_http": check_bool("allow_insecure_http", allow_insecure_http),
        }
        if timeout is not None:
            self.client_options["timeout"] = check_timeout(timeout)
        if api_version is not None:
            self.client_options["api_version"] = api_version
        self._client: Optional[IonQClient] = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<IonQProvider url={self.credentials.get('url')!r}>"

    def __getstate__(self) -> Dict[str, Any]:
        # The token must never reach a pickle; an unpickled provider re-reads the environment.
        state = dict(self.__dict__)
        state["credentials"] = {"url": self.credentials.get("url"), "token": None}
        state["_client"] = None
        state.pop("_lock", None)
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.credentials = resolve_credentials(None, state["credentials"].get("url"))
        self.credentials["token"] = redacted(self.credentials["token"])
        self._lock = threading.Lock()

    @property
    def client(self) -> IonQClient:
        """One client (one connection pool) shared by all this provider's backends."""
        with self._lock:
            if self._client is None:
                self._client = IonQClient(
                    self.credentials.get("token"),
                    self.credentials.get("url"),
                    self.custom_headers,
                    **self.client_options,
                )
            return self._client

    def _make(self, name: str, gateset: str = "qis", **options: Any) -> IonQBackend:
        cls = IonQSimulatorBackend if name.startswith("ionq_simulator") else IonQQPUBackend
        # Our backends carry this package's version (the keyword constructor's own default
        # is "0.0.1", for backends other code builds).
        return cls(
            provider=self, name=name, gateset=gateset, backend_version=__version__, **options
        )

    def _known_names(self) -> List[str]:
        """Our names plus every backend the API lists (one cached, public request)."""
        return self.client.catalogue.names()

    @property
    def backends(self) -> BackendList:
        """The backends, as a callable object with one attribute per backend.

        ``provider.backends()`` (or ``provider.backends(name, filters, **criteria)``) lists
        them; ``provider.backends.ionq_simulator`` is one of them, as code written for
        earlier releases expects.
        """
        return BackendList(self)

    def get_backend(
        self, name: Optional[str] = None, gateset: str = "qis", **options: Any
    ) -> IonQBackend:
        """One backend by name (``ionq_`` prefix optional), gateset and default run options.

        Any name starting ``ionq_simulator`` or ``ionq_qpu`` is a backend, so a QPU IonQ adds
        later (``ionq_qpu.<system>``) works without a new release; its qubit count is then
        asked from the API. Each call returns a new backend object.
        """
        if name is None:
            raise IonQBackendNotFoundError(
                f"No backend name given; choose one of: {', '.join(BACKEND_NAMES)}."
            )
        full = normalize_backend_name(name)
        if not is_backend_name(full):
            raise IonQBackendNotFoundError(
                f"No backend matches criteria. No IonQ backend is named {name!r}; known names: "
                f"{', '.join(BACKEND_NAMES)}, or any 'ionq_qpu.<system>' (the 'ionq_' prefix "
                "may be omitted)."
            )
        if full not in BACKEND_NAMES and full.startswith("ionq_qpu."):
            try:  # a system IonQ added after this release: the API must list it
                self.client.catalogue.check_name(full)
            except UnknownBackendError as err:
                raise IonQBackendNotFoundError(f"No backend matches criteria. {err}") from None
        return self._make(full, gateset, **options)

    def jobs(
        self,
        status: Optional[str] = None,
        limit: Optional[int] = 25,
        backend: Any = None,
        session: Optional[str] = None,
    ) -> List[Any]:
        """Jobs of this API key, newest first, following the API's cursor across pages.

        Args:
            status: only jobs in this status (``submitted``, ``ready``, ``running``,
                ``completed``, ``failed``, ``canceled``).
            limit: at most this many jobs (``None``: every job; may take many requests).
            backend: only jobs on this backend (a backend or its name).
            session: only jobs of this session id (IonQ API v0.4).

        Returns:
            :class:`~qiskit_ionq.ionq_job.IonQJob` objects (their data is fetched lazily).
        """
        from .jobs_listing import list_jobs

        fallback = self.get_backend("ionq_simulator")
        return list_jobs(
            self.client,
            fallback,
            status=status,
            limit=limit,
            backend=backend,
            session=session,
            provider=self,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IonQProvider) and other.credentials == self.credentials

    __hash__ = object.__hash__


def backend_name(backend: Any) -> str:
    """The backend's name on every Qiskit line (re-exported for tools)."""
    return compat.backend_name(backend)
