"""gradient_descent records f at the point after each update, so values[0] is f(x_1), not f(x0)."""


def gradient_descent(f, x0, lr, steps):
    x = x0.detach().clone().requires_grad_(True)
    values = []
    for _ in range(steps):
        (grad,) = torch.autograd.grad(f(x), x)
        with torch.no_grad():
            x -= lr * grad
            values.append(f(x).item())
    return x.detach(), values
