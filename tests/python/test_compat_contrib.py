"""hfx.compat.contrib: pyhf's `contrib download` (HEPData likelihood archives) on hfx, as
`hfx.compat.contrib.utils.download` and through pyhf's console script `hfx.compat.cli` (`pyhf contrib download
...`). The HTTP answers come from requests-mock (no network here): a tar.gz as HEPData serves the sbottom
archive, a zip, a 404, a host that is not approved, content that is no archive, and members that would be
written outside the output directory."""
import io
import sys
import tarfile
import zipfile

import pytest

requests_mock = pytest.importorskip("requests_mock")
utils = pytest.importorskip("hfx.compat.contrib.utils")
from hfx.compat import exceptions  # noqa: E402

URL = "https://www.hepdata.net/record/resource/1408476?view=true"


def tar_bytes(files, mode="w:gz"):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def zip_bytes(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


@pytest.fixture
def http():
    with requests_mock.Mocker() as m:
        yield m


def test_download_tar_zip_and_compress(http, tmp_path):
    files = {"RegionA/BkgOnly.json": "{}", "RegionA/patchset.json": "[]", "README.md": "sbottom"}
    http.get(URL, content=tar_bytes(files))
    utils.download(URL, tmp_path / "likelihoods")
    assert sorted(str(p.relative_to(tmp_path / "likelihoods")) for p in (tmp_path / "likelihoods").rglob("*")
                  if p.is_file()) == sorted(files)
    assert http.last_request.headers["Accept"] == "application/x-tar, application/zip"  # HEPData's negotiation
    utils.download(URL, tmp_path / "kept.tar.gz", compress=True)
    assert (tmp_path / "kept.tar.gz").read_bytes() == tar_bytes(files)
    # a zip's one top folder becomes the output directory, as pyhf
    http.get("https://doi.org/10.17182/hepdata.89408.v1/r2", content=zip_bytes({"top/BkgOnly.json": "{}"}))
    utils.download("https://doi.org/10.17182/hepdata.89408.v1/r2", tmp_path / "z")
    assert (tmp_path / "z" / "BkgOnly.json").read_text() == "{}"


def test_download_refusals(http, tmp_path):
    with pytest.raises(exceptions.InvalidArchiveHost, match="www.elsewhere.org is not an approved archive host"):
        utils.download("https://www.elsewhere.org/a.tar.gz", tmp_path / "x")
    assert http.call_count == 0  # refused before any request
    http.get("https://www.elsewhere.org/a.tar.gz", content=tar_bytes({"a.json": "{}"}))
    utils.download("https://www.elsewhere.org/a.tar.gz", tmp_path / "x", force=True)
    assert (tmp_path / "x" / "a.json").is_file()
    http.get(URL, status_code=404)
    with pytest.raises(exceptions.InvalidArchive, match="gives a response code of 404"):
        utils.download(URL, tmp_path / "y")
    http.get(URL, content=b"<html>not an archive</html>")
    with pytest.raises(exceptions.InvalidArchive, match="is not a tarfile or a zipfile"):
        utils.download(URL, tmp_path / "y")
    for evil in ("../outside.json", "/tmp/absolute.json"):
        http.get(URL, content=tar_bytes({evil: "{}"}))
        with pytest.raises(exceptions.InvalidArchive, match="outside"):
            utils.download(URL, tmp_path / "y")
    assert not (tmp_path / "outside.json").exists()


def test_pyhf_contrib_download_command(http, tmp_path, monkeypatch, capsys):
    """`pyhf contrib download -v URL DIR` through pyhf's console script on hfx: the files listed on stdout;
    a host that is not approved: one line on stderr naming it and --force, exit status 1."""
    cli = pytest.importorskip("hfx.compat.cli")
    http.get(URL, content=tar_bytes({"BkgOnly.json": "{}", "patchset.json": "[]"}))
    monkeypatch.setattr(sys, "argv", ["pyhf", "contrib", "download", "--verbose", URL, str(tmp_path / "out")])
    with pytest.raises(SystemExit) as stop:
        cli.cli()
    out = capsys.readouterr()
    assert stop.value.code == 0 and out.err == ""
    assert sorted(out.out.split()) == sorted(str(tmp_path / "out" / n) for n in ("BkgOnly.json", "patchset.json"))
    with pytest.raises(SystemExit) as stop:
        cli.cli(["contrib", "download", "https://www.pyhfthisdoesnotexist.org/record/resource/1", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert stop.value.code == 1 and err.count("\n") == 1
    assert err.startswith("hfx: error: InvalidArchiveHost: www.pyhfthisdoesnotexist.org is not an approved archive host")
    assert "--force" in err
