"""Offline copies of the book's data sets: lay a mirror out where ``torchbook.data`` looks, or download.

    python -m torchbook.mirror prepare --from ../shared/data    # MNIST, CIFAR-10 (JPEG), Shakespeare
    python -m torchbook.mirror download                         # with internet access
    python -m torchbook.mirror where                            # print the data root

Maintainer tooling, not the reader's API (that is ``torchbook.data``): it gunzips MNIST and
Debian's Fashion-MNIST, decodes the JPEG mirror of CIFAR-10 into ``cifar10/{train,test}.pt``
(the layout ``data.CIFAR10Tensors`` and airbench read) and copies Tiny Shakespeare.
"""

from __future__ import annotations

import argparse
import gzip
import io
import shutil
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from torchbook import data
from torchbook.data import CIFAR10_CLASSES, FASHION_MNIST_DEBIAN, SPLITS, DataNotFoundError


def _gunzip_all(src: Path, dest: Path) -> list[str]:
    """Gunzip every ``*.gz`` in ``src`` into ``dest``; return the names written."""
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for gz in sorted(src.glob("*.gz")):
        out = dest / gz.name[:-3]
        if not out.exists():
            with gzip.open(gz, "rb") as fin, open(out, "wb") as fout:
                shutil.copyfileobj(fin, fout)
        written.append(out.name)
    return written


def _jpeg_members(source: Path) -> Iterator[tuple[str, bytes]]:
    """(relative path, bytes) of every file in the JPEG mirror: a ``.tar.gz`` or an unpacked folder."""
    if source.is_dir():
        for path in sorted(source.rglob("*.jpg")):
            yield path.relative_to(source).as_posix(), path.read_bytes()
        return
    with tarfile.open(source, "r:gz") as tar:
        for member in tar:
            if member.isfile():
                yield member.name, tar.extractfile(member).read()  # type: ignore[union-attr]


def _cifar_from_jpeg(source: Path, dest: Path) -> dict[str, int]:
    """Decode the JPEG mirror (``.../{train,test}/<class>/*.jpg``, tarred or unpacked) into
    ``dest/{train,test}.pt``, with the images in a fixed shuffled order."""
    from PIL import Image

    images: dict[str, list[np.ndarray]] = {s: [] for s in SPLITS}
    labels: dict[str, list[int]] = {s: [] for s in SPLITS}
    for name, raw in _jpeg_members(source):
        parts = Path(name).parts
        if not name.endswith(".jpg") or len(parts) < 3:
            continue
        split, cls = parts[-3], parts[-2]
        if split not in SPLITS or cls not in CIFAR10_CLASSES:
            continue
        images[split].append(np.asarray(Image.open(io.BytesIO(raw)).convert("RGB"), dtype=np.uint8))
        labels[split].append(CIFAR10_CLASSES.index(cls))
    dest.mkdir(parents=True, exist_ok=True)
    counts = {}
    for split in SPLITS:
        if not images[split]:
            raise DataNotFoundError(f"{source} holds no {split}/<class>/*.jpg images")
        x = torch.from_numpy(np.stack(images[split]))
        y = torch.tensor(labels[split], dtype=torch.int64)
        # The mirror is sorted by class; a fixed permutation mixes the classes, so `limit=` slices
        # are balanced and the order never changes between machines.
        perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(2009))
        blob = {"images": x[perm].contiguous(), "labels": y[perm].contiguous(), "classes": list(CIFAR10_CLASSES)}
        torch.save(blob, dest / f"{split}.pt")
        counts[split] = len(y)
    return counts


