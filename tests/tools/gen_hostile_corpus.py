"""Writes the hostile-input corpus, tests/data/hostile/: the inputs of issue 9's fuzzing campaign
that crashed hfx, hung it, printed a wrong number or an unclear message (see its README.md). Files
that would be large are written gzipped (hfx reads gzip whatever the file is called), so the
corpus stays small. The output is deterministic; the files are committed, and this script is how
they were made. Not run by CI.

Usage: python3 tests/tools/gen_hostile_corpus.py tests/data/hostile
"""
import copy
import gzip
import json
import sys
from pathlib import Path

DEPTH_MAX = 2048  # HFX_JSON_DEPTH_MAX, jansson's parser limit

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
simple = json.loads((out.parent / "spec-simple.json").read_text())


def write(name, doc):
    (out / name).write_text(json.dumps(doc, indent=1) + "\n")


def write_gz(name, doc):
    # mtime=0: the same bytes on every run
    with open(out / name, "wb") as f, gzip.GzipFile(fileobj=f, mode="wb", mtime=0) as g:
        g.write(json.dumps(doc).encode())


def patchset(patches, labels=("m",)):
    return {
        "metadata": {
            "description": "hostile-input corpus",
            "digests": {"md5": "0" * 32},
            "labels": list(labels),
            "references": {"hepdata": "ins1234567"},
        },
        "patches": patches,
        "version": "1.0.0",
    }


# Deep nesting built by patches (each stayed under the parser's limit; the result did not): copy a
# node into its own child (one level per operation, O(1) each with shared trees) ...
deep_copy = [{"op": "add", "path": "/deep", "value": {}}] + \
    [{"op": "copy", "from": "/deep", "path": "/deep/x"}] * (DEPTH_MAX + 50)
write_gz("deep-copy.patch.json.gz", deep_copy)
# ... or add and move in a loop
deep_move = [{"op": "add", "path": "/deep", "value": {}}]
for _ in range(DEPTH_MAX + 50):
    deep_move += [{"op": "add", "path": "/t", "value": {}},
                  {"op": "move", "from": "/deep", "path": "/t/x"},
                  {"op": "move", "from": "/t", "path": "/deep"}]
write_gz("deep-move.patch.json.gz", deep_move)
# a failing test on a deep value: the message shows the start of it (the dump used to overflow)
deep_test = [{"op": "add", "path": "/deep", "value": {}}] + \
    [{"op": "copy", "from": "/deep", "path": "/deep/x"}] * (DEPTH_MAX - 10) + \
    [{"op": "test", "path": "/deep", "value": 1}]
write_gz("deep-test.patch.json.gz", deep_test)
# the same through a patchset, for `hfx patchset apply` (whose dump crashed)
write_gz("deep.patchset.json.gz", patchset([{"metadata": {"name": "deep", "values": [1]}, "patch": deep_copy}]))
# a copy doubling the document each time: 2^40 values seen as a tree, after 40 operations
doubling = [{"op": "add", "path": "/d", "value": [0]}]
for _ in range(40):
    doubling += [{"op": "copy", "from": "/d", "path": "/e"}, {"op": "add", "path": "/d/-", "value": 0},
                 {"op": "copy", "from": "/e", "path": "/d/0"}]
write("doubling.patch.json", doubling)
# a file nested deeper than the parser's limit
(out / "deep-input.json").write_text("[" * (DEPTH_MAX + 1) + "]" * (DEPTH_MAX + 1) + "\n")

# `hfx patchset apply` results that are not workspaces (pyhf rejects each), and an invalid background
write("invalid-results.patchset.json", patchset([
    {"metadata": {"name": "unknown_key", "values": [1]},
     "patch": [{"op": "add", "path": "/extra", "value": 1}]},
    {"metadata": {"name": "string_data", "values": [2]},
     "patch": [{"op": "replace", "path": "/channels/0/samples/0/data/0", "value": "5.0"}]},
    {"metadata": {"name": "removed_observation", "values": [3]},
     "patch": [{"op": "remove", "path": "/observations/1"}]},
    {"metadata": {"name": "array_document", "values": [4]},
     "patch": [{"op": "replace", "path": "", "value": [1, 2]}]},
]))
bad_background = copy.deepcopy(simple)
del bad_background["observations"][0]["data"]
write("bad-background.json", bad_background)
# the same error reached with -p: the message names the patch, not only the background
write("string-data.patch.json", [{"op": "replace", "path": "/channels/0/samples/0/data/0", "value": "5.0"}])

# out-of-range requests (the POI mu has bounds [0, 5])
init_outside = copy.deepcopy(simple)
init_outside["measurements"][0]["config"]["parameters"][1]["inits"] = [9.0]
write("init-outside-bounds.json", init_outside)

# names with a newline and a tab (the message printed them raw, on two lines)
newline = copy.deepcopy(simple)
newline["channels"][0]["samples"][0]["name"] = "sig\nnal\t1"
newline["channels"][0]["samples"].append(copy.deepcopy(newline["channels"][0]["samples"][0]))
write("newline-name.json", newline)

# inputs that were read although broken: a NUL byte (standard input stopped there and read a valid
# workspace), gzip without its trailer, gzip followed by garbage, gzip cut in the middle
text = json.dumps(simple, indent=1).encode()
(out / "nul-byte.json").write_bytes(text + b"\n\0{not json")
packed = gzip.compress(text, mtime=0)
(out / "no-trailer.json.gz").write_bytes(packed[:-8])
(out / "trailing-garbage.json.gz").write_bytes(packed + b"garbage!\n")
(out / "truncated.json.gz").write_bytes(packed[: len(packed) // 2])

# 10,000 patches, the last with the values of the first (the pairwise check took 5-30 s)
many = [{"metadata": {"name": f"p{i}", "values": [i]},
         "patch": [{"op": "replace", "path": "/channels/0/samples/0/data", "value": [1.0, 2.0]}]}
        for i in range(10000)]
many[-1]["metadata"]["values"] = [0]
write_gz("many-patches.patchset.json.gz", patchset(many))
