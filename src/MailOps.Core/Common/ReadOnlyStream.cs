using System;
using System.IO;

namespace MailOps
{
    /// <summary>The one base of MailOps' forward-only read wrappers (byte caps, Ctrl+C checks, peeking): it says no to
    /// seeking and writing once, so each wrapper is only its <see cref="Stream.Read(byte[], int, int)"/>.</summary>
    internal abstract class ReadOnlyStream : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
