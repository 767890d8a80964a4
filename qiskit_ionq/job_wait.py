"""Waiting for a job, bounded by what the user asked for.

``job.result(timeout=5)`` is a promise about the whole call: every poll and the results
download inside it, whatever the server does (accepts and never answers, trickles a byte
every few seconds, streams forever). :func:`bounded_wait` hands the deadline down to every
request made inside it (through :func:`qiskit_ionq.api._http_common.request_bounds`, read by
the transport), turns a request cut short by that deadline into the
:class:`~qiskit_ionq.exceptions.IonQJobTimeoutError` the caller expects, and on Ctrl-C says
that the job keeps running on IonQ's side and how to get back to it. :func:`poll_until_final`
is the polling loop itself (quick first polls, backing off to the caller's ``wait``).

No HTTP library here: the transport enforces the bounds; this module only sets them.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
import warnings
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence

from qiskit.providers.jobstatus import JOB_FINAL_STATES

from .api._http_common import request_bounds
from .exceptions import IonQAPIError, IonQClientError, IonQInvalidOptionError, IonQJobTimeoutError
from .options import closest_option

__all__ = [
    "FIRST_POLL_DELAY",
    "POLL_BACKOFF",
    "bounded_wait",
    "check_extra_arguments",
    "deadline_for",
    "interrupted_note",
    "poll_until_final",
    "timeout_error",
]

logger = logging.getLogger("qiskit_ionq")

FIRST_POLL_DELAY = 0.05  # a job the server finishes at once is seen within ~50 ms
POLL_BACKOFF = 1.5

# A request the transport cut at the deadline ends a hair before it (socket timeouts).
_DEADLINE_SLACK = 0.05


def deadline_for(timeout: Any) -> Optional[float]:
    """The ``time.monotonic()`` deadline of a wait of ``timeout`` seconds (None: unbounded).

    Raises:
        IonQInvalidOptionError: ``timeout`` is not a non-negative number or None.
    """
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout >= 0:
        raise IonQInvalidOptionError(
            f"timeout must be a non-negative number of seconds or None, got {timeout!r}."
        )
    return time.monotonic() + float(timeout)


def timeout_error(job_id: Any, timeout: Optional[float], last: str) -> IonQJobTimeoutError:
    """The error of a wait that ran out of time; says the job is still there."""
    return IonQJobTimeoutError(
        f"Timed out waiting for job to complete. Waited {timeout} s for job {job_id} (last "
        f"status: {last}). The job "
        "keeps running on IonQ's side: call job.result(timeout=...) again later, or retrieve "
        f"it with backend.retrieve_job({str(job_id)!r})."
    )


def interrupted_note(job_id: str) -> str:
    """What to tell a user who pressed Ctrl-C while waiting for ``job_id``."""
    return (
        f"Stopped waiting for IonQ job {job_id}; the job keeps running on IonQ's side.\n"
        f"  Fetch it later:  backend.retrieve_job({job_id!r}).result()"
        f"   or   qiskit-ionq job result {job_id}\n"
        f"  Cancel it:       backend.retrieve_job({job_id!r}).cancel()"
        f"   or   qiskit-ionq job cancel {job_id}"
    )


@contextlib.contextmanager
def bounded_wait(
    job_id: Optional[str],
    timeout: Optional[float],
    deadline: Optional[float],
    max_bytes: Optional[int] = None,
) -> Iterator[None]:
    """Run part of a wait for ``job_id``: every request inside ends by ``deadline``.

    Args:
        job_id: the job waited for (named in messages).
        timeout: the user's timeout, for the message.
        deadline: from :func:`deadline_for`; None bounds nothing (but Ctrl-C still explains).
        max_bytes: largest response body accepted inside (results of a job of known width).

    Raises:
        IonQJobTimeoutError: a request failed because the deadline passed.
        KeyboardInterrupt: Ctrl-C; its message (also printed on stderr) says the job keeps
            running and how to fetch or cancel it.
    """
    try:
        with request_bounds(deadline, max_bytes):
            yield
    except (IonQClientError, IonQAPIError) as err:
        # A request cut short by the user's timeout (or retried until the time ran out).
        if deadline is not None and time.monotonic() >= deadline - _DEADLINE_SLACK:
            last = "unknown: the server did not answer in time"
            raise timeout_error(job_id, timeout, last) from err
        raise
    except KeyboardInterrupt:
        if job_id is None:
            raise
        note = interrupted_note(str(job_id))
        print(note, file=sys.stderr)
        raise KeyboardInterrupt(note) from None


def check_extra_arguments(method: str, kwargs: Mapping[str, Any], valid: Sequence[str]) -> None:
    """Keyword arguments a job method accepts only for compatibility.

    A near miss of a real argument (``result(tiemout=1)``) is an error naming the closest
    one: ignoring it would wait forever instead of one second. Others warn and are ignored.
    """
    for name in kwargs:
        meant = closest_option(name, valid)
        if meant is not None:
            raise IonQInvalidOptionError(
                f"job.{method}() got an unknown argument {name!r}: did you mean `{meant}`?"
            )
        warnings.warn(f"Option {name} is not used by job.{method}().", UserWarning, stacklevel=3)


def poll_until_final(
    poll: Callable[[], Any],
    job_id: Any,
    timeout: Optional[float],
    deadline: Optional[float],
    wait: float,
) -> None:
    """Call ``poll()`` until it returns a final status: after ~50 ms at first, backing off
    to ``wait`` seconds between polls.

    Args:
        poll: one poll (the job's ``status()`` and the user's callback): a Qiskit
            ``JobStatus``.
        job_id: the job polled (named in log records and the timeout error).
        timeout: the user's timeout, for the message.
        deadline: from :func:`deadline_for`; no pause crosses it.
        wait: longest pause between polls.

    Raises:
        IonQJobTimeoutError: the deadline passed before a final status.
    """
    delay = min(FIRST_POLL_DELAY, float(wait))
    while True:
        status = poll()
        if status in JOB_FINAL_STATES:
            return
        now = time.monotonic()
        if deadline is not None and now >= deadline:
            raise timeout_error(job_id, timeout, status.name)
        pause = delay if deadline is None else min(delay, max(deadline - now, 0.0))
        logger.debug("Job %s is %s; polling again in %.3f s", job_id, status.name, pause)
        time.sleep(pause)
        delay = min(delay * POLL_BACKOFF, float(wait))
