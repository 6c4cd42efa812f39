"""A stand-in for scikit-hep-testdata's data_path, which pyhf's test_regression.py imports: the file it
asks for (the ATLAS sbottom likelihoods of HEPData ins1748602, which scikit-hep-testdata downloads) is
../shared/likelihoods/sbottom-hepdata.89408.tar.gz here (the same archive: RegionA/BkgOnly.json, ...),
so that the run needs no network."""
import os
import pathlib

_FILES = {"pyhf-ins1748602-probability-models.tar.gz": "sbottom-hepdata.89408.tar.gz"}


def data_path(name):
    if name not in _FILES:
        raise FileNotFoundError(f"skhep_testdata stand-in (tests/pyhf-suite): no local copy of {name}")
    return str(pathlib.Path(os.environ["HFX_PYHF_SUITE_LIKELIHOODS"]) / _FILES[name])
