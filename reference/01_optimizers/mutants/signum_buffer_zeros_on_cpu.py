"""Signum makes the momentum buffer with torch.zeros(p.shape, dtype=p.dtype): p's dtype, but on the CPU
whatever p's device (a GPU rejects the first step)."""


class Signum(Signum):
    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, momentum, weight_decay = group["lr"], group["momentum"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad.add(p, alpha=weight_decay) if weight_decay else p.grad
                if momentum > 0:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = torch.zeros(p.shape, dtype=p.dtype)
                    g = state["momentum_buffer"].mul_(momentum).add_(g, alpha=1 - momentum)
                p.add_(g.sign(), alpha=-lr)
        return loss
