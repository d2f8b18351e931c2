using System;
using System.Diagnostics.CodeAnalysis;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Text;

namespace MailOps.Dns
{
    /// <summary>One resource record. Names are absolute, without the trailing dot (the root is ".").</summary>
    public abstract class DnsRecord
    {
        protected DnsRecord(string name, DnsRecordType type, int ttl)
        {
            Name = DnsName.Normalize(name);
            Type = type;
            Ttl = ttl;
        }

        public string Name { get; }

        public DnsRecordType Type { get; }

        public int Ttl { get; }

        /// <summary>The record data in master-file presentation format.</summary>
        public abstract string Data { get; }

        /// <summary>The record as a master-file line, the way <c>dig +noall +answer</c> prints it.</summary>
        public override string ToString() =>
            $"{DnsName.Absolute(Name)}\t{Ttl.ToString(CultureInfo.InvariantCulture)}\tIN\t{Type}\t{Data}";

        /// <summary>A copy with another owner name and TTL (used for wildcard synthesis and caching).</summary>
        internal abstract DnsRecord WithOwner(string name, int ttl);
    }

    /// <summary>An A or AAAA record.</summary>
    public sealed class AddressRecord : DnsRecord
    {
        public AddressRecord(string name, int ttl, IPAddress address)
            : base(name, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? DnsRecordType.AAAA : DnsRecordType.A, ttl)
        {
            Address = address;
        }

        public IPAddress Address { get; }

        public override string Data => Address.ToString();

        internal override DnsRecord WithOwner(string name, int ttl) => new AddressRecord(name, ttl, Address);
    }

    /// <summary>An MX record. <see cref="Exchange"/> is "." for a null MX (RFC 7505).</summary>
    public sealed class MxRecord : DnsRecord
    {
        public MxRecord(string name, int ttl, int preference, string exchange) : base(name, DnsRecordType.MX, ttl)
        {
            Preference = preference;
            Exchange = DnsName.Normalize(exchange);
        }

        public int Preference { get; }

        public string Exchange { get; }

        public override string Data => $"{Preference} {DnsName.Absolute(Exchange)}";

        internal override DnsRecord WithOwner(string name, int ttl) => new MxRecord(name, ttl, Preference, Exchange);
    }

    /// <summary>A TXT (or obsolete SPF type 99) record. Keeps its separate character-strings.</summary>
    public sealed class TxtRecord : DnsRecord
    {
        public TxtRecord(string name, int ttl, IEnumerable<string> strings, DnsRecordType type = DnsRecordType.TXT) : base(name, type, ttl)
        {
            Strings = new ResultList<string>(strings);
        }

        /// <summary>The character-strings as published, each at most 255 bytes on the wire.</summary>
        public ResultList<string> Strings { get; }

        /// <summary>The strings concatenated with nothing between them (RFC 7208 §3.3, RFC 6376 §3.6.2.2).</summary>
        public string Text => string.Concat(Strings);

        public override string Data => string.Join(" ", Strings.Select(Quote));

        internal override DnsRecord WithOwner(string name, int ttl) => new TxtRecord(name, ttl, Strings, Type);

        internal static string Quote(string s)
        {
            var sb = new StringBuilder("\"");
            foreach (var b in Encoding.UTF8.GetBytes(s))
            {
                if (b == '"' || b == '\\') sb.Append('\\').Append((char)b);
                else if (b < 0x20 || b > 0x7e) sb.Append('\\').Append(b.ToString("D3", CultureInfo.InvariantCulture));
                else sb.Append((char)b);
            }
            return sb.Append('"').ToString();
        }
    }

    /// <summary>A record whose data is one domain name: CNAME, PTR or NS.</summary>
    public sealed class NameRecord : DnsRecord
    {
        public NameRecord(string name, DnsRecordType type, int ttl, string target) : base(name, type, ttl)
        {
            if (type != DnsRecordType.CNAME && type != DnsRecordType.PTR && type != DnsRecordType.NS)
                throw new ArgumentException("NameRecord holds CNAME, PTR or NS only.", nameof(type));
            Target = DnsName.Normalize(target);
        }

        public string Target { get; }

        public override string Data => DnsName.Absolute(Target);

        internal override DnsRecord WithOwner(string name, int ttl) => new NameRecord(name, Type, ttl, Target);
    }

