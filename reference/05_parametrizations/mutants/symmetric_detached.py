"""Symmetric mirrors a detached copy of the upper triangle: the values are right, but half the
gradient is lost."""


def _forward(self, X):
    return X.triu() + X.triu(1).mT.detach()


Symmetric.forward = _forward
