"""Workloads: the likelihoods the suite fits, each materialised as pyhf JSON files in a cache folder.

- sbottom: the published ATLAS sbottom likelihoods (HEPData 10.17182/hepdata.89408), regions A, B, C:
  one signal patch per region for the single-model tasks and all patches of a region for the grid;
- zoo: the published background-only likelihoods in ../shared/likelihoods/zoo (fits without a POI);
- uncorrelated: pyhf's own benchmark model, static and Poisson-drawn sources;
- synthetic: generated scaling families (synth.py);
- user: any workspace, or background + patchset (or folder of patch files), that a user points at.
"""
import hashlib
import json
import tarfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .jsonio import read_json
from .synth import synthetic_workspace, uncorrelated_background

REPO = Path(__file__).resolve().parents[2]
BUNDLED_SBOTTOM = REPO / "data" / "sbottom-hepdata.89408.tar.gz"
SHARED_ZOO = REPO.parent / "shared" / "likelihoods" / "zoo"
# a signal point per region with sensitivity (CLs well inside (0, 1)), for the single-model tasks
SBOTTOM_POINTS = {"RegionA": "sbottom_1300_205_60", "RegionB": "sbottom_1000_205_60", "RegionC": "sbottom_1000_205_60"}


@dataclass
class Workload:
    id: str
    family: str
    n_bins: int
    n_channels: int
    workspace: str = None          # the workspace file (single-model tasks)
    patches: list = field(default_factory=list)   # RFC 6902 patch files applied to it
    grid: dict = None              # {"background": file, "patches": patchset file or [patch files]}
    n_patches: int = None
    no_poi: bool = False           # background-only: fitted without a POI
    source: str = ""               # where it came from, for the record

    def record(self):
        """The workload as the results file describes it (no local paths)."""
        return {k: v for k, v in asdict(self).items() if k not in ("workspace", "patches", "grid")}

    def request(self):
        """The workload as a worker process reads it."""
        return {"workspace": self.workspace, "patches": self.patches, "grid": self.grid, "no_poi": self.no_poi}


def _size(spec):
    return sum(len(o["data"]) for o in spec["observations"]), len(spec["observations"])


def _poi_missing(spec):
    poi = spec["measurements"][0]["config"].get("poi")
    mods = {m["name"] for c in spec["channels"] for s in c["samples"] for m in s["modifiers"]}
    return poi not in mods


def _write(cache, name, spec):
    path = Path(cache) / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(spec)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return str(path)


def find_sbottom_archive(explicit=None):
    """The sbottom archive: the argument, else scikit-hep-testdata's (if installed and present), else the
    copy bundled in data/."""
    if explicit:
        return Path(explicit)
    try:
        import skhep_testdata
        return Path(skhep_testdata.data_path("pyhf-ins1748602-probability-models.tar.gz"))
    except Exception:  # not installed, or it would download (no network): use the bundled copy
        return BUNDLED_SBOTTOM


def sbottom(cache, archive=None, regions=("RegionA", "RegionB", "RegionC"), grid=True, max_patches=None):
    archive = find_sbottom_archive(archive)
    root = Path(cache) / "sbottom"
    if not (root / "RegionA" / "BkgOnly.json").exists():
        root.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive) as tar:
            tar.extractall(root, filter="data")
    out = []
    for region in regions:
        bkg = root / region / "BkgOnly.json"
        spec = json.loads(bkg.read_text())
        n_bins, n_ch = _size(spec)
        point = root / region / f"patch.{SBOTTOM_POINTS[region]}.json"
        src = f"HEPData 10.17182/hepdata.89408 ({archive.name})"
        out.append(Workload(f"sbottom-{region}-{SBOTTOM_POINTS[region].removeprefix('sbottom_')}", "sbottom", n_bins,
                            n_ch, workspace=str(bkg), patches=[str(point)], source=src))
        if grid:
            all_files = sorted(str(p) for p in (root / region).glob("patch.*.json"))
            files = all_files[:max_patches]
            part = "" if len(files) == len(all_files) else f"{len(files)}"  # a sub-grid has its own id
            out.append(Workload(f"sbottom-{region}-grid{part}", "sbottom-grid", n_bins, n_ch,
                                grid={"background": str(bkg), "patches": files}, n_patches=len(files), source=src))
    return out


def sbottom_points(cache, archive=None, region="RegionA", n=3):
    """The first n signal points of a region in name order (scripts/spey-session.py's), each a
    single-model workload: the background-only workspace and that point's patch."""
    sbottom(cache, archive, regions=(), grid=False)  # extracts the archive into the cache once
    root = Path(cache) / "sbottom" / region
    bkg = root / "BkgOnly.json"
    n_bins, n_ch = _size(json.loads(bkg.read_text()))
    src = f"HEPData 10.17182/hepdata.89408 ({find_sbottom_archive(archive).name})"
    return [Workload(f"sbottom-{region}-{p.name.removeprefix('patch.sbottom_').removesuffix('.json')}", "sbottom",
                     n_bins, n_ch, workspace=str(bkg), patches=[str(p)], source=src)
            for p in sorted(root.glob("patch.*.json"))[:n]]


