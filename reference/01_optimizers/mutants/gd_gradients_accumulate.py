"""gradient_descent uses backward() but never clears x.grad, so every step adds all past gradients."""


def gradient_descent(f, x0, lr, steps):
    x = x0.detach().clone().requires_grad_(True)
    values = []
    for _ in range(steps):
        loss = f(x)
        loss.backward()
        values.append(loss.item())
        with torch.no_grad():
            x -= lr * x.grad
    return x.detach(), values
