"""Signum treats a missing .grad as zeros, so weight decay moves params that took no part in the loss."""


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
                grad = p.grad if p.grad is not None else torch.zeros_like(p)
                g = grad.add(p, alpha=weight_decay)
                if momentum > 0:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = torch.zeros_like(p)
                    g = state["momentum_buffer"].mul_(momentum).add_(g, alpha=1 - momentum)
                p.add_(g.sign(), alpha=-lr)
        return loss
