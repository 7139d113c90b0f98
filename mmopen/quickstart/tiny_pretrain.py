"""Contrastive pre-training of a tiny CLIP on the synthetic quickstart data.

A random-initialised CLIP has no idea what a "ball" looks like, so methods that rely on CLIP's
image-text space (mask-pooled CLIP classification in OVSNet, NegLabel, ΔEnergy) cannot show
anything on the quickstart with it. ``tools/misc/make_tiny_clip.py --pretrain-on DATA`` therefore
trains both towers of the tiny CLIP, CLIP-style, on image / caption pairs cut from the quickstart
data: the ImageNet-style ID images ("a photo of a goldfish.") and, from the segmentation set, a
square crop around each class region ("a photo of a ball."). The loss is the image-to-text
InfoNCE over the distinct captions (each batch is classified against every caption, which avoids
false negatives between images with the same caption), plus the same loss on the mask-pooled
embeddings of the segmentation regions (:func:`region_embeddings`), so that the tower's dense
features classify regions as mask pooling needs. When the data has the open world of the OOD
quickstart (:mod:`mmopen.quickstart.ood_world`), a third term captions images of *every* concept of
it, ID or not (:func:`world_caption_loss`), as a real CLIP has read about far more than any ID
label set. This is a stand-in for real CLIP weights on data the project makes itself, not a
replacement for them.
"""
import json
import os
import os.path as osp
from typing import Callable, List, NamedTuple, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from mmopen.clip.constants import CLIP_MEAN, CLIP_STD
from mmopen.clip.dense import dense_features, pooled_to_embedding
from mmopen.clip.templates import CSP_CONJUGATED, CSP_NOUNS
from mmopen.clip.vocabularies import load_vocabulary
from mmopen.ovs.mask_pooling import mask_pool
from .ood_world import adjectives as world_adjectives
from .ood_world import matches
from .ood_world import objects as world_objects
from .ood_world import pretraining_images, sample_description
from .ood_world import scenes as world_scenes
from .osdg_data import world as osdg_world

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


class PretrainData(NamedTuple):
    """Image / caption pairs (``N x size x size x 3`` uint8 RGB) and, for region alignment, the
    segmentation training images (``M x H x W x 3``) with their label maps (``M x H x W``,
    0 = unlabelled, ``k`` = ``seg_captions[k - 1]``)."""
    images: np.ndarray
    captions: List[str]
    seg_images: np.ndarray
    seg_labels: np.ndarray
    seg_captions: List[str]
    world: Sequence = ()  # mmopen.quickstart.ood_world.Sample, for the open-world term


# Pre-training caption templates of the open world (a real CLIP has read every phrasing the
# OOD methods prompt with: NegLabel's, CSP's, and the plain ones)
WORLD_NOUN_TEMPLATES = ('a photo of a {}.', 'a {}.', 'the nice {}') + CSP_NOUNS + CSP_CONJUGATED
WORLD_ADJ_TEMPLATES = ('This is a {} photo', 'a {} photo.', 'a photo that is {}.')


def quickstart_pairs(root: str, size: int = 32, min_area: int = 40) -> PretrainData:
    """The pre-training data cut from the quickstart data in ``root`` (for the OSDG quickstart,
    :func:`osdg_pairs`)."""
    if osp.isfile(osp.join(root, 'benchmark.json')):
        return osdg_pairs(root, size=size)
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
    seg_captions = [TEMPLATE.format(n[0])
                    for n in load_vocabulary(osp.join(seg_root, 'classes.txt'))]
    img_dir = osp.join(seg_root, 'images', 'training')
    ann_dir = osp.join(seg_root, 'annotations', 'training')
    seg_images, seg_labels = [], []
    for name in sorted(os.listdir(img_dir)):
        img = np.asarray(Image.open(osp.join(img_dir, name)).convert('RGB'))
        label = np.asarray(Image.open(osp.join(ann_dir, osp.splitext(name)[0] + '.png')))
        seg_images.append(img)
        seg_labels.append(label)
        for k in np.unique(label):
            mask = label == k
            if k == 0 or mask.sum() < min_area:
                continue
            images.append(_square_crop(img, mask, size))
            captions.append(seg_captions[int(k) - 1])
    if not images:
        raise ValueError(f'No training pairs found under {root}: run '
                         'tools/misc/make_quickstart_data.py first.')
    world = ()
    world_json = osp.join(root, 'world', 'world.json')
    if osp.isfile(world_json):
        with open(world_json) as f:
            meta = json.load(f)
        world = pretraining_images(meta['seed'] + 1000, meta['size'])
    return PretrainData(np.stack(images), captions, np.stack(seg_images), np.stack(seg_labels),
                        seg_captions, world)


