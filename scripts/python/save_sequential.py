"""Save every corpus file's content into DEST, one after another (the tutorials' baseline)."""
import os

from _common import arguments, file_name, render, spec


def main():
    corpus, dest, _workers = arguments()
    files, lines, values = spec(corpus)
    for k in range(files):
        with open(os.path.join(dest, file_name(k)), "w") as f:
            f.write(render(k, lines, values))


if __name__ == "__main__":
    main()
