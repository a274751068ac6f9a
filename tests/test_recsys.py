"""torchbook.recsys: data, losses, models and ranking metrics on tiny hand-checked cases."""

import math

import pytest
import torch
import torch.nn.functional as F

from torchbook import recsys


def test_synthetic_is_deterministic_and_has_distinct_items_per_user():
    a = recsys.synthetic_implicit(n_users=50, n_items=40, per_user=10, generator=torch.Generator().manual_seed(1))
    b = recsys.synthetic_implicit(n_users=50, n_items=40, per_user=10, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a.pairs, b.pairs)
    assert a.pairs.shape == (500, 2)
    assert len(a.pairs.unique(dim=0)) == 500  # no user clicks an item twice
    torch.testing.assert_close(a.user_taste.sum(1), torch.ones(50))
    assert (a.user_taste.max(1).values > 0.7).all()  # every user has a favourite genre
    with pytest.raises(ValueError):
        recsys.synthetic_implicit(n_items=10, per_user=10)


def test_synthetic_users_prefer_their_favourite_genre():
    data = recsys.synthetic_implicit(n_users=200, n_items=100, per_user=10, zipf=0.0)
    favourite = data.user_taste.argmax(1)
    share = (data.item_genre[data.pairs[:, 1]] == favourite[data.pairs[:, 0]]).float().mean()
    assert share > 0.6  # chance would be about 1/8


def test_split_per_user_partitions_and_keeps_a_training_pair():
    data = recsys.synthetic_implicit(n_users=30, n_items=50, per_user=6)
    train, test = recsys.split_per_user(data.pairs, 30, test_frac=0.2, generator=torch.Generator().manual_seed(0))
    assert len(train) + len(test) == len(data.pairs)
    both = torch.cat([train, test])
    assert torch.equal(both.unique(dim=0), data.pairs.unique(dim=0))
    assert torch.bincount(test[:, 0], minlength=30).eq(1).all()  # round(6 * 0.2) = 1
    assert torch.bincount(train[:, 0], minlength=30).eq(5).all()
    single = torch.tensor([[0, 1], [1, 2], [1, 3]])
    train, test = recsys.split_per_user(single, 2, test_frac=0.5)
    assert (train[:, 0] == 0).sum() == 1 and (test[:, 0] == 0).sum() == 0  # a lone pair stays in train


def test_rank_metrics_on_a_hand_example():
    scores = torch.tensor([[0.9, 0.8, 0.1, 0.5, 0.0], [0.0, 0.1, 0.2, 0.3, 0.4]])
    train = torch.tensor([[0, 0], [1, 4]])  # user 0 saw item 0, user 1 saw item 4: never recommended
    test = torch.tensor([[0, 3], [0, 2], [1, 0]])
    m = recsys.rank_metrics(scores, train, test, k=2)
    # user 0: top-2 without item 0 is [1, 3]: one hit (item 3 at rank 2) out of two held out
    assert m["recall"][0].item() == pytest.approx(0.5)
    assert m["ndcg"][0].item() == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)))
    # user 1: top-2 is [3, 2], the held-out item 0 is missed
    assert m["recall"][1].item() == 0 and m["ndcg"][1].item() == 0
    perfect = recsys.rank_metrics(
        torch.tensor([[0.0, 1.0, 0.5]]), torch.zeros(0, 2, dtype=torch.long), torch.tensor([[0, 1]]), k=2
    )
    assert perfect["ndcg"].item() == pytest.approx(1.0) and perfect["recall"].item() == 1.0


def test_rank_metrics_skip_users_without_held_out_items():
    m = recsys.rank_metrics(torch.rand(3, 4), torch.tensor([[0, 0]]), torch.tensor([[2, 1]]), k=2)
    assert m["recall"].shape == (1,)


def test_losses_match_their_formulas():
    pos, neg = torch.tensor([2.0, 0.0]), torch.tensor([1.0, 1.0])
    expected = -(torch.log(torch.sigmoid(torch.tensor(1.0))) + torch.log(torch.sigmoid(torch.tensor(-1.0)))) / 2
    torch.testing.assert_close(recsys.bpr_loss(pos, neg), expected)
    u, v = torch.randn(4, 3), torch.randn(4, 3)
    torch.testing.assert_close(recsys.in_batch_softmax_loss(u, v), F.cross_entropy(u @ v.T, torch.arange(4)))
    log_q = torch.log(torch.tensor([0.4, 0.3, 0.2, 0.1]))
    torch.testing.assert_close(
        recsys.in_batch_softmax_loss(u, v, log_q), F.cross_entropy(u @ v.T - log_q, torch.arange(4))
    )


def test_matrix_factorization_scores_are_dot_products_plus_bias():
    mf = recsys.MatrixFactorization(3, 5, dim=4)
    users, items = torch.tensor([0, 2]), torch.tensor([1, 4])
    expected = (mf.user(users) * mf.item(items)).sum(1) + mf.item_bias(items).squeeze(1)
    torch.testing.assert_close(mf(users, items), expected)
    assert mf(users, torch.tensor([[0, 1, 2], [2, 3, 4]])).shape == (2, 3)
    all_scores = recsys.score_all(mf, 3, 5)
    torch.testing.assert_close(all_scores[2, 4], expected[1].detach())


