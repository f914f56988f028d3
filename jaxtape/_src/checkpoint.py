"""`tf.train.Checkpoint` and `tf.train.CheckpointManager`, stored as `.npz` files.

The object graph (Variables, `tf.Module`s, Keras layers and models, optimizers, nests of them)
is flattened to string keys; values are written with numpy's `.npz` format.  Writes are atomic:
the file is written under a temporary name, flushed to disk, then renamed over the final name
(`os.replace`), so a crash mid-save leaves the previous checkpoints intact and never a partial one
under a checkpoint's name.  Restoring checks every shape and dtype and raises a `ValueError` that
names the key.
"""

from __future__ import annotations

import json
import os

import numpy as np

from jaxtape._src import dtypes as _dt
from jaxtape._src.registry import export_value
from jaxtape._src.variables import Variable


def _kvar(x):
    return getattr(x, "_var", None) if type(x).__name__ == "Variable" and hasattr(x, "path") \
        else None


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


def _atomic_write(path, write):
    tmp = "%s.tmp-%d" % (path, os.getpid())
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
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
        """Write the checkpoint to `file_prefix` (+ ".npz"); returns the path."""
        state, _, _ = self._state()
        arrays = {k: np.asarray(v.numpy()) for k, v in state.items()}
        arrays["save_counter"] = np.asarray(self.save_counter.numpy())
        d = os.path.dirname(os.path.abspath(file_prefix))
        os.makedirs(d, exist_ok=True)
        _atomic_write(file_prefix + ".npz", lambda f: np.savez(f, **arrays))
        return file_prefix

    def save(self, file_prefix):
        """Write `file_prefix-N` where N counts the saves; returns that path."""
        self.save_counter.assign_add(1)
        return self.write("%s-%d" % (file_prefix, int(self.save_counter.numpy())))

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
        with np.load(path, allow_pickle=False) as data:
            saved = {k: data[k] for k in data.files}
        state, optimizers, var_keys = self._state()
        # optimizer slots that the optimizer has not built yet are created now, as TF defers
        by_key = {k: v for k, v in state.items()}
        for prefix, opt in optimizers:
            for key in saved:
                if key.startswith(prefix + "/slots/"):
                    vkey = key[len(prefix) + 7:].rsplit("/", 1)[0]
                    var = by_key.get(vkey)
                    if var is not None and var._uid not in opt._slots:
                        opt._slot_vars(var, None)
        state, _, _ = self._state()
        for key, var in state.items():
            if key not in saved:
                continue
            value = saved[key]
            if tuple(value.shape) != tuple(var._value.shape):
                raise ValueError("Checkpoint entry %r has shape %s but the object being restored "
                                 "has shape %s." % (key, tuple(value.shape),
                                                    tuple(var._value.shape)))
            if _dt.as_dtype(value.dtype) is not var.dtype:
                raise ValueError("Checkpoint entry %r has dtype %s but the object being restored "
                                 "has dtype %s." % (key, _dt.as_dtype(value.dtype).name,
                                                    var.dtype.name))
            var.assign(value)
        if "save_counter" in saved:
            self.save_counter.assign(saved["save_counter"])
        return _Status(True)


class _Status:
    def __init__(self, ok):
        self._ok = ok

    def assert_consumed(self):
        return self

    def expect_partial(self):
        return self

    def assert_existing_objects_matched(self):
        return self


class CheckpointManager:
    """`tf.train.CheckpointManager(checkpoint, directory, max_to_keep)`."""

    def __init__(self, checkpoint, directory, max_to_keep=5, checkpoint_name="ckpt"):
        self._checkpoint = checkpoint
        self.directory = directory
        self._max = max_to_keep
        self._prefix = os.path.join(directory, checkpoint_name)
        os.makedirs(directory, exist_ok=True)
        self._state_path = os.path.join(directory, "checkpoint.json")
        self._checkpoints = []
        if os.path.exists(self._state_path):
            with open(self._state_path) as f:
                self._checkpoints = [p for p in json.load(f)["all"]
                                     if os.path.exists(p + ".npz")]

    @property
    def checkpoints(self):
        return list(self._checkpoints)

    @property
    def latest_checkpoint(self):
        return self._checkpoints[-1] if self._checkpoints else None

    def save(self, checkpoint_number=None):
        if checkpoint_number is None:
            path = self._checkpoint.save(self._prefix)
        else:
            self._checkpoint.save_counter.assign(int(checkpoint_number))
            path = self._checkpoint.write("%s-%d" % (self._prefix, int(checkpoint_number)))
        self._checkpoints = [p for p in self._checkpoints if p != path] + [path]
        while self._max is not None and len(self._checkpoints) > self._max:
            old = self._checkpoints.pop(0)
            if os.path.exists(old + ".npz"):
                os.remove(old + ".npz")
        data = json.dumps({"latest": path, "all": self._checkpoints}).encode()
        _atomic_write(self._state_path, lambda f: f.write(data))
        return path


export_value("train.Checkpoint", Checkpoint)
export_value("train.CheckpointManager", CheckpointManager)


def latest_checkpoint(checkpoint_dir):
    """`tf.train.latest_checkpoint`."""
    path = os.path.join(checkpoint_dir, "checkpoint.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        latest = json.load(f).get("latest")
    return latest if latest and os.path.exists(latest + ".npz") else None


export_value("train.latest_checkpoint", latest_checkpoint)
