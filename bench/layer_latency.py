"""The channel layer alone, in W2's shape across two processes: group send to delivery, without Daphne or Django.

``python -m bench.layer_latency KIND [--rate 100] [--seconds 5]`` (KIND: pubsub or core, as ``PORTAL_CHANNEL_LAYER``)
on the Redis at ``BENCH_REDIS_URL``. A receiver process joins 100 groups of three channels each; a sender process
sends ``--rate`` events a second to random groups; the receiver reports how many deliveries arrived within five
seconds of the last send and their latency (send to receive, one clock). It isolates the layer's share of W2/W4
(issue #17): at ``--rate 333`` the deliveries are W4's goal of 1,000 a second.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
from typing import Any

from bench.run import REDIS_BENCH_URL

GROUPS = 100
MEMBERS = 3


def _layer(kind: str) -> Any:
    from django.utils.module_loading import import_string

    from family_portal.channel_layers import redis_channel_layer

    config = redis_channel_layer(REDIS_BENCH_URL, kind)
    return import_string(config["BACKEND"])(**config["CONFIG"])


async def receive(kind: str, rate: float, seconds: float) -> str:
    layer = _layer(kind)
    latencies: list[float] = []
    channels = []
    for group in range(GROUPS):
        for _ in range(MEMBERS):
            channel = await layer.new_channel()
            await layer.group_add(f"latency{group}", channel)
            channels.append(channel)
    print("READY", flush=True)

    async def drain(channel: str) -> None:
        while True:
            event = await layer.receive(channel)
            latencies.append(time.time() - event["sent_at"])

    readers = [asyncio.ensure_future(drain(channel)) for channel in channels]
    expected = int(rate * seconds) * MEMBERS
    deadline = time.monotonic() + seconds + 5
    while len(latencies) < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    for reader in readers:
        reader.cancel()
    latencies.sort()
    if not latencies:
        return f"{kind}: 0/{expected} delivered"
    p50, p99 = latencies[len(latencies) // 2], latencies[max(0, int(len(latencies) * 0.99) - 1)]
    return f"{kind}: {len(latencies)}/{expected} delivered, p50 {p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms"


async def send(kind: str, rate: float, seconds: float) -> None:
    layer = _layer(kind)
    start = time.perf_counter()
    for n in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
        await layer.group_send(f"latency{random.randrange(GROUPS)}", {"type": "probe", "sent_at": time.time()})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.layer_latency", description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["pubsub", "core"])
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--role", choices=["receiver", "sender"], help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "family_portal.settings")
    os.environ.setdefault("DJANGO_DEBUG", "True")
    if options.role == "receiver":
        print(asyncio.run(receive(options.kind, options.rate, options.seconds)), flush=True)
        os._exit(0)  # the readers' layer connections are not worth a clean close here
    if options.role == "sender":
        asyncio.run(send(options.kind, options.rate, options.seconds))
        return
    shared = [options.kind, "--rate", str(options.rate), "--seconds", str(options.seconds)]
    command = [sys.executable, "-m", "bench.layer_latency", *shared]
    with subprocess.Popen([*command, "--role", "receiver"], stdout=subprocess.PIPE, text=True) as receiver:
        assert receiver.stdout is not None
        if receiver.stdout.readline().strip() != "READY":
            raise SystemExit("the receiver did not start")
        subprocess.run([*command, "--role", "sender"], check=True, timeout=options.seconds + 60)
        print(receiver.stdout.read().strip())


if __name__ == "__main__":
    main()
