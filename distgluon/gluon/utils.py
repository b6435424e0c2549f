"""``mx.gluon.utils``: data-parallel helpers, gradient clipping and file download.

`split_data` / `split_and_load` cut a batch into one slice per device (MXNet's rules:
uneven splits put the extra rows first, ``even_split=True`` refuses a batch that does not
divide). `clip_global_norm` rescales gradients by their joint 2-norm. `check_sha1` and
`download` fetch pretrained files (standard library only: ``urllib``).

Notes
-----
Differences from MXNet 1.9.1, all fixes:

* `clip_global_norm` works for float16 arrays (MXNet fails: its CPU ``dot`` has no
  float16): their squares are summed in float32 and the norm is returned in float32, so a
  float16 gradient neither overflows the sum nor loses the norm. float64 arrays work too
  (MXNet fails concatenating a float64 scale with a float32 one) and give a float64 norm.
  Integer arrays, and float64 mixed with float32/float16 in one call, raise `MXNetError`
  (MXNet fails on them as well).
* `download(..., overwrite=True)` replaces an existing file. MXNet 1.9.1 downloads it and
  then deletes the download, keeping the old file, with the warning "File ... exists in
  file system so the downloaded file is deleted" (which distgluon still gives when
  another process creates the file during a download without ``overwrite``).
* `download` uses ``urllib`` instead of ``requests`` (so ``file://`` URLs work too) with a
  60 s socket timeout per attempt instead of none; when the server cannot be reached it
  raises ``ConnectionError`` naming the URL and the reason (MXNet passes on requests'
  message). Retry counting, printed messages, warnings and the sha1 behaviour are MXNet's.
"""
import hashlib
import os
import shutil
import ssl
import urllib.error
import urllib.request
import uuid
import warnings

import numpy as np

from ..base import MXNetError
from .. import ndarray
from .block import HookHandle  # noqa: F401  (re-exported, as mxnet.gluon.utils.HookHandle)
from .parameter import _indent, _brief_print_list  # noqa: F401  (MXNet keeps them here)

__all__ = ['split_data', 'split_and_load', 'clip_global_norm', 'check_sha1', 'download',
           'replace_file']

_DOWNLOAD_TIMEOUT = 60.0  # seconds without progress before one download attempt fails


def split_data(data, num_slice, batch_axis=0, even_split=True):
    """Split an NDArray into ``num_slice`` slices along ``batch_axis``.

    Parameters
    ----------
    data : NDArray
        A batch of data.
    num_slice : int
        Number of slices wanted.
    batch_axis : int, default 0
        The axis along which to slice.
    even_split : bool, default True
        Require every slice to have the same size; if False, the first
        ``size % num_slice`` slices get one extra row (10 rows in 3: 4, 3, 3).

    Returns
    -------
    list of NDArray
        A list even when ``num_slice`` is 1. Slices along axis 0 share memory with
        ``data`` (as MXNet's basic slicing does); along another axis they are copies.

    Raises
    ------
    ValueError
        When ``even_split`` is True and ``num_slice`` does not divide the batch.
    MXNetError
        When a slice along an axis other than 0 would be empty (MXNet's ``slice_axis``
        refuses those; along axis 0 an empty slice is returned).

    Examples
    --------
    >>> [x.shape for x in split_data(mx.nd.zeros((10, 2)), 3, even_split=False)]
    [(4, 2), (3, 2), (3, 2)]
    """
    size = data.shape[batch_axis]
    if even_split and size % num_slice != 0:
        raise ValueError(
            "data with shape %s cannot be evenly split into %d slices along axis %d. "
            "Use a batch size that's multiple of %d or set even_split=False to allow "
            "uneven partitioning of data." % (str(data.shape), num_slice, batch_axis,
                                              num_slice))
    n_each_section, extras = divmod(size, num_slice)
    section_sizes = [0] + (extras * [n_each_section + 1] +
                           (num_slice - extras) * [n_each_section])
    div_points = np.array(section_sizes).cumsum().tolist()
    if batch_axis == 0:
        return [data[div_points[i]:div_points[i + 1]] if i < num_slice - 1
                else data[div_points[i]:size] for i in range(num_slice)]
    axis = batch_axis % len(data.shape)
    slices = []
    for i in range(num_slice):
        begin, end = div_points[i], div_points[i + 1]
        if begin >= end:
            raise MXNetError('slice_axis: invalid begin, end, get begin=%d, end=%d: slice %d '
                             'of %d along axis %d of shape %s would be empty; use fewer '
                             'slices than the %d entries of that axis'
                             % (begin, end, i, num_slice, batch_axis, data.shape, size))
        slices.append(data[(slice(None),) * axis + (slice(begin, end),)])
    return slices


