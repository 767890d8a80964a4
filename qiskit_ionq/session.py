"""``Session``: a series of jobs on one IonQ QPU, with limits (IonQ API v0.4, beta).

IonQ sessions are in beta and offered to selected customers only
(https://docs.ionq.com/api-reference/v0.4/sessions/create-session): the API may change.

>>> with backend.session(max_jobs=5, max_minutes=30, max_cost=500) as session:
...     job = backend.run(circuit)       # carries the session's id
...     session.status()                 # "created" | "started" | "ended"

The session is created on entering the block and ended on leaving it, also when the block
raises. ``Session(backend, session_id=...)`` reopens an existing session (it is then not
ended on exit unless ``end_on_exit=True``). Only the documented fields are read: ``status``,
``active``, ``settings``, ``created_at``/``started_at``/``ended_at``.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from .api.v04_features import require_feature
from .exceptions import IonQInvalidOptionError, IonQJobStateError

__all__ = ["Session"]

logger = logging.getLogger("qiskit_ionq")


def _positive(name: str, value: Any, kind: type = int) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else int):
        raise IonQInvalidOptionError(f"{name} must be a positive {kind.__name__}, not {value!r}.")
    if value <= 0:
        raise IonQInvalidOptionError(f"{name} must be positive, got {value!r}.")
    return value


class Session:
    """An IonQ session on one QPU backend (beta on IonQ's side; see the module docstring).

    Args:
        backend: the IonQ QPU backend the session reserves.
        session_id: reopen this existing session instead of creating one.
        max_jobs: ``job_count_limit``: jobs the session accepts.
        max_minutes: ``duration_limit_min``: minutes the session lasts.
        max_cost: ``cost_limit`` value, in ``cost_unit``.
        cost_unit: ``"usd"`` (default) or ``"credit"``.
        end_on_exit: end the session when the ``with`` block ends (default: True for a
            session this object created, False for a reopened one).

    Raises:
        IonQAPIVersionError: the provider talks IonQ API v0.3 (no sessions there).
        IonQInvalidOptionError: a limit that is not a positive number.
    """

    def __init__(
        self,
        backend: Any,
        session_id: Optional[str] = None,
        *,
        max_jobs: Optional[int] = None,
        max_minutes: Optional[int] = None,
        max_cost: Optional[float] = None,
        cost_unit: str = "usd",
        end_on_exit: Optional[bool] = None,
    ) -> None:
        require_feature(backend.client, "sessions", "backend.session() / qiskit_ionq.Session")
        self.backend = backend
        self._id = None if session_id is None else str(session_id)
        self.max_jobs = _positive("max_jobs", max_jobs)
        self.max_minutes = _positive("max_minutes", max_minutes)
        self.max_cost = _positive("max_cost", max_cost, float)
        self.cost_unit = cost_unit
        self.end_on_exit = (session_id is None) if end_on_exit is None else bool(end_on_exit)
        self._details: Optional[Dict[str, Any]] = None
        self._previous: Any = None

    def __repr__(self) -> str:
        return f"<Session {self._id or '(not created)'} on {self.backend.name}>"

    @property
    def _api(self) -> Any:
        return self.backend.client.adapter

    @property
    def id(self) -> Optional[str]:
        """The session id (``None`` until created)."""
        return self._id

    # -- lifecycle ------------------------------------------------------------------------
    def create(self) -> Session:
        """Create the session on IonQ (``POST /sessions``); a no-op once it has an id."""
        if self._id is not None:
            return self
        settings: Dict[str, Any] = {}
        if self.max_jobs is not None:
            settings["job_count_limit"] = int(self.max_jobs)
        if self.max_minutes is not None:
            settings["duration_limit_min"] = int(self.max_minutes)
        if self.max_cost is not None:
            settings["cost_limit"] = {"unit": self.cost_unit, "value": self.max_cost}
        body = {"backend": self.backend.api_target, "settings": settings}
        self._details = self._api.create_session(body)
        self._id = str(self._details["id"])
        logger.info("Created session %s on %s", self._id, self.backend.api_target)
        return self

    def end(self) -> Dict[str, Any]:
        """End the session (``POST /sessions/{id}/end``); ending an ended one is harmless."""
        if self._id is None:
            raise IonQJobStateError("This session was never created, so it cannot be ended.")
        self._details = self._api.end_session(self._id)
        return dict(self._details)

    def __enter__(self) -> Session:
        self.create()
        self._previous = getattr(self.backend, "_session", None)
        self.backend._session = self
        return self

    def __exit__(self, *exc: Any) -> None:
        self.backend._session = self._previous
        if self.end_on_exit and self._id is not None:
            try:
                self.end()
            except Exception:  # never hide the error that ended the block
                if exc[0] is None:
                    raise
                logger.warning("Could not end session %s", self._id, exc_info=True)

    # -- reading --------------------------------------------------------------------------
    def details(self) -> Dict[str, Any]:
        """The session object as the API returns it (``GET /sessions/{id}``)."""
        if self._id is None:
            raise IonQJobStateError("This session has not been created yet.")
        self._details = self._api.get_session(self._id)
        return dict(self._details)

    def status(self) -> str:
        """``"created"``, ``"started"`` or ``"ended"`` (the documented ``status`` field)."""
        return str(self.details().get("status"))

    @property
    def active(self) -> bool:
        """Whether the session still accepts jobs (the documented ``active`` field)."""
        return bool(self.details().get("active"))

    def run(self, circuit: Any, **kwargs: Any) -> Any:
        """``backend.run`` inside this session."""
        return self.backend.run(circuit, session_id=self.create().id, **kwargs)

    def jobs(self, limit: Optional[int] = None) -> List[Any]:
        """The jobs run in this session, newest first (``GET /jobs?session_id=``, paged)."""
        if self._id is None:
            return []
        from .jobs_listing import list_jobs

        return list_jobs(self.backend.client, self.backend, session=self._id, limit=limit)
