"""ROOT (RooFit/RooStats HistFactory, CERN's `root` wheel, 6.40) as a benchmark engine: one engine per
RooFit evaluation backend (`EvalBackend("legacy" | "cpu" | "codegen" | "cuda")`), each case in a
worker process (hfxbench.worker).

The model is built from the pyhf workspace through HistFactory's C++ API from Python (the wheel has
no XML parser, so no hist2workspace): a `Measurement` with one `Channel` per pyhf channel and one
`Sample` per sample, `MakeModelAndMeasurementFast` (outside the timed call). pyhf -> HistFactory:

  normfactor   Sample.AddNormFactor(name, init, lo, hi)     (init and bounds from the measurement)
  normsys      Sample.AddOverallSys(name, lo, hi)           -> alpha_<name>, interpolation code 1 as pyhf
  histosys     HistoSys(name) with the hi/lo histograms     -> alpha_<name>, code 0 as pyhf
  staterror    Sample.GetStatError() with relative errors    -> gamma_stat_<channel>_bin_<i>, Gaussian
  shapesys     ShapeSys(name), relative errors, Poisson      -> gamma_<name>_bin_<i>
  shapefactor  Sample.AddShapeFactor(name)                   -> gamma_<name>_bin_<i>
  lumi         Sample.SetNormalizeByTheory(True), Measurement lumi 1 and the parameter's sigma -> Lumi

Parameters pyhf fixes are set constant in the RooFit workspace; inits and bounds from the
measurement are applied by the same name map.

What each task times:

  nll       nll.getVal() of the backend's NLL at pyhf's suggested init, the POI nudged by one ulp
            between calls so that RooFit's value cache cannot answer: RooFit then recomputes what
            depends on the POI (its caches, the cpu backend's incremental evaluation), which is how
            Minuit2's gradient steps (one parameter at a time) meet it. Moving every parameter from
            Python instead costs 0.3 ms of RooFit's dirty-flag propagation alone (64 setVal or one
            RooArgSet.assign, seen on sbottom), more than the evaluation, so it is not what is timed
  fit       parameters reset to the init, RooMinimizer(nll).minimize("Minuit2", "Migrad") (ROOT's
            defaults otherwise: strategy 1, tolerance 1)
  hypotest  AsymptoticCalculator(data, b-only at mu = 0, s+b at mu = 1), one-sided q~, GetHypoTest():
            what a RooStats user calls; the backend is RooFit's default for every NLL the calculator
            makes (EvalBackend::defaultValue())
  grid      per patch: the model built and one hypotest, as above

RooFit's NLL carries other constant terms than pyhf's twice_nll (and they differ between backends),
so nll and fit report 2 * NLL minus the offset measured at a second point, theta_ref (every free
parameter moved off the init; pyhf numpy's twice_nll there, computed in a subprocess so that pyhf
does not count in this engine's memory): the accuracy column then measures twice_nll(theta) -
twice_nll(theta_ref), a difference between points, against pyhf and hfx, which checks that the
model is the same in every parameter the map covers. hypotest reports CLs, comparable as it is.
"""
import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

from . import Unsupported, installed_versions, needs_poi

BACKENDS = ("legacy", "cpu", "codegen", "codegen_no_grad", "cuda")
TASKS = ("nll", "fit", "hypotest", "grid")
UNSUPPORTED = {
    "grad": "RooFit exposes no gradient call from Python for the NLL (Minuit2 differentiates numerically, "
            "or codegen's generated gradient inside the minimizer)",
    "nll-batch": "RooFit evaluates one parameter point per NLL call",
    "upper-limit": "not run for ROOT in this suite (RooStats' HypoTestInverter: a scan, not pyhf's toms748)",
    "toys": "not run for ROOT in this suite (RooStats' FrequentistCalculator generates its own toys)",
}


def root_config_features():
    """The features ROOT was built with (root-config --features), without importing ROOT; None when
    ROOT is not installed."""
    spec = importlib.util.find_spec("ROOT")
    if spec is None or not spec.submodule_search_locations:
        return None
    exe = Path(list(spec.submodule_search_locations)[0]) / "bin" / "root-config"
    if not exe.exists():
        return set()
    out = subprocess.run([str(exe), "--features"], capture_output=True, text=True)
    return set(out.stdout.split())


def versions():
    out = installed_versions("root")
    try:
        import ROOT
        out["ROOT"] = str(ROOT.gROOT.GetVersion())
    except ImportError:
        pass
    return out


