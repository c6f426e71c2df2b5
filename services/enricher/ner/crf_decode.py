"""Linear-chain CRF decoding in numpy from a CRFsuite model's exact weights.

Why: with python-crfsuite, most of the tagging time goes into handing ~50 attribute strings
per token to the C library, which looks each one up again for every occurrence. The NER
features of a word are the same wherever it occurs, so here every word's weight sums are
computed once and cached (``NerTagger`` does that), and only the small per-document parts are
summed per token. Viterbi and forward-backward run batched over the sentences of a document.

The weights are read from the model file itself (CRFsuite's ``crf1dm`` layout: a ``FEAT``
chunk of (type, source, destination, float64 weight) records), not from ``Tagger.info()``,
whose text dump rounds them to six decimals; labels and attribute ids come from ``info()``.
CRFsuite's first-order CRF has label-bigram transitions and no start/end states, which is
what is computed here; ``tests/unit/test_crf_decode.py`` checks tags and marginals against
python-crfsuite.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

_HEADER = struct.Struct("<4sI4sI8I")
_CHUNK = struct.Struct("<4sII")
_FEATURE = struct.Struct("<IIId")


class CrfModel:
    """State weights per attribute (rows) and label-bigram transition weights."""

    def __init__(
        self, labels: Sequence[str], attributes: dict[str, int], state: np.ndarray, trans: np.ndarray
    ):
        self.labels = list(labels)
        self.label_index = {lab: i for i, lab in enumerate(self.labels)}
        self.attributes = attributes
        self.state = state  # (n_attributes, n_labels)
        self.trans = trans  # (n_labels, n_labels): from (row) -> to (column)
        self.exp_trans = np.exp(trans)
        self.zero = np.zeros(len(self.labels))
        self._offsets: dict[int, dict[str, int]] = {}

    @classmethod
    def load(cls, path: str | Path) -> CrfModel:
        import pycrfsuite

        tagger = pycrfsuite.Tagger()
        tagger.open(str(path))
        info = tagger.info()
        tagger.close()
        labels_by_id = sorted(((int(i), lab) for lab, i in info.labels.items()))
        labels = [lab for _, lab in labels_by_id]
        if [i for i, _ in labels_by_id] != list(range(len(labels))):
            raise ValueError(f"{path}: label ids are not 0..n-1")
        attributes = {a: int(i) for a, i in info.attributes.items()}
        raw = Path(path).read_bytes()
        magic, _size, _typ, _ver, _nf, n_labels, n_attrs, off_features, *_ = _HEADER.unpack_from(raw, 0)
        chunk, _csize, n = _CHUNK.unpack_from(raw, off_features)
        if magic != b"lCRF" or chunk != b"FEAT" or n_labels != len(labels):
            raise ValueError(f"{path}: not a CRFsuite crf1d model this reader understands")
        state = np.zeros((n_attrs + 1, n_labels))  # + an all-zero row (see score_many)
        trans = np.zeros((n_labels, n_labels))
        for typ, src, dst, w in _FEATURE.iter_unpack(
            raw[off_features + _CHUNK.size : off_features + _CHUNK.size + n * _FEATURE.size]
        ):
            if typ == 0:
                state[src, dst] += w
            elif typ == 1:
                trans[src, dst] += w
        return cls(labels, attributes, state, trans)

    def score(self, attrs: Iterable[str]) -> np.ndarray:
        """Summed state weights of attributes (value 1.0 each); unknown ones weigh nothing."""
        get = self.attributes.get
        idx = [i for i in map(get, attrs) if i is not None]
        if not idx:
            return self.zero
        return self.state[idx].sum(axis=0)

    def score_many(self, lists: Sequence[Sequence[str]]) -> np.ndarray:
        """``score`` of each attribute list, as one (len(lists), n_labels) array (one gather)."""
        get = self.attributes.get
        idx: list[int] = []
        starts: list[int] = []
        for attrs in lists:
            starts.append(len(idx))
            idx.extend(i for i in map(get, attrs) if i is not None)
        out = np.zeros((len(lists), len(self.labels)))
        if not idx:
            return out
        # the all-zero last row of `state` closes the final segment, so every start is a valid
        # index even when trailing lists are empty; empty segments get a stray row: skipped
        idx.append(len(self.state) - 1)
        sums = np.add.reduceat(self.state[idx], starts, axis=0)
        ends = [*starts[1:], len(idx) - 1]
        for j, (a, b) in enumerate(zip(starts, ends, strict=True)):
            if b > a:
                out[j] = sums[j]
        return out

    def score_window(self, own: Sequence[str], keep: Sequence[str], offsets: Sequence[int]) -> np.ndarray:
        """``score_many([own, *[[f"{o}:{x}" for x in keep] for o in offsets]])`` without building
        the shifted attribute strings: each offset has its own index of the model's attributes."""
        idx: list[int] = []
        starts = [0]
        get = self.attributes.get
        idx.extend(i for i in map(get, own) if i is not None)
        for o in offsets:
            starts.append(len(idx))
            oget = self._offset_index(o).get
            idx.extend(i for i in map(oget, keep) if i is not None)
        out = np.zeros((1 + len(offsets), len(self.labels)))
        if not idx:
            return out
        idx.append(len(self.state) - 1)
        sums = np.add.reduceat(self.state[idx], starts, axis=0)
        ends = [*starts[1:], len(idx) - 1]
        for j, (a, b) in enumerate(zip(starts, ends, strict=True)):
            if b > a:
                out[j] = sums[j]
        return out

    def _offset_index(self, offset: int) -> dict[str, int]:
        """Attributes named ``"{offset}:{feature}"``, keyed by the feature."""
        index = self._offsets.get(offset)
        if index is None:
            prefix = f"{offset}:"
            cut = len(prefix)
            index = {a[cut:]: i for a, i in self.attributes.items() if a.startswith(prefix)}
            self._offsets[offset] = index
        return index

    # ------------------------------------------------------------------ decoding
    def decode(self, emissions: Sequence[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Viterbi label ids and the (n_i, n_labels) marginals for each (n_i, n_labels) matrix."""
        empty = (np.zeros(0, dtype=np.intp), np.zeros((0, len(self.labels))))
        out: list[tuple[np.ndarray, np.ndarray]] = [empty] * len(emissions)
        order = sorted((i for i, e in enumerate(emissions) if len(e)), key=lambda i: -len(emissions[i]))
        if not order:
            return out
        lens = np.array([len(emissions[i]) for i in order])
        n_max, k_lab = int(lens[0]), len(self.labels)
        em = np.zeros((len(order), n_max, k_lab))
        for b, i in enumerate(order):
            em[b, : lens[b]] = emissions[i]
        active = [int(np.count_nonzero(lens > t)) for t in range(n_max)]  # sentences reaching t
        best = self._viterbi(em, lens, active)
        marg = self._marginals(em, active)
        for b, i in enumerate(order):
            n = int(lens[b])
            out[i] = (best[b, :n], marg[b, :n])
        return out

    def _viterbi(self, em: np.ndarray, lens: np.ndarray, active: list[int]) -> np.ndarray:
        n_b, n_max, _ = em.shape
        trans = self.trans[None]
        delta = em[:, 0].copy()
        back = np.zeros((n_b, n_max), dtype=np.intp)
        back_ptr = np.zeros(em.shape, dtype=np.intp)
        for t in range(1, n_max):
            k = active[t]
            s = delta[:k, :, None] + trans  # (k, from, to)
            back_ptr[:k, t] = s.argmax(axis=1)
            delta[:k] = s.max(axis=1) + em[:k, t]
            # sentences that ended keep their final delta (rows k: are not touched)
        rows = np.arange(n_b)
        last = lens - 1
        cur = delta.argmax(axis=1)
        back[rows, last] = cur
        for t in range(n_max - 1, 0, -1):
            k = active[t]
            # rows whose sentence continues past t follow their pointer; the others start here
            cur_k = back[:k, t]
            back[:k, t - 1] = back_ptr[rows[:k], t, cur_k]
        return back

    def _marginals(self, em: np.ndarray, active: list[int]) -> np.ndarray:
        """Scaled forward-backward: P(label at t | sentence) for every position."""
        n_b, n_max, _ = em.shape
        ex = np.exp(em - em.max(axis=2, keepdims=True))
        et = self.exp_trans
        alpha = np.zeros_like(ex)  # padded positions stay 0 (never read, but no NaN)
        scale = np.ones((n_b, n_max))
        a = ex[:, 0]
        c = a.sum(axis=1)
        alpha[:, 0] = a / c[:, None]
        scale[:, 0] = c
        for t in range(1, n_max):
            k = active[t]
            a = (alpha[:k, t - 1] @ et) * ex[:k, t]
            c = a.sum(axis=1)
            alpha[:k, t] = a / c[:, None]
            scale[:k, t] = c
        beta = np.ones_like(ex)
        for t in range(n_max - 2, -1, -1):
            k = active[t + 1]  # rows with a position t+1
            beta[:k, t] = ((ex[:k, t + 1] * beta[:k, t + 1]) @ et.T) / scale[:k, t + 1, None]
        return alpha * beta
