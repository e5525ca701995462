"""The bpr kind in PyTorch: the model and update rule of training/models/bpr.ts (notebook 002's triplet ranker).

item = ELU([E_i ; mean of its tags' G rows]), user = ELU(U_u), score = their dot product; per (user, positive,
sampled negative) the loss is softplus(-(s(u,p) - s(u,n))) (= -log sigma) plus 0.5 reg |row|^2 for every row the
step touches (lazy L2), summed over the batch; Adagrad (one accumulator per weight) or row-wise Adagrad (one per
row: the mean squared gradient, as FBGEMM and the TypeScript trainer) on sparse embedding gradients, eps 1e-8, no
initial accumulator; weights uniform in [-init, init]. Negatives are drawn uniformly from the items the user has no
training interaction with, one per positive. At --batch 1 this is the TypeScript trainer's update, except that a
tag shared by the positive and the negative item gets its L2 term twice instead of once.

Reads train/test CSVs of user_index,item_index[,rating] and an item_index,tag_index CSV; prints per-epoch JSON on
stderr and one JSON object on stdout with AUC (negatives: items in neither the user's train nor test set, ties
count half, as training/eval/ranking.ts) and recall@10 / precision@10 (ranking non-training items).
"""
import argparse

import numpy as np
import torch
import torch.nn.functional as F

from common import finish, read_csv, run_epochs, setup


class RowwiseAdagrad(torch.optim.Optimizer):
    """One accumulator per embedding row: acc += mean(g^2) over the row; w -= lr g / (sqrt(acc) + eps)."""

    def __init__(self, params, lr):
        super().__init__(params, {'lr': lr})

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for w in group['params']:
                if w.grad is None:
                    continue
                g = w.grad.coalesce()
                rows, vals = g.indices()[0], g.values()
                state = self.state[w]
                if 'acc' not in state:
                    state['acc'] = torch.zeros(w.shape[0])
                acc = state['acc']
                acc.index_add_(0, rows, (vals * vals).mean(1))
                w.index_add_(0, rows, -(group['lr'] / (acc[rows].sqrt() + 1e-8)).unsqueeze(1) * vals)


