"""The models the chapters build, one class each, in the order the book meets them.

Every ``forward`` returns raw scores (logits) unless its docstring says otherwise: the loss
functions ``CrossEntropyLoss`` and ``BCEWithLogitsLoss`` apply softmax/sigmoid themselves.
"""

from __future__ import annotations

import torch
from torch import nn


class LinearRegression(nn.Module):
    """``y = x W^T + b`` (articles 003/004). x (N, in_features) -> (N, out_features)."""

    def __init__(self, in_features: int = 1, out_features: int = 1) -> None:
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)


class SimpleNet(nn.Module):
    """Article 000's binary classifier, 2 -> hidden -> 1. x (N, 2) -> logits (N, 1).

    With ``in_features=10`` it is also article 002's ``Net`` (10 -> 5 -> 1, page 2.3).

    ``probabilities=True`` ends in a sigmoid as the article does (pair it with ``BCELoss``);
    the default returns logits for the numerically stable ``BCEWithLogitsLoss``.
    """

    def __init__(self, in_features: int = 2, hidden: int = 5, probabilities: bool = False) -> None:
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.fc2 = nn.Linear(hidden, 1)
        self.probabilities = probabilities

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.fc1(x))  # (N, hidden)
        x = self.fc2(x)  # (N, 1)
        return torch.sigmoid(x) if self.probabilities else x


class MLP(nn.Module):
    """Article 001's ``Net``: flatten, 784 -> 128 -> 10. x (N, 1, 28, 28) -> logits (N, 10)."""

    def __init__(self, in_features: int = 784, hidden: int = 128, num_classes: int = 10) -> None:
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.flatten(x, 1)  # (N, 784)
        x = torch.relu(self.fc1(x))  # (N, 128)
        return self.fc2(x)  # (N, 10)


