"""numpy 1.23's ``argpartition`` on one 1-D float array, replayed step by step.

MXNet 1.9.1 runs on numpy 1.23, and ``mx.metric.TopKAccuracy`` takes its top k with
``numpy.argpartition``. When values tie across the k-th position, *which* tied index ends
up in the top k depends on the selection algorithm, and numpy 2 uses a different one. To
count exactly what MXNet counts, `argpartition_np123` reproduces numpy 1.23's
introselect (median-of-3 quickselect with a median-of-medians-of-5 fallback, NaN sorted
last) swap for swap. It is a plain Python loop, so callers use it only where the result
is ambiguous (rows with ties at the k-th value, or 1-D input whose full order matters).
"""
import numpy as np

__all__ = ['argpartition_np123']


def _less(a, b):
    """numpy's float ordering: NaN is larger than every number."""
    return a < b or (b != b and a == a)


def argpartition_np123(values, kth):
    """``numpy.argpartition(values, kth)`` exactly as numpy 1.23 computes it (1-D float).

    Parameters
    ----------
    values : 1-D array of float
    kth : int
        Negative values count from the end, as in numpy.

    Returns
    -------
    numpy.ndarray of int64
        The index permutation numpy 1.23 returns.

    Raises
    ------
    ValueError
        ``kth(=k) out of bounds (n)`` as numpy's message, when kth is outside the array.
    """
    v = [float(x) for x in np.asarray(values).ravel()]
    num = len(v)
    k = kth + num if kth < 0 else kth
    if k < 0 or k >= num:
        raise ValueError('kth(=%d) out of bounds (%d)' % (k, num))
    ts = list(range(num))
    _introselect(v, ts, 0, num, k)
    return np.array(ts, dtype=np.int64)


def _swap(ts, i, j):
    ts[i], ts[j] = ts[j], ts[i]


def _dumb_select(v, ts, off, num, kth):
    """O(n*kth) selection for a small kth (numpy's ``dumb_select``)."""
    for i in range(kth + 1):
        minidx = i
        minval = v[ts[off + i]]
        for k in range(i + 1, num):
            if _less(v[ts[off + k]], minval):
                minidx = k
                minval = v[ts[off + k]]
        _swap(ts, off + i, off + minidx)


def _median3_swap(v, ts, off, low, mid, high):
    """Median of three to ``low``, the smallest of the three to ``low + 1``."""
    if _less(v[ts[off + high]], v[ts[off + mid]]):
        _swap(ts, off + high, off + mid)
    if _less(v[ts[off + high]], v[ts[off + low]]):
        _swap(ts, off + high, off + low)
    if _less(v[ts[off + low]], v[ts[off + mid]]):
        _swap(ts, off + low, off + mid)
    _swap(ts, off + mid, off + low + 1)


def _median5(v, ts, off):
    """Index (relative to ``off``) of the median of five, after numpy's swaps."""
    def less(i, j):
        return _less(v[ts[off + i]], v[ts[off + j]])
    if less(1, 0):
        _swap(ts, off + 1, off)
    if less(4, 3):
        _swap(ts, off + 4, off + 3)
    if less(3, 0):
        _swap(ts, off + 3, off)
    if less(4, 1):
        _swap(ts, off + 4, off + 1)
    if less(2, 1):
        _swap(ts, off + 2, off + 1)
    if less(3, 2):
        return 1 if less(3, 1) else 3
    return 2


def _median_of_median5(v, ts, off, num):
    nmed = num // 5
    for i in range(nmed):
        subleft = 5 * i
        m = _median5(v, ts, off + subleft)
        _swap(ts, off + subleft + m, off + i)
    if nmed > 2:
        _introselect(v, ts, off, nmed, nmed // 2)
    return nmed // 2


def _introselect(v, ts, off, num, kth):
    """numpy 1.23 ``introselect_<arg=true>`` on ``ts[off:off + num]`` (one kth, so the
    pivot stack never matters)."""
    low, high = 0, num - 1
    if kth - low < 3:
        _dumb_select(v, ts, off + low, high - low + 1, kth - low)
        return
    if kth == num - 1:
        maxidx = low
        maxval = v[ts[off + low]]
        for k in range(low + 1, num):
            if not _less(v[ts[off + k]], maxval):
                maxidx = k
                maxval = v[ts[off + k]]
        _swap(ts, off + kth, off + maxidx)
        return
    depth_limit = (num.bit_length() - 1) * 2
    while low + 1 < high:
        ll, hh = low + 1, high
        if depth_limit > 0 or hh - ll < 5:
            mid = low + (high - low) // 2
            _median3_swap(v, ts, off, low, mid, high)
        else:
            mid = ll + _median_of_median5(v, ts, off + ll, hh - ll)
            _swap(ts, off + mid, off + low)
            ll -= 1
            hh += 1
        depth_limit -= 1
        pivot = v[ts[off + low]]
        while True:  # unguarded partition
            ll += 1
            while _less(v[ts[off + ll]], pivot):
                ll += 1
            hh -= 1
            while _less(pivot, v[ts[off + hh]]):
                hh -= 1
            if hh < ll:
                break
            _swap(ts, off + ll, off + hh)
        _swap(ts, off + low, off + hh)
        if hh >= kth:
            high = hh - 1
        if hh <= kth:
            low = ll
    if high == low + 1 and _less(v[ts[off + high]], v[ts[off + low]]):
        _swap(ts, off + high, off + low)
