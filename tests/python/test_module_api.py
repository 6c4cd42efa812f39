"""The Python module's API: pyhf's argument and return shapes (compared with pyhf 0.7.6 itself where it is
installed), errors (the bad-input corpora raise the hfx.Error subclass of their status with exactly the
CLI's message; wrong-shaped arrays raise, never crash), toys as arrays (ranges merge bit for bit, and
equal the CLI's toy-based CLs), batches, backends, and the GIL released around library calls.
"""
import json
import threading

import numpy as np
import pytest

from conftest import DATA
from test_cli_errors import CASES

SIMPLE = DATA / "infer_simple.json"  # pyhf's uncorrelated_background([12, 11], [50, 52], [3, 7]), data [51, 48]


@pytest.fixture(scope="module")
def simple(hfxmod):
    ws = hfxmod.Workspace(SIMPLE)
    m = ws.model()
    return ws, m, ws.data(m)


def pyhf_or_skip():
    return pytest.importorskip("pyhf", reason="pyhf 0.7.6 is not installed")


def test_inputs_dict_path_and_pyhf_workspace(hfxmod, simple):
    spec = json.loads(SIMPLE.read_text())
    _, m, data = simple
    want = m.twice_nll(m.config.suggested_init(), data)
    assert hfxmod.Workspace(spec).model().twice_nll(m.config.suggested_init()) == want
    assert hfxmod.Workspace(str(SIMPLE)).model().twice_nll(m.config.suggested_init()) == want
    pyhf = pyhf_or_skip()
    pws = pyhf.Workspace(spec)
    hm = hfxmod.Workspace(pws).model()
    pm = pws.model()
    assert hm.config.par_order == pm.config.par_order and hm.config.par_names == pm.config.par_names
    assert hm.config.suggested_bounds() == [tuple(map(float, b)) for b in pm.config.suggested_bounds()]
    assert hm.config.poi_index == pm.config.poi_index and hm.config.poi_name == pm.config.poi_name
    assert hm.config.par_slice("uncorr_bkguncrt") == pm.config.par_slice("uncorr_bkguncrt")
    assert hm.config.channels == pm.config.channels and hm.config.samples == pm.config.samples
    assert hm.config.nmaindata == pm.config.nmaindata and hm.config.auxdata == pytest.approx(pm.config.auxdata)
    np.testing.assert_allclose(hfxmod.Workspace(pws).data(hm), pws.data(pm), rtol=1e-15)
    init = pm.config.suggested_init()
    np.testing.assert_allclose(hm.logpdf(init, pws.data(pm)), pm.logpdf(init, pws.data(pm)), rtol=1e-9)
    np.testing.assert_allclose(hm.expected_data(init), pm.expected_data(init), rtol=1e-12)


