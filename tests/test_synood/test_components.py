"""Seeds, context prompts, label mining and guidance classifiers, each against a computation
written here along another path (mmpretrain's 0-255 preprocessing for CLIP inputs)."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from mmopen.clip import CLIP_MEAN, CLIP_STD, FrozenCLIP
from mmopen.ood.synood import (CaptionContext, MMPretrainLogits, NegativeLabelMiner,
                               VocabularyContext, format_prompt, read_image_list, select_seeds)


def _clip_embed(clip, images):
    """Image embeddings the mmpretrain way: uint8 -> float 0-255 -> (x - mean) / std."""
    x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float()
    x = (x - torch.tensor(CLIP_MEAN).view(1, 3, 1, 1)) / torch.tensor(CLIP_STD).view(1, 3, 1, 1)
    with torch.no_grad():
        return F.normalize(clip.model.encode_image(x).float(), dim=-1)


# ------------------------------------------------------------------ seeds
def test_seeds_are_the_most_bytes_per_pixel_per_class(tmp_path):
    rng = np.random.default_rng(0)
    lines = []
    for label in range(3):
        for i in range(5):
            # the noise amplitude sets how many JPEG bytes each image takes
            img = np.full((24, 32, 3), 128, np.float32) + rng.normal(0, 8 * i + 1, (24, 32, 3))
            rel = f'c{label}/img{i}.jpg'
            (tmp_path / f'c{label}').mkdir(exist_ok=True)
            Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(tmp_path / rel,
                                                                       quality=90)
            lines.append(f'{rel} {label}\n')
    (tmp_path / 'list.txt').write_text(''.join(lines))
    samples = read_image_list(str(tmp_path / 'list.txt'))
    seeds = select_seeds(samples, k=2, data_root=str(tmp_path))
    expected = []
    for label in range(3):
        cands = [(osp.getsize(tmp_path / p) / (32 * 24), p) for p, lb in samples if lb == label]
        expected += [p for _, p in sorted(cands, reverse=True)[:2]]
    assert [s.path for s in seeds] == expected
    assert [s.label for s in seeds] == [0, 0, 1, 1, 2, 2]
    assert all(s.path.endswith(('img4.jpg', 'img3.jpg')) for s in seeds)


def test_empty_seed_list_is_refused(tmp_path):
    with pytest.raises(ValueError, match='seed list is empty.*data root'):
        select_seeds([], data_root=str(tmp_path))
    with pytest.raises(FileNotFoundError, match='missing.jpg'):
        select_seeds([('missing.jpg', 0)], data_root=str(tmp_path))
    bad = tmp_path / 'bad.txt'
    bad.write_text('only_a_path.jpg\n')
    with pytest.raises(ValueError, match=r'bad.txt:1: expected "<image path> <label>"'):
        read_image_list(str(bad))


# ------------------------------------------------------------------ context prompts
def test_vocabulary_context_ranks_with_clip_and_excludes_the_class(synood_data, id_samples):
    clip = FrozenCLIP('mmopen-tiny-convnext',
                      osp.join(synood_data, 'tiny_clip_convnext.safetensors'))
    words = ['ball', 'box', 'tent', 'wall', 'grass', 'floor', 'kite', 'tire']
    ctx = VocabularyContext(clip, words, templates=('a photo of a {}.', ), top_k=2)
    images = [img for _, _, img in id_samples[:12]]
    excluded = [['box', 'boxes'], ['great grass', 'wall'], ['tire']] * 4
    got = ctx(images, [p for p, _, _ in id_samples[:12]], excluded)
    text = clip.text_embeddings([[w] for w in words], ('a photo of a {}.', ))
    sims = _clip_embed(clip, images) @ text.T
    for row, names, out in zip(sims, excluded, got):
        allowed = [i for i in torch.argsort(row, descending=True).tolist()
                   if words[i] not in names and not any(words[i] in n.split() for n in names)]
        assert out == ', '.join(words[i] for i in allowed[:2])
        # the class's names and the words inside them ('grass' of 'great grass') never appear
        banned = set(names) | {w for n in names for w in n.split()}
        assert not set(out.split(', ')) & banned
    assert format_prompt('A photo only remain {}.', got[0]) == f'A photo only remain {got[0]}.'
    with pytest.raises(ValueError, match='no "{}"'):
        format_prompt('A photo only remain.', 'grass')


def test_caption_context_reads_jsonl_and_names_a_missing_image(tmp_path):
    f = tmp_path / 'captions.jsonl'
    f.write_text(json.dumps(dict(image='train/a.jpg', caption='a sandy beach')) + '\n\n' +
                 json.dumps(dict(image='/abs/b.jpg', caption='grass')) + '\n')
    ctx = CaptionContext(str(f), data_root='/data/imagenet')
    assert ctx(None, ['train/a.jpg', '/abs/b.jpg'], None) == ['a sandy beach', 'grass']
    with pytest.raises(LookupError, match="captions.jsonl' has no caption for image "
                       "'train/missing.jpg'"):
        ctx(None, ['train/missing.jpg'], None)
    bad = tmp_path / 'bad.jsonl'
    bad.write_text('{"img": "x.jpg"}\n')
    with pytest.raises(ValueError, match=r'bad.jsonl:1: expected'):
        CaptionContext(str(bad))
    with pytest.raises(FileNotFoundError, match='nope.jsonl'):
        CaptionContext(str(tmp_path / 'nope.jsonl'))


def test_release_captions_convert_to_what_the_captions_provider_reads(tmp_path):
    """The release's ``{"<path>": "<caption>"}`` lines, cut to 73 characters as its prompts
    are, read back by :class:`CaptionContext` (run through the command-line tool)."""
    from tests.tool_runner import run_tool
    long = 'a wooden pier over calm water with reeds, a cloudy sky and distant hills behind'
    src = tmp_path / 'matched_info.jsonl'
    src.write_text(json.dumps({'train/n01440764/a.JPEG': long}) + '\n' +
                   json.dumps({'train/n01443537/b.JPEG': ' grass '}) + '\n')
    (tmp_path / 'root' / 'train' / 'n01440764').mkdir(parents=True)
    (tmp_path / 'root' / 'train' / 'n01440764' / 'a.JPEG').write_bytes(b'')
    out = str(tmp_path / 'captions.jsonl')
    run_tool(['tools/synood/convert_captions.py', str(src), out, '--data-root',
              str(tmp_path / 'root')])
    ctx = CaptionContext(out, data_root=str(tmp_path / 'root'))
    got = ctx(None, ['train/n01440764/a.JPEG', 'train/n01443537/b.JPEG'], None)
    assert got == [long[:73].strip(), 'grass'] and len(long) > 73
    run_tool(['tools/synood/convert_captions.py', str(src), out, '--max-chars', '0'])
    assert CaptionContext(out)(None, ['train/n01440764/a.JPEG'], None) == [long]
    from mmopen.ood.synood.release_captions import convert_release_captions
    with pytest.raises(ValueError, match=r'm.jsonl:2: expected one'):
        convert_release_captions(['{"a.jpg": "x"}', '{"image": "b", "caption": "y"}'],
                                 'm.jsonl')
    # a repeated path keeps its last caption (the release merges the lines into one dict)
    assert convert_release_captions(['{"a.jpg": "x"}', '', '{"b.jpg": "z"}', '{"a.jpg": "y"}'],
                                    'm.jsonl') == [dict(image='a.jpg', caption='y'),
                                                   dict(image='b.jpg', caption='z')]


# ------------------------------------------------------------------ label mining
def test_mined_label_is_the_argmax_of_the_detectors_negative_similarity(synood_data, id_samples,
                                                                        known_negatives):
    """The miner against CLIPOODClassifier's own negative similarities (its mmpretrain data
    preprocessor normalises in 0-255 units)."""
    from mmopen.models.ood import CLIPOODClassifier
    clip = dict(model_name='mmopen-tiny-convnext',
                weights=osp.join(synood_data, 'tiny_clip_convnext.safetensors'))
    miner = NegativeLabelMiner(clip, known_negatives)
    det = CLIPOODClassifier(clip=clip, vocabulary=['a', 'b'], neg_labels=known_negatives,
                            scores=[dict(type='MSPScore')])
    images = [img for _, _, img in id_samples[::7]]
    # the detector reads images as LoadImageFromFile gives them: BGR, 0-255
    x = torch.from_numpy(np.stack(images)[..., ::-1].copy()).permute(0, 3, 1, 2).float()
    batch = det.data_preprocessor(dict(inputs=list(x)), False)
    _, neg = det.similarities(batch['inputs'])
    assert torch.equal(miner(images), neg.argmax(dim=1))


# ------------------------------------------------------------------ guidance classifiers
def _tiny_resnet_config(path, num_classes):
    path.write_text(
        "model = dict(type='ImageClassifier', backbone=dict(type='ResNet', depth=18),\n"
        "             neck=dict(type='GlobalAveragePooling'),\n"
        f"             head=dict(type='LinearClsHead', num_classes={num_classes}, "
        "in_channels=512))\n"
        "data_preprocessor = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],"
        " to_rgb=True)\n")
    return str(path)


def test_mmpretrain_classifier_logits_and_class_count_check(tmp_path):
    from mmengine.config import Config
    import mmopen  # noqa: F401  # isort: skip
    from mmpretrain.registry import MODELS

    cfg5 = _tiny_resnet_config(tmp_path / 'r18_5.py', 5)
    cfg10 = _tiny_resnet_config(tmp_path / 'r18_10.py', 10)
    net = MODELS.build(Config.fromfile(cfg5).model)
    # as a Runner writes it (numpy in the meta: torch.load(weights_only=True) alone refuses it)
    torch.save(dict(state_dict=net.state_dict(), meta=dict(seed=np.int64(0))),
               tmp_path / 'r18_5.pth')
    g = MMPretrainLogits(cfg5, str(tmp_path / 'r18_5.pth'), input_size=32)
    x = torch.rand(2, 3, 40, 40, requires_grad=True)
    logits = g(x)
    # the same logits through mmpretrain's own preprocessing of 0-255 images
    net.eval()
    ref_in = F.interpolate(x.detach(), size=(32, 32), mode='bilinear', align_corners=False,
                           antialias=True) * 255
    ref_in = (ref_in - torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1)) / \
        torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1)
    with torch.no_grad():
        ref = net(ref_in, mode='tensor')
    assert logits.shape == (2, 5) and torch.allclose(logits, ref, atol=1e-4)
    logits.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    with pytest.raises(ValueError, match=r'r18_5.pth.*5 classes.*r18_10.py.*builds 10'):
        MMPretrainLogits(cfg10, str(tmp_path / 'r18_5.pth'))
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        MMPretrainLogits(cfg5, str(tmp_path / 'nope.pth'))
    # the release's preprocessing: shorter side resized, centre crop (torchvision's preset)
    from torchvision.transforms.v2 import functional as TF
    g = MMPretrainLogits(cfg5, str(tmp_path / 'r18_5.pth'), input_size=28, resize=34)
    x = torch.rand(2, 3, 40, 48)
    ref_in = TF.center_crop(TF.resize(x, [34], antialias=True), [28, 28]) * 255
    ref_in = (ref_in - torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1)) / \
        torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1)
    with torch.no_grad():
        ref = net(ref_in, mode='tensor')
    assert torch.allclose(g(x), ref, atol=1e-4)
    with pytest.raises(ValueError, match='resize=20 is smaller than input_size=28'):
        MMPretrainLogits(cfg5, str(tmp_path / 'r18_5.pth'), input_size=28, resize=20)


@pytest.mark.parametrize('h,w', [(41, 41), (37, 52), (60, 45)])
def test_resize_centre_crop_is_torchvisions_resize_then_centre_crop(h, w):
    """Odd and even margins, portrait and landscape: the offsets and the rounded-down long side
    of torchvision's ``Resize(int)`` / ``CenterCrop`` (what the SynOOD release's ResNet-50
    preset does), with and without antialiasing."""
    from torchvision.transforms.v2 import functional as TF

    from mmopen.ood.synood.classifiers import resize_centre_crop
    x = torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(h * w))
    for antialias in (True, False):
        ref = TF.center_crop(TF.resize(x, [33], antialias=antialias), [29, 29])
        got = resize_centre_crop(x, 33, 29, antialias)
        assert got.shape == ref.shape == (1, 3, 29, 29)
        assert torch.allclose(got, ref, atol=1e-5)


def _pil_bicubic_weights(in_size, out_size, a=-0.5):
    """The weights of Pillow's antialiased bicubic resampling (``ImagingResample``'s
    ``precompute_coeffs``), written out: for output pixel ``i`` the input centre
    ``(i + 0.5) * scale``, the support ``2 * max(scale, 1)``, the cubic kernel (``a = -0.5``) at
    ``(j - centre + 0.5) / max(scale, 1)``, normalised to sum 1."""
    def cubic(x):
        x = abs(x)
        if x < 1:
            return ((a + 2) * x - (a + 3)) * x * x + 1
        if x < 2:
            return (((x - 5) * x + 8) * x - 4) * a
        return 0.0
    scale = in_size / out_size
    fscale = max(scale, 1.0)
    support = 2.0 * fscale
    w = np.zeros((out_size, in_size))
    for i in range(out_size):
        centre = (i + 0.5) * scale
        lo = max(int(centre - support + 0.5), 0)
        hi = min(int(centre + support + 0.5), in_size)
        for j in range(lo, hi):
            w[i, j] = cubic((j - centre + 0.5) / fscale)
        w[i] /= w[i].sum()
    return w


def _release_squash(img, size):
    """The release's seed loading, ``Image.open(p).convert('RGB').resize((S, S))`` (Pillow's
    default filter for RGB: bicubic), in plain numpy: the horizontal pass, rounded to 8 bits as
    Pillow stores its intermediate image, then the vertical pass, rounded."""
    h, w = img.shape[:2]
    x = img.astype(np.float64)
    x = np.einsum('ow,hwc->hoc', _pil_bicubic_weights(w, size), x)
    x = np.clip(np.floor(x + 0.5), 0, 255)
    x = np.einsum('oh,hwc->owc', _pil_bicubic_weights(h, size), x)
    return np.clip(np.floor(x + 0.5), 0, 255)


def test_seeds_squashed_as_released_or_centre_cropped():
    """``fit='squash'`` is the release's ``Image.resize((S, S))`` of the whole seed, against a
    numpy port of Pillow's antialiased bicubic filter (a random seed of aspect 3:1 shrunk to 24
    x 24: a filter without antialiasing, another kernel or a crop differs by tens of levels);
    ``fit='crop'`` keeps the aspect ratio: a seed whose left and right thirds differ keeps both
    only when squashed."""
    from mmopen.diffusion.images import from_uint8
    noise = np.random.default_rng(0).integers(0, 256, (30, 90, 3), dtype=np.uint8)
    squashed = from_uint8([noise], 24, fit='squash')[0].permute(1, 2, 0).numpy() * 255
    ref = _release_squash(noise, 24)
    # Pillow quantises its weights to 22 bits: a sum on a rounding boundary may land one level
    # away, nowhere more
    assert np.abs(squashed - ref).max() <= 1.0 + 1e-3
    assert np.mean(np.abs(squashed - ref) > 0.5) < 0.02
    img = np.zeros((30, 90, 3), np.uint8)
    img[:, :30] = (250, 0, 0)
    img[:, 60:] = (0, 0, 250)
    squashed = from_uint8([img], 24, fit='squash')[0].permute(1, 2, 0).numpy() * 255
    assert squashed[:, :4, 0].mean() > 200 and squashed[:, -4:, 2].mean() > 200
    cropped = from_uint8([img], 24, fit='crop')[0].permute(1, 2, 0).numpy() * 255
    assert cropped.max() < 10  # the black middle third only
    with pytest.raises(ValueError, match="fit='fill'"):
        from_uint8([img], 24, fit='fill')