class LeNet(nn.Module):
    """Article 002's CNN, completed: conv 5x5 -> pool -> conv 5x5 -> pool -> 120 -> 84 -> classes.

    x (N, in_channels, image_size, image_size) -> logits (N, num_classes). For CIFAR-10
    (3, 32, 32) the flattened features are 16 * 5 * 5 = 400, as the article writes.
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 10, image_size: int = 32) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        side = ((image_size - 4) // 2 - 4) // 2  # 32 -> 28 -> 14 -> 10 -> 5
        self.fc1 = nn.Linear(16 * side * side, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(torch.relu(self.conv1(x)))  # (N, 6, 14, 14)
        x = self.pool(torch.relu(self.conv2(x)))  # (N, 16, 5, 5)
        x = torch.flatten(x, 1)  # (N, 400)
        x = torch.relu(self.fc1(x))  # (N, 120)
        x = torch.relu(self.fc2(x))  # (N, 84)
        return self.fc3(x)  # (N, num_classes)


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of scalar parameters of ``model`` (only those with ``requires_grad`` by default)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def summary(model: nn.Module, input_shape: tuple[int, ...], dtype: torch.dtype = torch.float32) -> str:
    """A table of the submodules ``model`` calls on a dummy input of ``input_shape`` (batch first).

    One row per call of a submodule, in call order (a container before its children): its
    name, type, output shape and the number of parameters it owns directly
    (``recurse=False``; containers show 0; a module called twice has two rows, its parameters
    are counted once in the totals, which come from ``model.parameters()``). Functional
    calls in ``forward`` (``torch.relu``, ``torch.flatten``) are not modules and have no row.
    The dummy input is zeros on the device of the model's first parameter; the forward pass
    runs under ``no_grad`` in eval mode, and the model's train/eval mode is restored after.
    """
    rows: list[list[str]] = []
    open_rows: dict[int, list[int]] = {}  # id(module) -> its rows whose output is pending

    def shape_of(out: object) -> str:
        if isinstance(out, torch.Tensor):
            return str(tuple(out.shape))
        if isinstance(out, (tuple, list)):
            return "[" + ", ".join(shape_of(o) for o in out) + "]"
        return type(out).__name__

    def before(name: str):  # noqa: ANN202 - a forward pre-hook: the row, in call order
        def hook(module: nn.Module, args: object) -> None:
            own = sum(p.numel() for p in module.parameters(recurse=False))
            open_rows.setdefault(id(module), []).append(len(rows))
            rows.append([f"{name} ({type(module).__name__})", "?", f"{own:,}"])

        return hook

    def after(module: nn.Module, args: object, output: object) -> None:  # the output shape
        rows[open_rows[id(module)].pop()][1] = shape_of(output)

    handles = []
    for name, m in model.named_modules():
        if name:  # every submodule, not the model itself
            handles.append(m.register_forward_pre_hook(before(name)))
            handles.append(m.register_forward_hook(after))
    first = next(model.parameters(), None)
    device = first.device if first is not None else torch.device("cpu")
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros(input_shape, dtype=dtype, device=device))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)

    header = ("Layer (type)", "Output shape", "Param #")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]

    def line(r: tuple[str, ...] | list[str]) -> str:
        return f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}"

    rule = "=" * (sum(widths) + 4)
    total = count_parameters(model, trainable_only=False)
    trainable = count_parameters(model)
    out = [
        line(header),
        rule,
        *(line(r) for r in rows),
        rule,
        f"Input shape: {tuple(input_shape)}",
        f"Total params: {total:,}",
        f"Trainable params: {trainable:,}",
        f"Non-trainable params: {total - trainable:,}",
    ]
    return "\n".join(out)


# ---------------------------------------------------------------------------- sequence models (6.2)
# Character language models: idx (B, T) int64 -> logits (B, T, vocab_size) for the next character.
# Training and sampling live in torchbook.text (train_lm, generate), one home for every model.


class BigramLM(nn.Module):
    """A lookup table of next-character logits: row ``i`` scores what follows character ``i``.

    idx (B, T) -> logits (B, T, vocab_size); each position sees only its own character.
    """

    def __init__(self, vocab_size: int) -> None:
        super().__init__()
        self.table = nn.Embedding(vocab_size, vocab_size)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        return self.table(idx)  # (B, T, V)


class CharLSTM(nn.Module):
    """Embedding -> ``layers``-layer LSTM -> linear head. idx (B, T) -> logits (B, T, vocab_size).

    ``forward_state(idx, state)`` also takes and returns the hidden state ``(h, c)``, each
    (layers, B, hidden), to continue a sequence where the previous call stopped.
    """

    def __init__(self, vocab_size: int, embed: int = 64, hidden: int = 128, layers: int = 2) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)

    def forward_state(
        self, idx: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        x = self.embed(idx)  # (B, T, embed)
        out, state = self.lstm(x, state)  # (B, T, hidden); h, c (layers, B, hidden)
        return self.head(out), state  # (B, T, V)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        return self.forward_state(idx)[0]


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention where position t attends to positions <= t. x (B, T, C) -> (B, T, C)."""

    def __init__(self, d_model: int, n_heads: int) -> None:
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model={d_model} must be divisible by n_heads={n_heads}")
        self.n_heads = n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)  # 3 x (B, T, C)
        q, k, v = (t.view(B, T, self.n_heads, C // self.n_heads).transpose(1, 2) for t in (q, k, v))  # (B, h, T, C/h)
        y = nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)  # (B, h, T, C/h)
        return self.proj(y.transpose(1, 2).reshape(B, T, C))  # (B, T, C)


class TransformerBlock(nn.Module):
    """Pre-LayerNorm block: ``x + attn(ln(x))``, then ``x + mlp(ln(x))``. x (B, T, C) -> (B, T, C)."""

    def __init__(self, d_model: int, n_heads: int) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(d_model)
        self.attn = CausalSelfAttention(d_model, n_heads)
        self.ln2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.GELU(), nn.Linear(4 * d_model, d_model))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class TinyGPT(nn.Module):
    """A decoder-only Transformer (GPT-style): token + position embeddings, ``n_layers`` causal
    pre-LN blocks, a final LayerNorm and a linear head. idx (B, T <= block_size) -> logits (B, T, V)."""

    def __init__(
        self, vocab_size: int, block_size: int = 64, d_model: int = 96, n_heads: int = 4, n_layers: int = 2
    ) -> None:
        super().__init__()
        self.block_size = block_size
        self.tok = nn.Embedding(vocab_size, d_model)
        self.pos = nn.Embedding(block_size, d_model)
        self.blocks = nn.Sequential(*(TransformerBlock(d_model, n_heads) for _ in range(n_layers)))
        self.ln = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)
        for m in self.modules():  # GPT-2's initialisation: small normal weights, zero biases
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, mean=0.0, std=0.02)
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        T = idx.shape[1]
        if T > self.block_size:
            raise ValueError(f"sequence of {T} ids is longer than block_size={self.block_size}")
        pos = torch.arange(T, device=idx.device)
        x = self.tok(idx) + self.pos(pos)  # (B, T, C)
        x = self.blocks(x)  # (B, T, C)
        return self.head(self.ln(x))  # (B, T, V)


_ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


class DeepBlock(nn.Module):
    """One layer of :class:`DeepMLP`: ``act(norm(linear(x)))``, plus ``x`` when ``residual``.

    x (N, in_features) -> (N, out_features); ``residual`` needs ``in_features == out_features``.
    The submodules are attributes (``linear``, ``norm``, ``act``) so hooks can watch each one.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        activation: str = "relu",
        norm: str | None = None,
        residual: bool = False,
    ) -> None:
        super().__init__()
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
        if norm not in (None, "batch"):
            raise ValueError(f"norm must be None or 'batch', got {norm!r}")
        if residual and in_features != out_features:
            raise ValueError(
                f"a residual block needs in_features == out_features, got {in_features} and {out_features}"
            )
        self.linear = nn.Linear(in_features, out_features)
        self.norm = nn.BatchNorm1d(out_features) if norm == "batch" else nn.Identity()
        self.act = _ACTIVATIONS[activation]()
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.act(self.norm(self.linear(x)))  # (N, out_features)
        return x + out if self.residual else out


class DeepMLP(nn.Module):
    """A deep, configurable MLP for studying gradient flow (chapter 9.2, vanishing gradients).

    x (N, ...) is flattened to (N, in_features), goes through ``depth`` :class:`DeepBlock` layers
    (the first in_features -> width, the others width -> width, each ``act(norm(linear(x)))``,
    with an identity shortcut when ``residual``; the first layer never has one), then a linear
    ``head`` width -> out_features that returns logits (N, out_features).

    ``init``: ``"default"`` keeps PyTorch's initialisation of ``nn.Linear``; ``"kaiming"`` draws
    every weight from N(0, gain^2 * 2 / fan_in) and ``"xavier"`` from
    N(0, gain^2 * 2 / (fan_in + fan_out)), both with zero biases.
    """

    def __init__(
        self,
        in_features: int = 784,
        width: int = 64,
        depth: int = 20,
        out_features: int = 10,
        activation: str = "relu",
        norm: str | None = None,
        residual: bool = False,
        init: str = "default",
        gain: float = 1.0,
    ) -> None:
        super().__init__()
        if depth < 1:
            raise ValueError(f"depth must be at least 1, got {depth}")
        if init not in ("default", "kaiming", "xavier"):
            raise ValueError(f"init must be 'default', 'kaiming' or 'xavier', got {init!r}")
        self.layers = nn.ModuleList(
            DeepBlock(in_features if i == 0 else width, width, activation, norm, residual and i > 0)
            for i in range(depth)
        )
        self.head = nn.Linear(width, out_features)
        if init != "default":
            for m in self.modules():
                if isinstance(m, nn.Linear):
                    fan_out, fan_in = m.weight.shape
                    var = 2.0 / fan_in if init == "kaiming" else 2.0 / (fan_in + fan_out)
                    nn.init.normal_(m.weight, std=gain * var**0.5)
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.flatten(x, 1)  # (N, in_features)
        for layer in self.layers:
            x = layer(x)  # (N, width)
        return self.head(x)  # (N, out_features)


# ---------------------------------------------------------------------------- residual networks (6.1)


class BasicBlock(nn.Module):
    """ResNet's basic block (He et al. 2016): ``relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))``.

    Both convolutions are 3x3 without bias (BatchNorm's shift plays that part); ``conv1`` has
    ``stride``. The shortcut is the identity when the shape is kept, else a 1x1 convolution with
    ``stride`` and a BatchNorm (the "projection shortcut", option B of the paper).
    x (N, in_channels, H, W) -> (N, out_channels, ceil(H / stride), ceil(W / stride)).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))  # (N, out, H', W')
        out = self.bn2(self.conv2(out))  # (N, out, H', W')
        return torch.relu(out + self.shortcut(x))  # the residual connection


