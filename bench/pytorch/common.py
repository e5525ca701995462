"""Shared helpers for the PyTorch reference trainers (run with Debian's /usr/bin/python3 and OPENBLAS_NUM_THREADS=1)."""
import json
import resource
import sys
import time

import numpy as np
import torch


def read_csv(path, dtypes):
    """Reads a headerless numeric CSV written by the bench (one column per dtype); np.fromstring parses at C speed."""
    with open(path, 'rb') as f:
        text = f.read().replace(b'\n', b',').decode('ascii')
    flat = np.fromstring(text, dtype=np.float64, sep=',')
    cols = len(dtypes)
    if flat.size % cols != 0:
        raise SystemExit(f'{path}: {flat.size} values do not make rows of {cols} columns')
    table = flat.reshape(-1, cols)
    return [table[:, k].astype(dt) for k, dt in enumerate(dtypes)]


def setup(seed):
    torch.manual_seed(seed)
    np.random.seed(seed)
    # One thread: the TypeScript trainers use one core, and the bench says so.
    torch.set_num_threads(1)


def peak_rss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run_epochs(args, n_rows, step, evaluate, lr_decay, optimizer):
    """Runs epochs of `step(batch_indices)` over a fresh permutation each; with --max-epoch-seconds, times a slice of
    the first epoch only and extrapolates (batch 1 over a million rows is hours in Python)."""
    epochs = []
    g = torch.Generator().manual_seed(args.seed)
    for epoch in range(1, args.epochs + 1):
        perm = torch.randperm(n_rows, generator=g)
        t0 = time.perf_counter()
        loss_sum = 0.0
        done = 0
        for b in range(0, n_rows, args.batch):
            idx = perm[b:b + args.batch]
            loss_sum += step(idx)
            done += idx.numel()
            if args.max_epoch_seconds and time.perf_counter() - t0 > args.max_epoch_seconds:
                break
        seconds = time.perf_counter() - t0
        if done < n_rows:
            epochs.append({'epoch': epoch, 'seconds': seconds * n_rows / done, 'rowsTimed': done, 'extrapolated': True})
            break
        report = {'epoch': epoch, 'seconds': seconds, 'trainLoss': loss_sum / n_rows}
        report.update(evaluate())
        epochs.append(report)
        for group in optimizer.param_groups:
            group['lr'] *= lr_decay
        print(json.dumps(report), file=sys.stderr, flush=True)
    return epochs


def finish(args, epochs, extra):
    secs = sorted(e['seconds'] for e in epochs)
    out = {
        'framework': 'pytorch',
        'torch': torch.__version__,
        'threads': torch.get_num_threads(),
        'batch': args.batch,
        'epochs': epochs,
        'epoch_median': secs[len(secs) // 2] if secs else None,
        'extrapolated': any(e.get('extrapolated') for e in epochs),
        'peak_rss_bytes': peak_rss_bytes(),
    }
    out.update(extra)
    print(json.dumps(out))
