"""`tf.TensorArray`, as TF 2's eager `_EagerTensorArray`: a Python list of Tensors.

Each write stores the Tensor (recorded on the tapes like any value), `stack`/`gather`/`concat`
are the recorded `tf.stack`/`tf.gather`/`tf.concat` of the elements, so gradients flow through
a TensorArray exactly as through the ops that filled it.  The errors and their classes are TF's
(`OutOfRangeError` past the end of a fixed-size array or for a negative index,
`InvalidArgumentError` for a wrong dtype or a second read of a cleared element, `ValueError`
for an element of another shape), as are the defaults: `clear_after_read=True`, shapes inferred
from the first write, unwritten elements read as zeros when their shape is known.

Inside `jaxtape.function` the same Python list works where the loop that fills it runs in
Python (a `for` over a Python range, unrolled); a TensorArray carried through a loop that
AutoGraph converts to `tf.while_loop` is not supported.
"""

from __future__ import annotations

import numpy as np

from jaxtape._src import dtypes as _dt
from jaxtape._src.convert import convert_to_tensor
from jaxtape._src.errors import InvalidArgumentError, OutOfRangeError
from jaxtape._src.registry import API, export_value
from jaxtape._src.shape import TensorShape


def operator(name):
    """A public op by its TF name (`stack`, `zeros`, ...): the recorded ops, as TF's eager
    TensorArray calls them."""
    return API[name].fn


def _index(i):
    return int(i.numpy()) if hasattr(i, "numpy") else int(i)


class TensorArray:
    """`tf.TensorArray(dtype, size=None, dynamic_size=None, clear_after_read=None, ...)`."""

    def __init__(self, dtype, size=None, dynamic_size=None, clear_after_read=None,
                 tensor_array_name=None, handle=None, flow=None, infer_shape=True,
                 element_shape=None, colocate_with_first_write_call=True,
                 name=None):  # fmt: skip
        del tensor_array_name, handle, flow, colocate_with_first_write_call, name
        self._dtype = _dt.as_dtype(dtype)
        self._dynamic_size = bool(dynamic_size)
        self._clear_after_read = True if clear_after_read is None else bool(clear_after_read)
        self._infer_shape = infer_shape
        self._element_shape = None if element_shape is None else TensorShape(element_shape)
        n = 0 if size is None else _index(size)
        self._items: list = [None] * n
        self._read: set = set()

    dtype = property(lambda self: self._dtype)
    dynamic_size = property(lambda self: self._dynamic_size)

    @property
    def element_shape(self):
        return self._element_shape if self._element_shape is not None else TensorShape(None)

    @property
    def flow(self):
        return convert_to_tensor(0.0)

    @property
    def handle(self):
        raise AttributeError("TensorArray.handle is not supported in eager mode.")

    def size(self, name=None):
        return convert_to_tensor(len(self._items), dtype=_dt.int32)

    def identity(self):
        return self

    def close(self, name=None):
        del self._items[:]

    # -- writing ----------------------------------------------------------------------------
    def write(self, index, value, name=None):
        value = convert_to_tensor(value, dtype_hint=self._dtype)
        i = _index(index)
        if i < 0:
            raise OutOfRangeError(
                None, None, "Writing to negative indices (index %d) is not allowed." % i
            )
        size = len(self._items)
        if i >= size:
            if not self._dynamic_size:
                raise OutOfRangeError(
                    None,
                    None,
                    "Tried to write to index %d but array is not resizeable and size is: %d "
                    % (i, size),
                )
            self._items.extend(None for _ in range(i - size + 1))
        if self._infer_shape:
            if self._element_shape is None:
                self._element_shape = value.shape
            elif not self._element_shape.is_compatible_with(value.shape):
                raise ValueError(
                    "Incompatible shape for value (%s), expected (%s)"
                    % (value.shape, self._element_shape)
                )
        if value.dtype != self._dtype:
            raise InvalidArgumentError(
                None,
                None,
                "TensorArray dtype is %s but Op is trying to write dtype %s "
                % (self._dtype.name, value.dtype.name),
            )
        self._items[i] = value
        return self

    def unstack(self, value, name=None):
        value = convert_to_tensor(value, dtype_hint=self._dtype)
        rows = list(operator("unstack")(value)) if value.shape[0] else []
        if len(rows) > len(self._items) and not self._dynamic_size:
            raise InvalidArgumentError(
                None,
                None,
                "Tried to write %d elements to a TensorArray of fixed size %d"
                % (len(rows), len(self._items)),
            )
        for i, row in enumerate(rows):
            self.write(i, row)
        return self

    def scatter(self, indices, value, name=None):
        value = convert_to_tensor(value, dtype_hint=self._dtype)
        idx = [int(i) for i in np.asarray(convert_to_tensor(indices).numpy()).ravel()]
        rows = operator("unstack")(value)
        for i, row in zip(idx, rows):
            self.write(i, row)
        return self

    def split(self, value, lengths, name=None):
        value = convert_to_tensor(value, dtype_hint=self._dtype)
        sizes = [int(n) for n in np.asarray(convert_to_tensor(lengths).numpy()).ravel()]
        parts = operator("split")(value, sizes) if sizes else []
        for i, part in enumerate(parts):
            self.write(i, part)
        return self

    # -- reading ----------------------------------------------------------------------------
    def _zeros(self):
        shape = self._element_shape
        if shape is None or not shape.is_fully_defined():
            raise InvalidArgumentError(
                None,
                None,
                "TensorArray has size zero or unwritten elements of an unknown shape: write "
                "them, or give element_shape.",
            )
        return operator("zeros")(shape.as_list(), self._dtype)

    def read(self, index, name=None):
        i = _index(index)
        if i < 0:
            raise OutOfRangeError(
                None, None, "Reading from negative indices (index %d) is not allowed." % i
            )
        if i >= len(self._items):
            raise OutOfRangeError(
                None,
                None,
                "Tried to read from index %d but array size is: %d " % (i, len(self._items)),
            )
        value = self._items[i]
        if value is None:
            if i in self._read:
                raise InvalidArgumentError(
                    None,
                    None,
                    "Could not read index %d twice because it was cleared after a previous "
                    "read (perhaps try setting clear_after_read = false?)" % i,
                )
            value = self._zeros()
        if self._clear_after_read:
            self._items[i] = None
            self._read.add(i)
        return value

    def _all(self):
        return [v if v is not None else self._zeros() for v in self._items]

    def stack(self, name=None):
        if not self._items:
            if self._element_shape is not None and self._element_shape.is_fully_defined():
                shape = [0] + self._element_shape.as_list()
                return operator("zeros")(shape, self._dtype)
            return operator("zeros")([0], self._dtype)
        return operator("stack")(self._all())

    def gather(self, indices, name=None):
        idx = [int(i) for i in np.asarray(convert_to_tensor(indices).numpy()).ravel()]
        return operator("stack")([self.read(i) if not self._clear_after_read else
                                  self._peek(i) for i in idx])  # fmt: skip

    def _peek(self, i):
        if i >= len(self._items):
            raise OutOfRangeError(
                None,
                None,
                "Tried to read from index %d but array size is: %d " % (i, len(self._items)),
            )
        v = self._items[i]
        return v if v is not None else self._zeros()

    def concat(self, name=None):
        if not self._items:
            return operator("zeros")([0], self._dtype)
        return operator("concat")(self._all(), 0)

    def __repr__(self):
        return "<TensorArray dtype=%s size=%d>" % (self._dtype.name, len(self._items))


export_value("TensorArray", TensorArray)
