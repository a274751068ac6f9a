"""Recommender systems on implicit feedback: data, two models, two losses and ranking metrics.

Page 6.4 teaches these. Implicit feedback (隐式反馈) is a list of (user, item) pairs a user
clicked, watched or bought; there are no negative labels, only items the user did not touch::

    data = recsys.synthetic_implicit(n_users=600, n_items=400, generator=g)
    train, test = recsys.split_per_user(data.pairs, data.n_users, test_frac=0.2, generator=g)
    model = recsys.MatrixFactorization(data.n_users, data.n_items, dim=16)
    history = recsys.train(model, train, data.n_items, loss="bpr", epochs=20, generator=g)
    scores = recsys.score_all(model, data.n_users, data.n_items)        # (U, I)
    m = recsys.rank_metrics(scores, train, test, k=10)                 # per-user recall and NDCG

Importing this module does nothing else.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "Implicit",
    "synthetic_implicit",
    "load_movielens",
    "split_per_user",
    "interaction_matrix",
    "MatrixFactorization",
    "TwoTower",
    "log_popularity",
    "pair_keys",
    "sample_negatives",
    "bpr_loss",
    "in_batch_softmax_loss",
    "train",
    "score_all",
    "popularity_scores",
    "rank_metrics",
]


@dataclass(frozen=True)
class Implicit:
    """Implicit feedback: ``pairs`` (N, 2) of (user, item) ids in ``[0, n_users) x [0, n_items)``.

    ``item_genre`` (I,) and ``user_taste`` (U, G) are the hidden structure of generated data
    (None for real data); ``item_pop`` (I,) is each generated item's popularity weight.
    """

    pairs: torch.Tensor
    n_users: int
    n_items: int
    item_genre: torch.Tensor | None = None
    item_pop: torch.Tensor | None = None
    user_taste: torch.Tensor | None = None


def synthetic_implicit(
    n_users: int = 600,
    n_items: int = 400,
    n_genres: int = 8,
    per_user: int = 25,
    zipf: float = 1.0,
    taste: tuple[float, float] = (0.7, 0.25),
    generator: torch.Generator | None = None,
) -> Implicit:
    """Generated clicks with a known structure: genres, tastes and popularity.

    Item ``i`` has a genre ``item_genre[i]`` and a popularity ``item_pop[i] ∝ rank^-zipf``.
    User ``u`` has a favourite genre (weight ``taste[0]``), a second one (``taste[1]``) and
    spreads the rest evenly: ``user_taste`` (U, G). Each user clicks ``per_user`` distinct items
    drawn with probability ∝ ``user_taste[u, genre] * item_pop``, so popularity alone predicts
    part of the clicks and taste the rest.
    """
    if per_user >= n_items:
        raise ValueError(f"per_user ({per_user}) must be smaller than n_items ({n_items})")
    if n_genres < 2 or taste[0] + taste[1] > 1:
        raise ValueError("need at least two genres and taste weights that sum to at most 1")
    g = generator if generator is not None else torch.Generator().manual_seed(0)
    item_genre = torch.randint(n_genres, (n_items,), generator=g)  # (I,)
    ranks = torch.randperm(n_items, generator=g).double() + 1
    item_pop = ranks.pow(-zipf)
    item_pop = item_pop / item_pop.sum()  # (I,)
    first = torch.randint(n_genres, (n_users,), generator=g)
    second = (first + torch.randint(1, n_genres, (n_users,), generator=g)) % n_genres  # never the first
    user_taste = torch.full((n_users, n_genres), (1 - taste[0] - taste[1]) / n_genres, dtype=torch.float64)
    rows = torch.arange(n_users)
    user_taste[rows, first] += taste[0]
    user_taste[rows, second] += taste[1]  # (U, G), rows sum to 1
    weights = user_taste[:, item_genre] * item_pop  # (U, I)
    items = torch.multinomial(weights, per_user, replacement=False, generator=g)  # (U, per_user)
    users = torch.arange(n_users).repeat_interleave(per_user)
    pairs = torch.stack([users, items.reshape(-1)], dim=1)  # (U * per_user, 2)
    return Implicit(pairs, n_users, n_items, item_genre, item_pop.float(), user_taste.float())


def load_movielens(path: str | Path, min_rating: float = 4.0) -> tuple[Implicit, dict[str, int], dict[str, int]]:
    """Read MovieLens ratings (``u.data``: tab-separated, or ``ratings.csv``: with a header).

    Ratings of at least ``min_rating`` become implicit positives; ids are mapped to contiguous
    integers in order of first appearance among the positives (a user or item with no rating of
    at least ``min_rating`` gets no id). Returns (data, user_ids, item_ids), the maps from the
    file's ids to the new ones.
    """
    path = Path(path)
    if path.is_dir():
        for name in ("u.data", "ratings.csv"):
            if (path / name).is_file():
                path = path / name
                break
        else:
            raise FileNotFoundError(f"no u.data or ratings.csv in {path}")
    with path.open(newline="", encoding="utf-8") as f:
        if path.suffix == ".csv":
            reader = csv.reader(f)
            header = next(reader)
            if [h.strip() for h in header[:3]] != ["userId", "movieId", "rating"]:
                raise ValueError(f"{path.name}: expected a header userId,movieId,rating,..., got {header}")
            rows = list(reader)
        else:
            rows = [line.split("\t") for line in f if line.strip()]
    users: dict[str, int] = {}
    items: dict[str, int] = {}
    pairs: list[tuple[int, int]] = []
    for row in rows:
        if len(row) < 3:
            raise ValueError(f"{path.name}: a row needs user, item and rating, got {row}")
        if float(row[2]) < min_rating:
            continue
        u = users.setdefault(row[0].strip(), len(users))
        i = items.setdefault(row[1].strip(), len(items))
        pairs.append((u, i))
    tensor = torch.tensor(pairs, dtype=torch.long).reshape(-1, 2).unique(dim=0)
    return Implicit(tensor, len(users), len(items)), users, items


def split_per_user(
    pairs: torch.Tensor, n_users: int, test_frac: float = 0.2, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Hold out ``test_frac`` of each user's pairs (at least one if the user has two or more).

    pairs (N, 2) -> (train (N - M, 2), test (M, 2)); every user keeps at least one training pair.
    """
    g = generator if generator is not None else torch.Generator().manual_seed(0)
    order = torch.randperm(len(pairs), generator=g)
    shuffled = pairs[order]
    users = shuffled[:, 0]
    counts = torch.bincount(users, minlength=n_users)
    n_test = torch.where(counts >= 2, (counts.double() * test_frac).round().long().clamp(min=1), 0)
    n_test = torch.minimum(n_test, (counts - 1).clamp(min=0))
    sort = torch.argsort(users, stable=True)
    shuffled, users = shuffled[sort], users[sort]
    starts = torch.cumsum(counts, 0) - counts
    position = torch.arange(len(users)) - starts[users]  # rank of each pair within its user
    is_test = position < n_test[users]
    return shuffled[~is_test], shuffled[is_test]


