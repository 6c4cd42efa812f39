"""HistFactory XML + ROOT files: `hfx json2xml` / `hfx xml2json` against pyhf's readxml and uproot.

Round trips JSON -> XML + ROOT -> JSON keep twice_nll to 1e-12 (relative, `hfx eval` at the init and
at a reference point); uproot reads back every histogram hfx writes (values and errors to 1e-15);
hfx's xml2json prints what pyhf's prints (same JSON, numbers to 1e-12) on pyhf's validation inputs
(ROOT-written files), on uproot-written files with every compression and histogram type, and on the
files hfx writes; damaged files give a one-line error and exit status 1."""
import json
import math
import os
import random
import subprocess
from pathlib import Path

import pytest

from conftest import interp_options, pars_object, read_jsonl

uproot = pytest.importorskip("uproot", reason="uproot is needed to check the ROOT files")
np = pytest.importorskip("numpy")

REL = 1e-12


def twice_nll(hfx, ws, *extra):
    return json.loads(hfx("eval", ws, *extra).stdout)["twice_nll"]


def close(a, b, rel=REL):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1.0)


def numbers_close(a, b, rel=REL):
    """Same JSON structure; numbers equal to rel."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(numbers_close(a[k], b[k], rel) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(numbers_close(x, y, rel) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return close(float(a), float(b), rel)
    return a == b


def check_root_file(path, ws):
    """Every histogram of the data file, read by uproot, against the workspace it came from."""
    f = uproot.open(path)
    obs = {o["name"]: o["data"] for o in ws["observations"]}
    want = {}
    for c in ws["channels"]:
        want[f"hist{c['name']}_data"] = (obs[c["name"]], None)
        for s in c["samples"]:
            stat = [m["data"] for m in s["modifiers"] if m["type"] == "staterror"]
            want[f"hist{c['name']}_{s['name']}"] = (s["data"], stat[0] if stat else None)
            for m in s["modifiers"]:
                if m["type"] == "histosys":
                    want[f"hist{c['name']}_{s['name']}_{m['name']}Low"] = (m["data"]["lo_data"], None)
                    want[f"hist{c['name']}_{s['name']}_{m['name']}High"] = (m["data"]["hi_data"], None)
                elif m["type"] in ("staterror", "shapesys"):
                    rel = [a / b if b != 0 else 0.0 for a, b in zip(m["data"], s["data"])]
                    want[f"hist{c['name']}_{s['name']}_{m['name']}"] = (rel, None)
    assert sorted(f.keys(cycle=False)) == sorted(want)
    for name, (values, errors) in want.items():
        h = f[name]
        assert h.classname == "TH1D"
        assert np.allclose(h.values(), values, rtol=1e-15, atol=0)
        assert np.allclose(h.errors(), errors if errors is not None else np.sqrt(np.abs(values)), rtol=1e-15, atol=0)


def roundtrip(hfx, ws_path, out, extra=(), patch=()):
    hfx("json2xml", ws_path, "--output-dir", out, *[a for p in patch for a in ("--patch", p)])
    back = out / "back.json"
    back.write_text(hfx("xml2json", out / "FitConfig.xml").stdout)
    return back


def test_random_public_roundtrip(hfx, shared, tmp_path):
    cases = read_jsonl(shared / "reference" / "random_public.jsonl")
    assert len(cases) >= 50
    for i, case in enumerate(cases):
        ws = tmp_path / f"ws{i}.json"
        ws.write_text(json.dumps(case["workspace"]))
        out = tmp_path / f"xml{i}"
        back = roundtrip(hfx, ws, out)
        opts = interp_options(case["modifier_settings"])
        ref = case["reference"]
        point = json.dumps(pars_object(ref["points"][0], ref["par_order"], ref["par_slices"]))
        for extra in ([], ["--pars", point]):
            a = twice_nll(hfx, ws, *opts, *extra)
            b = twice_nll(hfx, back, *opts, *extra)
            c = twice_nll(hfx, out / "FitConfig.xml", *opts, *extra)  # the driver XML loaded directly
            assert close(a, b) and close(a, c), (i, extra, a, b, c)
        check_root_file(out / "data" / "data.root", case["workspace"])


@pytest.fixture(scope="module")
def sbottom(sbottom_dir):
    return sbottom_dir


def test_sbottom_patches_roundtrip(hfx, sbottom, tmp_path):
    # A fixed sample of the 650 patches (every region; the whole set takes minutes): 8 per region.
    rng = random.Random(8)
    for region in ("RegionA", "RegionB", "RegionC"):
        bkg = sbottom / region / "BkgOnly.json"
        patches = sorted((sbottom / region).glob("patch.*.json"))
        for p in rng.sample(patches, 8):
            out = tmp_path / f"{region}-{p.stem}"
            back = roundtrip(hfx, bkg, out, patch=[p])
            a = twice_nll(hfx, bkg, "-p", p)
            b = twice_nll(hfx, back)
            assert close(a, b), (region, p.name, a, b)
    # and the whole file checked with uproot for the last one
    spec = json.loads(subprocess.run([hfx.exe, "xml2json", out / "FitConfig.xml"], capture_output=True,
                                     text=True, check=True).stdout)
    check_root_file(out / "data" / "data.root", spec)


def pyhf_xml2json(driver, basedir):
    readxml = pytest.importorskip("pyhf.readxml")
    readxml.clear_filecache()
    return readxml.parse(driver, basedir)


VALIDATION = ["xmlimport_input", "multibin_histfactory", "multibin_histfactory_p0",
              "multichan_coupledhistosys_histfactory", "multichan_coupledoverall_histfactory",
              "multichannel_histfactory", "overallsys_histfactory", "shared_nuispar_across_types",
              # its header's version field is 0xfff1b180, negative as ROOT's Int_t: a small file (issue 19)
              "xmlimport_input4"]


def pyhf_likelihood(spec, at=None):
    """pyhf's twice_nll at the init, its MLE, and (when at is given: hfx's {set: value(s)}) at that point."""
    pyhf = pytest.importorskip("pyhf")
    pyhf.set_backend("numpy")
    ws = pyhf.Workspace(spec)
    model = ws.model()
    data = ws.data(model)
    init = model.config.suggested_init()
    at_init = float(-2 * model.logpdf(init, data)[0])
    _, mle = pyhf.infer.mle.fit(data, model, return_fitted_val=True)
    if at is None:
        return at_init, float(mle), None
    point = list(init)
    for name in model.config.par_order:
        sl = model.config.par_slice(name)
        v = at[name]
        point[sl] = v if isinstance(v, list) else [v]
    return at_init, float(mle), float(-2 * model.logpdf(point, data)[0])


@pytest.mark.parametrize("name", VALIDATION)
def test_xml2json_matches_pyhf_on_validation_inputs(hfx, shared, name, tmp_path):
    base = shared / "pyhf-validation" / name
    driver = base / "config" / "example.xml"
    got = json.loads(hfx("xml2json", driver, "--basedir", base).stdout)
    want = pyhf_xml2json(driver, base)
    assert numbers_close(got, json.loads(json.dumps(want)))
    ws = tmp_path / "ws.json"
    ws.write_text(json.dumps(got))
    fit = json.loads(hfx("fit", ws, "--no-uncertainties").stdout)
    at_init, at_mle, at_hfx_mle = pyhf_likelihood(want, fit["parameters"])
    assert close(twice_nll(hfx, ws), at_init, 1e-10)
    # hfx's minimum is pyhf's or lower (pyhf's SLSQP stops above the global minimum on
    # multichan_coupledhistosys), and pyhf's likelihood at hfx's best fit is hfx's minimum
    assert fit["twice_nll"] <= at_mle + 1e-6 * abs(at_mle)
    assert close(at_hfx_mle, fit["twice_nll"], 1e-9)
    # and through hfx's own files: json2xml, then pyhf reads them
    hfx("json2xml", ws, "--output-dir", tmp_path / "xml")
    again = pyhf_xml2json(tmp_path / "xml" / "FitConfig.xml", tmp_path / "xml")
    assert close(pyhf_likelihood(again)[0], at_init, 1e-10)


COMPRESSIONS = {"zlib": lambda: uproot.ZLIB(4), "lz4": lambda: uproot.LZ4(1), "zstd": lambda: uproot.ZSTD(3),
                "none": lambda: None}


def write_inputs(tmp_path, compression):
    """A driver + channel XML over uproot-written histograms: TH1D in a subdirectory (HistoPath), TH1F
    and TH1I at the top, more than one zlib/LZ4/ZSTD block's worth of bins in none of them."""
    rng = np.random.default_rng(1)
    n = 300
    edges = np.arange(n + 1.0)
    nominal = rng.uniform(50, 100, n)
    with uproot.recreate(tmp_path / "in.root", compression=COMPRESSIONS[compression]()) as f:
        f["dir/sub/nominal"] = (nominal, edges)
        f["sig"] = (rng.uniform(1, 5, n).astype(np.float32), edges)
        f["data"] = (rng.integers(40, 110, n).astype(np.int32), edges)
        f["shape_rel"] = (rng.uniform(0.01, 0.1, n), edges)
        f["up"] = (nominal * 1.05, edges)
        f["down"] = (nominal * 0.97, edges)
    return write_inputs_xml(tmp_path)


