"""One random stream per SKU-site, so that a row's simulated demand depends on its own data and key only.

numpy draws a whole (rows, days) array from one generator in row order, and its gamma and normal samplers
reject a varying number of candidates: a change to one row's history (a gamma shape) shifts the numbers every
later row gets, and a row's Service Check moved with rows it has nothing to do with. Here each row draws from
its own PCG64 generator seeded by numpy's SeedSequence([seed, key]) (O'Neill 2014; SeedSequence hashes the
pair into independent-looking streams, the mechanism numpy documents for parallel streams). The key is the row's
identity (row_keys: a stable 64-bit hash of SKU and site), so the same SKU-site draws the same numbers
whichever rows surround it and wherever it stands in the sheet, for the same seed, number of days and its own
parameters. The calls mirror numpy's with one leading axis of rows; each row's numbers are those of its own
generator called with the per-row size, in the order the calls are made.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def row_keys(*labels: Sequence[object]) -> np.ndarray:
    """A uint64 key per row from its labels (e.g. SKU and site), the same in every run and on every machine
    (pandas' hash_array with its fixed key: no Python string-hash salt). Each label is hashed on its own
    (a missing one as empty text) and the hashes chained, so no separator can make two pairs collide."""
    key = np.zeros(len(labels[0]) if labels else 0, np.uint64)
    for label in labels:
        text = pd.Series(np.asarray(label, dtype=object)).fillna("").astype(str).to_numpy(dtype=object)
        key = pd.util.hash_array(key * np.uint64(KEY_MULTIPLIER) ^ pd.util.hash_array(text))
    return key.astype(np.uint64)


KEY_MULTIPLIER = 0x9E3779B97F4A7C15  # 2^64 / golden ratio: spreads the previous labels' hash before the next


class RowStreams:
    """A generator per row, seeded by (seed, key). ``rows`` takes a block (the generators are shared, so
    drawing from a block advances those rows' streams)."""

    def __init__(self, keys: np.ndarray, seed: int, generators: list[np.random.Generator] | None = None) -> None:
        self.keys = np.asarray(keys, np.uint64)
        self.seed = int(seed)
        self.generators = generators if generators is not None else [
            np.random.Generator(np.random.PCG64(np.random.SeedSequence([self.seed, int(k)]))) for k in self.keys
        ]  # fmt: skip

    def __len__(self) -> int:
        return len(self.generators)

    def rows(self, rows: slice | np.ndarray) -> RowStreams:
        """The streams of rows ``rows`` (a slice or indices), sharing their generators."""
        index = np.arange(len(self))[rows]
        return RowStreams(self.keys[index], self.seed, [self.generators[i] for i in index])

    def random(self, size: tuple[int, ...]) -> np.ndarray:
        """Uniform [0, 1) float32, shape (rows, *size)."""
        return self._stack([g.random(size, dtype=np.float32) for g in self.generators], size)

    def standard_gamma(self, shape: np.ndarray, size: tuple[int, ...]) -> np.ndarray:
        """Gamma(shape_row, 1) float32, shape (rows, *size): one shape per row."""
        shape = np.asarray(shape, np.float32).reshape(len(self))
        drawn = [g.standard_gamma(a, size, dtype=np.float32) for g, a in zip(self.generators, shape, strict=True)]
        return self._stack(drawn, size)

    def standard_normal(self, size: tuple[int, ...]) -> np.ndarray:
        """Standard normal float64, shape (rows, *size)."""
        return self._stack([g.standard_normal(size) for g in self.generators], size, np.float64)

    def head(self, draw: str, counts: np.ndarray, width: int, fill: float, shape: np.ndarray | None = None,
             dtype=np.float32) -> np.ndarray:  # fmt: skip
        """(rows, width): row i's first counts[i] entries drawn from its stream by ``draw`` (``random``,
        ``standard_gamma`` with the row's ``shape``, ``standard_normal``), the rest ``fill``. A row so
        draws as many numbers as its own count says, whatever the width (a history padded for older rows)."""
        counts = np.minimum(np.asarray(counts, np.int64).reshape(len(self)), width)
        out = np.full((len(self), width), fill, dtype)
        for i, (g, k) in enumerate(zip(self.generators, counts, strict=True)):
            if draw == "standard_gamma":
                out[i, :k] = g.standard_gamma(np.float32(shape[i]), k, dtype=np.float32)
            elif draw == "random":
                out[i, :k] = g.random(k, dtype=np.float32)
            else:
                out[i, :k] = g.standard_normal(k)
        return out

    @staticmethod
    def _stack(drawn: list[np.ndarray], size: tuple[int, ...], dtype=np.float32) -> np.ndarray:
        return np.stack(drawn) if drawn else np.empty((0, *size), dtype)
