"""The zip container of a PyTorch checkpoint, written as PyTorch's miniz writer lays it out.

Every record is stored uncompressed, its data starting on a 64-byte boundary: the local header
carries an ``FB`` extra field of ``Z`` padding for that (``torch.load(mmap=True)`` relies on
it). Sizes and CRC follow the data in a data descriptor (flag bit 3), so the writer never seeks
and can stream to any writable file object. Zip64 fields appear where a size or offset needs
them, and the archive always ends with a zip64 end-of-central-directory record, as PyTorch's does.
Reading goes through Python's ``zipfile`` (which also checks every record's CRC-32).
"""
import struct
import zipfile
import zlib

ALIGNMENT = 64
_ZIP64_LIMIT = 0xFFFFFFFF  # a size or offset at or past this needs zip64 fields
_SENTINEL32, _SENTINEL16 = 0xFFFFFFFF, 0xFFFF  # "see the zip64 field" in a 32/16-bit slot
_UTF8, _DESCRIPTOR = 0x0800, 0x0008

_CORRUPT = (
    "PytorchStreamReader failed reading zip archive: {what}. If you are seeing this error, there is a "
    "high likelihood that your checkpoint file is corrupted. This can happen if the checkpoint was not "
    "saved properly, was transferred incorrectly, or was truncated.")


class ZipWriter:
    """Writes records ``<archive_name>/<name>`` to a binary file object, sequentially."""

    def __init__(self, f, archive_name="archive"):
        self._f = f
        self._prefix = archive_name + "/"
        self._pos = 0
        self._entries = []  # (name bytes, flags, crc, size, header offset)
        self._name_hash = 0
        self._crc_hash = 0

    def _write(self, b):
        self._f.write(b)
        self._pos += len(b)

    def write_record(self, name, data):
        data = memoryview(data).cast("B")
        full = (self._prefix + name).encode("utf-8")
        size, offset = data.nbytes, self._pos
        zip64 = _zip64_extra(size, offset)
        start = offset + 30 + len(full) + len(zip64) + 4
        pad = -start % ALIGNMENT
        extra = zip64 + b"FB" + struct.pack("<H", pad) + b"Z" * pad
        flags = _UTF8 | (_DESCRIPTOR if size else 0)
        self._write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 0, flags, 0, 0, 0, 0, 0, 0, len(full), len(extra)))
        self._write(full + extra)
        self._write(data)
        crc = zlib.crc32(data)
        if size:
            fmt = "<IIQQ" if zip64 else "<IIII"
            self._write(struct.pack(fmt, 0x08074B50, crc, size, size))
        self._entries.append((full, flags, crc, size, offset))
        self._name_hash = _combine(self._name_hash, zlib.crc32(full))
        self._crc_hash = _combine(self._crc_hash, crc)

    def serialization_id(self):
        """A 40-digit id derived from the record names and contents (PyTorch uses it for logging)."""
        return f"{self._name_hash:020d}{self._crc_hash:020d}"

    def finish(self):
        cd_start = self._pos
        for full, flags, crc, size, offset in self._entries:
            extra = _zip64_extra(size, offset)
            size32, offset32 = _slot(size), _slot(offset)
            self._write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0, 0, flags, 0, 0, 0, crc,
                                    size32, size32, len(full), len(extra), 0, 0, 0, 0, offset32))
            self._write(full + extra)
        cd_size, n, eocd64 = self._pos - cd_start, len(self._entries), self._pos
        self._write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 0x031E, 0x2D, 0, 0, n, n, cd_size, cd_start))
        self._write(struct.pack("<IIQI", 0x07064B50, 0, eocd64, 1))
        n16 = n if n < _SENTINEL16 else _SENTINEL16
        self._write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n16, n16, _slot(cd_size), _slot(cd_start), 0))


def _slot(value):
    """A size or offset for a 32-bit field: itself, or the sentinel when the zip64 field holds it."""
    return value if value < _ZIP64_LIMIT else _SENTINEL32


def _zip64_extra(size, offset):
    """miniz's zip64 extra field: sizes when the size is large, the offset when the offset is."""
    fields = (size, size) if size >= _ZIP64_LIMIT else ()
    fields += (offset,) if offset >= _ZIP64_LIMIT else ()
    return struct.pack(f"<HH{len(fields)}Q", 1, 8 * len(fields), *fields) if fields else b""


def _combine(seed, value):
    """boost::hash_combine on 64 bits (PyTorch's writer folds names and CRCs the same way)."""
    return (seed ^ (value + 0x9E3779B9 + ((seed << 6) & 0xFFFFFFFFFFFFFFFF) + (seed >> 2))) & 0xFFFFFFFFFFFFFFFF


class ZipReader:
    """The records of a checkpoint archive, by name relative to its top-level folder."""

    def __init__(self, f):
        try:
            self._zip = zipfile.ZipFile(f)
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, struct.error) as e:
            raise RuntimeError(_CORRUPT.format(what="failed finding central directory")) from e
        if not infos:
            raise RuntimeError(_CORRUPT.format(what="archive has no records"))
        # PyTorch names the folder after the file it saved to; it is whatever the first record says.
        first = infos[0].filename
        self._prefix = first[:first.index("/") + 1] if "/" in first else ""
        self._names = {i.filename for i in infos}

    def has_record(self, name):
        return self._prefix + name in self._names

    def get_record(self, name):
        full = self._prefix + name
        if full not in self._names:
            raise RuntimeError(f"PytorchStreamReader failed locating file {name}: file not found")
        try:
            return self._zip.read(full)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, struct.error, zlib.error) as e:
            raise RuntimeError(_CORRUPT.format(what=f"failed reading file {name} ({e})")) from e

    def close(self):
        self._zip.close()


def is_zipfile(f):
    """PyTorch's test: the stream starts with a local file header signature (position restored)."""
    start = f.tell()
    magic = f.read(4)
    f.seek(start)
    return magic == b"PK\x03\x04"
