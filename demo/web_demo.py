"""A web demo: upload an image, type classes, see the segmentation and its legend; score the image
for OOD detection in a second tab (Streamlit, on :class:`mmopen.apis.OpenVocabSegInferencer`
and :class:`mmopen.apis.OODInferencer`).

    make demo          # after make quickstart: the quickstart's models, http://localhost:8501
    .venv/bin/streamlit run demo/web_demo.py -- [--seg-config C] [--seg-weights W]
        [--ood-config C] [--ood-weights W] [--ood-thresholds DIR] [--device cpu]

The defaults are the quickstart tour's seed-0 models: OVSNet trained in
``work_dirs/quickstart/seed0/ovsnet`` and the zero-shot OOD classifier, with thresholds at 95%
TPR from the tour's saved ID scores (``work_dirs/quickstart/seed0/ood_scores``). A config is a
path or a config name under ``configs/``; weights as the tools take them (``none`` for
zero-shot models). Each model is loaded once per server; classes change per request.
"""
import argparse
import os.path as osp
import sys
import threading

import numpy as np
import streamlit as st
from PIL import Image

QUICKSTART = 'work_dirs/quickstart/seed0'
DEFAULTS = dict(
    seg_config='ovsnet_clip-tiny-convnext_quickstart',
    seg_weights=f'last:{QUICKSTART}/ovsnet',
    ood_config='clip-tiny-convnext_zero-shot-ood_quickstart',
    ood_weights='none',
    ood_thresholds=f'{QUICKSTART}/ood_scores')
DEFAULT_CLASSES = 'wall\ngrass\nfloor\nball\nbox\ntent\nkite\ntire'


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    for key, value in DEFAULTS.items():
        p.add_argument('--' + key.replace('_', '-'), default=value)
    p.add_argument('--classes', default=DEFAULT_CLASSES,
                   help='the classes the page starts with (one per line)')
    p.add_argument('--device', default=None, help='cpu, cuda (default: cuda when available)')
    return p.parse_args(argv)


@st.cache_resource(show_spinner='Loading the segmentation model...')
def seg_model(config: str, weights: str, device):
    from mmopen.apis import OpenVocabSegInferencer
    return OpenVocabSegInferencer(config, weights, device=device, show_progress=False)


@st.cache_resource(show_spinner='Loading the OOD model...')
def ood_model(config: str, weights: str, thresholds: str, device):
    from mmopen.apis import OODInferencer
    return OODInferencer(config, weights, device=device, show_progress=False,
                         threshold_from=thresholds if osp.isdir(thresholds) else None)


@st.cache_resource
def model_lock():
    """One lock for the server's sessions: a segmentation call sets the model's vocabulary, so
    two users' calls must not interleave."""
    return threading.Lock()


def load(loader, *args):
    """A model, or ``None`` after showing why it could not be loaded."""
    try:
        return loader(*args)
    except (FileNotFoundError, ValueError) as e:
        st.error(f'{e}\n\nRun `make quickstart` first, or start the demo with other models '
                 '(`streamlit run demo/web_demo.py -- --help`).')
        return None


def hex_colour(rgb) -> str:
    return '#' + ''.join(f'{int(c):02x}' for c in rgb)


def segmentation_tab(args, rgb):
    left, right = st.columns([2, 3])
    classes = left.text_area('Classes: one per line, synonyms separated by ", "',
                             args.classes, height=200, key='classes')
    opacity = left.slider('Mask opacity', 0.0, 1.0, 0.6, 0.05, key='opacity')
    if not left.button('Segment', key='segment', type='primary'):
        return
    if rgb is None:
        right.warning('Upload an image first.')
        return
    vocabulary = [line.strip() for line in classes.splitlines() if line.strip()]
    if not vocabulary:
        right.warning('Type at least one class.')
        return
    model = load(seg_model, args.seg_config, args.seg_weights, args.device)
    if model is None:
        return
    from mmopen.apis.drawing import class_colours
    with model_lock():
        result = model(rgb, vocabulary=vocabulary, return_vis=True, opacity=opacity)
    pred = result['predictions']
    colours = class_colours(len(pred['classes']))
    vis = result['visualization']
    right.image(vis, output_format='PNG', width=max(vis.shape[1], 3 * vis.shape[1] // 2),
                caption=f'{len(pred["present"])} of {len(vocabulary)} classes found')
    right.markdown('**Legend**')
    right.table([{'class': p['class'], 'colour': hex_colour(colours[p['label']]),
                  'area': f'{100 * p["fraction"]:.1f}%'} for p in pred['present']])


def ood_tab(args, rgb):
    if not st.button('Score', key='score', type='primary'):
        return
    if rgb is None:
        st.warning('Upload an image first.')
        return
    model = load(ood_model, args.ood_config, args.ood_weights, args.ood_thresholds, args.device)
    if model is None:
        return
    with model_lock():
        row = model(rgb)['predictions']
    st.markdown(f'ID prediction: **{row["pred_class"]}** (p = {row["pred_score"]:.3f})')
    thresholds = model.thresholds or {}
    table = []
    for name, value in row['scores'].items():
        entry = {'score': name, 'value': f'{value:.4f}'}
        if name in thresholds:
            entry['threshold (95% TPR)'] = f'{thresholds[name]:.4f}'
            entry['verdict'] = 'OOD' if row['is_ood'][name] else 'ID'
        table.append(entry)
    st.table(table)
    st.caption('Higher scores mean "more in-distribution". AdaNeg adapts over a test stream; '
               'a single image is a stream of one.' if thresholds else
               'Higher scores mean "more in-distribution" (no saved ID scores, so no '
               'thresholds: pass --ood-thresholds DIR from tools/test.py --save-scores DIR).')


def main():
    args = parse_args(sys.argv[1:])
    st.set_page_config(page_title='mmopen demo', layout='wide')
    st.subheader('mmopen: open-vocabulary segmentation and OOD detection')
    upload = st.sidebar.file_uploader('Image', type=['jpg', 'jpeg', 'png', 'bmp', 'webp'],
                                      key='image')
    rgb = None
    if upload is not None:
        with Image.open(upload) as im:
            rgb = np.asarray(im.convert('RGB'))
        st.sidebar.image(rgb, caption=upload.name, width=min(256, rgb.shape[1]))
    seg, ood = st.tabs(['Segmentation', 'OOD detection'])
    with seg:
        segmentation_tab(args, rgb)
    with ood:
        ood_tab(args, rgb)

main()