def osdg_pairs(root: str, size: int = 32, per_class: int = 40):
    """Pre-training pairs for the tiny CLIP: fresh images of every class in every style (drawn
    from the data's seed + 1000, so none is an image of the data set) captioned
    ``"a photo of a <class>."``."""
    images, captions = [], []
    for img, _, name in osdg_world(root, per_class):
        if img.shape[0] != size:
            img = np.asarray(Image.fromarray(img).resize((size, size), Image.BICUBIC))
        images.append(img)
        captions.append(TEMPLATE.format(name))
    empty = np.zeros((0, size, size, 3), np.uint8)
    return PretrainData(np.stack(images), captions, empty, np.zeros((0, size, size), np.uint8),
                        [])


def _normalise(images: np.ndarray) -> torch.Tensor:
    mean = torch.tensor(CLIP_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(CLIP_STD).view(1, 3, 1, 1)
    return (torch.from_numpy(images).permute(0, 3, 1, 2).float() - mean) / std


def region_embeddings(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor,
                      num_classes: int):
    """Mask-pooled CLIP embeddings of every labelled region (the pooling OVSNet does, at the
    masks' resolution) and the region's class index."""
    dense = dense_features(model.visual, images)
    small = labels[:, None, ::4, ::4]  # the stride of OVSNet's masks
    masks = torch.stack([small[:, 0] == k + 1 for k in range(num_classes)], dim=1).float()
    pooled = pooled_to_embedding(model.visual, mask_pool(dense.pool_features, masks * 2 - 1,
                                                         'binary', 'masks'))
    present = masks.flatten(2).sum(-1) > 0  # B x K
    targets = torch.arange(num_classes).expand_as(present)
    return pooled[present], targets[present]


def world_caption_loss(model: torch.nn.Module, tokenizer: Callable, images: torch.Tensor,
                       samples: Sequence, rng: np.random.Generator,
                       others: Sequence = ()) -> torch.Tensor:
    """Image-to-caption InfoNCE on open-world images, true captions of other images left out.

    Each image gets one true phrase (:func:`~mmopen.quickstart.ood_world.sample_description`);
    ``others`` (more images) give one more phrase each, and every object and scene noun is
    added, so that each image is told apart from every concept of the world at every step
    (without them, a tiny tower at 96 px learns the objects several times slower); each phrase
    is captioned with a random template. Every image is classified against its own
    caption and the captions *false* of it: a ``"red object"`` drawn for another image is true of
    a red ball, so it is neither its target nor a negative (left out of its softmax). Counting
    every true caption as a target instead lets the model put all its mass on the phrases true
    of every object image (``"a photo of an object"``) and learn nothing."""
    own = [sample_description(rng, s) for s in samples]
    phrases = list(dict.fromkeys(own + [sample_description(rng, s) for s in others]
                                 + world_objects() + world_scenes()))
    adjectives = set(world_adjectives())
    captions = []
    for p in phrases:
        pool = WORLD_ADJ_TEMPLATES if p in adjectives else WORLD_NOUN_TEMPLATES
        captions.append(pool[int(rng.integers(len(pool)))].format(p))
    target = torch.tensor([phrases.index(p) for p in own])
    true = torch.tensor([[matches(s, p) for p in phrases] for s in samples])
    true[torch.arange(len(samples)), target] = False  # the target itself stays in
    txt = F.normalize(model.encode_text(tokenizer(captions)), dim=-1)
    img = F.normalize(model.encode_image(images), dim=-1)
    logits = model.logit_scale.exp().clamp(max=100) * img @ txt.T
    return F.cross_entropy(logits.masked_fill(true, float('-inf')), target)


def pretrain_clip(model: torch.nn.Module, tokenizer: Callable, data: PretrainData,
                  steps: int = 300, batch_size: int = 64, seg_batch_size: int = 16,
                  world_batch_size: int = 48, lr: Optional[float] = None, seed: int = 0,
                  log: Optional[Callable[[str], None]] = None) -> List[float]:
    """Train ``model`` (both towers) in place; returns the loss per step.

    Each step adds two InfoNCE terms over all distinct captions: image-to-caption on a batch of
    pairs, and region-to-caption on the labelled regions of a batch of segmentation images
    (their mask-pooled embeddings), so that the tower's features classify regions the way a
    CLIP trained at scale does; with an open world (``data.world``), the third term
    :func:`world_caption_loss` on ``world_batch_size`` of its images. ``lr`` defaults to 2e-3
    with a cosine schedule; with an open world, to 1e-3 after a 30-step linear warm-up (its 96 px
    images make the tiny ConvNeXt collapse to a constant embedding at 2e-3 from the first
    steps)."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    x_all = _normalise(data.images)
    seg_all = _normalise(data.seg_images)
    seg_labels = torch.from_numpy(data.seg_labels.astype(np.int64))
    uniq = sorted(set(data.captions) | set(data.seg_captions))
    target_all = torch.tensor([uniq.index(c) for c in data.captions])
    seg_target = torch.tensor([uniq.index(c) for c in data.seg_captions], dtype=torch.long)
    tokens = tokenizer(uniq)
    world_all = _normalise(np.stack([w.image for w in data.world])) if data.world else None
    world_rng = np.random.default_rng(seed)
    model.train()
    if lr is None:  # the open world's larger images diverge at 2e-3 without a warm-up
        lr = 1e-3 if world_all is not None else 2e-3
    warmup = 30 if world_all is not None else 0
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    if warmup:  # linear warm-up, then cosine to 0
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda k: (k + 1) / warmup if k < warmup else
            0.5 * (1 + np.cos(np.pi * (k - warmup) / max(steps - warmup, 1))))
    else:
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    losses = []
    for step in range(steps):
        idx = torch.randint(0, len(x_all), (batch_size, ), generator=gen)
        x = x_all[idx]
        sidx = torch.randint(0, max(len(seg_all), 1), (seg_batch_size, ), generator=gen)
        xs, ls = (seg_all[sidx], seg_labels[sidx]) if len(seg_all) else (seg_all, seg_labels)
        if torch.rand(1, generator=gen).item() < 0.5:
            x, xs, ls = x.flip(3), xs.flip(3), ls.flip(2)
        txt = F.normalize(model.encode_text(tokens), dim=-1)
        scale = model.logit_scale.exp().clamp(max=100)
        img = F.normalize(model.encode_image(x), dim=-1)
        loss = F.cross_entropy(scale * img @ txt.T, target_all[idx])
        if len(seg_all):
            reg, reg_cls = region_embeddings(model, xs, ls, len(data.seg_captions))
            loss = loss + F.cross_entropy(scale * F.normalize(reg, dim=-1) @ txt.T,
                                          seg_target[reg_cls])
        if world_all is not None:
            widx = world_rng.integers(0, len(world_all), world_batch_size)
            xw = world_all[torch.from_numpy(widx)]
            if world_rng.random() < 0.5:
                xw = xw.flip(3)
            others = world_rng.integers(0, len(data.world), world_batch_size)
            loss = loss + world_caption_loss(model, tokenizer, xw, [data.world[i] for i in widx],
                                             world_rng, [data.world[i] for i in others])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
        if log is not None and (step + 1) % 50 == 0:
            log(f"tiny CLIP pre-training step {step + 1}/{steps}: loss {losses[-1]:.3f}")
    model.eval()
    return losses
