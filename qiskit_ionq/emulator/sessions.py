"""The emulator's sessions (IonQ API v0.4, beta): creation, limits, ending. No HTTP here.

A session reserves a QPU for a series of jobs (https://docs.ionq.com/api-reference/v0.4/
sessions/create-session). ``POST /sessions`` takes ``{"backend", "settings": {
"job_count_limit", "duration_limit_min", "cost_limit": {"unit", "value"}}}`` and answers 201
with the session object: ``id, created_at, organization_id, backend, project_id, creator_id,
started_at, ended_at, ender_id, settings (+ expires_at), active, status`` where ``status`` is
``created | started | ended``.

Choices (IonQ does not document them):

* A session is ``created`` until its first job, then ``started``; ``ended`` after
  ``POST /sessions/{id}/end``, or by itself once a limit is reached (job count reached,
  duration over, cost limit reached).
* A job that would go over a limit, or that names an ended or unknown session, or whose
  backend is not the session's, is refused with HTTP 400 (:class:`SessionRefusal`) and is not
  created.
* The cost that counts against ``cost_limit`` is each job's estimated cost at creation.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any, Callable, Dict, List, Optional

__all__ = ["SessionRefusal", "SessionStore"]


class SessionRefusal(ValueError):
    """A request the session rules refuse; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _iso(now: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"


def _positive_int(settings: Dict[str, Any], key: str) -> Optional[int]:
    value = settings.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SessionRefusal(f"settings.{key} must be a positive integer, got {value!r}.")
    return value


class SessionStore:
    """All sessions of one emulator (thread-safe).

    Each session belongs to the API key that created it (its ``owner``, what the server's
    access check returns; ``None`` when keys are not told apart): like jobs, a session of
    another key is unknown to the caller (listed nowhere, a 404 by id, refused as a job's
    ``session_id``).

    Args:
        backends: names a session may be opened on (``qpu.*`` systems).
        clock: seconds since the epoch (tests pass a fake one).
    """

    def __init__(
        self, backends: Callable[[], List[str]], clock: Callable[[], float] = time.time
    ) -> None:
        self._backends = backends
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: Dict[str, Dict[str, Any]] = {}
        self._usage: Dict[str, Dict[str, Any]] = {}  # id -> {"jobs": [...], "cost": float}
        self._owners: Dict[str, Optional[str]] = {}  # id -> the key that created it

    def _mine(self, session_id: str, owner: Optional[str]) -> Optional[Dict[str, Any]]:
        """The session ``session_id`` if ``owner`` created it (call with the lock held)."""
        session = self._sessions.get(session_id)
        if session is None or self._owners.get(session_id) != owner:
            return None
        return session

    # -- helpers ------------------------------------------------------------------------
    def _expire(self, session: Dict[str, Any], now: float) -> None:
        limit = session["settings"].get("duration_limit_min")
        start = self._usage[session["id"]].get("start")
        if session["active"] and limit is not None and start is not None:
            if now >= start + 60.0 * limit:
                self._end(session, now, None)

    def _end(self, session: Dict[str, Any], now: float, ender: Optional[str]) -> None:
        session.update(active=False, status="ended", ended_at=_iso(now), ender_id=ender)

    # -- routes ---------------------------------------------------------------------------
    def create(
        self, body: Any, creator: str = "emulator", owner: Optional[str] = None
    ) -> Dict[str, Any]:
        """``POST /sessions``: a new session of ``owner`` (raises :class:`SessionRefusal` on
        bad input)."""
        if not isinstance(body, dict):
            raise SessionRefusal("The body must be a JSON object with 'backend'.")
        backend = body.get("backend")
        known = self._backends()
        if backend not in known:
            raise SessionRefusal(
                f"Unknown or unsupported session backend {backend!r}; sessions run on "
                f"{', '.join(sorted(known))}."
            )
        settings = body.get("settings") or {}
        if not isinstance(settings, dict):
            raise SessionRefusal("'settings' must be an object.")
        clean: Dict[str, Any] = {}
        for key in ("job_count_limit", "duration_limit_min"):
            value = _positive_int(settings, key)
            if value is not None:
                clean[key] = value
        cost_limit = settings.get("cost_limit")
        if cost_limit is not None:
            value = cost_limit.get("value") if isinstance(cost_limit, dict) else None
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise SessionRefusal(
                    "settings.cost_limit must be {'unit': 'usd', 'value': <positive number>}."
                )
            clean["cost_limit"] = {"unit": str(cost_limit.get("unit") or "usd"), "value": value}
        now = self._clock()
        if "duration_limit_min" in clean:
            clean["expires_at"] = _iso(now + 60.0 * clean["duration_limit_min"])
        session = {
            "id": str(uuid.uuid4()),
            "created_at": _iso(now),
            "organization_id": "emulator-org",
            "backend": backend,
            "project_id": "emulator-project",
            "creator_id": creator,
            "started_at": None,
            "ended_at": None,
            "ender_id": None,
            "settings": clean,
            "active": True,
            "status": "created",
        }
        with self._lock:
            self._sessions[session["id"]] = session
            self._usage[session["id"]] = {"jobs": [], "cost": 0.0, "start": now}
            self._owners[session["id"]] = owner
        return dict(session)

    def get(self, session_id: str, owner: Optional[str] = None) -> Optional[Dict[str, Any]]:
        """``GET /sessions/{id}`` (``None`` when unknown to ``owner``)."""
        with self._lock:
            session = self._mine(session_id, owner)
            if session is None:
                return None
            self._expire(session, self._clock())
            return dict(session)

    def list(self, active: Optional[bool] = None, owner: Optional[str] = None) -> Dict[str, Any]:
        """``GET /sessions?active=``: the sessions of ``owner``."""
        with self._lock:
            now = self._clock()
            for session in self._sessions.values():
                self._expire(session, now)
            items = [
                dict(s)
                for s in self._sessions.values()
                if (active is None or s["active"] is active) and self._owners[s["id"]] == owner
            ]
        return {"organization_id": "emulator-org", "sessions": items}

    def end(
        self, session_id: str, ender: str = "emulator", owner: Optional[str] = None
    ) -> Optional[Dict[str, Any]]:
        """``POST /sessions/{id}/end`` (idempotent; ``None`` when unknown to ``owner``)."""
        with self._lock:
            session = self._mine(session_id, owner)
            if session is None:
                return None
            if session["active"]:
                self._end(session, self._clock(), ender)
            return dict(session)

    def job_ids(self, session_id: str, owner: Optional[str] = None) -> Optional[List[str]]:
        """The ids of the jobs created in a session, in order (``None`` when unknown to
        ``owner``)."""
        with self._lock:
            if self._mine(session_id, owner) is None:
                return None
            return list(self._usage[session_id]["jobs"])

    def admit(
        self, session_id: Any, backend: str, cost: float, owner: Optional[str] = None
    ) -> None:
        """Check that a job of ``owner`` may join ``session_id`` (raises
        :class:`SessionRefusal`)."""
        with self._lock:
            session = self._mine(str(session_id), owner)
            if session is None:
                raise SessionRefusal(f"Session {session_id!r} does not exist.")
            self._expire(session, self._clock())
            if not session["active"]:
                raise SessionRefusal(
                    f"Session {session_id} has ended; jobs can no longer be added to it."
                )
            if backend != session["backend"]:
                raise SessionRefusal(
                    f"Session {session_id} runs on {session['backend']!r}, not {backend!r}."
                )
            settings, usage = session["settings"], self._usage[session["id"]]
            limit = settings.get("job_count_limit")
            if limit is not None and len(usage["jobs"]) >= limit:
                raise SessionRefusal(f"Session {session_id} reached its job_count_limit ({limit}).")
            cost_limit = settings.get("cost_limit")
            if cost_limit is not None and usage["cost"] + cost > cost_limit["value"]:
                raise SessionRefusal(
                    f"The job's estimated cost {cost:g} would take session {session_id} over "
                    f"its cost_limit ({cost_limit['value']:g} {cost_limit['unit']}; "
                    f"{usage['cost']:g} used)."
                )

    def record(self, session_id: str, job_id: str, cost: float) -> None:
        """Count a created job against its session; end the session at a limit."""
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return
            usage = self._usage[session_id]
            now = self._clock()
            usage["jobs"].append(job_id)
            usage["cost"] += cost
            if session["status"] == "created":
                session.update(status="started", started_at=_iso(now))
            settings = session["settings"]
            limit = settings.get("job_count_limit")
            cost_limit = settings.get("cost_limit")
            if (limit is not None and len(usage["jobs"]) >= limit) or (
                cost_limit is not None and usage["cost"] >= cost_limit["value"]
            ):
                self._end(session, now, None)

    def reset(self) -> None:
        """Forget every session."""
        with self._lock:
            self._sessions.clear()
            self._usage.clear()
            self._owners.clear()
