# Quickstart (SeeCLIP) WITH diffusion-made pseudo-unknowns: the run without them
# (seeclip_clip-tiny-vit_quickstart-shapes-cartoon.py) gives the semantic tokens, perturbed
# tokens guide the tiny inpainting model (`make quickstart-data`), and training adds the
# results as "unknown" (30% of the training list).
#   python tools/seeclip/generate_pseudo_unknowns.py THIS_CONFIG \
#       --checkpoint best:work_dirs/seeclip_clip-tiny-vit_quickstart-shapes-cartoon
#   python tools/train.py THIS_CONFIG
#   python tools/test.py THIS_CONFIG best:work_dirs/seeclip_clip-tiny-vit_quickstart-shapes-cartoon_pseudo-unknowns
_base_ = ['./seeclip_clip-tiny-vit_quickstart-shapes-cartoon.py']
pseudo_dir = 'data/quickstart/osdg_pseudo_unknowns'
pseudo_unknown_generation = dict(
    inpaint_model='data/quickstart/tiny_inpaint_osdg',
    sigma=0.2,
    prompt='A {domain} image of an unknown class',
    # the released sampler (20 steps, guidance 15); 3 token-guidance updates of the noise
    guidance=dict(strength=0.6, steps=20, guidance_scale=15.0, outer_iters=3, step_size=1.0),
    resolution=32,
    per_group=4,
    seed=0,
    image_format='png',
    out_dir=pseudo_dir)
train_dataloader = dict(dataset=dict(pseudo_unknowns=pseudo_dir, pseudo_unknown_ratio=0.3))