def device(options):
    return "cuda" if options["backend"] == "cuda" else "cpu"


def peak_device_memory(options):
    return None


_QUIET = False


def _root():
    """ROOT, quietened: RooFit's and HistFactory's messages off, C++ standard output sent to standard
    error (the worker answers on standard output, in its last line)."""
    global _QUIET
    import ROOT
    if not _QUIET:
        sys.stdout.flush()
        answer = os.dup(1)
        os.dup2(2, 1)  # C++ std::cout (HistFactory prints its tables there) -> stderr
        sys.stdout = os.fdopen(answer, "w")
        ROOT.gROOT.SetBatch(True)
        ROOT.gErrorIgnoreLevel = ROOT.kWarning
        ROOT.RooMsgService.instance().setGlobalKillBelow(ROOT.RooFit.WARNING)
        ROOT.RooStats.AsymptoticCalculator.SetPrintLevel(-1)
        ROOT.Math.MinimizerOptions.SetDefaultMinimizer("Minuit2")
        ROOT.Math.MinimizerOptions.SetDefaultPrintLevel(-1)
        _QUIET = True
    return ROOT


def _hist(ROOT, name, values):
    h = ROOT.TH1D(name, name, len(values), 0.0, float(len(values)))
    h.SetDirectory(0)
    ROOT.SetOwnership(h, False)  # HistFactory keeps pointers to it; Python must not delete it at exit
    for i, v in enumerate(values, 1):
        h.SetBinContent(i, float(v))
    return h


def _pyhf_defaults(spec):
    """{parameter: {"inits", "bounds", "fixed", "auxdata", "sigmas"}} from the first measurement."""
    return {p["name"]: p for p in spec["measurements"][0]["config"].get("parameters", [])}


def measurement(ROOT, spec, name="hfx"):
    """The pyhf workspace (first measurement) as a HistFactory Measurement."""
    HF = ROOT.RooStats.HistFactory
    config = spec["measurements"][0]["config"]
    pars = _pyhf_defaults(spec)
    meas = HF.Measurement(name, name)
    meas.SetPOI(config["poi"])
    lumi = pars.get("lumi", {})
    meas.SetLumi(float(lumi.get("auxdata", [1.0])[0]))
    meas.SetLumiRelErr(float(lumi.get("sigmas", [0.0])[0]) / float(lumi.get("auxdata", [1.0])[0]))
    has_lumi = any(m["type"] == "lumi" for c in spec["channels"] for s in c["samples"] for m in s["modifiers"])
    if not has_lumi or lumi.get("fixed"):
        meas.AddConstantParam("Lumi")
    data = {o["name"]: o["data"] for o in spec["observations"]}
    for c in spec["channels"]:
        ch = HF.Channel(c["name"])
        ch.SetData(_hist(ROOT, f"data_{c['name']}", data[c["name"]]))
        ch.SetStatErrorConfig(0.0, "Gaussian")  # pyhf: every staterror bin is a parameter, Gaussian
        stat_sum = {}  # pyhf combines staterror over the samples of a channel: sqrt(sum sigma^2) / sum nominal
        for s in c["samples"]:
            nominal = s["data"]
            smp = HF.Sample(s["name"])
            smp.SetHisto(_hist(ROOT, f"{c['name']}_{s['name']}", nominal))
            smp.SetNormalizeByTheory(any(m["type"] == "lumi" for m in s["modifiers"]))
            for m in s["modifiers"]:
                kind, mname, d = m["type"], m["name"], m["data"]
                if kind == "normfactor":
                    p = pars.get(mname, {})
                    lo, hi = p.get("bounds", [[0.0, 10.0]])[0]
                    smp.AddNormFactor(mname, float(p.get("inits", [1.0])[0]), float(lo), float(hi))
                elif kind == "normsys":
                    smp.AddOverallSys(mname, float(d["lo"]), float(d["hi"]))
                elif kind == "histosys":
                    hs = HF.HistoSys()
                    hs.SetName(mname)
                    hs.SetHistoHigh(_hist(ROOT, f"{c['name']}_{s['name']}_{mname}_hi", d["hi_data"]))
                    hs.SetHistoLow(_hist(ROOT, f"{c['name']}_{s['name']}_{mname}_lo", d["lo_data"]))
                    smp.GetHistoSysList().push_back(hs)
                elif kind == "staterror":
                    err = smp.GetStatError()
                    err.Activate(True)
                    err.SetUseHisto(True)
                    rel = [e / n if n else 0.0 for e, n in zip(d, nominal)]
                    err.SetErrorHist(_hist(ROOT, f"{c['name']}_{s['name']}_staterr", rel))
                    stat_sum.setdefault(mname, 0)
                elif kind == "shapesys":
                    ss = HF.ShapeSys()
                    ss.SetName(mname)
                    ss.SetConstraintType(HF.Constraint.Poisson)
                    rel = [e / n if n else 0.0 for e, n in zip(d, nominal)]
                    ss.SetErrorHist(_hist(ROOT, f"{c['name']}_{s['name']}_{mname}_rel", rel))
                    smp.GetShapeSysList().push_back(ss)
                elif kind == "shapefactor":
                    smp.AddShapeFactor(mname)
                elif kind == "lumi":
                    pass  # NormalizeByTheory above
                else:
                    raise Unsupported(f"pyhf modifier type {kind!r} ({mname}) has no HistFactory mapping here")
            ch.AddSample(smp)
        if len(stat_sum) > 1:
            raise Unsupported(f"channel {c['name']}: {len(stat_sum)} staterror modifiers; HistFactory has one per channel")
        meas.AddChannel(ch)
    return meas


