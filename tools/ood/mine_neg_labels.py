"""Mine NegLabel's negative labels from WordNet with a CLIP text encoder.

    python tools/ood/mine_neg_labels.py --clip-model ViT-B-16 --clip-weights ViT-B-16.pt \\
        --id-vocab imagenet_1k --out data/neg_labels/imagenet_vit-b16.txt

Candidates are the WordNet 3.0 nouns and adjectives (Debian ``wordnet-base``; ``--wordnet-dir``
elsewhere, or any lexicon in WordNet's data-file format, such as the quickstart world's
``data/quickstart/world/lexicon``), deduplicated, ID class names excluded. Each candidate is
prompted (nouns ``'the nice {}'``, adjectives ``'This is a {} photo'``), encoded, and scored by
the 0.95 quantile of its cosine similarity to the ID classes; the 15% least similar nouns and
15% least similar adjectives are kept (NegMining, Jiang et al. 2024). Embeddings are encoded in
chunks and cached on disk (``$MMOPEN_CACHE_DIR``), so an interrupted run resumes where it stopped.
The label file is written atomically.

``--method csp`` mines CSP's pool instead (Chen et al., NeurIPS 2024; :mod:`mmopen.ood.csp`): the
nouns with CSP's 8-template ensemble, and, in place of the plain adjectives, one conjugated
label per adjective (``"<adjective> <superclass>"``, the superclass drawn with
``--superclass-seed``) prompted with CSP's 4 templates; each part mined separately at the same
quantile / ratio, candidates more similar than 0.95 to an ID class never kept. The ID classes
are prompted with the same 8 templates (configs/ood/csp/ use them too).

``--method adaneg`` mines AdaNeg's own labels as its release does
(:mod:`mmopen.ood.adaneg_labels`): ``--count`` (10000) labels split between nouns and adjectives
by their share of the candidates, prompted as AdaNeg scores them (``'The nice {}.'``,
``'This is a {} photo.'``).

``--pool`` chooses the candidates by WordNet lexicographer file (:mod:`mmopen.ood.word_pools`):
``all`` (the default for ``neglabel`` / ``csp``: every noun and adjective, first lemma, ID names
removed), or a release's pool, ``neglabel``, ``csp`` or ``adaneg`` (the default for ``adaneg``),
read from the WordNet database or, with ``--word-lists DIR``, from the release's own word lists
(its ``txtfiles/`` folder), which alone reproduces its pool sizes exactly (70,000 candidates ->
10,499 negatives for ``neglabel``, 56,620 -> 8,493 for ``csp``). ``--exclude-lexnames`` leaves
out more lexicographer files (``noun.person,adj.pert``).

``--candidates FILE`` mines from a word list instead of WordNet (one candidate per line, nouns;
for a vocabulary file with synonyms, ``"a, b"``, the first name): for a domain vocabulary, or
a small CLIP that knows only a few concepts (the quickstart's SynOOD run mines from the
quickstart's own concepts, which the tiny CLIP was trained on).
"""
import argparse
import logging
import sys
import time

