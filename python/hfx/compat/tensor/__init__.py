"""hfx.compat.tensor: pyhf's tensor backends as hfx.compat offers them. hfx computes in C on its own
backends; the tensor library pyhf code sees (pyhf.tensorlib) is numpy, with pyhf numpy_backend's
methods, so that code that builds arrays, reads results or calls tensorlib's distributions runs.
pytorch_backend, tensorflow_backend and jax_backend are accepted by name and give the same numpy
backend (with a note: hfx does not run on those libraries; its results do not depend on them)."""
import math
import warnings

import numpy as np

__all__ = ["numpy_backend", "pytorch_backend", "tensorflow_backend", "jax_backend"]


def _gammaln(x):
    return np.vectorize(math.lgamma, otypes=[np.float64])(x)


def _xlogy(x, y):
    x, y = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(y, np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x == 0, 0.0, x * np.log(y))


class _BasicPoisson:
    def __init__(self, rate):
        self.rate = rate

    def sample(self, sample_shape):
        return np.random.poisson(self.rate, size=tuple(sample_shape) + np.shape(self.rate)).astype(np.float64)

    def log_prob(self, value):
        return numpy_backend().poisson_logpdf(value, self.rate)


class _BasicNormal:
    def __init__(self, loc, scale):
        self.loc, self.scale = loc, scale

    def sample(self, sample_shape):
        return np.random.normal(self.loc, self.scale, size=tuple(sample_shape) + np.shape(self.loc))

    def log_prob(self, value):
        return numpy_backend().normal_logpdf(value, self.loc, self.scale)


class numpy_backend:
    """pyhf's numpy backend (name "numpy", 64-bit): numpy arrays, with pyhf's method names."""

    __slots__ = ["name", "precision", "dtypemap", "default_do_grad"]
    array_type = np.ndarray
    array_subtype = np.ndarray

    def __init__(self, **kwargs):
        self.name = "numpy"
        self.precision = kwargs.get("precision", "64b")
        self.dtypemap = {"float": np.float64 if self.precision == "64b" else np.float32,
                         "int": np.int64 if self.precision == "64b" else np.int32, "bool": np.bool_}
        self.default_do_grad = False

    def _setup(self):
        pass

    def __eq__(self, other):
        return isinstance(other, numpy_backend) and other.precision == self.precision

    def __hash__(self):
        return hash((self.name, self.precision))

    def __repr__(self):
        return f"<hfx.compat numpy_backend ({self.precision})>"

    def clip(self, tensor_in, min_value, max_value):
        return np.clip(tensor_in, min_value, max_value)

    def erf(self, tensor_in):
        return np.vectorize(math.erf, otypes=[np.float64])(tensor_in)

    def erfinv(self, tensor_in):
        from scipy.special import erfinv
        return erfinv(tensor_in)

    def tile(self, tensor_in, repeats):
        return np.tile(tensor_in, repeats)

    def conditional(self, predicate, true_callable, false_callable):
        return true_callable() if predicate else false_callable()

    def tolist(self, tensor_in):
        try:
            return tensor_in.tolist()
        except AttributeError:
            if isinstance(tensor_in, list):
                return tensor_in
            raise

    def outer(self, tensor_in_1, tensor_in_2):
        return np.outer(tensor_in_1, tensor_in_2)

    def gather(self, tensor, indices):
        return tensor[indices]

    def boolean_mask(self, tensor, mask):
        return tensor[mask]

    def isfinite(self, tensor):
        return np.isfinite(tensor)

    def astensor(self, tensor_in, dtype="float"):
        try:
            dtype = self.dtypemap[dtype]
        except KeyError:
            raise KeyError(f"Invalid dtype: dtype must be float, int, or bool, not {dtype}") from None
        return np.asarray(tensor_in, dtype=dtype)

    def sum(self, tensor_in, axis=None):
        return np.sum(tensor_in, axis=axis)

    def product(self, tensor_in, axis=None):
        return np.prod(tensor_in, axis=axis)

    def abs(self, tensor):
        return np.abs(tensor)

    def ones(self, shape, dtype="float"):
        return np.ones(shape, dtype=self.dtypemap[dtype])

    def zeros(self, shape, dtype="float"):
        return np.zeros(shape, dtype=self.dtypemap[dtype])

    def power(self, tensor_in_1, tensor_in_2):
        return np.power(tensor_in_1, tensor_in_2)

    def sqrt(self, tensor_in):
        return np.sqrt(tensor_in)

    def divide(self, tensor_in_1, tensor_in_2):
        return np.divide(tensor_in_1, tensor_in_2)

    def log(self, tensor_in):
        return np.log(tensor_in)

    def exp(self, tensor_in):
        return np.exp(tensor_in)

    def percentile(self, tensor_in, q, axis=None, interpolation="linear"):
        return np.percentile(tensor_in, q, axis=axis, method=interpolation)

    def stack(self, sequence, axis=0):
        return np.stack(sequence, axis=axis)

    def where(self, mask, tensor_in_1, tensor_in_2):
        return np.where(mask, tensor_in_1, tensor_in_2)

    def concatenate(self, sequence, axis=0):
        return np.concatenate(sequence, axis=axis)

    def simple_broadcast(self, *args):
        return np.broadcast_arrays(*args)

    def shape(self, tensor):
        return tensor.shape

    def reshape(self, tensor, newshape):
        return np.reshape(tensor, newshape)

    def ravel(self, tensor):
        return np.ravel(tensor)

    def einsum(self, subscripts, *operands):
        return np.einsum(subscripts, *operands)

    def poisson_logpdf(self, n, lam):
        n, lam = np.asarray(n, np.float64), np.asarray(lam, np.float64)
        return _xlogy(n, lam) - lam - _gammaln(n + 1.0)

    def poisson(self, n, lam):
        return np.exp(self.poisson_logpdf(n, lam))

    def normal_logpdf(self, x, mu, sigma):
        x, mu, sigma = (np.asarray(v, np.float64) for v in (x, mu, sigma))
        return -0.5 * ((x - mu) / sigma) ** 2 - np.log(sigma) - 0.5 * math.log(2 * math.pi)

    def normal(self, x, mu, sigma):
        return np.exp(self.normal_logpdf(x, mu, sigma))

    def normal_cdf(self, x, mu=0, sigma=1):
        z = (np.asarray(x, np.float64) - mu) / sigma
        return 0.5 * np.vectorize(math.erfc, otypes=[np.float64])(-z / math.sqrt(2.0))

    def poisson_dist(self, rate):
        return _BasicPoisson(rate)

    def normal_dist(self, mu, sigma):
        return _BasicNormal(mu, sigma)

    def to_numpy(self, tensor_in):
        return np.asarray(tensor_in)

    def transpose(self, tensor_in):
        return np.transpose(tensor_in)


def _mapped(name):
    def make(*args, **kwargs):
        warnings.warn(f"hfx.compat: the {name} backend is not available in hfx; its numpy backend is used "
                      "(hfx's results come from its C library, whatever the tensor backend)", stacklevel=2)
        return numpy_backend(precision=kwargs.get("precision", "64b"))
    make.__name__ = f"{name}_backend"
    return make


pytorch_backend = _mapped("pytorch")
tensorflow_backend = _mapped("tensorflow")
jax_backend = _mapped("jax")


from . import common  # noqa: E402,F401
