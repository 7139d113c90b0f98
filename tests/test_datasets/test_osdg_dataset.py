"""OSDG benchmark definitions, the pure split helpers and OSDGDataset, on a tiny fake benchmark
written to tmp_path (3 domains x 3 classes of 8x8 PNGs)."""
import json
import os
import os.path as osp
import re

import numpy as np
import pytest
from PIL import Image

from mmopen.datasets.osdg_dataset import OSDGDataset, resample_to_ratio
from mmopen.osdg.benchmarks import SHIPPED, holdout_split, list_domain_images, load_osdg_benchmark


@pytest.fixture(scope='module', autouse=True)
def _mmpretrain_scope():
    """Registry builds resolve in mmpretrain's scope whatever an earlier test set."""
    from mmengine.registry import init_default_scope
    init_default_scope('mmpretrain')


DOMAINS = ['art', 'photo', 'sketch']
CLASSES = ['cat', 'dog', 'Red_Fox']
# label order follows "known", deliberately not alphabetical; Red_Fox is the unknown class
EXPECTED_TEST_LABELS = {'dog': 0, 'cat': 1, 'Red_Fox': 2}
N_PER_CLASS = 6


def _png(path, value):
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(np.full((8, 8, 3), value, dtype=np.uint8)).save(path, format='PNG')


@pytest.fixture
def fake(tmp_path):
    """DATA_ROOT/<domain>/<class>/*.png with an upper-case extension, a nested file and a
    non-image file per class; returns (data_root, benchmark dict)."""
    root = tmp_path / 'data'
    for d, dom in enumerate(DOMAINS):
        for c, cls in enumerate(CLASSES):
            base = root / dom / cls
            for i in range(N_PER_CLASS - 2):
                _png(str(base / f'img_{i:02d}.png'), 10 * d + c + i)
            _png(str(base / 'UPPER.PNG'), 200)
            _png(str(base / 'nested' / 'deep.png'), 201)
            (base / 'readme.txt').write_text('not an image')
    bench = dict(name='fake', layout='DATA_ROOT/<domain>/<class>/<image file>',
                 domains=DOMAINS, classes=CLASSES, known=['dog', 'cat'], unknown=['Red_Fox'],
                 class_names={'Red_Fox': 'red fox'}, source='test', notes='',
                 protocol=dict(source_domain_classes=[['dog'], ['cat']], target_known=['cat']))
    return str(root), bench


def _images_on_disk(root, domains, classes):
    out = set()
    for dom in domains:
        for cls in classes:
            for r, _, files in os.walk(osp.join(root, dom, cls)):
                out |= {osp.abspath(osp.join(r, f)) for f in files if not f.endswith('.txt')}
    return out


def _build(root, bench, **kw):
    kw.setdefault('target_domain', 'sketch')
    return OSDGDataset(benchmark=bench, data_root=root, **kw)


# ---------------------------------------------------------------- shipped benchmarks
EXPECTED_SIZES = {  # (classes, known, unknown) per the ODG-CLIP / DAML protocol
    'pacs': (7, 6, 1), 'vlcs': (5, 4, 1), 'office_home': (65, 54, 11),
    'mini_domainnet': (126, 90, 36), 'multi_dataset': (68, 48, 20)}


@pytest.mark.parametrize('name', SHIPPED)
def test_shipped_benchmarks_load_with_protocol_sizes(name):
    b = load_osdg_benchmark(name)
    assert b.name == name
    assert not set(b.known) & set(b.unknown)
    assert set(b.known) | set(b.unknown) == set(b.classes)
    assert (len(b.classes), len(b.known), len(b.unknown)) == EXPECTED_SIZES[name]
    assert b.source and b.notes and '<domain>' in b.layout
    lists = b.protocol.get('source_domain_classes')
    if lists is not None:  # the DAML per-source subsets cover exactly the known classes
        assert set().union(*map(set, lists)) == set(b.known)
        assert len(lists) == len(b.default_sources(b.domains[-1]))
    assert set(b.protocol.get('target_known', ())) <= set(b.known)
    assert len(b.known_prompt_names) == len(b.known)


