"""SynOOD's OOD losses against float64 formulas written out here."""
import numpy as np
import pytest
import torch

from mmopen.diffusion.losses import energy_loss, get_ood_loss, squared_score_loss


@pytest.mark.parametrize('tau', [1.0, 0.5, 2.0])
def test_energy_loss_is_eq7(tau):
    g = torch.randn(6, 9) * 4
    ref = np.array([-5.0 - tau * np.log(np.sum(np.exp(row / tau)))
                    for row in g.double().numpy()])
    assert np.allclose(energy_loss(g, m_out=-5.0, tau=tau).numpy(), ref, atol=1e-5)
    # m_out shifts the loss and not its gradient
    x = g.clone().requires_grad_(True)
    grad_a, = torch.autograd.grad(energy_loss(x, -5.0, tau).sum(), x)
    grad_b, = torch.autograd.grad(energy_loss(x, 3.0, tau).sum(), x)
    assert torch.equal(grad_a, grad_b)


def test_squared_loss_is_the_released_loops():
    g = torch.randn(4, 7) * 3
    rows = g.double().numpy()
    s = rows.mean(1) - np.log(np.exp(rows).sum(1))
    assert np.allclose(squared_score_loss(g, m_out=-5.0).numpy(), (-5.0 - s)**2, atol=1e-4)


def test_unknown_loss_is_refused():
    with pytest.raises(ValueError, match="'hinge'.*energy"):
        get_ood_loss('hinge')
