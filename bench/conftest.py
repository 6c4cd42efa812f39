"""pytest bench/: the suite's smoke run and its parts. Lets the tests import hfxbench."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
