"""Generative adversarial networks (6.6): a small DCGAN for 28 x 28 digits, its two losses, its step loop.

    G, D = gan.Generator(), gan.Discriminator()
    history = gan.train(G, D, images, gan.GANConfig(steps=1000), generator=g)   # images (N, 1, 28, 28) in [-1, 1]
    fake = gan.sample(G, 64, generator=g)                                       # (64, 1, 28, 28) in [-1, 1]
    gan.class_coverage(classifier(fake).softmax(1))                             # how many digits it draws
    gan.nearest_distance(fake, images).median()                                 # how close to real digits

The losses are written out (``d_loss``, ``g_loss_nonsaturating``, ``g_loss_saturating``) rather
than hidden in the loop. ``train`` is a step loop of its own, not ``training.fit``: each step
updates two networks with two opposite losses and two optimizers, and the generator's update
needs the discriminator just updated, which ``fit``'s one model, one loss, one optimizer per batch
cannot express. ``MinibatchStdDev`` is the remedy for mode collapse the page shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

# ============================================================================ the two networks


class Generator(nn.Module):
    """DCGAN generator: z (N, z_dim) -> image (N, 1, 28, 28) in [-1, 1] (tanh).

    Linear to (2w, 7, 7), then two stride-2 transposed convolutions 7 -> 14 -> 28, with batch
    norm and ReLU between them (``batch_norm=False`` drops the norms). ``n_classes > 0`` makes it
    conditional: a label embedding of size ``z_dim`` is added to z.
    """

    def __init__(self, z_dim: int = 32, width: int = 32, batch_norm: bool = True, n_classes: int = 0) -> None:
        super().__init__()
        self.z_dim, self.width = z_dim, width
        norm = (lambda c: nn.BatchNorm2d(c)) if batch_norm else (lambda c: nn.Identity())
        self.embed = nn.Embedding(n_classes, z_dim) if n_classes > 0 else None
        self.fc = nn.Linear(z_dim, 2 * width * 7 * 7)
        self.net = nn.Sequential(
            norm(2 * width),
            nn.ReLU(),
            nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1),  # (N, w, 14, 14)
            norm(width),
            nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 4, stride=2, padding=1),  # (N, 1, 28, 28)
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.embed is not None:
            if labels is None:
                raise ValueError("a conditional Generator needs labels (N,)")
            z = z + self.embed(labels)
        x = self.fc(z).view(-1, 2 * self.width, 7, 7)  # (N, 2w, 7, 7)
        return self.net(x)  # (N, 1, 28, 28)


class MinibatchStdDev(nn.Module):
    """Append the batch's spread as one more channel: x (N, C, H, W) -> (N, C + 1, H, W).

    The new channel holds, at every pixel, the standard deviation over the batch of that pixel
    (averaged over the C channels), the same map for every image of the batch. Karras et al.
    (2018) average it further to one number per batch; kept as a map, the discriminator's first
    convolution can read it directly. A generator that draws the same image for every z gives
    batches whose map is near zero, which real batches never have.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        std = x.std(dim=0, unbiased=False).mean(0)  # (H, W): spread over the batch, per pixel
        return torch.cat([x, std.expand(x.shape[0], 1, *std.shape)], dim=1)


class Discriminator(nn.Module):
    """DCGAN discriminator: image (N, 1, 28, 28) -> one logit per image (N,); D(x) = sigmoid(logit).

    Two stride-2 convolutions 28 -> 14 -> 7 with LeakyReLU(0.2), batch norm after the second
    (``batch_norm=False`` drops it), then a linear layer. ``minibatch_std=True`` feeds it the
    image and the batch's :class:`MinibatchStdDev` map. ``n_classes > 0`` makes it conditional
    (projection: the logit gains ``<embed(label), features>``).
    """

    def __init__(
        self, width: int = 32, batch_norm: bool = True, minibatch_std: bool = False, n_classes: int = 0
    ) -> None:
        super().__init__()
        self.mbstd = MinibatchStdDev() if minibatch_std else nn.Identity()
        self.features = nn.Sequential(
            nn.Conv2d(1 + int(minibatch_std), width, 4, stride=2, padding=1),  # (N, w, 14, 14)
            nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1),  # (N, 2w, 7, 7)
            nn.BatchNorm2d(2 * width) if batch_norm else nn.Identity(),
            nn.LeakyReLU(0.2),
        )
        n_features = 2 * width * 7 * 7
        self.head = nn.Linear(n_features, 1)
        self.embed = nn.Embedding(n_classes, n_features) if n_classes > 0 else None

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = self.features(self.mbstd(x)).flatten(1)  # (N, 2w * 7 * 7)
        logit = self.head(h).squeeze(1)  # (N,)
        if self.embed is not None:
            if labels is None:
                raise ValueError("a conditional Discriminator needs labels (N,)")
            logit = logit + (self.embed(labels) * h).sum(1)
        return logit


