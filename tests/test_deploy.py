"""torchbook.deploy: ONNX round trip in onnxruntime, torchao int8, TensorBoard read-back."""

import torch
from torch.utils.tensorboard import SummaryWriter

from torchbook import compress, deploy, models


def _mlp() -> torch.nn.Module:
    torch.manual_seed(0)
    return models.MLP(hidden=16).eval()


def test_onnx_round_trip_matches_pytorch(tmp_path):
    model, x = _mlp(), torch.randn(4, 1, 28, 28)
    batch = torch.export.Dim("batch", min=1, max=64)
    program = torch.export.export(model, (x,), dynamic_shapes={"x": {0: batch}})
    path = deploy.export_onnx(program, tmp_path / "mlp.onnx")
    assert path.is_file() and not (tmp_path / "mlp.onnx.data").exists()  # weights inside the file
    session = deploy.onnx_session(path)
    for n in (1, 7):  # the batch dimension is dynamic
        x = torch.randn(n, 1, 28, 28)
        torch.testing.assert_close(deploy.onnx_predict(session, x), model(x).detach(), atol=1e-5, rtol=1e-4)


def test_quantize_int8_is_smaller_close_and_leaves_the_original():
    model, x = _mlp(), torch.randn(8, 1, 28, 28)
    before = [p.clone() for p in model.parameters()]
    for dynamic in (False, True):
        small = deploy.quantize_int8(model, dynamic_activations=dynamic)
        assert compress.state_bytes(small) < 0.5 * compress.state_bytes(model)
        with torch.no_grad():
            assert (small(x) - model(x)).abs().max() < 0.05 * model(x).abs().max()
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_read_scalars_reads_what_summary_writer_wrote(tmp_path):
    with SummaryWriter(log_dir=str(tmp_path)) as writer:
        for step, value in enumerate([2.5, 1.25, 0.5]):
            writer.add_scalar("loss/train", value, step)
    assert deploy.read_scalars(tmp_path, "loss/train") == [(0, 2.5), (1, 1.25), (2, 0.5)]
    try:
        deploy.read_scalars(tmp_path, "nope")
    except KeyError as err:
        assert "loss/train" in str(err)
    else:
        raise AssertionError("expected a KeyError")


def test_zero_fraction():
    assert deploy.zero_fraction([torch.tensor([0.0, 1.0]), torch.zeros(2)]) == 0.75