def csr(rows, cols, n):
    order = np.lexsort((cols, rows))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, rows + 1, 1)
    return np.cumsum(indptr), cols[order]


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--train', required=True)
    p.add_argument('--test', required=True)
    p.add_argument('--item-tags', required=True)
    p.add_argument('--users', type=int, required=True)
    p.add_argument('--items', type=int, required=True)
    p.add_argument('--tags', type=int, required=True)
    p.add_argument('--item-dim', type=int, default=125)
    p.add_argument('--tag-dim', type=int, default=25)
    p.add_argument('--epochs', type=int, default=20)
    p.add_argument('--lr', type=float, default=0.05)
    p.add_argument('--init-scale', type=float, default=0.05)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--seed', type=int, default=42)
    p.add_argument('--max-epoch-seconds', type=float, default=0)
    p.add_argument('--lr-decay', type=float, default=1.0)
    p.add_argument('--reg', type=float, default=0.0)
    p.add_argument('--optimizer', choices=['adagrad', 'rowwise-adagrad'], default='adagrad')
    args = p.parse_args()
    setup(args.seed)
    nU, nI = args.users, args.items
    nT = args.tags
    dt = args.tag_dim if nT > 0 else 0
    d = args.item_dim + dt

    tu, ti, _ = read_csv(args.train, [np.int64, np.int64, np.float32])
    vu, vi, _ = read_csv(args.test, [np.int64, np.int64, np.float32])
    tag_indptr, tag_indices = (csr(*read_csv(args.item_tags, [np.int64, np.int64]), nI) if nT > 0 else (np.zeros(nI + 1, np.int64), np.zeros(0, np.int64)))
    seen_keys = np.unique(tu * nI + ti)

    def init(n, cols):
        e = torch.nn.Embedding(max(n, 1), max(cols, 1), sparse=True)
        with torch.no_grad():
            e.weight.uniform_(-args.init_scale, args.init_scale)
        return e

    Uemb, Eemb = init(nU, d), init(nI, args.item_dim)
    Gw = init(nT, dt)
    params = [Uemb.weight, Eemb.weight] + ([Gw.weight] if nT > 0 else [])
    opt = torch.optim.Adagrad(params, lr=args.lr, eps=1e-8) if args.optimizer == 'adagrad' else RowwiseAdagrad(params, args.lr)
    U_all, P_all = torch.from_numpy(tu), torch.from_numpy(ti)
    rng = np.random.default_rng(args.seed + 7)

    def negatives(users):
        q = rng.integers(0, nI, size=users.size)
        while True:
            keys = users * nI + q
            pos = np.searchsorted(seen_keys, keys)
            hit = (pos < seen_keys.size) & (seen_keys[np.minimum(pos, seen_keys.size - 1)] == keys)
            if not hit.any():
                return q
            q[hit] = rng.integers(0, nI, size=int(hit.sum()))

    def bags(items):
        """The items' tag indices flattened, and where each item's bag starts (embedding_bag's input and offsets)."""
        it = items.numpy()
        starts, lengths = tag_indptr[it], tag_indptr[it + 1] - tag_indptr[it]
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        flat = tag_indices[np.repeat(starts - offsets, lengths) + np.arange(lengths.sum())]
        return torch.from_numpy(flat), torch.from_numpy(offsets)

    def item_repr(items):
        e = Eemb(items)
        if nT == 0:
            return F.elu(e)
        flat, offsets = bags(items)
        g = F.embedding_bag(flat, Gw.weight, offsets, mode='mean', sparse=True)
        return F.elu(torch.cat([e, g], 1))

    def l2(items):
        """0.5 |row|^2 of the item rows and their tag rows a step touches (the TypeScript trainer's lazy L2)."""
        out = 0.5 * (Eemb(items) ** 2).sum()
        if nT > 0:
            out = out + 0.5 * (F.embedding(bags(items)[0], Gw.weight, sparse=True) ** 2).sum()
        return out

    def step(idx):
        u, pos = U_all[idx], P_all[idx]
        neg = torch.from_numpy(negatives(u.numpy()))
        wu = F.elu(Uemb(u))
        x = (wu * (item_repr(pos) - item_repr(neg))).sum(1)
        bpr = F.softplus(-x).sum()
        loss = bpr + args.reg * (0.5 * (Uemb(u) ** 2).sum() + l2(pos) + l2(neg)) if args.reg > 0 else bpr
        opt.zero_grad()
        loss.backward()
        opt.step()
        # The reported loss is BPR's alone, as the TypeScript trainer reports it.
        return float(bpr)

    test_indptr, test_items = csr(vu, vi, nU)
    train_indptr, train_items = csr(tu, ti, nU)

    def evaluate():
        with torch.no_grad():
            users = F.elu(Uemb.weight[:nU]).numpy()
            items = item_repr(torch.arange(nI)).numpy()
        auc_sum, prec, rec, n = 0.0, 0.0, 0.0, 0
        for u in range(nU):
            test = test_items[test_indptr[u]:test_indptr[u + 1]]
            if test.size == 0:
                continue
            train = train_items[train_indptr[u]:train_indptr[u + 1]]
            s = items @ users[u]
            neg_mask = np.ones(nI, bool)
            neg_mask[train] = False
            neg_mask[test] = False
            neg = np.sort(s[neg_mask])
            ps = s[test]
            lo = np.searchsorted(neg, ps, 'left')
            hi = np.searchsorted(neg, ps, 'right')
            auc_sum += float((lo + 0.5 * (hi - lo)).sum()) / (test.size * max(neg.size, 1))
            s[train] = -np.inf
            top = np.argpartition(-s, 10)[:10]
            hits = np.isin(top, test).sum()
            prec += hits / 10
            rec += hits / test.size
            n += 1
        return {'auc': auc_sum / n, 'precision_at_10': prec / n, 'recall_at_10': rec / n}

    epochs = run_epochs(args, len(tu), step, evaluate, args.lr_decay, opt)
    final = [e for e in epochs if 'auc' in e]
    metrics = {k: final[-1][k] for k in ('auc', 'precision_at_10', 'recall_at_10')} if final else {}
    finish(args, epochs, {'model': 'bpr', 'metrics': metrics})


if __name__ == '__main__':
    main()