class ResNet(nn.Module):
    """A small ResNet for 32x32 images, in the CIFAR layout of He et al. (2016), section 4.2.

    A 3x3 stem (in_channels -> widths[0]) with BN and ReLU, then one stage per entry of
    ``widths`` with ``blocks`` :class:`BasicBlock` each (every stage after the first halves the
    side with stride 2), global average pooling and a linear head. With ``blocks=n`` and three
    stages the depth is 6n + 2 weighted layers: n=1 is ResNet-8, n=3 the paper's ResNet-20.
    x (N, in_channels, H, W) -> logits (N, num_classes); for 32x32 inputs and three stages the
    last feature map (``features(x)``) is (N, widths[-1], 8, 8).
    """

    def __init__(
        self, blocks: int = 1, widths: tuple[int, ...] = (16, 32, 64), in_channels: int = 3, num_classes: int = 10
    ) -> None:
        super().__init__()
        if blocks < 1 or not widths:
            raise ValueError(f"need blocks >= 1 and at least one stage, got blocks={blocks}, widths={widths}")
        self.depth = 2 * blocks * len(widths) + 2
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU()
        )
        stages, c_in = [], widths[0]
        for i, width in enumerate(widths):
            stage = [BasicBlock(c_in, width, stride=1 if i == 0 else 2)]
            stage += [BasicBlock(width, width) for _ in range(blocks - 1)]
            stages.append(nn.Sequential(*stage))
            c_in = width
        self.stages = nn.Sequential(*stages)
        self.head = nn.Linear(widths[-1], num_classes)
        for m in self.modules():  # Kaiming initialisation for the ReLU convolutions, as in the paper
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last feature map: x (N, C, H, W) -> (N, widths[-1], H / 2^(stages-1), W / 2^(stages-1))."""
        return self.stages(self.stem(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # (N, C, h, w)
        x = x.mean(dim=(2, 3))  # global average pooling: (N, C)
        return self.head(x)  # (N, num_classes)


# ---------------------------------------------------------------------------- reinforcement learning (6.3)
# Small MLPs for the cart-pole (torchbook.rl): a state (N, state_dim) in, one number per action out.


class _BatchNorm(nn.BatchNorm2d):
    """airbench's BatchNorm: running statistics move fast (momentum 0.4), the scale is frozen at 1."""

    def __init__(self, channels: int, momentum: float = 0.4, eps: float = 1e-12) -> None:
        super().__init__(channels, eps=eps, momentum=momentum)
        self.weight.requires_grad_(False)


