"""Load every corpus file into memory, one after another; print bytes=N.

Same work as iolab's `read` variant `discard` (each file read whole, its
bytes dropped), not `whole`/`buffered` (which keep every file's bytes).
Where it differs from the tutorials' loader: that opens each file in text
mode, so Python decodes every byte into a str before throwing it away; this
program opens it in binary mode ("rb"), so nothing is decoded (the Rust side
decodes nothing either, it checksums the bytes). Like the tutorial, the
contents are thrown away; only their length is kept, to print bytes=N.
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
