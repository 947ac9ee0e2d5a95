"""Ctrl-C and SIGTERM: whatever kchat is doing stops at once.

Invariant: a signal becomes an exception that unwinds the work in hand; the transaction it
was in rolls back on the way (store/session.py), a job records that it was interrupted and
lets go of its lock, and the process exits 130 (SIGINT) or 143 (SIGTERM) within a second.
Cleanup that takes longer, or a second signal during it, ends the process at once: every
write is one transaction, so nothing is left half-done, and the next run of a job takes
over a dead holder's lock.
"""

import os
import signal
import threading

EXIT_SIGINT = 130
EXIT_SIGTERM = 143
CLEANUP_SECONDS = 0.9


class Terminated(KeyboardInterrupt):
    """SIGTERM, which unwinds as Ctrl-C does."""


def exit_code(interrupt: KeyboardInterrupt) -> int:
    return EXIT_SIGTERM if isinstance(interrupt, Terminated) else EXIT_SIGINT


def install() -> None:
    """Make SIGINT and SIGTERM raise (KeyboardInterrupt, Terminated) in the main thread."""
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)


def _on_signal(signum: int, _frame) -> None:
    code = EXIT_SIGTERM if signum == signal.SIGTERM else EXIT_SIGINT
    for each in (signal.SIGINT, signal.SIGTERM):
        signal.signal(each, lambda *_: os._exit(code))
    watchdog = threading.Timer(CLEANUP_SECONDS, os._exit, (code,))
    watchdog.daemon = True
    watchdog.start()
    raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()
