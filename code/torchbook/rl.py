"""Reinforcement learning on the cart-pole (chapter 6.3), written without needing gym/gymnasium.

The environment is the classic cart-pole balancing task of Barto, Sutton & Anderson (1983),
with the frictionless equations, constants and limits of Gymnasium's ``CartPole-v1``:

* state ``(x, x_dot, theta, theta_dot)``: cart position (m), cart velocity (m/s), pole angle
  (rad, 0 = upright), pole angular velocity (rad/s);
* action ``0`` pushes the cart left with 10 N, ``1`` pushes it right;
* reward 1 for every step taken, the last one included, so an episode's length is its return;
* terminated when ``|x| > 2.4`` or ``|theta| > 12 degrees``; truncated at step 500 (as
  Gymnasium's ``TimeLimit`` wrapper does, the 500th step is truncated even if it also terminates);
* a new episode starts from a state drawn uniformly from ``[-0.05, 0.05]^4``.

The physics is computed in float64 on the CPU (as Gymnasium does with Python floats); states are
handed out as float32 tensors, ready for a network. :class:`CartPole` is one environment
(``reset`` / ``step``), :class:`VecCartPole` steps ``N`` of them at once as tensors.

``tests/test_gymnasium_peer.py`` checks both against ``gymnasium.make("CartPole-v1")`` step by step.
:class:`FromGymnasium` and :class:`VecFromGymnasium` give a Gymnasium environment the same
interface, so the book's agents train on the real package unchanged.

Also here: :func:`discounted_returns`, a :class:`ReplayBuffer` for DQN, :func:`episode_returns`
(play a policy on fresh episodes) and :func:`moving_average` for learning curves.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

GRAVITY = 9.8  # m/s^2
MASSCART = 1.0  # kg
MASSPOLE = 0.1  # kg
TOTAL_MASS = MASSCART + MASSPOLE
LENGTH = 0.5  # m, half the pole's length (its centre of mass)
POLEMASS_LENGTH = MASSPOLE * LENGTH
FORCE_MAG = 10.0  # N
TAU = 0.02  # s between two steps
X_THRESHOLD = 2.4  # m
THETA_THRESHOLD = 12 * 2 * math.pi / 360  # 12 degrees in radians
MAX_STEPS = 500  # CartPole-v1's time limit
N_ACTIONS = 2
STATE_DIM = 4


def cartpole_dynamics(state: torch.Tensor, force: torch.Tensor) -> torch.Tensor:
    """One Euler step of the frictionless cart-pole. state (..., 4), force (...) in N -> (..., 4).

    The accelerations are those of Gymnasium's CartPole-v1 (Barto et al. 1983 without friction)::

        temp      = (F + m_p l theta_dot^2 sin(theta)) / (m_c + m_p)
        theta_acc = (g sin(theta) - cos(theta) temp) / (l (4/3 - m_p cos^2(theta) / (m_c + m_p)))
        x_acc     = temp - m_p l theta_acc cos(theta) / (m_c + m_p)

    then positions advance with the *old* velocities and velocities with the new accelerations.
    """
    x, x_dot, theta, theta_dot = state.unbind(-1)
    cos, sin = torch.cos(theta), torch.sin(theta)
    temp = (force + POLEMASS_LENGTH * theta_dot**2 * sin) / TOTAL_MASS
    theta_acc = (GRAVITY * sin - cos * temp) / (LENGTH * (4.0 / 3.0 - MASSPOLE * cos**2 / TOTAL_MASS))
    x_acc = temp - POLEMASS_LENGTH * theta_acc * cos / TOTAL_MASS
    return torch.stack(
        [x + TAU * x_dot, x_dot + TAU * x_acc, theta + TAU * theta_dot, theta_dot + TAU * theta_acc], dim=-1
    )


def is_terminal(state: torch.Tensor) -> torch.Tensor:
    """Whether the cart left the track or the pole fell. state (..., 4) -> bool (...)."""
    return (state[..., 0].abs() > X_THRESHOLD) | (state[..., 2].abs() > THETA_THRESHOLD)


def _initial_states(n: int, generator: torch.Generator | None) -> torch.Tensor:
    """n start states, uniform in [-0.05, 0.05]^4, float64 (n, 4)."""
    return torch.rand(n, STATE_DIM, generator=generator, dtype=torch.float64) * 0.1 - 0.05


class CartPole:
    """One cart-pole environment. ``reset(generator)`` -> state (4,); ``step(action)`` ->
    ``(state (4,), reward, terminated, truncated)``. States are float32 tensors.
    """

    def __init__(self, max_steps: int = MAX_STEPS) -> None:
        self.max_steps = max_steps
        self._state: torch.Tensor | None = None  # float64 (4,)
        self.steps = 0
        self.done = True

    def reset(self, generator: torch.Generator | None = None, state: torch.Tensor | None = None) -> torch.Tensor:
        """Start a new episode from a state uniform in [-0.05, 0.05]^4 drawn with ``generator``,
        or from ``state`` (4,) when given (for experiments and tests)."""
        if state is not None:
            self._state = torch.as_tensor(state, dtype=torch.float64).clone().reshape(STATE_DIM)
        else:
            self._state = _initial_states(1, generator)[0]
        self.steps = 0
        self.done = False
        return self._state.float()

    def step(self, action: int) -> tuple[torch.Tensor, float, bool, bool]:
        """Push left (0) or right (1) for 0.02 s; return (state (4,), 1.0, terminated, truncated)."""
        if isinstance(action, torch.Tensor) and action.numel() == 1 and not action.is_floating_point():
            action = int(action)
        if isinstance(action, bool) or not isinstance(action, (int, np.integer)) or action not in (0, 1):
            raise ValueError(f"action must be 0 (push left) or 1 (push right), got {action!r}")
        if self._state is None or self.done:
            raise RuntimeError("the episode is over (or never started): call reset() before step()")
        force = torch.tensor(FORCE_MAG if action == 1 else -FORCE_MAG, dtype=torch.float64)
        self._state = cartpole_dynamics(self._state, force)
        self.steps += 1
        terminated = bool(is_terminal(self._state))
        truncated = self.steps >= self.max_steps  # the time limit, whether or not the pole fell too
        self.done = terminated or truncated
        return self._state.float(), 1.0, terminated, truncated


class VecCartPole:
    """``n`` cart-poles stepped together, each running one episode.

    ``reset(generator)`` -> states (n, 4); ``step(actions (n,))`` -> ``(states (n, 4),
    rewards (n,), terminated (n,), truncated (n,))``. An environment whose episode has ended stays
    frozen: its state no longer changes and its reward is 0, so ``rewards`` summed over time are
    the episode lengths and ``done`` (n,) tells which episodes are over. ``reset_done(generator)``
    starts new episodes in the finished environments only (for agents that keep all n running).
    """

    def __init__(self, n: int, max_steps: int = MAX_STEPS) -> None:
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        self.n = n
        self.max_steps = max_steps
        self._state = torch.zeros(n, STATE_DIM, dtype=torch.float64)
        self.steps = torch.zeros(n, dtype=torch.int64)
        self.done = torch.ones(n, dtype=torch.bool)

    def reset(self, generator: torch.Generator | None = None) -> torch.Tensor:
        """Start n new episodes; return their states (n, 4) float32."""
        self._state = _initial_states(self.n, generator)
        self.steps.zero_()
        self.done = torch.zeros(self.n, dtype=torch.bool)
        return self._state.float()

    def reset_done(self, generator: torch.Generator | None = None) -> torch.Tensor:
        """Start new episodes where ``done``; return all states (n, 4) float32."""
        new = _initial_states(self.n, generator)  # drawn for all n, so the stream does not depend on which ended
        self._state = torch.where(self.done[:, None], new, self._state)
        self.steps = torch.where(self.done, 0, self.steps)
        self.done = torch.zeros(self.n, dtype=torch.bool)
        return self._state.float()

    def step(self, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """actions (n,) of 0/1 -> states (n, 4), rewards (n,), terminated (n,), truncated (n,)."""
        actions = torch.as_tensor(actions)
        if actions.shape != (self.n,) or actions.is_floating_point() or not ((actions == 0) | (actions == 1)).all():
            raise ValueError(
                f"actions must be an integer tensor of shape ({self.n},) holding 0 (push left) or 1 "
                f"(push right), got {actions.dtype} of shape {tuple(actions.shape)}"
            )
        alive = ~self.done  # (n,)
        force = torch.where(actions.cpu() == 1, FORCE_MAG, -FORCE_MAG).to(torch.float64)  # (n,)
        new_state = cartpole_dynamics(self._state, force)
        self._state = torch.where(alive[:, None], new_state, self._state)
        self.steps += alive.long()
        terminated = alive & is_terminal(self._state)
        truncated = alive & (self.steps >= self.max_steps)
        self.done = self.done | terminated | truncated
        return self._state.float(), alive.float(), terminated, truncated


def discounted_returns(rewards: torch.Tensor, gamma: float, bootstrap: torch.Tensor | float = 0.0) -> torch.Tensor:
    """G_t = r_t + gamma * G_{t+1}, computed backwards. rewards (T,) or (T, N) -> same shape.

    Time is the first dimension; ``bootstrap`` (a number, or (N,)) is the value of the state after
    the last step: 0 where the episode terminated there, an estimate of the return still to come
    where it was only truncated (a time limit).
    """
    returns = torch.zeros_like(rewards)
    running = torch.zeros_like(rewards[0]) + torch.as_tensor(bootstrap, dtype=rewards.dtype)
    for t in range(rewards.shape[0] - 1, -1, -1):
        running = rewards[t] + gamma * running
        returns[t] = running
    return returns


class ReplayBuffer:
    """A fixed-size memory of transitions (s, a, r, s', terminated) for DQN; the oldest is overwritten.

    ``push`` stores one transition (state (4,), int, float, state (4,), bool); ``sample(B, generator)``
    returns tensors states (B, 4), actions (B,), rewards (B,), next_states (B, 4), terminated (B,),
    drawn uniformly with replacement.
    """

    def __init__(self, capacity: int, state_dim: int = STATE_DIM) -> None:
        self.capacity = capacity
        self.states = torch.zeros(capacity, state_dim)
        self.actions = torch.zeros(capacity, dtype=torch.int64)
        self.rewards = torch.zeros(capacity)
        self.next_states = torch.zeros(capacity, state_dim)
        self.terminated = torch.zeros(capacity, dtype=torch.bool)
        self.size = 0
        self._next = 0

    def __len__(self) -> int:
        return self.size

    def push(self, state: torch.Tensor, action: int, reward: float, next_state: torch.Tensor, terminated: bool) -> None:
        """Store one transition, overwriting the oldest once the buffer is full."""
        i = self._next
        self.states[i], self.actions[i], self.rewards[i] = state, action, reward
        self.next_states[i], self.terminated[i] = next_state, terminated
        self._next = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, ...]:
        """batch_size transitions drawn uniformly: (states, actions, rewards, next_states, terminated)."""
        if self.size == 0:
            raise ValueError("cannot sample from an empty replay buffer: push transitions first")
        idx = torch.randint(self.size, (batch_size,), generator=generator)
        return self.states[idx], self.actions[idx], self.rewards[idx], self.next_states[idx], self.terminated[idx]


@torch.no_grad()
def episode_returns(
    policy: Callable[[torch.Tensor], torch.Tensor],
    episodes: int,
    generator: torch.Generator | None = None,
    max_steps: int = MAX_STEPS,
    env: VecCartPole | VecFromGymnasium | None = None,
) -> torch.Tensor:
    """Play ``policy`` (states (n, 4) -> actions (n,)) on ``episodes`` fresh cart-poles at once.

    ``env`` (with ``env.n == episodes``) replaces the book's :class:`VecCartPole`, e.g. a
    :class:`VecFromGymnasium`. Returns each episode's length (= its undiscounted return), float (episodes,).
    """
    env = VecCartPole(episodes, max_steps) if env is None else env
    if env.n != episodes:
        raise ValueError(f"env runs {env.n} episodes at once, but episodes={episodes}")
    states = env.reset(generator)
    lengths = torch.zeros(episodes)
    while not env.done.all():
        states, rewards, _, _ = env.step(policy(states))
        lengths += rewards
    return lengths


def moving_average(values: list[float] | np.ndarray | torch.Tensor, window: int) -> np.ndarray:
    """Mean of the last ``window`` values at each position (fewer at the start): (T,) -> (T,)."""
    v = np.asarray(values, dtype=np.float64)
    csum = np.concatenate([[0.0], np.cumsum(v)])
    idx = np.arange(1, len(v) + 1)
    start = np.maximum(idx - window, 0)
    return (csum[idx] - csum[start]) / (idx - start)


def _seed_from(generator: torch.Generator | None) -> int | None:
    """A seed for Gymnasium's ``reset(seed=...)`` drawn from ``generator`` (None: unseeded)."""
    return None if generator is None else int(torch.randint(2**31 - 1, (), generator=generator))


class FromGymnasium:
    """A Gymnasium environment (e.g. ``gymnasium.make("CartPole-v1")``) behind :class:`CartPole`'s interface.

    ``reset(generator)`` calls ``env.reset(seed=s)`` with a seed ``s`` drawn from ``generator`` (so
    a seeded generator makes every episode reproducible) and returns the observation (4,) as a
    float32 tensor; ``step(action)`` returns ``(state (4,), reward, terminated, truncated)``.
    """

    def __init__(self, env: Any) -> None:
        self.env = env
        self.steps = 0
        self.done = True
        self.last_seed: int | None = None

    def reset(self, generator: torch.Generator | None = None) -> torch.Tensor:
        """Start a new episode with ``env.reset(seed=...)``; return the state (4,) float32."""
        self.last_seed = _seed_from(generator)
        obs, _ = self.env.reset(seed=self.last_seed)
        self.steps, self.done = 0, False
        return torch.as_tensor(obs, dtype=torch.float32)

    def step(self, action: int | torch.Tensor) -> tuple[torch.Tensor, float, bool, bool]:
        """One step of the wrapped environment: (state (4,) float32, reward, terminated, truncated)."""
        if self.done:
            raise RuntimeError("the episode is over (or never started): call reset() before step()")
        obs, reward, terminated, truncated, _ = self.env.step(int(action))
        self.steps += 1
        self.done = bool(terminated or truncated)
        return torch.as_tensor(obs, dtype=torch.float32), float(reward), bool(terminated), bool(truncated)


class VecFromGymnasium:
    """``len(envs)`` Gymnasium environments behind :class:`VecCartPole`'s interface (frozen when done).

    ``reset(generator)`` -> states (n, 4); ``step(actions (n,))`` -> ``(states (n, 4), rewards (n,),
    terminated (n,), truncated (n,))``; ``reset_done(generator)`` restarts the finished ones. The
    environments are stepped one after the other in Python (Gymnasium's own vector environments
    reset finished episodes automatically, which this interface does not want).
    """

    def __init__(self, envs: Sequence[Any]) -> None:
        if len(envs) < 1:
            raise ValueError("VecFromGymnasium needs at least one environment")
        self.envs = [FromGymnasium(e) for e in envs]
        self.n = len(self.envs)
        self._states = torch.zeros(self.n, STATE_DIM)
        self.done = torch.ones(self.n, dtype=torch.bool)

    @property
    def steps(self) -> torch.Tensor:
        """Steps taken in each environment's current episode, int64 (n,)."""
        return torch.tensor([e.steps for e in self.envs])

    def reset(self, generator: torch.Generator | None = None) -> torch.Tensor:
        """Start n new episodes; return their states (n, 4) float32."""
        self._states = torch.stack([e.reset(generator) for e in self.envs])
        self.done = torch.zeros(self.n, dtype=torch.bool)
        return self._states.clone()

    def reset_done(self, generator: torch.Generator | None = None) -> torch.Tensor:
        """Start new episodes where ``done``; return all states (n, 4) float32."""
        for i in torch.nonzero(self.done).flatten().tolist():
            self._states[i] = self.envs[i].reset(generator)
        self.done = torch.zeros(self.n, dtype=torch.bool)
        return self._states.clone()

    def step(self, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """actions (n,) of 0/1 -> states (n, 4), rewards (n,), terminated (n,), truncated (n,)."""
        actions = torch.as_tensor(actions)
        if actions.shape != (self.n,) or actions.is_floating_point():
            raise ValueError(
                f"actions must be an integer tensor of shape ({self.n},), got {actions.dtype} "
                f"of shape {tuple(actions.shape)}"
            )
        rewards = torch.zeros(self.n)
        terminated = torch.zeros(self.n, dtype=torch.bool)
        truncated = torch.zeros(self.n, dtype=torch.bool)
        for i, env in enumerate(self.envs):
            if not self.done[i]:
                self._states[i], rewards[i], terminated[i], truncated[i] = env.step(int(actions[i]))
        self.done = self.done | terminated | truncated
        return self._states.clone(), rewards, terminated, truncated
