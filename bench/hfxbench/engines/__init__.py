"""Engines: the programs the suite compares. hfx (hfx.py) runs as native processes; pyhf and NextStat
run in Python worker processes (hfxbench.worker) through modules of this package."""


class Unsupported(Exception):
    """An engine cannot run a task (not installed, no such feature, no device): recorded as a skip
    with this reason."""
