"""Is this difference real? The book's one home for comparing settings and models.

Three questions come back on every page that compares things, and each has its own test:

- Two settings trained over k seeds each: :func:`compare_seeds` gives the difference of the means
  with a t interval on k - 1 degrees of freedom when the seeds are shared (paired by seed), or
  Welch's interval when they are not. With three seeds the 95 % quantile of t on 2 df is 4.30,
  not 2: "difference > 2 SE" is an 82 % rule there, not a 95 % one (:func:`coverage_of_two_se`).
- Two trained models on the same test examples: :func:`mcnemar` tests the paired correctness
  (only the examples the models disagree on carry information).
- One accuracy on n examples: :func:`accuracy_interval` (Wilson's interval).
- How many test examples separate two accuracies: :func:`examples_to_separate`, the paired
  sample size of McNemar's test (Connor 1987), not the one-sample n = z² p(1 - p) / d².

Quantiles and p-values come from ``scipy.stats``. Inputs are sequences of floats, NumPy arrays or
tensors (moved to the CPU). Results are dataclasses whose fields a page glues into its prose
(``glue("x_low", result.low)``); ``text()`` is for printed outputs (it is English).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from scipy import stats as _st

ArrayLike = Sequence[float] | Sequence[bool] | np.ndarray | torch.Tensor

#: McNemar's test uses the exact binomial test below this many discordant pairs (b + c) and the
#: continuity-corrected chi-square at or above it (the common textbook rule).
EXACT_BELOW = 25


def _array(values: ArrayLike, dtype=np.float64) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    return np.asarray(values, dtype=dtype).reshape(-1)


def _signed(x: float, digits: int) -> str:
    return f"{x:+.{digits}f}"


def format_p(p: float) -> str:
    """A p-value for printing: ``p = 0.012``, ``p < 0.001``."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


class Interval(NamedTuple):
    """A mean and its confidence interval (unpacks as ``mean, low, high``)."""

    mean: float
    low: float
    high: float


def t_quantile(confidence: float, df: float) -> float:
    """The two-sided critical value of Student's t: ``t_quantile(0.95, 2) == 4.303``."""
    return float(_st.t.ppf((1 + confidence) / 2, df))


def coverage_of_two_se(k: int) -> float:
    """How often "mean ± 2 SE" over k seeds covers the true mean: P(|T| < 2) for T ~ t(k - 1).

    0.82 for k = 3, 0.86 for k = 4, 0.95 only as k grows (the normal limit is 0.954).
    """
    if k < 2:
        raise ValueError("need at least two seeds")
    return float(_st.t.cdf(2, k - 1) - _st.t.cdf(-2, k - 1))


def mean_interval(values: ArrayLike, confidence: float = 0.95) -> Interval:
    """The mean of one setting over k seeds and its t interval on k - 1 degrees of freedom.

    values: shape (k,), one metric per seed, k >= 2. Returns ``Interval(mean, low, high)``.
    """
    v = _array(values)
    if len(v) < 2:
        raise ValueError("need at least two values (seeds) for an interval")
    mean = float(v.mean())
    se = float(v.std(ddof=1) / math.sqrt(len(v)))
    if se == 0:
        return Interval(mean, mean, mean)
    low, high = _st.t.interval(confidence, len(v) - 1, loc=mean, scale=se)
    return Interval(mean, float(low), float(high))


def accuracy_interval(correct: ArrayLike | int, n: int | None = None, confidence: float = 0.95) -> Interval:
    """One accuracy measured on n examples and its Wilson score interval (``scipy.stats.binomtest``).

    correct: shape (n,), booleans (example i classified correctly), or the number of correct
    examples when ``n`` is given. The interval of ONE model's accuracy; to compare two models on
    the same examples use :func:`mcnemar`, which is far more sensitive.
    """
    if n is None:
        flags = _array(correct, bool)
        k, n = int(flags.sum()), len(flags)
    else:
        k = int(correct)
    if not 0 <= k <= n or n < 1:
        raise ValueError(f"need 0 <= correct <= n and n >= 1, got {k} of {n}")
    ci = _st.binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    return Interval(k / n, float(ci.low), float(ci.high))


