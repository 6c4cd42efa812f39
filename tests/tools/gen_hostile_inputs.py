"""Writes issue 19's hostile inputs of tests/data/hostile/ (the HS3, XML and ROOT ones: bin counts
that wrap, NaN and infinite bins, negative variances, histograms without bins, an empty or missing
<Input>, a channel read twice, a parameter named for two bins); their messages are in expected.tsv.
The JSON and XML files are deterministic; the ROOT file is written by uproot (its UUID and dates
change on every run, nothing else). The files are committed, and this script is how they were made.
Not run by CI.

Usage: python3 tests/tools/gen_hostile_inputs.py tests/data/hostile
"""
import copy
import json
import sys
from pathlib import Path

import numpy as np
import uproot

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
# an HS3 file of one channel, 2 bins, a staterror with its parameters (hs3-bad-data.json, repaired)
base = json.loads((out / "hs3-bad-data.json").read_text())
base["data"][0]["contents"] = [50, 60]


def write_json(name, doc):
    (out / name).write_text(json.dumps(doc, sort_keys=True) + "\n")


# axes of 4294967297 x 4294967295 bins: the product wrapped to SIZE_MAX, the number reader's "any length",
# and the staterror without "parameters" looped to SIZE_MAX (hang); with ... 4294967293 it printed the
# wrapped product in the message
hs3 = copy.deepcopy(base)
dist = hs3["distributions"][0]
dist["axes"] = [{"name": "x", "nbins": 4294967297, "min": 0, "max": 1}, {"name": "y", "nbins": 4294967295, "min": 0, "max": 1}]
del dist["samples"][1]["modifiers"][0]["parameters"]
write_json("hs3-axes-wrap.json", hs3)
dist["axes"][1]["nbins"] = 4294967293
write_json("hs3-axes-wrap-message.json", hs3)
# one axis beyond hfx's limit (2^32 bins), no product needed
dist["axes"] = [{"name": "x", "nbins": 2**40, "min": 0, "max": 1}]
write_json("hs3-axis-huge.json", hs3)
# a staterror naming the same gamma for both bins (was: two independent parameters of one name)
hs3 = copy.deepcopy(base)
hs3["distributions"][0]["samples"][1]["modifiers"][0]["parameters"] = ["gamma_stat_bin_0", "gamma_stat_bin_0"]
write_json("hs3-staterror-gamma-twice.json", hs3)
# a shapesys whose relative uncertainty x the nominal overflows to infinity (json_real(inf) is NULL)
hs3 = copy.deepcopy(base)
smp = hs3["distributions"][0]["samples"][1]
smp["data"]["contents"] = [50.0, 1e300]
smp["modifiers"] = [{"name": "shape", "type": "shapesys", "constraint_type": "Poisson", "data": {"vals": [0.1, 1e300]}}]
write_json("hs3-shapesys-overflow.json", hs3)

# a normfactor named lumi without a constraint, then one with (fuzz-hs3 found it: strcmp of NULL)
hs3 = copy.deepcopy(base)
samples = hs3["distributions"][0]["samples"]
samples[0]["modifiers"].append({"name": "lumi", "parameter": "lumi", "type": "normfactor"})
samples[1]["modifiers"].append({"name": "lumi", "parameter": "lumi", "type": "normfactor", "constraint_type": "Gauss"})
write_json("hs3-lumi-unconstrained-first.json", hs3)

