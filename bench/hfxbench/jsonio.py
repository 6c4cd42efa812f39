"""Reading JSON files, gzipped or not (the zoo's likelihoods are .json.gz, as HEPData ships them).
Kept apart from workloads.py so that worker processes import nothing heavy for it."""
import gzip
import json
from pathlib import Path


def read_json(path):
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as f:
        return json.load(f)
