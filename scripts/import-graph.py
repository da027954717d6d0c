#!/usr/bin/env python3
"""Import graph of a crate's modules at one level of depth; prints its cycles (strongly connected components).

Usage: import-graph.py SRC_DIR [--depth N] [--edges]
A file's module is its path under SRC_DIR cut to N components (depth 1: `http`, `poll`, ...). An edge A -> B is
any `crate::B...` path written in a file of A outside test code (`#[cfg(test)]` onwards, `*tests.rs`, `tests/`). Exit status 1 when a cycle exists.
"""
import os, re, sys

def module_of(rel, depth):
    parts = rel[:-3].split(os.sep)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return "::".join(parts[:depth]) if parts else "crate"

def main():
    src = sys.argv[1]
    depth = int(sys.argv[sys.argv.index("--depth") + 1]) if "--depth" in sys.argv else 1
    edges = {}
    pat = re.compile(r"\bcrate::([a-z_][a-z0-9_]*(?:::[a-z_][a-z0-9_]*)*)")
    for root, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs") or f.endswith("tests.rs"):
                continue
            rel = os.path.relpath(os.path.join(root, f), src)
            if "tests" in rel.split(os.sep)[:-1]:
                continue  # test-only modules may import anything
            a = module_of(rel, depth)
            text = open(os.path.join(root, f), encoding="utf-8").read()
            # test-only code may import anything
            text = re.split(r"#\[cfg\(test\)\]", text)[0]
            text = "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("//"))
            for m in pat.finditer(text):
                b = "::".join(m.group(1).split("::")[:depth])
                if b != a and not a.startswith(b + "::") and not b.startswith(a + "::"):
                    edges.setdefault(a, set()).add(b)
    nodes = set(edges) | {b for v in edges.values() for b in v}
    if "--edges" in sys.argv:
        for a in sorted(edges):
            print(f"{a} -> {', '.join(sorted(edges[a]))}")
    # Tarjan
    index, low, on, stack, sccs, i = {}, {}, set(), [], [], [0]
    def strong(v):
        index[v] = low[v] = i[0]; i[0] += 1; stack.append(v); on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                strong(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            c = []
            while True:
                w = stack.pop(); on.discard(w); c.append(w)
                if w == v: break
            if len(c) > 1: sccs.append(sorted(c))
    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index: strong(v)
    for c in sccs:
        print("cycle: " + " <-> ".join(c))
    if not sccs:
        print(f"no import cycles among {len(nodes)} modules (depth {depth})")
    return 1 if sccs else 0

sys.exit(main())
