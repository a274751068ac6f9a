import math

import pytest
import torch

from torchbook import models, rl


def by_hand(state, action):
    """One CartPole-v1 step written out with Python floats (Gymnasium's equations)."""
    x, x_dot, theta, theta_dot = state
    force = 10.0 if action == 1 else -10.0
    total_mass, polemass_length = 1.1, 0.05
    temp = (force + polemass_length * theta_dot**2 * math.sin(theta)) / total_mass
    theta_acc = (9.8 * math.sin(theta) - math.cos(theta) * temp) / (
        0.5 * (4.0 / 3.0 - 0.1 * math.cos(theta) ** 2 / total_mass)
    )
    x_acc = temp - polemass_length * theta_acc * math.cos(theta) / total_mass
    return [x + 0.02 * x_dot, x_dot + 0.02 * x_acc, theta + 0.02 * theta_dot, theta_dot + 0.02 * theta_acc]


@pytest.mark.parametrize("action", [0, 1])
def test_one_step_matches_the_equations(action):
    start = [0.1, -0.3, 0.05, 0.4]
    env = rl.CartPole()
    env.reset(state=torch.tensor(start))
    state, reward, terminated, truncated = env.step(action)
    assert state.shape == (4,) and state.dtype == torch.float32
    torch.testing.assert_close(state, torch.tensor(by_hand(start, action), dtype=torch.float32))
    assert reward == 1.0 and not terminated and not truncated


def test_vectorised_step_matches_single():
    starts = torch.tensor([[0.1, -0.3, 0.05, 0.4], [0.0, 0.2, -0.1, -0.5], [1.0, 0.0, 0.0, 0.0]])
    vec = rl.VecCartPole(3)
    vec.reset()
    vec._state = starts.double()
    states, rewards, _, _ = vec.step(torch.tensor([1, 0, 1]))
    for i, a in enumerate([1, 0, 1]):
        torch.testing.assert_close(
            states[i], torch.tensor(by_hand(starts[i].double().tolist(), a), dtype=torch.float32)
        )
    assert rewards.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    "start, terminated",
    [
        ([2.39, 1.0, 0.0, 0.0], True),  # the cart moves past x = 2.4
        ([-2.39, -1.0, 0.0, 0.0], True),
        ([0.0, 0.0, 0.2, 1.0], True),  # 0.2 + 0.02 > 12 degrees = 0.2094 rad
        ([0.0, 0.0, 0.18, 0.0], False),
        ([2.0, 1.0, 0.0, 0.0], False),
    ],
)
def test_termination_thresholds(start, terminated):
    env = rl.CartPole()
    env.reset(state=torch.tensor(start))
    _, _, term, trunc = env.step(1 if start[1] >= 0 else 0)
    assert term is terminated and trunc is False
    assert math.isclose(rl.THETA_THRESHOLD, 12 * math.pi / 180)


def test_reset_is_seeded_and_in_range():
    a = rl.CartPole().reset(torch.Generator().manual_seed(3))
    b = rl.CartPole().reset(torch.Generator().manual_seed(3))
    c = rl.CartPole().reset(torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)
    states = rl.VecCartPole(1000).reset(torch.Generator().manual_seed(0))
    assert states.shape == (1000, 4) and states.abs().max() <= 0.05


def test_episode_is_deterministic_given_seed():
    def run(seed):
        g = torch.Generator().manual_seed(seed)
        env = rl.CartPole()
        env.reset(g)
        trace, done = [], False
        while not done:
            s, r, term, trunc = env.step(int(torch.randint(2, (), generator=g)))
            trace.append(s)
            done = term or trunc
        return torch.stack(trace)

    torch.testing.assert_close(run(7), run(7), rtol=0, atol=0)


def test_truncation_at_500_steps():
    env = rl.CartPole()
    env.reset(state=torch.zeros(4))
    # a balancing controller: push towards where the pole (and the cart) is falling
    state, steps, done = torch.zeros(4), 0, False
    while not done:
        x, x_dot, theta, theta_dot = state.tolist()
        state, reward, term, trunc = env.step(int(theta + 0.5 * theta_dot + 0.01 * x + 0.1 * x_dot > 0))
        steps += 1
        done = term or trunc
    assert steps == 500 and trunc and not term
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    lengths = rl.episode_returns(
        lambda s: (s[:, 2] + 0.5 * s[:, 3] + 0.01 * s[:, 0] + 0.1 * s[:, 1] > 0).long(),
        8,
        torch.Generator().manual_seed(0),
    )
    assert lengths.tolist() == [500.0] * 8


@pytest.mark.parametrize("action", [2, -1, 0.5, True, "left"])
def test_bad_action_is_rejected(action):
    env = rl.CartPole()
    env.reset(torch.Generator().manual_seed(0))
    with pytest.raises(ValueError, match="action must be 0"):
        env.step(action)


