"""torchbook.stats against values known independently: printed t tables, closed forms of t on
2 degrees of freedom, a McNemar example worked by hand with binomial sums, Connor's sample size
on a published example and by simulation."""

import math

import numpy as np
import pytest
import torch

from torchbook import stats


@pytest.mark.parametrize(("df", "table"), [(1, 12.706), (2, 4.303), (4, 2.776), (9, 2.262), (29, 2.045)])
def test_t_quantiles_match_the_printed_table(df, table):
    assert stats.t_quantile(0.95, df) == pytest.approx(table, abs=5e-4)


def test_two_se_is_not_95_percent_with_three_seeds():
    # t on 2 df has the closed form F(t) = 1/2 + t / (2 sqrt(2 + t^2)), so P(|T| < 2) = 2 / sqrt(6)
    assert stats.coverage_of_two_se(3) == pytest.approx(2 / math.sqrt(6), abs=1e-12)
    assert stats.coverage_of_two_se(3) < 0.82
    assert stats.coverage_of_two_se(1000) == pytest.approx(math.erf(2 / math.sqrt(2)), abs=1e-3)  # the normal 95.4 %
    with pytest.raises(ValueError):
        stats.coverage_of_two_se(1)


def test_mean_interval_by_hand():
    # mean 2, sample sd 1, SE 1/sqrt(3), half-width t_{0.975,2} / sqrt(3)
    mean, low, high = stats.mean_interval([1.0, 2.0, 3.0])
    assert mean == 2.0
    assert high - mean == pytest.approx(4.302653 / math.sqrt(3), abs=1e-5)
    assert mean - low == pytest.approx(high - mean)
    assert stats.mean_interval(torch.tensor([0.5, 0.5])) == (0.5, 0.5, 0.5)
    with pytest.raises(ValueError):
        stats.mean_interval([1.0])


def test_paired_comparison_by_hand():
    # differences 1, 2, 2: mean 5/3, sd sqrt(1/3), SE 1/3, t = 5 on 2 df; p = 1 - t / sqrt(2 + t^2)
    r = stats.compare_seeds([1.0, 2.0, 3.0], [2.0, 4.0, 5.0], paired=True)
    assert r.diff == pytest.approx(5 / 3)
    assert r.se == pytest.approx(1 / 3)
    assert (r.k, r.df) == (3, 2)
    assert r.p == pytest.approx(1 - 5 / math.sqrt(27), abs=1e-9)
    assert r.high - r.diff == pytest.approx(4.302653 / 3, abs=1e-5)
    assert r.significant and r.low > 0
    assert r.text() == "+1.667 (95 % CI +0.232 to +3.101, paired t on 2 df, p = 0.038)"
    assert r.text(1, 100, " points") == "+166.7 points (95 % CI +23.2 to +310.1 points, paired t on 2 df, p = 0.038)"
    assert stats.compare_seeds([1.0, 2.0, 3.0], [2.0, 4.0, 5.0], paired=True, confidence=0.99).significant is False


def test_welch_by_hand():
    # var(a) = 1, var(b) = 20/3: se^2 = 1/3 + 5/3 = 2; Welch-Satterthwaite df = 4 / (1/18 + 25/27)
    r = stats.compare_seeds([1.0, 2.0, 3.0], [2.0, 4.0, 6.0, 8.0], paired=False)
    assert r.diff == pytest.approx(3.0)
    assert r.se == pytest.approx(math.sqrt(2))
    assert r.df == pytest.approx(4 / (1 / 18 + 25 / 27))
    assert r.p == pytest.approx(2 * stats._st.t.sf(3 / math.sqrt(2), r.df))
    assert r.high - r.diff == pytest.approx(stats.t_quantile(0.95, r.df) * math.sqrt(2))
    assert "Welch t on 4.1 df" in r.text()


def test_pairing_removes_the_seed_to_seed_spread():
    # each seed shifts both settings alike; b is better by 0.01 on every seed
    seed_effect = np.array([0.80, 0.86, 0.83])
    a, b = seed_effect, seed_effect + np.array([0.010, 0.012, 0.011])
    assert stats.compare_seeds(a, b, paired=True).significant
    assert not stats.compare_seeds(a, b, paired=False).significant
    with pytest.raises(ValueError, match="same seeds"):
        stats.compare_seeds(a, b[:2], paired=True)


def test_significant_agrees_with_p():
    rng = np.random.default_rng(0)
    for _ in range(200):
        a, b = rng.normal(size=4), rng.normal(0.8, size=4)
        for paired in (True, False):
            r = stats.compare_seeds(a, b, paired=paired)
            assert r.significant == (r.p < 0.05), (a, b, paired)
            assert r.low < r.diff < r.high


def test_constant_differences():
    r = stats.compare_seeds([1.0, 2.0, 3.0], [1.5, 2.5, 3.5], paired=True)
    assert (r.low, r.high, r.p, r.significant) == (0.5, 0.5, 0.0, True)
    assert stats.compare_seeds([1.0, 2.0], [1.0, 2.0], paired=True).p == 1.0


def test_accuracy_interval_wilson_by_hand():
    # Wilson: (p + z^2/2n ± z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n), here 97 of 100
    z, n, p = 1.959964, 100, 0.97
    centre, half = p + z**2 / (2 * n), z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    acc, low, high = stats.accuracy_interval(97, 100)
    assert acc == 0.97
    assert (low, high) == pytest.approx(((centre - half) / (1 + z**2 / n), (centre + half) / (1 + z**2 / n)), abs=1e-6)
    assert high < 1  # unlike p ± 2 SE, which reaches 1.004 here
    flags = torch.tensor([True] * 97 + [False] * 3)
    assert stats.accuracy_interval(flags) == (acc, low, high)
    with pytest.raises(ValueError):
        stats.accuracy_interval(101, 100)


