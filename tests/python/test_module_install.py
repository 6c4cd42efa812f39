"""`pip install .` from a clean checkout into a fresh virtual environment, then `import hfx` and one
hypotest there (against pyhf's documented CLs for its uncorrelated_background example, 0.0525155).

The checkout is a `git clone` of this repository's HEAD (so only committed files take part, as for a
user); the environment is new, with the system's site packages visible so that the build backend
(scikit-build-core) and numpy come from there and no network is needed (`--no-build-isolation`).
About 30 s on 2 cores (the library and the extension compile once)."""
import os
import shutil
import subprocess
import venv

import pytest

from conftest import DATA, REPO


def test_pip_install_from_clean_checkout(tmp_path):
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout (the test installs from a clone of HEAD)")
    try:
        import scikit_build_core  # noqa: F401
    except ImportError:
        pytest.skip("scikit-build-core is not installed (pip install scikit-build-core; .ci/run does)")
    src = tmp_path / "src"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(REPO), str(src)], check=True)
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False, system_site_packages=True).create(env_dir)
    py = env_dir / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HFX_BIN")}
    proc = subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-build-isolation", "--no-deps", str(src)],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    script = (
        "import hfx, sys\n"
        "ws = hfx.Workspace(sys.argv[1]); m = ws.model()\n"
        "cls = float(hfx.infer.hypotest(1.0, ws.data(m), m))\n"
        "print(hfx.__file__); print(repr(cls))\n"
    )
    proc = subprocess.run([str(py), "-c", script, str(DATA / "infer_simple.json")], capture_output=True, text=True,
                          env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    where, cls = proc.stdout.split()
    assert where.startswith(str(env_dir)), where  # the installed copy, not the source tree's
    assert float(cls) == pytest.approx(0.0525155, rel=1e-5)
    # the spey entry point (pyproject.toml) is installed with the package: spey.get_backend("hfx")
    # finds it (where spey is installed: .ci/run installs it)
    proc = subprocess.run([str(py), "-c", "import spey; print(spey.get_backend('hfx'))"], capture_output=True,
                          text=True, env=env, cwd=tmp_path)
    if "No module named 'spey'" not in proc.stderr:
        assert proc.returncode == 0, proc.stderr