def interaction_matrix(pairs: torch.Tensor, n_users: int, n_items: int) -> torch.Tensor:
    """Dense boolean (U, I) matrix with True where a pair (u, i) is in ``pairs`` (N, 2)."""
    m = torch.zeros(n_users, n_items, dtype=torch.bool)
    m[pairs[:, 0], pairs[:, 1]] = True
    return m


class MatrixFactorization(nn.Module):
    """score(u, i) = <p_u, q_i> + b_i: one embedding row per user and per item, an item bias.

    forward(users (B,), items (B,) or (B, K)) -> scores (B,) or (B, K).
    """

    def __init__(self, n_users: int, n_items: int, dim: int = 16) -> None:
        super().__init__()
        self.user = nn.Embedding(n_users, dim)
        self.item = nn.Embedding(n_items, dim)
        self.item_bias = nn.Embedding(n_items, 1)
        nn.init.normal_(self.user.weight, std=0.1)
        nn.init.normal_(self.item.weight, std=0.1)
        nn.init.zeros_(self.item_bias.weight)

    def user_vectors(self, users: torch.Tensor) -> torch.Tensor:
        """users (B,) -> (B, D + 1): the user's factors and a 1 that meets the item bias."""
        p = self.user(users)
        return torch.cat([p, torch.ones_like(p[:, :1])], dim=1)

    def item_vectors(self, items: torch.Tensor) -> torch.Tensor:
        """items (...,) -> (..., D + 1): the item's factors and its bias."""
        return torch.cat([self.item(items), self.item_bias(items)], dim=-1)

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        u = self.user_vectors(users)  # (B, D+1)
        v = self.item_vectors(items)  # (B, D+1) or (B, K, D+1)
        if v.dim() == 3:
            return torch.einsum("bd,bkd->bk", u, v)
        return (u * v).sum(-1)