from mmopen.clip import FrozenCLIP, load_vocabulary
from mmopen.clip.vocabularies import class_names
from mmopen.ood.adaneg_labels import ADANEG_ADJ_TEMPLATE, ADANEG_NOUN_TEMPLATE, mine_adaneg_labels
from mmopen.ood.csp import CSP_NOUN_TEMPLATES, mine_csp_labels
from mmopen.ood.neg_labels import mine_neg_labels, write_neg_labels
from mmopen.ood.word_pools import check_lexnames, lexname_words, pool_candidates, read_word_lists
from mmopen.ood.wordnet import find_wordnet_dir, read_lemmas
from mmopen.utils.io import check_writable_file
from mmopen.utils.progress import disable_progress, progress_bar


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Mine negative labels (NegLabel) from WordNet.')
    p.add_argument('--clip-model', required=True, help='open_clip model name, e.g. ViT-B-16')
    p.add_argument('--clip-weights', help='local CLIP weight file (omit only for tests)')
    p.add_argument('--id-vocab', default='imagenet_1k',
                   help='ID classes: shipped vocabulary name or a class file')
    p.add_argument('--method', choices=('neglabel', 'csp', 'adaneg'), default='neglabel',
                   help='NegLabel\'s mining (nouns + adjectives, 15%% of each), CSP\'s (nouns + '
                   'conjugated superclass labels) or AdaNeg\'s (--count labels)')
    p.add_argument('--pool', choices=('all', 'neglabel', 'csp', 'adaneg'), default=None,
                   help='candidate words by WordNet lexicographer file (default: all; '
                   '--method adaneg: adaneg); see mmopen.ood.word_pools')
    p.add_argument('--word-lists', default=None,
                   help='a release\'s word-list folder (<lexname>.txt files, e.g. NegLabel\'s '
                   'txtfiles/) to read the --pool from instead of the WordNet database')
    p.add_argument('--exclude-lexnames', default='',
                   help='comma-separated lexicographer files to leave out, e.g. '
                   'noun.person,adj.pert')
    p.add_argument('--count', type=int, default=10000,
                   help='AdaNeg: number of labels kept (nouns + adjectives)')
    p.add_argument('--id-template', default=None,
                   help='ID prompt (default: "the nice {}"; CSP: its 8-template ensemble; '
                   'AdaNeg: "The nice {}.")')
    p.add_argument('--noun-template', default=None,
                   help='noun prompt (default: "the nice {}"; CSP: its 8-template ensemble; '
                   'AdaNeg: "The nice {}.")')
    p.add_argument('--adj-template', default=None,
                   help='adjective prompt (default: "This is a {} photo"; AdaNeg: '
                   '"This is a {} photo.")')
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
    p.add_argument('--ratio', type=float, default=None,
                   help='fraction kept per part of speech (default 0.15; not with --method '
                   'adaneg, which keeps --count)')
    p.add_argument('--chunk', type=int, default=2048, help='words encoded per cached chunk')
    p.add_argument('--max-words', type=int, default=0,
                   help='use only the first N candidates of each part of speech (quick runs)')
    p.add_argument('--out', required=True, help='output label file')
    p.add_argument('--no-progress', action='store_true',
                   help='no progress bar (there is none when stderr is not a terminal)')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch
    from mmengine.logging import MMLogger

    disable_progress(args.no_progress)

    # one logger per process (a second run in the same process, as the quickstart's set-up
    # runs its tools, reuses it)
    logger = (MMLogger.get_instance('mine_neg_labels')
              if MMLogger.check_instance_created('mine_neg_labels') else
              MMLogger.get_instance('mine_neg_labels', log_level=logging.INFO))
    start = time.time()
    pool = args.pool or ('adaneg' if args.method == 'adaneg' else 'all')
    exclude = check_lexnames([n.strip() for n in args.exclude_lexnames.split(',') if n.strip()])
    if args.candidates and (args.pool or exclude or args.word_lists):
        raise SystemExit('--candidates is the whole candidate list: drop --pool, '
                         '--exclude-lexnames and --word-lists (they choose WordNet words).')
    if args.word_lists and pool == 'all':
        raise SystemExit('--word-lists holds a release\'s lists: use it with --pool neglabel, '
                         'csp or adaneg (not with --pool all).')
    if args.method == 'adaneg' and args.ratio is not None:
        raise SystemExit('--method adaneg keeps --count labels (10000), not a --ratio.')
    args.ratio = 0.15 if args.ratio is None else args.ratio
    if not 0.0 < args.quantile <= 1.0:
        hint = f' (a percentage? write {args.quantile / 100:g})' if 1 < args.quantile <= 100 \
            else ''
        raise SystemExit(f'--quantile {args.quantile:g} must be a fraction in (0, 1], e.g. 0.95 '
                         f'(the 95th percentile of the similarities to the ID classes){hint}.')
    if not 0.0 < args.ratio <= 1.0:
        hint = f' (a percentage? write {args.ratio / 100:g})' if 1 < args.ratio <= 100 else ''
        raise SystemExit(f'--ratio {args.ratio:g} must be a fraction in (0, 1], e.g. 0.15 '
                         f'(the share of candidates kept){hint}.')
    if args.count < 1:
        raise SystemExit(f'--count {args.count} must be at least 1.')
    check_writable_file(args.out, '--out')
    if not args.candidates and pool != 'all' and args.lemmas != 'first':
        raise SystemExit(f'--pool {pool} takes one string per synset as the release does: '
                         'drop --lemmas all (it applies to --pool all).')
    id_vocab = load_vocabulary(args.id_vocab)
    id_names = {n.lower() for names in id_vocab for n in names}
    pools = {}
    if args.candidates:
        words = [w for w in class_names(args.candidates) if w.lower() not in id_names]
        pools = dict(noun=words[:args.max_words] if args.max_words else words, adj=[])
        source = f'the word list {args.candidates}'
    elif pool == 'all':
        wn_dir = find_wordnet_dir(args.wordnet_dir)
        for pos in ('noun', 'adj'):
            words = [w for w in read_lemmas(wn_dir, pos, args.lemmas, exclude)
                     if w.lower() not in id_names]
            pools[pos] = words[:args.max_words] if args.max_words else words
        source = f'the WordNet-format files in {wn_dir} ({args.lemmas} lemmas' + (
            f', without {",".join(exclude)})' if exclude else ')')
    else:
        if args.word_lists:
            per_lexname, where = read_word_lists(args.word_lists), args.word_lists
        else:
            where = find_wordnet_dir(args.wordnet_dir)
            per_lexname = lexname_words(where)
        nouns, adjs = pool_candidates(per_lexname, pool,
                                      [n for names in id_vocab for n in names], exclude)
        pools = dict(noun=nouns[:args.max_words] if args.max_words else nouns,
                     adj=adjs[:args.max_words] if args.max_words else adjs)
        source = f'the {pool} pool of {where}' + (f' without {",".join(exclude)}'
                                                   if exclude else '')
    logger.info(f'{source}: {len(pools["noun"])} noun and {len(pools["adj"])} adjective '
                'candidates')
    if args.method != 'adaneg':  # int(ratio * n) per part of speech, as the releases keep them
        kept = sum(int(args.ratio * len(w)) for w in pools.values())
        if kept == 0:
            raise SystemExit(f'--ratio {args.ratio:g} keeps no label of {len(pools["noun"])} '
                             f'noun and {len(pools["adj"])} adjective candidates (int(ratio x '
                             'n) is 0 for each): raise --ratio or give more candidates.')
    csp = args.method == 'csp'
    adaneg = args.method == 'adaneg'
    default = list(CSP_NOUN_TEMPLATES) if csp else [
        ADANEG_NOUN_TEMPLATE if adaneg else 'the nice {}']
    id_templates = [args.id_template] if args.id_template else default
    noun_templates = [args.noun_template] if args.noun_template else default
    adj_template = args.adj_template or (
        ADANEG_ADJ_TEMPLATE if adaneg else 'This is a {} photo')
    clip = FrozenCLIP(args.clip_model, args.clip_weights)
    id_emb = clip.text_embeddings(id_vocab, id_templates)
    total_chunks = sum((len(w) + args.chunk - 1) // args.chunk for w in pools.values())
    bar = progress_bar(total_chunks, 'negative-label mining', 'chunk')  # disable_progress above

    def encode(words, templates):
        templates = [templates] if isinstance(templates, str) else list(templates)
        parts = []
        for i in range(0, len(words), args.chunk):
            parts.append(clip.text_embeddings([[w] for w in words[i:i + args.chunk]],
                                              templates))
            bar.update(1)
        return torch.cat(parts)

    if adaneg:
        labels = mine_adaneg_labels(encode, id_emb, pools['noun'], pools['adj'], args.count,
                                    noun_templates[0], adj_template, args.quantile)
    elif csp:
        labels = mine_csp_labels(
            encode, id_emb, pools['noun'], pools['adj'], noun_templates=noun_templates,
            quantile=args.quantile, ratio=args.ratio, seed=args.superclass_seed,
            max_sim_cutoff=0.95 if args.max_sim_cutoff is None else args.max_sim_cutoff)
    else:
        labels = mine_neg_labels(encode, id_emb, pools['noun'], pools['adj'], noun_templates,
                                 adj_template, args.quantile, args.ratio,
                                 max_sim_cutoff=args.max_sim_cutoff)
    bar.close()
    method = {'csp': 'CSP', 'adaneg': 'AdaNeg'}.get(args.method, 'NegLabel')
    kept = f'count {args.count}' if adaneg else f'ratio {args.ratio}'
    header = [
        f'{method} negative labels mined by mmopen from {source} ({len(pools["noun"])} noun '
        f'and {len(pools["adj"])} adjective candidates)',
        f'CLIP {args.clip_model} weights {args.clip_weights}; ID vocabulary {args.id_vocab}',
        f'ID templates {id_templates}; noun templates {noun_templates}' +
        ('' if csp else f'; adjective template {adj_template!r}'),
        f'quantile {args.quantile}, {kept}; {len(labels.nouns)} nouns, '
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
