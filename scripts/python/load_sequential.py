"""Load every corpus file into memory, one after another; print bytes=N.

Same work as iolab's `read discard`; how it differs from the tutorials'
loader (binary mode, nothing decoded): see "Loaders" in _common.py.
"""
import os

from _common import arguments, file_name, spec


def main():
    corpus, _dest, _workers = arguments()
    files, _, _ = spec(corpus)
    total = 0
    for k in range(files):
        with open(os.path.join(corpus, file_name(k)), "rb") as f:
            total += len(f.read())
    print(f"bytes={total}")


if __name__ == "__main__":
    main()
