"""`tf.train.Checkpoint` and `tf.train.CheckpointManager`, stored as `.npz` files.

The object graph (Variables, `tf.Module`s, Keras layers and models, optimizers, nests of them)
is flattened to string keys; values are written with numpy's `.npz` format.

Safety rules:

* Writes are atomic: a file is written under a fresh temporary name created exclusively in the
  target directory (`O_EXCL`, never following a planted link), flushed to disk, then renamed
  over the final name (`os.replace`), and the directory is synced.  A crash mid-save leaves the
  previous checkpoints intact and never a partial file under a checkpoint's name; the next save
  removes temporary files a killed save left.
* Restoring reads only the entries it restores, each refused (DataLossError) if its declared
  size is not the size of the Variable it restores, so a crafted archive cannot make a restore
  decompress gigabytes; shapes and dtypes are checked; a corrupt file raises DataLossError.
  Pickled payloads are never loaded.
* A CheckpointManager's state file names checkpoints relative to its directory: a moved or
  copied folder restores from itself, and the manager only ever deletes `<name>-<N>.npz` files
  inside its own directory.  With a stale or missing state file it still finds the newest
  complete checkpoint on disk.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import weakref
import zipfile

import numpy as np

from jaxtape._src import dtypes as _dt
from jaxtape._src.context import HOOKS
from jaxtape._src.registry import export_value
from jaxtape._src.variables import Variable


def _kvar(x):
    return (
        getattr(x, "_var", None) if type(x).__name__ == "Variable" and hasattr(x, "path") else None
    )


def _collect(obj, prefix, out, seen, var_keys):
    """Flatten obj's trackable state into out: key -> Variable."""
    from jaxtape._src.keras.layers import Layer
    from jaxtape._src.keras.optimizers import Optimizer
    from jaxtape._src.module import Module

    if id(obj) in seen:
        return
    kv = _kvar(obj)
    if kv is not None:
        obj = kv
    if isinstance(obj, Variable):
        if id(obj) not in seen:
            seen.add(id(obj))
            out[prefix] = obj
            var_keys.setdefault(obj._uid, prefix)
        return
    seen.add(id(obj))
    if isinstance(obj, Layer):
        # by position, as TF's object graph: auto-generated layer names differ between runs
        for i, w in enumerate(obj.weights):
            _collect(w, "%s/weights/%d" % (prefix, i), out, seen, var_keys)
    elif isinstance(obj, Optimizer):
        _collect(obj.iterations, prefix + "/iterations", out, seen, var_keys)
        if obj._lr_var is not None:
            _collect(obj._lr_var, prefix + "/learning_rate", out, seen, var_keys)
        out.setdefault("\0optimizers", []).append((prefix, obj))
    elif isinstance(obj, Module):
        for k, v in sorted(vars(obj).items()):
            if not k.startswith("_tf_"):
                _collect(v, "%s/%s" % (prefix, k), out, seen, var_keys)
    elif isinstance(obj, dict):
        for k in sorted(obj, key=str):
            _collect(obj[k], "%s/%s" % (prefix, k), out, seen, var_keys)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            _collect(v, "%s/%d" % (prefix, i), out, seen, var_keys)


def _slot_entries(optimizers, var_keys, all_vars):
    """Optimizer slots keyed by the checkpoint key of the variable they belong to."""
    out = {}
    by_uid = {v._uid: v for v in all_vars}
    for prefix, opt in optimizers:
        for uid, slots in opt._slots.items():
            vkey = var_keys.get(uid)
            if vkey is None:
                continue
            for name, s in zip(opt._slot_names_for(), slots):
                out["%s/slots/%s/%s" % (prefix, vkey, name)] = s._var
        _ = by_uid
    return out


TMP_TAG = ".jaxtape-tmp-"


def _process_index() -> int:
    import jax

    return jax.process_index() if jax.process_count() > 1 else 0


def _all_processes_wait(name):
    """A barrier across worker processes (nothing with one process)."""
    import jax

    if jax.process_count() > 1:
        from jax.experimental import multihost_utils

        multihost_utils.sync_global_devices(name)


def _atomic_write(path, write):
    d = os.path.dirname(os.path.abspath(path))
    # mkstemp: a fresh, unpredictable name opened with O_CREAT | O_EXCL, mode 0600
    fd, tmp = tempfile.mkstemp(dir=d, prefix="." + os.path.basename(path) + TMP_TAG)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.lexists(tmp):
            os.remove(tmp)
    d = os.path.dirname(os.path.abspath(path))
    try:
        fd = os.open(d, os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)
    except OSError:
        pass