def zoo(directory=SHARED_ZOO, names=None):
    out = []
    for path in sorted(Path(directory).glob("*.json*")):
        stem = path.name.removesuffix(".gz").removesuffix(".json")
        if names and stem not in names:
            continue
        spec = read_json(path)
        n_bins, n_ch = _size(spec)
        # fitted as background-only (pyhf's poi_name=None), as the shared pyhf references are
        out.append(Workload(f"zoo-{stem}", "zoo", n_bins, n_ch, workspace=str(path), no_poi=True,
                            source=f"published background-only likelihood {path.name}"))
    return out


def zoo_with_poi(cache, names, directory=SHARED_ZOO):
    """Published background-only likelihoods made fit for the POI workflows (ranking, profile scans):
    the measurement's POI (a signal strength the background-only file does not carry) replaced, by a
    JSON Patch in the cache, with the first of the model's normalisation factors by name (a background
    normalisation, e.g. mu_Diboson3l), so that rankings rank the impacts on it."""
    out = []
    for stem in names:
        path = Path(directory) / f"{stem}.json.gz"
        if not path.exists():
            path = Path(directory) / f"{stem}.json"
        spec = read_json(path)
        n_bins, n_ch = _size(spec)
        nfs = sorted({m["name"] for c in spec["channels"] for s in c["samples"] for m in s["modifiers"]
                      if m["type"] == "normfactor"})
        if not nfs:
            continue  # nothing to rank impacts on
        patch = _write(cache, f"zoo-{stem}-poi-{nfs[0]}",
                       [{"op": "replace", "path": "/measurements/0/config/poi", "value": nfs[0]}])
        out.append(Workload(f"zoo-{stem}-poi-{nfs[0]}", "zoo-poi", n_bins, n_ch, workspace=str(path), patches=[patch],
                            source=f"published background-only likelihood {path.name}, POI := {nfs[0]}"))
    return out


def uncorrelated(cache, bins=(1, 10, 50, 100, 200, 500, 800, 1000), sources=("static", "poisson")):
    out = []
    for source in sources:
        for n in bins:
            name = f"uncorrelated-{source}-{n}"
            out.append(Workload(name, f"uncorrelated-{source}", n, 1,
                                workspace=_write(cache, name, uncorrelated_background(n, source)),
                                source="pyhf tests/benchmarks: simplemodels.uncorrelated_background"))
    return out


def synthetic(cache, family, sizes, **knobs):
    """A scaling family: one workload per bins-per-channel value in sizes, the other knobs fixed."""
    out = []
    for bins in sizes:
        spec = synthetic_workspace(bins=bins, **knobs)
        n_bins, n_ch = _size(spec)
        tag = hashlib.sha1(json.dumps(knobs, sort_keys=True).encode()).hexdigest()[:8]
        name = f"synthetic-{family}-{n_bins}"
        out.append(Workload(name, f"synthetic-{family}", n_bins, n_ch,
                            workspace=_write(cache, f"{name}-{tag}", spec),
                            source=f"synth.synthetic_workspace(bins={bins}, {', '.join(f'{k}={v!r}' for k, v in knobs.items())})"))
    return out


def user(cache, path, patchset=None, name=None):
    """A workspace, or a background workspace with a patchset file or a folder of patch files (then
    the first patch for the single-model tasks and all of them as a grid)."""
    path = Path(path)
    spec = read_json(path)
    n_bins, n_ch = _size(spec)
    name = name or path.name.removesuffix(".gz").removesuffix(".json")
    if not patchset:
        return [Workload(f"user-{name}", "user", n_bins, n_ch, workspace=str(path), no_poi=_poi_missing(spec),
                         source=str(path))]
    ps = Path(patchset)
    if ps.is_dir():
        # HEPData's layout: patch.<name>.json beside BkgOnly.json; else every other JSON file there
        files = sorted(str(p) for p in ps.glob("patch*.json")) or sorted(
            str(p) for p in ps.glob("*.json") if p.resolve() != path.resolve())
        first_spec_patch = {"patches": [files[0]]}
        grid = {"background": str(path), "patches": files}
        n = len(files)
    else:
        doc = read_json(ps)
        first = doc["patches"][0]
        first_file = _write(cache, f"user-{name}-{first['metadata']['name']}", first["patch"])
        first_spec_patch = {"patches": [first_file]}
        grid = {"background": str(path), "patches": str(ps)}
        n = len(doc["patches"])
    return [Workload(f"user-{name}", "user", n_bins, n_ch, workspace=str(path), source=str(path), **first_spec_patch),
            Workload(f"user-{name}-grid", "user-grid", n_bins, n_ch, grid=grid, n_patches=n, source=str(ps))]
