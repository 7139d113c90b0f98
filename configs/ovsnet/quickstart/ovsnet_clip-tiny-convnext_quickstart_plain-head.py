# The OVSNet quickstart's ablation "plain head" (paper Table 3, Baseline): the same model,
# data, schedule, mask losses and ensemble, without GFA (queries classified by F_Q alone) and
# without Proxy Calibration. The quickstart tour trains it beside the full head:
#   python tools/train.py configs/ovsnet/quickstart/ovsnet_clip-tiny-convnext_quickstart_plain-head.py
_base_ = ['./ovsnet_clip-tiny-convnext_quickstart.py']
model = dict(decode_head=dict(fusion='none', loss_proxy=None))
