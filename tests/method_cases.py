"""Classes whose methods the method tests differentiate, with torch twins."""

import numpy as np
import torch


class Regressor:
    def __init__(self, scale, bias):
        self.scale = scale
        self.bias = bias

    def predict(self, w, x):
        return np.tanh(x @ w + self.bias) * self.scale

    def loss(self, w, x, y):
        residual = self.predict(w, x) - y
        return np.sum(residual ** 2) + self.penalty(w)

    def penalty(self, w):
        return 0.1 * np.sum(self.squared(w))

    @staticmethod
    def squared(v):
        return v * v


class ShiftedRegressor(Regressor):
    """Overrides predict: its loss must call this one."""

    def predict(self, w, x):
        return np.sin(x @ w) + self.bias


def t_loss(model, w, x, y, shifted=False):
    if shifted:
        prediction = torch.sin(x @ w) + torch.tensor(model.bias)
    else:
        prediction = torch.tanh(x @ w + torch.tensor(model.bias)) * model.scale
    return torch.sum((prediction - y) ** 2) + 0.1 * torch.sum(w * w)


MODEL = Regressor(2.0, np.array([0.1, -0.2]))


def uses_a_module_level_model(w, x, y):
    return MODEL.loss(w, x, y) + np.sum(MODEL.predict(w, x)) * MODEL.scale


def t_uses_a_module_level_model(w, x, y):
    prediction = torch.tanh(x @ w + torch.tensor(MODEL.bias)) * MODEL.scale
    return t_loss(MODEL, w, x, y) + torch.sum(prediction) * MODEL.scale


class Network:
    def __init__(self):
        self.layer = Regressor(1.0, np.zeros(2))

    def loss(self, w, x, y):
        return np.sum(self.layer.predict(w, x) - y)