class TwoTower(nn.Module):
    """Two towers that meet in a dot product: score(u, i) = <f(user features), g(item features)>.

    The user tower reads the user's id and the bag of items in their training ``history``
    (pairs (N, 2); an ``nn.EmbeddingBag`` averages the items' vectors, so a user's vector is
    shaped by what they clicked, not only by their own id row); the item tower reads the item's id and its side feature (e.g. a genre). Both end
    in a small MLP and an L2 normalisation; ``temperature`` scales the cosine.
    """

    def __init__(
        self,
        n_users: int,
        n_items: int,
        history: torch.Tensor,
        item_feature: torch.Tensor | None = None,
        n_features: int = 0,
        dim: int = 32,
        temperature: float = 0.1,
    ) -> None:
        super().__init__()
        order = torch.argsort(history[:, 0], stable=True)
        counts = torch.bincount(history[:, 0], minlength=n_users)
        self.register_buffer("hist_items", history[order, 1].clone(), persistent=False)  # (N,), by user
        self.register_buffer("hist_start", torch.cumsum(counts, 0) - counts, persistent=False)  # (U,)
        self.register_buffer("hist_len", counts, persistent=False)  # (U,)
        self.user_id = nn.Embedding(n_users, dim)
        self.user_bag = nn.EmbeddingBag(n_items, dim, mode="mean")
        self.item_id = nn.Embedding(n_items, dim)
        self.feature = nn.Embedding(max(n_features, 1), dim)
        self.register_buffer(
            "item_feature",
            item_feature.long() if item_feature is not None else torch.zeros(n_items, dtype=torch.long),
            persistent=False,
        )
        self.user_mlp = nn.Sequential(nn.Linear(2 * dim, dim), nn.ReLU(), nn.Linear(dim, dim))
        self.item_mlp = nn.Sequential(nn.Linear(2 * dim, dim), nn.ReLU(), nn.Linear(dim, dim))
        self.temperature = temperature
        for emb in (self.user_id, self.user_bag, self.item_id, self.feature):
            nn.init.normal_(emb.weight, std=0.1)

    def user_vectors(self, users: torch.Tensor) -> torch.Tensor:
        """users (B,) -> (B, D), unit length, divided by sqrt(temperature)."""
        lengths = self.hist_len[users]  # (B,)
        offsets = torch.cumsum(lengths, 0) - lengths  # where each user's bag starts in `flat`
        within = torch.arange(int(lengths.sum()), device=users.device) - offsets.repeat_interleave(lengths)
        flat = self.hist_items[self.hist_start[users].repeat_interleave(lengths) + within]
        bag = self.user_bag(flat, offsets)  # (B, D): mean of the history's item embeddings
        x = torch.cat([self.user_id(users), bag], dim=1)  # (B, 2D)
        return F.normalize(self.user_mlp(x), dim=-1) / math.sqrt(self.temperature)

    def item_vectors(self, items: torch.Tensor) -> torch.Tensor:
        """items (...,) -> (..., D), unit length, divided by sqrt(temperature)."""
        x = torch.cat([self.item_id(items), self.feature(self.item_feature[items])], dim=-1)
        return F.normalize(self.item_mlp(x), dim=-1) / math.sqrt(self.temperature)

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        u = self.user_vectors(users)
        v = self.item_vectors(items)
        if v.dim() == 3:
            return torch.einsum("bd,bkd->bk", u, v)
        return (u * v).sum(-1)


