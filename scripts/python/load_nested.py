"""Load every corpus file with WORKERS processes, each loading its chunk of
paths with one thread per file (the tutorials' nested pools); print bytes=N.

Same work as iolab's `read discard`; how it differs from the tutorials'
loader (binary mode, nothing decoded): see "Loaders" in _common.py.
"""
import os
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from _common import arguments, chunks, file_name, spec


def load(path):
    with open(path, "rb") as f:
        return len(f.read())


def load_chunk(paths):
    with ThreadPoolExecutor(len(paths)) as pool:
        return sum(pool.map(load, paths))


def main():
    corpus, _dest, workers = arguments()
    files, _, _ = spec(corpus)
    paths = [os.path.join(corpus, file_name(k)) for k in range(files)]
    with ProcessPoolExecutor(workers) as pool:
        total = sum(pool.map(load_chunk, chunks(paths, workers)))
    print(f"bytes={total}")


if __name__ == "__main__":
    main()
