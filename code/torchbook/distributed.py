"""Data-parallel training for real: one script, started by ``torchrun`` (page 8.3).

    torchrun --standalone --nproc_per_node=2 -m torchbook.distributed --out runs/ddp --batch 32
    python -m torchbook.distributed --out runs/one --batch 64          # one process, no torchrun
    TORCH_DISABLE_SHARE_RDZV_TCP_STORE=1 torchrun --standalone --nproc_per_node=2 --max-restarts=3 \
        -m torchbook.distributed --out runs/ddp --resume                # survives a failed worker

Every process runs :func:`main`. ``torchrun`` tells each one who it is through environment
variables (``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``/``MASTER_PORT``); without
them the script trains alone. The backend is NCCL when there is one CUDA device per process on
the node, else gloo on the CPU: the same script runs on a laptop and on a GPU node.
What it shows, in order: ``init_process_group``; ``DistributedSampler`` and ``set_epoch``;
wrapping with ``DistributedDataParallel`` or FSDP2's ``fully_shard``; gradient accumulation
with ``no_sync`` (DDP) or ``set_requires_gradient_sync`` (FSDP2); a checkpoint written by
rank 0 only; ``destroy_process_group``. Each rank also writes ``rank{r}.json`` (what it saw and
held), so a notebook or a test can compare runs.

Restarts: after every epoch rank 0 writes the training state, ``state.pt`` (model, optimizer
state, epochs done, every rank's random-number state), atomically. torchrun's
``--max-restarts`` restarts the worker processes of a failed job, and they run this script
from the top; with ``--resume`` each loads ``state.pt`` and continues from the next epoch
(``DistributedSampler.set_epoch`` gives that epoch the same order as in an uninterrupted run).
``--fail-epoch E`` makes the last rank exit with code 1 when epoch E starts on the first
attempt, to show it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import time
import typing
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

from torchbook.models import MLP


@dataclass(frozen=True)
class DistConfig:
    """One training run; ``batch`` is per process and per micro-batch (``accum`` of them a step)."""

    out: str = "runs/dist"
    data: str | None = None  # a .pt file {"X": (N, 1, 28, 28) float, "y": (N,) long}; None = synthetic
    epochs: int = 1
    batch: int = 32
    accum: int = 1  # micro-batches per optimizer step (gradient accumulation)
    lr: float = 0.05
    seed: int = 0
    strategy: str = "ddp"  # "ddp" or "fsdp" (FSDP2, torch.distributed.fsdp.fully_shard)
    backend: str = "auto"  # "auto" (nccl if a GPU per process, else gloo), "gloo" or "nccl"
    resume: bool = False  # continue from out/state.pt when it exists (what a restarted worker needs)
    fail_epoch: int | None = None  # demonstration: the last rank exits when this epoch starts, first attempt only

    def __post_init__(self) -> None:
        if self.strategy not in ("ddp", "fsdp"):
            raise ValueError(f"strategy must be 'ddp' or 'fsdp', got {self.strategy!r}")
        if self.resume and self.strategy == "fsdp":
            raise ValueError(
                "resume is for ddp (and one process); FSDP2 saves shards with torch.distributed.checkpoint"
            )
        if self.backend not in ("auto", "gloo", "nccl"):
            raise ValueError(f"backend must be 'auto', 'gloo' or 'nccl', got {self.backend!r}")
        if self.batch < 1 or self.accum < 1 or self.epochs < 1:
            raise ValueError("batch, accum and epochs must be at least 1")


def synthetic_data(n: int = 512, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A learnable stand-in for MNIST: X (n, 1, 28, 28), y (n,) = class of the nearest of 10 prototypes."""
    gen = torch.Generator().manual_seed(seed)
    prototypes = torch.randn(10, 784, generator=gen)
    y = torch.randint(0, 10, (n,), generator=gen)
    X = prototypes[y] + 2.0 * torch.randn(n, 784, generator=gen)
    return X.view(n, 1, 28, 28), y