class Checkpoint:
    """`tf.train.Checkpoint(**objects)`: `save`/`write` and `restore`/`read`."""

    def __init__(self, root=None, **kwargs):
        self._objects = dict(kwargs)
        if root is not None:
            self._objects["root"] = root
        self.save_counter = Variable(np.int64(0), trainable=False, name="save_counter")

    def __getattr__(self, name):
        objs = self.__dict__.get("_objects", {})
        if name in objs:
            return objs[name]
        raise AttributeError(name)

    def _state(self):
        out, seen, var_keys = {}, set(), {}
        for k in sorted(self._objects):
            _collect(self._objects[k], k, out, seen, var_keys)
        optimizers = out.pop("\0optimizers", [])
        out.update(_slot_entries(optimizers, var_keys, list(out.values())))
        return out, optimizers, var_keys

    def write(self, file_prefix):
        """Write the checkpoint to `file_prefix` (+ ".npz"); returns the path.  With several
        worker processes (`MultiWorkerMirroredStrategy`) the first writes it and every worker
        waits until it is written, so each can restore it."""
        state, _, _ = self._state()
        arrays = {k: np.asarray(v.numpy()) for k, v in state.items()}
        arrays["save_counter"] = np.asarray(self.save_counter.numpy())
        if _process_index() == 0:
            d = os.path.dirname(os.path.abspath(file_prefix))
            os.makedirs(d, exist_ok=True)
            _atomic_write(file_prefix + ".npz", lambda f: np.savez(f, **arrays))
        _all_processes_wait("jaxtape checkpoint write")
        return file_prefix

    def save(self, file_prefix):
        """Write `file_prefix-N` where N counts the saves; returns that path.  As TF, the
        directory's checkpoint state lists it, so `tf.train.latest_checkpoint` finds it."""
        self.save_counter.assign_add(1)
        path = self.write("%s-%d" % (file_prefix, int(self.save_counter.numpy())))
        if _process_index() == 0:
            state = os.path.join(os.path.dirname(os.path.abspath(path)), "checkpoint.json")
            name = os.path.basename(path)
            names = [n for n in _read_state(state) if n != name] + [name]
            data = json.dumps({"latest": name, "all": names}).encode()
            _atomic_write(state, lambda f: f.write(data))
        return path

    def read(self, save_path):
        return self.restore(save_path)

    def restore(self, save_path):
        """Restore every object from `save_path` (a path returned by `save`)."""
        if save_path is None:
            return _Status(False)
        path = save_path if save_path.endswith(".npz") else save_path + ".npz"
        if not os.path.exists(path):
            from jaxtape._src.errors import NotFoundError

            raise NotFoundError(None, None, "Failed to find any matching files for %s" % save_path)
        with _open_checkpoint(path) as saved:
            state, optimizers, var_keys = self._state()
            # optimizer slots that the optimizer has not built yet are created now, as TF defers
            by_key = {k: v for k, v in state.items()}
            for prefix, opt in optimizers:
                for key in saved.keys:
                    if key.startswith(prefix + "/slots/"):
                        vkey = key[len(prefix) + 7 :].rsplit("/", 1)[0]
                        var = by_key.get(vkey)
                        if var is not None and var._uid not in opt._slots:
                            opt._slot_vars(var, None)
            state, _, _ = self._state()
            matched, unmatched = [], []
            for key, var in state.items():
                if key not in saved.keys:
                    unmatched.append(var)
                    continue
                value = saved.read(key, var)
                if tuple(value.shape) != tuple(var._value.shape):
                    raise ValueError(
                        "Checkpoint entry %r has shape %s but the object being "
                        "restored has shape %s."
                        % (key, tuple(value.shape), tuple(var._value.shape))
                    )
                if _dt.as_dtype(value.dtype) is not var.dtype:
                    raise ValueError(
                        "Checkpoint entry %r has dtype %s but the object being "
                        "restored has dtype %s."
                        % (key, _dt.as_dtype(value.dtype).name, var.dtype.name)
                    )
                var.assign(value)
                matched.append(key)
            if "save_counter" in saved.keys:
                self.save_counter.assign(saved.read("save_counter", self.save_counter))
                matched.append("save_counter")
            unused = sorted(k for k in saved.keys if k not in matched)
        if unused:
            # TF's deferred restoration: entries whose objects do not exist yet (a layer or a
            # module that makes its Variables on its first call) are restored when they appear
            _PENDING.append(_Pending(path, set(unused), self._objects))
            if _restore_pending not in HOOKS.state_attached:
                HOOKS.state_attached.append(_restore_pending)
        return _Status(True, matched, unmatched, unused)


