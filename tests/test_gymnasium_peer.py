"""The book's cart-pole checked by a peer: the real ``gymnasium`` package's ``CartPole-v1``.

``torchbook.rl`` writes the environment itself (page 6.3); these tests put it beside
``gymnasium.make("CartPole-v1")`` and require the same constants, the same states step by step
from the same start state (set through ``env.unwrapped.state``), the same termination and the
same truncation at 500 steps, and that the adapters ``rl.FromGymnasium`` / ``rl.VecFromGymnasium``
let the book's code play on Gymnasium unchanged.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from torchbook import rl

gym = pytest.importorskip("gymnasium")


def balancing(state: list[float]) -> int:
    """A linear rule that keeps the pole up: push towards where the pole (and the cart) is falling."""
    x, x_dot, theta, theta_dot = state
    return int(theta + 0.5 * theta_dot + 0.01 * x + 0.1 * x_dot > 0)


def side_by_side(start: list[float], policy, max_steps: int = rl.MAX_STEPS, **make_kwargs):
    """Play the same actions in both environments from ``start``; return both traces.

    Each trace is a list of (state (4,) float32 array, reward, terminated, truncated), one per step.
    """
    ours = rl.CartPole(max_steps=max_steps)
    state = ours.reset(state=torch.tensor(start, dtype=torch.float64))
    peer = gym.make("CartPole-v1", **make_kwargs)
    peer.reset(seed=0)
    peer.unwrapped.state = np.array(start, dtype=np.float64)
    trace_ours, trace_peer, done, t = [], [], False, 0
    while not done:
        action = policy(state.tolist(), t)
        state, reward, term, trunc = ours.step(action)
        trace_ours.append((state.numpy(), reward, term, trunc))
        obs, reward_p, term_p, trunc_p, _ = peer.step(action)
        trace_peer.append((obs, float(reward_p), bool(term_p), bool(trunc_p)))
        done = term or trunc
        t += 1
    peer.close()
    return trace_ours, trace_peer


def assert_same(trace_ours, trace_peer, atol: float = 0.0) -> None:
    assert len(trace_ours) == len(trace_peer)
    for t, ((s, r, term, trunc), (s_p, r_p, term_p, trunc_p)) in enumerate(zip(trace_ours, trace_peer)):
        assert s.dtype == s_p.dtype == np.float32, t
        np.testing.assert_allclose(s, s_p, rtol=0, atol=atol, err_msg=f"state after step {t + 1}")
        assert (r, term, trunc) == (r_p, term_p, trunc_p), (t + 1, (r, term, trunc), (r_p, term_p, trunc_p))


def test_same_constants_and_limits():
    env = gym.make("CartPole-v1")
    u = env.unwrapped
    assert (u.gravity, u.masscart, u.masspole, u.length, u.force_mag, u.tau) == (
        rl.GRAVITY,
        rl.MASSCART,
        rl.MASSPOLE,
        rl.LENGTH,
        rl.FORCE_MAG,
        rl.TAU,
    )
    assert (u.x_threshold, u.theta_threshold_radians) == (rl.X_THRESHOLD, rl.THETA_THRESHOLD)
    assert u.kinematics_integrator == "euler"
    assert env.spec.max_episode_steps == rl.MAX_STEPS == 500
    assert env.spec.reward_threshold == 475.0  # v1's "solved" bar (v0's was 195 with 200 steps)
    assert env.action_space.n == rl.N_ACTIONS and env.observation_space.shape == (rl.STATE_DIM,)


@pytest.mark.parametrize("seed", range(5))
def test_random_actions_same_states_until_the_pole_falls(seed):
    g = torch.Generator().manual_seed(seed)
    start = (torch.rand(4, generator=g, dtype=torch.float64) * 0.1 - 0.05).tolist()
    actions = torch.randint(2, (rl.MAX_STEPS,), generator=g).tolist()
    ours, peer = side_by_side(start, lambda s, t: actions[t])
    assert_same(ours, peer)
    assert ours[-1][2] and not ours[-1][3] and len(ours) < 100  # terminated: the pole fell (or the cart left)


def test_balancing_same_states_for_500_steps_then_truncated():
    ours, peer = side_by_side([0.02, -0.01, 0.03, 0.0], lambda s, t: balancing(s))
    assert_same(ours, peer)
    assert len(ours) == 500
    assert ours[-1][3] and not ours[-1][2]  # truncated by the time limit, not terminated
    assert not any(trunc for *_, trunc in ours[:-1])


@pytest.mark.parametrize("start", [[2.3, 1.0, 0.0, 0.0], [0.0, 0.0, 0.15, 0.5], [0.0, 0.0, -0.15, -0.5]])
def test_same_termination_thresholds(start):
    ours, peer = side_by_side(start, lambda s, t: 1 if start[1] + start[3] >= 0 else 0)
    assert_same(ours, peer)
    assert ours[-1][2]


def test_termination_on_the_last_step_sets_both_flags():
    """Gymnasium's TimeLimit marks step max_episode_steps truncated even if the pole fell then."""
    start = [0.0, 0.0, 0.1, 0.0]
    ours, _ = side_by_side(start, lambda s, t: 1)  # pushing right: the pole falls left... or right
    n = len(ours)
    ours, peer = side_by_side(start, lambda s, t: 1, max_steps=n, max_episode_steps=n)
    assert_same(ours, peer)
    assert ours[-1][2] and ours[-1][3]


