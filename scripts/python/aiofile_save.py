"""Save every file with aiofile (caio: Linux native AIO where available)
under asyncio, WORKERS writes in flight."""
import asyncio
import os

from _common import arguments, file_name, need, render, spec


async def main(aiofile):
    corpus, dest, workers = arguments()
    files, lines, values = spec(corpus)
    gate = asyncio.Semaphore(workers)

    async def save(k):
        async with gate:
            async with aiofile.async_open(os.path.join(dest, file_name(k)), "w") as f:
                await f.write(render(k, lines, values))

    await asyncio.gather(*(save(k) for k in range(files)))


if __name__ == "__main__":
    asyncio.run(main(need("aiofile")))
