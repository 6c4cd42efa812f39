"""hfx.compat.tensor.common: pyhf's _TensorViewer (views of one vector split into index groups and put
back together), for code that stitches fixed and free parameters."""
import numpy as np

__all__ = ["_TensorViewer"]


class _TensorViewer:
    def __init__(self, indices, batch_size=None, names=None):
        self.batch_size = batch_size
        self.names = names
        self.partition_indices = [np.asarray(i, dtype=int) for i in indices]
        order = np.concatenate(self.partition_indices) if self.partition_indices else np.zeros(0, int)
        self._sorted = np.argsort(order)

    def stitch(self, data):
        joined = np.concatenate([np.asarray(d, dtype=float) for d in data], axis=-1)
        return joined[..., self._sorted]

    def split(self, data, selection=None):
        data = np.asarray(data)
        names = self.names or list(range(len(self.partition_indices)))
        out = []
        for name, idx in zip(names, self.partition_indices):
            if selection is None or name in selection:
                out.append(data[..., idx])
        return out
