"""gradient_descent rebuilds x with torch.tensor(x0.tolist()): float32 on the CPU, whatever x0 was."""


def gradient_descent(f, x0, lr, steps):
    x = torch.tensor(x0.tolist(), requires_grad=True)
    values = []
    for _ in range(steps):
        loss = f(x.to(x0))
        (grad,) = torch.autograd.grad(loss, x)
        values.append(loss.item())
        with torch.no_grad():
            x -= lr * grad
    return x.detach(), values