# pyhf 0.7.6's inits and bounds per modifier type, where the measurement does not set them
PYHF_DEFAULTS = {"normfactor": {"inits": [1.0], "bounds": [[0.0, 10.0]]},
                 "shapefactor": {"inits": [1.0], "bounds": [[0.0, 10.0]]},
                 "normsys": {"inits": [0.0], "bounds": [[-5.0, 5.0]]},
                 "histosys": {"inits": [0.0], "bounds": [[-5.0, 5.0]]},
                 "staterror": {"inits": [1.0], "bounds": [[1e-10, 10.0]]},
                 "shapesys": {"inits": [1.0], "bounds": [[1e-10, 10.0]]},
                 "lumi": {"inits": [1.0], "bounds": [[0.0, 10.0]]}}


def roofit_names(spec):
    """pyhf parameter name -> the RooFit variables it becomes (one per bin for bin-wise modifiers), and
    pyhf parameter name -> its modifier type."""
    out, kinds = {}, {}
    for c in spec["channels"]:
        nbins = len(c["samples"][0]["data"])
        for s in c["samples"]:
            for m in s["modifiers"]:
                kind, name = m["type"], m["name"]
                kinds[name] = kind
                if kind == "normfactor":
                    out[name] = [name]
                elif kind in ("normsys", "histosys"):
                    out[name] = [f"alpha_{name}"]
                elif kind == "lumi":
                    out[name] = ["Lumi"]
                elif kind == "staterror":
                    out[name] = [f"gamma_stat_{c['name']}_bin_{i}" for i in range(nbins)]
                elif kind in ("shapesys", "shapefactor"):
                    out[name] = [f"gamma_{name}_bin_{i}" for i in range(nbins)]
    return out, kinds


_PYHF_REFERENCE = r"""
import json, sys
import pyhf
pyhf.set_backend("numpy", precision="64b")
req = json.load(sys.stdin)
model = pyhf.Workspace(req["spec"]).model()
data = pyhf.Workspace(req["spec"]).data(model)
cfg = model.config
init, bounds, fixed = cfg.suggested_init(), cfg.suggested_bounds(), cfg.suggested_fixed()
ref = list(init)
for j, (lo, hi) in enumerate(bounds):
    if not fixed[j]:  # every free parameter off the init by 0.5-1.5% of its range, inside its bounds
        ref[j] = min(max(init[j] + 0.005 * (1 + j % 3) * (hi - lo), lo), hi)
slots = {p: cfg.par_slice(p) for p in cfg.par_order}
def twice_nll(x):
    return float(pyhf.infer.mle.twice_nll(pyhf.tensorlib.astensor(x), data, model)[0])
print(json.dumps({"slots": {p: [s.start, s.stop] for p, s in slots.items()}, "init": list(map(float, init)),
                  "ref": ref, "fixed": list(map(bool, fixed)), "bounds": [list(map(float, b)) for b in bounds],
                  "twice_nll_ref": twice_nll(ref), "twice_nll_init": twice_nll(init)}))
"""


