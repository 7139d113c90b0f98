"""Benchmark: SynOOD's guidance overhead, and the skip gradient against full backpropagation.

    python benchmarks/synood.py [--inpaint-model data/quickstart/tiny_inpaint] [--size 64]
                                [--repeats 5] [--device cpu|cuda]

1. Seconds per image, guided inpainting (``outer_iters`` noise updates, each a denoise, a VAE
   decode with gradients, the classifier's forward and backward; then the final render) against
   plain inpainting of the same size from the same noise, measured in one run. The guidance
   overhead per outer iteration is ``(T_guided - T_plain) / (outer_iters * T_plain)``: what one
   noise update costs relative to one plain inpainting (the target is <= 1.5x).
2. One guided update with the skip gradient (eq. 9) against the full gradient of eq. (8),
   back-propagated through every DDIM step: time, and the peak memory of the update above the
   loaded models (each mode in a process of its own that loads the models itself: on CPU forked
   from this one before it loads them for part 1, on CUDA a new interpreter; CUDA:
   ``max_memory_allocated``, CPU: the resident size sampled every millisecond).

The model is the inpainting folder given (default: the quickstart's tiny model; without one, a
random tiny model of the same architecture, which times the same), the classifier the tiny
CLIP zero-shot over 5 classes. Real SD-2 at 512 px needs a GPU and its weights; the ratios here
are for the tiny model.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import tempfile
import time
import traceback

import torch
from timing import median_times

from mmopen.diffusion import GuidedInpainter, load_inpaint_model
from mmopen.ood.synood import CLIPLogits
from mmopen.quickstart.tiny_diffusion import write_tiny_inpaint

REPO = osp.join(osp.dirname(osp.abspath(__file__)), '..')

QUICKSTART_MODEL = osp.join(REPO, 'data', 'quickstart', 'tiny_inpaint')
QUICKSTART_CLIP = osp.join(REPO, 'data', 'quickstart', 'tiny_clip_convnext.safetensors')


def _setup(args):
    model = load_inpaint_model(args.inpaint_model, device=args.device, fp16=args.fp16)
    weights = QUICKSTART_CLIP if osp.isfile(QUICKSTART_CLIP) else None
    classifier = CLIPLogits(dict(model_name='mmopen-tiny-convnext', weights=weights,
                                 cache_dir=False),
                            ['tench', 'goldfish', 'great white shark', 'tiger shark',
                             'hammerhead']).to(args.device)
    gen = torch.Generator().manual_seed(0)
    images = torch.rand(args.batch, 3, args.size, args.size, generator=gen)
    f = model.vae_scale
    noise = torch.randn(args.batch, 4, args.size // f, args.size // f, generator=gen)
    prompts = ['A photo only remain grass.'] * args.batch
    return model, classifier, GuidedInpainter, images, noise, prompts


class _RSSPeak:
    """Peak resident size while the block runs, above the size when it starts (a thread reads
    /proc/self/statm every millisecond; the process-lifetime peak ``ru_maxrss`` would include
    the transient peak of loading the models)."""

    def __enter__(self):
        import threading
        self.page = os.sysconf('SC_PAGE_SIZE')
        self.base = self.peak = self._rss()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()
        return self

    def _rss(self) -> int:
        with open('/proc/self/statm') as f:
            return int(f.read().split()[1]) * self.page

    def _watch(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, self._rss())
            time.sleep(0.001)

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.peak = max(self.peak, self._rss())
        self.bytes = self.peak - self.base


def _sync(device):
    if str(device).startswith('cuda'):
        torch.cuda.synchronize()


def worker(args) -> dict:
    """One gradient mode in this process: the peak memory of its first guided update above the
    loaded models, then the median time of the next ``repeats``."""
    model, classifier, GuidedInpainter, images, noise, prompts = _setup(args)
    guided = GuidedInpainter(model, dict(outer_iters=1, step_size=args.step_size,
                                         gradient=args.worker))
    if str(args.device).startswith('cuda'):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        guided(images, prompts, noise, classifier)
        torch.cuda.synchronize()
        peak = torch.cuda.max_memory_allocated() - base
    else:
        with _RSSPeak() as watch:
            guided(images, prompts, noise, classifier)
        peak = watch.bytes
    times = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        guided(images, prompts, noise, classifier)
        _sync(args.device)
        times.append(time.perf_counter() - t)
    return dict(seconds=sorted(times)[len(times) // 2], peak_bytes=max(peak, 0))


def _forked_worker(args) -> dict:
    """``worker(args)`` in a child forked from this process (which has not loaded the models
    yet; without the quickstart model it has only written the random tiny one): its result,
    or its traceback as the error."""
    read, write = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            out = worker(args)
        except BaseException:
            out = dict(error=traceback.format_exc())
        with os.fdopen(write, 'w') as f:
            json.dump(out, f)
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as f:
        text = f.read()
    _, status = os.waitpid(pid, 0)
    out = json.loads(text) if text else dict(
        error=f'exit status {os.waitstatus_to_exitcode(status)}')
    if 'error' in out:
        raise SystemExit(f'the {args.worker} worker failed:\n{out["error"]}')
    return out


def _run_worker(args, mode) -> dict:
    """One gradient mode in a process of its own: forked from this one on CPU, a new
    interpreter on CUDA (a forked process cannot use CUDA once its parent has)."""
    if not str(args.device).startswith('cuda') and hasattr(os, 'fork'):
        return _forked_worker(argparse.Namespace(**dict(vars(args), worker=mode)))
    cmd = [sys.executable, osp.abspath(__file__), '--worker', mode, '--inpaint-model',
           args.inpaint_model, '--size', str(args.size), '--batch', str(args.batch),
           '--repeats', str(args.repeats), '--device', args.device, '--step-size',
           str(args.step_size)] + (['--fp16'] if args.fp16 else [])
    out = subprocess.run(cmd, capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=REPO))
    if out.returncode:
        raise SystemExit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument('--inpaint-model', default=None,
                   help='inpainting folder (default: the quickstart tiny model, else random)')
    p.add_argument('--size', type=int, default=64, help='image size (px)')
    p.add_argument('--batch', type=int, default=1)
    p.add_argument('--outer-iters', type=int, default=3)
    p.add_argument('--step-size', type=float, default=0.2)
    p.add_argument('--repeats', type=int, default=5)
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--fp16', action='store_true', help='fp16 components (CUDA only)')
    p.add_argument('--worker', choices=['skip', 'full'], help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    tmp = None
    if args.inpaint_model is None:
        if osp.isfile(osp.join(QUICKSTART_MODEL, 'model_index.json')):
            args.inpaint_model = QUICKSTART_MODEL
        else:
            tmp = tempfile.mkdtemp(prefix='synood-bench-')
            args.inpaint_model = write_tiny_inpaint(osp.join(tmp, 'tiny'), log=lambda m: None)
    if args.worker:
        print(json.dumps(worker(args)))
        return 0
    # each gradient mode first, before this process loads the models (forked on CPU)
    results = {mode: _run_worker(args, mode) for mode in ('skip', 'full')}

    model, classifier, GuidedInpainter, images, noise, prompts = _setup(args)
    plain = GuidedInpainter(model, dict(outer_iters=0))
    guided = GuidedInpainter(model, dict(outer_iters=args.outer_iters,
                                         step_size=args.step_size))

    def run_plain():
        plain(images, prompts, noise)
        _sync(args.device)

    def run_guided():
        guided(images, prompts, noise, classifier)
        _sync(args.device)

    t_plain, t_guided = median_times([run_plain, run_guided], args.repeats)
    n = args.outer_iters
    print(f'SynOOD guidance, {args.size} px, batch {args.batch}, {args.device}, '
          f'{torch.get_num_threads()} threads, median of {args.repeats} '
          f'({osp.relpath(args.inpaint_model) if not tmp else "random tiny model"}):')
    print(f'  plain inpainting                     {t_plain / args.batch:8.3f} s/image')
    print(f'  guided, {n} outer iterations          {t_guided / args.batch:8.3f} s/image')
    print(f'  ratio (guided / plain)               = {t_guided / t_plain:.2f}x')
    per_iter = (t_guided - t_plain) / (n * t_plain)
    print(f'  guidance overhead per outer iteration = {per_iter:.2f}x of a plain inpainting '
          f'(target <= 1.5x)')

    skip, full = results['skip'], results['full']
    mem = ('GPU memory allocated' if args.device.startswith('cuda') else
           'peak resident memory (sampled)')
    print(f'One guided update (denoise, decode, classify, gradient; then the final render), '
          f'skip gradient (eq. 9) vs full backpropagation (eq. 8); {mem} above the loaded '
          f'models:')
    print(f'  skip gradient   {skip["seconds"]:8.3f} s   {skip["peak_bytes"] / 2**20:8.1f} MiB')
    print(f'  full gradient   {full["seconds"]:8.3f} s   {full["peak_bytes"] / 2**20:8.1f} MiB')
    print(f'  ratio (full / skip): time = {full["seconds"] / skip["seconds"]:.2f}x, memory = '
          f'{full["peak_bytes"] / max(skip["peak_bytes"], 1):.2f}x')
    if tmp:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
