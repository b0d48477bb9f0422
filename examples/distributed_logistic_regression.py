"""Logistic regression on a dataset that never sits in one process's memory,
fitted by gradient descent on a local dask.distributed cluster, with the
gradient adcompiler derives from a plain NumPy loss.

    pip install adcompiler[dask]
    python examples/distributed_logistic_regression.py [--rows N] [--workers K] [--quick]

The features are made chunk by chunk on the workers (dask.array.random) and
are not kept: every gradient step streams through them again, each worker
holding a few chunks at a time, so --rows can go far past what NumPy could
load (docs/scaling.md has the sizes measured). The loss function below is
ordinary NumPy; given dask arrays, the derivative adcompiler generates for it
builds a dask graph, and one `dask.compute` per step runs the loss and the
gradient together on the cluster. Open the printed dashboard to watch it.
"""

import argparse
import os
import time

import numpy as np

FEATURES = 8


def loss(w, b, X, y):
    """Mean cross-entropy of the labels y (0 or 1) under p = sigmoid(X @ w + b),
    written as log(1 + exp(z)) - y z."""
    z = X @ w + b
    return np.mean(np.log1p(np.exp(z)) - y * z)


def make_data(rows, chunk_rows, seed=0):
    """Features and labels from a known linear rule with noise, as lazy dask
    arrays: each chunk is made on a worker when a computation needs it."""
    import dask.array as da

    rng = da.random.default_rng(seed)
    X = rng.standard_normal((rows, FEATURES), chunks=(chunk_rows, FEATURES))
    true_w = np.linspace(-2.0, 2.0, FEATURES)
    noise = 0.5 * rng.standard_normal(rows, chunks=chunk_rows)
    y = (X @ true_w + 0.5 + noise > 0).astype(np.float64)
    return X, y


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000,
                        help="rows of the dataset (default 2,000,000: 128 MB of features)")
    parser.add_argument("--chunk-rows", type=int, default=500_000,
                        help="rows per chunk (each chunk is rows x 8 x 8 bytes)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--steps", type=int, default=20, help="gradient steps")
    parser.add_argument("--quick", action="store_true", help="a small, short run")
    options = parser.parse_args(argv)
    if options.quick or os.environ.get("ADCOMPILER_EXAMPLES_QUICK") == "1":
        options.rows, options.chunk_rows, options.steps = 100_000, 50_000, 4

    # Imported here, not at the top: each worker process re-imports this file
    # (multiprocessing's spawn), and the workers need only dask.
    import dask
    from dask.distributed import Client, LocalCluster

    import adcompiler as ad

    cluster = LocalCluster(n_workers=options.workers, threads_per_worker=1, processes=True,
                           dashboard_address=":0")
    client = Client(cluster)
    try:
        print(f"dashboard: {client.dashboard_link}")
        X, y = make_data(options.rows, options.chunk_rows)
        print(f"dataset: {options.rows:,} rows x {FEATURES} features "
              f"({X.nbytes / 2**20:,.0f} MiB) in {X.npartitions} chunks, made on "
              f"{options.workers} workers")

        loss_and_grads = ad.value_and_grad(loss, wrt=("w", "b"))
        w, b = np.zeros(FEATURES), 0.0
        learning_rate = 2.0
        for step in range(options.steps + 1):
            started = time.perf_counter()
            lazy_value, (lazy_dw, lazy_db) = loss_and_grads(w, b, X, y)  # a graph, no work
            value, dw, db = dask.compute(lazy_value, lazy_dw, lazy_db)  # the cluster's work
            print(f"step {step:3d}   loss {float(value):.4f}   "
                  f"{time.perf_counter() - started:.2f} s")
            w, b = w - learning_rate * dw, b - learning_rate * float(db)

        accuracy = float(dask.compute(np.mean(((X @ w + b) > 0) == (y > 0.5)))[0])
        print(f"fitted w = {np.round(w, 2)}, b = {b:.2f}   (the labels are the sign of "
              f"{np.round(np.linspace(-2.0, 2.0, FEATURES), 2)} . x + 0.5 + noise)")
        print(f"training accuracy: {accuracy:.1%}")
    finally:
        client.close()
        cluster.close()


if __name__ == "__main__":
    main()
