"""Copy every corpus file into DEST from a ThreadPoolExecutor of WORKERS threads, one task per file."""
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