def pyhf_reference(spec):
    """pyhf's parameter layout and its twice_nll at theta_ref (and the init), from a subprocess."""
    r = subprocess.run([sys.executable, "-c", _PYHF_REFERENCE], input=json.dumps({"spec": spec}), capture_output=True,
                       text=True)
    if r.returncode != 0:
        raise Unsupported(f"pyhf (numpy) is needed to align RooFit's NLL constant: {r.stderr.strip()[-500:]}")
    return json.loads(r.stdout)


class Model:
    """The HistFactory workspace of a pyhf spec, with its ModelConfig, data and parameter map."""

    def __init__(self, ROOT, spec):
        self.ROOT = ROOT
        self.meas = measurement(ROOT, spec)
        HF = ROOT.RooStats.HistFactory
        cfg = HF.HistoToWorkspaceFactoryFast.Configuration()
        cfg.createWorkspaceFile = False  # no ROOT files written, no per-channel workspaces built
        cfg.createPerRegionWorkspaces = False
        self.ws = HF.MakeModelAndMeasurementFast(self.meas, cfg)
        ROOT.SetOwnership(self.ws, True)
        self.mc = self.ws.obj("ModelConfig")
        self.fixed_lumi = self._unlumi(spec)
        self.data = self.ws.data("obsData")
        self.poi = self.mc.GetParametersOfInterest().first()
        self.names, self.kinds = roofit_names(spec)
        self.params = self.mc.GetPdf().getParameters(self.data)
        pars = _pyhf_defaults(spec)
        for pname, rnames in self.names.items():
            p = {**PYHF_DEFAULTS[self.kinds[pname]], **pars.get(pname, {})}  # pyhf's parameter space
            for i, rn in enumerate(rnames):
                v = self.params.find(rn)
                if not v:
                    continue  # a bin HistFactory made no parameter for (the offset's point finds these)
                v.setRange(*map(float, p["bounds"][min(i, len(p["bounds"]) - 1)]))
                v.setVal(float(p["inits"][min(i, len(p["inits"]) - 1)]))
                v.setConstant(bool(p.get("fixed", False)))
        self.init = self.params.snapshot()

    def _unlumi(self, spec):
        """Seen with ROOT 6.40: MakeModelAndMeasurementFast multiplies every sample by the Lumi parameter,
        also those with SetNormalizeByTheory(False); pyhf scales only the samples with a lumi modifier.
        Those samples' scale factors get the nominal luminosity as a constant instead."""
        # a name of its own (RooFit's cpu backend keys nodes by name), standing in for "Lumi"
        nominal = self.ROOT.RooConstVar("Lumi_nominal", "Lumi_nominal", self.meas.GetLumi())
        nominal.setAttribute("ORIGNAME:Lumi")
        for c in spec["channels"]:
            for s in c["samples"]:
                if any(m["type"] == "lumi" for m in s["modifiers"]):
                    continue
                prod = self.ws.function(f"{s['name']}_{c['name']}_scaleFactors")
                if prod and prod.findServer("Lumi"):
                    prod.redirectServers(self.ROOT.RooArgList(nominal), False, True)
        return nominal  # held: the products point at it

    def reset(self):
        self.params.assign(self.init)

    def set_pyhf_point(self, layout, x):
        """Sets RooFit's parameters from a point in pyhf's layout; returns the pyhf parameters that have
        no RooFit variable."""
        missing = []
        for pname, (a, b) in layout["slots"].items():
            rnames = self.names.get(pname, [])
            for k, j in enumerate(range(a, b)):
                v = self.params.find(rnames[k]) if k < len(rnames) else None
                if not v:
                    if not layout["fixed"][j]:
                        missing.append(f"{pname}[{k}]")
                    continue
                v.setVal(float(x[j]))
        return missing

    def nll(self, backend):
        RF = self.ROOT.RooFit
        try:
            return self._nll(RF, backend)
        except Exception as e:  # the pip wheel's codegen backend needs Clad, which it is built without
            if "Clad" in str(e):
                raise Unsupported(f"EvalBackend('{backend}'): ROOT says 'Function could not be differentiated since "
                                  "ROOT was built without Clad support' (see root-codegen_no_grad)") from e
            raise

    def _nll(self, RF, backend):
        return self.mc.GetPdf().createNLL(self.data, RF.Constrain(self.mc.GetNuisanceParameters()),
                                          RF.GlobalObservables(self.mc.GetGlobalObservables()), RF.EvalBackend(backend))