def test_shipped_split_contents():
    pacs = load_osdg_benchmark('pacs')
    assert pacs.unknown == ('person', )
    assert pacs.domains == ('art_painting', 'cartoon', 'photo', 'sketch')
    oh = load_osdg_benchmark('office_home')
    assert 'Alarm_Clock' in oh.known and oh.prompt_name('Alarm_Clock') == 'alarm clock'
    assert oh.known == tuple(sorted(oh.classes)[:54])
    assert set(oh.unknown) == {'Sneakers', 'Soda', 'Speaker', 'Spoon', 'TV', 'Table',
                               'Telephone', 'ToothBrush', 'Toys', 'Trash_Can', 'Webcam'}
    assert len(oh.protocol['target_known']) == 16
    mdn = load_osdg_benchmark('mini_domainnet')
    assert mdn.known == tuple(sorted(mdn.classes)[:90]) and len(mdn.protocol['target_known']) == 40
    vlcs = load_osdg_benchmark('vlcs')
    assert vlcs.unknown == ('person', )
    md = load_osdg_benchmark('multi_dataset')
    assert md.default_sources('clipart') == ('amazon', 'visda2017', 'stl10')
    union = set().union(*(md.classes_of(d) for d in md.source_domains))
    assert union == set(md.known)  # the 48 known classes are exactly what the sources have
    assert set(md.unknown) <= set(md.classes_of('clipart'))
    assert len(set(md.known) & set(md.classes_of('real'))) == 23


def test_setup_ships_the_json_files():
    setup = open(osp.join(osp.dirname(__file__), '..', '..', 'setup.py')).read()
    assert re.search(r"'mmopen\.osdg':\s*\['benchmarks/\*\.json'\]", setup)


def test_unknown_benchmark_name_lists_shipped():
    with pytest.raises(ValueError, match='Shipped benchmarks') as e:
        load_osdg_benchmark('pacz')
    assert all(n in str(e.value) for n in SHIPPED)


def test_overlapping_split_raises_with_file_and_class(tmp_path, fake):
    _, bench = fake
    path = tmp_path / 'bad.json'
    path.write_text(json.dumps(dict(bench, unknown=['Red_Fox', 'cat'])))
    with pytest.raises(ValueError, match="'cat' is both known and unknown") as e:
        load_osdg_benchmark(str(path))
    assert str(path) in str(e.value)


def test_split_class_outside_classes_raises(fake):
    _, bench = fake
    with pytest.raises(ValueError, match="'wolf'.*not in \"classes\""):
        load_osdg_benchmark(dict(bench, known=['dog', 'wolf']))
    with pytest.raises(ValueError, match='twice'):
        load_osdg_benchmark(dict(bench, known=['dog', 'dog']))


def test_prompt_names(fake):
    b = load_osdg_benchmark(fake[1])
    assert b.prompt_name('Red_Fox') == 'red fox'
    assert load_osdg_benchmark(dict(fake[1], class_names={})).prompt_name('Red_Fox') == 'red fox'
    assert b.known_prompt_names == ('dog', 'cat')
    with pytest.raises(ValueError, match='not a class'):
        b.prompt_name('wolf')


# ---------------------------------------------------------------- pure helpers
def test_list_domain_images_recursive_case_insensitive_sorted(fake):
    root, _ = fake
    items = list_domain_images(root, 'art', ['cat'])
    assert len(items) == N_PER_CLASS  # 4 + UPPER.PNG + nested, not readme.txt
    assert 'art/cat/nested/deep.png' in [p for p, _ in items]
    assert 'art/cat/UPPER.PNG' in [p for p, _ in items]
    assert items == sorted(items) and {c for _, c in items} == {'cat'}


def test_list_domain_images_errors(tmp_path, fake):
    root, _ = fake
    with pytest.raises(FileNotFoundError, match='data_root'):
        list_domain_images(str(tmp_path / 'nowhere'), 'art', ['cat'])
    with pytest.raises(FileNotFoundError) as e:
        list_domain_images(root, 'cartoon', ['cat'], layout='MY/LAYOUT')
    msg = str(e.value)
    assert osp.join(root, 'cartoon') in msg and 'MY/LAYOUT' in msg
    assert all(d in msg for d in DOMAINS)  # lists the domain folders that do exist
    with pytest.raises(FileNotFoundError, match='Did you mean'):
        list_domain_images(root, 'Photo', ['cat'])
    with pytest.raises(FileNotFoundError, match='wolf') as e:
        list_domain_images(root, 'art', ['cat', 'wolf'])
    assert osp.join(root, 'art') in str(e.value) and 'Fix the split file' in str(e.value)


