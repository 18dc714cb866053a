"""A helper process's start (child.py): what every helper does before its work begins.

`python -c` runs `launched()` in a new interpreter: it arms the death of the child with its
parent, reads its import path and its work from the parent's pipe (unpickling the work imports
the modules it needs, and only those), names the process, and sets signals, logs and priority.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from vendor_errors.processor import child
from vendor_errors.processor.channel import Receiver, Sender

if TYPE_CHECKING:
    from vendor_errors.processor.privacy import Redactor

log = logging.getLogger(child.__name__)

# linux/prctl.h
_PR_SET_PDEATHSIG = 1
_PR_SET_NAME = 15


def _die_with_parent(parent_pid: int) -> None:
    """Make sure this child ends when its parent does, even by SIGKILL."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            # The kernel sends SIGKILL when the thread that started this process ends: in the
            # processor, the main thread (the poll loop), which lives as long as the process.
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)

    def watch() -> None:
        while True:
            if os.getppid() != parent_pid:  # orphaned (also before prctl took effect)
                os._exit(0)  # nothing this child holds was committed: it is read again
            time.sleep(child.PARENT_CHECK_SECONDS)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _name_process(name: str) -> None:
    """The child's name in ps, top and /proc/<pid>/comm (15 bytes at most)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(_PR_SET_NAME, name.encode()[:15], 0, 0, 0)


def _on_sigterm(signum: int, frame: Any) -> None:
    # The parent, stopping too, may still need this child for its final flush; never longer
    # than its bound.
    timer = threading.Timer(child.TERM_GRACE_SECONDS, os._exit, args=(0,))
    timer.daemon = True
    timer.start()
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def launched() -> None:
    """The child's entry point (`python -c`): argv holds the parent's pid, the pipes and the
    child's name."""
    parent_pid, requests_fd, answers_fd, stop_fd = map(int, sys.argv[1:5])
    _die_with_parent(parent_pid)
    _name_process(sys.argv[5])
    requests = Receiver(requests_fd)
    # First the parent's import path (a main function may live in any module the parent can
    # import), then what to run: unpickling it imports the modules it needs, and only those.
    sys.path[:] = requests.next(60.0)
    start = requests.next(60.0)
    if start is None:
        sys.exit("no start request from the parent")
    _enter(requests, Sender(answers_fd, "answers"), stop_fd, *start)


def _enter(
    requests: Receiver,
    answers: Sender,
    stop_fd: int,
    name: str,
    main: Callable[..., None],
    term_grace_seconds: float,
    log_level: str,
    redactor: Redactor | None,
    niceness: int,
    args: tuple[Any, ...],
) -> None:
    from vendor_errors.processor import logs

    child.configure(term_grace_seconds, redactor)
    # A Ctrl-C on the terminal reaches the whole process group: the parent decides when to
    # stop, and must not lose its children before its final flush.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_sigterm)
    logs.configure(log_level, redactor=redactor)
    if niceness:
        with contextlib.suppress(OSError):
            os.nice(niceness)
    inbox = child.Inbox(requests, answers, stop_fd)
    try:
        main(inbox, *args)
    except Exception:
        # Logged, so redacted: the traceback is never printed to stderr raw.
        log.exception("%s process failed", name)
        sys.exit(1)
    finally:
        # What was answered reaches the parent before the pipe closes; unless it asked to
        # stop: then it reads no more answers, and the child does not wait to hand them over.
        answers.flush(0.0 if inbox.stopping() else child.ANSWER_FLUSH_SECONDS)