def write_inputs_xml(tmp_path):
    (tmp_path / "chan.xml").write_text("""<!DOCTYPE Channel SYSTEM 'HistFactorySchema.dtd'>
<Channel Name="SR" InputFile="in.root">
  <Data HistoName="data"/>
  <Sample Name="bkg" HistoName="nominal" HistoPath="/dir/sub/" NormalizeByTheory="True">
    <StatError Activate="True"/>
    <HistoSys Name="jes" HistoNameLow="down" HistoNameHigh="up"/>
    <ShapeSys Name="shape" HistoName="shape_rel" ConstraintType="Poisson"/>
  </Sample>
  <Sample Name="sig" HistoName="sig" NormalizeByTheory="False">
    <NormFactor Name="mu" Val="1" Low="0" High="5"/>
    <ShapeFactor Name="sf"/>
  </Sample>
</Channel>""")
    (tmp_path / "driver.xml").write_text("""<Combination OutputFilePrefix="out">
  <Input>chan.xml</Input>
  <Measurement Name="m" Lumi="2" LumiRelErr="0.05"><POI>mu</POI>
    <ParamSetting Const="True" Val="0.5">alpha_jes</ParamSetting></Measurement>
</Combination>""")
    return tmp_path / "driver.xml"


@pytest.mark.parametrize("compression", sorted(COMPRESSIONS))
def test_xml2json_reads_uproot_files(hfx, tmp_path, compression):
    for mod in {"lz4": "lz4", "zstd": "zstandard"}.get(compression, "").split():
        pytest.importorskip(mod, reason=f"uproot needs {mod} to write {compression}")
    driver = write_inputs(tmp_path, compression)
    got = json.loads(hfx("xml2json", driver, "--basedir", tmp_path).stdout)
    want = json.loads(json.dumps(pyhf_xml2json(driver, tmp_path)))
    assert numbers_close(got, want)
    # the driver XML straight into a command (paths beside the driver, from another directory)
    a = json.loads(hfx("eval", driver, cwd="/").stdout)["twice_nll"]
    ws = tmp_path / "ws.json"
    ws.write_text(json.dumps(want))
    assert close(a, twice_nll(hfx, ws))


