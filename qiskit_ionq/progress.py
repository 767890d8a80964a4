"""Progress display while ``job.result()`` / ``wait_for_final_state()`` waits.

Why: a QPU job can wait in IonQ's queue for minutes or hours, and a silent notebook cell
looks hung. After :data:`SHOW_AFTER` seconds of waiting, an interactive session shows the
job's status and the elapsed time (and, for a multi-circuit job, how many circuits are done):

* with tqdm installed (an optional dependency), its ``auto`` display: a widget in Jupyter
  when ipywidgets is there, a text bar in a terminal;
* otherwise one status line on stderr, rewritten in place.

It is silent when nobody watches (stderr is not a terminal and this is not a notebook: logs,
CI, pipes), and switchable off: ``job.result(progress=False)`` or the environment variable
``QISKIT_IONQ_PROGRESS=0`` (``1`` forces it on). Drawing never raises: a broken display must
not break a wait.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from typing import Any, Callable, Optional, TextIO, Tuple

from qiskit.providers.jobstatus import JOB_FINAL_STATES

__all__ = ["ENV_VAR", "SHOW_AFTER", "WaitProgress", "progress_mode"]

ENV_VAR = "QISKIT_IONQ_PROGRESS"
SHOW_AFTER = 2.0  # seconds: a job that finishes sooner prints nothing
CHILDREN_EVERY = 10.0  # seconds between two reads of a multi-circuit job's children

_OFF = {"0", "false", "no", "off", "never"}
_ON = {"1", "true", "yes", "on", "always"}


def progress_mode(enabled: Optional[bool] = None, stream: Optional[TextIO] = None) -> Optional[str]:
    """How to show progress: ``"notebook"``, ``"terminal"``, or ``None`` for not at all.

    Args:
        enabled: the caller's choice (``progress=`` argument); ``None`` asks the environment
            variable, then whether the session is interactive.
        stream: where the text display writes (stderr by default).
    """
    if enabled is None:
        value = os.environ.get(ENV_VAR, "").strip().lower()
        if value in _OFF:
            return None
        forced = value in _ON
    else:
        if not enabled:
            return None
        forced = True
    if _in_notebook():
        return "notebook"
    stream = stream if stream is not None else sys.stderr
    try:
        tty = bool(stream.isatty())
    except (AttributeError, ValueError):
        tty = False
    return "terminal" if tty or forced else None


def _in_notebook() -> bool:
    ipython = sys.modules.get("IPython")
    shell = getattr(ipython, "get_ipython", lambda: None)() if ipython else None
    return type(shell).__name__ == "ZMQInteractiveShell"


def _children_done(detail: Any) -> Optional[Tuple[int, int]]:
    """(done, total) from ``job.status(detailed=True)``, in either of its shapes."""
    if not isinstance(detail, dict):
        return None
    if "total" in detail and "completed" in detail:  # {"total", "completed", ...}
        return int(detail["completed"]), int(detail["total"])
    children = detail.get("children")
    if isinstance(children, list) and children:
        done = sum(1 for c in children if getattr(c.get("status"), "name", "") == "DONE")
        return done, len(children)
    return None


class WaitProgress:
    """One job's progress display, fed by the job's wait loop.

    Args:
        job_id: the job shown.
        mode: from :func:`progress_mode` (``None`` makes every call a no-op).
        children: returns ``(done, total)`` for a multi-circuit job (may make requests; it
            is called at most every :data:`CHILDREN_EVERY` seconds, and only while shown),
            or ``None`` for a plain job.
        stream: where the text display writes (stderr by default).
        show_after: seconds of waiting before anything is drawn (default :data:`SHOW_AFTER`).
        clock: ``time.monotonic`` (tests pass a fake one).
    """

    def __init__(
        self,
        job_id: str,
        mode: Optional[str],
        children: Optional[Callable[[], Optional[Tuple[int, int]]]] = None,
        stream: Optional[TextIO] = None,
        show_after: Optional[float] = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.job_id = job_id
        self.mode = mode
        self._children = children
        self._stream = stream
        self._show_after = SHOW_AFTER if show_after is None else show_after
        self._clock = clock
        self._start = clock()
        self._bar: Any = None
        self._width = 0
        self._counts: Optional[Tuple[int, int]] = None
        self._counts_at: Optional[float] = None
        self.shown = False
        self.last_status: Any = None

    @classmethod
    def for_job(cls, job: Any, enabled: Optional[bool] = None) -> WaitProgress:
        """The display for ``job`` (an ``IonQJob``), following ``enabled`` / the environment."""

        def children() -> Optional[Tuple[int, int]]:
            data = getattr(job, "_job_data", None) or {}
            if len(data.get("children") or []) < 2:
                return None  # a plain job: no request
            return _children_done(job.status(detailed=True))

        return cls(str(job.job_id()), progress_mode(enabled), children)

    def chain(self, callback: Optional[Callable[..., None]]) -> Callable[..., None]:
        """A wait-loop callback ``(job_id, status, job)`` that updates this display, then
        calls ``callback`` (the user's, if any)."""

        def on_poll(job_id: str, status: Any, job: Any) -> None:
            self.last_status = status
            if status not in JOB_FINAL_STATES:  # the final status is drawn by close()
                self.update(status)
            if callback is not None:
                callback(job_id, status, job)

        return on_poll

    def line(self, status: str, elapsed: float) -> str:
        """The status text: ``IonQ job 1a2b3c4d: RUNNING, 12 s (3/10 circuits done)``."""
        text = f"IonQ job {self.job_id[:8]}: {status}, {elapsed:.0f} s"
        if self._counts is not None:
            text += f" ({self._counts[0]}/{self._counts[1]} circuits done)"
        return text

    def update(self, status: Any) -> None:
        """Show ``status`` (a ``JobStatus`` or text), if the wait is long enough to show."""
        if self.mode is None:
            return
        now = self._clock()
        elapsed = now - self._start
        if elapsed < self._show_after:
            return
        name = str(getattr(status, "name", status))
        try:
            if self._children is not None and (
                self._counts_at is None or now - self._counts_at >= CHILDREN_EVERY
            ):
                self._counts_at = now
                self._counts = self._children()
            self._draw(name, elapsed)
        except Exception:  # a display problem must never break the wait itself
            self.mode = None

    def close(self, status: Any = None) -> None:
        """Finish the display (the final status, then a new line), if anything was shown."""
        status = status if status is not None else self.last_status
        if not self.shown or self.mode is None:
            return
        try:
            name = str(getattr(status, "name", status))
            if self._counts is not None and name == "DONE":
                self._counts = (self._counts[1], self._counts[1])
            if self._bar is not None:  # tqdm draws its final state when closed
                if self._counts is not None:
                    self._bar.n = self._counts[0]
                if status is not None:
                    self._bar.set_description_str(f"IonQ job {self.job_id[:8]}: {name}", False)
                self._bar.close()
                self.mode = None
                return
            if status is not None:
                self._draw(name, self._clock() - self._start)
            self._out().write("\n")
            self._out().flush()
        except Exception:
            pass
        self.mode = None

    def _out(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    def _draw(self, status: str, elapsed: float) -> None:
        bar = self._bar if self._bar is not None else self._make_bar()
        if bar is not None:
            if self._counts is not None:
                bar.total = self._counts[1]
                bar.n = self._counts[0]
            bar.set_description_str(f"IonQ job {self.job_id[:8]}: {status}", refresh=False)
            bar.refresh()
        else:
            text = self.line(status, elapsed)
            pad = max(0, self._width - len(text))
            self._out().write("\r" + text + " " * pad)
            self._out().flush()
            self._width = len(text)
        self.shown = True

    def _make_bar(self) -> Any:
        """A tqdm bar when tqdm (and, in a notebook, ipywidgets) is installed, else None."""
        try:
            if self.mode == "notebook":
                import ipywidgets  # noqa: F401  (tqdm's notebook display needs it)
                from tqdm.notebook import tqdm
            else:
                from tqdm import tqdm
        except ImportError:
            return None
        total = self._counts[1] if self._counts is not None else None
        # A terminal that reports no size (some CI ptys) would make tqdm cut every line to
        # nothing; ask for the size ourselves, with a fallback.
        columns = shutil.get_terminal_size(fallback=(80, 24)).columns or 80
        self._bar = tqdm(
            ncols=columns if self.mode != "notebook" else None,
            total=total,
            file=self._out() if self.mode != "notebook" else None,
            unit="circuit",
            bar_format="{desc} {elapsed}" + (" {n_fmt}/{total_fmt} circuits done" if total else ""),
            leave=True,
        )
        # tqdm counts from its own creation; the wait began earlier.
        self._bar.start_t = self._bar.start_t - (self._clock() - self._start)
        return self._bar