class _Conv(nn.Conv2d):
    """3x3 'same' convolution without bias, initialised as identity on its first channels (dirac)."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__(c_in, c_out, kernel_size=3, padding="same", bias=False)

    def reset_parameters(self) -> None:
        super().reset_parameters()
        w = self.weight.data
        nn.init.dirac_(w[: w.size(1)])  # the first c_in filters pass their input through


class ConvGroup(nn.Module):
    """conv -> max-pool 2 -> BN -> GELU -> conv -> BN -> GELU: (B, c_in, H, W) -> (B, c_out, H // 2, W // 2)."""

    def __init__(self, c_in: int, c_out: int, bn_momentum: float = 0.4) -> None:
        super().__init__()
        self.conv1, self.pool, self.norm1 = _Conv(c_in, c_out), nn.MaxPool2d(2), _BatchNorm(c_out, bn_momentum)
        self.conv2, self.norm2, self.activ = _Conv(c_out, c_out), _BatchNorm(c_out, bn_momentum), nn.GELU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.activ(self.norm1(self.pool(self.conv1(x))))
        return self.activ(self.norm2(self.conv2(x)))


class SpeedNet(nn.Module):
    """The speed run's network (chapter 7.1, ``torchbook.speedrun``), airbench94-style CIFAR-10 (Jordan 2024, arXiv:2404.00498): x (B, 3, 32, 32) -> logits (B, 10).

    A 2x2 whitening convolution (3 -> 24 channels, no padding: 32 -> 31, weights set from the
    data by :meth:`init_whitening` and frozen), then three :class:`ConvGroup` (31 -> 15 -> 7 -> 3),
    a 3x3 max-pool to 1x1, a linear layer without bias and a fixed scale of 1/9. With the default
    ``widths=(64, 256, 256)`` it has about 1.97 M parameters; smaller widths make CPU runs cheap.
    """

    def __init__(
        self,
        widths: tuple[int, int, int] = (64, 256, 256),
        num_classes: int = 10,
        bn_momentum: float = 0.4,
        scale: float = 1 / 9,
    ) -> None:
        super().__init__()
        self.whiten = nn.Conv2d(3, 24, kernel_size=2, padding=0, bias=True)
        self.whiten.weight.requires_grad_(False)
        nn.init.zeros_(self.whiten.bias)
        self.layers = nn.Sequential(
            nn.GELU(),
            ConvGroup(24, widths[0], bn_momentum),
            ConvGroup(widths[0], widths[1], bn_momentum),
            ConvGroup(widths[1], widths[2], bn_momentum),
            nn.MaxPool2d(3),
            nn.Flatten(),
        )
        self.head = nn.Linear(widths[2], num_classes, bias=False)
        self.scale = scale

    @torch.no_grad()
    def init_whitening(self, images: torch.Tensor, eps: float = 5e-4) -> None:
        """Set the 2x2 filters to the whitening transform of the patches of ``images`` (B, 3, H, W) float.

        The 12 eigenvectors of the patch covariance, scaled by 1/sqrt(eigenvalue + eps), and their
        negatives (24 filters): after GELU, both signs of each decorrelated direction survive.
        """
        c, (h, w) = images.shape[1], self.whiten.weight.shape[2:]
        patches = images.unfold(2, h, 1).unfold(3, w, 1)  # (B, C, H-1, W-1, h, w)
        patches = patches.transpose(1, 3).reshape(-1, c * h * w).double()  # (P, C*h*w)
        cov = patches.T @ patches / len(patches)  # (12, 12)
        eigenvalues, eigenvectors = torch.linalg.eigh(cov)
        eigenvalues, eigenvectors = eigenvalues.flip(0), eigenvectors.T.flip(0)  # largest first, rows
        filters = (eigenvectors / torch.sqrt(eigenvalues + eps).view(-1, 1)).reshape(-1, c, h, w)
        self.whiten.weight.copy_(torch.cat([filters, -filters]).to(self.whiten.weight.dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layers(self.whiten(x))  # (B, widths[2])
        return self.head(x) * self.scale  # (B, num_classes)


class PolicyNet(nn.Module):
    """A policy pi(a|s) for policy gradients: state_dim -> hidden -> tanh -> n_actions.

    states (N, state_dim) -> action logits (N, n_actions); ``softmax`` gives the probabilities.
    """

    def __init__(self, state_dim: int = 4, n_actions: int = 2, hidden: int = 64) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(state_dim, hidden), nn.Tanh(), nn.Linear(hidden, n_actions))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)  # (N, n_actions)


class QNet(nn.Module):
    """An action-value function Q(s, a) for DQN: state_dim -> hidden -> hidden -> n_actions, ReLU.

    states (N, state_dim) -> Q values (N, n_actions), one estimated return per action.
    """

    def __init__(self, state_dim: int = 4, n_actions: int = 2, hidden: int = 128) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(state_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, n_actions)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)  # (N, n_actions)


class ActorCritic(nn.Module):
    """An actor pi(a|s) and a critic V(s) for actor-critic methods (A2C), as two separate tanh MLPs.

    states (N, state_dim) -> (action logits (N, n_actions), state values (N,)). Separate networks
    keep the critic's regression from disturbing the policy's features (a shared trunk also works).
    """

    def __init__(self, state_dim: int = 4, n_actions: int = 2, hidden: int = 64) -> None:
        super().__init__()
        self.actor = nn.Sequential(nn.Linear(state_dim, hidden), nn.Tanh(), nn.Linear(hidden, n_actions))
        self.critic = nn.Sequential(nn.Linear(state_dim, hidden), nn.Tanh(), nn.Linear(hidden, 1))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.actor(x), self.critic(x).squeeze(-1)  # (N, n_actions), (N,)
