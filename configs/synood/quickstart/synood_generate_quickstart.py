# Quickstart (SynOOD generation): near-boundary OOD images from the 8 most complex training
# images of each of the 5 synthetic ID classes, with the tiny inpainting model
# (tools/misc/make_tiny_inpaint.py) and the tiny CLIP as guidance classifier, label miner and
# context ranker. On CPU, about a minute:
#   python tools/synood/generate.py configs/synood/quickstart/synood_generate_quickstart.py
# The guidance step is smaller than the paper's r * rho = 10 (tuned for SD-2's 64 x 64 x 4
# latents): on the tiny model's 8 x 8 x 4 latents a step of 10 overshoots (some iterations raise
# the loss and the images lose their layout); at 0.2 the loss falls by ~4 (eq. 7 units) on
# average and every guided iteration is below plain inpainting for ~95% of the images (a fixed
# step, as in the paper, can overshoot).
_clip = dict(model_name='mmopen-tiny-convnext',
             weights='data/quickstart/tiny_clip_convnext.safetensors')
synood = dict(
    inpaint_model='data/quickstart/tiny_inpaint',
    clip=_clip,
    neg_labels='data/quickstart/cls/neg_labels_known.txt',
    vocabulary='data/quickstart/cls/imagenet/meta/classes.txt',
    classifier=dict(type='clip', clip=_clip,
                    vocabulary='data/quickstart/cls/imagenet/meta/classes.txt'),
    # the scene of each image without its object, as an MLLM would describe it: written with
    # the data (the tiny CLIP cannot describe scenes); the default, type='vocabulary', ranks
    # words with CLIP instead
    context=dict(type='captions', file='data/quickstart/cls/imagenet/meta/context_captions.jsonl',
                 data_root='data/quickstart/cls/imagenet'),
    template='A photo only remain {}.',
    guidance=dict(strength=0.6, steps=20, guidance_scale=8.0, outer_iters=3, step_size=0.2,
                  loss='energy', m_out=-5.0, tau=1.0),
    resolution=32)
seed_data = dict(data_root='data/quickstart/cls/imagenet', ann_file='meta/train.txt',
                 data_prefix='train', k=8)
seed = 0
image_format = 'png'
out_dir = 'data/quickstart/synood'
custom_imports = dict(imports=['mmopen'], allow_failed_imports=False)