def choose_backend(requested: str, world_size: int) -> str:
    """``nccl`` when asked, or for ``auto`` when this node has a CUDA device per process; else ``gloo``."""
    if requested != "auto":
        return requested
    return "nccl" if torch.cuda.is_available() and torch.cuda.device_count() >= world_size else "gloo"


def local_bytes(tensors: Sequence[torch.Tensor]) -> int:
    """Bytes this process stores for ``tensors``: a sharded DTensor counts only its local shard."""
    total = 0
    for t in tensors:
        local = t.to_local() if hasattr(t, "to_local") else t
        total += local.numel() * local.element_size()
    return total


def _optimizer_bytes(optimizer: torch.optim.Optimizer) -> int:
    return local_bytes([v for state in optimizer.state.values() for v in state.values() if torch.is_tensor(v)])


STATE = "state.pt"  # the training state written after every epoch


def restart_count() -> int:
    """How many times torchrun has restarted this worker group (``TORCHELASTIC_RESTART_COUNT``; 0 without torchrun)."""
    return int(os.environ.get("TORCHELASTIC_RESTART_COUNT", 0))


def save_state(path: str | Path, state: dict[str, Any]) -> None:
    """``torch.save(state, path)`` atomically: a crash while writing leaves the previous file intact."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)  # atomic on POSIX and Windows


def log_event(out: str | Path, text: str) -> None:
    """Append ``attempt <restart> rank <rank> <text>`` to ``out/events.log``: the job's history across restarts."""
    rank = int(os.environ.get("RANK", 0))
    with open(Path(out) / "events.log", "a") as f:
        f.write(f"attempt {restart_count()} rank {rank} {text}\n")


def read_events(out: str | Path) -> list[str]:
    """The lines of ``out/events.log`` ordered by attempt, then rank (each rank's lines in its own order)."""
    lines = (Path(out) / "events.log").read_text().splitlines()
    return sorted(lines, key=lambda line: (int(line.split()[1]), int(line.split()[3])))


def load_state(out: str | Path) -> dict[str, Any] | None:
    """The training state in ``out`` (keys ``model``, ``optimizer``, ``epoch``, ``rng``), or None."""
    path = Path(out) / STATE
    return torch.load(path, weights_only=True) if path.is_file() else None


def train(cfg: DistConfig) -> dict[str, Any]:
    """Train an MLP as one rank of a (possibly 1-process) job; return and write this rank's record."""
    distributed = "WORLD_SIZE" in os.environ  # set by torchrun for every process it starts
    rank = int(os.environ.get("RANK", 0))
    local_rank = int(os.environ.get("LOCAL_RANK", 0))  # the process's index on its own node
    world_size = int(os.environ.get("WORLD_SIZE", 1))
    backend = choose_backend(cfg.backend, int(os.environ.get("LOCAL_WORLD_SIZE", world_size)))
    if backend == "nccl":
        torch.cuda.set_device(local_rank)  # before init: each process owns one GPU of its node
        device = torch.device("cuda", local_rank)
    else:
        device = torch.device("cpu")
    if distributed:
        dist.init_process_group(backend=backend)  # reads MASTER_ADDR/PORT, RANK, WORLD_SIZE
    try:
        record = _train(cfg, rank, local_rank, world_size, backend, device, distributed)
    finally:
        if distributed:
            dist.destroy_process_group()
    return record


