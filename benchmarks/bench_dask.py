"""Time adcompiler's gradient on dask arrays against NumPy on the same data, and
how the out-of-core example scales with the size of its dataset.

Usage (from the repository root; needs `pip install adcompiler[dask]`):

    python benchmarks/bench_dask.py            # 4M rows x 8 features, sizes up to 32M rows
    python benchmarks/bench_dask.py --quick    # a smoke test, under a minute
    python benchmarks/bench_dask.py --rows 8000000 --stream-sizes 4e6,16e6,64e6

Part 1, workers. The gradient of the logistic-regression loss of
examples/distributed_logistic_regression.py, with respect to its weights, on
an X of --rows rows x 8 float64 features. NumPy: `ad.grad(loss)` on arrays in
memory. dask: the same derivative on a dask X (chunks of --chunk-rows rows)
kept in the memory of a LocalCluster of 1, 2 and 4 single-threaded worker
processes (client.persist), timing `dask.compute` of the lazy gradient (the
graph is built outside the timer, and timed separately: it does no work on the
data). Each time is the median of --repeats runs; every gradient is checked
against NumPy's.

Part 2, dataset size. The example streams its data: chunks are made on the
workers when a step needs them and dropped after, never all in memory. For
each size in --stream-sizes, one gradient step over a non-persisted X on 2
workers, reporting the time and each worker's peak resident memory. The
largest size the example handles is then the one whose step time is
acceptable: the memory does not grow with the rows. The rows that fill the
machine's memory (NumPy's limit) are estimated from the measured throughput,
not run.

Part 3, GPU. Where CuPy and a GPU are there, the same gradient on CuPy arrays
of --gpu-rows rows against NumPy's (skipped, saying why, otherwise).
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import time

import numpy as np

FEATURES = 8


def loss(w, X, y):
    z = X @ w
    return np.mean(np.log1p(np.exp(z)) - y * z)


def make_data(rows, chunk_rows, seed=0):
    import dask.array as da

    rng = da.random.default_rng(seed)
    X = rng.standard_normal((rows, FEATURES), chunks=(chunk_rows, FEATURES))
    y = (X @ np.linspace(-2.0, 2.0, FEATURES) + rng.standard_normal(rows, chunks=chunk_rows)
         > 0).astype(np.float64)
    return X, y


def median_time(run, repeats):
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _peak_rss():
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def cluster(workers):
    from dask.distributed import Client, LocalCluster

    local = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                         dashboard_address=":0", silence_logs=logging.ERROR)
    return local, Client(local)


def bench_workers(options):
    import dask

    import adcompiler as ad

    grad = ad.grad(loss)
    w = np.linspace(0.5, -0.5, FEATURES)
    print(f"## Gradient of the logistic loss, {options.rows:,} rows x {FEATURES} float64 "
          f"({options.rows * FEATURES * 8 / 2**20:,.0f} MiB), chunks of "
          f"{options.chunk_rows:,} rows\n")
    print("| array | workers | build graph (s) | gradient (s) | vs NumPy |")
    print("|---|---|---|---|---|")
    expected = numpy_time = None
    for workers in options.workers:
        local, client = cluster(workers)
        try:
            X, y = client.persist(make_data(options.rows, options.chunk_rows))
            if expected is None:
                X_np, y_np = dask.compute(X, y)
                expected = grad(w, X_np, y_np)
                numpy_time = median_time(lambda: grad(w, X_np, y_np), options.repeats)
                print(f"| NumPy | - | - | {numpy_time:.3f} | 1.00 |")
                del X_np, y_np
            build = median_time(lambda: grad(w, X, y), options.repeats)
            lazy = grad(w, X, y)
            np.testing.assert_allclose(lazy.compute(), expected, rtol=1e-10)
            seconds = median_time(lambda: dask.compute(lazy), options.repeats)
            print(f"| dask | {workers} | {build:.3f} | {seconds:.3f} | "
                  f"{seconds / numpy_time:.2f} |")
        finally:
            client.close()
            local.close()


def bench_stream(options):
    import dask

    import adcompiler as ad

    grad = ad.grad(loss)
    w = np.linspace(0.5, -0.5, FEATURES)
    print(f"\n## One gradient step streaming a dataset made on 2 workers (not persisted), "
          f"chunks of {options.chunk_rows:,} rows\n")
    print("| rows | data (GiB) | step (s) | rows/s | peak worker memory (MiB) |")
    print("|---|---|---|---|---|")
    local, client = cluster(2)
    throughput = []
    try:
        for rows in options.stream_sizes:
            X, y = make_data(rows, options.chunk_rows, seed=rows)
            started = time.perf_counter()
            dask.compute(grad(w, X, y))
            seconds = time.perf_counter() - started
            peak = max(client.run(_peak_rss).values())
            throughput.append(rows / seconds)
            print(f"| {rows:,} | {rows * FEATURES * 8 / 2**30:.2f} | {seconds:.2f} | "
                  f"{rows / seconds:,.0f} | {peak / 2**20:,.0f} |")
    finally:
        client.close()
        local.close()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    rows_filling_memory = memory / (FEATURES * 8)
    rate = throughput[-1]
    print(f"\nThis machine has {memory / 2**30:.1f} GiB of memory: an X of "
          f"{rows_filling_memory:,.0f} rows x {FEATURES} float64 fills it, which NumPy cannot "
          f"load. Estimated from the largest run's throughput ({rate:,.0f} rows/s), not run: "
          f"one gradient step over it would take about {rows_filling_memory / rate / 60:,.0f} "
          "min on 2 workers, with the workers' memory as above.")


def bench_gpu(options):
    """Part 3: the same gradient on CuPy arrays on a GPU against NumPy, where
    both are there (this project's machine has no GPU: never run here)."""
    print(f"\n## The gradient on a GPU (CuPy), {options.gpu_rows:,} rows x {FEATURES}\n")
    try:
        import cupy
        if cupy.cuda.runtime.getDeviceCount() == 0:
            raise RuntimeError("no CUDA device")
    except Exception as err:  # ImportError, or CUDA's own errors without a GPU
        print(f"skipped: CuPy or a GPU is missing ({type(err).__name__}: {err})")
        return
    import adcompiler as ad

    grad = ad.grad(loss)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((options.gpu_rows, FEATURES))
    y = (X @ np.linspace(-2.0, 2.0, FEATURES) > 0).astype(np.float64)
    w = np.linspace(0.5, -0.5, FEATURES)
    X_gpu, y_gpu, w_gpu = cupy.asarray(X), cupy.asarray(y), cupy.asarray(w)

    def on_gpu():
        grad(w_gpu, X_gpu, y_gpu)
        cupy.cuda.Stream.null.synchronize()

    np.testing.assert_allclose(cupy.asnumpy(grad(w_gpu, X_gpu, y_gpu)), grad(w, X, y),
                               rtol=1e-10)
    on_gpu()  # warm up: CuPy compiles its kernels on first use
    numpy_time = median_time(lambda: grad(w, X, y), options.repeats)
    gpu_time = median_time(on_gpu, options.repeats)
    print("| array | gradient (s) | vs NumPy |\n|---|---|---|")
    print(f"| NumPy | {numpy_time:.4f} | 1.00 |")
    print(f"| CuPy ({cupy.cuda.runtime.getDeviceProperties(0)['name'].decode()}) | "
          f"{gpu_time:.4f} | {gpu_time / numpy_time:.2f} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=4_000_000)
    parser.add_argument("--chunk-rows", type=int, default=500_000)
    parser.add_argument("--workers", default="1,2,4", help="cluster sizes, comma-separated")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--stream-sizes", default="4e6,16e6,32e6",
                        help="rows of the streamed runs, comma-separated")
    parser.add_argument("--gpu-rows", type=int, default=10_000_000,
                        help="rows of the GPU comparison (part 3)")
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    options = parser.parse_args(argv)
    if options.quick:
        options.rows, options.chunk_rows, options.repeats = 400_000, 100_000, 1
        options.stream_sizes, options.gpu_rows = "4e5,1.6e6", 400_000
    options.workers = [int(k) for k in options.workers.split(",")]
    options.stream_sizes = [int(float(n)) for n in options.stream_sizes.split(",")]
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, NumPy {np.__version__}\n")
    bench_workers(options)
    bench_stream(options)
    bench_gpu(options)


if __name__ == "__main__":
    main()
