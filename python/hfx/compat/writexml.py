"""hfx.compat.writexml: pyhf's writexml by hfx's HistFactory XML writer (C, `hfx json2xml`): the
channel XMLs go to specdir, the histograms (one ROOT file, data.root) to data_rootdir, the DTD beside
specdir; the top-level XML is returned as bytes (its Input and InputFile paths point at those files)."""
import json
import os
import pathlib
import shutil
import tempfile

from .. import _core

__all__ = ["writexml"]


def writexml(spec, specdir, data_rootdir, resultprefix):
    specdir, data_rootdir = pathlib.Path(specdir), pathlib.Path(data_rootdir)
    ws = _core.Workspace.from_string(json.dumps(dict(spec)), "<workspace>")
    with tempfile.TemporaryDirectory() as tmp:
        ws.write_xml(tmp)
        root = data_rootdir / "data.root"
        specdir.mkdir(parents=True, exist_ok=True)
        data_rootdir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(os.path.join(tmp, "data", "data.root"), root)
        shutil.copyfile(os.path.join(tmp, "HistFactorySchema.dtd"), specdir.parent / "HistFactorySchema.dtd")
        for name in sorted(os.listdir(os.path.join(tmp, "config"))):
            text = pathlib.Path(tmp, "config", name).read_text()
            (specdir / name).write_text(text.replace('InputFile="data/data.root"', f'InputFile="{root}"'))
        top = pathlib.Path(tmp, "FitConfig.xml").read_text()
    top = top.replace("<Input>config/", f"<Input>{specdir}/")
    top = top.replace('OutputFilePrefix="results/FitConfig"', f'OutputFilePrefix="{resultprefix}"')
    return top.encode("utf-8")