# XML + ROOT: one ROOT file, a channel XML and a driver XML per case
with uproot.recreate(out / "xml-hostile.root") as f:
    edges = np.arange(4.0)

    def th1d(values, sumw2=None, n=3):
        e = np.arange(n + 1.0)
        values = np.asarray(values, dtype=np.float64)
        flow = np.concatenate([[0.0], values, [0.0]])
        w2 = flow if sumw2 is None else np.concatenate([[0.0], np.asarray(sumw2, dtype=np.float64), [0.0]])
        return uproot.writing.identify.to_TH1x(
            fName=None, fTitle="", data=flow, fEntries=float(n), fTsumw=0.0, fTsumw2=0.0, fTsumwx=0.0,
            fTsumwx2=0.0, fSumw2=w2, fXaxis=uproot.writing.identify.to_TAxis("xaxis", "", n, e[0], e[-1]))

    f["data"] = th1d([55.0, 62.0, 40.0])
    f["bkg"] = th1d([50.0, 60.0, 45.0])
    f["nan_bkg"] = th1d([50.0, np.nan, 45.0])
    f["nan_data"] = th1d([55.0, np.nan, 40.0])
    f["inf_data"] = th1d([55.0, 62.0, np.inf])
    f["nan_sumw2"] = th1d([50.0, 60.0, 45.0], [50.0, np.nan, 45.0])
    f["negative_sumw2"] = th1d([50.0, 60.0, 45.0], [50.0, -4.0, 45.0])
    f["huge_bkg"] = th1d([50.0, 1e300, 45.0])
    f["huge_rel"] = th1d([0.1, 1e300, 0.1])
    f["no_bins"] = th1d([], n=0)


def xml_case(name, data="data", sample="bkg", modifiers="", measurement='Lumi="1" LumiRelErr="0.1"', inputs=None):
    chan = f"{name}-channel.xml"
    if inputs == []:
        chan = None  # no channel XML to write
    else:
        (out / chan).write_text(f"""<Channel Name="SR" InputFile="xml-hostile.root">
  <Data HistoName="{data}"/>
  <Sample Name="bkg" HistoName="{sample}">
    {modifiers}
    <NormFactor Name="mu" Val="1" Low="0" High="10"/>
  </Sample>
</Channel>
""")
    inputs = [chan] if inputs is None else inputs
    lines = "".join(f"  <Input>{i}</Input>\n" for i in inputs)
    (out / f"{name}.xml").write_text(f"""<Combination OutputFilePrefix="results">
{lines}  <Measurement Name="meas" {measurement}><POI>mu</POI></Measurement>
</Combination>
""")


xml_case("xml-nan-bin", sample="nan_bkg")  # the NaN bin was dropped: a 2-bin model, exit 0
xml_case("xml-nan-data", data="nan_data")
xml_case("xml-inf-data", data="inf_data")
xml_case("xml-nan-sumw2", sample="nan_sumw2", modifiers='<StatError Activate="True"/>')
xml_case("xml-negative-sumw2", sample="negative_sumw2", modifiers='<StatError Activate="True"/>')
xml_case("xml-no-bins", data="no_bins")
xml_case("xml-staterror-overflow", sample="huge_bkg", modifiers='<StatError Activate="True" HistoName="huge_rel"/>')
xml_case("xml-shapesys-overflow", sample="huge_bkg", modifiers='<ShapeSys Name="shape" HistoName="huge_rel"/>')
xml_case("xml-nan-attribute", modifiers='<OverallSys Name="syst" Low="nan" High="1.1"/>')
xml_case("xml-lumi-overflow", measurement='Lumi="1e300" LumiRelErr="1e300"')
xml_case("xml-empty-input", inputs=["xml-empty-input-channel.xml", "  "])
xml_case("xml-no-input", inputs=[])
xml_case("xml-channel-twice", inputs=["xml-channel-twice-channel.xml", "xml-channel-twice-channel.xml"])
# a directory given as the ROOT file: the system's reason (was: "cannot read 100 bytes")
(out / "xml-root-directory-channel.xml").write_text("""<Channel Name="SR" InputFile=".">
  <Data HistoName="data"/>
  <Sample Name="bkg" HistoName="bkg"/>
</Channel>
""")
(out / "xml-root-directory.xml").write_text("""<Combination OutputFilePrefix="results">
  <Input>xml-root-directory-channel.xml</Input>
  <Measurement Name="meas" Lumi="1" LumiRelErr="0.1"><POI>mu</POI></Measurement>
</Combination>
""")

# json2xml of names hfx could not read back (was: exit 0, then "neither 'histSR_sig/nal' nor ..." on reading)
simple = json.loads((out.parent / "spec-simple.json").read_text())
for case, name in (("slash", "sig/nal"), ("tab", "sig\tnal")):
    doc = copy.deepcopy(simple)
    doc["channels"][0]["samples"][0]["name"] = name
    (out / f"xml-write-{case}.json").write_text(json.dumps(doc, indent=1))