# ============================================================================ the losses


def d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, real_target: float = 1.0) -> torch.Tensor:
    """Discriminator loss: BCE with target ``real_target`` on real logits (N,) and 0 on fake logits (M,).

    ``-[log D(x) + log(1 - D(G(z)))]`` averaged over each half; ``real_target=0.9`` is one-sided
    label smoothing.
    """
    real = F.binary_cross_entropy_with_logits(real_logits, torch.full_like(real_logits, real_target))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


def g_loss_saturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """The minimax generator loss ``mean log(1 - D(G(z)))`` from fake logits (N,); flat when D(G(z)) -> 0."""
    return -F.softplus(fake_logits).mean()  # log(1 - sigmoid(l)) = -softplus(l)


def g_loss_nonsaturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """The non-saturating generator loss ``-mean log D(G(z))`` from fake logits (N,): BCE with target 1."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


# ============================================================================ the step loop


@dataclass(frozen=True)
class GANConfig:
    """One GAN run; override by name: ``GANConfig(steps=500, g_steps=5)``.

    ``g_steps`` generator updates follow each discriminator update; ``real_target`` < 1 is
    one-sided label smoothing; ``record_every`` is the step interval of the history.
    """

    steps: int = 1000  # discriminator updates
    batch_size: int = 64
    z_dim: int = 32
    lr_d: float = 2e-4
    lr_g: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    g_steps: int = 1
    real_target: float = 1.0
    record_every: int = 50

    def __post_init__(self) -> None:
        if self.steps < 1 or self.g_steps < 1 or self.batch_size < 2:
            raise ValueError(f"steps and g_steps must be >= 1 and batch_size >= 2, got {self}")


@dataclass
class GANHistory:
    """Means over each ``record_every`` steps: the two losses and D's mean output on real and fake."""

    step: list[int] = field(default_factory=list)
    d_loss: list[float] = field(default_factory=list)
    g_loss: list[float] = field(default_factory=list)
    d_real: list[float] = field(default_factory=list)
    d_fake: list[float] = field(default_factory=list)


def train(
    G: Generator,
    D: Discriminator,
    images: torch.Tensor,
    cfg: GANConfig = GANConfig(),
    *,
    labels: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
    device: torch.device | str = "cpu",
    on_record: Callable[[int, GANHistory], None] | None = None,
) -> GANHistory:
    """Alternate ``cfg.steps`` discriminator steps with ``cfg.g_steps`` generator steps each; return the history.

    images (N, 1, 28, 28) in [-1, 1]; ``labels`` (N,) trains a conditional pair. Batches and z
    are drawn from ``generator`` (on the CPU, so a run is the same on every device).
    ``on_record(step, history)`` runs after each record, e.g. to measure the samples as training goes.
    """
    device = torch.device(device)
    G.to(device).train()
    D.to(device).train()
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr_d, betas=cfg.betas)
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr_g, betas=cfg.betas)
    g = generator if generator is not None else torch.Generator().manual_seed(0)
    history = GANHistory()
    sums = torch.zeros(4, device=device)  # d_loss, g_loss, d_real, d_fake summed since the last record
    n = len(images)
    for step in range(1, cfg.steps + 1):
        # --- discriminator: real batch -> 1, fake batch -> 0; detach() keeps G out of this update
        idx = torch.randint(0, n, (cfg.batch_size,), generator=g)
        real = images[idx].to(device)  # (B, 1, 28, 28)
        y = labels[idx].to(device) if labels is not None else None
        z = torch.randn(cfg.batch_size, cfg.z_dim, generator=g).to(device)  # (B, z_dim)
        fake = G(z, y)  # (B, 1, 28, 28)
        real_logits, fake_logits = D(real, y), D(fake.detach(), y)
        loss_d = d_loss(real_logits, fake_logits, cfg.real_target)
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        # --- generator: the just-updated D should call the same fakes real (non-saturating loss);
        # further generator steps (g_steps > 1) draw fresh z
        for k in range(cfg.g_steps):
            if k > 0:
                z = torch.randn(cfg.batch_size, cfg.z_dim, generator=g).to(device)
                fake = G(z, y)
            loss_g = g_loss_nonsaturating(D(fake, y))
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
        with torch.no_grad():
            sums += torch.stack(
                [loss_d, loss_g, torch.sigmoid(real_logits).mean(), torch.sigmoid(fake_logits).mean()]
            ).detach()
        if step % cfg.record_every == 0 or step == cfg.steps:
            k = (step - 1) % cfg.record_every + 1
            means = (sums / k).tolist()  # one read-back per record
            history.step.append(step)
            for key, value in zip(("d_loss", "g_loss", "d_real", "d_fake"), means):
                getattr(history, key).append(value)
            sums.zero_()
            if on_record is not None:
                on_record(step, history)
    return history