    /// <summary>An SOA record.</summary>
    public sealed class SoaRecord : DnsRecord
    {
        public SoaRecord(string name, int ttl, string primary, string mailbox, uint serial, int refresh, int retry, int expire, int minimum)
            : base(name, DnsRecordType.SOA, ttl)
        {
            PrimaryServer = DnsName.Normalize(primary);
            ResponsibleMailbox = DnsName.Normalize(mailbox);
            Serial = serial;
            Refresh = refresh;
            Retry = retry;
            Expire = expire;
            Minimum = minimum;
        }

        public string PrimaryServer { get; }
        public string ResponsibleMailbox { get; }
        public uint Serial { get; }
        public int Refresh { get; }
        public int Retry { get; }
        public int Expire { get; }
        public int Minimum { get; }

        public override string Data => string.Format(CultureInfo.InvariantCulture, "{0} {1} {2} {3} {4} {5} {6}",
            DnsName.Absolute(PrimaryServer), DnsName.Absolute(ResponsibleMailbox), Serial, Refresh, Retry, Expire, Minimum);

        internal override DnsRecord WithOwner(string name, int ttl) =>
            new SoaRecord(name, ttl, PrimaryServer, ResponsibleMailbox, Serial, Refresh, Retry, Expire, Minimum);
    }

    /// <summary>A TLSA record (RFC 6698).</summary>
    public sealed class TlsaRecord : DnsRecord
    {
        private readonly byte[] _data;

        public TlsaRecord(string name, int ttl, int usage, int selector, int matchingType, byte[]? associationData)
            : base(name, DnsRecordType.TLSA, ttl)
        {
            CertificateUsage = usage;
            Selector = selector;
            MatchingType = matchingType;
            _data = associationData ?? new byte[0];
        }

        public int CertificateUsage { get; }
        public int Selector { get; }
        public int MatchingType { get; }

        /// <summary>The certificate association data, as upper-case hex.</summary>
        public string AssociationData => Hex.Encode(_data);

        /// <summary>A copy of the certificate association data.</summary>
        public byte[] GetAssociationData() => (byte[])_data.Clone();

        public override string Data => $"{CertificateUsage} {Selector} {MatchingType} {AssociationData}";

        internal override DnsRecord WithOwner(string name, int ttl) => new TlsaRecord(name, ttl, CertificateUsage, Selector, MatchingType, _data);
    }

    /// <summary>An SRV record.</summary>
    public sealed class SrvRecord : DnsRecord
    {
        public SrvRecord(string name, int ttl, int priority, int weight, int port, string target) : base(name, DnsRecordType.SRV, ttl)
        {
            Priority = priority;
            Weight = weight;
            Port = port;
            Target = DnsName.Normalize(target);
        }

        public int Priority { get; }
        public int Weight { get; }
        public int Port { get; }
        public string Target { get; }

        public override string Data => $"{Priority} {Weight} {Port} {DnsName.Absolute(Target)}";

        internal override DnsRecord WithOwner(string name, int ttl) => new SrvRecord(name, ttl, Priority, Weight, Port, Target);
    }

    /// <summary>Any other record type, kept as raw data (RFC 3597 presentation).</summary>
    public sealed class UnknownRecord : DnsRecord
    {
        private readonly byte[] _data;

        public UnknownRecord(string name, int typeCode, int ttl, byte[] data) : base(name, (DnsRecordType)typeCode, ttl)
        {
            _data = data ?? new byte[0];
        }

        public byte[] GetData() => (byte[])_data.Clone();

        public override string Data => _data.Length == 0 ? "\\# 0" : $"\\# {_data.Length} {Hex.Encode(_data)}";

        internal override DnsRecord WithOwner(string name, int ttl) => new UnknownRecord(name, (int)Type, ttl, _data);
    }

    internal static class Hex
    {
        public static string Encode(byte[] data)
        {
            var sb = new StringBuilder(data.Length * 2);
            foreach (var b in data) sb.Append(b.ToString("X2", CultureInfo.InvariantCulture));
            return sb.ToString();
        }

        public static bool TryDecode(string? hex, [NotNullWhen(true)] out byte[]? data)
        {
            data = null;
            if (hex == null || hex.Length % 2 != 0) return false;
            var result = new byte[hex.Length / 2];
            for (int i = 0; i < result.Length; i++)
            {
                if (!byte.TryParse(hex.Substring(i * 2, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out result[i])) return false;
            }
            data = result;
            return true;
        }
    }
}
