"""OpenBench selection (pure) and the semantic-similarity summary."""
import pytest

from mmopen.ovs import select_openbench, similarity_summary


def test_openbench_selection_rule():
    sims = dict(cat=0.95, dog=0.9, okapi=0.5, tapir=0.6, lychee=0.55)
    images = [{'cat', 'okapi'}, {'okapi', 'tapir'}, {'lychee', 'dog'}, {'cat'}]
    sel = select_openbench(images, sims, sigma1=0.7, sigma2=0.58)
    assert sel.kept == [0, 1, 2]  # image 3 holds only a training-like class
    assert sel.to_others == {'cat', 'dog', 'tapir'}
    assert sel.classes == ['lychee', 'okapi']
    assert sel.image_similarity == [0.5, 0.5, 0.55, 0.95]
    assert similarity_summary([0.2, 0.4, 0.9]) == pytest.approx(
        dict(mean=0.5, median=0.4, min=0.2, max=0.9))


def test_sigma_guard_states_the_reason():
    with pytest.raises(ValueError, match='keep their names although an image made only of such '
                       'classes is dropped'):
        select_openbench([{'a'}], dict(a=0.1), sigma1=0.5, sigma2=0.6)