def test_adapter_plays_the_book_code_on_gymnasium():
    env = rl.FromGymnasium(gym.make("CartPole-v1"))
    a = env.reset(torch.Generator().manual_seed(3))
    seed = env.last_seed
    b = env.reset(torch.Generator().manual_seed(3))
    assert torch.equal(a, b) and a.dtype == torch.float32 and a.abs().max() <= 0.05
    obs, _ = gym.make("CartPole-v1").reset(seed=seed)  # the adapter seeds Gymnasium's own reset
    assert torch.equal(a, torch.as_tensor(obs))
    state, reward, term, trunc = env.step(torch.tensor(1))
    assert state.shape == (4,) and reward == 1.0 and not term and not trunc
    vec = rl.VecFromGymnasium([gym.make("CartPole-v1") for _ in range(4)])
    lengths = rl.episode_returns(
        lambda s: torch.tensor([balancing(x) for x in s.tolist()]), 4, torch.Generator().manual_seed(0), env=vec
    )
    assert lengths.tolist() == [500.0] * 4
    with pytest.raises(ValueError, match="episodes"):
        rl.episode_returns(lambda s: torch.zeros(len(s), dtype=torch.int64), 3, env=vec)


def test_random_policy_has_the_same_episode_lengths_on_both():
    """Start states are drawn by different generators, so compare distributions: the mean length
    of a coin-tossing policy over 400 episodes agrees within 4 standard errors."""
    coin = torch.Generator().manual_seed(1)

    def random_policy(states):
        return torch.randint(2, (len(states),), generator=coin)

    n = 400
    ours = rl.episode_returns(random_policy, n, torch.Generator().manual_seed(2))
    vec = rl.VecFromGymnasium([gym.make("CartPole-v1") for _ in range(n)])
    peer = rl.episode_returns(random_policy, n, torch.Generator().manual_seed(3), env=vec)
    se = math.sqrt(ours.var() / n + peer.var() / n)
    assert abs(ours.mean() - peer.mean()) < 4 * se, (ours.mean(), peer.mean(), se)
    assert 15 < ours.mean() < 30 and 15 < peer.mean() < 30


def test_reset_done_restarts_only_finished_episodes():
    for env in (rl.VecCartPole(3), rl.VecFromGymnasium([gym.make("CartPole-v1") for _ in range(3)])):
        g = torch.Generator().manual_seed(0)
        env.reset(g)
        while not env.done[0]:
            states, *_ = env.step(torch.tensor([1, 0, 1]))  # 0 and 2 fall right, 1 falls left
        done = env.done.clone()
        before = states.clone()
        after = env.reset_done(g)
        assert not env.done.any()
        assert torch.equal(after[~done], before[~done])
        assert (after[done].abs() <= 0.05).all() and (env.steps[done] == 0).all()
