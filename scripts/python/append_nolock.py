"""WORKERS threads append LINES lines to DEST/append.log, each opening the
file itself and writing without a lock (the pattern the tutorials warn about)."""
import os
from concurrent.futures import ThreadPoolExecutor

from _common import append_line, arguments


def main():
    _corpus, dest, workers, lines = arguments(["lines"])
    path = os.path.join(dest, "append.log")

    def append(i):
        with open(path, "a") as f:
            f.write(append_line(i))

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(append, range(int(lines))))


if __name__ == "__main__":
    main()
