"""From the articles' loop to the fast path, one step at a time, measured side by side in one run.

    python bench/bench.py --device cuda --epochs 5 --out bench/reports/gpu --speedrun 5 --airbench 5
    OMP_NUM_THREADS=1 python bench/bench.py --device cpu --epochs 2 --limit 5000 --test-limit 2000 --repeats 9 --out bench/reports/cpu

For each model (the articles' LeNet on CIFAR-10, article 002; the MLP on MNIST, article 001) it
trains one fresh, identically seeded model per row, for 1 warm-up epoch + ``--epochs`` timed
epochs, and reports the median epoch time, the speed-up over row (a) and the final test accuracy.
With ``--repeats K`` every row is measured K times, in K rounds that each run all the rows once
(interleaved, so a change of the machine's load hits every row alike); the report keeps each
round's time, and ``torchbook.benchreport.speedup`` turns two rows into a speed-up with a t
interval, paired by round:

  a    the articles' loop: DataLoader, per-sample ToTensor, batch 64, loss.item() every step
  a4   the same with DataLoader(num_workers=4)
  b1   data held on the device as uint8 (fast.DeviceLoader), normalised there; batch 64, .item() per step
  b2   + batch 512, learning rate scaled (Adam: x sqrt(8), square-root rule; SGD: x 8, linear rule)
  b3   + no per-step sync: loss and accuracy summed on the device, read once per epoch (training.fit)
  b4   + bf16 autocast and channels_last (channels_last for LeNet only: the MLP has no conv)
  b5   + torch.compile(mode="reduce-overhead"): CUDA graphs of the model's forward and backward;
       loss, zero_grad and optimizer.step() stay eager (CUDA only)
  b6   + fused optimizer step (Adam/SGD fused=True: one operation updates all parameters); on a
       CPU, where b5 is skipped, b6 is b4 + fused

Every epoch is timed between two device synchronisations; an epoch of the fast rows includes
its shuffling and augmentation; the one-off upload of the data set to the device is reported
apart (setup_s). ``--airbench K`` times the peer, airbench94 from PyPI (``pip install
airbench==0.1.8``; CUDA only), K runs in the same process as the speed run, on the same
prepared data (airbench reads ``cifar10/{train,test}.pt``, the layout ``torchbook.data``
prepares). Writes ``<out>.json`` and ``<out>.md`` and prints the table.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader

from torchbook import benchreport, data, fast, models, runtime, speedrun, training

REPO = Path(__file__).resolve().parents[1]

ROWS = ("a", "a4", "b1", "b2", "b3", "b4", "b5", "b6")
DESCRIPTIONS = {
    "a": "articles' loop: DataLoader + ToTensor, batch 64, .item() per step",
    "a4": "(a) with num_workers=4",
    "b1": "data on the device (uint8), batch 64, .item() per step",
    "b2": "+ batch 512, lr scaled",
    "b3": "+ no per-step sync (metrics summed on the device)",
    "b4": "+ bf16 autocast + channels_last",
    "b5": "+ torch.compile(mode='reduce-overhead') (CUDA graphs)",
    "b6": "+ fused optimizer step",
}
GPU_ONLY = {"b5"}


@dataclass(frozen=True)
class Task:
    """A model, its data set and the article's optimiser."""

    name: str
    dataset: str
    make_model: Callable[[], nn.Module]
    make_optimizer: Callable[..., torch.optim.Optimizer]
    lr: float
    lr_rule: str  # how the rate grows with the batch: "sqrt" (Adam) or "linear" (SGD)
    mean: tuple[float, ...]
    std: tuple[float, ...]
    input_shape: tuple[int, ...]