def _items(n_per_class):
    return [(f'd/{c}/{i:03d}.png', c) for c, n in n_per_class.items() for i in range(n)]


def test_holdout_split_stratified_deterministic_order_free():
    items = _items({'a': 10, 'b': 7, 'c': 1, 'd': 2})
    train, val = holdout_split(items, 0.3, seed=0)
    assert not set(train) & set(val) and set(train) | set(val) == set(items)
    per_class_val = {c: sum(1 for _, k in val if k == c) for c in 'abcd'}
    assert per_class_val == {'a': 3, 'b': 2, 'c': 0, 'd': 1}  # round(0.3 n), keep >= 1 train
    assert {c for _, c in train} == set('abcd')
    shuffled = [items[i] for i in np.random.default_rng(5).permutation(len(items))]
    assert holdout_split(shuffled, 0.3, seed=0) == (train, val)
    assert holdout_split(items, 0.3, seed=1)[1] != val
    # a class's split does not depend on which other classes are present
    only_a = holdout_split([it for it in items if it[1] == 'a'], 0.3, seed=0)[1]
    assert only_a == [it for it in val if it[1] == 'a']
    assert holdout_split(items, 0.0, seed=0) == (sorted(items), [])
    # round(0.6 * 1) = 1 would empty the class: it keeps its only image for training
    single = _items({'a': 1, 'b': 3})
    tr, va = holdout_split(single, 0.6, seed=0)
    assert ('d/a/000.png', 'a') in tr and sum(1 for _, c in va if c == 'b') == 2
    with pytest.raises(ValueError, match='fraction'):
        holdout_split(items, 1.0, seed=0)


def test_resample_to_ratio():
    recs = list(range(4))
    assert resample_to_ratio(recs, 12, 0.0, 0) == []
    out = resample_to_ratio(recs, 12, 0.5, 0)  # 12 pseudo for 12 known
    assert len(out) == 12 and sorted(set(out)) == recs
    sub = resample_to_ratio(recs, 6, 0.25, 3)  # round(0.25 * 6 / 0.75) = 2
    assert len(sub) == 2 and sub == resample_to_ratio(recs, 6, 0.25, 3)
    with pytest.raises(ValueError, match='none'):
        resample_to_ratio([], 6, 0.5, 0)


# ---------------------------------------------------------------- OSDGDataset
def test_test_split_labels_known_and_unknown(fake):
    root, bench = fake
    ds = _build(root, bench, split='test')
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert {i['img_path'] for i in infos} == _images_on_disk(root, ['sketch'], CLASSES)
    for info in infos:
        assert info['gt_label'] == EXPECTED_TEST_LABELS[info['class_folder']]
        assert info['domain'] == 'sketch' and osp.isabs(info['img_path'])
        assert info['is_pseudo_unknown'] is False
    assert ds.metainfo['classes'] == ('dog', 'cat', 'unknown')
    assert ds.metainfo['known_classes'] == ('dog', 'cat') and ds.metainfo['num_known'] == 2
    assert ds.metainfo['target_domain'] == 'sketch'
    assert ds.metainfo['source_domains'] == ('art', 'photo') and ds.metainfo['split'] == 'test'
    assert ds.metainfo['benchmark'] == 'fake'


