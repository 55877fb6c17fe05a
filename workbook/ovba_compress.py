"""MS-OVBA compression ([MS-OVBA] §2.4.1), the format of a VBA project's source and dir streams.

The build uses this instead of ms-ovba-compression 1.0.1, whose compressor corrupts streams longer than
about a kilobyte (checked against oletools' decompressor in tests/test_workbook.py). Greedy longest match
within each 4096-byte chunk; a chunk that would not shrink is stored raw, as the format allows.
"""

from __future__ import annotations

CHUNK = 4096


def _split(difference: int) -> tuple[int, int]:
    """CopyToken help (§2.4.1.3.19.1) at ``difference`` bytes into the chunk: (maximum match length,
    bits of the offset field), bit count = max(ceil(log2(difference)), 4)."""
    bit_count = max((difference - 1).bit_length(), 4)
    max_length = (0xFFFF >> bit_count) + 3
    return max_length, bit_count


def _compress_chunk(data: bytes) -> bytes:
    out = bytearray()
    pos = 0
    while pos < len(data):
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= len(data):
                break
            max_length, bit_count = _split(pos) if pos else (0, 4)
            best_len, best_off = 0, 0
            if pos and pos + 3 <= len(data):
                limit = min(max_length, len(data) - pos)
                key, end = data[pos : pos + 3], pos + 2
                while (start := data.rfind(key, 0, end)) >= 0:  # candidates nearest first
                    n = 3
                    while n < limit and data[start + n] == data[pos + n]:
                        n += 1
                    if n > best_len:
                        best_len, best_off = n, pos - start
                        if n == limit:
                            break
                    end = start + 2
            if best_len >= 3:
                token = ((best_off - 1) << (16 - bit_count)) | (best_len - 3)
                out += token.to_bytes(2, "little")
                flags |= 1 << bit
                pos += best_len
            else:
                out.append(data[pos])
                pos += 1
        out[flag_at] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    """A CompressedContainer: signature 0x01, then one chunk per 4096 bytes of ``data``."""
    out = bytearray(b"\x01")
    for lo in range(0, len(data), CHUNK):
        raw = data[lo : lo + CHUNK]
        packed = _compress_chunk(raw)
        if len(packed) > CHUNK and len(raw) == CHUNK:  # stored raw: exactly 4096 bytes, flag 0
            out += ((CHUNK + 2 - 3) | (0b011 << 12)).to_bytes(2, "little") + raw
        elif len(packed) > CHUNK:
            raise ValueError("the last chunk does not compress into 4096 bytes; it cannot be stored raw")
        else:  # header: chunk size - 3 (12 bits), signature 0b011, compressed flag
            out += ((len(packed) + 2 - 3) | (0b011 << 12) | 0x8000).to_bytes(2, "little") + packed
    return bytes(out)
