"""WORKERS threads append LINES lines to DEST/append.log through one shared
file object, each write under a threading.Lock."""
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from _common import append_line, arguments


def main():
    _corpus, dest, workers, lines = arguments(["lines"])
    lock = threading.Lock()
    with open(os.path.join(dest, "append.log"), "a") as f:

        def append(i):
            with lock:
                f.write(append_line(i))

        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(append, range(int(lines))))


if __name__ == "__main__":
    main()
