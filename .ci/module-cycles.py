#!/usr/bin/env python3
"""Module import cycles of a Rust crate's src/ tree.

For every .rs file under src/ (the library tree rooted at lib.rs; main.rs is a separate
crate and only reports what it names), collect the modules it refers to: `use` statements
(crate::, super::, self::, or a path starting with a child module's name) and `crate::a::b`
/ `super::a` / `self::a` paths in code. Each path resolves to the deepest module it names:
`crate::domain::calendar::Calendar` -> domain::calendar, `super::Calendar` from
domain/x.rs -> domain (a use of the parent's re-export). `mod x;` declarations are not
imports, but `pub use child::X` in a parent is (parent -> child). Inline `mod tests { }`
blocks count as their file's module. Comments and string literals are ignored.

Usage: modcycles.py [SRC_DIR]   (default: ./src). Prints edges with --edges.
Exit status 1 if a cycle is found.
"""
import os
import re
import sys

src = os.path.abspath(next((a for a in sys.argv[1:] if not a.startswith("-")), "src"))
show_edges = "--edges" in sys.argv


def module_of(path):
    rel = os.path.relpath(path, src)[:-3].split(os.sep)
    if rel == ["lib"]:
        return ()
    if rel[-1] == "mod":
        rel = rel[:-1]
    return tuple(rel)


files = {}
for d, _, fs in os.walk(src):
    for f in fs:
        if f.endswith(".rs") and f != "main.rs":
            p = os.path.join(d, f)
            files[module_of(p)] = p
modules = set(files)


def strip(code):
    """Removes comments, string and char literals (keeps newlines)."""
    out, i, n = [], 0, len(code)
    while i < n:
        c = code[i]
        if code.startswith("//", i):
            j = code.find("\n", i)
            i = n if j < 0 else j
        elif code.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if code.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif code.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif re.match(r'r#*"', code[i:i + 10]) and (i == 0 or not code[i - 1].isalnum()):
            m = re.match(r'r(#*)"', code[i:])
            end = '"' + m.group(1)
            j = code.find(end, i + len(m.group(0)))
            out.append('""')
            i = n if j < 0 else j + len(end)
        elif c == '"':
            j = i + 1
            while j < n and code[j] != '"':
                j += 2 if code[j] == "\\" else 1
            out.append('""')
            i = j + 1
        elif c == "'" and re.match(r"'(\\.|[^\\'])'|'\\u\{[0-9a-fA-F]+\}'", code[i:i + 12]):
            m = re.match(r"'(\\.|[^\\'])'|'\\u\{[0-9a-fA-F]+\}'", code[i:])
            out.append("' '")
            i += len(m.group(0))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def expand(tree):
    """`a::{b, c::{d, e}}` -> [a::b, a::c::d, a::c::e]."""
    tree = re.sub(r"\s+", "", tree)
    tree = re.sub(r"\bas\w+", "", tree)  # `X as Y` (spaces removed: `XasY`) is harmless
    m = re.search(r"\{", tree)
    if not m:
        return [tree]
    prefix = tree[: m.start()]
    depth, parts, cur = 0, [], ""
    for ch in tree[m.start() + 1 : -1] if tree.endswith("}") else tree[m.start() + 1 :]:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    out = []
    for p in parts:
        if p:
            out += expand(prefix + p) if p != "self" else [prefix.rstrip(":")]
    return out


def resolve(cur, segs):
    """The deepest module named by path `segs` used in module `cur`; None if external."""
    if not segs:
        return None
    if segs[0] == "crate":
        base, rest = (), segs[1:]
    elif segs[0] in ("super", "self"):
        base = cur
        rest = list(segs)
        while rest and rest[0] in ("super", "self"):
            if rest[0] == "super":
                base = base[:-1]
            rest = rest[1:]
    elif cur + (segs[0],) in modules:
        base, rest = cur, segs
    else:
        return None
    target = base
    for s in rest:
        if target + (s,) in modules:
            target = target + (s,)
        else:
            break
    return target


edges = {}
for mod, path in sorted(files.items()):
    code = strip(open(path, encoding="utf-8").read())
    refs = set()
    # Inline modules (`mod tests {`) shift what `super` means inside them; track them by
    # brace depth.
    inline = []  # stack of (name, depth at which it opened)
    depth = 0
    pos = 0
    tokens = re.finditer(
        r"(?P<inl>\bmod\s+(?P<name>\w+)\s*\{)|(?P<use>\buse\s+(?P<tree>[^;]+);)"
        r"|(?P<path>\b(?:crate|super|self)(?:\s*::\s*\w+)+)|(?P<open>\{)|(?P<close>\})",
        code,
    )
    for t in tokens:
        cur = mod + tuple(n for n, _ in inline)
        if t.group("inl"):
            depth += 1
            inline.append((t.group("name"), depth))
        elif t.group("open"):
            depth += 1
        elif t.group("close"):
            if inline and inline[-1][1] == depth:
                inline.pop()
            depth -= 1
        elif t.group("use"):
            for p in expand(t.group("tree")):
                segs = [s for s in p.split("::") if s]
                if segs and segs[-1] == "*":
                    segs = segs[:-1]
                r = resolve(cur, segs)
                if r is not None:
                    refs.add(r)
        elif t.group("path"):
            segs = [s.strip() for s in t.group("path").split("::")]
            r = resolve(cur, segs)
            if r is not None:
                refs.add(r)
    refs = {r for r in refs if r in modules and r != mod}
    edges[mod] = refs

name = lambda m: "crate" if not m else "::".join(m)
if show_edges:
    for m in sorted(edges):
        print(f"{name(m)} -> {', '.join(sorted(name(r) for r in edges[m])) or '-'}")
    print()

# Strongly connected components (Tarjan), then one concrete cycle per component.
index, low, stack, on, comps = {}, {}, [], set(), []
counter = [0]
sys.setrecursionlimit(10000)


def strong(v):
    index[v] = low[v] = counter[0]
    counter[0] += 1
    stack.append(v)
    on.add(v)
    for w in edges.get(v, ()):
        if w not in index:
            strong(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on.discard(w)
            comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            comps.append(sorted(comp))


for v in sorted(edges):
    if v not in index:
        strong(v)

print(f"{len(files)} modules, {sum(len(e) for e in edges.values())} import edges")
if not comps:
    print("no module import cycles")
    sys.exit(0)
for comp in comps:
    members = set(comp)
    print(f"cycle group: {', '.join(name(m) for m in comp)}")
    for a in comp:
        for b in sorted(edges[a] & members):
            if a in edges.get(b, ()) and a < b:
                print(f"  {name(a)} <-> {name(b)}")
    # Every edge inside the group, so the longer cycles can be read off.
    for a in comp:
        inside = sorted(name(b) for b in edges[a] & members)
        print(f"  {name(a)} -> {', '.join(inside)}")
sys.exit(1)
