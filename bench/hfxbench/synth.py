"""Synthetic HistFactory workspaces with knobs, for scaling studies (pyhf JSON, valid for pyhf and hfx).

    synthetic_workspace(channels=1, bins=10, samples=2, modifiers=("normsys", "histosys", "staterror"),
                        shared=3, per_sample=1, seed=0)

- `channels` x `bins` bins; `samples` background samples per channel plus a signal sample carrying
  the POI `mu` (normfactor, bounds [0, 10]);
- `modifiers`: which modifier types the backgrounds carry: normsys and histosys (`shared` parameters
  common to every channel and sample, plus `per_sample` private ones per sample), staterror (one gamma
  per bin and channel), shapesys (one per bin, on the first background), lumi (all samples);
- observed data are Poisson draws around the background-only expectation, reproducible per seed.

Per-bin modifiers (staterror, shapesys) give one parameter per bin; the others keep the parameter
count fixed while the bins grow, which is how the families reach 1e5 bins.
"""
import numpy as np

MODIFIER_TYPES = ("normsys", "histosys", "staterror", "shapesys", "lumi")


def synthetic_workspace(channels=1, bins=10, samples=2, modifiers=("normsys", "histosys", "staterror"), shared=3,
                        per_sample=1, seed=0):
    unknown = set(modifiers) - set(MODIFIER_TYPES)
    if unknown:
        raise ValueError(f"unknown modifier types {sorted(unknown)} (known: {', '.join(MODIFIER_TYPES)})")
    if min(channels, bins, samples) < 1:
        raise ValueError("channels, bins and samples must be at least 1")
    rng = np.random.default_rng(seed)
    spec_channels, observations = [], []
    x = (np.arange(bins) + 0.5) / bins
    for c in range(channels):
        ch = f"ch{c}"
        signal = 20.0 * np.exp(-0.5 * ((x - 0.5) / 0.15) ** 2) + 0.5
        smp = [{"name": "signal", "data": signal.round(6).tolist(),
                "modifiers": [{"name": "mu", "type": "normfactor", "data": None}]}]
        total = np.zeros(bins)
        for s in range(samples):
            nominal = rng.uniform(20, 200) * np.exp(-rng.uniform(0.5, 3.0) * x) + 1.0
            total += nominal
            mods = []
            names = [f"shared_{k}" for k in range(shared)] + [f"{ch}_bkg{s}_{k}" for k in range(per_sample)]
            for name in names:
                if "normsys" in modifiers:
                    d = rng.uniform(0.02, 0.15)
                    mods.append({"name": f"norm_{name}", "type": "normsys", "data": {"hi": 1 + d, "lo": 1 - 0.8 * d}})
                if "histosys" in modifiers:
                    tilt = rng.uniform(0.02, 0.1) * (x - 0.5)
                    mods.append({"name": f"shape_{name}", "type": "histosys",
                                 "data": {"hi_data": (nominal * (1 + tilt)).round(6).tolist(),
                                          "lo_data": (nominal * (1 - tilt)).round(6).tolist()}})
            if "staterror" in modifiers:
                mods.append({"name": f"staterror_{ch}", "type": "staterror",
                             "data": (0.05 * nominal).round(6).tolist()})
            if "shapesys" in modifiers and s == 0:
                mods.append({"name": f"shapesys_{ch}", "type": "shapesys",
                             "data": (0.1 * nominal).round(6).tolist()})
            if "lumi" in modifiers:
                mods.append({"name": "lumi", "type": "lumi", "data": None})
            smp.append({"name": f"bkg{s}", "data": nominal.round(6).tolist(), "modifiers": mods})
        if "lumi" in modifiers:
            smp[0]["modifiers"].append({"name": "lumi", "type": "lumi", "data": None})
        spec_channels.append({"name": ch, "samples": smp})
        observations.append({"name": ch, "data": rng.poisson(total).astype(float).tolist()})
    parameters = []
    if "lumi" in modifiers:
        parameters.append({"name": "lumi", "auxdata": [1.0], "sigmas": [0.017], "bounds": [[0.9, 1.1]], "inits": [1.0]})
    return {"channels": spec_channels, "observations": observations, "version": "1.0.0",
            "measurements": [{"name": "synthetic", "config": {"poi": "mu", "parameters": parameters}}]}


def uncorrelated_background(bins, source="static"):
    """pyhf's own benchmark model (tests/benchmarks in pyhf): pyhf.simplemodels.uncorrelated_background
    with, per bin, signal 30, background 100 +- 10 and data 120 (static), or the same means drawn
    from Poisson distributions with numpy's legacy seed 0 (poisson), written as a workspace."""
    if source == "static":
        data, bkg, err, sig = [120.0] * bins, [100.0] * bins, [10.0] * bins, [30.0] * bins
    elif source == "poisson":
        r = np.random.RandomState(0)
        data, bkg, err, sig = (r.poisson(m, size=bins).astype(float).tolist() for m in (120.0, 100.0, 10.0, 30.0))
    else:
        raise ValueError(f"unknown source {source!r} (static or poisson)")
    samples = [
        {"name": "signal", "data": sig, "modifiers": [{"name": "mu", "type": "normfactor", "data": None}]},
        {"name": "background", "data": bkg,
         "modifiers": [{"name": "uncorr_bkguncrt", "type": "shapesys", "data": err}]},
    ]
    return {"channels": [{"name": "singlechannel", "samples": samples}],
            "observations": [{"name": "singlechannel", "data": data}],
            "measurements": [{"name": "Measurement", "config": {"poi": "mu", "parameters": []}}],
            "version": "1.0.0"}