def test_return_shapes_match_pyhf(hfxmod, simple):
    """Every flag combination of hypotest, fit and upper_limit returns what pyhf returns, in shape, and
    the same numbers (CLs 1e-4 relative: both optimizers converge on this model)."""
    pyhf = pyhf_or_skip()
    pyhf.set_backend("numpy")
    _, m, data = simple
    pm = pyhf.Workspace(json.loads(SIMPLE.read_text())).model()

    def shape(x):
        if isinstance(x, (tuple, list)):
            return (type(x).__name__, [shape(v) for v in x])
        return np.shape(x)

    def close(a, b, atol=1e-7):
        if isinstance(a, (tuple, list)):
            return len(a) == len(b) and all(close(x, y, atol) for x, y in zip(a, b))
        return np.allclose(a, b, rtol=1e-4, atol=atol)

    for test_stat in ("qtilde", "q", "q0"):
        for flags in ({}, {"return_tail_probs": True}, {"return_expected": True}, {"return_expected_set": True},
                      {"return_tail_probs": True, "return_expected": True, "return_expected_set": True}):
            mine = hfxmod.infer.hypotest(1.0, data, m, test_stat=test_stat, **flags)
            theirs = pyhf.infer.hypotest(1.0, data, pm, test_stat=test_stat, **flags)
            assert shape(mine) == shape(theirs), (test_stat, flags)
            # q0: the data show no excess, mu_hat is at its bound 0 and p0 = 0.5 exactly; pyhf's SLSQP
            # stops at mu_hat ~ 1e-4 (q0 ~ 1e-7), which moves its p0 by ~1.5e-4
            assert close(mine, theirs, 5e-4 if test_stat == "q0" else 1e-7), (test_stat, flags, mine, theirs)
    for flags in ({}, {"return_fitted_val": True}, {"return_uncertainties": True},
                  {"return_uncertainties": True, "return_fitted_val": True}):
        # pyhf returns uncertainties only from minuit (scipy's fits ignore the flag): compare with that
        pyhf.set_backend("numpy", "minuit" if flags.get("return_uncertainties") else "scipy")
        try:
            mine = hfxmod.infer.mle.fit(data, m, **flags)
            theirs = pyhf.infer.mle.fit(data, pm, **flags)
            assert shape(mine) == shape(theirs), flags
            mine = hfxmod.infer.mle.fixed_poi_fit(1.0, data, m, **flags)
            theirs = pyhf.infer.mle.fixed_poi_fit(1.0, data, pm, **flags)
            assert shape(mine) == shape(theirs), flags
        finally:
            pyhf.set_backend("numpy", "scipy")
    scan = np.linspace(0, 5, 11)
    mine = hfxmod.infer.intervals.upper_limits.upper_limit(data, m, scan, return_results=True)
    theirs = pyhf.infer.intervals.upper_limits.upper_limit(data, pm, scan, return_results=True)
    assert shape(mine[:2]) == shape(theirs[:2]) and close(mine[:2], theirs[:2])
    assert shape(mine[2][1]) == shape(theirs[2][1])
    # at mu = 0 the q~ CLs is 0/0 (hfx gives 1, pyhf whatever its fits leave); the other points agree
    assert close(mine[2][1][1:], theirs[2][1][1:]) and np.array_equal(mine[2][0], theirs[2][0])
    obs, exp = hfxmod.infer.intervals.upper_limits.upper_limit(data, m)
    assert obs.shape == () and len(exp) == 5


def test_fit_options(hfxmod, simple):
    _, m, data = simple
    fixed = m.config.suggested_fixed()
    fixed[1] = True
    init = m.config.suggested_init()
    init[1] = 1.2
    pars, result = hfxmod.infer.mle.fit(data, m, init_pars=init, fixed_params=fixed, return_result_obj=True)
    assert pars[1] == 1.2 and result.success and result.unc[1] == 0.0 and result.nfev > 0
    # other bounds and inits than the model's: a model rebuilt with them (pyhf passes them to its
    # optimizer); the POI's upper bound 0.5 holds the fit there
    bounded = hfxmod.infer.mle.fit(data, m, init_pars=[0.25, 1.0, 1.0], par_bounds=[(0, 0.5), (1e-10, 10), (1e-10, 10)])
    assert bounded[0] <= 0.5
    hfxmod.infer.hypotest(1.0, data, m, init_pars=init)
    # the model's own values are accepted
    hfxmod.infer.hypotest(1.0, data, m, init_pars=m.config.suggested_init(), par_bounds=m.config.suggested_bounds())


@pytest.mark.parametrize("directory,file,message", CASES, ids=[f"{d}/{f}" for d, f, _ in CASES])
def test_bad_input_raises_the_cli_message(hfxmod, monkeypatch, directory, file, message):
    monkeypatch.chdir(DATA / directory)
    with pytest.raises(hfxmod.Error) as e:
        if file.endswith(".patch.json"):
            hfxmod.Workspace("../spec-simple.json").model(patches=[file])
        elif file.endswith(".patchset.json"):
            hfxmod.Patchset(file)
        else:
            hfxmod.Workspace(file).model()
    assert str(e.value) == message
    assert type(e.value) is not hfxmod.Error  # the subclass of its status
    assert e.value.status < 0 and e.value.status_name.startswith("HFX_ERR_") and e.value.detail in message


