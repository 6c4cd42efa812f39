"""Hostile input that tests/data/hostile/expected.tsv cannot hold (issue 19): a symbolic-link loop
given as a ROOT file (a loop cannot be committed portably), and the Python module's whole-number
arguments (ntoys=2.5 was truncated to 2 toys, seed=2**70 wrapped to the toys of seed 0)."""
import os

import pytest

from conftest import DATA


def test_symlink_loop_as_root_file(hfx, tmp_path):
    os.symlink("loop-b.root", tmp_path / "loop-a.root")
    os.symlink("loop-a.root", tmp_path / "loop-b.root")
    (tmp_path / "chan.xml").write_text('<Channel Name="SR" InputFile="loop-a.root"><Data HistoName="data"/>'
                                       '<Sample Name="bkg" HistoName="bkg"/></Channel>\n')
    (tmp_path / "drv.xml").write_text('<Combination><Input>chan.xml</Input><Measurement Name="m" Lumi="1" '
                                      'LumiRelErr="0.1"><POI>mu</POI></Measurement></Combination>\n')
    proc = hfx("xml2json", "drv.xml", cwd=tmp_path, check=False)
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == f"hfx: error: loop-a.root: cannot open ROOT file: {os.strerror(40)}\n"  # ELOOP


@pytest.mark.parametrize("kwargs,message", [
    ({"ntoys": 2.5}, "ntoys = 2.5: expected a whole number"),
    ({"ntoys": "10"}, "ntoys = '10': expected a whole number"),
    ({"ntoys": True}, "ntoys = True: expected a whole number, got a bool"),
    ({"seed": 2**70}, "seed = 1180591620717411303424 lies outside [0, 18446744073709551615]"),
    ({"seed": -1}, "seed = -1 lies outside [0, 18446744073709551615]"),
])
def test_module_refuses_counts_that_are_not_whole(hfxmod, kwargs, message):
    ws = hfxmod.Workspace(str(DATA / "spec-simple.json"))
    model = ws.model()
    data = ws.data(model)
    with pytest.raises(hfxmod.ArgumentError) as e:
        hfxmod.infer.hypotest(1.0, data, model, calctype="toybased", **kwargs)
    assert str(e.value) == message
    with pytest.raises(hfxmod.ArgumentError) as e:
        hfxmod.infer.toys(1.0, data, model, **kwargs)
    assert str(e.value) == message
    with pytest.raises(hfxmod.ArgumentError) as e:
        next(hfxmod.scan(str(DATA / "spec-simple.json"), [("p", [])], calctype="toybased", **kwargs))
    assert str(e.value) == message


def test_module_whole_floats_and_numpy_counts(hfxmod):
    # what was accepted stays accepted: ntoys=1e1 (a whole float) and numpy integers are whole numbers
    np = pytest.importorskip("numpy")
    ws = hfxmod.Workspace(str(DATA / "spec-simple.json"))
    model = ws.model()
    data = ws.data(model)
    a = hfxmod.infer.toys(1.0, data, model, ntoys=4.0, seed=np.uint64(7))
    b = hfxmod.infer.toys(1.0, data, model, ntoys=np.int32(4), seed=7)
    assert list(a.teststat_sb) == list(b.teststat_sb) and len(a.teststat_sb) == 4


def test_empty_basedir_is_a_usage_error(hfx):
    # an empty --basedir read as the working directory, while messages said "resolved against --basedir"
    proc = hfx("xml2json", DATA / "hostile" / "xml-nan-bin.xml", "--basedir", "", check=False)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == ("hfx: error: --basedir: the directory name is empty (use . for the working directory) "
                           "(see 'hfx xml2json --help')\n")
