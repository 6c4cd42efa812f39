"""ROOT's side of the HS3 tests (test_hs3.py), run in a subprocess so that ROOT stays out of pytest's
process: prints one JSON line on standard output.

  hs3_root.py fit FILE.json      RooJSONFactoryWSTool::importJSON, then a Minuit2 fit of the
                                 ModelConfig's pdf to obsData: {"init": 2 NLL at the file's values,
                                 "fit": 2 NLL at the minimum, "status", "pars": {name: value}}
  hs3_root.py export SPEC OUT    the pyhf workspace SPEC built with HistFactory's C++ API (the bench's
                                 root engine) and written by RooJSONFactoryWSTool as OUT
"""
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def quiet():
    sys.stdout.flush()
    answer = os.dup(1)
    os.dup2(2, 1)  # ROOT's C++ output to stderr; the answer keeps the real stdout
    sys.stdout = os.fdopen(answer, "w")
    import ROOT
    ROOT.gROOT.SetBatch(True)
    ROOT.gErrorIgnoreLevel = ROOT.kWarning
    ROOT.RooMsgService.instance().setGlobalKillBelow(ROOT.RooFit.WARNING)
    return ROOT


def fit(path):
    ROOT = quiet()
    ws = ROOT.RooWorkspace("w")
    if not ROOT.RooJSONFactoryWSTool(ws).importJSON(str(path)):
        raise SystemExit("importJSON failed")
    mc = ws.obj("ModelConfig")
    data = ws.data("obsData")
    pdf = mc.GetPdf()
    nll = pdf.createNLL(data, ROOT.RooFit.Constrain(mc.GetNuisanceParameters()),
                        ROOT.RooFit.GlobalObservables(mc.GetGlobalObservables()), ROOT.RooFit.EvalBackend("legacy"), ROOT.RooFit.Offset("initial"))
    params = pdf.getParameters(data)
    init = 2.0 * nll.getVal()
    m = ROOT.RooMinimizer(nll)
    m.setPrintLevel(-1)
    m.setStrategy(2)
    m.setEps(1e-8)  # tolerance far below ROOT's default 1: the test compares parameters at 1e-4
    status = m.minimize("Minuit2", "Migrad")
    for _ in range(3):  # Migrad again from where it stopped: Minuit2 stops once its EDM estimate is met,
        status = m.minimize("Minuit2", "Migrad")  # which leaves O(1e-4) on some parameters at the first go
    pars = {p.GetName(): p.getVal() for p in params if not p.isConstant()}
    print(json.dumps({"init": init, "fit": 2.0 * nll.getVal(), "status": int(status), "pars": pars}))


def export(spec_path, out):
    sys.path.insert(0, str(REPO / "bench"))
    from hfxbench.engines import root as engine
    ROOT = engine._root()  # quietened as quiet() does
    model = engine.Model(ROOT, json.loads(Path(spec_path).read_text()))
    Path(out).write_text(str(ROOT.RooJSONFactoryWSTool(model.ws).exportJSONtoString()))
    print(json.dumps({"written": str(out)}))


if __name__ == "__main__":
    if sys.argv[1] == "fit":
        fit(sys.argv[2])
    else:
        export(sys.argv[2], sys.argv[3])
