"""Every cache in the package, in one registry: `jaxtape.clear_caches()` and `cache_info()` walk it.

A cache is an `LRU` (bounded, locked, a hit refreshes the entry) or any object registered with
`register(name, obj)` that has `clear()` and `info() -> dict`.  Modules create their caches at
import time; this module imports nothing of jaxtape, so any layer may own a cache.

    _passes = caches.LRU("backward", 1024)      # in backward.py
    fn = _passes.get(key)                       # None on a miss (counted)
    _passes.put(key, fn)                        # evicts the least recently used past maxsize
"""

from __future__ import annotations

import collections
import threading
from typing import Any, Callable

_REGISTRY: dict[str, Any] = {}


class LRU:
    """A bounded map: `get` refreshes an entry, `put` evicts the least recently used one."""

    __slots__ = ("name", "maxsize", "hits", "misses", "_data", "_lock", "on_evict")

    def __init__(self, name: str | None, maxsize: int, on_evict: Callable | None = None):
        self.name = name
        self.maxsize = maxsize
        self.hits = 0
        self.misses = 0
        self.on_evict = on_evict
        self._data: collections.OrderedDict = collections.OrderedDict()
        self._lock = threading.Lock()
        if name is not None:  # unnamed: a part of a registered group (eager kernels)
            register(name, self)

    def get(self, key, default=None):
        # No lock on the hot path: each OrderedDict call is atomic under the GIL, and an entry
        # evicted by another thread between the two calls is simply not refreshed.
        data = self._data
        value = data.get(key, _MISSING)
        if value is _MISSING:
            self.misses += 1
            return default
        try:
            data.move_to_end(key)
        except KeyError:
            pass
        self.hits += 1
        return value

    def lookup(self, key):
        """A read that neither refreshes the entry nor counts (a per-op hot path: entries then
        leave in the order they came)."""
        return self._data.get(key)

    def put(self, key, value) -> None:
        evicted = []
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                evicted.append(self._data.popitem(last=False)[1])
        if self.on_evict is not None:
            for v in evicted:
                self.on_evict(v)

    def __contains__(self, key) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def values(self) -> list:
        with self._lock:
            return list(self._data.values())

    def clear(self) -> None:
        with self._lock:
            old = list(self._data.values())
            self._data.clear()
        if self.on_evict is not None:
            for v in old:
                self.on_evict(v)

    def info(self) -> dict:
        return {
            "size": len(self._data),
            "maxsize": self.maxsize,
            "hits": self.hits,
            "misses": self.misses,
        }


_MISSING = object()


class HashedKey(tuple):
    """A tuple that computes its hash once: a structure key (a recorded step's ops, hundreds of
    nested tuples) that several caches look up, each lookup and refresh hashing it again.
    Equal to, and hashed as, the plain tuple of its items."""

    def __new__(cls, items):
        self = tuple.__new__(cls, items)
        self._hash = tuple.__hash__(self)
        return self

    def __hash__(self):
        return self._hash


def register(name: str, cache) -> None:
    """Make `cache` (with `clear()` and `info()`) reachable from `clear_all` / `info_all`."""
    if name in _REGISTRY and _REGISTRY[name] is not cache:
        raise ValueError("a cache named %r is already registered" % name)
    _REGISTRY[name] = cache


def clear_all() -> None:
    for cache in list(_REGISTRY.values()):
        cache.clear()


def info_all() -> dict:
    return {name: cache.info() for name, cache in sorted(_REGISTRY.items())}


def names() -> list:
    return sorted(_REGISTRY)
