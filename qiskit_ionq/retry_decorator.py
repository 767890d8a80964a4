"""``qiskit_ionq.helpers.retry``: the retry decorator earlier releases exported.

Code written for those releases decorates its own calls with it, so it keeps its signature
and behaviour. Our HTTP client does not use it: its retries are bounded in attempts and time
and never repeat a POST blindly (see :mod:`qiskit_ionq.retry`).
"""

from __future__ import annotations

import functools
import logging
import math
import random
import time
from typing import Any, Callable, Tuple, Type, TypeVar, Union

__all__ = ["retry"]

logger = logging.getLogger("qiskit_ionq")

F = TypeVar("F", bound=Callable[..., Any])
ExceptionTypes = Union[Type[BaseException], Tuple[Type[BaseException], ...]]

# Indirections so tests can replace the clock and the randomness without sleeping.
_sleep: Callable[[float], None] = time.sleep
_uniform: Callable[[float, float], float] = random.uniform


def retry(
    exceptions: ExceptionTypes,
    tries: int = -1,
    delay: float = 0,
    max_delay: float = math.inf,
    backoff: float = 1,
    jitter: float = 0,
    enable_logging: bool = True,
) -> Callable[[F], F]:
    """Retry the decorated function when it raises one of ``exceptions``.

    Args:
        exceptions: the exception type (or tuple of types) worth retrying; any other
            exception propagates at once.
        tries: attempts in all; each failure uses one, and when none is left the last
            exception is re-raised. ``-1`` (or any negative value) means no limit.
        delay: seconds to wait before the first retry.
        max_delay: the longest wait between two attempts.
        backoff: factor applied to ``delay`` after each retry.
        jitter: up to this many extra seconds (uniformly drawn) added to each wait.
        enable_logging: log ``Retrying <func> <n> more time(s) after <exc>`` as a warning
            on the ``qiskit_ionq`` logger before each retry.

    Returns:
        The decorator.
    """

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            remaining, wait = tries, delay
            while True:
                try:
                    return func(*args, **kwargs)
                except exceptions as exc:
                    remaining -= 1
                    if tries >= 0 and remaining <= 0:
                        raise
                    if enable_logging:
                        left = remaining if tries >= 0 else "unlimited"
                        logger.warning(
                            "Retrying %s %s more time(s) after %s",
                            getattr(func, "__name__", func),
                            left,
                            exc,
                        )
                    _sleep(wait + _uniform(0, jitter))
                    wait = min(wait * backoff, max_delay)

        return wrapper  # type: ignore[return-value]

    return decorate