def _train(
    cfg: DistConfig, rank: int, local_rank: int, world_size: int, backend: str, device: torch.device, distributed: bool
) -> dict[str, Any]:
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    if cfg.data is None:
        X, y = synthetic_data(seed=cfg.seed)
    else:
        blob = torch.load(cfg.data, weights_only=True)
        X, y = blob["X"], blob["y"]
    dataset = TensorDataset(X, y)
    # Every rank shuffles with the same seed + epoch and keeps every world_size-th index from its rank on.
    sampler = DistributedSampler(
        dataset, num_replicas=world_size, rank=rank, shuffle=True, seed=cfg.seed, drop_last=True
    )
    loader = DataLoader(dataset, batch_size=cfg.batch, sampler=sampler, drop_last=True)

    torch.manual_seed(cfg.seed)  # the same initial weights on every rank (DDP also broadcasts rank 0's)
    model: nn.Module = MLP().to(device)
    full_param_bytes = local_bytes(list(model.parameters()))
    inner = model  # the plain model, whatever wraps it below
    state = load_state(out) if cfg.resume else None  # every rank reads the same file
    if state is not None:
        model.load_state_dict(state["model"])
    if distributed and cfg.strategy == "ddp":
        from torch.nn.parallel import DistributedDataParallel as DDP

        model = DDP(model, device_ids=[local_rank] if device.type == "cuda" else None)
    elif distributed and cfg.strategy == "fsdp":
        from torch.distributed.fsdp import fully_shard

        for layer in (model.fc1, model.fc2):
            fully_shard(layer)  # each layer's parameters are gathered just before it runs
        fully_shard(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    start_epoch = 0
    if state is not None:  # weights alone are not the run: momentum and the epoch are part of it
        optimizer.load_state_dict(state["optimizer"])
        start_epoch = state["epoch"]
        if rank < len(state["rng"]):
            torch.set_rng_state(state["rng"][rank])
    log_event(out, f"starts at epoch {start_epoch}" + (" (state.pt loaded)" if state is not None else ""))

    losses: list[float] = []
    seen: list[int] = []  # the dataset indices this rank trained on, in order
    start = time.perf_counter()
    for epoch in range(start_epoch, cfg.epochs):
        if cfg.fail_epoch == epoch and rank == world_size - 1 and restart_count() == 0:
            log_event(out, f"fails at the start of epoch {epoch} (exit code 1)")
            print(f"rank {rank}: simulated failure at the start of epoch {epoch}", file=sys.stderr, flush=True)
            os._exit(1)  # like a process the system kills: no clean-up, no goodbye to the other ranks
        sampler.set_epoch(epoch)  # without it every epoch repeats epoch 0's order
        seen.extend(list(sampler))
        for i, (Xb, yb) in enumerate(loader):
            Xb, yb = Xb.to(device), yb.to(device)
            last_micro = (i + 1) % cfg.accum == 0
            with _no_sync(model, distributed and not last_micro):
                loss = loss_fn(model(Xb), yb) / cfg.accum  # mean over the accum micro-batches of a step
                loss.backward()
            losses.append(loss.item() * cfg.accum)
            if last_micro:
                optimizer.step()
                optimizer.zero_grad(set_to_none=False)  # keep gradient tensors to measure them
        if cfg.strategy == "ddp" or not distributed:
            _save_training_state(out, inner, optimizer, epoch + 1, rank, distributed)
    seconds = time.perf_counter() - start
    log_event(out, f"finishes epoch {cfg.epochs - 1}")

    record = {
        "rank": rank,
        "local_rank": local_rank,
        "world_size": world_size,
        "backend": backend,
        "device": str(device),
        "strategy": cfg.strategy if distributed else "single",
        "host": platform.node(),
        "restart": restart_count(),
        "start_epoch": start_epoch,
        "steps": len(losses) // cfg.accum,
        "losses": losses,
        "seen": seen,
        "full_param_bytes": full_param_bytes,
        "param_bytes": local_bytes(list(model.parameters())),
        "grad_bytes": local_bytes([p.grad for p in model.parameters() if p.grad is not None]),
        "optimizer_bytes": _optimizer_bytes(optimizer),
        "seconds": seconds,
        "config": asdict(cfg),
    }
    state = _full_state_dict(model, cfg.strategy if distributed else "single")  # a collective for FSDP
    if rank == 0:  # one writer: every rank holds the same weights (DDP) or rank 0 gathered them
        torch.save(state, out / "checkpoint.pt")
    (out / f"rank{rank}.json").write_text(json.dumps(record))
    if distributed:
        dist.barrier()  # nobody leaves before the checkpoint and every record are written
    return record


def _save_training_state(
    out: Path, model: nn.Module, optimizer: torch.optim.Optimizer, epochs_done: int, rank: int, distributed: bool
) -> None:
    """Rank 0 writes ``out/state.pt`` after an epoch; every rank waits until it is on disk (DDP, one process)."""
    rng = [torch.get_rng_state()]
    if distributed:  # every rank's generator, so that each resumes its own random stream
        rng = [torch.empty(0, dtype=torch.uint8)] * dist.get_world_size()
        dist.all_gather_object(rng, torch.get_rng_state())
    if rank == 0:  # DDP: the same weights and optimizer state on every rank, one writer
        state = {
            "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
            "optimizer": optimizer.state_dict(),
            "epoch": epochs_done,
            "rng": rng,
        }
        save_state(out / STATE, state)
    if distributed:
        dist.barrier()  # a failure after this line finds the whole epoch saved


def _no_sync(model: nn.Module, skip_sync: bool) -> contextlib.AbstractContextManager[None]:
    """Inside: backward accumulates local gradients without communicating (DDP or FSDP2)."""
    if not skip_sync:
        return contextlib.nullcontext()
    if hasattr(model, "no_sync"):  # DDP
        return model.no_sync()
    return _fsdp_no_sync(model)


@contextlib.contextmanager
def _fsdp_no_sync(model: nn.Module):  # type: ignore[no-untyped-def]
    model.set_requires_gradient_sync(False)  # type: ignore[operator]  # FSDP2's counterpart of no_sync
    try:
        yield
    finally:
        model.set_requires_gradient_sync(True)  # type: ignore[operator]


def _full_state_dict(model: nn.Module, strategy: str) -> dict[str, torch.Tensor]:
    """The whole model's weights as plain CPU tensors, keys as in ``MLP().state_dict()``."""
    if strategy == "fsdp":
        from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

        return get_model_state_dict(model, options=StateDictOptions(full_state_dict=True, cpu_offload=True))
    inner = model.module if hasattr(model, "module") else model  # DDP wraps the model
    return {k: v.detach().cpu() for k, v in inner.state_dict().items()}


# ----------------------------------------------------------------------------- launching


#: In torchrun's environment when workers may be restarted: each attempt then gets a fresh store
#: and port. With the store shared across attempts (torch 2.14's default), restarted gloo workers
#: can read the dead workers' addresses and fail to connect (pytorch/pytorch#135712).
RESTART_ENV = {"TORCH_DISABLE_SHARE_RDZV_TCP_STORE": "1"}


def torchrun_command(nproc: int, args: Sequence[str], nnodes: int = 1, max_restarts: int = 0) -> list[str]:
    """The ``torchrun`` command line (as ``python -m torch.distributed.run``) for this module.

    One node: ``--standalone`` (a local rendezvous on a free port). Several nodes need
    ``--rdzv-backend/--rdzv-endpoint/--rdzv-id`` instead; see :func:`multinode_command`.
    ``max_restarts`` > 0 lets torchrun restart all workers that many times after a failure (run
    it with :data:`RESTART_ENV` in the environment, and the script with ``--resume``).
    """
    restarts = [f"--max-restarts={max_restarts}"] if max_restarts else []
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nnodes={nnodes}",
        f"--nproc-per-node={nproc}",
        *restarts,
        "-m",
        "torchbook.distributed",
        *args,
    ]


