"""hfx.compat.probability: pyhf's distribution objects (Poisson, Normal, Independent, Simultaneous) on
the numpy tensor library, with pyhf 0.7.6's methods (log_prob, expected_data, sample), for code that
builds its own likelihoods from them (pyhf's inference accepts any model with pyhf's interface; so does
hfx.infer, docs/pyhf-compat.md). Sampling draws from numpy's global generator, as pyhf's numpy backend."""
import numpy as np

__all__ = ["Poisson", "Normal", "Independent", "Simultaneous"]


def _tensorlib():
    from . import get_backend
    return get_backend()[0]


class _SimpleDistributionMixin:
    def log_prob(self, value):
        return self._pdf.log_prob(value)

    def expected_data(self):
        return self._pdf.expected_data()

    def sample(self, sample_shape=()):
        return self._pdf.sample(sample_shape)


class Poisson(_SimpleDistributionMixin):
    """Poisson(rate): log_prob(n) is pyhf's Poisson log density (continuous in n); expected_data the rate."""

    def __init__(self, rate):
        self.rate = rate
        self._pdf = _tensorlib().poisson_dist(rate)

    def expected_data(self):
        return self.rate


class Normal(_SimpleDistributionMixin):
    """Normal(loc, scale); expected_data is loc."""

    def __init__(self, loc, scale):
        self.loc, self.scale = loc, scale
        self._pdf = _tensorlib().normal_dist(loc, scale)

    def expected_data(self):
        return self.loc


class Independent(_SimpleDistributionMixin):
    """A product of distributions of one type: log_prob sums over the last axis."""

    def __init__(self, batched_pdf, batch_size=None):
        self.batch_size = batch_size
        self._pdf = batched_pdf

    def log_prob(self, value):
        return np.sum(super().log_prob(value), axis=-1)


class Simultaneous:
    """The joint distribution of pdfobjs over the parts of one vector that tensorview (a _TensorViewer)
    splits it into."""

    def __init__(self, pdfobjs, tensorview, batch_size=None):
        self.tv, self._pdfobjs, self.batch_size = tensorview, pdfobjs, batch_size

    def __iter__(self):
        return iter(self._pdfobjs)

    def __getitem__(self, index):
        return self._pdfobjs[index]

    def expected_data(self):
        return self.tv.stitch([p.expected_data() for p in self])

    def sample(self, sample_shape=()):
        return self.tv.stitch([p.sample(sample_shape) for p in self])

    def log_prob(self, value):
        terms = [p.log_prob(d) for p, d in zip(self, self.tv.split(value))]
        if len(terms) == 1:
            return terms[0]
        return np.sum(np.stack(terms), axis=0)
