# SeeCLIP over a frozen CLIP ViT-B/16 (OpenAI weights, a local file): K = 4 semantic tokens,
# m = 4 unknown-context tokens, repulsion margin 0.5, loss weights 1 / 0.5 / 0.01. The benchmark
# config sets `benchmark` (its known classes).
model = dict(
    type='SeeCLIPClassifier',
    clip=dict(model_name='ViT-B-16', weights='checkpoints/clip/ViT-B-16.pt'),
    num_queries=4,
    n_unknown_ctx=4,
    # the released SemanticTokenExtractor: softmax over the patches of the raw P q_k, queries
    # from N(0, 0.02^2) (mmopen's variant, 'competitive' / 'orthonormal', is the quickstart's)
    attention='released',
    query_init='normal',
    init_std=0.02,
    margin=0.5,
    loss_weights=dict(rep=1.0, coh=0.5, reg=0.01))
