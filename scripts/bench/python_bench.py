#!/usr/bin/env python3
"""The lmstudio-bench workloads with the official LM Studio Python SDK.

Same workloads, sizes and output lines as the Swift `lmstudio-bench` (see docs/performance.md),
written the way an application uses the SDK: the synchronous client for one connection, one
handle and one stream; the asynchronous client for 64 concurrent streams.

    python_bench.py --host 127.0.0.1:PORT [--workload all|connect|rpc|stream|concurrent] [--runs N]

The server must stream as many fragments as a prediction asks for (`maxTokens`): start the mock
in benchmark mode (`lms-swift mock --fragments 100000`).
"""

import argparse
import asyncio
import statistics
import sys
import time

import lmstudio as lms

MODEL_KEY = "qwen2.5-0.5b-instruct"
PROMPT = "Benchmark prompt"

# Keep in step with `Sizes` in Sources/LMStudioBenchmarks/Workloads.swift.
SIZES = {
    "connects": 20,  # fresh clients per connect run (the run's figure is their median)
    "rpc_calls": 2_000,  # sequential getModelInfo calls on one handle
    "stream_fragments": 100_000,  # fragments of the one streamed prediction
    "concurrent_streams": 64,  # predictions streamed at once on one client
    "fragments_per_concurrent_stream": 2_000,  # 64 x 2,000 = 128,000 fragments in total
}


def scaled(sizes, factor):
    result = {key: max(1, round(value * factor)) for key, value in sizes.items()}
    result["concurrent_streams"] = sizes["concurrent_streams"]
    return result


def check_stream(asked, received, characters, result):
    if received != asked or characters == 0 or result is None:
        raise SystemExit(
            f"asked for {asked} fragments, got {received}; run the mock in benchmark mode "
            "with at least that many (lms-swift mock --fragments N)"
        )


def connect(host, sizes):
    """Median ms for a fresh client to connect, authenticate and complete one RPC."""
    times = []
    for _ in range(sizes["connects"]):
        start = time.perf_counter()
        with lms.Client(host) as client:
            client.llm.list_loaded()
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def rpc(host, sizes):
    """Sequential getModelInfo calls per second on one loaded-model handle."""
    calls = sizes["rpc_calls"]
    with lms.Client(host) as client:
        model = client.llm.model(MODEL_KEY)
        start = time.perf_counter()
        for _ in range(calls):
            info = model.get_info()
        elapsed = time.perf_counter() - start
        if not info.identifier:
            raise SystemExit(f"getModelInfo returned {info}")
    return calls / elapsed


def stream(host, sizes):
    """Fragments per second of one streamed prediction, consumed fragment by fragment."""
    asked = sizes["stream_fragments"]
    with lms.Client(host) as client:
        model = client.llm.model(MODEL_KEY)
        start = time.perf_counter()
        prediction = model.respond_stream(PROMPT, config={"maxTokens": asked})
        received = characters = 0
        for fragment in prediction:
            received += 1
            characters += len(fragment.content)
        result = prediction.result()
        elapsed = time.perf_counter() - start
    check_stream(asked, received, characters, result)
    return asked / elapsed


def concurrent(host, sizes):
    """Total fragments per second of 64 predictions streamed at once on one async client."""
    streams = sizes["concurrent_streams"]
    each = sizes["fragments_per_concurrent_stream"]

    async def main():
        async with lms.AsyncClient(host) as client:
            model = await client.llm.model(MODEL_KEY)

            async def one():
                prediction = await model.respond_stream(PROMPT, config={"maxTokens": each})
                received = characters = 0
                async for fragment in prediction:
                    received += 1
                    characters += len(fragment.content)
                check_stream(each, received, characters, prediction.result())

            start = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(streams)))
            return streams * each / (time.perf_counter() - start)

    return asyncio.run(main())


def peak_rss_mib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


FIGURES = [
    ("connect", "connect_auth_first_rpc_ms", "ms", 2, connect),
    ("rpc", "rpc_roundtrips_per_s", "calls/s", 0, rpc),
    ("stream", "stream_fragments_per_s", "fragments/s", 0, stream),
    ("concurrent", "concurrent64_fragments_per_s", "fragments/s", 0, concurrent),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True, help="host:port of the server")
    parser.add_argument("--workload", default="all", choices=["all"] + [f[0] for f in FIGURES])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per workload (median)")
    parser.add_argument("--scale", type=float, default=1.0, help=argparse.SUPPRESS)
    options = parser.parse_args()
    sizes = scaled(SIZES, options.scale)
    warm_up = scaled(sizes, 0.1)
    for workload, name, unit, decimals, measure in FIGURES:
        if options.workload not in ("all", workload):
            continue
        measure(options.host, warm_up)
        value = statistics.median(measure(options.host, sizes) for _ in range(options.runs))
        print(f"{name}: {value:.{decimals}f} {unit}", flush=True)
    print(f"peak_rss_mb: {peak_rss_mib():.1f} MiB", flush=True)


if __name__ == "__main__":
    sys.exit(main())
