# Quickstart (OOD detection): CSP next to NegLabel on the same open world. CSP's pool (the
# lexicon's nouns + one conjugated "<adjective> <superclass>" label per adjective, mined by
#   python tools/ood/mine_neg_labels.py --method csp --clip-model mmopen-tiny-convnext \
#       --clip-weights data/quickstart/tiny_clip_convnext.safetensors \
#       --wordnet-dir data/quickstart/world/lexicon --ratio 0.5 \
#       --id-vocab data/quickstart/world/id/meta/classes.txt \
#       --out data/quickstart/world/csp_labels.txt
# which `make quickstart-data` runs) with CSP's prompt ensembles, and NegLabel's score formula
# (one group, as the NegLabel quickstart row). No training:
#   python tools/test.py configs/ood/quickstart/clip-tiny-convnext_csp_quickstart.py none
_base_ = ['./clip-tiny-convnext_zero-shot-ood_quickstart.py']
model = dict(
    templates='csp_nouns',
    neg_labels='data/quickstart/world/csp_labels.txt',
    neg_noun_templates='csp_nouns',
    neg_csp_templates='csp',
    scores=[dict(type='CSPScore', groups=1)],
)