@dataclass(frozen=True)
class SeedComparison:
    """Setting b against setting a over seeds: ``diff = mean(b) - mean(a)`` and its interval.

    Paired (the same seeds): the per-seed differences b_i - a_i, t on k - 1 df. Unpaired: Welch's
    t (unequal variances, Welch-Satterthwaite df, fractional). ``p`` is two-sided for "no
    difference". ``se`` is the standard error of ``diff``, ``t_crit`` the quantile the interval
    used (``high - diff == t_crit * se``).
    """

    diff: float
    low: float
    high: float
    p: float
    df: float
    k: int
    se: float
    t_crit: float
    paired: bool
    confidence: float = 0.95

    @property
    def significant(self) -> bool:
        """The interval excludes 0 (equivalently p < 1 - confidence)."""
        return self.low > 0 or self.high < 0

    def text(self, digits: int = 3, scale: float = 1.0, unit: str = "") -> str:
        """E.g. ``+0.090 (95 % CI +0.085 to +0.095, paired t on 2 df, p = 0.001)``.

        scale multiplies the numbers (100 for accuracy in points); unit follows the difference
        and the interval's upper end (``text(2, 100, " points")``: ``+1.20 points (95 % CI +0.30
        to +2.10 points, ...)``).
        """
        d, lo, hi = (scale * x for x in (self.diff, self.low, self.high))
        how = f"paired t on {self.k - 1} df" if self.paired else f"Welch t on {self.df:.1f} df"
        return (
            f"{_signed(d, digits)}{unit} ({100 * self.confidence:g} % CI {_signed(lo, digits)} "
            f"to {_signed(hi, digits)}{unit}, {how}, {format_p(self.p)})"
        )

    def __str__(self) -> str:
        return self.text()


def compare_seeds(a: ArrayLike, b: ArrayLike, *, paired: bool, confidence: float = 0.95) -> SeedComparison:
    """Compare setting b with setting a, each measured once per seed.

    a, b: shape (k,) and (k,) when ``paired`` (entry i of both comes from seed i: the same
    initialisation and data order, only the setting differs), else shape (k_a,) and (k_b,).
    Pair whenever the seeds are shared: the seed-to-seed variation cancels in b_i - a_i.
    Returns a :class:`SeedComparison` with ``diff = mean(b) - mean(a)``; ``k`` is the number of
    pairs (paired) or ``min(k_a, k_b)``.

    When every paired difference is the same (or all values of both settings are constant),
    the standard error is 0: the interval is the point and p is 0 (1 when the difference is 0).
    """
    x, y = _array(a), _array(b)
    if paired and len(x) != len(y):
        raise ValueError(f"paired comparison needs the same seeds: {len(x)} vs {len(y)} values")
    if min(len(x), len(y)) < 2:
        raise ValueError("need at least two seeds per setting")
    if paired:
        d = y - x
        k = len(d)
        diff, se, df = float(d.mean()), float(d.std(ddof=1) / math.sqrt(k)), float(k - 1)
    else:
        k = min(len(x), len(y))
        va, vb = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
        diff, se = float(y.mean() - x.mean()), float(math.sqrt(va + vb))
        df = float((va + vb) ** 2 / (va**2 / (len(x) - 1) + vb**2 / (len(y) - 1))) if se > 0 else float(k - 1)
    t_crit = t_quantile(confidence, df)
    if se == 0:
        return SeedComparison(diff, diff, diff, 0.0 if diff != 0 else 1.0, df, k, 0.0, t_crit, paired, confidence)
    res = _st.ttest_rel(y, x) if paired else _st.ttest_ind(y, x, equal_var=False)
    ci = res.confidence_interval(confidence_level=confidence)
    return SeedComparison(
        diff, float(ci.low), float(ci.high), float(res.pvalue), float(res.df), k, se, t_crit, paired, confidence
    )


