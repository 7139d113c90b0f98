# Quickstart (OOD detection): CSP next to NegLabel on the same data. CSP's pool (nouns + one
# conjugated "<adjective> <superclass>" label per WordNet adjective, mined by
#   python tools/ood/mine_neg_labels.py --method csp --clip-model mmopen-tiny-convnext \
#       --clip-weights data/quickstart/tiny_clip_convnext.safetensors \
#       --id-vocab data/quickstart/cls/imagenet/meta/classes.txt \
#       --out data/quickstart/cls/csp_labels.txt
# which `make quickstart-data` runs) with CSP's prompt ensembles, and NegLabel's score formula
# (10 groups, as the NegLabel quickstart row). No training:
#   python tools/test.py configs/ood/quickstart/clip-tiny-convnext_csp_quickstart.py none
_base_ = ['./clip-tiny-convnext_zero-shot-ood_quickstart.py']
model = dict(
    templates='csp_nouns',
    neg_labels='data/quickstart/cls/csp_labels.txt',
    neg_noun_templates='csp_nouns',
    neg_csp_templates='csp',
    scores=[dict(type='CSPScore', groups=10)],
)
