"""Load every corpus file with WORKERS processes, each loading its chunk of
paths with one thread per file (the tutorials' nested pools); print bytes=N.

Same work as iolab's `read` variant `discard` (each file read whole, its
bytes dropped), not `whole`/`buffered` (which keep every file's bytes).
Where it differs from the tutorials' loader: that opens each file in text
mode, so Python decodes every byte into a str before throwing it away; this
program opens it in binary mode ("rb"), so nothing is decoded (the Rust side
decodes nothing either, it checksums the bytes). Like the tutorial, the
contents are thrown away; only their length is kept, to print bytes=N.
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
