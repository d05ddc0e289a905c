"""gradient_descent optimizes x0 itself (x = x0.detach() shares its memory), changing the caller's tensor."""


def gradient_descent(f, x0, lr, steps):
    x = x0.detach().requires_grad_(True)
    values = []
    for _ in range(steps):
        loss = f(x)
        (grad,) = torch.autograd.grad(loss, x)
        values.append(loss.item())
        with torch.no_grad():
            x -= lr * grad
    return x.detach(), values