def multinode_command(
    nnodes: int, nproc: int, endpoint: str, job_id: str, args: Sequence[str], max_restarts: int = 0
) -> str:
    """The command to type on *each* of ``nnodes`` machines; ``endpoint`` is ``host:port`` of one of them.

    With ``max_restarts`` it allows that many restarts and sets :data:`RESTART_ENV` before torchrun.
    """
    env = [f"{k}={v}" for k, v in RESTART_ENV.items()] if max_restarts else []
    restarts = [f"--max-restarts={max_restarts}"] if max_restarts else []
    return " ".join(
        [
            *env,
            "torchrun",
            f"--nnodes={nnodes}",
            f"--nproc-per-node={nproc}",
            *restarts,
            "--rdzv-backend=c10d",
            f"--rdzv-endpoint={endpoint}",
            f"--rdzv-id={job_id}",
            "-m",
            "torchbook.distributed",
            *args,
        ]
    )


def cli_args(cfg: DistConfig) -> list[str]:
    """``cfg`` as this module's command-line arguments (a true flag as ``--resume``, None left out)."""
    args = []
    for key, value in asdict(cfg).items():
        flag = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            args += [flag] if value else []
        elif value is not None:
            args += [flag, str(value)]
    return args


def loopback_env() -> dict[str, str]:
    """This process's environment for a job of local processes: one thread each, gloo over loopback."""
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("MASTER_ADDR", "127.0.0.1")
    if sys.platform.startswith("linux"):
        env.setdefault("GLOO_SOCKET_IFNAME", "lo")  # gloo over loopback, never a real network
    return env


