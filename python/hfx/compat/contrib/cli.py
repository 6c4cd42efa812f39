"""`pyhf contrib download` on hfx (hfx.compat.cli hands `contrib` here; hfx's program makes no network
requests): download [-v] [-f] [-c] ARCHIVE_URL OUTPUT_DIRECTORY, pyhf's options. A bad host, a failed
request or a broken archive is one line on stderr and exit status 1; a usage error, exit status 2."""
import argparse
import sys
from pathlib import Path

from ...exceptions import InvalidArchive, InvalidArchiveHost


def main(args):
    ap = argparse.ArgumentParser(prog="pyhf contrib", description="Contrib operations (hfx.compat).")
    sub = ap.add_subparsers(dest="command", required=True)
    dl = sub.add_parser("download", help="download a likelihood archive and unpack it in a directory")
    dl.add_argument("archive_url", metavar="ARCHIVE_URL")
    dl.add_argument("output_directory", metavar="OUTPUT_DIRECTORY")
    dl.add_argument("-v", "--verbose", action="store_true", help="list the files unpacked")
    dl.add_argument("-f", "--force", action="store_true", help="download from a host that is not approved")
    dl.add_argument("-c", "--compress", action="store_true", help="keep the archive as one compressed file")
    opts = ap.parse_args(args)
    from . import utils
    try:
        utils.download(opts.archive_url, opts.output_directory, opts.force, opts.compress)
    except (InvalidArchive, InvalidArchiveHost, ImportError, OSError) as e:
        message = "; ".join(line for line in str(e).split("\n") if line)
        print(f"hfx: error: {type(e).__name__}: {message}", file=sys.stderr)
        return 1
    if opts.verbose:
        print("\n".join(str(p) for p in Path(opts.output_directory).glob("*")))
    return 0