def test_error_classes_and_fields(hfxmod, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"channels": [\n  {"name": }\n]}')
    with pytest.raises(hfxmod.JSONError) as e:
        hfxmod.Workspace(bad)
    assert e.value.line == 2 and e.value.column > 0 and e.value.source == str(bad)
    assert str(e.value).startswith(f"{bad}:2:")
    with pytest.raises(hfxmod.FileError) as e:
        hfxmod.Workspace(tmp_path / "missing.json")
    assert isinstance(e.value, OSError) and "missing.json" in str(e.value)
    with pytest.raises(hfxmod.NotFoundError):
        hfxmod.Workspace(SIMPLE).model(backend="no-such-backend")
    with pytest.raises(hfxmod.NotFoundError, match="no measurement named 'no-such-measurement'"):
        hfxmod.Workspace(SIMPLE).model(measurement_name="no-such-measurement")
    with pytest.raises(hfxmod.ArgumentError):
        hfxmod.Workspace(SIMPLE).model(modifier_settings={"normsys": {"interpcode": "code9"}})
    with pytest.raises(hfxmod.ArgumentError):
        hfxmod.Workspace(42)


def test_wrong_shapes_raise(hfxmod, simple):
    _, m, data = simple
    init = np.array(m.config.suggested_init())
    calls = [
        lambda: m.logpdf(init[:2], data),
        lambda: m.logpdf(init, data[:3]),
        lambda: m.logpdf(np.zeros((2, 2, 3)), data),
        lambda: m.twice_nll_batch(init, data),
        lambda: m.twice_nll_batch(np.tile(init, (3, 1)), np.tile(data, (2, 1))),
        lambda: m.expected_data(init[:1]),
        lambda: hfxmod.infer.hypotest(1.0, data[1:], m),
        lambda: hfxmod.infer.hypotest(float("nan"), data, m),
        lambda: hfxmod.infer.mle.fit(np.zeros((2, 5)), m),
        lambda: hfxmod.infer.mle.fit(data, m, init_pars=[1.0]),
        lambda: hfxmod.infer.mle.fit(data, m, fixed_params=[True]),
        lambda: hfxmod.infer.toys(1.0, data, m, ntoys=0),
        lambda: hfxmod.infer.hypotest(1.0, data, m, test_stat="qq"),
        lambda: hfxmod.infer.intervals.upper_limits.upper_limit(data, m, [0.0, 1.0, 5.0]),
        # the extension itself checks types and lengths (the package's checks are not the only guard)
        lambda: m.engine.twice_nll([1.0, 1.0, 1.0]),
        lambda: m.engine.twice_nll(np.ones(3, dtype=np.float32)),
        lambda: m.engine.twice_nll(np.ones(6)[::2]),
        lambda: m.engine.twice_nll(np.ones(3), None, np.ones(2)),
        lambda: m.engine.twice_nll_batch(4, np.ones(9), np.empty(4)),
        lambda: m.engine.fit(np.empty(3), None, np.ones(2)),
        lambda: m.engine.toys(1.0, 0, 10, np.empty(10), np.empty(9)),
        lambda: m.engine.upper_limit(n_scan=5, lo=0, hi=1, scan_out=np.empty(7)),
    ]
    for i, call in enumerate(calls):
        with pytest.raises((hfxmod.ArgumentError, hfxmod.UnsupportedError)):
            call()
            pytest.fail(f"call {i} did not raise")
    read_only = np.empty(3)
    read_only.flags.writeable = False
    with pytest.raises(hfxmod.ArgumentError):
        m.engine.twice_nll(init, None, read_only)


