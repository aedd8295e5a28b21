#!/usr/bin/env python3
# scripts/delay-proxy.py: a TCP proxy that can delay every answer by a fixed time, switched on and off by signals,
# so a test can make the database slow for the API without touching anything else on the machine.
#
#   delay-proxy.py LISTEN_HOST:PORT TARGET_HOST:PORT [--delay-ms N]
#
# SIGUSR1 switches the delay on, SIGUSR2 off (it starts off); SIGTERM stops the proxy. With the delay on, every chunk
# the target sends is held back N ms (order kept), so each request/response round trip takes at least N ms longer.
# Connections stay open across switches, as they would on a network that turns slow.
import argparse
import asyncio
import signal
import sys
import time


def address(text):
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got '{text}'")
    return host, int(port)


class Proxy:
    def __init__(self, target, delay_s):
        self.target = target
        self.delay_s = delay_s
        self.delaying = False

    def switch(self, on):
        self.delaying = on
        print(f"{time.time():.3f} delay {'on' if on else 'off'} ({self.delay_s * 1000:.0f} ms per answer)", flush=True)

    async def handle(self, client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError as e:
            print(f"{time.time():.3f} cannot reach {self.target[0]}:{self.target[1]}: {e}", flush=True)
            client_writer.close()
            return
        await asyncio.gather(self.pipe(client_reader, server_writer, delayed=False),
                             self.pipe(server_reader, client_writer, delayed=True),
                             return_exceptions=True)

    async def pipe(self, reader, writer, delayed):
        # A queue keeps the order of the chunks while each waits out its own delay.
        queue = asyncio.Queue()

        async def send():
            while True:
                due, chunk = await queue.get()
                if chunk is None:
                    break
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(chunk)
                await writer.drain()

        sender = asyncio.ensure_future(send())
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                due = time.monotonic() + (self.delay_s if delayed and self.delaying else 0)
                await queue.put((due, chunk))
        except OSError:
            pass
        finally:
            await queue.put((0, None))
            try:
                await sender
            except OSError:
                pass
            writer.close()


async def main():
    parser = argparse.ArgumentParser(description="TCP proxy with a delay switched by SIGUSR1 (on) / SIGUSR2 (off)")
    parser.add_argument("listen", type=address)
    parser.add_argument("target", type=address)
    parser.add_argument("--delay-ms", type=int, default=100)
    args = parser.parse_args()
    if args.delay_ms < 0:
        parser.error("--delay-ms must be at least 0")
    proxy = Proxy(args.target, args.delay_ms / 1000)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, proxy.switch, True)
    loop.add_signal_handler(signal.SIGUSR2, proxy.switch, False)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    server = await asyncio.start_server(proxy.handle, *args.listen)
    print(f"delay-proxy ready: {args.listen[0]}:{args.listen[1]} -> {args.target[0]}:{args.target[1]}", flush=True)
    async with server:
        await stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