def _set_default_backend(ROOT, backend):
    """Every NLL RooStats makes (AsymptoticCalculator's fits) uses this backend."""
    value = {"legacy": "Legacy", "cpu": "Cpu", "codegen": "Codegen", "codegen_no_grad": "CodegenNoGrad",
             "cuda": "Cuda"}[backend]
    ROOT.gInterpreter.ProcessLine(f"RooFit::EvalBackend::defaultValue() = RooFit::EvalBackend::Value::{value};")


def _offset(model, nll, layout):
    """2 * RooFit's NLL - pyhf's twice_nll, measured at theta_ref (the constant between them)."""
    missing = model.set_pyhf_point(layout, layout["ref"])
    if missing:
        raise RuntimeError(f"pyhf parameters with no RooFit variable: {', '.join(missing[:5])}")
    value = 2.0 * nll.getVal()
    model.reset()
    return value - layout["twice_nll_ref"]


def hypotest(ROOT, model, mu=1.0):
    """RooStats' asymptotic one-sided q~ test of mu against mu = 0: CLs observed and the expected band."""
    model.reset()
    sb = model.mc.Clone("sb")
    model.poi.setVal(mu)
    sb.SetSnapshot(ROOT.RooArgSet(model.poi))
    b = model.mc.Clone("b")
    model.poi.setVal(0.0)
    b.SetSnapshot(ROOT.RooArgSet(model.poi))
    model.reset()
    calc = ROOT.RooStats.AsymptoticCalculator(model.data, b, sb)
    calc.SetOneSided(True)
    calc.SetQTilde(True)
    res = calc.GetHypoTest()
    res.SetBackgroundAsAlt(True)  # as RooStats' HypoTestInverter does: CLs = CLs+b / CLb, with b the alternative
    pnull, palt = res.NullPValue(), res.AlternatePValue()
    exp = [ROOT.RooStats.AsymptoticCalculator.GetExpectedPValues(pnull, palt, n, True) for n in (-2, -1, 0, 1, 2)]  # pyhf's order
    out = {"quantity": "CLs_obs", "value": float(res.CLs()), "extra": {"CLs_exp": [float(e) for e in exp]}}
    model.reset()
    return out


def prepare(options, workload, task):
    backend, name = options["backend"], task["name"]
    if name in UNSUPPORTED:
        raise Unsupported(UNSUPPORTED[name])
    why = needs_poi(workload.get("no_poi"), name)
    if why:
        raise Unsupported(why)
    if backend == "cuda" and "cuda" not in (root_config_features() or set()):
        raise Unsupported("this ROOT is built without CUDA (root-config --features)")
    ROOT = _root()
    _set_default_backend(ROOT, backend)
    if name == "grid":
        return _grid(ROOT, workload)
    spec = workload["spec"]
    if workload.get("no_poi"):
        raise Unsupported("background-only workspaces: HistFactory needs a POI in the measurement")
    model = Model(ROOT, spec)
    if name == "hypotest":
        mu = float(task.get("poi", 1.0))
        model.nll(backend)  # an NLL is made once here so that a backend that cannot build one is a skip
        return lambda: hypotest(ROOT, model, mu)
    layout = pyhf_reference(spec)
    nll = model.nll(backend)
    offset = _offset(model, nll, layout)
    # the closures below hold `model`: the RooWorkspace it owns must outlive the NLL
    if name == "nll":
        values = [model.poi.getVal(), math.nextafter(model.poi.getVal(), math.inf)]
        state = [0]

        def once():  # the POI moves by an ulp: RooFit recomputes what depends on it (see the docstring)
            state[0] ^= 1
            model.poi.setVal(values[state[0]])
            return {"quantity": "twice_nll", "value": 2.0 * nll.getVal() - offset}
        return once
    if name == "fit":
        def once():
            model.reset()
            m = ROOT.RooMinimizer(nll)
            m.setPrintLevel(-1)
            status = m.minimize("Minuit2", "Migrad")
            out = {"quantity": "twice_nll", "value": 2.0 * nll.getVal() - offset,
                   "extra": {"status": int(status), "mu_hat": float(model.poi.getVal())}}
            return out
        return once
    raise Unsupported(f"unknown task {name!r}")


def _grid(ROOT, workload):
    import jsonpatch
    background, patches = workload["background"], workload["grid_patches"]

    def once():
        values = {}
        for pname, ops in patches:
            try:
                values[pname] = hypotest(ROOT, Model(ROOT, jsonpatch.apply_patch(background, ops)))["value"]
            except Exception:  # recorded as null, as the other engines do
                values[pname] = None
        return {"quantity": "CLs_obs", "value": float(len(values)), "values": values}
    return once
