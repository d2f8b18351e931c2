using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Security.Cryptography.X509Certificates;
using MailOps.Dns;
using MailOps.Smtp;

namespace MailOps.Commands
{
    /// <summary>New-TlsaRecord: the TLSA record line for a certificate file or a live server's certificate.</summary>
    [Cmdlet(VerbsCommon.New, "TlsaRecord", DefaultParameterSetName = PathSet)]
    [OutputType(typeof(TlsaRecordLine))]
    public sealed class NewTlsaRecordCommand : DnsCmdlet
    {
        private const string PathSet = "CertificatePath";
        private const string HostSet = "HostName";
        private IReadOnlyList<X509Certificate2>? _fileChain;

        public NewTlsaRecordCommand()
        {
            TimeoutSec = 15;
        }

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
        [Alias("Path")]
        [ValidateNotNullOrEmpty]
        public string CertificatePath { get; set; } = null!;

        /// <summary>The host the record is for, with -CertificatePath (default: the certificate's first DNS name).</summary>
        [Parameter(ParameterSetName = PathSet)]
        [ValidateNotNullOrEmpty]
        public string? ServerName { get; set; }

        [Parameter(Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = HostSet)]
        [Alias("ComputerName")]
        [ValidateNotNullOrEmpty]
        public string[] HostName { get; set; } = Array.Empty<string>();

        [Parameter]
        [ValidateRange(1, 65535)]
        public int Port { get; set; } = 25;

        [Parameter]
        [ValidateSet("0", "1", "2", "3")]
        public int Usage { get; set; } = 3;

        [Parameter]
        [ValidateSet("0", "1")]
        public int Selector { get; set; } = 1;

        [Parameter]
        [ValidateSet("0", "1", "2")]
        public int MatchingType { get; set; } = 1;

        /// <summary>-TimeoutSec here is the deadline of each network step; DNS questions keep their own (see docs/transport.md).</summary>
        protected override System.TimeSpan DnsQueryTimeout => SmtpCmdletSupport.DnsQueryTimeout(TimeoutSec);

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            if (Usage == 0 || Usage == 1)
                WriteWarning($"Usage {Usage} ({Tlsa.UsageName(Usage)}) is not used for SMTP: RFC 7672 §3.1.3 tells senders to treat it as unusable. Use 3 (DANE-EE) or 2 (DANE-TA).");
            if (ParameterSetName == PathSet)
            {
                _fileChain = SmtpCmdletSupport.LoadCertificates(this, new[] { CertificatePath }, nameof(CertificatePath));
                if (_fileChain.Count == 0)
                    ThrowTerminatingError(ErrorRecords.Create(ErrorId.InvalidCertificateFile,
                        $"'{CertificatePath}' holds no certificate.", CertificatePath, "Give a PEM or DER certificate file."));
            }
        }

        protected override void ProcessRecord()
        {
            if (ParameterSetName == PathSet)
            {
                var host = ServerName ?? TlsaRecordBuilder.DefaultHostName(Begun(_fileChain)[0]);
                if (host == null)
                {
                    ThrowTerminatingError(ErrorRecords.Create(ErrorId.InvalidTlsaParameters,
                        $"The certificate in '{CertificatePath}' names no host ({Begun(_fileChain)[0].Subject}); say which host the record is for.", CertificatePath,
                        "Add -ServerName mail.example.com."));
                    return;
                }
                try
                {
                    Emit(TlsaRecordBuilder.Build(Begun(_fileChain), host, Port, Usage, Selector, MatchingType, CertificatePath));
                }
                catch (ArgumentException ex)
                {
                    ThrowTerminatingError(ErrorRecords.Create(ErrorId.InvalidTlsaParameters, ex.Message, CertificatePath,
                        "For usage 2, give the chain file (fullchain.pem) or the CA certificate.", ex));
                }
                return;
            }

            foreach (var input in HostName)
            {
                if (!SmtpCmdletSupport.TryHostName(input, out var host, out var problem))
                {
                    WriteError(ErrorRecords.ForInvalidName(input, problem, "host name", "Pass the mail server's host name."));
                    continue;
                }
                var target = $"{host}:{Port}";
                var options = new MailServiceOptions { Timeout = TimeSpan.FromSeconds(TimeoutSec), Resolve = SmtpCmdletSupport.Resolver(this, Dns, Port) };
                try
                {
                    var chain = Await(ct => TlsaRecordBuilder.FetchChainAsync(host, Port, options, ct));
                    WriteVerbose($"{target}: the server sent {chain.Count} certificate(s): {string.Join(" | ", chain.Select(c => c.Subject))}");
                    Emit(TlsaRecordBuilder.Build(chain, host, Port, Usage, Selector, MatchingType, target));
                }
                catch (MailConnectionException ex) { WriteError(ErrorRecords.ForMailConnection(ex, target)); }
                catch (DnsQueryFailedException ex) { WriteError(ErrorRecords.ForDns(ex, target)); }
                catch (InvalidOperationException ex)
                {
                    WriteError(ErrorRecords.Create(ErrorId.TlsUnavailable, ex.Message, target,
                        "Test-SmtpService shows why no TLS session is possible.", ex));
                }
                catch (ArgumentException ex)
                {
                    WriteError(ErrorRecords.Create(ErrorId.InvalidTlsaParameters, ex.Message, target,
                        "The server sends no CA certificate: use usage 3, or -CertificatePath with the CA certificate.", ex));
                }
            }
        }

        private void Emit(TlsaRecordLine line)
        {
            if (line.CertificateNotAfter < DateTime.UtcNow && Usage != 3)
                WriteWarning($"The certificate {line.CertificateSubject} expired on {line.CertificateNotAfter:yyyy-MM-dd}.");
            WriteObject(line);
        }
    }
}
