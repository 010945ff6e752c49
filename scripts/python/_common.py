"""Shared helpers of iolab's reference programs.

The corpus format (see harness/src/corpus/spec.rs and render.rs): file k of N
is named data-NNNNN.csv (index zero-padded to 5 digits, or to the width of
N - 1 when wider); its line i holds the integers k+i+j for j in 0..values,
comma-separated. A sharded corpus (manifest spec "folders": "sharded:K")
keeps file k in the subfolder shard-<k mod K> (index zero-padded to the
width of K - 1, at least 1 digit; harness/src/corpus/folders.rs), and the
files written into DEST go in DEST's subfolders of the same names (iolab
makes them before timing): file_name(k) gives the path relative to either
folder. A program that cannot run here (no package, no Python
feature) prints `iolab-skip: <reason>` on stderr and exits non-zero, so iolab
records the scenario as unavailable instead of failed.

Loaders (load_*.py, aiofile*_load.py):
Same work as iolab's `read` variant `discard` (each file read whole, its
bytes dropped), not `whole`/`buffered` (which keep every file's bytes).
Where it differs from the tutorials' loader: that opens each file in text
mode, so Python decodes every byte into a str before throwing it away; each
loader opens it in binary mode ("rb"), so nothing is decoded (the Rust side
decodes nothing either, it checksums the bytes). Like the tutorial, the
contents are thrown away; only their length is kept, to print bytes=N.
"""

import json
import os
import sys

# Set by arguments() and spec(): how many corpus files to use (the first
# ones; None = all), the width of file indices in names, and the number of
# subfolders of a sharded corpus (None = flat).
_LIMIT = None
_WIDTH = 5
_SHARDS = None


def skip(reason):
    """Tell iolab this scenario cannot run here, and stop."""
    print(f"iolab-skip: {reason}", file=sys.stderr)
    sys.exit(3)


def need(module, package=None):
    """Import `module`, or skip naming the package to install."""
    try:
        return __import__(module)
    except ImportError:
        skip(f"Python package {package or module} is not installed (run scripts/python-setup)")


def arguments(extra=()):
    """corpus dir, dest dir, workers, then the named extra arguments. An
    optional last argument FILES limits the program to the corpus's first
    FILES files (iolab's `first_files`, passed as `{files}`)."""
    global _LIMIT
    names = ["corpus", "dest", "workers", *extra]
    args = sys.argv[1:]
    if len(args) == len(names) + 1:
        _LIMIT = max(1, int(args.pop()))
    if len(args) != len(names):
        usage = " ".join(names).upper()
        print(f"usage: {os.path.basename(sys.argv[0])} {usage} [FILES]", file=sys.stderr)
        sys.exit(2)
    corpus, dest, workers, *rest = args
    return (corpus, dest, max(1, int(workers)), *rest)


def spec(corpus):
    """files to use, lines, values of the corpus, from its manifest."""
    global _WIDTH, _SHARDS
    with open(os.path.join(corpus, "manifest.json"), encoding="utf-8") as f:
        s = json.load(f)["spec"]
    _WIDTH = max(5, len(str(max(s["files"] - 1, 0))))
    folders = s.get("folders", "flat")
    if folders == "flat":
        _SHARDS = None
    elif folders.startswith("sharded:") and folders[8:].isdigit() and int(folders[8:]) > 0:
        _SHARDS = int(folders[8:])
    else:
        print(f"corpus folders = {folders!r}: allowed flat or sharded:K", file=sys.stderr)
        sys.exit(2)
    files = s["files"] if _LIMIT is None else min(_LIMIT, s["files"])
    return files, s["lines"], s["values"]


def file_name(k):
    """Path of data file k relative to the corpus folder (and of its copy
    relative to DEST), after spec() has read the corpus's size and layout:
    data-NNNNN.csv, or shard-<k mod K>/data-NNNNN.csv when sharded."""
    name = f"data-{k:0{_WIDTH}d}.csv"
    if _SHARDS is None:
        return name
    width = max(1, len(str(_SHARDS - 1)))
    return os.path.join(f"shard-{k % _SHARDS:0{width}d}", name)


def render(k, lines, values):
    """The text of data file k, as the tutorials generate it."""
    return "".join(",".join(map(str, range(k + i, k + i + values))) + "\n" for i in range(lines))


def append_line(i):
    """Line i of the append workload (harness/src/workload/append.rs)."""
    return f"{i:08},line-{i:08},abcdefghijklmnopqrstuvwxyz0123456789\n"


def chunks(items, n):
    """`items` cut into `n` nearly equal consecutive chunks (none empty)."""
    n = max(1, min(n, len(items)))
    size, extra = divmod(len(items), n)
    out, start = [], 0
    for c in range(n):
        end = start + size + (1 if c < extra else 0)
        out.append(items[start:end])
        start = end
    return out