def split_and_load(data, ctx_list, batch_axis=0, even_split=True):
    """Split an NDArray into ``len(ctx_list)`` slices along ``batch_axis`` and copy each
    slice to one context of ``ctx_list``.

    Parameters
    ----------
    data : NDArray or array_like
        A batch of data (anything else is turned into a float32 NDArray first).
    ctx_list : list of Context
    batch_axis : int, default 0
    even_split : bool, default True
        See `split_data`.

    Returns
    -------
    list of NDArray
        One per context; a slice already on its context is not copied. With one context
        the whole batch is returned (no divisibility check).
    """
    if not isinstance(data, ndarray.NDArray):
        data = ndarray.array(data, ctx=ctx_list[0])
    if len(ctx_list) == 1:
        return [data.as_in_context(ctx_list[0])]
    slices = split_data(data, len(ctx_list), batch_axis, even_split)
    return [i.as_in_context(ctx) for i, ctx in zip(slices, ctx_list)]


def _accumulation_dtype(arrays):
    """float64 for float64 arrays, float32 for float32/float16; refuse anything else."""
    dtypes = {np.dtype(arr.dtype) for arr in arrays}
    bad = sorted(d.name for d in dtypes if d.kind != 'f')
    if bad:
        raise MXNetError('clip_global_norm needs floating-point arrays (float16, float32 or '
                         'float64); got {}. Cast the arrays with .astype(\'float32\') first'
                         .format(', '.join(bad)))
    if np.dtype(np.float64) in dtypes:
        if len(dtypes) > 1:
            raise MXNetError('clip_global_norm: the arrays mix float64 with {}; MXNet arrays '
                             'are not promoted, cast them to one dtype first'.format(
                                 ', '.join(sorted(d.name for d in dtypes if d != np.float64))))
        return np.dtype(np.float64)
    return np.dtype(np.float32)


def clip_global_norm(arrays, max_norm, check_isfinite=True):
    """Rescale NDArrays in place so that their joint 2-norm is at most ``max_norm``.

    The norm is ``sqrt(sum of every element squared)`` over all the arrays. When it
    exceeds ``max_norm``, every array is multiplied by ``max_norm / (norm + 1e-8)``;
    otherwise they are left as they are.

    Parameters
    ----------
    arrays : list of NDArray
        Gradients, typically; dense or sparse, on any contexts.
    max_norm : float
    check_isfinite : bool, default True
        If True, warn (``UserWarning: nan or inf is detected. Clipping results will be
        undefined.``) when the norm is not finite, and return it as a number.

    Returns
    -------
    numpy.float32 (numpy.float64 for float64 arrays) or NDArray
        The norm before clipping: a number when ``check_isfinite`` is True, else an
        NDArray of shape (1,) on the context of ``arrays[0]``.

    Raises
    ------
    AssertionError
        When ``arrays`` is empty.
    """
    if len(arrays) == 0:
        raise AssertionError('clip_global_norm needs at least one array; got an empty list')
    ctx = arrays[0].context
    acc = _accumulation_dtype(arrays)
    total = None
    for arr in arrays:
        flat = arr.asnumpy().reshape(-1).astype(acc, copy=False)
        square = np.dot(flat, flat)
        total = square if total is None else total + square
    total_norm = np.sqrt(acc.type(total))
    if check_isfinite and not np.isfinite(total_norm):
        warnings.warn(UserWarning('nan or inf is detected. Clipping results will be undefined.'),
                      stacklevel=2)
    scale = acc.type(max_norm) / (total_norm + acc.type(1e-8))
    scale = np.min(np.array([scale, 1], dtype=acc))
    for arr in arrays:
        if np.dtype(arr.dtype) == acc:
            arr *= float(scale)
        else:  # float16: scale in float32, round once
            scaled = (arr.asnumpy().astype(acc) * scale).astype(arr.dtype)
            arr[:] = scaled
    if check_isfinite:
        return total_norm
    return ndarray.array(np.array([total_norm], dtype=acc), ctx=ctx, dtype=acc)


def check_sha1(filename, sha1_hash):
    """Whether the sha1 of the file's content equals ``sha1_hash`` (hex digits).

    Parameters
    ----------
    filename : str
    sha1_hash : str

    Returns
    -------
    bool
    """
    sha1 = hashlib.sha1()
    with open(filename, 'rb') as f:
        while True:
            data = f.read(1048576)
            if not data:
                break
            sha1.update(data)
    return sha1.hexdigest() == sha1_hash


def replace_file(src, dst):
    """Move ``src`` over ``dst`` atomically (same file system).

    Raises
    ------
    OSError
        When the move fails; ``src`` is removed.
    """
    try:
        os.replace(src, dst)
    except OSError as err:
        try:
            os.remove(src)
        except OSError:
            pass
        raise OSError('Moving downloaded temp file - {}, to {} failed ({}). Please retry '
                      'the download.'.format(src, dst, err)) from None


