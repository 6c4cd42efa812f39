"""hfx.compat.simplemodels: pyhf's simple models (correlated_background, uncorrelated_background), the
same specifications, built as hfx models."""
from .._model import Model

__all__ = ["correlated_background", "uncorrelated_background"]


def _values(x):
    return x.tolist() if hasattr(x, "tolist") else list(x)


def correlated_background(signal, bkg, bkg_up, bkg_down, batch_size=None, validate=True):
    """One channel ("single_channel"): signal scaled by mu, background with a histosys
    ("correlated_bkg_uncertainty") between bkg_down and bkg_up."""
    spec = {"channels": [{"name": "single_channel", "samples": [
        {"name": "signal", "data": _values(signal), "modifiers": [{"name": "mu", "type": "normfactor", "data": None}]},
        {"name": "background", "data": _values(bkg), "modifiers": [
            {"name": "correlated_bkg_uncertainty", "type": "histosys",
             "data": {"hi_data": _values(bkg_up), "lo_data": _values(bkg_down)}}]}]}]}
    return Model(spec, batch_size=batch_size, validate=validate)


def uncorrelated_background(signal, bkg, bkg_uncertainty, batch_size=None, validate=True):
    """One channel ("singlechannel"): signal scaled by mu, background with a shapesys
    ("uncorr_bkguncrt") of absolute uncertainties bkg_uncertainty."""
    spec = {"channels": [{"name": "singlechannel", "samples": [
        {"name": "signal", "data": _values(signal), "modifiers": [{"name": "mu", "type": "normfactor", "data": None}]},
        {"name": "background", "data": _values(bkg), "modifiers": [
            {"name": "uncorr_bkguncrt", "type": "shapesys", "data": _values(bkg_uncertainty)}]}]}]}
    return Model(spec, batch_size=batch_size, validate=validate)
