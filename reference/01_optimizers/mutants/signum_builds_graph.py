"""Signum's step runs with grad enabled and writes through p.data: the buffer, built from p, drags a graph along."""


class Signum(Signum):
    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            lr, momentum, weight_decay = group["lr"], group["momentum"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + weight_decay * p
                if momentum > 0:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = torch.zeros_like(p.data)
                    g = state["momentum_buffer"].mul_(momentum).add_(g, alpha=1 - momentum)
                p.data.add_(g.data.sign(), alpha=-lr)
        return loss