TASKS = {
    "lenet": Task(
        "LeNet (article 002)",
        "cifar10",
        models.LeNet,
        lambda params, lr, **kw: torch.optim.Adam(params, lr=lr, **kw),
        1e-3,
        "sqrt",
        data.CIFAR10_MEAN,
        data.CIFAR10_STD,
        (3, 32, 32),
    ),
    "mlp": Task(
        "MLP (article 001)",
        "mnist",
        models.MLP,
        lambda params, lr, **kw: torch.optim.SGD(params, lr=lr, momentum=0.9, **kw),
        0.01,
        "linear",
        data.MNIST_MEAN,
        data.MNIST_STD,
        (1, 28, 28),
    ),
}


@dataclass
class Row:
    """One measured configuration."""

    task: str
    row: str
    description: str
    batch_size: int | None = None
    lr: float | None = None
    epoch_s: list[list[float]] = field(default_factory=list)  # per repeat: warm-up epoch, timed epochs
    repeat_s: list[float] = field(default_factory=list)  # per repeat: median of its timed epochs
    median_s: float | None = None  # median of repeat_s
    setup_s: float | None = None
    test_acc: float | None = None  # of the first repeat (every repeat starts from the same seed)
    test_accs: list[float] = field(default_factory=list)
    train_loss: float | None = None
    speedup: float | None = None
    skipped: str | None = None
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------- the articles' loop


