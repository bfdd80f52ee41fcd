"""torch.hub's checkpoint cache, for pretrained weights: the same directory and file names as
PyTorch, so a cache PyTorch filled works as it is, and a file torchlike downloads serves PyTorch too.

The cache is ``$TORCH_HOME/hub/checkpoints``; ``TORCH_HOME`` defaults to ``$XDG_CACHE_HOME/torch``,
and that to ``~/.cache/torch``. A file already there is loaded without checking its hash (as
torch.hub does); a missing one is downloaded to a temporary file next to it, its sha256 checked
against the prefix in its name (``resnet18-f37072fd.pth``: ``f37072fd``), and only then renamed.
"""
import hashlib
import os
import re
import sys
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlparse

from .. import serialization

__all__ = ["get_dir", "load_state_dict_from_url", "download_url_to_file"]

# torch.hub's convention: "<name>-<sha256 prefix>.<ext>".
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
READ_DATA_CHUNK = 128 * 1024

OFFLINE_MESSAGE = """\
Could not download {url}
  ({reason}).
torchlike looks for this checkpoint where PyTorch caches it:
  {path}
and found no file there. To use the weights without internet access, place the file there yourself:
  - copy it from a PyTorch cache on any machine (~/.cache/torch/hub/checkpoints/{name}), or
  - download it elsewhere, e.g. `curl -L -o {name} {url}`, and copy it to
    {directory}
Alternatively set TORCH_HOME to a directory whose hub/checkpoints/ holds {name},
or build the model with weights=None for random initialisation."""


def _get_torch_home():
    return os.path.expanduser(os.getenv("TORCH_HOME", os.path.join(os.getenv("XDG_CACHE_HOME", "~/.cache"),
                                                                   "torch")))


def get_dir():
    """torch.hub.get_dir(): ``$TORCH_HOME/hub``."""
    return os.path.join(_get_torch_home(), "hub")


def _progress_bar(done, total, width=40):
    if total:
        filled = int(width * done / total)
        return f"\r{100 * done / total:3.0f}%|{'#' * filled}{' ' * (width - filled)}| {_human(done)}/{_human(total)}"
    return f"\r{_human(done)}"


def _human(n):
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.1f}{unit}" if unit != "B" else f"{n}B"
        n /= 1024


def download_url_to_file(url, dst, hash_prefix=None, progress=True):
    """torch.hub.download_url_to_file: ``url`` to ``dst`` via a temporary ``dst.<uuid>.partial``
    file, so an interrupted or corrupt download never leaves a half-written checkpoint at ``dst``.
    The progress bar is plain text on stderr (torch uses tqdm)."""
    dst = os.path.expanduser(dst)
    tmp_dst = f"{dst}.{uuid.uuid4().hex}.partial"
    f = open(tmp_dst, "w+b")
    try:
        req = urllib.request.Request(url, headers={"User-Agent": "torch.hub"})
        with urllib.request.urlopen(req) as u:
            length = u.info().get_all("Content-Length")
            file_size = int(length[0]) if length else None
            sha256 = hashlib.sha256() if hash_prefix is not None else None
            done = 0
            while True:
                buffer = u.read(READ_DATA_CHUNK)
                if len(buffer) == 0:
                    break
                f.write(buffer)
                if sha256 is not None:
                    sha256.update(buffer)
                done += len(buffer)
                if progress:
                    sys.stderr.write(_progress_bar(done, file_size))
                    sys.stderr.flush()
            if progress:
                sys.stderr.write("\n")
        f.close()
        if sha256 is not None:
            digest = sha256.hexdigest()
            if digest[:len(hash_prefix)] != hash_prefix:
                raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got "{digest}")')
        os.replace(f.name, dst)
    finally:
        f.close()
        if os.path.exists(f.name):
            os.remove(f.name)


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True, check_hash=False,
                             file_name=None, weights_only=True):
    """torch.hub.load_state_dict_from_url, loading with ``torchlike.load`` (``weights_only`` by default).

    When the file is missing and cannot be downloaded, raises a RuntimeError naming both the
    address and the path where the file is expected, and how to put it there by hand."""
    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    filename = file_name if file_name is not None else os.path.basename(urlparse(url).path)
    cached_file = os.path.join(model_dir, filename)
    if not os.path.exists(cached_file):
        sys.stdout.write(f'Downloading: "{url}" to {cached_file}\n')
        hash_prefix = None
        if check_hash:
            r = HASH_REGEX.search(filename)
            hash_prefix = r.group(1) if r else None
        try:
            os.makedirs(model_dir, exist_ok=True)
            download_url_to_file(url, cached_file, hash_prefix, progress=progress)
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", None) or e
            raise RuntimeError(OFFLINE_MESSAGE.format(url=url, reason=reason, path=cached_file, name=filename,
                                                      directory=model_dir)) from e
    return serialization.load(cached_file, map_location=map_location, weights_only=weights_only)
