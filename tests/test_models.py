import torch

from torchbook import models


def test_shapes():
    assert models.LinearRegression()(torch.zeros(4, 1)).shape == (4, 1)
    assert models.SimpleNet()(torch.zeros(4, 2)).shape == (4, 1)
    assert models.MLP()(torch.zeros(4, 1, 28, 28)).shape == (4, 10)
    assert models.LeNet()(torch.zeros(4, 3, 32, 32)).shape == (4, 10)
    assert models.LeNet(in_channels=1, image_size=28)(torch.zeros(4, 1, 28, 28)).shape == (4, 10)


def test_lenet_matches_article_layer_sizes():
    net = models.LeNet()
    assert net.fc1.in_features == 16 * 5 * 5
    assert (net.fc1.out_features, net.fc2.out_features, net.fc3.out_features) == (120, 84, 10)
    assert models.count_parameters(net) == 62006  # the classic LeNet-5 on CIFAR-10


def test_mlp_parameter_count():
    assert models.count_parameters(models.MLP()) == 784 * 128 + 128 + 128 * 10 + 10


def test_simplenet_probabilities_flag():
    torch.manual_seed(0)
    net = models.SimpleNet(probabilities=True)
    out = net(torch.randn(8, 2))
    assert ((out > 0) & (out < 1)).all()
    x = torch.randn(8, 2)
    probs = net(x)
    net.probabilities = False
    logits = net(x)  # the same weights without the final sigmoid
    assert not torch.allclose(logits, probs)  # the flag changes the output ...
    torch.testing.assert_close(torch.sigmoid(logits), probs)  # ... by exactly the sigmoid
    assert logits.shape == probs.shape == (8, 1)


def test_count_parameters_trainable_only():
    net = models.MLP()
    net.fc1.weight.requires_grad_(False)
    assert models.count_parameters(net) == 128 + 128 * 10 + 10
    assert models.count_parameters(net, trainable_only=False) == 784 * 128 + 128 + 128 * 10 + 10
