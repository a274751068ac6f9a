"""torchbook.distributed: a real 2-process torchrun job on the CPU (gloo, loopback only)."""

import pytest
import torch

from torchbook import distributed


def test_config_is_checked():
    with pytest.raises(ValueError, match="strategy"):
        distributed.DistConfig(strategy="zero")
    with pytest.raises(ValueError, match="backend"):
        distributed.DistConfig(backend="mpi")


def test_cli_round_trip():
    cfg = distributed.DistConfig(out="x", batch=8, accum=2, strategy="fsdp")
    args = distributed.cli_args(cfg)
    assert args[:2] == ["--out", "x"] and "--data" not in args
    cmd = distributed.torchrun_command(2, args)
    assert cmd[1:3] == ["-m", "torch.distributed.run"] and "--nproc-per-node=2" in cmd
    assert "--rdzv-endpoint=node0:29500" in distributed.multinode_command(2, 8, "node0:29500", "job1", args)
    full = distributed.DistConfig(out="y", resume=True, fail_epoch=1, lr=0.1)
    assert distributed.parse_args(distributed.cli_args(full)) == full  # flags, None and numbers round-trip
    assert distributed.parse_args(distributed.cli_args(cfg)) == cfg
    restart = distributed.multinode_command(2, 8, "node0:29500", "job1", ["--resume"], max_restarts=3)
    assert restart.startswith("TORCH_DISABLE_SHARE_RDZV_TCP_STORE=1 torchrun") and "--max-restarts=3" in restart
    assert "--max-restarts=1" in distributed.torchrun_command(2, args, max_restarts=1)
    with pytest.raises(ValueError, match="resume"):
        distributed.DistConfig(strategy="fsdp", resume=True)


def test_choose_backend_on_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert distributed.choose_backend("auto", 2) == "gloo"
    assert distributed.choose_backend("nccl", 2) == "nccl"


def test_local_bytes_counts_plain_tensors():
    assert distributed.local_bytes([torch.zeros(3, 4), torch.zeros(5, dtype=torch.float16)]) == 48 + 10


def test_single_process_accumulation_equals_large_batch(tmp_path, monkeypatch):
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    big = distributed.train(distributed.DistConfig(out=str(tmp_path / "big"), batch=64))
    acc = distributed.train(distributed.DistConfig(out=str(tmp_path / "acc"), batch=32, accum=2))
    assert big["steps"] == acc["steps"] == 8 and big["seen"] == acc["seen"]
    diff = distributed.max_difference(
        distributed.load_weights(tmp_path / "big"), distributed.load_weights(tmp_path / "acc")
    )
    assert diff < 1e-6


def test_two_process_ddp_with_no_sync_equals_one_process(tmp_path, monkeypatch):
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    one = distributed.train(distributed.DistConfig(out=str(tmp_path / "one"), batch=64))
    # 2 processes x 2 micro-batches of 16 = 64 examples per step; no_sync skips the first all-reduce
    records = distributed.launch(
        distributed.DistConfig(out=str(tmp_path / "ddp"), batch=16, accum=2), nproc=2, timeout=60
    )  # bounded: a hung rendezvous fails the test
    assert [r["rank"] for r in records] == [0, 1] and {r["world_size"] for r in records} == {2}
    assert {r["backend"] for r in records} == {"gloo"} and {r["steps"] for r in records} == {8}
    shards = [set(r["seen"]) for r in records]
    assert not shards[0] & shards[1] and shards[0] | shards[1] == set(one["seen"])  # disjoint halves
    assert records[0]["param_bytes"] == records[0]["full_param_bytes"]  # DDP: a full replica per rank
    diff = distributed.max_difference(
        distributed.load_weights(tmp_path / "one"), distributed.load_weights(tmp_path / "ddp")
    )
    assert diff < 1e-6


def test_resume_needs_the_optimizer_state(tmp_path, monkeypatch):
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "TORCHELASTIC_RESTART_COUNT"):
        monkeypatch.delenv(name, raising=False)
    cfg = distributed.DistConfig(out=str(tmp_path / "full"), epochs=2, batch=64)
    distributed.train(cfg)
    full = distributed.load_weights(cfg.out)
    # one epoch, then a second run that resumes from state.pt: the same weights as two epochs at once
    distributed.train(distributed.DistConfig(out=str(tmp_path / "res"), epochs=1, batch=64))
    state = distributed.load_state(tmp_path / "res")
    assert state["epoch"] == 1 and set(state) == {"model", "optimizer", "epoch", "rng"}
    record = distributed.train(distributed.DistConfig(out=str(tmp_path / "res"), epochs=2, batch=64, resume=True))
    assert record["start_epoch"] == 1 and record["steps"] == 8
    assert distributed.max_difference(distributed.load_weights(tmp_path / "res"), full) < 1e-6
    # the broken variant: weights without the momentum buffers resume a different run
    distributed.train(distributed.DistConfig(out=str(tmp_path / "bad"), epochs=1, batch=64))
    state = distributed.load_state(tmp_path / "bad")
    state["optimizer"]["state"] = {}
    distributed.save_state(tmp_path / "bad" / distributed.STATE, state)
    distributed.train(distributed.DistConfig(out=str(tmp_path / "bad"), epochs=2, batch=64, resume=True))
    assert distributed.max_difference(distributed.load_weights(tmp_path / "bad"), full) > 1e-3


def test_torchrun_restarts_a_failed_worker_and_the_job_resumes(tmp_path, monkeypatch):
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    cfg = distributed.DistConfig(out=str(tmp_path / "plain"), epochs=2, batch=32)
    distributed.launch(cfg, nproc=2, timeout=120)
    failing = distributed.DistConfig(out=str(tmp_path / "restarted"), epochs=2, batch=32, resume=True, fail_epoch=1)
    with pytest.raises(RuntimeError, match="exited with"):  # without --max-restarts the job fails
        distributed.launch(failing, nproc=2, timeout=120)
    records = distributed.launch(failing, nproc=2, timeout=180, max_restarts=1)  # resumes from epoch 1's state
    assert [(r["restart"], r["start_epoch"], r["steps"]) for r in records] == [(1, 1, 8), (1, 1, 8)]
    events = distributed.read_events(tmp_path / "restarted")
    assert "attempt 0 rank 1 fails at the start of epoch 1 (exit code 1)" in events
    assert events[-2:] == ["attempt 1 rank 1 starts at epoch 1 (state.pt loaded)", "attempt 1 rank 1 finishes epoch 1"]
    diff = distributed.max_difference(
        distributed.load_weights(tmp_path / "restarted"), distributed.load_weights(tmp_path / "plain")
    )
    assert diff < 1e-6
