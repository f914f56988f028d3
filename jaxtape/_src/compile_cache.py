"""A persistent XLA compilation cache, on by default.

Every new op/shape and every new tape structure costs one XLA compilation (tens of ms on a small
CPU).  TF users expect eager code to start at once, so jaxtape turns on JAX's persistent
compilation cache: a computation compiled once on a machine is loaded from disk by later
processes (measured here: a forked process running a first gradient drops from ~500-750 ms to
~300-400 ms, most of the rest being XLA's own start-up).

The cache lives in `$JAXTAPE_CACHE_DIR`, else `$XDG_CACHE_HOME/jaxtape/xla`, else
`~/.cache/jaxtape/xla`, kept under 512 MiB (least recently used entries are removed when
jaxtape is imported).  Set
`JAXTAPE_CACHE_DIR=""` to turn it off; a cache directory the user already gave JAX is left alone.
"""

from __future__ import annotations

import os

import jax


def _default_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "jaxtape", "xla")


def enable_from_environment() -> None:
    if jax.config.jax_compilation_cache_dir:
        return  # the user configured JAX's cache themselves
    path = os.environ.get("JAXTAPE_CACHE_DIR")
    if path is None:
        path = _default_dir()
    if not path:
        return
    try:
        os.makedirs(path, exist_ok=True)
        if not os.access(path, os.W_OK):
            return
    except OSError:
        return
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    _prune(path, 512 * 2 ** 20)


def _prune(path, budget):
    """Keep the cache under `budget` bytes: the least recently used entries go first (JAX's own
    size limit needs the extra `filelock` package)."""
    try:
        entries = []
        with os.scandir(path) as it:
            for e in it:
                if e.is_file():
                    st = e.stat()
                    entries.append((st.st_atime, st.st_size, e.path))
    except OSError:
        return
    total = sum(size for _, size, _ in entries)
    for _, size, p in sorted(entries):
        if total <= budget:
            break
        try:
            os.remove(p)
            total -= size
        except OSError:
            pass
