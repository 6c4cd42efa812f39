"""The layer rule of inference (docs/architecture-infer.md, src/fit/engine-ops.h): src/infer/ and
src/workflow/ talk only to the engine, so none of their files includes a model/, backend/ or spec/
header, nor the engine's inside (fit/engine.h, fit/fit-slot.h), directly or through another header.
Checked on the preprocessor's own list of each file's headers (cc -MM), so an include added
anywhere along a chain fails here."""
import shutil
import subprocess

import pytest

from conftest import REPO

FORBIDDEN = ("src/model/", "src/backend/", "src/spec/", "src/fit/engine.h", "src/fit/fit-slot.h", "jansson.h")
LAYERS = ("src/infer", "src/workflow")


def headers(cc, path):
    """The headers path includes, directly or not, as cc -MM lists them (paths relative to the repo)."""
    proc = subprocess.run([cc, "-MM", "-D_DEFAULT_SOURCE", "-Isrc", "-Iinclude", str(path)], cwd=REPO,
                          capture_output=True, text=True, check=True)
    deps = proc.stdout.replace("\\\n", " ").split(":", 1)[1].split()
    return [d for d in deps if d.endswith(".h")]


@pytest.mark.parametrize("layer", LAYERS)
def test_inference_includes_no_model_or_backend_header(layer):
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        pytest.skip("no C compiler (cc) to list the headers with")
    files = sorted((REPO / layer).glob("*.c"))
    assert files, f"no C file under {layer}"
    bad = {f.name: [h for h in headers(cc, f) if any(x in h for x in FORBIDDEN)] for f in files}
    assert not {k: v for k, v in bad.items() if v}, f"{layer} reaches below the engine: {bad}"