def log_popularity(pairs: torch.Tensor, n_items: int) -> torch.Tensor:
    """log q_i, the log of each item's share of the clicks in ``pairs`` (N, 2): (I,) float32.

    The probability that a click drawn at random (an in-batch negative) is item i; unclicked
    items get log(1e-12). The logQ correction subtracts it from the logits.
    """
    freq = torch.bincount(pairs[:, 1], minlength=n_items).double() / len(pairs)
    return freq.clamp_min(1e-12).log().float()


def pair_keys(pairs: torch.Tensor, n_items: int) -> torch.Tensor:
    """Sorted, distinct int64 keys ``user * n_items + item`` of ``pairs`` (N, 2): a set of clicks to look up."""
    return (pairs[:, 0].long() * n_items + pairs[:, 1].long()).unique()


def sample_negatives(
    users: torch.Tensor, seen: torch.Tensor, n_items: int, generator: torch.Generator | None = None
) -> torch.Tensor:
    """One item per user, drawn uniformly from the items that user has *not* clicked.

    users (B,) int64 on the CPU; ``seen`` the :func:`pair_keys` of the clicks -> items (B,) int64.
    This is BPR's sampler (Rendle et al. 2009 draw j from the items outside the user's
    positives): rows that hit a clicked item are drawn again until none does, which is exact
    (uniform over the unclicked items) and cheap when each user clicked a small share of the
    catalogue. A user who clicked every item has no negative: an error.
    """
    items = torch.randint(n_items, (len(users),), generator=generator)
    for _ in range(1000):
        hit = torch.isin(users * n_items + items, seen)  # (B,) True where the draw is a click
        if not hit.any():
            return items
        items[hit] = torch.randint(n_items, (int(hit.sum()),), generator=generator)
    raise ValueError("a user has no unclicked item to draw (or almost none): BPR needs negatives")