@torch.no_grad()
def sample(
    G: Generator,
    n: int,
    *,
    labels: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """n images (n, 1, 28, 28) in [-1, 1] from G in eval mode (batch norm uses its running statistics), on the CPU."""
    was_training = G.training
    G.to(device).eval()
    z = torch.randn(n, G.z_dim, generator=generator).to(device)
    out = G(z, labels.to(device) if labels is not None else None).cpu()
    G.train(was_training)
    return out


# ============================================================================ measuring diversity


def class_coverage(probs: torch.Tensor, confidence: float = 0.8, min_share: float = 0.02) -> dict[str, float]:
    """How many classes a classifier recognises in a set of samples, and how evenly: probs (N, C) softmax outputs.

    ``confident`` is the share of samples whose top probability reaches ``confidence`` (noise
    and smudges stay below it); ``covered`` counts the classes that at least ``min_share`` of
    all samples are confidently assigned to. ``entropy`` (nats; ``log C`` when uniform, 0 for
    one class) and ``max_share`` describe the histogram of the arg-max classes of all samples.
    """
    N, C = probs.shape
    top, pred = probs.max(1)  # (N,), (N,)
    counts = torch.bincount(pred.cpu(), minlength=C).float()  # (C,)
    sure = torch.bincount(pred[top >= confidence].cpu(), minlength=C).float()  # (C,)
    p = counts / N
    entropy = -(p[p > 0] * p[p > 0].log()).sum().item()
    return {
        "covered": int((sure / N >= min_share).sum().item()),
        "confident": (top >= confidence).float().mean().item(),
        "entropy": entropy,
        "max_share": p.max().item(),
    }


def diversity(images: torch.Tensor, n: int = 200) -> float:
    """Mean Euclidean distance between two different images among the first ``n`` of images (N, C, H, W).

    Near 0 for a collapsed generator (one image for every z); real MNIST digits in [-1, 1] sit
    near 20. A class histogram cannot see collapse *inside* a class; this can.
    """
    x = images[:n].flatten(1).float()  # (n, C*H*W)
    return torch.pdist(x).mean().item()


def nearest_distance(images: torch.Tensor, reference: torch.Tensor, chunk: int = 10_000) -> torch.Tensor:
    """Euclidean distance from each of ``images`` (N, C, H, W) to its nearest image in ``reference`` (M, C, H, W): (N,).

    A digit-likeness measure that needs no classifier: real test digits lie at a typical distance
    from the training digits; an untrained generator's smudge lies much farther. It also tests
    memorisation (samples much *closer* than real test digits are copies). ``reference`` is
    compared in chunks of ``chunk`` images to bound the memory of ``torch.cdist``.
    """
    flat = images.flatten(1).float()  # (N, D)
    parts = [
        torch.cdist(flat, reference[i : i + chunk].flatten(1).float()).min(1).values
        for i in range(0, len(reference), chunk)
    ]
    return torch.stack(parts).min(0).values
