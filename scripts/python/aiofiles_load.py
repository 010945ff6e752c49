"""Load every file with aiofiles under asyncio, WORKERS reads in flight; print bytes=N.

Same work as iolab's `read` variant `discard` (each file read whole, its
bytes dropped), not `whole`/`buffered` (which keep every file's bytes).
Where it differs from the tutorials' loader: that opens each file in text
mode, so Python decodes every byte into a str before throwing it away; this
program opens it in binary mode ("rb"), so nothing is decoded (the Rust side
decodes nothing either, it checksums the bytes). Like the tutorial, the
contents are thrown away; only their length is kept, to print bytes=N.
"""
import asyncio
import os

from _common import arguments, file_name, need, spec


async def main(aiofiles):
    corpus, _dest, workers = arguments()
    files, _, _ = spec(corpus)
    gate = asyncio.Semaphore(workers)

    async def load(k):
        async with gate:
            async with aiofiles.open(os.path.join(corpus, file_name(k)), "rb") as f:
                return len(await f.read())

    print(f"bytes={sum(await asyncio.gather(*(load(k) for k in range(files))))}")


if __name__ == "__main__":
    asyncio.run(main(need("aiofiles")))