def damaged(tmp_path, mutate):
    """hfx's own ROOT file, damaged by mutate(bytes) -> bytes, behind a valid XML."""
    spec = {"channels": [{"name": "c", "samples": [{"name": "s", "data": [float(i + 1) for i in range(800)],
                                                     "modifiers": [{"name": "mu", "type": "normfactor", "data": None}]}]}],
            "observations": [{"name": "c", "data": [float(i + 2) for i in range(800)]}],
            "measurements": [{"name": "m", "config": {"poi": "mu", "parameters": []}}], "version": "1.0.0"}
    (tmp_path / "ws.json").write_text(json.dumps(spec))
    return tmp_path / "xml", spec


def key_offset(raw, name):
    i = raw.find(name.encode(), 100)
    assert i > 0
    return i


MUTATIONS = {
    "truncated": lambda raw: raw[: len(raw) // 2],
    "header only": lambda raw: raw[:60],
    "not root": lambda raw: b"xxxx" + raw[4:],
    "empty": lambda raw: b"",
    "bad key list seek": lambda raw: raw[:0x1b] + b"\x7f\xff\xff\xff" + raw[0x1f:],
    "huge key count": None,  # below: the key list's count set to 2^31 - 1
    "bad compression header": None,  # the first histogram's "ZL" replaced (800 bins: compressed, over 4 kB)
    "huge object length": None,  # a key's fObjLen set to 2^31 - 1
}


@pytest.mark.parametrize("what", sorted(MUTATIONS))
def test_damaged_root_file_gives_one_line_error(hfx, tmp_path, what):
    out, spec = damaged(tmp_path, None)
    hfx("json2xml", tmp_path / "ws.json", "--output-dir", out)
    path = out / "data" / "data.root"
    raw = bytearray(path.read_bytes())
    if what == "huge key count":
        seek_keys = int.from_bytes(raw[out_dir_record(raw) + 26: out_dir_record(raw) + 30], "big")
        key_len = int.from_bytes(raw[seek_keys + 14: seek_keys + 16], "big")
        raw[seek_keys + key_len: seek_keys + key_len + 4] = (2**31 - 1).to_bytes(4, "big")
    elif what == "bad compression header":
        i = raw.find(b"ZL\x08", 100)
        raw[i: i + 2] = b"QQ"
    elif what == "huge object length":
        i = raw.rfind(b"\x04TH1D") - 26  # the last key of the key list: fObjLen is at +6
        raw[i + 6: i + 10] = (2**31 - 1).to_bytes(4, "big")
    else:
        raw = MUTATIONS[what](bytes(raw))
    path.write_bytes(bytes(raw))
    proc = hfx("xml2json", out / "FitConfig.xml", check=False)
    assert proc.returncode == 1, (what, proc.returncode, proc.stderr)
    assert proc.stdout == "" and len(proc.stderr.strip().splitlines()) == 1 and proc.stderr.startswith("hfx"), proc.stderr


def out_dir_record(raw):
    """Offset of the top directory record: fBEGIN + fNbytesName (small header)."""
    return int.from_bytes(raw[8:12], "big") + int.from_bytes(raw[28:32], "big")


@pytest.mark.parametrize("text", [
    "", "<Combination>", "<Combination><Input>missing.xml</Input></Combination>",
    "<Combination><Measurement Name='m' Lumi='x' LumiRelErr='0'><POI>mu</POI></Measurement></Combination>",
    "<Channel Name='c'/>", "<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaa'>]><x>&a;</x>",
])
def test_malformed_xml_gives_one_line_error(hfx, tmp_path, text):
    (tmp_path / "d.xml").write_text(text)
    proc = hfx("xml2json", tmp_path / "d.xml", check=False)
    assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_root_opens_hfx_files(hfx, shared, tmp_path):
    ROOT = pytest.importorskip("ROOT", reason="ROOT (pip install root) not installed")
    case = read_jsonl(shared / "reference" / "random_public.jsonl")[0]
    (tmp_path / "ws.json").write_text(json.dumps(case["workspace"]))
    hfx("json2xml", tmp_path / "ws.json", "--output-dir", tmp_path / "xml")
    f = ROOT.TFile.Open(str(tmp_path / "xml" / "data" / "data.root"))
    assert f and not f.IsZombie()
    ref = uproot.open(tmp_path / "xml" / "data" / "data.root")
    for key in f.GetListOfKeys():
        h = key.ReadObj()
        want = ref[key.GetName()]
        got = [h.GetBinContent(i + 1) for i in range(h.GetNbinsX())]
        err = [h.GetBinError(i + 1) for i in range(h.GetNbinsX())]
        assert np.allclose(got, want.values(), rtol=1e-15) and np.allclose(err, want.errors(), rtol=1e-15)


TH1D_CLASSES = {"TH1D", "TH1", "TNamed", "TObject", "TAttLine", "TAttFill", "TAttMarker", "TAxis", "TAttAxis",
                "THashList", "TList", "TSeqCollection", "TCollection", "TString"}


def test_hfx_files_carry_th1d_streamer_info(hfx, tmp_path):
    """The streamer-info record describes TH1D and the classes it is made of: uproot's file.streamers
    lists them with TH1D's members, and ROOT lists the same classes, versions and checksums as its own
    dictionary (TClass) has, and as a file ROOT writes carries; TFile::ShowStreamerInfo prints TH1D."""
    import sys
    spec = {"channels": [{"name": "c", "samples": [{"name": "s", "data": [3.0, 4.0], "modifiers": [
        {"name": "mu", "type": "normfactor", "data": None}]}]}], "observations": [{"name": "c", "data": [5.0, 6.0]}],
        "measurements": [{"name": "m", "config": {"poi": "mu", "parameters": []}}], "version": "1.0.0"}
    (tmp_path / "ws.json").write_text(json.dumps(spec))
    hfx("json2xml", tmp_path / "ws.json", "--output-dir", tmp_path / "xml")
    path = tmp_path / "xml" / "data" / "data.root"
    streamers = uproot.open(path).file.streamers
    assert set(streamers) == TH1D_CLASSES
    (th1d,) = streamers["TH1D"].values()
    assert th1d.class_version == 3 and [e.member("fName") for e in th1d.elements] == ["TH1", "TArrayD"]
    (th1,) = streamers["TH1"].values()
    assert [e.member("fName") for e in th1.elements][4:8] == ["fNcells", "fXaxis", "fYaxis", "fZaxis"]
    ROOT = pytest.importorskip("ROOT", reason="ROOT (pip install root) not installed")
    f = ROOT.TFile.Open(str(path))
    infos = {i.GetName(): (i.GetClassVersion(), i.GetCheckSum()) for i in f.GetStreamerInfoList()
             if i.GetName() != "listOfRules"}
    f.Close()
    assert set(infos) == TH1D_CLASSES
    for name, (version, checksum) in infos.items():
        cls = ROOT.TClass.GetClass(name)
        assert (version, checksum) == (cls.GetClassVersion(), cls.GetCheckSum()), name
    ref = tmp_path / "root.root"  # what ROOT itself writes for one TH1D
    g = ROOT.TFile(str(ref), "RECREATE")
    ROOT.TH1D("h", "h", 2, 0.0, 2.0).Write()
    g.Close()
    g = ROOT.TFile.Open(str(ref))
    assert infos == {i.GetName(): (i.GetClassVersion(), i.GetCheckSum()) for i in g.GetStreamerInfoList()
                     if i.GetName() != "listOfRules"}
    g.Close()
    shown = subprocess.run([sys.executable, "-c", "import sys, ROOT; ROOT.TFile.Open(sys.argv[1]).ShowStreamerInfo()",
                            str(path)], capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert "StreamerInfo for class: TH1D, version=3" in shown.stdout
    assert "Warning in <" not in shown.stderr and "Error in <" not in shown.stderr  # ROOT's own messages


def test_xml2json_reads_root_written_files(hfx, tmp_path):
    """ROOT itself writes the inputs: TH1D in a subdirectory, TH1F and TH1I at the top, with zlib, LZ4,
    ZSTD and no compression; LZMA is refused with a one-line error naming the algorithm."""
    ROOT = pytest.importorskip("ROOT", reason="ROOT (pip install root) not installed")
    rng = np.random.default_rng(2)
    n = 200
    nominal = rng.uniform(50, 100, n)
    for alg, level in (("zlib", 101), ("lz4", 404), ("zstd", 505), ("none", 0), ("lzma", 207)):
        d = tmp_path / alg
        d.mkdir()
        f = ROOT.TFile(str(d / "in.root"), "RECREATE", "", level)
        hists = []

        def fill(name, cls, values):
            h = cls(name, name, n, 0.0, float(n))
            h.SetDirectory(ROOT.gDirectory)
            for i, v in enumerate(values):
                h.SetBinContent(i + 1, v)
            hists.append(h)

        fill("data", ROOT.TH1I, rng.integers(40, 110, n))
        fill("sig", ROOT.TH1F, rng.uniform(1, 5, n))
        fill("shape_rel", ROOT.TH1D, rng.uniform(0.01, 0.1, n))
        fill("up", ROOT.TH1D, nominal * 1.05)
        fill("down", ROOT.TH1D, nominal * 0.97)
        sub = f.mkdir("dir").mkdir("sub")
        sub.cd()
        h = ROOT.TH1D("nominal", "nominal", n, 0.0, float(n))
        h.Sumw2()
        for i, v in enumerate(nominal):
            h.SetBinContent(i + 1, v)
            h.SetBinError(i + 1, 0.1 * math.sqrt(v))
        hists.append(h)
        f.Write()
        f.Close()
        driver = write_inputs_xml(d)
        proc = hfx("xml2json", driver, "--basedir", d, check=False)
        if alg == "lzma":
            assert proc.returncode == 1 and "'XZ'" in proc.stderr and len(proc.stderr.splitlines()) == 1
            continue
        assert proc.returncode == 0, proc.stderr
        want = json.loads(json.dumps(pyhf_xml2json(driver, d)))
        assert numbers_close(json.loads(proc.stdout), want), alg


def big_header_file(path, objects):
    """A ROOT file in the big format (64-bit seeks: what ROOT writes past 2 GB), built here because no
    writer at hand makes small ones big: header fVersion >= 1000000, keys and directory records with
    versions above 1000. objects: [(name, class name, streamed uncompressed object bytes)]."""
    import struct

    def tstr(s):
        return bytes([len(s)]) + s.encode()

    def key(nbytes, objlen, seek, cls, name, title):
        tail = tstr(cls) + tstr(name) + tstr(title)
        return struct.pack(">ihiIhhqq", nbytes, 1004, objlen, 0, 34 + len(tail), 1, seek, 100) + tail

    def key_len(cls, name, title):
        return 34 + 3 + len(cls) + len(name) + len(title)

    fname = path.name
    top_key_len = key_len("TFile", fname, "")
    n_bytes_name = top_key_len + len(tstr(fname) + tstr(""))
    dir_len = 2 + 4 + 4 + 4 + 4 + 8 + 8 + 8 + 18
    body = bytearray(100 + n_bytes_name + dir_len)
    entries = []
    for name, cls, obj in objects:
        seek = len(body)
        k = key(key_len(cls, name, name) + len(obj), len(obj), seek, cls, name, name)
        body += k + obj
        entries.append(k)
    seek_keys = len(body)
    payload = struct.pack(">i", len(entries)) + b"".join(entries)
    n_bytes_keys = top_key_len + len(payload)
    body += key(n_bytes_keys, len(payload), seek_keys, "TFile", fname, "") + payload
    end = len(body)
    top = key(n_bytes_name + dir_len, n_bytes_name + dir_len - top_key_len, 100, "TFile", fname, "")
    top += tstr(fname) + tstr("")
    top += struct.pack(">hIIiiqqq", 1005, 0, 0, n_bytes_keys, n_bytes_name, 100, 0, seek_keys) + b"\0" * 18
    body[100: 100 + len(top)] = top
    header = b"root" + struct.pack(">iiqqiiiBiqi", 1062400, 100, end, 0, 0, 0, n_bytes_name, 8, 0, 0, 0)
    body[: len(header)] = header
    path.write_bytes(bytes(body))


def test_xml2json_reads_big_header_files(hfx, tmp_path):
    # the objects: uncompressed TH1D and TH1F as uproot streams them
    with uproot.recreate(tmp_path / "small.root", compression=None) as f:
        f["nominal"] = (np.array([10.0, 20.0, 30.0]), np.arange(4.0))
        f["data"] = (np.array([11.0, 19.0, 33.0], dtype=np.float32), np.arange(4.0))
    small = uproot.open(tmp_path / "small.root")
    raw = (tmp_path / "small.root").read_bytes()
    objects = []
    for name in ("nominal", "data"):
        k = small.key(name)
        start = k.fSeekKey + k.fKeylen
        objects.append((name, k.fClassName, raw[start: start + k.fObjlen]))
    big = tmp_path / "big.root"
    big_header_file(big, objects)
    (tmp_path / "chan.xml").write_text("""<Channel Name="SR" InputFile="big.root"><Data HistoName="data"/>
  <Sample Name="bkg" HistoName="nominal"><StatError Activate="True"/><NormFactor Name="mu" Val="1" Low="0" High="5"/></Sample>
</Channel>""")
    (tmp_path / "driver.xml").write_text("""<Combination><Input>chan.xml</Input>
  <Measurement Name="m" Lumi="1" LumiRelErr="0.1"><POI>mu</POI></Measurement></Combination>""")
    got = json.loads(hfx("xml2json", tmp_path / "driver.xml", "--basedir", tmp_path).stdout)
    assert got["observations"] == [{"data": [11.0, 19.0, 33.0], "name": "SR"}]
    sample = got["channels"][0]["samples"][0]
    assert sample["data"] == [10.0, 20.0, 30.0]
    assert numbers_close(sample["modifiers"][0]["data"], [math.sqrt(10), math.sqrt(20), math.sqrt(30)])
    # the same file for uproot, which must agree that it is a valid big-header file
    assert np.array_equal(uproot.open(big)["nominal"].values(), [10.0, 20.0, 30.0])


def test_commands_take_a_driver_xml(hfx, shared, tmp_path):
    """cls, fit, upper-limit and inspect print the same for the workspace and its driver XML."""
    case = read_jsonl(shared / "reference" / "random_public.jsonl")[3]
    ws = tmp_path / "ws.json"
    ws.write_text(json.dumps(case["workspace"]))
    hfx("json2xml", ws, "--output-dir", tmp_path / "xml")
    driver = tmp_path / "xml" / "FitConfig.xml"
    for cmd in (["cls"], ["fit"], ["upper-limit"], ["inspect", "--json"]):
        a, b = hfx(*cmd, ws).stdout, hfx(*cmd, driver).stdout
        if cmd[0] == "inspect":
            a, b = json.loads(a), json.loads(b)
            # pyhf's reader writes lumi's and every normfactor's config into the measurement, so the
            # measurement lists more configured parameters; the model is the same
            for m in a["measurements"] + b["measurements"]:
                m.pop("parameters")
            a.pop("source", None), b.pop("source", None)
            assert numbers_close(a, b), cmd
        else:
            assert numbers_close(json.loads(a), json.loads(b), 1e-9), cmd


def test_large_histograms_are_compressed_and_read_back(hfx, tmp_path):
    """Objects over 4 kB are zlib-compressed (smaller ones stored as they are: rootfile-write.c): an 800-bin
    histogram's key is shorter than its object, and uproot reads its values back exactly, as does hfx."""
    out, spec = damaged(tmp_path, None)
    hfx("json2xml", tmp_path / "ws.json", "--output-dir", out)
    with uproot.open(out / "data" / "data.root") as f:
        hists = {k.split(";")[0]: f[k] for k in f.keys(recursive=True) if f.classname_of(k) == "TH1D"}
        keys = {k.split(";")[0]: f.key(k) for k in f.keys(recursive=True) if f.classname_of(k) == "TH1D"}
    assert hists and all(len(h.values()) == 800 for h in hists.values())
    assert all(k.data_compressed_bytes < k.data_uncompressed_bytes for k in keys.values())
    values = sorted(tuple(h.values().tolist()) for h in hists.values())
    assert values == sorted([tuple(spec["channels"][0]["samples"][0]["data"]), tuple(spec["observations"][0]["data"])])
    back = json.loads(hfx("xml2json", out / "FitConfig.xml").stdout)
    assert back["channels"][0]["samples"][0]["data"] == spec["channels"][0]["samples"][0]["data"]