def test_measurements_from_the_library(hfxmod):
    """Workspace.measurement_names and model()'s measurement and POI choices come from the library's
    validated spec (_core.Workspace.measurements, hfx_spec_*), not from the JSON read into Python."""
    spec = json.loads(SIMPLE.read_text())
    first = spec["measurements"][0]
    spec["measurements"].append({"name": "bkg_only", "config": {"poi": "", "parameters": first["config"]["parameters"]}})
    ws = hfxmod.Workspace(spec)
    assert ws._ws.measurements() == [(first["name"], first["config"]["poi"]), ("bkg_only", "")]
    assert ws.measurement_names == [m["name"] for m in spec["measurements"]]
    assert ws.model(measurement_index=1).config.poi_name is None  # pyhf: POI "" is none
    assert ws.model(measurement_name="bkg_only").config.poi_name is None
    assert ws.model(measurement_index=0).config.poi_name == first["config"]["poi"]
    with pytest.raises(hfxmod.NotFoundError, match="measurement_index 2: the workspace has 2 measurements"):
        ws.model(measurement_index=2)
    spec["channels"][0]["samples"][0]["data"] = [1.0]  # one bin short: the library's validation error
    with pytest.raises(hfxmod.Error, match="bins") as e:
        hfxmod.Workspace(spec).measurement_names
    with pytest.raises(type(e.value), match="bins") as e2:
        hfxmod.Workspace(spec).model()
    assert str(e2.value) == str(e.value)


def test_no_poi(hfxmod):
    ws = hfxmod.Workspace(SIMPLE)
    m = ws.model(poi_name=None)
    assert m.config.poi_index is None and m.config.poi_name is None
    hfxmod.infer.mle.fit(ws.data(m), m)
    with pytest.raises(hfxmod.ArgumentError):
        hfxmod.infer.hypotest(1.0, ws.data(m), m)
    with pytest.raises(hfxmod.ArgumentError):
        hfxmod.infer.mle.fixed_poi_fit(1.0, ws.data(m), m)


def test_batches(hfxmod, simple):
    _, m, data = simple
    rng = np.random.default_rng(1)
    lo, hi = np.array(m.config.suggested_bounds()).T
    pars = lo + (np.minimum(hi, 3) - lo) * rng.random((50, m.config.npars))
    datas = data + rng.integers(0, 5, size=(50, data.size))
    values, grads = m.twice_nll_batch(pars, datas, return_grad=True)
    for k in range(50):
        v, g = m.twice_nll(pars[k], datas[k], return_grad=True)
        assert values[k] == v and np.array_equal(grads[k], g)
    assert np.array_equal(m.twice_nll_batch(pars), [m.twice_nll(p) for p in pars])
    assert np.array_equal(m.logpdf(pars, data), -0.5 * m.twice_nll_batch(pars, data))


def test_toys_as_arrays(hfxmod, hfx, simple):
    _, m, data = simple
    whole = hfxmod.infer.toys(1.0, data, m, ntoys=300, seed=7)
    assert whole.teststat_sb.shape == (300,) and whole.teststat_b.shape == (300,) and whole.status == "converged"
    a = hfxmod.infer.toys(1.0, data, m, ntoys=170, seed=7)
    b = hfxmod.infer.toys(1.0, data, m, ntoys=130, seed=7, first=170)
    assert np.array_equal(np.r_[a.teststat_sb, b.teststat_sb], whole.teststat_sb)
    assert np.array_equal(np.r_[a.teststat_b, b.teststat_b], whole.teststat_b)
    obs, exp = hfxmod.infer.toys_cls(whole)
    h_obs, h_exp = hfxmod.infer.hypotest(1.0, data, m, calctype="toybased", ntoys=300, seed=7,
                                         return_expected_set=True)
    cli = json.loads(hfx("cls", SIMPLE, "--calctype", "toybased", "--ntoys", "300", "--seed", "7").stdout)
    assert float(obs) == float(h_obs) == cli["CLs_obs"]
    assert [float(e) for e in exp] == [float(e) for e in h_exp] == cli["CLs_exp"]
    # statistically what the asymptotic formula gives on this model (pyhf's docs: CLs 0.0525): 300 toys
    # give a binomial spread of about sqrt(0.05 * 0.95 / 300) / CLb ~ 0.03 on CLs
    assert abs(float(obs) - 0.0525) < 0.1