def prepare(source: Path, dest: Path | None = None, fashion: Path = FASHION_MNIST_DEBIAN) -> list[str]:
    """Lay the offline copies in ``source`` (and Debian's Fashion-MNIST) out under ``dest``.

    Returns one line per data set saying what was done. Existing prepared files are kept.
    """
    source = Path(source).expanduser().resolve()
    dest = Path(dest) if dest is not None else data.root()
    if not source.is_dir():
        raise DataNotFoundError(
            f"The mirror folder {source} does not exist. Pass the folder that holds MNIST/raw, "
            "cifar10-jpeg.tar.gz and tinyshakespeare/ (in this project: ../shared/data)."
        )
    report = []
    if (source / "MNIST" / "raw").is_dir():
        names = _gunzip_all(source / "MNIST" / "raw", dest / "MNIST" / "raw")
        report.append(f"MNIST: {len(names)} files in {dest / 'MNIST' / 'raw'}")
    else:
        report.append(f"MNIST: skipped, no {source / 'MNIST' / 'raw'}")
    if fashion.is_dir() and any(fashion.glob("*.gz")):
        names = _gunzip_all(fashion, dest / "FashionMNIST" / "raw")
        report.append(f"Fashion-MNIST: {len(names)} files in {dest / 'FashionMNIST' / 'raw'}")
    else:
        report.append(
            f"Fashion-MNIST: skipped, no {fashion} (install it with `apt-get install -y dataset-fashion-mnist`)"
        )
    jpeg = next((p for p in (source / "cifar10-jpeg.tar.gz", source / "cifar10-jpeg") if p.exists()), None)
    cifar_dest = dest / "cifar10"
    if all((cifar_dest / f"{s}.pt").is_file() for s in SPLITS):
        report.append(f"CIFAR-10 (JPEG mirror): already in {cifar_dest}")
    elif jpeg is not None:
        counts = _cifar_from_jpeg(jpeg, cifar_dest)
        report.append(f"CIFAR-10 (JPEG mirror): {counts['train']} + {counts['test']} images in {cifar_dest}")
    else:
        report.append(f"CIFAR-10: skipped, no {source / 'cifar10-jpeg.tar.gz'} or {source / 'cifar10-jpeg'}/")
    text = source / "tinyshakespeare" / "input.txt"
    if text.is_file():
        (dest / "tinyshakespeare").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(text, dest / "tinyshakespeare" / "input.txt")
        report.append(f"Tiny Shakespeare: {dest / 'tinyshakespeare' / 'input.txt'}")
    else:
        report.append(f"Tiny Shakespeare: skipped, no {text}")
    return report


def download() -> list[str]:
    """Download every data set the book uses into :func:`root` (needs internet access)."""
    if data.offline():
        raise DataNotFoundError("TORCHBOOK_OFFLINE is set: unset it to download, or use `prepare --from` a mirror.")
    report = []
    for name, loader in (("MNIST", data.mnist), ("Fashion-MNIST", data.fashion_mnist), ("CIFAR-10", data.cifar10)):
        sizes = [len(loader(split)) for split in SPLITS]  # type: ignore[arg-type]
        report.append(f"{name}: {sizes[0]} + {sizes[1]} items in {data.root()}")
    report.append(f"Tiny Shakespeare: {len(data.shakespeare())} characters in {data.root() / 'tinyshakespeare'}")
    return report


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m torchbook.mirror {prepare --from DIR [--to DIR] | download | where}``."""
    parser = argparse.ArgumentParser(prog="python -m torchbook.mirror", description=(__doc__ or "").splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    prep = sub.add_parser("prepare", help="lay offline mirror copies out where the loaders look")
    prep.add_argument("--from", dest="source", required=True, type=Path, help="the mirror folder")
    prep.add_argument("--to", dest="dest", type=Path, default=None, help="data root (default: TORCHBOOK_DATA)")
    prep.add_argument("--fashion-mnist", type=Path, default=FASHION_MNIST_DEBIAN, help="Fashion-MNIST .gz folder")
    sub.add_parser("download", help="download every data set into the data root (needs internet)")
    sub.add_parser("where", help="print the data root")
    args = parser.parse_args(argv)
    if args.command == "where":
        print(data.root())
        return 0
    try:
        lines = download() if args.command == "download" else prepare(args.source, args.dest, args.fashion_mnist)
        for line in lines:
            print(line)
    except DataNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
