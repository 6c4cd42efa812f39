"""pyhf's validation cases (pyhf tests/test_validation.py) as workspaces, with the CLs that ROOT
computed for them, as published there.

The models are built from the small JSON sources in ../shared/pyhf-validation/data the way pyhf's
fixtures build them. ROOT's numbers were made with the q test statistic (pyhf's `qtilde=False`),
normsys interpolation code1 and histosys code0, the interpolations ROOT used then: compare with
those settings (VALIDATION_OPTIONS).
"""
import json

VALIDATION_OPTIONS = ["--test-stat", "q", "--normsys-interp", "code1", "--histosys-interp", "code0"]

# ROOT's CLs at mu = 1 (pyhf tests/test_validation.py, expected_result_*)
ROOT_CLS = {
    "1bin_shapesys": (0.4541865416107029, [0.06371799398864626, 0.15096503398048894, 0.3279606950533305,
                                           0.6046087303039118, 0.8662627605298466]),
    "1bin_lumi": (0.01047275, [0.01060338, 0.04022273, 0.13614217, 0.37078321, 0.71104119]),
    "1bin_normsys": (0.0006735317023683173, [7.471684419037561e-10, 5.7411551509088054e-08,
                                             3.6898088062731205e-06, 0.00016965731538267896,
                                             0.004392708998555453]),
    "2bin_histosys": (0.1001463460725534, [7.134513306138892e-06, 0.00012547100627138575, 0.001880010666437615,
                                           0.02078964907605385, 0.13692494523572218]),
    "2bin_2channel": (0.056332621064982304, [0.00043491354821983556, 0.0034223000502860606, 0.02337423265831151,
                                             0.1218654225510158, 0.40382074249477845]),
    "2bin_2channel_couplednorm": (0.5906228034705155, [0.055223914655538435, 0.13613239925395315,
                                                       0.3068720101493323, 0.5839470093910164,
                                                       0.8554725461337025]),
    "2bin_2channel_coupledhistosys": (0.07967400132261188, [1.7653746536962154e-05, 0.00026265644807799805,
                                                            0.00334003612780065, 0.031522353024659715,
                                                            0.17907742915143962]),
    "2bin_2channel_coupledshapefactor": (0.5421679124909312, [0.013753299929451691, 0.048887400056355966,
                                                              0.15555296253957684, 0.4007561343326305,
                                                              0.7357169630955912]),
}


def _mu():
    return {"name": "mu", "type": "normfactor", "data": None}


def _sample(name, data, *modifiers):
    return {"name": name, "data": data, "modifiers": list(modifiers)}


def _channels(shared):
    src = shared / "pyhf-validation" / "data"

    def load(name):
        return json.loads((src / name).read_text())

    ex1 = load("1bin_example1.json")["bindata"]
    h2 = load("2bin_histosys_example2.json")["bindata"]
    c2 = {k: v["bindata"] for k, v in load("2bin_2channel_example1.json")["channels"].items()}
    cn = {k: v["bindata"] for k, v in load("2bin_2channel_couplednorm.json")["channels"].items()}
    ch = {k: v["bindata"] for k, v in load("2bin_2channel_coupledhisto.json")["channels"].items()}
    cs = {k: v["bindata"] for k, v in load("2bin_2channel_coupledshapefactor.json")["channels"].items()}

    def normsys(lo, hi):
        return {"name": "coupled_normsys", "type": "normsys", "data": {"lo": lo, "hi": hi}}

    def histosys(name, b, key):
        return {"name": name, "type": "histosys", "data": {"lo_data": b[key + "_dn"], "hi_data": b[key + "_up"]}}

    def shapesys(name, data):
        return {"name": name, "type": "shapesys", "data": data}

    shapefactor = {"name": "coupled_shapefactor", "type": "shapefactor", "data": None}
    lumi = {"name": "lumi", "type": "lumi", "data": None}
    # name: (channels as (name, samples, observed), measurement parameters)
    return {
        "1bin_shapesys": ([("singlechannel", [_sample("signal", ex1["sig"], _mu()), _sample(
            "background", ex1["bkg"], shapesys("uncorr_bkguncrt", ex1["bkgerr"]))], ex1["data"])], []),
        "1bin_lumi": ([("channel1", [_sample("signal", [20.0], _mu()), _sample("background1", [100.0], lumi),
                                     _sample("background2", [0.0], lumi)], ex1["data"])],
                      [{"auxdata": [1.0], "bounds": [[0.0, 10.0]], "inits": [1.0], "name": "lumi",
                        "sigmas": [0.1]}]),
        "1bin_normsys": ([("singlechannel", [_sample("signal", [30.0, 95.0], _mu()), _sample(
            "background", [100.0, 150.0], {"name": "bkg_norm", "type": "normsys", "data": {"lo": 0.9, "hi": 1.1}})],
            [120.0, 180.0])], []),
        "2bin_histosys": ([("singlechannel", [_sample("signal", h2["sig"], _mu()), _sample(
            "background", h2["bkg"], histosys("bkg_norm", h2, "bkgsys"))], h2["data"])], []),
        "2bin_2channel": ([
            ("signal", [_sample("signal", c2["signal"]["sig"], _mu()), _sample(
                "background", c2["signal"]["bkg"], shapesys("uncorr_bkguncrt_signal", c2["signal"]["bkgerr"]))],
             c2["signal"]["data"]),
            ("control", [_sample("background", c2["control"]["bkg"],
                                 shapesys("uncorr_bkguncrt_control", c2["control"]["bkgerr"]))],
             c2["control"]["data"])], []),
        "2bin_2channel_couplednorm": ([
            ("signal", [_sample("signal", cn["signal"]["sig"], _mu()),
                        _sample("bkg1", cn["signal"]["bkg1"], normsys(0.9, 1.1)),
                        _sample("bkg2", cn["signal"]["bkg2"], normsys(0.5, 1.5))], cn["signal"]["data"]),
            ("control", [_sample("background", cn["control"]["bkg1"], normsys(0.9, 1.1))],
             cn["control"]["data"])], []),
        "2bin_2channel_coupledhistosys": ([
            ("signal", [_sample("signal", ch["signal"]["sig"], _mu()),
                        _sample("bkg1", ch["signal"]["bkg1"], histosys("coupled_histosys", ch["signal"], "bkg1")),
                        _sample("bkg2", ch["signal"]["bkg2"], histosys("coupled_histosys", ch["signal"], "bkg2"))],
             ch["signal"]["data"]),
            ("control", [_sample("background", ch["control"]["bkg1"],
                                 histosys("coupled_histosys", ch["control"], "bkg1"))], ch["control"]["data"])], []),
        "2bin_2channel_coupledshapefactor": ([
            ("signal", [_sample("signal", cs["signal"]["sig"], _mu()),
                        _sample("bkg1", cs["signal"]["bkg1"], shapefactor)], cs["signal"]["data"]),
            ("control", [_sample("background", cs["control"]["bkg1"], shapefactor)], cs["control"]["data"])], []),
    }


def validation_workspaces(shared):
    """{case name: pyhf workspace (dict)} for every case of ROOT_CLS."""
    out = {}
    for name, (channels, parameters) in _channels(shared).items():
        out[name] = {
            "channels": [{"name": c, "samples": s} for c, s, _ in channels],
            "observations": [{"name": c, "data": d} for c, _, d in channels],
            "measurements": [{"name": "meas", "config": {"poi": "mu", "parameters": parameters}}],
            "version": "1.0.0",
        }
    return out
