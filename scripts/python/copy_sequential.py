"""Copy every corpus file into DEST with shutil.copy, one after another.

Same work as iolab's `copy` variant `kernel`: shutil.copy copies the bytes
in the kernel (os.sendfile on Linux) and then copies the permission bits,
as Rust's std::fs::copy (copy_file_range, then fchmod) does. It is not the
`loop` variant, which moves the bytes through a user-space buffer.
"""
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