def _table(a_only: int, b_only: int, both: int = 20, neither: int = 16) -> tuple[np.ndarray, np.ndarray]:
    ra = np.r_[[1] * both, [1] * a_only, [0] * b_only, [0] * neither].astype(bool)
    rb = np.r_[[1] * both, [0] * a_only, [1] * b_only, [0] * neither].astype(bool)
    return ra, rb


def test_mcnemar_exact_by_hand():
    # Armitage & Berry's two culture media: 12 specimens grow on a only, 2 on b only, n = 50.
    # Exact: 2 P(X <= 2), X ~ Binomial(14, 1/2) = 2 (1 + 14 + 91) / 2^14
    r = stats.mcnemar(*_table(12, 2))
    assert (r.b, r.c, r.n, r.exact) == (12, 2, 50, True)
    assert r.p == pytest.approx(2 * sum(math.comb(14, i) for i in range(3)) / 2**14, rel=1e-12)
    assert r.diff == pytest.approx(-10 / 50)
    assert r.significant
    # the continuity-corrected chi-square, (|12 - 2| - 1)^2 / 14 = 5.786 on 1 df: p = 0.0162
    assert stats.mcnemar(*_table(12, 2), exact=False).p == pytest.approx(0.0162, abs=5e-5)
    assert r.text() == "-20.00 points (a only 12, b only 2 of 50; exact McNemar, p = 0.013)"


def test_mcnemar_switches_to_chi_square_at_25_discordant_pairs():
    assert stats.mcnemar(*_table(14, 10)).exact
    big = stats.mcnemar(*_table(15, 10))
    assert not big.exact
    assert big.p == pytest.approx(stats._st.chi2.sf(16 / 25, 1))
    assert stats.mcnemar(*_table(0, 0)).p == 1.0


def test_mcnemar_takes_tensors_and_checks_shapes():
    ra, rb = _table(3, 9)
    r = stats.mcnemar(torch.from_numpy(ra), torch.from_numpy(rb).int())
    assert (r.b, r.c) == (3, 9) and r.diff == pytest.approx(6 / 48)  # n = 20 + 3 + 9 + 16
    with pytest.raises(ValueError, match="same examples"):
        stats.mcnemar(ra, rb[:-1])
    with pytest.raises(ValueError, match="no examples"):
        stats.mcnemar([], [])


def test_mcnemar_wald_interval_by_hand():
    r = stats.mcnemar(*_table(12, 2))
    half = 1.959964 * math.sqrt(14 - 10**2 / 50) / 50
    assert (r.low, r.high) == pytest.approx((-0.2 - half, -0.2 + half), abs=1e-6)


def test_examples_to_separate_published_example():
    # powerandsamplesize.com's McNemar example after Connor (1987): p01 = 0.45, p10 = 0.05,
    # two-sided alpha 0.05, power 0.8 -> 23 pairs
    assert stats.examples_to_separate(0.5, 0.9, discordant=0.5) == 23
    assert stats.examples_to_separate(0.9, 0.5, discordant=0.5) == 23  # the sign does not matter


def test_examples_to_separate_by_hand_and_not_one_sample():
    # 90 % vs 91 %, models that disagree on 5 % of examples
    za, zb = 1.959964, 0.841621
    n = (za * math.sqrt(0.05) + zb * math.sqrt(0.05 - 0.01**2)) ** 2 / 0.01**2
    assert stats.examples_to_separate(0.90, 0.91, discordant=0.05) == math.ceil(n)
    one_sample = math.ceil(za**2 * 0.9 * 0.1 / 0.01**2)  # the error bar of ONE accuracy: a different question
    assert stats.examples_to_separate(0.90, 0.91, discordant=0.05) != one_sample
    # without a measured disagreement: the bound where errors never coincide (psi = 0.19), larger
    assert stats.max_discordance(0.90, 0.91) == pytest.approx(0.19)
    assert stats.examples_to_separate(0.90, 0.91) > stats.examples_to_separate(0.90, 0.91, discordant=0.05)
    with pytest.raises(ValueError):
        stats.examples_to_separate(0.9, 0.91, discordant=0.005)  # disagreement below the gap is impossible
    with pytest.raises(ValueError):
        stats.examples_to_separate(0.9, 0.9)


def test_examples_to_separate_has_its_power_by_simulation():
    # draw n paired examples with disagreement 0.05 and gap 0.01; McNemar's z test rejects ~80 %
    n = stats.examples_to_separate(0.90, 0.91, discordant=0.05)
    rng = np.random.default_rng(0)
    trials = 4000
    m = rng.binomial(n, 0.05, size=trials)  # discordant pairs
    c = rng.binomial(m, (0.05 + 0.01) / (2 * 0.05))  # of which b is right: p01 / psi
    b = m - c
    z = (c - b) / np.sqrt(m)
    power = (np.abs(z) > 1.959964).mean()
    assert 0.77 < power < 0.83, power
    n_half = n // 2
    m = rng.binomial(n_half, 0.05, size=trials)
    c = rng.binomial(m, 0.6)
    assert (np.abs((2 * c - m) / np.sqrt(m)) > 1.959964).mean() < 0.6  # half the examples: far less power
