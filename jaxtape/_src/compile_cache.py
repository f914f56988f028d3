"""A persistent XLA compilation cache, on by default, that only ever touches its own files.

Every new op/shape and every new tape structure costs one XLA compilation (tens of ms on a small
CPU).  TF users expect eager code to start at once, so jaxtape turns on JAX's persistent
compilation cache: a computation compiled once on a machine is loaded from disk by later
processes.

The cache lives in `$JAXTAPE_CACHE_DIR`, else `$XDG_CACHE_HOME/jaxtape/xla`, else
`~/.cache/jaxtape/xla`; `JAXTAPE_CACHE_DIR=""` turns it off, and a cache directory the user
already gave JAX is left alone.  Rules, because a cache must never cost a user data or run code
someone else wrote:

* The directory is jaxtape's: created private (0700) with a marker file, or an existing one
  that holds the marker (or nothing at all).  A directory owned by another user, writable by the
  group or others, or holding files jaxtape did not write is refused with a warning and the
  cache stays off.
* Only entries are ever deleted: files named as JAX names its entries
  (`<name>-<64 hex digits>-cache` / `-atime`), inside that directory.
* Entries are verified before a process uses them: a manifest records each entry's SHA-256
  (with its size and time stamp) when the process that compiled it exits; at import, an entry
  that no exiting process recorded, or whose content changed, is removed before JAX can load it
  (its hash is recomputed when its size or time stamp moved).
* The cache is kept under 512 MiB, least recently used entries first (pruned when a process
  exits).
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import re
import stat
import tempfile
import warnings

import jax

MARKER = "jaxtape-cache.json"
MANIFEST = "manifest.json"
BUDGET = 512 * 2**20
_ENTRY = re.compile(r"^[^/\\]+-[0-9a-f]{64}-(cache|atime)$")
_OWN = {MARKER, MANIFEST}


def _default_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "jaxtape", "xla")


def is_entry(name: str) -> bool:
    return bool(_ENTRY.match(name))


def enable_from_environment() -> None:
    if jax.config.jax_compilation_cache_dir:
        return  # the user configured JAX's cache themselves
    path = os.environ.get("JAXTAPE_CACHE_DIR")
    if path is None:
        path = _default_dir()
    if not path:
        return
    path = prepare(path)
    if path is None:
        return
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    atexit.register(_at_exit, path)


def _at_exit(path: str) -> None:
    record_new_entries(path)
    try:
        prune(path, BUDGET)
    except OSError:
        pass


def prepare(path: str):
    """Make `path` a usable private cache directory and verify it; None (with a warning) when
    it is not safe to use.  (Pruning waits for the process's exit: at import it would cost
    every process a scan of the whole cache, ~50 ms per 4,000 entries here.)"""
    path = os.path.abspath(path)
    try:
        if not os.path.isdir(path):
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            os.mkdir(path, 0o700)
            os.chmod(path, 0o700)
            _write_json(os.path.join(path, MARKER), {"jaxtape": "compilation cache"})
        reason = _unsafe(path)
        if reason:
            warnings.warn(
                "jaxtape: not using %s as the compilation cache: %s. Set "
                'JAXTAPE_CACHE_DIR to a new directory (or to "" to turn the cache '
                "off)." % (path, reason),
                RuntimeWarning,
                stacklevel=3,
            )
            return None
        verify(path)
    except OSError:
        return None
    return path


def _unsafe(path: str):
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        return "it is not a plain directory"
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        return "it belongs to another user"
    if st.st_mode & 0o022:
        return "other users can write to it (mode %o)" % (st.st_mode & 0o777)
    names = os.listdir(path)
    if MARKER not in names:
        # an empty directory, or one holding only cache entries (an older jaxtape's), is taken
        if any(not (is_entry(n) or n in _OWN) for n in names):
            return "it holds files jaxtape did not write"
        _write_json(os.path.join(path, MARKER), {"jaxtape": "compilation cache"})
    return None


def _write_json(target: str, data) -> None:
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".tmp-")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _digest(p: str) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _manifest(path: str) -> dict:
    try:
        with open(os.path.join(path, MANIFEST)) as f:
            data = json.load(f)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def verify(path: str) -> int:
    """Remove every entry whose content is not the one recorded; returns how many."""
    known = _manifest(path)
    removed = 0
    keep = {}
    for e in os.scandir(path):
        if not is_entry(e.name) or not e.is_file(follow_symlinks=False):
            continue
        if e.name.endswith("-atime"):
            continue
        want = known.get(e.name)
        if isinstance(want, list) and len(want) == 3:
            st = e.stat(follow_symlinks=False)
            # re-hashed when its size or time stamp moved (hashing every entry at every import
            # would cost ~1 s for a full cache)
            if (st.st_size, st.st_mtime_ns) == (want[1], want[2]) or _digest(e.path) == want[0]:
                keep[e.name] = [want[0], st.st_size, st.st_mtime_ns]
                continue
        try:
            os.remove(e.path)
            removed += 1
        except OSError:
            pass
    if keep != known:
        _write_json(os.path.join(path, MANIFEST), keep)
    return removed


def record_new_entries(path: str) -> None:
    """At exit: add the entries this process (or another) wrote to the manifest."""
    try:
        known = _manifest(path)
        changed = False
        for e in os.scandir(path):
            if (
                is_entry(e.name)
                and e.name.endswith("-cache")
                and e.name not in known
                and e.is_file(follow_symlinks=False)
            ):
                st = e.stat(follow_symlinks=False)
                known[e.name] = [_digest(e.path), st.st_size, st.st_mtime_ns]
                changed = True
        if changed:
            _write_json(os.path.join(path, MANIFEST), known)
    except OSError:
        pass


def prune(path: str, budget: int) -> None:
    """Keep the cache under `budget` bytes: the least recently used entries go first.  Only
    files named as cache entries are considered (JAX's own size limit needs `filelock`)."""
    entries = []
    for e in os.scandir(path):
        if is_entry(e.name) and e.is_file(follow_symlinks=False):
            st = e.stat(follow_symlinks=False)
            entries.append((st.st_atime, st.st_size, e.path))
    total = sum(size for _, size, _ in entries)
    for _, size, p in sorted(entries):
        if total <= budget:
            break
        try:
            os.remove(p)
            total -= size
        except OSError:
            pass
