"""Copy every corpus file into DEST from a ThreadPoolExecutor of WORKERS threads, one task per file.

Same work as iolab's `copy` variant `kernel`: shutil.copy copies the bytes
in the kernel (os.sendfile on Linux) and then copies the permission bits,
as Rust's std::fs::copy (copy_file_range, then fchmod) does. It is not the
`loop` variant, which moves the bytes through a user-space buffer.
"""
import os
import shutil
from concurrent.futures import ThreadPoolExecutor

from _common import arguments, file_name, spec


def main():
    corpus, dest, workers = arguments()
    files, _, _ = spec(corpus)
    names = [file_name(k) for k in range(files)]
    with ThreadPoolExecutor(workers) as pool:
        futures = [
            pool.submit(shutil.copy, os.path.join(corpus, n), os.path.join(dest, n)) for n in names
        ]
        for f in futures:
            f.result()


if __name__ == "__main__":
    main()