def test_train_val_partition_source_known_images(fake):
    root, bench = fake
    train = _build(root, bench, split='train', holdout_fraction=0.34)
    val = _build(root, bench, split='val', holdout_fraction=0.34)
    tr = {train.get_data_info(i)['img_path'] for i in range(len(train))}
    va = {val.get_data_info(i)['img_path'] for i in range(len(val))}
    assert va and not tr & va
    assert tr | va == _images_on_disk(root, ['art', 'photo'], ['dog', 'cat'])
    infos = [train.get_data_info(i) for i in range(len(train))]
    assert {i['domain'] for i in infos} == {'art', 'photo'}  # target excluded
    assert {i['class_folder'] for i in infos} == {'dog', 'cat'}  # unknown class excluded
    for info in infos + [val.get_data_info(i) for i in range(len(val))]:
        assert info['gt_label'] == EXPECTED_TEST_LABELS[info['class_folder']]
    # per (domain, class) stratified: every pair keeps training images and gives val ones
    assert {(i['domain'], i['class_folder']) for i in infos} == {
        (d, c) for d in ('art', 'photo') for c in ('dog', 'cat')}
    assert len(va) == 4 * 2  # round(0.34 * 6) = 2 per (domain, class)


def test_holdout_seed_behaviour_in_dataset(fake):
    root, bench = fake

    def val_paths(seed):
        ds = _build(root, bench, split='val', seed=seed, holdout_fraction=0.34)
        return [ds.get_data_info(i)['img_path'] for i in range(len(ds))]
    assert val_paths(0) == val_paths(0)
    assert val_paths(0) != val_paths(1)


def test_missing_target_domain_folder_and_bad_arguments(fake):
    root, bench = fake
    bench = dict(bench, domains=DOMAINS + ['cartoon'])
    with pytest.raises(FileNotFoundError) as e:
        _build(root, bench, split='test', target_domain='cartoon')
    assert osp.join(root, 'cartoon') in str(e.value) and bench['layout'] in str(e.value)
    with pytest.raises(ValueError, match=r"choose from \['art', 'photo', 'sketch'"):
        _build(root, fake[1], split='test', target_domain='clipart')
    with pytest.raises(ValueError, match='split'):
        _build(root, fake[1], split='trainval')
    with pytest.raises(ValueError, match='also in source_domains'):
        _build(root, fake[1], source_domains=['art', 'sketch'])


def test_split_naming_absent_class_raises(fake):
    root, bench = fake
    bench = dict(bench, classes=CLASSES + ['wolf'], unknown=['Red_Fox', 'wolf'])
    with pytest.raises(FileNotFoundError, match="Class 'wolf'.*not in the data"):
        _build(root, bench, split='test')


def test_class_overrides_and_protocol_subsets(fake):
    root, bench = fake
    ds = _build(root, bench, split='test', known_classes=['cat'], unknown_classes=['dog'])
    labels = {ds.get_data_info(i)['class_folder']: ds.get_data_info(i)['gt_label']
              for i in range(len(ds))}
    assert labels == {'cat': 0, 'dog': 1} and ds.metainfo['classes'] == ('cat', 'unknown')
    with pytest.raises(ValueError, match="'dog' is both known and unknown"):
        _build(root, bench, split='test', unknown_classes=['dog'])
    train = _build(root, bench, split='train', protocol_subsets=True)
    pairs = {(train.get_data_info(i)['domain'], train.get_data_info(i)['class_folder'])
             for i in range(len(train))}
    assert pairs == {('art', 'dog'), ('photo', 'cat')}  # positional per-source subsets
    test = _build(root, bench, split='test', protocol_subsets=True)
    folders = {test.get_data_info(i)['class_folder'] for i in range(len(test))}
    assert folders == {'cat', 'Red_Fox'}  # target keeps protocol.target_known + all unknown
    no_proto = dict(bench)
    no_proto.pop('protocol')
    with pytest.raises(ValueError, match='no "protocol"'):
        _build(root, no_proto, protocol_subsets=True)


def _manifest(tmp_path, n=3, with_domain=True):
    out = tmp_path / 'gen'
    records = []
    for i in range(n):
        _png(str(out / 'images' / f'u{i}.png'), 50 + i)
        rec = dict(image=f'images/u{i}.png')
        if with_domain and i == 0:
            rec['domain'] = 'art'
        records.append(rec)
    (out / 'manifest.json').write_text(json.dumps(dict(records=records)))
    return out


