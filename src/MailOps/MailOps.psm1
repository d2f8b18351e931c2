# MailOps root module. The cmdlets live in dependencies/MailOps.dll (netstandard2.0) with everything it needs.
# PowerShell 7: MailOps.LoadContext.dll (the only MailOps assembly in the default load context) loads MailOps and its
# dependencies - DnsClient, MimeKit, BouncyCastle, System.* packages - into an AssemblyLoadContext of their own, so a
# module that ships other versions of the same libraries (PSOpenAD's DnsClient, a mail module's MimeKit) loads beside it.
# Windows PowerShell 5.1 has no load contexts: there the assembly is imported directly, as before.
$dependencies = [System.IO.Path]::Combine($PSScriptRoot, 'dependencies')
$importModule = Get-Command -Name Import-Module -Module Microsoft.PowerShell.Core

if ($PSVersionTable.PSEdition -eq 'Core') {
    $isReload = $true
    if (-not ('MailOps.LoadContext.ModuleLoadContext' -as [type])) {
        $isReload = $false
        # Not Add-Type: Microsoft.PowerShell.Utility may be absent (a hosted runspace, a constrained endpoint).
        $null = [System.Runtime.Loader.AssemblyLoadContext]::Default.LoadFromAssemblyPath(
            [System.IO.Path]::Combine($PSScriptRoot, 'MailOps.LoadContext.dll'))
    }
    $mainAssembly = [MailOps.LoadContext.ModuleLoadContext]::Initialize($dependencies)
    $innerModule = & $importModule -Assembly $mainAssembly -PassThru -ErrorAction Stop
    # The engine's types (MailOps.Core: result objects, enums, the TextSafety the format views escape text with) usable
    # as type literals in scripts and views, as in Windows PowerShell: PowerShell 7 resolves [TypeName] only in the
    # default load context and in assemblies it imported, and MailOps.Core lives in MailOps' own load context.
    $coreAssembly = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($mainAssembly).LoadFromAssemblyName(
        [System.Reflection.AssemblyName]'MailOps.Core')
    $null = & $importModule -Assembly $coreAssembly -PassThru -ErrorAction Stop
    if ($isReload) {
        # Import-Module -Force: PowerShell hands back the cached binary module without adding its cmdlets to this
        # module again (the workaround PSToml and PSOpenAD use).
        $addExportedCmdlet = [System.Management.Automation.PSModuleInfo].GetMethod('AddExportedCmdlet', [System.Reflection.BindingFlags]'Instance, NonPublic')
        foreach ($cmd in $innerModule.ExportedCmdlets.Values) {
            $addExportedCmdlet.Invoke($ExecutionContext.SessionState.Module, @(, $cmd))
        }
    }
}
else {
    $innerModule = & $importModule -Name ([System.IO.Path]::Combine($dependencies, 'MailOps.dll')) -PassThru -ErrorAction Stop
}

# Re-export the binary module's cmdlets through this module (the manifest's CmdletsToExport filters them).
Export-ModuleMember -Cmdlet @($innerModule.ExportedCmdlets.Keys)