def test_backends(hfxmod, simple):
    ws, m, data = simple
    names = [b["name"] for b in hfxmod.backends()]
    assert {"cpu-ref", "cpu"} <= set(names)
    ref = ws.model(backend="cpu-ref")
    assert ref.engine.backend == "cpu-ref" and m.engine.backend == "cpu"
    assert float(hfxmod.infer.hypotest(1.0, data, ref)) == float(hfxmod.infer.hypotest(1.0, data, m))
    assert m.with_backend("cpu-ref", threads=1).engine.backend == "cpu-ref"
    for b in hfxmod.backends():
        if not b["usable"]:  # e.g. cuda without a GPU: a DeviceError naming the reason, on first use
            with pytest.raises(hfxmod.DeviceError, match="not available here"):
                ws.model(backend=b["name"]).engine


def test_optimizer(hfxmod, simple):
    """optimizer= as the CLI's --optimizer: auto is L-BFGS, either can be forced, both reach the same
    minimum (1e-9 relative), and a wrong name raises with the choices."""
    ws, m, data = simple
    assert m.engine.optimizer == "lbfgs"
    fits = {}
    for name in ("bfgs", "lbfgs"):
        forced = ws.model(optimizer=name)
        assert forced.engine.optimizer == name and m.with_backend(optimizer=name).engine.optimizer == name
        _, fits[name] = hfxmod.infer.mle.fit(data, forced, return_fitted_val=True)
    assert abs(fits["bfgs"] - fits["lbfgs"]) <= 1e-9 * abs(fits["bfgs"])
    with pytest.raises(hfxmod.ArgumentError, match="expected one of auto, bfgs, lbfgs"):
        ws.model(optimizer="newton")


def test_threads_run_concurrently_without_the_gil(hfxmod, simple):
    """Library calls release the GIL: while one thread runs toys for a while, the main thread keeps
    running Python. Results from several threads on separate models (and on a shared one) equal the
    serial ones."""
    ws, m, data = simple
    model = ws.model(backend="cpu-ref")
    done = threading.Event()
    out = {}

    def work():
        out["toys"] = hfxmod.infer.toys(1.0, data, model, ntoys=1500, seed=3)
        done.set()

    t = threading.Thread(target=work)
    t.start()
    spins = 0
    while not done.is_set():
        spins += 1
    t.join()
    assert spins > 10000, spins  # with the GIL held through the call, the loop would barely run

    models = [ws.model(backend="cpu-ref") for _ in range(4)]
    serial = [float(hfxmod.infer.hypotest(mu, data, mm)) for mu, mm in zip((0.5, 1.0, 1.5, 2.0), models)]
    results = [None] * 8

    def one(i):
        mm = models[i % 4] if i < 4 else m  # the last four share one model: they take turns on its engine
        results[i] = float(hfxmod.infer.hypotest((0.5, 1.0, 1.5, 2.0)[i % 4], data, mm))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert results[:4] == serial and results[4:] == serial


def test_scan_inputs(hfxmod, tmp_path):
    """hfx.scan takes a patchset file, an hfx.Patchset, a patchset dict or (name, operations) pairs."""
    ps_path = DATA / "spec-patchset.json"
    ps = json.loads(ps_path.read_text())
    bkg = DATA / "spec-simple.json"
    by_file = list(hfxmod.scan(bkg, ps_path, ordered=True))
    assert [r.name for r in by_file] == [p["metadata"]["name"] for p in ps["patches"]]
    for other in (hfxmod.Patchset(ps_path), ps, [(p["metadata"]["name"], p["patch"]) for p in ps["patches"]]):
        rows = list(hfxmod.scan(bkg, other, ordered=True, jobs=1))
        # the same numbers; errors of the same class (a patchset file's name the file and patch index)
        assert [(r.name, r.cls_obs, type(r.error)) for r in rows] == [(r.name, r.cls_obs, type(r.error)) for r in by_file]
    with pytest.raises(hfxmod.ArgumentError):
        hfxmod.scan(bkg, ps_path, jobs=-1)