def test_vec_bad_actions_and_frozen_episodes():
    env = rl.VecCartPole(2)
    env.reset(torch.Generator().manual_seed(0))
    with pytest.raises(ValueError, match="shape \\(2,\\)"):
        env.step(torch.tensor([0, 2]))
    with pytest.raises(ValueError):
        env.step(torch.tensor([0.0, 1.0]))
    total = torch.zeros(2)
    while not env.done.all():  # always push right: both episodes end, then stay frozen
        frozen = env._state.clone()
        done_before = env.done.clone()
        _, r, _, _ = env.step(torch.tensor([1, 1]))
        total += r
        assert torch.equal(env._state[done_before], frozen[done_before])
    assert total.min() >= 8 and torch.equal(total, env.steps.float())


def test_always_left_matches_single_env():
    g = torch.Generator().manual_seed(5)
    lengths = rl.episode_returns(lambda s: torch.zeros(len(s), dtype=torch.int64), 4, g)
    starts = rl.VecCartPole(4).reset(torch.Generator().manual_seed(5))
    for i in range(4):
        env = rl.CartPole()
        env.reset(state=rl._initial_states(4, torch.Generator().manual_seed(5))[i])
        n, done = 0, False
        while not done:
            _, _, term, trunc = env.step(0)
            n, done = n + 1, term or trunc
        assert n == lengths[i]
    assert starts.shape == (4, 4)


def test_discounted_returns():
    r = torch.tensor([1.0, 2.0, 3.0])
    torch.testing.assert_close(rl.discounted_returns(r, 0.5), torch.tensor([1 + 0.5 * 2 + 0.25 * 3, 2 + 0.5 * 3, 3.0]))
    R = torch.ones(4, 2)
    R[2:, 1] = 0  # the second episode ended after two steps
    G = rl.discounted_returns(R, 0.9)
    torch.testing.assert_close(G[:, 1], torch.tensor([1.9, 1.0, 0.0, 0.0]))
    torch.testing.assert_close(G[0, 0], torch.tensor(1 + 0.9 + 0.81 + 0.729))


def test_discounted_returns_bootstrap_after_a_truncation():
    """A truncated episode's return continues past the last step: G_{T-1} = r + gamma * V(s_T)."""
    R = torch.ones(3, 2)
    G = rl.discounted_returns(R, 0.5, bootstrap=torch.tensor([0.0, 2.0]))  # episode 0 terminated, 1 truncated
    torch.testing.assert_close(G[:, 0], torch.tensor([1.75, 1.5, 1.0]))
    torch.testing.assert_close(G[:, 1], torch.tensor([2.0, 2.0, 2.0]))  # 2 = 1 / (1 - 0.5): never falls
    torch.testing.assert_close(rl.discounted_returns(torch.ones(4), 0.5, 2.0), torch.full((4,), 2.0))


def test_vec_reset_done_and_truncation_flag():
    env = rl.VecCartPole(2, max_steps=3)
    env.reset(torch.Generator().manual_seed(0))
    for _ in range(3):
        _, r, term, trunc = env.step(torch.tensor([0, 1]))
    assert trunc.tolist() == [True, True] and not term.any() and env.done.all()
    assert env.steps.tolist() == [3, 3]
    g = torch.Generator().manual_seed(1)
    states = env.reset_done(g)
    assert not env.done.any() and env.steps.tolist() == [0, 0] and states.abs().max() <= 0.05


def test_replay_buffer_overwrites_oldest_and_samples():
    buf = rl.ReplayBuffer(3)
    with pytest.raises(ValueError, match="empty"):
        buf.sample(2)
    for i in range(5):
        buf.push(torch.full((4,), float(i)), i % 2, float(i), torch.full((4,), i + 1.0), i == 4)
    assert len(buf) == 3
    assert sorted(buf.rewards.tolist()) == [2.0, 3.0, 4.0]
    s, a, r, s2, term = buf.sample(16, torch.Generator().manual_seed(0))
    assert s.shape == s2.shape == (16, 4) and a.shape == r.shape == term.shape == (16,)
    torch.testing.assert_close(s[:, 0], r)
    torch.testing.assert_close(s2[:, 0], r + 1)
    assert torch.equal(term, r == 4)


def test_moving_average():
    out = rl.moving_average([1, 2, 3, 4], 2)
    assert out.tolist() == [1.0, 1.5, 2.5, 3.5]


def test_policy_and_q_nets():
    torch.manual_seed(0)
    x = torch.randn(5, 4)
    assert models.PolicyNet()(x).shape == (5, 2)
    assert models.QNet()(x).shape == (5, 2)
    assert models.PolicyNet(hidden=8)(x).shape == (5, 2)
    logits, value = models.ActorCritic()(x)
    assert logits.shape == (5, 2) and value.shape == (5,)
    ac = models.ActorCritic(hidden=8)
    ac(x)[1].sum().backward()  # the critic's loss reaches the critic only (no shared trunk)
    assert all(p.grad is None for p in ac.actor.parameters()) and all(
        p.grad is not None for p in ac.critic.parameters()
    )
