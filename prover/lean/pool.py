"""A pool of REPL processes keyed by imports, with warm spares and bounded memory.

At most ``processes + spares`` processes live at once. Idle processes are kept per
imports and reused (each keeps the preambles it has seen); when other imports need one
and the pool is full, the least recently used idle process is closed. Spares are started
ahead for the most recently used imports, so replacing a process that crashed, timed
out, grew too big or served its ``max_requests_per_process`` costs no one a cold start.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from prover.lean.process import LeanBackend
from prover.lean.repl import ImportsFailed, Repl, ReplCrashed, ReplTimeout, ReplUnavailable
from prover.settings import LeanSettings

Imports = tuple[str, ...]
NO_IMPORTS: Imports = ()
_MAX_FAILED = 256


class ReplPool:
    """Hands out one opened REPL per caller; each caller gives it back with ``release``."""

    def __init__(self, backend: LeanBackend, settings: LeanSettings) -> None:
        self.backend, self.settings = backend, settings
        self.limit = settings.processes + settings.spares
        self._lock = threading.Lock()
        self._idle: OrderedDict[Imports, list[Repl]] = OrderedDict()
        self._spares: list[Repl] = []
        self._failed: OrderedDict[Imports, str] = OrderedDict()
        self._busy = 0
        self._spare_imports: Imports = ()
        self._closed = False
        self.started = 0
        self.retired = 0
        self.peak_rss_mb = 0.0

    # Handing out and taking back.

    def acquire(self, imports: Imports, prefer: Callable[[Repl], int] | None = None) -> Repl:
        """An opened REPL for ``imports``: idle (the one ``prefer`` scores highest, say the
        one holding a step's parent state), else a spare, else a new one."""
        with self._lock:
            if imports in self._failed:
                raise ImportsFailed(self._failed[imports])
            idle = self._idle.get(imports)
            if idle:
                self._busy += 1
                # Ties go to the most recently released (the list's end).
                pick = max(range(len(idle)), key=lambda k: (prefer(idle[k]), k)) if prefer else -1
                warm = idle.pop(pick)
                if not idle:  # only imports with idle processes stay listed
                    del self._idle[imports]
                return warm
            spare = self._take_spare(imports)
            self._busy += 1
        try:
            return self._open(spare or self._start(imports), imports)
        except BaseException:
            with self._lock:
                self._busy -= 1
            raise

    def release(self, repl: Repl, *, broken: bool = False) -> None:
        """Back to the idle list, or closed (and a spare started) when it should retire."""
        rss = repl.rss_mb() if repl.alive() else 0.0
        self.peak_rss_mb = max(self.peak_rss_mb, rss)
        retire = (
            broken
            or not repl.alive()
            or repl.requests >= self.settings.max_requests_per_process
            or rss > self.settings.max_rss_mb
        )
        with self._lock:
            self._busy -= 1
            if retire or self._closed or not repl.opened:
                self.retired += 1
                repl.kill()
            else:
                self._idle.setdefault(repl.imports, []).append(repl)
                self._idle.move_to_end(repl.imports)
                self._evict_imports()
        self._refill_spares()

    def prewarm(self, imports: Imports = NO_IMPORTS) -> None:
        """Start ``processes`` REPLs opened on ``imports``, and the spares, and wait until
        all are ready: start-up happens before any work, not during it."""
        with self._lock:
            idle = self._idle.get(imports, [])
            for dead in [r for r in idle if not r.alive()]:  # died while idle: not warm
                idle.remove(dead)
                dead.kill()
            if not idle:
                self._idle.pop(imports, None)
            have = len(idle)
            self._busy += self.settings.processes - have
        # Started together: each spends its first minute loading the imports.
        started = [self._start(imports) for _ in range(self.settings.processes - have)]
        for repl in started:
            try:
                self.release(self._open(repl, imports))
            except (ReplCrashed, ReplTimeout, ImportsFailed):
                with self._lock:
                    self._busy -= 1
        self._refill_spares()
        self._open_spares()

    def _open_spares(self) -> None:
        """Wait until the spares are ready too, so that no start-up overlaps the work."""
        with self._lock:
            spares, self._spares = self._spares, []
            self._busy += len(spares)
        for spare in spares:
            try:
                spare.open(self.settings.startup_timeout_s, self.settings.max_rss_mb)
            except (ReplCrashed, ReplTimeout):
                spare.kill()
        with self._lock:
            self._busy -= len(spares)
            self._spares += [s for s in spares if s.alive()]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            repls = [r for rs in self._idle.values() for r in rs] + self._spares
            self._idle.clear()
            self._spares.clear()
        for repl in repls:
            repl.kill()

    # Inside.

    def _start(self, imports: Imports) -> Repl:
        self._make_room()
        self.started += 1
        return Repl(self.backend, imports)

    def _open(self, repl: Repl, imports: Imports) -> Repl:
        if repl.opened:
            return repl
        try:
            repl.open(self.settings.startup_timeout_s, self.settings.max_rss_mb)
        except ReplTimeout:
            limit = self.settings.startup_timeout_s
            raise ReplUnavailable(f"the Lean REPL did not start within {limit:.0f} s") from None
        except ReplCrashed as err:
            repl.kill()
            if repl.lean_errors:  # Lean said why: an import that does not exist, say
                self._fail(imports, f"imports: {repl.lean_errors[0]}")
            raise ReplUnavailable(str(err)) from None
        with self._lock:
            self._spare_imports = imports
        return repl

    def _fail(self, imports: Imports, message: str) -> None:
        with self._lock:
            self._failed[imports] = message
            while len(self._failed) > _MAX_FAILED:
                self._failed.popitem(last=False)
        raise ImportsFailed(message)

    def _take_spare(self, imports: Imports) -> Repl | None:
        """A spare started for these imports; the caller holds the lock."""
        for k, repl in enumerate(self._spares):
            if repl.imports == imports and repl.alive():
                return self._spares.pop(k)
        return None

    def _make_room(self) -> None:
        """Close idle processes, least recently used imports first, until one more fits."""
        with self._lock:
            while self._count() >= self.limit and self._idle:
                imports, repls = next(iter(self._idle.items()))
                repls.pop(0).kill()
                if not repls:
                    del self._idle[imports]
            stale = [s for s in self._spares if s.imports != self._spare_imports]
            while self._count() >= self.limit and stale:
                spare = stale.pop()
                self._spares.remove(spare)
                spare.kill()

    def _count(self) -> int:
        return self._busy + len(self._spares) + sum(len(r) for r in self._idle.values())

    def _evict_imports(self) -> None:
        while len(self._idle) > self.settings.max_imports:
            _, repls = self._idle.popitem(last=False)
            for repl in repls:
                repl.kill()

    def _refill_spares(self) -> None:
        """Start spares in the background up to ``spares``, within the process limit."""
        with self._lock:
            self._spares = [s for s in self._spares if s.alive()]
            missing = min(self.settings.spares - len(self._spares), self.limit - self._count())
            if self._closed or missing <= 0:
                return
            imports = self._spare_imports
            for _ in range(missing):
                self.started += 1
                self._spares.append(Repl(self.backend, imports))