def test_two_tower_bag_is_the_mean_of_the_history():
    history = torch.tensor([[0, 1], [0, 3], [1, 2], [2, 0], [2, 1], [2, 2]])
    tt = recsys.TwoTower(3, 4, history, item_feature=torch.tensor([0, 1, 0, 1]), n_features=2, dim=8)
    lengths = tt.hist_len[torch.tensor([2, 0])]
    assert lengths.tolist() == [3, 2]
    u = tt.user_vectors(torch.tensor([2, 0]))
    assert u.shape == (2, 8)
    torch.testing.assert_close(u.norm(dim=1), torch.full((2,), 1 / math.sqrt(tt.temperature)))
    # the bag of user 0 is the mean of items 1 and 3
    w = tt.user_bag.weight
    bag = (w[1] + w[3]) / 2
    x = torch.cat([tt.user_id(torch.tensor([0])), bag[None]], dim=1)
    torch.testing.assert_close(u[1], F.normalize(tt.user_mlp(x), dim=-1)[0] / math.sqrt(tt.temperature))


def test_training_beats_popularity_on_generated_data():
    g = torch.Generator().manual_seed(0)
    data = recsys.synthetic_implicit(n_users=200, n_items=100, per_user=20, generator=g)
    train, test = recsys.split_per_user(data.pairs, data.n_users, 0.2, generator=g)
    pop = recsys.rank_metrics(recsys.popularity_scores(train, 200, 100), train, test)["recall"].mean()
    torch.manual_seed(0)
    mf = recsys.MatrixFactorization(200, 100, dim=8)
    losses = recsys.train(mf, train, 100, "bpr", epochs=15, lr=0.02, generator=g)
    assert losses[-1] < losses[0] * 0.6
    mf_recall = recsys.rank_metrics(recsys.score_all(mf, 200, 100), train, test)["recall"].mean()
    assert mf_recall > pop + 0.05
    with pytest.raises(ValueError):
        recsys.train(mf, train, 100, "hinge", epochs=1)  # type: ignore[arg-type]


def test_load_movielens_reads_both_formats(tmp_path):
    (tmp_path / "ml-100k").mkdir()
    (tmp_path / "ml-100k" / "u.data").write_text("196\t242\t3\t881250949\n186\t302\t5\t891717742\n196\t302\t4\t1\n")
    data, users, items = recsys.load_movielens(tmp_path / "ml-100k")  # a folder: finds u.data
    assert data.n_users == 2 and data.n_items == 1  # the rating 3 is not a positive
    assert users == {"186": 0, "196": 1} and items == {"302": 0}
    assert sorted(data.pairs.tolist()) == [[0, 0], [1, 0]]
    csv_file = tmp_path / "ratings.csv"
    csv_file.write_text("userId,movieId,rating,timestamp\n1,31,2.5,1\n1,1029,4.0,2\n2,31,5.0,3\n2,31,4.5,4\n")
    data, users, items = recsys.load_movielens(csv_file, min_rating=4.0)
    assert (data.n_users, data.n_items) == (2, 2)
    assert sorted(data.pairs.tolist()) == [[0, 0], [1, 1]]  # the repeated (2, 31) counts once
    (tmp_path / "bad.csv").write_text("user,item\n1,2\n")
    with pytest.raises(ValueError):
        recsys.load_movielens(tmp_path / "bad.csv")
    with pytest.raises(FileNotFoundError):
        recsys.load_movielens(tmp_path / "nothing-here")


def test_sample_negatives_never_draws_a_click_and_is_uniform_over_the_rest():
    pairs = torch.tensor([[0, 0], [0, 1], [0, 2], [1, 3]])  # user 0 clicked items 0-2 of 5, user 1 item 3
    seen = recsys.pair_keys(pairs, 5)
    assert seen.tolist() == [0, 1, 2, 8]
    users = torch.tensor([0] * 4000 + [1] * 4000)
    items = recsys.sample_negatives(users, seen, 5, generator=torch.Generator().manual_seed(0))
    assert not torch.isin(users * 5 + items, seen).any()  # never one of the user's own items (nor j = i)
    counts0 = torch.bincount(items[:4000], minlength=5)
    assert counts0[:3].sum() == 0 and (counts0[3:] - 2000).abs().max() < 150  # uniform over items 3 and 4
    counts1 = torch.bincount(items[4000:], minlength=5).float()
    assert counts1[3] == 0 and (counts1[[0, 1, 2, 4]] / 4000 - 0.25).abs().max() < 0.03
    with pytest.raises(ValueError):
        recsys.sample_negatives(torch.tensor([0]), recsys.pair_keys(torch.tensor([[0, 0], [0, 1]]), 2), 2)


def test_bpr_training_draws_negatives_outside_the_users_clicks(monkeypatch):
    data = recsys.synthetic_implicit(n_users=40, n_items=30, per_user=10, generator=torch.Generator().manual_seed(0))
    drawn = []
    original = recsys.sample_negatives

    def spy(users, seen, n_items, generator=None):
        items = original(users, seen, n_items, generator)
        drawn.append(users * n_items + items)
        return items

    monkeypatch.setattr(recsys, "sample_negatives", spy)
    recsys.train(recsys.MatrixFactorization(40, 30, dim=4), data.pairs, 30, "bpr", epochs=2, batch_size=64)
    keys = torch.cat(drawn)
    assert len(keys) == 2 * len(data.pairs)
    assert not torch.isin(keys, recsys.pair_keys(data.pairs, 30)).any()


def test_log_popularity_is_the_log_share_of_clicks():
    pairs = torch.tensor([[0, 0], [1, 0], [2, 0], [0, 1]])
    torch.testing.assert_close(recsys.log_popularity(pairs, 3)[:2], torch.tensor([0.75, 0.25]).log())
    assert recsys.log_popularity(pairs, 3)[2] < -20  # never clicked: a very small share, not -inf
