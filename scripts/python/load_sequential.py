"""Load every corpus file into memory, one after another; print bytes=N."""
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