def _fetch(url, target, verify_ssl):
    """One download attempt of ``url`` into the file ``target``."""
    context = None
    if url.lower().startswith('https:') and not verify_ssl:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    try:
        response = urllib.request.urlopen(url, timeout=_DOWNLOAD_TIMEOUT, context=context)
    except urllib.error.HTTPError as err:
        raise RuntimeError('Failed downloading url {}'.format(url)) from None
    except urllib.error.URLError as err:
        raise ConnectionError('Failed downloading url {}: cannot reach it ({}); check the '
                              'URL and the network connection'.format(url, err.reason)) from None
    except (OSError, ValueError) as err:
        raise ConnectionError('Failed downloading url {}: {}'.format(url, err)) from None
    with response:
        status = getattr(response, 'status', None)
        if status is not None and status != 200:
            raise RuntimeError('Failed downloading url {}'.format(url))
        with open(target, 'wb') as f:
            shutil.copyfileobj(response, f, 1024 * 1024)


def download(url, path=None, overwrite=False, sha1_hash=None, retries=5, verify_ssl=True):
    """Download a URL to a file, with retries and an optional sha1 check.

    Parameters
    ----------
    url : str
        ``http(s)://`` or ``file://`` URL.
    path : str, optional
        Destination file, or a directory to store the file in under the URL's last
        component; default: that name in the current directory.
    overwrite : bool, default False
        Download even if the file exists.
    sha1_hash : str, optional
        Expected sha1 (hex). An existing file with another hash is downloaded again.
    retries : int, default 5
        Number of attempts (at least one); each failure prints a message and retries.
    verify_ssl : bool, default True
        Verify HTTPS certificates (False warns).

    Returns
    -------
    str
        The path of the downloaded file.

    Raises
    ------
    ConnectionError
        When the host cannot be reached; the message names the URL.
    RuntimeError
        ``Failed downloading url ...`` for an HTTP status other than 200.
    UserWarning
        (raised) when the downloaded file's sha1 does not match ``sha1_hash``.
    AssertionError
        When no file name can be derived from the URL, or ``retries`` < 0.
    """
    if path is None:
        fname = url.split('/')[-1]
        if not fname:
            raise AssertionError("Can't construct file-name from this URL. "
                                 "Please set the `path` option manually.")
    else:
        path = os.path.expanduser(path)
        if os.path.isdir(path):
            fname = os.path.join(path, url.split('/')[-1])
        else:
            fname = path
    if not retries >= 0:
        raise AssertionError("Number of retries should be at least 0, currently it's {}"
                             .format(retries))
    if not verify_ssl:
        warnings.warn('Unverified HTTPS request is being made (verify_ssl=False). '
                      'Adding certificate verification is strongly advised.')

    if overwrite or not os.path.exists(fname) or (sha1_hash and not check_sha1(fname,
                                                                               sha1_hash)):
        dirname = os.path.dirname(os.path.abspath(os.path.expanduser(fname)))
        os.makedirs(dirname, exist_ok=True)
        while retries + 1 > 0:
            try:
                print('Downloading {} from {}...'.format(fname, url))
                tmp = '{}.{}'.format(fname, uuid.uuid4())
                try:
                    _fetch(url, tmp, verify_ssl)
                except BaseException:
                    if os.path.exists(tmp):
                        os.remove(tmp)
                    raise
                # another process may have finished the same file meanwhile
                if overwrite or not os.path.exists(fname) or (
                        sha1_hash and not check_sha1(fname, sha1_hash)):
                    replace_file(tmp, fname)
                else:
                    try:
                        os.remove(tmp)
                    except OSError:
                        pass
                    finally:
                        warnings.warn('File {} exists in file system so the downloaded file '
                                      'is deleted'.format(fname))
                if sha1_hash and not check_sha1(fname, sha1_hash):
                    raise UserWarning(
                        'File {} is downloaded but the content hash does not match.'
                        ' The repo may be outdated or download may be incomplete. '
                        'If the "repo_url" is overridden, consider switching to '
                        'the default repo.'.format(fname))
                break
            except Exception as e:  # noqa: BLE001 - MXNet retries on any failure
                retries -= 1
                if retries <= 0:
                    raise e
                print('download failed due to {}, retrying, {} attempt{} left'
                      .format(repr(e), retries, 's' if retries > 1 else ''))
    return fname


def shape_is_known(shape):
    """Whether ``shape`` is completely known: not None, not empty, no 0 (unknown) dim.

    Raises
    ------
    AssertionError
        For a negative dimension.
    """
    if shape is None or len(shape) == 0:
        return False
    for dim_size in shape:
        if dim_size == 0:
            return False
        if dim_size < 0:
            raise AssertionError('shape dimension size cannot be less than 0, while '
                                 'received {}'.format(dim_size))
    return True


def _get_repo_url():
    """Base URL of the Gluon model/data repository (``MXNET_GLUON_REPO`` overrides it)."""
    default_repo = 'https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/'
    repo_url = os.environ.get('MXNET_GLUON_REPO', default_repo)
    if repo_url[-1] != '/':
        repo_url = repo_url + '/'
    return repo_url


def _get_repo_file_url(namespace, filename):
    """URL of ``filename`` under ``namespace`` in the Gluon repository."""
    return '{base_url}{namespace}/{filename}'.format(base_url=_get_repo_url(),
                                                     namespace=namespace, filename=filename)
