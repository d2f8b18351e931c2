using System;
using System.IO;

namespace MailOps
{
    /// <summary>
    /// Detects a gzip file cut short, for every reader of gzip (rotated mail logs, compressed reports). .NET's GZipStream
    /// ends quietly when the input runs out in the middle of the deflate data or before the trailer, so a rotation
    /// interrupted by a full disk reads as a shorter log and a cut download as a shorter report. The gzip trailer
    /// (RFC 1952 §2.3.1: CRC-32 and length mod 2^32 of the uncompressed data, the file's last 8 bytes) settles it: the
    /// compressed side keeps the last 8 bytes read, the uncompressed side computes the CRC and length, and
    /// <see cref="Verify"/> compares them. A file of several gzip members (concatenated .gz files) carries only the last
    /// member's trailer; when a second member header is seen the check is skipped rather than guessing.
    /// </summary>
    internal sealed class GzipIntegrity
    {
        private static readonly uint[] Table = MakeTable();
        private readonly byte[] _window = new byte[10];
        private long _compressed;
        private uint _crc = 0xFFFFFFFF;
        private long _length;
        private bool _otherMember;

        /// <summary>Wraps the compressed file stream (observes the bytes as GZipStream reads them).</summary>
        public Stream Compressed(Stream inner) => _tap = new Tap(inner, this, compressedSide: true);

        private Stream? _tap;

        /// <summary>Wraps the GZipStream (observes the uncompressed bytes).</summary>
        public Stream Uncompressed(Stream inner) => new Tap(inner, this, compressedSide: false);

        /// <summary>Throws <see cref="InvalidDataException"/> when the trailer is missing or does not match the data read.</summary>
        public void Verify(string path)
        {
            // GZipStream may stop short of the file's end; the trailer is the file's last 8 bytes, so read the rest.
            var rest = new byte[1 << 12];
            while (_tap != null && _tap.Read(rest, 0, rest.Length) > 0) { }
            if (_otherMember) return;
            if (_compressed < 18)
                throw new InvalidDataException($"The gzip file '{path}' is cut short ({_compressed} bytes, less than a gzip header and trailer); the lines before the cut were read.");
            // The last 10 bytes read are in the window, oldest first; the trailer is the last 8.
            var start = (int)(_compressed % 10);
            byte At(int i) => _window[(start + 2 + i) % 10];
            var crc = (uint)(At(0) | At(1) << 8 | At(2) << 16 | At(3) << 24);
            var size = (uint)(At(4) | At(5) << 8 | At(6) << 16 | At(7) << 24);
            if (crc != (_crc ^ 0xFFFFFFFF) || size != (uint)_length)
                throw new InvalidDataException($"The gzip file '{path}' is cut short or damaged: its trailer does not match the {_length} bytes it decompressed to (an interrupted rotation or copy?); the lines before the damage were read.");
        }

        private void Observe(byte[] b, int offset, int count)
        {
            for (int i = offset; i < offset + count; i++)
            {
                _window[(int)(_compressed % 10)] = b[i];
                _compressed++;
                // A window holding a member header that does not start at offset 0: 1f 8b 08 FLG MTIME(4) XFL OS.
                if (_compressed > 10 && !_otherMember)
                {
                    var s = (int)(_compressed % 10);
                    if (_window[s] == 0x1f && _window[(s + 1) % 10] == 0x8b && _window[(s + 2) % 10] == 8 && (_window[(s + 3) % 10] & 0xE0) == 0)
                    {
                        var xfl = _window[(s + 8) % 10];
                        var os = _window[(s + 9) % 10];
                        if ((xfl == 0 || xfl == 2 || xfl == 4) && (os <= 13 || os == 255)) _otherMember = true;
                    }
                }
            }
        }

        private void Hash(byte[] b, int offset, int count)
        {
            var crc = _crc;
            for (int i = offset; i < offset + count; i++) crc = Table[(crc ^ b[i]) & 0xFF] ^ (crc >> 8);
            _crc = crc;
            _length += count;
        }

        private static uint[] MakeTable()
        {
            var t = new uint[256];
            for (uint n = 0; n < 256; n++)
            {
                var c = n;
                for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
                t[n] = c;
            }
            return t;
        }

        private sealed class Tap : ReadOnlyStream
        {
            private readonly Stream _inner;
            private readonly GzipIntegrity _owner;
            private readonly bool _compressedSide;

            public Tap(Stream inner, GzipIntegrity owner, bool compressedSide)
            {
                _inner = inner; _owner = owner; _compressedSide = compressedSide;
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
                if (disposing) _inner.Dispose();
                base.Dispose(disposing);
            }
        }
    }
}