class _Pending:
    """Checkpoint entries waiting for their objects.  The restored objects are held weakly
    (as TF's deferred restorations live on the objects): a model dropped before it built its
    Variables drops its waiting entries too."""

    def __init__(self, path, keys, objects):
        self.path, self.keys = path, keys
        self.roots = {}
        for name, obj in objects.items():
            try:
                self.roots[name] = weakref.ref(obj)
            except TypeError:  # a list or dict of objects: held as given
                self.roots[name] = lambda obj=obj: obj

    def alive(self):
        return self.keys and all(r() is not None for r in self.roots.values())

    def restore(self):
        out, seen, var_keys = {}, set(), {}
        for name in sorted(self.roots):
            _collect(self.roots[name](), name, out, seen, var_keys)
        out.pop("\0optimizers", None)
        hits = [k for k in self.keys if k in out]
        if hits and os.path.exists(self.path):
            import jax

            # the Variable may be appearing inside a Keras model's abstract build: the restored
            # value is concrete all the same
            with _open_checkpoint(self.path) as saved, jax.ensure_compile_time_eval():
                for key in hits:
                    var = out[key]
                    value = saved.read(key, var)
                    if tuple(value.shape) == tuple(var._value.shape):
                        var.assign(value)
        self.keys.difference_update(hits)


_PENDING: list = []  # _Pending restorations


def _restore_pending():
    """HOOKS.state_attached: a Variable or a module was just attached somewhere; restore what
    the waiting checkpoints hold for it."""
    for rec in list(_PENDING):
        if rec.alive():
            rec.restore()
    _PENDING[:] = [r for r in _PENDING if r.alive()]
    if not _PENDING and _restore_pending in HOOKS.state_attached:
        HOOKS.state_attached.remove(_restore_pending)


def _corrupt(path, why):
    from jaxtape._src.errors import DataLossError

    return DataLossError(
        None,
        None,
        "Unable to read checkpoint %s: %s. The file is corrupt, "
        "truncated, or not a jaxtape checkpoint." % (path, why),
    )


class _open_checkpoint:
    """The entries of a checkpoint file, read one by one and only when asked for."""

    def __init__(self, path):
        self.path = path
        try:
            self._zip = zipfile.ZipFile(path)
            self._infos = {
                i.filename[:-4]: i for i in self._zip.infolist() if i.filename.endswith(".npy")
            }
        except (OSError, zipfile.BadZipFile, ValueError) as e:
            raise _corrupt(path, e) from None
        self.keys = set(self._infos)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._zip.close()

    def read(self, key, var):
        info = self._infos[key]
        want = int(np.prod(var._value.shape, dtype=np.int64)) * var.dtype.size
        if info.file_size > want + 4096:  # the .npy header is at most a few hundred bytes
            raise _corrupt(
                self.path,
                "entry %r declares %d bytes, the Variable it restores "
                "holds %d" % (key, info.file_size, want),
            )
        try:
            with self._zip.open(info) as f:
                return np.lib.format.read_array(f, allow_pickle=False)
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
            raise _corrupt(self.path, "entry %r: %s" % (key, str(e).split(".")[0])) from None


class _Status:
    """What `restore` matched, with TF's assertions on it."""

    def __init__(self, ok, matched=(), unmatched=(), unused=()):
        self._ok = ok
        self._matched, self._unmatched, self._unused = list(matched), list(unmatched), list(unused)

    def _unbound(self):
        if self._unmatched:
            shown = self._unmatched[:10]
            raise AssertionError(
                "Found %d Python objects that were not bound to checkpointed values, likely due "
                "to changes in the Python program. Showing %d of %d unmatched objects: %s"
                % (len(self._unmatched), len(shown), len(self._unmatched), shown)
            )

    def assert_consumed(self):
        """Every object was restored and every checkpoint value was used."""
        self._unbound()
        if self._unused:
            raise AssertionError("Unresolved object in checkpoint (root).%s" % self._unused[0])
        return self

    def assert_existing_objects_matched(self):
        """Every object that exists now was restored (the checkpoint may hold more)."""
        self._unbound()
        return self

    def assert_nontrivial_match(self):
        """Something was restored."""
        if not self._matched:
            raise AssertionError(
                "Nothing except the root object matched a checkpointed value. "
                "Typically this means that the checkpoint does not match the "
                "Python program."
            )
        return self

    def expect_partial(self):
        return self


