"""SeeCLIP's losses against references written here, sample by sample."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmopen.osdg.seeclip.losses import (alignment_loss, cohesion_loss, l1_regulariser,
                                        repulsion_loss, seeclip_losses)


def _batch(b=6, c=3, d=5, seed=0):
    gen = torch.Generator().manual_seed(seed)
    text = F.normalize(torch.randn(b, c + 1, d, generator=gen), dim=-1)
    labels = torch.tensor([0, 2, 3, 1, 3, 0])[:b]  # 3 = unknown (pseudo-unknowns)
    return text, labels


def test_repulsion_matches_per_sample_hinge():
    text, labels = _batch()
    c = text.shape[1] - 1
    for margin in (0.5, 0.9, 1.5):
        terms = []
        for b in range(text.shape[0]):
            y = int(labels[b])
            if y == c:
                continue  # a pseudo-unknown has no class prompt to repel
            cos = float(torch.dot(text[b, c], text[b, y]))
            terms.append(max(0.0, cos - (1 - margin)))
        ref = sum(terms) / len(terms)
        assert float(repulsion_loss(text, labels, margin)) == pytest.approx(ref, abs=1e-6)


def test_a_gradient_step_on_repulsion_pushes_the_unknown_prompt_away():
    # the released code's sign would pull it closer: this is what fails with that bug
    text, labels = _batch()
    c = text.shape[1] - 1
    known = labels < c
    unk = text[:, c].clone().requires_grad_(True)
    full = torch.cat([text[:, :c], unk[:, None]], dim=1)
    loss = repulsion_loss(full, labels, margin=1.5)  # every hinge active
    loss.backward()
    moved = F.normalize(unk - 0.1 * unk.grad, dim=-1)
    before = (text[known, c] * text[known, labels[known]]).sum(-1)
    after = (moved[known] * text[known, labels[known]]).sum(-1)
    assert bool((after < before).all())


def test_cohesion_is_the_mse_of_the_two_batch_means():
    text, labels = _batch()
    c = text.shape[1] - 1
    rows = [b for b in range(text.shape[0]) if int(labels[b]) < c]
    mean_unk = sum(text[b, c] for b in rows) / len(rows)
    mean_gt = sum(text[b, int(labels[b])] for b in rows) / len(rows)
    ref = sum(float(mean_unk[i] - mean_gt[i])**2 for i in range(text.shape[2])) / text.shape[2]
    assert float(cohesion_loss(text, labels)) == pytest.approx(ref, abs=1e-7)


def test_regulariser_is_the_mean_absolute_weight():
    ws = [torch.tensor([[1.0, -2.0], [0.5, 0.0]]), torch.tensor([[-3.0, 1.5, 0.0]])]
    ref = (1 + 2 + 0.5 + 0 + 3 + 1.5 + 0) / 7
    assert float(l1_regulariser(ws)) == pytest.approx(ref)


def test_alignment_is_cross_entropy_over_known_and_unknown():
    gen = torch.Generator().manual_seed(1)
    logits = torch.randn(5, 4, generator=gen)
    labels = torch.tensor([0, 3, 1, 3, 2])
    ref = sum(-logits[b, labels[b]] + math.log(sum(math.exp(v) for v in logits[b].tolist()))
              for b in range(5)) / 5
    assert float(alignment_loss(logits, labels)) == pytest.approx(float(ref), abs=1e-6)


def test_total_uses_the_weights_and_survives_batches_of_pseudo_unknowns_only():
    text, labels = _batch()
    logits = torch.randn(text.shape[0], text.shape[1])
    psi = [torch.ones(2, 2, requires_grad=True)]
    out = seeclip_losses(logits, text, labels, psi, margin=0.5, w_rep=2.0, w_coh=3.0, w_reg=4.0)
    assert float(out['loss_rep']) == pytest.approx(2 * float(repulsion_loss(text, labels)))
    assert float(out['loss_coh']) == pytest.approx(3 * float(cohesion_loss(text, labels)))
    assert float(out['loss_reg']) == pytest.approx(4.0)
    only_unknown = torch.full_like(labels, text.shape[1] - 1)
    out = seeclip_losses(logits, text.requires_grad_(True), only_unknown, psi)
    assert float(out['loss_rep']) == 0 and float(out['loss_coh']) == 0
    sum(out.values()).backward()  # still a graph
