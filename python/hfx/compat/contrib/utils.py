"""pyhf.contrib.utils on hfx: download(archive_url, output_directory, force=False, compress=False), as
pyhf 0.7.6's: fetches a likelihood archive (a HEPData resource or its DOI) and unpacks it (tar, tar.gz
or zip) into output_directory, or keeps it as one compressed file (compress=True). Only HEPData's and
doi.org's hosts unless force=True, as pyhf. Members that would land outside output_directory
(absolute paths, "..", links) are refused rather than written."""
import io
import shutil
import tarfile
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

from ...exceptions import InvalidArchive, InvalidArchiveHost

__all__ = ["download"]

APPROVED_HOSTS = ("www.hepdata.net", "doi.org")


def _inside(root, name):
    target = (root / name).resolve()
    return target == root or root in target.parents


def _extract_tar(content, url, directory):
    with tarfile.open(mode="r:*", fileobj=io.BytesIO(content)) as archive:
        root = Path(directory).resolve()
        for member in archive.getmembers():
            if not (member.isfile() or member.isdir()) or not _inside(root, member.name):
                raise InvalidArchive(f"The archive downloaded from {url} has a member that would be written outside "
                                     f"{directory} or is not a plain file: {member.name}")
        root.mkdir(parents=True, exist_ok=True)
        archive.extractall(root)


def _extract_zip(content, url, directory):
    """As pyhf: the zip's one top folder becomes output_directory."""
    directory = Path(directory)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        tmp = directory.parent / (directory.name + "__tmp__")
        shutil.rmtree(tmp, ignore_errors=True)
        root = tmp.resolve()
        for name in archive.namelist():
            if not _inside(root, name):
                raise InvalidArchive(f"The archive downloaded from {url} has a member that would be written outside "
                                     f"{directory}: {name}")
        archive.extractall(tmp)
        children = [p for p in tmp.iterdir() if p.name != "__MACOSX"]
        if directory.exists():
            shutil.rmtree(directory)
        if len(children) == 1 and children[0].is_dir():
            children[0].replace(directory)
            shutil.rmtree(tmp)
        else:
            tmp.replace(directory)


def download(archive_url, output_directory, force=False, compress=False):
    """Downloads the archive at archive_url and unpacks it into output_directory (with compress=True: writes
    it, as downloaded, to the file output_directory). InvalidArchiveHost for a host other than HEPData's or
    doi.org unless force; InvalidArchive for a response other than 200 or content that is neither a tar nor
    a zip archive."""
    try:
        import requests
    except ImportError as e:  # an optional dependency: say what to install
        raise ImportError("hfx.compat.contrib.utils.download needs the package requests: "
                          "python -m pip install requests") from e
    if not force:
        netloc = urlsplit(archive_url).netloc
        if netloc not in APPROVED_HOSTS:
            raise InvalidArchiveHost(f"{netloc} is not an approved archive host: {', '.join(APPROVED_HOSTS)}\n"
                                     "To download an archive from this host use the --force option.")
    # HEPData answers a DOI with the file itself when asked for an archive type (pyhf's issue 1491)
    with requests.get(archive_url, headers={"Accept": "application/x-tar, application/zip"}) as response:
        if response.status_code != 200:
            raise InvalidArchive(f"{archive_url} gives a response code of {response.status_code}.\n"
                                 "There is either something temporarily wrong with the archive host"
                                 f" or {archive_url} is an invalid URL.")
        content = response.content
    if compress:
        Path(output_directory).write_bytes(content)
        return
    try:
        _extract_tar(content, archive_url, output_directory)
    except tarfile.ReadError:
        if not zipfile.is_zipfile(io.BytesIO(content)):
            raise InvalidArchive(f"The archive downloaded from {archive_url} is not a tarfile or a zipfile and so can "
                                 "not be opened as one.") from None
        _extract_zip(content, archive_url, output_directory)
