"""Write the quickstart worlds, one per seed: the synthetic data, the tiny CLIPs and tiny
inpainting models pre-trained on it, and the negative-label pools mined with them.

    python tools/misc/setup_quickstart.py [--seeds 0 1 2] [--jobs 3] [--root data/quickstart]

``make quickstart-data`` runs it. Seed 0 is written to ``ROOT`` (``data/quickstart``, the folder
every quickstart config names); seed ``s > 0`` to ``ROOT-seed<s>`` (same layout), so that the
quickstart tour can run the *whole chain* of every result -- data, tiny-model pre-training,
mining, training, generation -- once per seed and report the spread: floating point differs
between machines, so one chain on one machine is not evidence. Each world is made by the same
tools in the same order (each leaves an up-to-date result as it is, so a second run costs
seconds):

1. ``make_quickstart_data.py`` (segmentation, classification ID / OOD sets), ``--seed s``;
2. ``make_tiny_clip.py`` (the tiny ConvNeXt CLIP, pre-trained on it), ``--seed s``;
3. ``mine_neg_labels.py``: NegLabel's and CSP's pools from the open world's lexicon (WordNet's
   file format), and the negatives the tiny CLIP knows among the segmentation classes (SynOOD's);
   redone when the CLIP is newer;
4. ``make_osdg_quickstart_data.py`` and ``make_tiny_clip.py`` (the tiny ViT) on the shapes in
   four styles (SeeCLIP), ``--seed s``;
5. ``make_tiny_inpaint.py``: one tiny inpainting model pre-trained on both the classification
   images and the shapes in four styles, serving SynOOD and SeeCLIP (as one real diffusion
   model would), ``--seed s``; a SynOOD data set generated with an older model or older
   negatives is removed (the tour makes it anew).

Seeds run in parallel (``--jobs``, default: one process per seed), each process with one
thread: these tiny models are dominated by per-operation overhead, so two single-threaded
processes do twice the work of one process with two threads. A world's process runs its steps'
tools in itself (their ``main``, with the arguments above), so the stack is imported once per
world, not once per step. Each world's output goes to ``ROOT[-seed<s>]/setup.log``; a line per
finished step is printed. A finished world records a
digest of the code that made it and of its steps (``setup_stamp.json``); while both are
unchanged, a later run skips it without starting any tool.
"""
import argparse
import hashlib
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import threading
import time
from typing import List, Tuple

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CLIP_STEPS = 500  # the tiny ConvNeXt CLIP's pre-training steps


def world_root(root: str, seed: int) -> str:
    """The folder of seed ``seed``'s world: ``root`` for seed 0, ``root-seed<s>`` otherwise."""
    return root if seed == 0 else f'{root.rstrip("/")}-seed{seed}'


def older(path: str, than: str) -> bool:
    """``path`` is missing or older than ``than`` (make's ``-ot``)."""
    return not osp.exists(path) or osp.getmtime(path) < osp.getmtime(than)