def launch(cfg: DistConfig, nproc: int = 2, timeout: float = 120.0, max_restarts: int = 0) -> list[dict[str, Any]]:
    """Run ``cfg`` as ``nproc`` processes on this machine (loopback only); return the rank records.

    ``max_restarts``: torchrun restarts all workers up to that many times after a failure; the
    records are those of the last attempt. Raises ``RuntimeError`` with the job's output when it
    fails, ``subprocess.TimeoutExpired`` when it takes longer than ``timeout`` seconds.
    """
    env = loopback_env()
    if max_restarts:
        env.update(RESTART_ENV)
    for stale in Path(cfg.out).glob("rank*.json"):
        stale.unlink()
    done = subprocess.run(
        torchrun_command(nproc, cli_args(cfg), max_restarts=max_restarts),
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"torchrun exited with {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return [json.loads((Path(cfg.out) / f"rank{r}.json").read_text()) for r in range(nproc)]


def load_weights(out: str | Path) -> dict[str, torch.Tensor]:
    """The checkpoint rank 0 wrote into ``out``."""
    return torch.load(Path(out) / "checkpoint.pt", weights_only=True)


def max_difference(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    """The largest absolute difference between two state dicts with the same keys and shapes."""
    if a.keys() != b.keys():
        raise ValueError(f"different keys: {sorted(a)} vs {sorted(b)}")
    return max((a[k].float() - b[k].float()).abs().max().item() for k in a)


def parse_args(argv: Sequence[str] | None = None) -> DistConfig:
    """A :class:`DistConfig` from this module's command line (the inverse of :func:`cli_args`)."""
    parser = argparse.ArgumentParser(prog="python -m torchbook.distributed", description=__doc__.split("\n")[0])
    hints = typing.get_type_hints(DistConfig)
    for f in fields(DistConfig):
        flag = "--" + f.name.replace("_", "-")
        if hints[f.name] is bool:
            parser.add_argument(flag, action="store_true", default=f.default)
        else:
            kind = int if hints[f.name] in (int, int | None) else float if hints[f.name] is float else str
            parser.add_argument(flag, type=kind, default=f.default)
    return DistConfig(**vars(parser.parse_args(argv)))


def main(argv: list[str] | None = None) -> int:
    """Parse the command line into a :class:`DistConfig` and train as this process's rank."""
    cfg = parse_args(argv)
    record = train(cfg)
    if record["rank"] == 0:
        last = f", last loss {record['losses'][-1]:.4f}" if record["losses"] else ""
        print(
            f"rank 0 of {record['world_size']} ({record['backend']}, {record['strategy']}): "
            f"epochs {record['start_epoch']}-{cfg.epochs - 1}, {record['steps']} steps{last}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
