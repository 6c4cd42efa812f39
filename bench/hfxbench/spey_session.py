"""A SModelS / MadAnalysis-style spey session on one signal patch (issue 21, part 5): what a
reinterpretation tool asks of a full likelihood per signal point. Shared by scripts/spey-session.py (the
standalone timing) and the benchmark engines spey-hfx and spey-pyhf (engines/spey.py), so that both time
the same calls.

Per patch: the statistical model built from the background-only workspace and the signal patch, the
observed CLs, the apriori expected CLs band (the background-only expectation as data, spey's
ExpectationType.apriori) and the observed 95% CL upper limit on mu. spey reports 1 - CLs
(`exclusion_confidence_level`); the session returns CLs, as pyhf and the rest of the suite do.
"""
import copy

BACKENDS = ("hfx", "pyhf")
# the expected band in spey's order, which is pyhf's (n_sigma = 2, 1, 0, -1, -2 of the background-only
# test statistic: the smallest CLs first), labelled as pyhf's hypotest documents its CLs_exp band
BAND = ("-2sigma", "-1sigma", "median", "+1sigma", "+2sigma")
# the plugin's tested agreement with spey-pyhf (tests/python/test_spey_plugin.py, where the reasons are):
# 2e-4 relative, or 1e-6 absolute for CLs near 0, as pytest.approx(rel=REL_TOL, abs=ABS_TOL) takes them
REL_TOL, ABS_TOL = 2e-4, 1e-6


def statistical_model(backend, background, patch, name):
    """A spey StatisticalModel of background (a workspace dict) + patch (RFC 6902 operations) in `backend`:
    "hfx" (hfx.spey_plugin, used through its class, so that it also works where the project is not
    pip-installed and spey's entry point is absent) or "pyhf" (spey-pyhf)."""
    import spey
    if backend == "hfx":
        from hfx.spey_plugin import FullStatisticalModel
        return spey.StatisticalModel(backend=FullStatisticalModel(patch, background), analysis=name)
    if backend == "pyhf":
        return spey.get_backend("pyhf")(background_only_model=background, signal_patch=patch, analysis=name)
    raise ValueError(f"spey session: unknown backend {backend!r} (one of {', '.join(BACKENDS)})")


def session(model):
    """The session's three calls on a StatisticalModel: {"CLs_obs": float, "CLs_exp_apriori": [5 floats,
    spey's order, BAND], "mu_UL_obs": float}."""
    import spey
    obs = model.exclusion_confidence_level()
    exp = model.exclusion_confidence_level(expected=spey.ExpectationType.apriori)
    return {"CLs_obs": 1.0 - float(obs[0]), "CLs_exp_apriori": [1.0 - float(e) for e in exp],
            "mu_UL_obs": float(model.poi_upper_limit())}


def run(backend, background, patch, name):
    """One patch's session, model construction included (a tool builds one model per signal point)."""
    return session(statistical_model(backend, background, patch, name))


def flat(result):
    """A session's numbers as one {name: value} mapping: CLs_obs, CLs_exp_apriori_<BAND>, mu_UL_obs."""
    out = {"CLs_obs": result["CLs_obs"]}
    out.update({f"CLs_exp_apriori_{b}": v for b, v in zip(BAND, result["CLs_exp_apriori"])})
    out["mu_UL_obs"] = result["mu_UL_obs"]
    return out


def within_tolerance(ours, reference):
    """Whether every number of `reference` (a flat session) is matched by `ours` within the plugin's
    tested tolerances; False where `ours` lacks one."""
    return all(k in ours and abs(ours[k] - v) <= max(REL_TOL * abs(v), ABS_TOL) for k, v in reference.items())


def split(spec):
    """A full workspace as spey takes it: the background-only workspace and the patch that adds the
    samples carrying the POI's normfactor (the signal)."""
    poi = spec["measurements"][0]["config"]["poi"]
    bkg, patch = copy.deepcopy(spec), []
    for c, channel in enumerate(bkg["channels"]):
        keep = []
        for sample in channel["samples"]:
            if any(m["type"] == "normfactor" and m["name"] == poi for m in sample["modifiers"]):
                patch.append({"op": "add", "path": f"/channels/{c}/samples/-", "value": sample})
            else:
                keep.append(sample)
        channel["samples"] = keep
    if not patch:
        raise ValueError(f"spey session: no sample carries the POI {poi!r} as a normfactor (no signal to split off)")
    return bkg, patch
