"""Copy every corpus file into DEST with shutil.copy, one after another."""
import os
import shutil

from _common import arguments, file_name, spec


def main():
    corpus, dest, _workers = arguments()
    files, _, _ = spec(corpus)
    for k in range(files):
        name = file_name(k)
        shutil.copy(os.path.join(corpus, name), os.path.join(dest, name))


if __name__ == "__main__":
    main()
