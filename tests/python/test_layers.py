"""The include rules of the layers (docs/architecture.md), checked with the compiler:
every header a file reaches, directly or through others (cc -M), must lie in a folder its layer
may include, and no file of these layers may reach jansson. A rule broken by an #include added
anywhere below a file fails here with the file and the header that crossed the line.

The CUDA files (.cu, .cuh) are C++ that include the CUDA runtime, which cc cannot read: their own
#include lines are checked, and each project header they name is then checked as C (the backend
includes them as C, under extern "C").

test_no_include_cycle: no project header includes, through others, a header that includes it back.

About 2 s (one cc -M per file, some 25 files, and a read of every source file)."""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO

# What each layer may reach under src/ and include/ (a folder ends in '/'). Every layer may reach the
# system's headers, jansson's excepted.
CORE = ["include/hfx/hfx.h", "src/hfx-impl.h", "src/hfx-hd.h", "src/core/"]
MODEL = CORE + ["src/model/model.h", "src/model/modifier-type.h"]
KERNEL = MODEL + ["src/kernel/"]
BACKEND = KERNEL + ["src/backend/"]
ENGINE = BACKEND + ["src/fit/"]
# inference and the analyses talk only to the engine (fit/engine-ops.h, the plain data of kernel/fit-job.h)
# and read the model through the public accessors: no model/, backend/ or spec/ header, nor fit/engine.h
INFER = CORE + ["src/fit/engine-ops.h", "src/kernel/fit-job.h", "src/infer/"]
WORKFLOW = INFER + ["src/workflow/"]

# (files, the layer they belong to); the first pattern that matches a file decides.
RULES = [
    ("src/model/modifier-type.h", ["src/model/modifier-type.h"]),
    ("src/model/model.h", MODEL),
    ("src/kernel/*", KERNEL),
    ("src/backend/**/*", BACKEND),
    ("src/fit/*", ENGINE),
    ("src/infer/*", INFER),
    ("src/workflow/*", WORKFLOW),
]


def files_of(pattern):
    return sorted(p for p in REPO.glob(pattern) if p.is_file() and p.suffix in (".h", ".c", ".cu", ".cuh"))


CASES = [(str(p.relative_to(REPO)), allowed) for pattern, allowed in RULES for p in files_of(pattern)]
# a file matched by two patterns keeps its first rule
CASES = list({f: (f, a) for f, a in reversed(CASES)}.values())[::-1]


def compiler():
    cc = os.environ.get("CC", "cc")
    if not shutil.which(cc):
        pytest.skip(f"no C compiler ({cc}) to list what a file includes")
    return cc


def reached(path):
    """The headers path reaches (itself excluded), as repository-relative or absolute paths."""
    proc = subprocess.run([compiler(), "-std=c11", "-D_DEFAULT_SOURCE", "-M", "-MT", "x", "-Isrc", "-Iinclude",
                           "-x", "c", path], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, f"cc -M {path}: {proc.stderr}"
    deps = proc.stdout.replace("\\\n", " ").split(":", 1)[1].split()
    out = []
    for d in deps:
        p = Path(d) if os.path.isabs(d) else (REPO / d)
        p = p.resolve()
        try:
            out.append(str(p.relative_to(REPO)))
        except ValueError:
            out.append(str(p))
    return [d for d in out if d != path]


def allowed_in(dep, allowed):
    if "jansson" in os.path.basename(dep):
        return False
    if not (dep.startswith("src/") or dep.startswith("include/")):
        return True  # a system header
    return any(dep == a or (a.endswith("/") and dep.startswith(a)) for a in allowed)


def cuda_includes(path):
    """A .cu/.cuh file's own #include lines: (quoted project headers, angle-bracket headers)."""
    text = (REPO / path).read_text()
    quoted = re.findall(r'^\s*#\s*include\s+"([^"]+)"', text, re.M)
    angled = re.findall(r"^\s*#\s*include\s+<([^>]+)>", text, re.M)
    here = Path(path).parent
    project = []
    for q in quoted:
        local = here / q
        project.append(str(local) if (REPO / local).exists() else "src/" + q)
    return project, angled


@pytest.mark.parametrize("path,allowed", CASES, ids=[c[0] for c in CASES])
def test_layer(path, allowed):
    if path.endswith((".cu", ".cuh")):
        deps, todo = [], [path]
        while todo:  # the CUDA files it includes, recursively; C headers through cc -M
            project, angled = cuda_includes(todo.pop())
            deps += angled
            for h in project:
                deps.append(h)
                if h.endswith((".cu", ".cuh")):
                    todo.append(h)
                else:
                    deps += reached(h)
        bad = [d for d in deps if not allowed_in(d, allowed)]
    else:
        bad = [d for d in reached(path) if not allowed_in(d, allowed)]
    assert not bad, f"{path} reaches {sorted(set(bad))}, outside its layer (docs/architecture.md)"


def test_rules_cover_files():
    # a pattern that matches nothing (a folder renamed) would check nothing
    for pattern, _ in RULES:
        assert files_of(pattern), f"no file matches {pattern}"


def include_graph(folders):
    """Every project file's quoted #include lines, resolved as the build resolves them: beside the
    file first, then under src/, include/ and the file's own tool folder."""
    graph = {}
    files = [p for f in folders for p in (REPO / f).rglob("*") if p.suffix in (".h", ".c", ".cu", ".cuh", ".cc")]
    for p in files:
        deps = []
        for q in re.findall(r'^\s*#\s*include\s+"([^"]+)"', p.read_text(errors="replace"), re.M):
            for cand in (p.parent / q, REPO / "src" / q, REPO / "include" / q):
                if cand.exists():
                    deps.append(cand.resolve())
                    break
        graph[p.resolve()] = deps
    return graph


def test_no_include_cycle():
    # a header that includes, through others, a header that includes it back works only in one
    # include order (the minimizer's headers were such a circle): none is left
    graph = include_graph(["src", "include", "tools", "python/src", "tests/c"])
    state, stack, cycles = {}, [], []

    def visit(u):
        state[u] = 1
        stack.append(u)
        for v in graph.get(u, []):
            if state.get(v) == 1:
                cycles.append(" -> ".join(str(x.relative_to(REPO)) for x in stack[stack.index(v):] + [v]))
            elif v not in state:
                visit(v)
        stack.pop()
        state[u] = 2

    for u in graph:
        if u not in state:
            visit(u)
    assert not cycles, "include cycles: " + "; ".join(cycles)
