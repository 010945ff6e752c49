"""Save every file from a ProcessPoolExecutor of WORKERS processes, one task per file."""
import os
from concurrent.futures import ProcessPoolExecutor

from _common import arguments, file_name, render, spec


def save(path, k, lines, values):
    with open(path, "w") as f:
        f.write(render(k, lines, values))


def main():
    corpus, dest, workers = arguments()
    files, lines, values = spec(corpus)
    with ProcessPoolExecutor(workers) as pool:
        futures = [
            pool.submit(save, os.path.join(dest, file_name(k)), k, lines, values)
            for k in range(files)
        ]
        for f in futures:
            f.result()


if __name__ == "__main__":
    main()