def bpr_loss(pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
    """Bayesian personalised ranking: mean of -log σ(s_pos - s_neg). pos, neg (B,) -> 0-dim."""
    return -F.logsigmoid(pos - neg).mean()


def in_batch_softmax_loss(
    user_vecs: torch.Tensor, item_vecs: torch.Tensor, log_q: torch.Tensor | None = None
) -> torch.Tensor:
    """Sampled softmax with in-batch negatives: row b's positive is item b, the other B-1 items
    of the batch are its negatives. user_vecs (B, D), item_vecs (B, D) -> 0-dim cross-entropy.

    In-batch negatives are drawn in proportion to popularity, so popular items are pushed down
    too often; ``log_q`` (B,), the log of each batch item's sampling probability, is subtracted
    from its column of logits to undo that (the logQ correction)."""
    logits = user_vecs @ item_vecs.T  # (B, B)
    if log_q is not None:
        logits = logits - log_q[None, :]
    return F.cross_entropy(logits, torch.arange(len(logits), device=logits.device))


def train(
    model: nn.Module,
    pairs: torch.Tensor,
    n_items: int,
    loss: Literal["bpr", "softmax"] = "bpr",
    epochs: int = 20,
    batch_size: int = 256,
    lr: float = 0.01,
    weight_decay: float = 0.0,
    logq_correction: bool = True,
    generator: torch.Generator | None = None,
    device: torch.device | str = "cpu",
) -> list[float]:
    """Train ``model`` on positive ``pairs`` (N, 2) with Adam; return the mean loss per epoch.

    ``loss="bpr"`` pairs every positive with one item drawn uniformly from the items the user
    has not clicked in ``pairs`` (:func:`sample_negatives`; a presumed negative, sometimes a
    held-out positive: implicit data has no true negatives); ``"softmax"`` uses the
    other positives of the batch as negatives (:func:`in_batch_softmax_loss`, with the logQ
    correction from the items' training frequencies unless ``logq_correction=False``).
    """
    g = generator if generator is not None else torch.Generator().manual_seed(0)
    device = torch.device(device)
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    log_q = log_popularity(pairs, n_items).to(device)  # (I,)
    seen = pair_keys(pairs, n_items) if loss == "bpr" else None  # the clicks BPR must not draw as negatives
    history: list[float] = []
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(pairs), generator=g)
        total, count = 0.0, 0
        for start in range(0, len(pairs), batch_size):
            rows = pairs[order[start : start + batch_size]]  # (B, 2) on the CPU
            batch = rows.to(device)
            users, pos = batch[:, 0], batch[:, 1]
            if loss == "bpr":
                neg = sample_negatives(rows[:, 0], seen, n_items, g).to(device)
                value = bpr_loss(model(users, pos), model(users, neg))
            elif loss == "softmax":
                correction = log_q[pos] if logq_correction else None
                value = in_batch_softmax_loss(model.user_vectors(users), model.item_vectors(pos), correction)
            else:
                raise ValueError(f"loss must be 'bpr' or 'softmax', got {loss!r}")
            optimizer.zero_grad(set_to_none=True)
            value.backward()
            optimizer.step()
            total += value.item() * len(batch)
            count += len(batch)
        history.append(total / count)
    return history


@torch.no_grad()
def score_all(model: nn.Module, n_users: int, n_items: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """Every user's score for every item, (U, I), on the CPU."""
    model.eval()
    device = torch.device(device)
    users = torch.arange(n_users, device=device)
    items = torch.arange(n_items, device=device)
    return (model.user_vectors(users) @ model.item_vectors(items).T).cpu()


def popularity_scores(train_pairs: torch.Tensor, n_users: int, n_items: int) -> torch.Tensor:
    """The baseline that recommends the most-clicked items to everyone: (U, I) click counts."""
    counts = torch.bincount(train_pairs[:, 1], minlength=n_items).float()
    return counts.expand(n_users, n_items).clone()


def rank_metrics(
    scores: torch.Tensor, train_pairs: torch.Tensor, test_pairs: torch.Tensor, k: int = 10
) -> dict[str, torch.Tensor]:
    """Per-user recall@k and NDCG@k of ``scores`` (U, I) against held-out ``test_pairs`` (M, 2).

    Items in ``train_pairs`` are never recommended again (their scores are set to -inf).
    recall@k = hits in the top k / held-out items; NDCG@k = Σ_hits 1/log2(rank + 1), divided by
    its best possible value. Returns {"recall": (U',), "ndcg": (U',)} over the U' users with at
    least one held-out item, so two models can be compared user by user (a paired test).
    """
    n_users, n_items = scores.shape
    scores = scores.clone().float()
    scores[train_pairs[:, 0], train_pairs[:, 1]] = -math.inf
    test = interaction_matrix(test_pairs, n_users, n_items)  # (U, I)
    n_test = test.sum(1)
    keep = n_test > 0
    top = scores.topk(k, dim=1).indices  # (U, k)
    hits = test.gather(1, top).float()  # (U, k)
    discount = 1 / torch.log2(torch.arange(2, k + 2, dtype=torch.float))  # (k,)
    dcg = (hits * discount).sum(1)
    ideal = torch.cumsum(discount, 0)[(n_test.clamp(1, k) - 1)]
    recall = hits.sum(1) / n_test.clamp_min(1)
    return {"recall": recall[keep], "ndcg": (dcg / ideal)[keep]}
