"""hfx.compat.readxml: pyhf's readxml.parse, by hfx's HistFactory XML reader (C, with its own ROOT file
reader): the workspace dict pyhf's parse returns; mounts as pyhf's ((local, xml) path pairs: a path the
XML names at or under xml is read under local); track_progress is accepted (nothing is drawn)."""
import json
import os

from .. import _core
from .._errors import error

__all__ = ["parse"]


def parse(configfile, rootdir, mounts=None, track_progress=False, validation_as_error=True):
    """The workspace (a dict) of the HistFactory driver XML configfile, its paths relative to rootdir."""
    if not isinstance(configfile, (str, os.PathLike)):
        raise error(_core.UnsupportedError, "readxml.parse: a path is needed (hfx reads the file itself)")
    pairs = [(os.fspath(local), os.fspath(xml)) for local, xml in (mounts or [])]
    ws = _core.Workspace.from_xml(os.fspath(configfile), os.fspath(rootdir), pairs)
    if validation_as_error:
        ws.validate()
    return json.loads(ws.dump())
