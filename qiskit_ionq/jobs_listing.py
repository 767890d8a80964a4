"""Listing jobs with cursor paging, on both IonQ API versions (``provider.jobs``, CLI).

``GET /jobs`` answers one page and a cursor (``next``) to the following one; the last page
has no cursor (v0.3 leaves the key out, v0.4 sends ``null``). :func:`iter_job_entries`
follows the cursors until ``limit`` jobs were seen, refusing a cursor that repeats (a
server bug would otherwise loop forever). Filters by backend and session are sent to the API
where it has them (v0.4); on v0.3 a backend filter is applied to each page here, and a
session filter is refused (sessions exist only on v0.4).
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional

from .api.v04_features import filter_jobs_page, require_feature
from .exceptions import IonQClientError, IonQInvalidOptionError

__all__ = ["iter_job_entries", "list_jobs"]

PAGE_SIZE = 25
_STATUSES = ("submitted", "ready", "running", "completed", "failed", "canceled")


def _target(backend: Any) -> Optional[str]:
    if backend is None:
        return None
    if isinstance(backend, str):
        name = backend
    else:
        name = str(getattr(backend, "api_target", None) or backend.name)
    return name[len("ionq_") :] if name.startswith("ionq_") else name


def iter_job_entries(
    client: Any,
    *,
    status: Optional[str] = None,
    limit: Optional[int] = None,
    backend: Any = None,
    session: Optional[str] = None,
) -> Iterator[Dict[str, Any]]:
    """Job list entries (job views), newest first, across pages.

    Args:
        client: the REST client.
        status: only jobs in this status (``running`` is v0.4's ``started``).
        limit: stop after this many jobs (``None``: all of them).
        backend: only jobs on this backend (object, ``ionq_qpu.forte-1`` or ``qpu.forte-1``).
        session: only jobs of this session id (IonQ API v0.4).

    Raises:
        IonQAPIVersionError: ``session`` on a client that talks v0.3.
        IonQInvalidOptionError: an unknown status or a bad limit.
        IonQClientError: the server repeated a cursor.
    """
    if status is not None and status not in _STATUSES:
        raise IonQInvalidOptionError(
            f"Unknown job status {status!r}; use one of {', '.join(_STATUSES)}."
        )
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise IonQInvalidOptionError(f"limit must be a positive integer, got {limit!r}.")
    if session is not None:
        require_feature(client, "sessions", "Listing the jobs of a session")
    target = _target(backend)
    filters = getattr(client, "supports", lambda _: False)("job_filters")
    seen_cursors = set()
    cursor: Optional[str] = None
    count = 0
    while True:
        size = PAGE_SIZE if limit is None else min(PAGE_SIZE, limit - count)
        if filters:
            page = client.adapter.list_jobs_page(
                status=status, limit=size, next_cursor=cursor, backend=target, session_id=session
            )
        else:
            page = filter_jobs_page(
                client.list_jobs(status=status, limit=size, next_cursor=cursor), target
            )
        for entry in page.get("jobs") or []:
            yield entry
            count += 1
            if limit is not None and count >= limit:
                return
        cursor = page.get("next")
        if not cursor:
            return
        if cursor in seen_cursors:
            raise IonQClientError(f"The API repeated the job-list cursor {cursor!r}; stopping.")
        seen_cursors.add(cursor)


def list_jobs(
    client: Any,
    backend_obj: Any,
    *,
    status: Optional[str] = None,
    limit: Optional[int] = None,
    backend: Any = None,
    session: Optional[str] = None,
    provider: Any = None,
) -> List[Any]:
    """:func:`iter_job_entries` as :class:`~qiskit_ionq.ionq_job.IonQJob` objects.

    Each job is bound to the backend it ran on when ``provider`` knows it, else to
    ``backend_obj``.
    """
    from .ionq_job import IonQJob

    jobs = []
    backends: Dict[str, Any] = {}
    for entry in iter_job_entries(
        client, status=status, limit=limit, backend=backend, session=session
    ):
        target = str(entry.get("target") or "")
        owner = backends.get(target)
        if owner is None:
            owner = backend_obj
            if provider is not None and target:
                try:
                    owner = provider.get_backend(f"ionq_{target}")
                except Exception:  # an unknown or retired system: keep the given backend
                    owner = backend_obj
            backends[target] = owner
        jobs.append(IonQJob(owner, str(entry["id"]), client))
    return jobs