class CheckpointManager:
    """`tf.train.CheckpointManager(checkpoint, directory, max_to_keep)`."""

    def __init__(self, checkpoint, directory, max_to_keep=5, checkpoint_name="ckpt"):
        if max_to_keep is not None and (not isinstance(max_to_keep, int) or max_to_keep <= 0):
            raise ValueError(
                "Expected a positive integer or `None` for `max_to_keep`, got %s." % (max_to_keep,)
            )
        self._checkpoint = checkpoint
        self.directory = directory
        self._max = max_to_keep
        self._name = checkpoint_name
        self._prefix = os.path.join(directory, checkpoint_name)
        os.makedirs(directory, exist_ok=True)
        self._state_path = os.path.join(directory, "checkpoint.json")
        self._checkpoints = [os.path.join(directory, n) for n in self._recover()]

    def _numbered(self, name):
        m = re.fullmatch(re.escape(self._name) + r"-(\d+)", name)
        return int(m.group(1)) if m else None

    def _recover(self):
        """The checkpoint names to keep track of: those the state file lists (names inside this
        directory only), then any complete `<name>-<N>.npz` on disk the state file missed (a
        crash between the data file and the state file), oldest first."""
        listed = _read_state(self._state_path)
        on_disk = {}
        for f in os.listdir(self.directory):
            if f.endswith(".npz"):
                n = self._numbered(f[:-4])
                if n is not None and _complete(os.path.join(self.directory, f)):
                    on_disk[f[:-4]] = n
        names = [n for n in listed if n in on_disk]
        names += sorted((n for n in on_disk if n not in names), key=on_disk.get)
        return names

    @property
    def checkpoints(self):
        return list(self._checkpoints)

    @property
    def latest_checkpoint(self):
        return self._checkpoints[-1] if self._checkpoints else None

    def save(self, checkpoint_number=None):
        self._clean_temporaries()
        if checkpoint_number is None:
            path = self._checkpoint.save(self._prefix)
        else:
            self._checkpoint.save_counter.assign(int(checkpoint_number))
            path = self._checkpoint.write("%s-%d" % (self._prefix, int(checkpoint_number)))
        self._checkpoints = [p for p in self._checkpoints if p != path] + [path]
        while self._max is not None and len(self._checkpoints) > self._max:
            old = self._checkpoints.pop(0)
            self._delete(old)
        names = [os.path.basename(p) for p in self._checkpoints]
        data = json.dumps({"latest": names[-1], "all": names}).encode()
        _atomic_write(self._state_path, lambda f: f.write(data))
        return path

    def _delete(self, path):
        """Remove a checkpoint this manager wrote: `<name>-<N>.npz` in its own directory."""
        name = os.path.basename(path)
        if self._numbered(name) is None:
            return
        target = os.path.join(self.directory, name + ".npz")
        if os.path.isfile(target) and not os.path.islink(target):
            os.remove(target)

    def _clean_temporaries(self):
        for f in os.listdir(self.directory):
            if (
                f.startswith("." + self._name + "-")
                and TMP_TAG in f
                or f.startswith(".checkpoint.json" + TMP_TAG)
            ):
                p = os.path.join(self.directory, f)
                if os.path.isfile(p) and not os.path.islink(p):
                    try:
                        os.remove(p)
                    except OSError:
                        pass


def _read_state(path):
    """Checkpoint names a manager's state file lists: plain names inside its directory (an
    older absolute path counts by its file name only)."""
    try:
        with open(path) as f:
            data = json.load(f)
        names = data.get("all", []) if isinstance(data, dict) else []
    except (OSError, ValueError):
        return []
    out = []
    for n in names:
        if not isinstance(n, str):
            continue
        base = os.path.basename(n)
        if base and base not in (".", "..") and base not in out:
            out.append(base)
    return out


def _complete(path):
    """A checkpoint file whose archive is whole: its directory, written last, is there (a
    torn file fails to open; files are renamed into place only once complete)."""
    try:
        with zipfile.ZipFile(path) as z:
            return any(i.filename == "save_counter.npy" for i in z.infolist())
    except (OSError, zipfile.BadZipFile, ValueError):
        return False


export_value("train.Checkpoint", Checkpoint)
export_value("train.CheckpointManager", CheckpointManager)


def latest_checkpoint(checkpoint_dir):
    """`tf.train.latest_checkpoint`: the newest complete checkpoint in `checkpoint_dir`."""
    if not os.path.isdir(checkpoint_dir):
        return None
    for name in reversed(_read_state(os.path.join(checkpoint_dir, "checkpoint.json"))):
        p = os.path.join(checkpoint_dir, name)
        if _complete(p + ".npz"):
            return p
    return None


export_value("train.latest_checkpoint", latest_checkpoint)
