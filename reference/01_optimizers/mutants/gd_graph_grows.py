"""gradient_descent updates with x = x - lr * grad outside no_grad: every step records the update,
so x's graph grows with every step (f gets a non-leaf with the whole history behind it)."""


def gradient_descent(f, x0, lr, steps):
    x = x0.detach().clone().requires_grad_(True)
    values = []
    for _ in range(steps):
        loss = f(x)
        (grad,) = torch.autograd.grad(loss, x)
        values.append(loss.item())
        x = x - lr * grad
    return x.detach(), values
