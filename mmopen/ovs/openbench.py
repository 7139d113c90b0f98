"""OpenBench construction (Sec. 3 of the OVSNet / OpenBench paper).

For every class of the source datasets, ``s(c)`` = its maximum CLIP similarity to the training
classes (:func:`max_similarity`). An image's similarity to the training semantics is the minimum
``s(c)`` over the classes present in it. Images with similarity above ``sigma1`` are dropped;
inside the kept images, classes with ``s(c) > sigma2`` are relabelled to ``others``. ``sigma1``
and ``sigma2`` are open in the paper (configurable here).
"""
from typing import Dict, List, NamedTuple, Sequence, Set


class OpenBenchSelection(NamedTuple):
    kept: List[int]               # indices of the kept images
    to_others: Set[str]           # class names relabelled to "others"
    classes: List[str]            # the benchmark's classes (without "others"), sorted by name
    image_similarity: List[float]  # per source image


def select_openbench(image_classes: Sequence[Set[str]], class_similarity: Dict[str, float],
                     sigma1: float, sigma2: float) -> OpenBenchSelection:
    """Which images to keep and which classes become ``others``.

    Args:
        image_classes: the class names present in each source image.
        class_similarity: ``s(c)`` for every class name.
    """
    if sigma2 > sigma1:
        raise ValueError(
            f'sigma2={sigma2} is above sigma1={sigma1}: classes with a similarity between the '
            'two would keep their names although an image made only of such classes is '
            'dropped as too close to the training semantics. The thresholds should agree on '
            'what "too close" means: use sigma2 <= sigma1.')
    image_sim, kept = [], []
    for i, classes in enumerate(image_classes):
        missing = [c for c in classes if c not in class_similarity]
        if missing:
            raise KeyError(f'No similarity for classes {missing[:5]} of image {i}.')
        sim = min((class_similarity[c] for c in classes), default=float('inf'))
        image_sim.append(sim)
        if sim <= sigma1:
            kept.append(i)
    present = set().union(*[image_classes[i] for i in kept]) if kept else set()
    to_others = {c for c in present if class_similarity[c] > sigma2}
    classes = sorted(present - to_others)
    return OpenBenchSelection(kept, to_others, classes, image_sim)
