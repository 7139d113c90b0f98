"""Contrastive pre-training of a tiny CLIP on the synthetic quickstart data.

A random-initialised CLIP has no idea what a "ball" looks like, so methods that rely on CLIP's
image-text space (mask-pooled CLIP classification in OVSNet, NegLabel, ΔEnergy) cannot show
anything on the quickstart with it. ``tools/misc/make_tiny_clip.py --pretrain-on DATA`` therefore
trains both towers of the tiny CLIP, CLIP-style, on image / caption pairs cut from the quickstart
data: the ImageNet-style ID images ("a photo of a goldfish.") and, from the segmentation set, a
square crop around each class region ("a photo of a ball."). The loss is the image-to-text
InfoNCE over the distinct captions (each batch is classified against every caption, which avoids
false negatives between images with the same caption). This is a stand-in for real CLIP weights
on data the project makes itself, not a replacement for them.
"""
import os.path as osp
from typing import Callable, List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from .model import CLIP_MEAN, CLIP_STD
from .vocabularies import load_vocabulary

TEMPLATE = 'a photo of a {}.'


def _square_crop(img: np.ndarray, mask: np.ndarray, size: int) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    cy, cx = (ys.min() + ys.max()) / 2, (xs.min() + xs.max()) / 2
    half = max(ys.max() - ys.min(), xs.max() - xs.min(), 8) / 2 + 2
    h, w = mask.shape
    y0, y1 = int(max(0, cy - half)), int(min(h, cy + half + 1))
    x0, x1 = int(max(0, cx - half)), int(min(w, cx + half + 1))
    crop = Image.fromarray(img[y0:y1, x0:x1]).resize((size, size), Image.BICUBIC)
    return np.asarray(crop)


def quickstart_pairs(root: str, size: int = 32, min_area: int = 40) -> Tuple[np.ndarray, List[str]]:
    """Images (``N x size x size x 3`` uint8, RGB) and captions from the quickstart data."""
    images, captions = [], []
    cls_root = osp.join(root, 'cls', 'imagenet')
    names = [n[0] for n in load_vocabulary(osp.join(cls_root, 'meta', 'classes.txt'))]
    with open(osp.join(cls_root, 'meta', 'train.txt')) as f:
        for line in f:
            rel, label = line.split()
            img = Image.open(osp.join(cls_root, 'train', rel)).convert('RGB')
            images.append(np.asarray(img.resize((size, size), Image.BICUBIC)))
            captions.append(TEMPLATE.format(names[int(label)]))
    seg_root = osp.join(root, 'seg')
    seg_names = [n[0] for n in load_vocabulary(osp.join(seg_root, 'classes.txt'))]
    img_dir = osp.join(seg_root, 'images', 'training')
    ann_dir = osp.join(seg_root, 'annotations', 'training')
    import os
    for name in sorted(os.listdir(img_dir)):
        img = np.asarray(Image.open(osp.join(img_dir, name)).convert('RGB'))
        label = np.asarray(Image.open(osp.join(ann_dir, osp.splitext(name)[0] + '.png')))
        for k in np.unique(label):
            mask = label == k
            if k == 0 or mask.sum() < min_area:
                continue
            images.append(_square_crop(img, mask, size))
            captions.append(TEMPLATE.format(seg_names[int(k) - 1]))
    if not images:
        raise ValueError(f'No training pairs found under {root}: run '
                         'tools/misc/make_quickstart_data.py first.')
    return np.stack(images), captions


def pretrain_clip(model: torch.nn.Module, tokenizer: Callable, images: np.ndarray,
                  captions: List[str], steps: int = 300, batch_size: int = 64,
                  lr: float = 2e-3, seed: int = 0,
                  log: Optional[Callable[[str], None]] = None) -> List[float]:
    """Train ``model`` (both towers) in place; returns the loss per step."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    mean = torch.tensor(CLIP_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(CLIP_STD).view(1, 3, 1, 1)
    x_all = (torch.from_numpy(images).permute(0, 3, 1, 2).float() - mean) / std
    uniq = sorted(set(captions))
    target_all = torch.tensor([uniq.index(c) for c in captions])
    tokens = tokenizer(uniq)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    losses = []
    for step in range(steps):
        idx = torch.randint(0, len(x_all), (batch_size, ), generator=gen)
        x = x_all[idx]
        if torch.rand(1, generator=gen).item() < 0.5:
            x = x.flip(3)
        img = F.normalize(model.encode_image(x), dim=-1)
        txt = F.normalize(model.encode_text(tokens), dim=-1)
        logits = model.logit_scale.exp().clamp(max=100) * img @ txt.T
        loss = F.cross_entropy(logits, target_all[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
        if log is not None and (step + 1) % 50 == 0:
            log(f"tiny CLIP pre-training step {step + 1}/{steps}: loss {losses[-1]:.3f}")
    model.eval()
    return losses
