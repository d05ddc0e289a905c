"""gradient_descent appends loss.detach() (0-dim tensors) to values instead of Python floats."""


def gradient_descent(f, x0, lr, steps):
    x = x0.detach().clone().requires_grad_(True)
    values = []
    for _ in range(steps):
        loss = f(x)
        (grad,) = torch.autograd.grad(loss, x)
        values.append(loss.detach())
        with torch.no_grad():
            x -= lr * grad
    return x.detach(), values