def test_pseudo_unknowns_labels_and_ratio(tmp_path, fake):
    root, bench = fake
    gen = _manifest(tmp_path)
    plain = _build(root, bench, split='train')
    ds = _build(root, bench, split='train', pseudo_unknowns=str(gen))  # folder form
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    pseudo = [i for i in infos if i['is_pseudo_unknown']]
    assert len(pseudo) == 3 and len(infos) == len(plain) + 3
    assert all(i['gt_label'] == 2 and i['class_folder'] == 'pseudo_unknown' for i in pseudo)
    assert sorted(i['domain'] for i in pseudo) == ['art', 'generated', 'generated']
    assert all(osp.isfile(i['img_path']) for i in pseudo)
    for ratio in (0.5, 0.2):
        ds = _build(root, bench, split='train', pseudo_unknowns=str(gen / 'manifest.json'),
                    pseudo_unknown_ratio=ratio)
        labels = np.array([ds.get_data_info(i)['gt_label'] for i in range(len(ds))])
        n_pseudo = int((labels == 2).sum())
        assert n_pseudo == round(ratio * len(plain) / (1 - ratio))
        assert abs(n_pseudo / len(labels) - ratio) < 0.02
    with pytest.raises(ValueError, match="'test' split must not get them"):
        _build(root, bench, split='test', pseudo_unknowns=str(gen))
    os.remove(gen / 'images' / 'u1.png')
    with pytest.raises(FileNotFoundError, match='u1.png'):
        _build(root, bench, split='train', pseudo_unknowns=str(gen))
    with pytest.raises(FileNotFoundError, match='manifest'):
        _build(root, bench, split='train', pseudo_unknowns=str(tmp_path / 'none.json'))


def test_val_holds_out_pseudo_unknowns_per_domain_and_source_class(tmp_path, fake):
    """'val' gets round(share * n) of each (domain, source class) group of pseudo-unknowns and
    'train' the rest: complementary, seeded, and independent of the record order."""
    root, bench = fake
    out = tmp_path / 'gen'
    records = []
    for d, dom in enumerate(('art', 'photo')):
        for label in (0, 1):
            for i in range(4):
                name = f'images/{dom}_{label}_{i}.png'
                _png(str(out / name), 10 * d + 3 * label + i)
                records.append(dict(image=name, domain=dom, source_label=label))
    (out / 'manifest.json').write_text(json.dumps(dict(records=records[::-1])))

    def pseudo(split, **kw):
        ds = _build(root, bench, split=split, pseudo_unknowns=str(out),
                    pseudo_unknown_holdout=0.25, **kw)
        infos = [ds.get_data_info(i) for i in range(len(ds))]
        return [i for i in infos if i['is_pseudo_unknown']], infos

    val, val_all = pseudo('val')
    train, _ = pseudo('train')
    names = lambda infos: {osp.basename(i['img_path']) for i in infos}  # noqa: E731
    assert len(val) == 4 and len(train) == 12  # one of each group's four
    assert names(val).isdisjoint(names(train)) and len(names(val) | names(train)) == 16
    groups = {n.rsplit('_', 1)[0] for n in names(val)}
    assert groups == {'art_0', 'art_1', 'photo_0', 'photo_1'}
    assert all(i['gt_label'] == 2 for i in val)
    assert len(val_all) == len(_build(root, bench, split='val')) + 4  # the knowns stay
    assert names(pseudo('val', seed=1)[0]) != names(val)  # another seed, another choice
    (out / 'manifest.json').write_text(json.dumps(dict(records=records)))
    assert names(pseudo('val')[0]) == names(val)  # the record order does not matter


def test_build_from_registry_with_pipeline(fake):
    import mmopen  # noqa: F401  registers OSDGDataset  # isort: skip
    from mmpretrain.registry import DATASETS

    root, bench = fake
    ds = DATASETS.build(dict(
        type='OSDGDataset', benchmark=bench, data_root=root, target_domain='photo', split='test',
        pipeline=[dict(type='LoadImageFromFile'), dict(type='PackInputs')]))
    assert isinstance(ds, OSDGDataset) and len(ds) == 3 * N_PER_CLASS
    sample = ds[0]
    assert tuple(sample['inputs'].shape) == (3, 8, 8)
    info = ds.get_data_info(0)
    assert int(sample['data_samples'].gt_label) == EXPECTED_TEST_LABELS[info['class_folder']]
    assert list(ds.get_gt_labels()) == [ds.get_data_info(i)['gt_label'] for i in range(len(ds))]