def plan(root: str, seed: int) -> List[Tuple[str, List[str], str]]:
    """``(name, tool arguments, skip-unless)`` per step; ``skip-unless`` is a condition key
    evaluated when the step is reached (``''``: always run, the tool decides)."""
    clip = osp.join(root, 'tiny_clip_convnext.safetensors')
    classes = osp.join(root, 'cls', 'imagenet', 'meta', 'classes.txt')
    mine = ['tools/ood/mine_neg_labels.py', '--clip-model', 'mmopen-tiny-convnext',
            '--clip-weights', clip]
    world = osp.join(root, 'world')
    mine_world = mine + ['--wordnet-dir', osp.join(world, 'lexicon'), '--ratio', '0.5',
                         '--id-vocab', osp.join(world, 'id', 'meta', 'classes.txt')]
    osdg = osp.join(root, 'osdg')
    s = ['--seed', str(seed)]
    return [
        ('data', ['tools/misc/make_quickstart_data.py', root] + s, ''),
        ('tiny CLIP (ConvNeXt)', ['tools/misc/make_tiny_clip.py', '--model',
                                  'mmopen-tiny-convnext', '--pretrain-on', root, '--out',
                                  clip, '--steps', str(CLIP_STEPS)] + s, ''),
        ('NegLabel pool', mine_world + ['--out', osp.join(world, 'neg_labels.txt')],
         'world/neg_labels.txt'),
        ('CSP pool', mine_world + ['--method', 'csp', '--superclass-seed', str(seed), '--out',
                                   osp.join(world, 'csp_labels.txt')], 'world/csp_labels.txt'),
        ('known negatives', mine + ['--id-vocab', classes, '--candidates',
                                    osp.join(root, 'seg', 'classes.txt'), '--ratio', '1.0',
                                    '--out',
                                    osp.join(root, 'cls', 'neg_labels_known.txt')],
         'cls/neg_labels_known.txt'),
        ('shapes in four styles', ['tools/misc/make_osdg_quickstart_data.py', osdg] + s, ''),
        ('tiny CLIP (ViT)', ['tools/misc/make_tiny_clip.py', '--model', 'mmopen-tiny-vit',
                             '--pretrain-on', osdg, '--out',
                             osp.join(root, 'tiny_clip_vit_osdg.safetensors')] + s, ''),
        ('tiny inpainting model', ['tools/misc/make_tiny_inpaint.py', '--out',
                                   osp.join(root, 'tiny_inpaint'), '--pretrain-on', root,
                                   osdg] + s, ''),
    ]


# the code that makes a world: a change to any of these re-checks every step
MAKERS = ('mmopen/quickstart/quickstart_data.py', 'mmopen/quickstart/osdg_data.py',
          'mmopen/quickstart/tiny_clip.py', 'mmopen/quickstart/tiny_pretrain.py',
          'mmopen/quickstart/tiny_diffusion.py', 'mmopen/quickstart/ood_world.py',
          'mmopen/clip/model_configs/mmopen-tiny-vit.json',
          'mmopen/clip/model_configs/mmopen-tiny-convnext.json', 'mmopen/ood/neg_labels.py',
          'mmopen/ood/csp.py', 'mmopen/ood/wordnet.py', 'tools/misc/make_quickstart_data.py',
          'tools/misc/make_osdg_quickstart_data.py', 'tools/misc/make_tiny_clip.py',
          'tools/misc/make_tiny_inpaint.py', 'tools/ood/mine_neg_labels.py',
          'tools/misc/setup_quickstart.py')


def world_digest(root: str, seed: int) -> str:
    """A digest of the code that makes a world and of its steps' arguments."""
    h = hashlib.sha256()
    for path in MAKERS:
        with open(osp.join(REPO, path), 'rb') as f:
            h.update(path.encode() + b'\0' + f.read())
    h.update(json.dumps([args for _, args, _ in plan(root, seed)]).encode())
    return h.hexdigest()


def stamp_path(root: str) -> str:
    return osp.join(root, 'setup_stamp.json')


def up_to_date(root: str, seed: int) -> bool:
    try:
        with open(stamp_path(root)) as f:
            return json.load(f).get('digest') == world_digest(root, seed)
    except (OSError, ValueError):
        return False


def drop_stale_synood(root: str) -> None:
    """A SynOOD data set made with an older inpainting model or older negatives is removed."""
    synood = osp.join(root, 'synood')
    run = osp.join(synood, 'run.json')
    if osp.isdir(synood) and (
            older(run, osp.join(root, 'tiny_inpaint', 'model_index.json'))
            or older(run, osp.join(root, 'cls', 'neg_labels_known.txt'))):
        shutil.rmtree(synood)


