using System;
using System.IO;
using System.Text;

namespace MailOps.Testing
{
    /// <summary>
    /// A read-only stream of a head, a chunk repeated many times, and a tail, produced as it is read: hostile inputs of
    /// gigabytes cost no disk and no memory in the test.
    /// </summary>
    public sealed class GeneratedStream : Stream
    {
        private readonly byte[] _head, _chunk, _tail;
        private readonly long _repeats;
        private long _pos;

        public GeneratedStream(byte[] head, byte[] chunk, long repeats, byte[] tail)
        {
            _head = head;
            _chunk = chunk;
            _repeats = repeats;
            _tail = tail;
        }

        public GeneratedStream(string head, string chunk, long repeats, string tail)
            : this(Encoding.UTF8.GetBytes(head), Encoding.UTF8.GetBytes(chunk), repeats, Encoding.UTF8.GetBytes(tail)) { }

        public override long Length => _head.Length + _chunk.LongLength * _repeats + _tail.Length;

        public override int Read(byte[] buffer, int offset, int count)
        {
            int written = 0;
            long middle = _chunk.LongLength * _repeats;
            while (written < count && _pos < Length)
            {
                byte[] src; long at; long left;
                if (_pos < _head.Length) { src = _head; at = _pos; left = _head.Length - _pos; }
                else if (_pos < _head.Length + middle) { src = _chunk; at = (_pos - _head.Length) % _chunk.Length; left = _chunk.Length - at; }
                else { src = _tail; at = _pos - _head.Length - middle; left = _tail.Length - at; }
                var n = (int)Math.Min(left, count - written);
                Array.Copy(src, at, buffer, offset + written, n);
                written += n;
                _pos += n;
            }
            return written;
        }

        /// <summary>Gzips <paramref name="source"/> into <paramref name="target"/> as it is read (for bombs written to a small file).</summary>
        public static void GzipTo(Stream source, Stream target)
        {
            using var gz = new System.IO.Compression.GZipStream(target, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true);
            source.CopyTo(gz, 1 << 20);
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Position { get => _pos; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
