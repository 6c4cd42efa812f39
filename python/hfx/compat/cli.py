"""pyhf's command line on hfx: `pyhf.cli.cli` (the function behind pyhf's `pyhf` console script) runs
hfx's program with the same arguments, so that scripts and tools that call pyhf's CLI through Python get
hfx's. hfx's program takes pyhf's commands and options itself (docs/pyhf-cli.md: `hfx cls`, `hfx fit`,
`hfx xml2json`, `hfx patchset extract`, ...); this module finds it, asks cls, fit and inspect for pyhf's
keys (`--pyhf-keys`: their JSON as pyhf lays it out), and passes standard input and output through.
`contrib download` (HEPData archives) runs here, in Python: hfx.compat.contrib.

    python -m hfx.compat.cli cls workspace.json        # as `pyhf cls workspace.json`

The program is $HFX_BIN, else `hfx` on PATH (the wheel carries the module, not the program: build it
with CMake, README.md)."""
import os
import shutil
import subprocess
import sys


def _program():
    path = os.environ.get("HFX_BIN") or shutil.which("hfx")
    if not path:
        raise SystemExit("hfx.compat.cli: hfx's program was not found: set HFX_BIN to its path, or put `hfx` "
                         "on PATH (cmake --build build; README.md)")
    return path


# pyhf's commands whose JSON hfx lays out its own way by default: through pyhf's CLI, pyhf's layout
_PYHF_KEYS = {"cls", "fit", "inspect"}


def _fileno(stream):
    """The stream's file descriptor, or None where it has none (a StringIO put in its place)."""
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError):
        return None


def cli(args=None):
    """Run `hfx ARGS` (default: sys.argv[1:]) and exit with its status. Where sys.stdin, sys.stdout or
    sys.stderr are real files the program reads and writes them directly (progress shows as it comes);
    where Python replaced them (a test runner's StringIO), their text goes through."""
    args = sys.argv[1:] if args is None else list(args)
    if args and args[0] == "contrib":  # HEPData downloads: in Python (hfx's program makes no network requests)
        from .contrib.cli import main
        sys.exit(main(args[1:]))
    if args and args[0] in _PYHF_KEYS:
        args.insert(1, "--pyhf-keys")
    streams = [sys.stdin, sys.stdout, sys.stderr]
    fds = [_fileno(s) for s in streams]
    for s, fd in zip(streams[1:], fds[1:]):
        if fd is not None:
            s.flush()
    stdin_text = None
    if fds[0] is None:
        stdin_text = streams[0].read() if streams[0] is not None else ""
    stdin = {"stdin": fds[0]} if stdin_text is None else {"input": stdin_text.encode()}
    proc = subprocess.run([_program(), *args], **stdin,
                          stdout=fds[1] if fds[1] is not None else subprocess.PIPE,
                          stderr=fds[2] if fds[2] is not None else subprocess.PIPE)
    if fds[1] is None:
        streams[1].write(proc.stdout.decode(errors="replace"))
    if fds[2] is None:
        streams[2].write(proc.stderr.decode(errors="replace"))
    sys.exit(proc.returncode)


if __name__ == "__main__":
    cli()
