"""Mine NegLabel's negative labels from WordNet with a CLIP text encoder.

    python tools/ood/mine_neg_labels.py --clip-model ViT-B-16 --clip-weights ViT-B-16.pt \\
        --id-vocab imagenet_1k --out data/neg_labels/imagenet_vit-b16.txt

Candidates are the WordNet 3.0 nouns and adjectives (Debian ``wordnet-base``; ``--wordnet-dir``
elsewhere, or any lexicon in WordNet's data-file format, such as the quickstart world's
``data/quickstart/world/lexicon``), deduplicated, ID class names excluded. Each candidate is prompted (nouns
``'the nice {}'``, adjectives ``'This is a {} photo'``), encoded, and scored by the 0.95 quantile
of its cosine similarity to the ID classes; the 15% least similar nouns and 15% least similar
adjectives are kept (NegMining, Jiang et al. 2024). Embeddings are encoded in chunks and cached
on disk (``$MMOPEN_CACHE_DIR``), so an interrupted run resumes where it stopped. The label file is
written atomically.

``--method csp`` mines CSP's pool instead (Chen et al., NeurIPS 2024; :mod:`mmopen.ood.csp`): the
nouns with CSP's 8-template ensemble, and, in place of the plain adjectives, one conjugated
label per adjective (``"<adjective> <superclass>"``, the superclass drawn with
``--superclass-seed``) prompted with CSP's 4 templates; each part mined separately at the same
quantile / ratio, candidates more similar than 0.95 to an ID class never kept. The ID classes
are prompted with the same 8 templates (configs/ood/csp/ use them too).

``--candidates FILE`` mines from a word list instead of WordNet (one candidate per line, nouns;
for a vocabulary file with synonyms, ``"a, b"``, the first name): for a domain vocabulary, or
a small CLIP that knows only a few concepts (the quickstart's SynOOD run mines from the
quickstart's own concepts, which the tiny CLIP was trained on).
"""
import argparse
import logging
import os.path as osp
import sys
import time

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Mine negative labels (NegLabel) from WordNet.')
    p.add_argument('--clip-model', required=True, help='open_clip model name, e.g. ViT-B-16')
    p.add_argument('--clip-weights', help='local CLIP weight file (omit only for tests)')
    p.add_argument('--id-vocab', default='imagenet_1k',
                   help='ID classes: shipped vocabulary name or a class file')
    p.add_argument('--method', choices=('neglabel', 'csp'), default='neglabel',
                   help='NegLabel\'s pool (nouns + adjectives) or CSP\'s (nouns + conjugated '
                   'superclass labels)')
    p.add_argument('--id-template', default=None,
                   help='ID prompt (default: "the nice {}"; CSP: its 8-template ensemble)')
    p.add_argument('--noun-template', default=None,
                   help='noun prompt (default: "the nice {}"; CSP: its 8-template ensemble)')
    p.add_argument('--adj-template', default='This is a {} photo')
    p.add_argument('--superclass-seed', type=int, default=0,
                   help='CSP: seed of the superclass drawn for each adjective')
    p.add_argument('--max-sim-cutoff', type=float, default=None,
                   help='never keep a candidate more similar than this to an ID class '
                   '(default: none; CSP: 0.95)')
    p.add_argument('--wordnet-dir', default=None, help='folder with data.noun and data.adj')
    p.add_argument('--candidates', default=None,
                   help='mine from this word list (one noun per line) instead of WordNet')
    p.add_argument('--lemmas', choices=('first', 'all'), default='first',
                   help='first lemma of each synset (default) or all lemmas')
    p.add_argument('--quantile', type=float, default=0.95)
    p.add_argument('--ratio', type=float, default=0.15, help='fraction kept per part of speech')
    p.add_argument('--chunk', type=int, default=2048, help='words encoded per cached chunk')
    p.add_argument('--max-words', type=int, default=0,
                   help='use only the first N candidates of each part of speech (quick runs)')
    p.add_argument('--out', required=True, help='output label file')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch
    from mmengine.logging import MMLogger
    from mmengine.utils import ProgressBar

    from mmopen.clip import FrozenCLIP, load_vocabulary
    from mmopen.ood.csp import CSP_NOUN_TEMPLATES, mine_csp_labels
    from mmopen.ood.neg_labels import mine_neg_labels, write_neg_labels
    from mmopen.ood.wordnet import find_wordnet_dir, read_lemmas

    logger = MMLogger.get_instance('mine_neg_labels', log_level=logging.INFO)
    start = time.time()
    id_vocab = load_vocabulary(args.id_vocab)
    id_names = {n.lower() for names in id_vocab for n in names}
    pools = {}
    if args.candidates:
        from mmopen.clip.vocabularies import class_names
        words = [w for w in class_names(args.candidates) if w.lower() not in id_names]
        pools = dict(noun=words[:args.max_words] if args.max_words else words, adj=[])
        source = f'the word list {args.candidates}'
    else:
        wn_dir = find_wordnet_dir(args.wordnet_dir)
        for pos in ('noun', 'adj'):
            words = [w for w in read_lemmas(wn_dir, pos, args.lemmas)
                     if w.lower() not in id_names]
            pools[pos] = words[:args.max_words] if args.max_words else words
        source = f'the WordNet-format files in {wn_dir} ({args.lemmas} lemmas)'
    logger.info(f'{source}: {len(pools["noun"])} nouns, {len(pools["adj"])} '
                f'adjectives after removing ID class names')
    csp = args.method == 'csp'
    default = list(CSP_NOUN_TEMPLATES) if csp else ['the nice {}']
    id_templates = [args.id_template] if args.id_template else default
    noun_templates = [args.noun_template] if args.noun_template else default
    clip = FrozenCLIP(args.clip_model, args.clip_weights)
    id_emb = clip.text_embeddings(id_vocab, id_templates)
    total_chunks = sum((len(w) + args.chunk - 1) // args.chunk for w in pools.values())
    bar = ProgressBar(total_chunks)

    def encode(words, templates):
        templates = [templates] if isinstance(templates, str) else list(templates)
        parts = []
        for i in range(0, len(words), args.chunk):
            parts.append(clip.text_embeddings([[w] for w in words[i:i + args.chunk]],
                                              templates))
            bar.update()
        return torch.cat(parts)

    if csp:
        labels = mine_csp_labels(
            encode, id_emb, pools['noun'], pools['adj'], noun_templates=noun_templates,
            quantile=args.quantile, ratio=args.ratio, seed=args.superclass_seed,
            max_sim_cutoff=0.95 if args.max_sim_cutoff is None else args.max_sim_cutoff)
    else:
        labels = mine_neg_labels(encode, id_emb, pools['noun'], pools['adj'], noun_templates,
                                 args.adj_template, args.quantile, args.ratio,
                                 max_sim_cutoff=args.max_sim_cutoff)
    sys.stdout.write('\n')
    header = [
        f'{"CSP" if csp else "NegLabel"} negative labels mined by mmopen from {source}',
        f'CLIP {args.clip_model} weights {args.clip_weights}; ID vocabulary {args.id_vocab}',
        f'ID templates {id_templates}; noun templates {noun_templates}',
        f'quantile {args.quantile}, ratio {args.ratio}; {len(labels.nouns)} nouns, '
        f'{len(labels.adjectives)} adjectives, {len(labels.conjugated)} conjugated labels' +
        (f' (superclass seed {args.superclass_seed})' if csp else '')
    ]
    write_neg_labels(args.out, labels, header)
    logger.info(f'Wrote {len(labels)} negative labels ({len(labels.nouns)} nouns, '
                f'{len(labels.adjectives)} adjectives, {len(labels.conjugated)} conjugated) '
                f'to {args.out} in {time.time() - start:.0f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
