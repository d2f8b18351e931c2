using System;
using System.IO;

namespace MailOps
{
    /// <summary>
    /// Reads a raw zlib stream (RFC 1950: a 2-byte header, deflate data, the Adler-32 of the uncompressed data as the last
    /// 4 bytes, big-endian), which some DMARC reporters send instead of gzip. netstandard2.0 has only DeflateStream, which
    /// knows neither the header nor the trailer, and which, like GZipStream, ends quietly when its input is cut short. So:
    /// <see cref="IsZlibHeader"/> recognises the header, <see cref="Open"/> skips it and hands the rest to DeflateStream
    /// through a tap that keeps the last 4 compressed bytes, the uncompressed side computes the Adler-32, and
    /// <see cref="Verify"/> compares them once the data has ended: a cut or damaged stream is told from a whole one.
    /// </summary>
    internal sealed class ZlibIntegrity
    {
        private const uint AdlerModulus = 65521;
        private readonly byte[] _window = new byte[4];
        private long _compressed;
        private uint _a = 1, _b;
        private long _length;
        private Stream? _tap;

        /// <summary>The two first bytes of a zlib stream as reporters write it: CM 8 (deflate), a 32K window or smaller,
        /// no preset dictionary, and the header checksum (CMF*256 + FLG a multiple of 31). 78 01, 78 5E, 78 9C and 78 DA
        /// are the common ones; any valid deflate header is taken.</summary>
        public static bool IsZlibHeader(byte cmf, byte flg) =>
            (cmf & 0x0F) == 8 && (cmf >> 4) <= 7 && (flg & 0x20) == 0 && ((cmf << 8) | flg) % 31 == 0;

        /// <summary>The uncompressed data of <paramref name="compressed"/>, which starts with the zlib header. The caller
        /// disposes the returned stream; <paramref name="compressed"/> is left open (its owner closes it).</summary>
        public Stream Open(Stream compressed)
        {
            var header = new byte[2];
            int have = 0, n;
            while (have < 2 && (n = compressed.Read(header, have, 2 - have)) > 0) have += n;
            if (have < 2 || !IsZlibHeader(header[0], header[1]))
                throw new InvalidDataException("The data does not start with a zlib header.");
            _tap = new Tap(compressed, this, compressedSide: true);
            var deflate = new System.IO.Compression.DeflateStream(_tap, System.IO.Compression.CompressionMode.Decompress, leaveOpen: true);
            return new Tap(deflate, this, compressedSide: false);
        }

        /// <summary>Decompressed bytes so far.</summary>
        public long Length => _length;

        /// <summary>Throws <see cref="InvalidDataException"/> when the Adler-32 trailer is missing or does not match the
        /// data read (the stream was cut short or damaged), or when more than a few bytes follow it.</summary>
        public void Verify()
        {
            // DeflateStream stops where the deflate data ends and may not have read the trailer: read what is left (a
            // genuine stream has only the 4 trailer bytes left; refuse to read on through megabytes of trailing data).
            var rest = new byte[4096];
            long after = 0;
            int n;
            while (_tap != null && (n = _tap.Read(rest, 0, rest.Length)) > 0)
            {
                after += n;
                if (after > 1 << 20)
                    throw new InvalidDataException("More than 1 MiB of data follows the zlib stream.");
            }
            if (_compressed < 4)
                throw new InvalidDataException($"The zlib data is cut short ({_compressed} bytes after the header, less than its trailer).");
            var start = (int)(_compressed % 4);
            byte At(int i) => _window[(start + i) % 4];
            var expected = (uint)(At(0) << 24 | At(1) << 16 | At(2) << 8 | At(3));
            var actual = (_b << 16) | _a;
            if (expected != actual)
                throw new InvalidDataException($"The zlib data is cut short or damaged: its Adler-32 trailer does not match the {_length:N0} bytes it decompressed to.");
        }

        private void Observe(byte[] b, int offset, int count)
        {
            for (int i = offset; i < offset + count; i++)
            {
                _window[(int)(_compressed % 4)] = b[i];
                _compressed++;
            }
        }

        private void Hash(byte[] buffer, int offset, int count)
        {
            // Adler-32 (RFC 1950 §8.2), reduced every 5552 bytes so the sums never overflow 32 bits.
            uint a = _a, b = _b;
            while (count > 0)
            {
                var chunk = Math.Min(count, 5552);
                for (int i = 0; i < chunk; i++)
                {
                    a += buffer[offset + i];
                    b += a;
                }
                a %= AdlerModulus;
                b %= AdlerModulus;
                offset += chunk;
                count -= chunk;
                _length += chunk;
            }
            _a = a;
            _b = b;
        }

        private sealed class Tap : ReadOnlyStream
        {
            private readonly Stream _inner;
            private readonly ZlibIntegrity _owner;
            private readonly bool _compressedSide;

            public Tap(Stream inner, ZlibIntegrity owner, bool compressedSide)
            {
                _inner = inner;
                _owner = owner;
                _compressedSide = compressedSide;
            }

            public override int Read(byte[] buffer, int offset, int count)
            {
                var n = _inner.Read(buffer, offset, count);
                if (_compressedSide) _owner.Observe(buffer, offset, n);
                else _owner.Hash(buffer, offset, n);
                return n;
            }

            protected override void Dispose(bool disposing)
            {
                // The compressed side belongs to the caller; the uncompressed side owns its DeflateStream.
                if (disposing && !_compressedSide) _inner.Dispose();
                base.Dispose(disposing);
            }
        }
    }
}
