"""`keras.layers.TextVectorization`: Keras 3's text preprocessing, computed on the host.

Standardization (`lower_and_strip_punctuation`, `lower`, `strip_punctuation`, a callable or
None), whitespace splitting, a vocabulary learnt by `adapt` (index 0 the padding token "",
1 "[UNK]", then tokens by decreasing count, ties broken by the token, as Keras's
`np.lexsort((tokens, counts))[::-1]`), and the `int`, `multi_hot` and `count` output modes
with `output_sequence_length`.  Outputs are int64 Tensors, as Keras's on TF.
"""

from __future__ import annotations

import collections
import re

import numpy as np

from jaxtape._src import dtypes as _dt
from jaxtape._src.convert import convert_to_tensor
from jaxtape._src.keras.layers import Layer
from jaxtape._src.registry import export_value
from jaxtape._src.tensor import make

_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')


def _strings(data):
    """A list of Python str from a Tensor, array, list or scalar of strings."""
    if hasattr(data, "numpy") and not isinstance(data, np.ndarray):
        data = data.numpy()
    arr = np.asarray(data, dtype=object).ravel()
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in arr]


class TextVectorization(Layer):
    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation",
                 split="whitespace", ngrams=None, output_mode="int", output_sequence_length=None,
                 pad_to_max_tokens=False, vocabulary=None, idf_weights=None, sparse=False,
                 ragged=False, encoding="utf-8", name=None, **kwargs):  # fmt: skip
        super().__init__(name=name, **kwargs)
        if output_mode not in ("int", "one_hot", "multi_hot", "count", "tf_idf"):
            raise ValueError(
                "Unknown value for `output_mode` argument of TextVectorization. Allowed values "
                "are: ('int', 'one_hot', 'multi_hot', 'count', 'tf_idf'). Received: "
                "output_mode=%s" % (output_mode,)
            )
        if (
            output_mode in ("tf_idf", "one_hot")
            or ngrams
            or sparse
            or ragged
            or split not in ("whitespace", None)
        ):
            raise NotImplementedError(
                "TextVectorization(output_mode='tf_idf' or 'one_hot', ngrams, sparse, ragged, or a split "
                "other than 'whitespace') is not supported by jaxtape yet."
            )
        if output_sequence_length is not None and output_mode != "int":
            raise ValueError(
                "`output_sequence_length` must not be set if `output_mode` is not 'int'. "
                "Received output_sequence_length=%s." % (output_sequence_length,)
            )
        self.max_tokens, self.standardize, self.split = max_tokens, standardize, split
        self.output_mode, self.output_sequence_length = output_mode, output_sequence_length
        self.pad_to_max_tokens = pad_to_max_tokens
        self._vocab = list(self._specials())
        if vocabulary is not None:
            self.set_vocabulary(vocabulary)

    def _specials(self):
        """Keras: the padding token "" (index 0) only in `int` mode, then "[UNK]"."""
        return ("", "[UNK]") if self.output_mode == "int" else ("[UNK]",)

    # -- text -> tokens ------------------------------------------------------------------
    def _standardize(self, text):
        s = self.standardize
        if s is None:
            return text
        if callable(s):
            out = s(convert_to_tensor(np.asarray(text, dtype=object)))
            return _strings(out)[0]
        if s in ("lower_and_strip_punctuation", "lower"):
            text = text.lower()
        if s in ("lower_and_strip_punctuation", "strip_punctuation"):
            text = _PUNCTUATION.sub("", text)
        return text

    def _tokens(self, text):
        text = self._standardize(text)
        return text.split() if self.split == "whitespace" else [text]

    # -- vocabulary ------------------------------------------------------------------------
    def adapt(self, data, batch_size=None, steps=None):
        counts: collections.Counter = collections.Counter()
        if hasattr(data, "batch") and hasattr(data, "__iter__") and not hasattr(data, "numpy"):
            texts = [t for element in data for t in _strings(element)]
        else:
            texts = _strings(data)
        for t in texts:
            counts.update(self._tokens(t))
        counts.pop("", None)
        counts.pop("[UNK]", None)
        tokens = np.array(list(counts.keys()), dtype=object)
        freq = np.array([counts[t] for t in tokens], dtype=np.int64)
        if len(tokens):
            order = np.lexsort((np.array([t.encode() for t in tokens], dtype=object), freq))[::-1]
            tokens = tokens[order]
        specials = self._specials()
        if self.max_tokens:
            tokens = tokens[: max(self.max_tokens - len(specials), 0)]
        self._vocab = list(specials) + [np.str_(t) for t in tokens]
        self.built = True

    def set_vocabulary(self, vocabulary, idf_weights=None):
        vocab = _strings(vocabulary) if not isinstance(vocabulary, (list, tuple)) else [
            v.decode() if isinstance(v, bytes) else str(v) for v in vocabulary]  # fmt: skip
        if vocab[:1] == [""]:
            vocab = vocab[1:]
        if vocab[:1] == ["[UNK]"]:
            vocab = vocab[1:]
        self._vocab = list(self._specials()) + [np.str_(v) for v in vocab]

    def get_vocabulary(self, include_special_tokens=True):
        if include_special_tokens:
            return list(self._vocab)
        return list(self._vocab[len(self._specials()) :])

    def vocabulary_size(self):
        return len(self._vocab)

    # -- call ------------------------------------------------------------------------------
    def call(self, inputs):
        x = convert_to_tensor(inputs)
        rank = x.shape.rank
        texts = _strings(x)
        index = {str(t): i for i, t in enumerate(self._vocab)}
        oov = index["[UNK]"]
        ids = [[index.get(tok, oov) for tok in self._tokens(t)] for t in texts]
        if self.output_mode == "int":
            length = self.output_sequence_length
            if length is None:
                length = max((len(r) for r in ids), default=0)
            out = np.zeros((len(ids), length), np.int64)
            for i, r in enumerate(ids):
                r = r[:length]
                out[i, : len(r)] = r
            if rank == 0:
                out = out[0]
            return make(_device(out), _dt.int64)
        depth = self.max_tokens if self.pad_to_max_tokens and self.max_tokens else len(self._vocab)
        out = np.zeros((len(ids), depth), np.int64)
        for i, r in enumerate(ids):
            for j in r:
                if self.output_mode == "multi_hot":
                    out[i, j] = 1
                else:
                    out[i, j] += 1
        if rank == 0:
            out = out[0]
        return make(_device(out), _dt.int64)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return (input_shape[0], self.output_sequence_length)
        return (input_shape[0], len(self._vocab))


def _device(a):
    import jax

    return jax.device_put(a)


export_value("keras.layers.TextVectorization", TextVectorization)