@dataclass(frozen=True)
class McNemarResult:
    """Two models on the same n test examples.

    ``b``: examples model a gets right and model b wrong; ``c``: the reverse. ``diff`` is
    accuracy(b) - accuracy(a) = (c - b) / n, ``low``/``high`` its Wald interval for paired
    proportions (diff ± z sqrt(b + c - (c - b)² / n) / n; fine for hundreds of examples, rough
    for a handful of discordant pairs). ``p`` is McNemar's two-sided p-value, exact (binomial,
    ``exact=True``) or from the continuity-corrected chi-square on 1 df.
    """

    b: int
    c: int
    n: int
    p: float
    exact: bool
    diff: float
    low: float
    high: float
    confidence: float = 0.95

    @property
    def significant(self) -> bool:
        """p < 1 - confidence (the test's verdict, not the Wald interval's)."""
        return self.p < 1 - self.confidence

    def text(self, digits: int = 2) -> str:
        """E.g. ``+1.20 points (a only 30, b only 54 of 10,000; exact McNemar, p = 0.012)``."""
        how = "exact McNemar" if self.exact else "McNemar chi-square"
        return (
            f"{_signed(100 * self.diff, digits)} points (a only {self.b:,}, b only {self.c:,} of "
            f"{self.n:,}; {how}, {format_p(self.p)})"
        )

    def __str__(self) -> str:
        return self.text()


def mcnemar(
    correct_a: ArrayLike, correct_b: ArrayLike, *, exact: bool | None = None, confidence: float = 0.95
) -> McNemarResult:
    """McNemar's test of two models' accuracies on the same examples.

    correct_a, correct_b: shape (n,), booleans (or 0/1), whether model a / model b classified
    example i correctly. exact: None uses the exact binomial test (``scipy.stats.binomtest``,
    b ~ Binomial(b + c, 1/2) under "equal accuracy") when b + c < ``EXACT_BELOW`` (25) and the
    chi-square statistic (|b - c| - 1)² / (b + c) on 1 df otherwise; True or False forces one.
    """
    ra, rb = _array(correct_a, bool), _array(correct_b, bool)
    if ra.shape != rb.shape:
        raise ValueError(f"the models must be scored on the same examples: {ra.shape} vs {rb.shape}")
    n = len(ra)
    if n == 0:
        raise ValueError("no examples to compare")
    b = int((ra & ~rb).sum())
    c = int((~ra & rb).sum())
    m = b + c
    use_exact = m < EXACT_BELOW if exact is None else exact
    if m == 0:
        p = 1.0
    elif use_exact:
        p = float(_st.binomtest(b, m, 0.5).pvalue)
    else:
        p = float(_st.chi2.sf((abs(b - c) - 1) ** 2 / m, 1))
    diff = (c - b) / n
    z = float(_st.norm.ppf((1 + confidence) / 2))
    half = z * math.sqrt(max(m - (c - b) ** 2 / n, 0.0)) / n
    return McNemarResult(b, c, n, p, use_exact, diff, diff - half, diff + half, confidence)


def max_discordance(acc_a: float, acc_b: float) -> float:
    """The largest probability of disagreement two models with these accuracies can have.

    Reached when their errors never coincide: 2 min(acc_lo, 1 - acc_hi) + (acc_hi - acc_lo),
    i.e. (1 - acc_a) + (1 - acc_b) for accurate models.
    """
    lo, hi = sorted((acc_a, acc_b))
    return 2 * min(lo, 1 - hi) + (hi - lo)


def examples_to_separate(
    acc_a: float, acc_b: float, *, discordant: float | None = None, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Test examples a paired (McNemar) comparison needs to detect accuracy(b) - accuracy(a).

    Connor (1987): with d = acc_b - acc_a and ψ the probability that the two models disagree
    on an example (the discordant proportion, which must be at least |d|),

        n = (z_{1-α/2} sqrt(ψ) + z_{power} sqrt(ψ - d²))² / d²,

    rounded up. discordant=None uses :func:`max_discordance` (errors that never coincide), an
    upper bound on n; models trained on the same data share most of their errors, so measure ψ
    on held-out data (``(result.b + result.c) / result.n`` of :func:`mcnemar`) for a realistic
    answer. This is not the one-sample n = z² p(1 - p) / d², which sizes the error bar of one
    accuracy and ignores that both models are scored on the same examples.
    """
    d = acc_b - acc_a
    if d == 0:
        raise ValueError("equal accuracies cannot be separated by any number of examples")
    psi = max_discordance(acc_a, acc_b) if discordant is None else discordant
    if not abs(d) <= psi <= 1:
        raise ValueError(f"the disagreement probability must lie in [|d|, 1] = [{abs(d):.4g}, 1]: {psi}")
    za, zb = _st.norm.ppf(1 - alpha / 2), _st.norm.ppf(power)
    n = (za * math.sqrt(psi) + zb * math.sqrt(psi - d * d)) ** 2 / (d * d)
    return math.ceil(n - 1e-9)
