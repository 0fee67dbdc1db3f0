"""Retry policy of the batch tasks: transient I/O errors only, with jittered backoff.

A bug (``KeyError``, ``ValueError``...) fails the same way every time, so retrying it only
delays the report; an ``OSError`` (a network filesystem hiccup, an object store timeout, a
connection reset) often does not. A full disk does not clear itself either.
"""

from __future__ import annotations

import errno
from typing import Any

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (OSError,)
#: OSErrors that come back the same on a retry: a full disk or quota, a read-only
#: filesystem, a missing or forbidden path. Retrying them only delays the report (a full
#: disk took minutes to fail) while the failed run's files stay on the disk.
LASTING_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.ENOENT, errno.EACCES, errno.EPERM}
)


def is_transient(_task: Any, _task_run: Any, state: Any) -> bool:
    """Prefect ``retry_condition_fn``: retry only when the task raised a transient error."""
    try:
        state.result()
    except TRANSIENT_ERRORS as error:
        return getattr(error, "errno", None) not in LASTING_ERRNOS
    except Exception:
        return False
    return False


#: Keyword arguments for ``@task``: two retries, after about 2 s and 10 s.
RETRIES: dict[str, Any] = dict(
    retries=2,
    retry_delay_seconds=[2, 10],
    retry_jitter_factor=0.5,
    retry_condition_fn=is_transient,
)
