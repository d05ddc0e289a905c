"""Symmetric returns X + X.T: symmetric, but the diagonal doubles and assigning A reads back 2 * A."""


def _forward(self, X):
    return X + X.mT


Symmetric.forward = _forward
