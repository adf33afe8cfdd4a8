"""Optional numba compilation for the hot loops of restoration, cached on disk.

`compiled(key, setup)` hands `setup` a `jit(fn, inline)` decorator and keeps what it
returns, once per process. numba caches machine code beside the module
(`__pycache__`), or under the temporary folder when that is not writable, so the compile
(seconds) is paid once per install, not per run. Without numba, or with VANBAN_NO_NUMBA
set, `compiled` returns None and callers use their pure-Python code.

Even cached, starting numba costs about half a second (its import), as much as the
pure-Python code spends on some ten thousand words: so callers ask `warm()` first, which
holds once numba is imported or the process has handled WARM_WORDS words (`note_work`).
A one-off small text is done in Python; a batch switches to compiled code early on.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

_LOCK = threading.Lock()
_DONE: dict[str, Callable[..., Any] | None] = {}

Jit = Callable[[Callable[..., Any], bool], Callable[..., Any]]
WARM_WORDS = 10_000
_work = [0]


def note_work(words: int) -> None:
    """Count words handled by code that has a compiled twin (see `warm`)."""
    _work[0] += words


def warm() -> bool:
    """Whether compiled code pays off now: numba already imported, or enough work seen."""
    return "numba" in sys.modules or _work[0] >= WARM_WORDS


def _cache_dir() -> None:
    """Point numba's cache at a writable folder when the package's own is not."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    here = Path(__file__).resolve().parent
    pyc = here / "__pycache__"
    target = pyc if pyc.exists() else here
    if not os.access(target, os.W_OK):
        os.environ["NUMBA_CACHE_DIR"] = str(Path(tempfile.gettempdir()) / "vanban-numba-cache")


def compiled(key: str, setup: Callable[[Jit], Callable[..., Any]]) -> Callable[..., Any] | None:
    """The compiled entry point `setup` builds (once per process), or None without numba."""
    if os.environ.get("VANBAN_NO_NUMBA"):
        return None
    if key in _DONE:
        return _DONE[key]
    with _LOCK:
        if key in _DONE:
            return _DONE[key]
        try:
            _cache_dir()
            import numba
        except ImportError:
            _DONE[key] = None
            return None

        def jit(fn: Callable[..., Any], inline: bool) -> Callable[..., Any]:
            opts: dict[str, Any] = {"cache": True, "nogil": True}
            if inline:
                opts["inline"] = "always"
            try:
                return numba.njit(**opts)(fn)
            except RuntimeError:  # no cache locator: compile on every run instead
                opts.pop("cache")
                return numba.njit(**opts)(fn)

        _DONE[key] = setup(jit)
    return _DONE[key]
