"""Timing helper shared by the benchmark scripts."""
import time
from typing import Callable, List, Sequence


def median_times(fns: Sequence[Callable], repeats: int, warmup: bool = True) -> List[float]:
    """Median wall time (s) of each function; the calls are interleaved so that machine noise
    hits all of them alike."""
    if warmup:
        for fn in fns:
            fn()
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, ts in zip(fns, times):
            t = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t)
    return [sorted(ts)[len(ts) // 2] for ts in times]
