"""Load every file with aiofiles under asyncio, WORKERS reads in flight; print bytes=N.

Same work as iolab's `read discard`; how it differs from the tutorials'
loader (binary mode, nothing decoded): see "Loaders" in _common.py.
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
