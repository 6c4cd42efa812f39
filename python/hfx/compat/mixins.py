"""hfx.compat.mixins: pyhf.mixins' _ChannelSummaryMixin, the base of hfx's model config (its channels
property), for code that reads or patches it."""
from .._model import _ChannelSummaryMixin  # noqa: F401

__all__ = ["_ChannelSummaryMixin"]