def build_world(root: str, seed: int, report) -> None:
    """Make seed ``seed``'s world in ``root``, each step a tool's ``main`` run in this process
    (``report(step, seconds or None)`` after each; ``None``: up to date)."""
    from mmopen.utils.io import write_json_atomic
    from mmopen.utils.tool_main import call_main
    clip = osp.join(root, 'tiny_clip_convnext.safetensors')
    for name, args, target in plan(root, seed):
        if target and not older(osp.join(root, target), clip):
            report(name, None)
            continue
        start = time.time()
        print(f'\n$ python {" ".join(args)}', flush=True)
        code = call_main(args[0], args[1:])
        if code != 0:
            raise RuntimeError(f'seed {seed}: {name} failed (exit {code}); its output is at the '
                               f'end of {osp.join(root, "setup.log")}.')
        if name == 'tiny inpainting model':
            drop_stale_synood(root)
        report(name, time.time() - start)
    write_json_atomic(dict(seed=seed, digest=world_digest(root, seed)), stamp_path(root))


def run_worker(root: str, seed: int) -> int:
    """The process that makes one world: its output goes to ``ROOT/setup.log``, one JSON line
    per finished step to the parent (this process's original stdout)."""
    import torch
    torch.set_num_threads(1)
    os.chdir(REPO)
    os.makedirs(root, exist_ok=True)
    progress = os.fdopen(os.dup(1), 'w', buffering=1)
    with open(osp.join(root, 'setup.log'), 'ab', buffering=0) as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)

    def report(step, seconds):
        progress.write(json.dumps(dict(step=step, seconds=seconds)) + '\n')

    try:
        build_world(root, seed, report)
    except Exception as err:  # noqa: BLE001  (reported to the parent with the log's path)
        progress.write(json.dumps(dict(error=str(err))) + '\n')
        return 1
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--jobs', type=int, help='worlds made at once (default: one per seed)')
    p.add_argument('--root', default='data/quickstart', help='seed 0\'s folder; seed s goes '
                   'to ROOT-seed<s>')
    p.add_argument('--worker', type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    root = args.root if osp.isabs(args.root) else osp.join(REPO, args.root)
    if args.worker is not None:
        return run_worker(world_root(root, args.worker), args.worker)
    if len(set(args.seeds)) != len(args.seeds) or min(args.seeds) < 0:
        raise SystemExit(f'--seeds {args.seeds}: give distinct seeds >= 0.')
    jobs = max(1, args.jobs or len(args.seeds))
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1')
    lock = threading.Lock()
    start = time.time()

    def report(seed, name, seconds):
        with lock:
            what = 'up to date' if seconds is None else f'done in {seconds:.0f} s'
            print(f'[seed {seed}] {name}: {what} ({time.time() - start:.0f} s so far)',
                  flush=True)

    errors, pending = [], list(args.seeds)

    def make(seed):
        wroot = world_root(root, seed)
        if up_to_date(wroot, seed):
            report(seed, 'world (every step)', None)
            return
        if osp.exists(stamp_path(wroot)):
            os.remove(stamp_path(wroot))
        proc = subprocess.Popen([sys.executable, osp.abspath(__file__), '--worker', str(seed),
                                 '--root', root], cwd=REPO, env=env, stdout=subprocess.PIPE,
                                text=True)
        failed = None
        for line in proc.stdout:
            event = json.loads(line)
            if 'error' in event:
                failed = event['error']
            else:
                report(seed, event['step'], event['seconds'])
        if proc.wait() != 0:
            log = osp.join(wroot, 'setup.log')
            raise RuntimeError(failed or f'seed {seed}: the world\'s process failed (exit '
                               f'{proc.returncode}); its output is at the end of {log}.')

    def worker():
        while True:
            with lock:
                if not pending:
                    return
                seed = pending.pop(0)
            try:
                make(seed)
            except Exception as err:  # noqa: BLE001  (reported below, with the log's path)
                with lock:
                    errors.append(str(err))

    print(f'Writing the quickstart worlds of seeds {args.seeds} ({jobs} at a time; logs: '
          f'{osp.relpath(world_root(root, args.seeds[0]), REPO)}/setup.log and siblings)',
          flush=True)
    threads = [threading.Thread(target=worker) for _ in range(min(jobs, len(args.seeds)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit('\n'.join(errors))
    print(f'Quickstart worlds ready in {time.time() - start:.0f} s.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
