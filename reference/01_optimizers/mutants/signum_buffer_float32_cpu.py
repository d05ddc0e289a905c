"""Signum creates the buffer with torch.zeros(p.shape): float32 on the CPU, whatever p's dtype and device."""


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
                g = p.grad.add(p, alpha=weight_decay)
                if momentum > 0:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = torch.zeros(p.shape)
                    m = state["momentum_buffer"]
                    m.mul_(momentum).add_(g.to(m), alpha=1 - momentum)
                    g = m.to(p)
                p.add_(g.sign(), alpha=-lr)
        return loss
