"""Matrix factorisation with biases in PyTorch: the model and update rule of training/models/mf.ts.

r(u,i) ~ mu + b_u + b_i + p_u . q_i; per rating the loss is 0.5 err^2 + 0.5 reg (|p_u|^2 + |q_i|^2) + 0.5 reg_bias
(b_u^2 + b_i^2), summed over the batch, plain SGD on sparse embedding gradients (only the rows in the batch move),
lr multiplied by lr_decay after each epoch. At --batch 1 this is the TypeScript trainer's exact update.

Reads train/test CSVs of user_index,item_index,rating; prints per-epoch JSON on stderr and one JSON object on stdout.
"""
import argparse

import numpy as np
import torch

from common import finish, read_csv, run_epochs, setup


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--train', required=True)
    p.add_argument('--test', required=True)
    p.add_argument('--users', type=int, required=True)
    p.add_argument('--items', type=int, required=True)
    p.add_argument('--dim', type=int, default=64)
    p.add_argument('--epochs', type=int, default=10)
    p.add_argument('--lr', type=float, default=0.015)
    p.add_argument('--reg', type=float, default=0.1)
    p.add_argument('--reg-bias', type=float, default=0.02)
    p.add_argument('--lr-decay', type=float, default=0.97)
    p.add_argument('--init-std', type=float, default=0.1)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--min-rating', type=float, default=1)
    p.add_argument('--max-rating', type=float, default=5)
    p.add_argument('--seed', type=int, default=42)
    p.add_argument('--max-epoch-seconds', type=float, default=0)
    args = p.parse_args()
    setup(args.seed)

    tu, ti, tr = read_csv(args.train, [np.int64, np.int64, np.float32])
    vu, vi, vr = read_csv(args.test, [np.int64, np.int64, np.float32])
    U, I, R = torch.from_numpy(tu), torch.from_numpy(ti), torch.from_numpy(tr)
    VU, VI, VR = torch.from_numpy(vu), torch.from_numpy(vi), torch.from_numpy(vr)
    mu = float(R.mean())

    P = torch.nn.Embedding(args.users, args.dim, sparse=True)
    Q = torch.nn.Embedding(args.items, args.dim, sparse=True)
    BU = torch.nn.Embedding(args.users, 1, sparse=True)
    BI = torch.nn.Embedding(args.items, 1, sparse=True)
    with torch.no_grad():
        P.weight.normal_(0, args.init_std)
        Q.weight.normal_(0, args.init_std)
        BU.weight.zero_()
        BI.weight.zero_()
    opt = torch.optim.SGD([P.weight, Q.weight, BU.weight, BI.weight], lr=args.lr)

    def step(idx):
        u, i, r = U[idx], I[idx], R[idx]
        pu, qi = P(u), Q(i)
        bu, bi = BU(u).squeeze(1), BI(i).squeeze(1)
        err = r - (mu + bu + bi + (pu * qi).sum(1))
        sse = (err * err).sum()
        loss = 0.5 * sse + 0.5 * args.reg * ((pu * pu).sum() + (qi * qi).sum()) + 0.5 * args.reg_bias * ((bu * bu).sum() + (bi * bi).sum())
        opt.zero_grad()
        loss.backward()
        opt.step()
        return float(sse)

    def evaluate():
        # validRmse unclipped, as mf.ts reports per epoch; rmse clipped to the rating range, as its final metrics.
        with torch.no_grad():
            pred = mu + BU(VU).squeeze(1) + BI(VI).squeeze(1) + (P(VU) * Q(VI)).sum(1)
            clipped = pred.clamp(args.min_rating, args.max_rating)
            return {'validRmse': float(((pred - VR) ** 2).mean().sqrt()), 'rmse': float(((clipped - VR) ** 2).mean().sqrt())}

    epochs = run_epochs(args, len(R), step, evaluate, args.lr_decay, opt)
    final = [e for e in epochs if 'rmse' in e]
    finish(args, epochs, {'model': 'mf', 'metrics': {'rmse': final[-1]['rmse']} if final else {}})


if __name__ == '__main__':
    main()
