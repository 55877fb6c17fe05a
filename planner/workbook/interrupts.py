"""Stopping a run (Ctrl-C, SIGTERM) at any moment without leaving a file behind.

Python runs a signal handler in the main thread between two bytecodes, wherever the program happens to be;
the command line's handler (``interrupt``) raises KeyboardInterrupt there, as Ctrl-C does. A save has
moments that must not be cut that way, or a temporary file stays beside the output: inside
``tempfile.mkstemp`` after the file exists but before its name is returned, between that and the ``try``
that removes it, and during the removal itself. Those moments run inside ``interrupts_deferred()``: a stop
landing there is recorded and raised as KeyboardInterrupt when the section ends (or where the section lets
it through with ``interrupts_allowed()``).

Python also drops an exception raised inside a finaliser (``__del__``: a ZipFile or a temporary file
collected by the garbage collector): it prints "Exception ignored in ..." and the run goes on, so a stop
landing there would be lost and the run would finish and write its output. The handler therefore records
every stop, and a save checks the record before its rename (``raise_if_stop_requested``).
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _Stops:
    """The process's stop state. Python calls signal handlers in the main thread only, and the fields are
    read and written there, one bytecode each, so the handler always sees a consistent state."""

    requested: bool = False  # a stop signal arrived since the last reset
    deferring: int = 0  # how many sections that must not be cut are running (nested)
    saved: list[str] | None = None  # files put in place under stop_on_signals (None: not recording)


def interrupt(signum: int, frame: FrameType | None) -> None:
    """The signal handler for SIGINT and SIGTERM: record the stop and raise KeyboardInterrupt, unless a
    section that must not be cut is running (then the section raises it when it ends)."""
    _Stops.requested = True
    if not _Stops.deferring:
        raise KeyboardInterrupt


def record_stop(signum: int, frame: FrameType | None) -> None:
    """A signal handler that records a stop without raising it, for the moments when the command line's own
    handler is not in (planner.channels.entry): the run acts on the record when it starts."""
    _Stops.requested = True


def _main_thread() -> bool:
    """Signals reach Python in the main thread only: the stop state is that thread's (a save in another thread,
    as a server runs them, neither defers nor raises a stop)."""
    return threading.current_thread() is threading.main_thread()


def stop_requested() -> bool:
    """Whether a stop signal arrived (and was not yet acted on by the end of ``stop_on_signals``): an exception a
    stop caused elsewhere (a module whose initialisation it cut) is then that stop, not an error."""
    return _Stops.requested and _main_thread()


def forget_stop() -> None:
    """Clear the record of a stop that came once the outcome was settled (planner.channels.entry)."""
    _Stops.requested = False


def raise_if_stop_requested() -> None:
    """Raise KeyboardInterrupt when a stop was recorded, even one Python dropped inside a finaliser."""
    if stop_requested():
        raise KeyboardInterrupt


def _raise_when_outermost() -> None:
    if not _Stops.deferring:
        raise_if_stop_requested()


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """A section no stop may cut: a stop arriving inside is raised as KeyboardInterrupt when it ends."""
    if not _main_thread():
        yield
        return
    previous = _Stops.deferring
    _Stops.deferring = previous + 1
    try:
        yield
    finally:
        _Stops.deferring = previous  # put back by value: a count an inner section could not restore is reset too
    _raise_when_outermost()


@contextlib.contextmanager
def interrupts_allowed() -> Iterator[None]:
    """Inside a deferred section, a part a stop may cut (the section cleans up after it): a stop already
    recorded is raised on entering it."""
    if not _main_thread():
        yield
        return
    previous = _Stops.deferring
    try:  # lowered inside the try: a stop raised once it is lowered always finds the finally that puts it back
        _Stops.deferring = previous - 1
        _raise_when_outermost()
        yield
    finally:
        _Stops.deferring = previous


def note_saved(path: str) -> None:
    """A save put ``path`` in place (called inside its deferred section, so no stop separates the two): a
    stop reports it (``saved_before_stop``)."""
    if _Stops.saved is not None and _main_thread():
        _Stops.saved.append(path)


def saved_before_stop() -> list[str]:
    """The files put in place since ``stop_on_signals`` began, in order."""
    return list(_Stops.saved or [])


def _quiet_dropped_interrupt(previous: Callable) -> Callable:
    """An unraisable-exception hook that does not print a KeyboardInterrupt Python dropped in a finaliser
    (the stop is recorded and acted on); everything else goes to ``previous``."""

    def hook(unraisable) -> None:
        if not isinstance(unraisable.exc_value, KeyboardInterrupt):
            previous(unraisable)

    return hook


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """While the body runs, SIGINT and SIGTERM stop it through ``interrupt`` from where the body lets them:
    ``interrupts_allowed()``, entered inside the ``try`` that handles KeyboardInterrupt (a stop recorded
    before is raised there at once). Before that, and from where the body leaves it to the end (reporting the
    stop, putting the handlers back), a stop is recorded only, so none lands where nothing catches it; one
    that comes once the run is over is forgotten with the record. The earlier handlers are put back
    afterwards. Outside the main thread (a server calling the command line) nothing changes: Python sets
    handlers in the main thread only, and signals never interrupt another thread."""
    if not _main_thread():
        yield
        return
    previous = _Stops.deferring
    _Stops.deferring = previous + 1
    handlers = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    saved_hook = sys.unraisablehook
    try:
        _Stops.saved = []
        sys.unraisablehook = _quiet_dropped_interrupt(saved_hook)
        for sig in STOP_SIGNALS:
            signal.signal(sig, interrupt)
        yield
    finally:
        _Stops.deferring = previous + 1  # held again, should the body's section have been cut before restoring it
        for sig, handler in handlers.items():
            if handler is not None:  # None: set outside Python, cannot be put back
                signal.signal(sig, handler)
        sys.unraisablehook = saved_hook
        _Stops.saved = None
        _Stops.requested = False  # acted on (or it came once the work was saved): a later run starts afresh
        _Stops.deferring = previous