def article_train_epoch(
    model: nn.Module, loader: Any, loss_fn: nn.Module, optimizer: torch.optim.Optimizer, device: torch.device
) -> float:
    """Article 001's loop: inputs moved per batch, ``running_loss += loss.item()`` every step."""
    model.train()
    running_loss = 0.0
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = loss_fn(outputs, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()  # waits for the device every step
    return running_loss / len(loader)


@torch.no_grad()
def article_accuracy(model: nn.Module, loader: Any, device: torch.device) -> float:
    """Article 001's test loop: ``correct += (predicted == labels).sum().item()`` per batch."""
    model.eval()
    correct = total = 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        predicted = model(images).argmax(1)
        total += labels.size(0)
        correct += (predicted == labels).sum().item()
    return correct / total


# ---------------------------------------------------------------------------- one row


def _dataset(name: str, split: str, limit: int | None, transform: Any = None) -> Any:
    return getattr(data, name)(split, limit=limit, transform=transform)


def skipped_row(key: str, task_key: str, device: torch.device) -> Row | None:
    """The row, marked skipped, when ``key`` cannot run on ``device``; else None."""
    if key in GPU_ONLY and device.type != "cuda":
        row = Row(task_key, key, DESCRIPTIONS[key])
        row.skipped = f"CUDA only (this run is on {device.type}): CUDA graphs are a CUDA feature"
        return row
    return None


def speed_switches(key: str, task_key: str, device: torch.device) -> tuple[dict[str, Any], list[str]]:
    """``training.fit``'s switches for row ``key``, and notes on what they mean on ``device``.

    Rows b4-b6 use bf16 autocast and, for LeNet, channels_last on every device (the CPU has bf16
    kernels too: whether they pay is what the row measures); compiling with CUDA graphs (b5, b6)
    happens on CUDA only.
    """
    amp = key in ("b4", "b5", "b6")
    compiled = key in ("b5", "b6") and device.type == "cuda"
    switches = {
        "autocast": torch.bfloat16 if amp else None,
        "channels_last": amp and task_key == "lenet",
        "compile_mode": "reduce-overhead" if compiled else None,
    }
    notes = [f"on {device.type}: b4 + fused optimizer (b5 is CUDA only)"] if key == "b6" and not compiled else []
    return switches, notes


def run_row(key: str, task_key: str, args: argparse.Namespace, device: torch.device) -> Row:
    """Train one fresh model as row ``key`` prescribes; time 1 + args.epochs epochs (one repeat)."""
    task = TASKS[task_key]
    row = skipped_row(key, task_key, device) or Row(task_key, key, DESCRIPTIONS[key])
    if row.skipped:
        return row
    big = key not in ("a", "a4", "b1")
    row.batch_size = 512 if big else 64
    factor = row.batch_size / 64
    row.lr = task.lr * (math.sqrt(factor) if task.lr_rule == "sqrt" else factor)
    runtime.seed(0)
    model = task.make_model().to(device)
    loss_fn = nn.CrossEntropyLoss()
    opt_kw: dict[str, Any] = {"fused": True} if key == "b6" else {}
    optimizer = task.make_optimizer(model.parameters(), row.lr, **opt_kw)
    epochs = 1 + args.epochs
    g = torch.Generator().manual_seed(0)
    times: list[float] = []

    if key in ("a", "a4"):
        workers = args.workers if key == "a4" else 0
        tf = data.to_tensor()  # article 002: transforms.ToTensor(), no normalisation
        train_ds = _dataset(task.dataset, "train", args.limit, tf)
        test_ds = _dataset(task.dataset, "test", args.test_limit, tf)
        kw = dict(num_workers=workers, pin_memory=device.type == "cuda")
        train_loader = DataLoader(train_ds, batch_size=64, shuffle=True, generator=g, **kw)
        test_loader = DataLoader(test_ds, batch_size=64, shuffle=False, **kw)
        for _ in range(epochs):
            fast.synchronize(device)
            start = time.perf_counter()
            row.train_loss = article_train_epoch(model, train_loader, loss_fn, optimizer, device)
            fast.synchronize(device)
            times.append(time.perf_counter() - start)
        row.test_acc = article_accuracy(model, test_loader, device)
        if workers:
            row.notes.append(f"{workers} worker processes started every epoch (persistent_workers=False)")
    else:
        switches, notes = speed_switches(key, task_key, device)
        row.notes += notes
        fast.synchronize(device)
        start = time.perf_counter()
        train = fast.as_uint8(_dataset(task.dataset, "train", args.limit))
        test = fast.as_uint8(_dataset(task.dataset, "test", args.test_limit))
        compiled = switches["compile_mode"] is not None
        kw = dict(mean=task.mean, std=task.std, device=device, channels_last=switches["channels_last"])
        train_loader = fast.DeviceLoader(
            *train, row.batch_size, shuffle=True, seed=0, drop_last=compiled, **kw
        )  # static shapes for CUDA graphs
        test_loader = fast.DeviceLoader(*test, 1000, **kw)
        fast.synchronize(device)
        row.setup_s = time.perf_counter() - start
        if compiled:
            row.notes.append("drop_last=True: every batch has the same shape, one CUDA graph")
        if key in ("b1", "b2"):
            for _ in range(epochs):
                fast.synchronize(device)
                start = time.perf_counter()
                row.train_loss = article_train_epoch(model, train_loader, loss_fn, optimizer, device)
                fast.synchronize(device)
                times.append(time.perf_counter() - start)
        else:  # the book's one loop; each epoch's seconds run from a device sync to its one read-back
            history = training.fit(
                model, train_loader, loss_fn, optimizer, training.TrainConfig(epochs=epochs), device=device, **switches
            )
            times, row.train_loss = list(history.seconds), history.train_loss[-1]
        row.test_acc = training.evaluate(
            model, test_loader, loss_fn, device, autocast=switches["autocast"], channels_last=switches["channels_last"]
        )[1]
    row.epoch_s, row.repeat_s, row.test_accs = [times], [statistics.median(times[1:])], [row.test_acc]
    row.median_s = row.repeat_s[0]
    return row


def merge_repeats(repeats: list[Row]) -> Row:
    """One row from the repeats of the same row: every round's times, the median over rounds."""
    row = repeats[0]
    if row.skipped:
        return row
    for other in repeats[1:]:
        row.epoch_s += other.epoch_s
        row.repeat_s += other.repeat_s
        row.test_accs += other.test_accs
    row.median_s = statistics.median(row.repeat_s)
    return row


# ---------------------------------------------------------------------------- the speed run


def run_speedrun(runs: int, args: argparse.Namespace, device: torch.device) -> dict[str, Any]:
    """``runs`` speed runs of models.SpeedNet on CIFAR-10 (a first one also warms cuDNN/compile up)."""
    train = fast.as_uint8(data.cifar10("train", limit=args.limit))
    test = fast.as_uint8(data.cifar10("test", limit=args.test_limit))
    cfg = speedrun.SpeedConfig(epochs=args.speedrun_epochs)
    switches, notes = speedrun.gpu_switches(device, amp=True, channels_last=True, compile=args.speedrun_compile)
    results = []
    for i in range(runs + 1):  # run 0 is a warm-up, not reported
        res = speedrun.speedrun(train, test, cfg, device=device, switches=switches, seed=i)
        if i > 0:
            results.append({"seed": i, "train_s": res.train_seconds, "test_acc": res.test_acc})
        print(
            f"  speed run {i}{' (warm-up)' if i == 0 else ''}: {res.train_seconds:.2f} s, "
            f"test accuracy {res.test_acc:.4f}",
            flush=True,
        )
    accs = [r["test_acc"] for r in results]
    times = [r["train_s"] for r in results]
    return {
        "config": {k: getattr(cfg, k) for k in cfg.__dataclass_fields__},
        "opts": {
            "amp": switches["autocast"] is not None,
            "channels_last": switches["channels_last"],
            "compile": switches["compile_mode"] is not None,
        },
        "notes": notes,
        "runs": results,
        "mean_acc": statistics.fmean(accs),
        "median_train_s": statistics.median(times),
    }


def parse_airbench_eval(stdout: str) -> tuple[float, float]:
    """(TTA test accuracy, seconds) from the final ``eval`` row of the table airbench prints.

    airbench's rows are ``| run | epoch | train_loss | train_acc | val_acc | tta_val_acc |
    total_time_seconds |``; its time covers training and the TTA evaluation, timed with CUDA events.
    """
    for line in reversed(stdout.splitlines()):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 7 and cells[1] == "eval":
            return float(cells[5]), float(cells[6])
    raise ValueError("airbench printed no 'eval' row: was it run with verbose=True to the end?")


def run_airbench(runs: int, variant: str = "94") -> dict[str, Any]:
    """``runs`` timed runs of airbench (after its own warm-up), on ``data.root()/cifar10/*.pt``."""
    if not torch.cuda.is_available():
        raise SystemExit("--airbench needs a CUDA device (airbench times itself with CUDA events)")
    try:
        import airbench
    except ImportError:
        raise SystemExit("--airbench needs the package: pip install airbench==0.1.8") from None
    train, warmup = getattr(airbench, f"train{variant}"), getattr(airbench, f"warmup{variant}")
    results = []
    cwd = Path.cwd()
    os.chdir(data.root())  # airbench opens ./cifar10/{train,test}.pt
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            warmup()
        for i in range(runs):
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                train(run=i)
            acc, seconds = parse_airbench_eval(out.getvalue())
            results.append({"run": i, "seconds": seconds, "tta_acc": acc})
            print(f"  airbench{variant} run {i}: {seconds:.2f} s, TTA test accuracy {acc:.4f}", flush=True)
    finally:
        os.chdir(cwd)
    return {
        "variant": f"airbench{variant} {getattr(airbench, '__version__', '0.1.8')}",
        "runs": results,
        "mean_acc": statistics.fmean(r["tta_acc"] for r in results),
        "median_s": statistics.median(r["seconds"] for r in results),
    }


# ---------------------------------------------------------------------------- report


def flops_per_image(task: Task) -> int:
    """Forward FLOPs of one image, counted by torch.utils.flop_counter (2 per multiply-add)."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        task.make_model()(torch.zeros(1, *task.input_shape))
    return counter.get_total_flops()


CPU_FEATURES = ("avx2", "avx512f", "avx512_bf16", "amx_tile", "amx_bf16")  # what bf16 on a CPU can use


def cpu_features() -> list[str] | None:
    """Which of :data:`CPU_FEATURES` the CPU reports (``/proc/cpuinfo`` flags; None where there is none)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return [f for f in CPU_FEATURES if f in flags]


def hardware(device: torch.device) -> dict[str, Any]:
    """What ran the benchmark: ``runtime.hardware`` (CPU, GPU, versions), the CPU's bf16-related
    features and the kernels ATen chose for it, and the CIFAR-10 copy."""
    return {
        **runtime.hardware(device),
        "cpu_features": cpu_features(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "cifar10_copy": data.cifar10_source(),
    }


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def to_markdown(report: dict[str, Any]) -> str:
    hw, cfg = report["hardware"], report["settings"]
    where = hw.get("gpu") or f"{hw['cpu']} ({hw['cpu_count']} cores, {hw['torch_threads']} torch threads)"
    lines = [
        f"# Benchmark: from the articles' loop to the fast path ({hw['device']})",
        "",
        f"- Hardware: {where}; torch {hw['torch']}, Python {hw['python']}, {hw['platform']}",
        f"- CPU features: {', '.join(hw.get('cpu_features') or []) or 'unknown'}; ATen CPU kernels: "
        f"{hw.get('cpu_capability')}",
        f"- Date: {report['date']}; command: `{report['command']}`",
        f"- Load average (1, 5, 15 min) before: {report['load_before']}, after: {report['load_after']}",
        f"- Training images: {cfg['limit'] or 'all'}; test images: {cfg['test_limit'] or 'all'}; "
        f"CIFAR-10 copy: {hw['cifar10_copy']}",
        f"- Each row: 1 warm-up epoch + {cfg['epochs']} timed epochs, measured {cfg.get('repeats', 1)} time(s) "
        "in interleaved rounds; time = median over rounds of each round's median timed epoch; "
        "accuracy = test accuracy after all epochs (first round).",
        "",
    ]
    for task_key, rows in report["tasks"].items():
        lines += [
            f"## {TASKS[task_key].name} on {TASKS[task_key].dataset}",
            "",
            "| row | what | batch | lr | epoch s (median) | speed-up vs (a) | test acc | setup s | epoch s per round |",
            "|---|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        for r in rows:
            if r["skipped"]:
                lines.append(f"| {r['row']} | {r['description']} | | | skipped: {r['skipped']} | | | | |")
                continue
            setup = f"{r['setup_s']:.2f}" if r["setup_s"] is not None else ""
            rounds = " ".join(f"{s:.3f}" for s in r.get("repeat_s", []))
            lines.append(
                f"| {r['row']} | {r['description']} | {r['batch_size']} | {r['lr']:.4g} | "
                f"{r['median_s']:.3f} | {r['speedup']:.1f}x | {r['test_acc']:.4f} | {setup} | {rounds} |"
            )
        notes = [f"{r['row']}: {n}" for r in rows for n in r["notes"]]
        lines += [""] + [f"- {n}" for n in notes] + ([""] if notes else [])
    if report.get("speedrun"):
        s = report["speedrun"]
        lines += [
            "## Speed run (models.SpeedNet, airbench94-style)",
            "",
            f"- {len(s['runs'])} runs: mean test accuracy {s['mean_acc']:.4f} (flip TTA), "
            f"median training time {s['median_train_s']:.2f} s; options {s['opts']}",
            "",
        ]
    if report.get("airbench"):
        a = report["airbench"]
        lines += [
            f"- Peer, measured in the same run: {a['variant']}, {len(a['runs'])} runs: mean TTA test accuracy "
            f"{a['mean_acc']:.4f}, median time {a['median_s']:.2f} s (training + TTA evaluation, its own timer)"
        ]
        if report.get("speedrun"):
            ratio = report["speedrun"]["median_train_s"] / a["median_s"]
            lines += [f"- Speed run time / airbench time: {ratio:.2f} (target: at most 1.1)"]
        lines += [""]
    lines += ["## FLOPs per image (forward, torch.utils.flop_counter)", ""]
    lines += [f"- {TASKS[k].name}: {v:,}" for k, v in report["flops_per_image"].items()]
    return "\n".join(lines) + "\n"


def print_table(report: dict[str, Any]) -> None:
    print("\n" + benchreport.table(report))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=None, help="cuda or cpu (default: runtime.device())")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per row, after 1 warm-up epoch")
    parser.add_argument("--limit", type=int, default=None, help="training images (default: all)")
    parser.add_argument("--test-limit", type=int, default=None, help="test images (default: all)")
    parser.add_argument("--tasks", default="lenet,mlp", help="comma-separated: lenet, mlp")
    parser.add_argument("--rows", default=",".join(ROWS), help="comma-separated subset of " + ",".join(ROWS))
    parser.add_argument("--workers", type=int, default=4, help="workers of row a4")
    parser.add_argument("--repeats", type=int, default=1, help="rounds: every row is measured this many times")
    parser.add_argument("--speedrun", type=int, default=0, help="number of SpeedNet runs (0: none)")
    parser.add_argument("--speedrun-epochs", type=int, default=10)
    parser.add_argument("--speedrun-compile", action="store_true", help="compile SpeedNet (reduce-overhead)")
    parser.add_argument("--airbench", type=int, default=0, help="timed runs of airbench94, the peer (CUDA only)")
    parser.add_argument("--out", type=Path, default=None, help="report path without suffix: writes .json, .md")
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.repeats < 1:
        parser.error("--epochs and --repeats must be at least 1")
    device = runtime.device(args.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    report: dict[str, Any] = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python bench/bench.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "hardware": hardware(device),
        "load_before": load_average(),
        "settings": {
            "epochs": args.epochs,
            "limit": args.limit,
            "test_limit": args.test_limit,
            "workers": args.workers,
            "repeats": args.repeats,
        },
        "tasks": {},
        "flops_per_image": {},
    }
    try:
        report["git"] = (
            subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False
            ).stdout.strip()
            or None
        )
    except OSError:
        report["git"] = None
    rows = [r for r in args.rows.split(",") if r]
    for task_key in [t for t in args.tasks.split(",") if t]:
        report["flops_per_image"][task_key] = flops_per_image(TASKS[task_key])
        repeats: dict[str, list[Row]] = {key: [] for key in rows}
        for round_ in range(args.repeats):  # interleaved: each round measures every row once
            for key in rows if round_ % 2 == 0 else rows[::-1]:  # alternate the order: no row always last
                if round_ and repeats[key][0].skipped:
                    continue
                print(f"{task_key} {key} (round {round_ + 1}/{args.repeats}): {DESCRIPTIONS[key]} ...", flush=True)
                r = run_row(key, task_key, args, device)
                repeats[key].append(r)
                if r.skipped:
                    print(f"  skipped: {r.skipped}", flush=True)
                else:
                    print(f"  epochs {[round(s, 3) for s in r.epoch_s[0]]} s, test acc {r.test_acc:.4f}", flush=True)
        results = [merge_repeats(repeats[key]) for key in rows]
        base = next((r for r in results if r.row == "a" and r.median_s), None)
        for r in results:
            if r.median_s and base:
                r.speedup = base.median_s / r.median_s
        report["tasks"][task_key] = [r.__dict__ for r in results]
    if args.speedrun:
        report["speedrun"] = run_speedrun(args.speedrun, args, device)
    if args.airbench:
        report["airbench"] = run_airbench(args.airbench)
    report["load_after"] = load_average()
    print_table(report)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.with_suffix(".json").write_text(json.dumps(report, indent=1) + "\n")
        args.out.with_suffix(".md").write_text(to_markdown(report))
        print(f"\nwrote {args.out.with_suffix('.json')} and {args.out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
