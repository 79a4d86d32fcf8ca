# Switchboard's stand-in for the allow-listed tenant cmdlets. Parameter names and types follow
# shared/reference/cmdlet-signatures.json so PowerShell's own binder accepts and refuses what the real modules
# would; the behaviour (identity resolution, -Filter subset, output properties, error messages) mirrors
# src/tenant/sim/simulated-tenant.ts, which is the reference. SWITCHBOARD_STUB_PROFILE=teams-current makes
# Get-CsOnlineUser drop HostedVoiceMail and VoicePolicy like MicrosoftTeams 3.0.0 and later.
Set-StrictMode -Version 3.0
. (Join-Path $PSScriptRoot 'private/state.ps1')
. (Join-Path $PSScriptRoot 'private/identity.ps1')
. (Join-Path $PSScriptRoot 'private/hooks.ps1')

$script:VoiceRoutingPolicies = @('InternationalCallsAllowed', 'InternationalCallsDisallowed')

function Get-StubUsersFor([Management.Automation.PSCmdlet]$Cmdlet, $Cache, [string]$Identity, [switch]$Many) {
    $found = Resolve-StubIdentity $Cache $Identity
    if ($found.Count -eq 0) { $Cmdlet.ThrowTerminatingError((New-StubError "Management object not found for identity `"$Identity`"." 'ObjectNotFound' 'ManagementObjectNotFound' $Identity)) }
    if (-not $Many -and $found.Count -gt 1) {
        $Cmdlet.ThrowTerminatingError((New-StubError "The identity `"$Identity`" refers to $($found.Count) users; specify one user." 'InvalidArgument' 'AmbiguousIdentity' $Identity))
    }
    return , $found
}

function ConvertTo-StubOnlineUser($Cache, $User) {
    $voice = [bool]$User.EnterpriseVoiceEnabled
    $view = [ordered]@{
        Identity = $User.Identity; UserPrincipalName = $User.UserPrincipalName; SipAddress = $User.SipAddress
        DisplayName = $User.DisplayName; Alias = $User.Alias; AccountEnabled = $User.AccountEnabled
        EnterpriseVoiceEnabled = $User.EnterpriseVoiceEnabled; HostedVoiceMail = $User.HostedVoiceMail
        # Skype for Business Online assigned HybridVoice to voice-enabled users of a tenant with hybrid connectivity.
        VoicePolicy = if (-not $voice) { $null } elseif ($Cache.State.hybrid.PeerDestination) { 'HybridVoice' } else { 'BusinessVoice' }
        OnPremLineURI = $User.OnPremLineURI; LineURI = $User.OnPremLineURI; FeatureTypes = [string[]]@($User.Licenses)
    }
    if ($env:SWITCHBOARD_STUB_PROFILE -eq 'teams-current') { $view.Remove('HostedVoiceMail'); $view.Remove('VoicePolicy') }
    return $view
}

function Connect-MicrosoftTeams {
    [CmdletBinding(DefaultParameterSetName = 'ServicePrincipalCertificateThumbprint', SupportsShouldProcess)]
    param(
        [Parameter(Mandatory, ParameterSetName = 'ServicePrincipalCertificateThumbprint')]
        [Parameter(Mandatory, ParameterSetName = 'ServicePrincipalCertificate')][string]$TenantId,
        [Parameter(Mandatory, ParameterSetName = 'ServicePrincipalCertificateThumbprint')][string]$CertificateThumbprint,
        [Parameter(Mandatory, ParameterSetName = 'ServicePrincipalCertificate')][Security.Cryptography.X509Certificates.X509Certificate2]$Certificate,
        [Parameter(Mandatory, ParameterSetName = 'ServicePrincipalCertificateThumbprint')]
        [Parameter(Mandatory, ParameterSetName = 'ServicePrincipalCertificate')][string]$ApplicationId,
        [string]$LogLevel,
        [string]$LogFilePath
    )
    $script:Connected = $true
    Invoke-StubLocked { Add-StubLine 'connect.jsonl' ([ordered]@{ pid = $PID; parameterSet = $PSCmdlet.ParameterSetName; applicationId = $ApplicationId; tenantId = $TenantId; at = [DateTime]::UtcNow.ToString('o') }) }
    [pscustomobject]@{ Account = $ApplicationId; Environment = 'AzureCloud'; TenantId = $TenantId }
}

function Get-CsOnlineUser {
    [CmdletBinding()]
    param(
        [Parameter(Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)][string]$Identity,
        [string]$AccountType, [string]$Filter, [string]$Properties, [uint32]$ResultSize,
        [switch]$SkipUserPolicies, [switch]$SoftDeletedUser, [string]$Sort
    )
    Assert-StubReady $PSCmdlet
    # $PSBoundParameters is per scope: capture it before entering the locked script block.
    $bound = $PSBoundParameters
    $views = Invoke-StubLocked {
        $c = Sync-StubState
        $indexes = if ($bound.ContainsKey('Identity')) { Get-StubUsersFor $PSCmdlet $c $Identity -Many } else { [int[]][Linq.Enumerable]::Range(0, $c.Users.Count) }
        $list = [Collections.Generic.List[object]]::new()
        foreach ($i in $indexes) { $list.Add((ConvertTo-StubOnlineUser $c (Get-StubUser $c $i))) }
        , $list
    }
    if ($PSBoundParameters.ContainsKey('Filter')) {
        try { $parsed = ConvertFrom-StubFilter $Filter } catch { $PSCmdlet.ThrowTerminatingError((New-StubError $_.Exception.Message 'InvalidArgument' 'InvalidFilter' $Filter)) }
        $views = @($views | Where-Object { Test-StubFilter $parsed $_ })
    }
    if ($PSBoundParameters.ContainsKey('ResultSize')) { $views = @($views | Select-Object -First $ResultSize) }
    foreach ($v in $views) { [pscustomobject]$v }
}

function Set-CsUser {
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)][string]$Identity,
        [string]$DomainController, [switch]$PassThru, [string]$OnPremLineURI, [string]$LineServerURI,
        [bool]$AudioVideoDisabled, [bool]$RemoteCallControlTelephonyEnabled, [string]$PrivateLine,
        [bool]$HostedVoiceMail, [bool]$EnterpriseVoiceEnabled, [string]$LineURI, [string]$SipAddress,
        [Alias('CsEnabled')][bool]$Enabled
    )
    Assert-StubReady $PSCmdlet
    $bound = $PSBoundParameters
    Invoke-StubLocked {
        $c = Sync-StubState
        $indexes = Get-StubUsersFor $PSCmdlet $c $Identity -Many
        $setUri = $bound.ContainsKey('OnPremLineURI')
        if ($setUri -and -not $script:TelUriPattern.IsMatch($OnPremLineURI)) {
            $PSCmdlet.ThrowTerminatingError((New-StubError "Cannot validate argument on parameter 'OnPremLineURI'. `"$OnPremLineURI`" is not a valid E.164 tel URI such as tel:+14255551297." 'InvalidArgument' 'InvalidLineUri' $OnPremLineURI))
        }
        foreach ($i in $indexes) {
            $u = Get-StubUser $c $i
            if ($bound.ContainsKey('EnterpriseVoiceEnabled') -and $EnterpriseVoiceEnabled -and -not (@($u.Licenses) -contains 'PhoneSystem')) {
                $PSCmdlet.ThrowTerminatingError((New-StubError "User `"$($u.UserPrincipalName)`" is not licensed for Phone System. Assign an E5 licence or the Phone System add-on first." 'InvalidOperation' 'NotLicensed' $Identity))
            }
            if ($setUri) {
                $wanted = $OnPremLineURI.ToLowerInvariant()
                for ($j = 0; $j -lt $c.Users.Count; $j++) {
                    if ($j -eq $i) { continue }
                    $o = $c.Users[$j]
                    if ($null -ne $o.OnPremLineURI -and $o.OnPremLineURI.ToLowerInvariant() -eq $wanted) {
                        $PSCmdlet.ThrowTerminatingError((New-StubError "The number $OnPremLineURI is already assigned to $($o.UserPrincipalName)." 'InvalidOperation' 'NumberInUse' $OnPremLineURI))
                    }
                }
            }
        }
        if ($setUri -and $indexes.Count -gt 1) {
            $PSCmdlet.ThrowTerminatingError((New-StubError "OnPremLineURI cannot be set on $($indexes.Count) users at once." 'InvalidArgument' 'TooManyUsers' $Identity))
        }
        foreach ($i in $indexes) {
            $u = Get-StubUser $c $i
            if ($bound.ContainsKey('EnterpriseVoiceEnabled')) { $u.EnterpriseVoiceEnabled = $EnterpriseVoiceEnabled }
            if ($bound.ContainsKey('HostedVoiceMail')) { $u.HostedVoiceMail = $HostedVoiceMail }
            if ($setUri) { $u.OnPremLineURI = $OnPremLineURI }
        }
        Save-StubUsers $c $indexes
    }
}

function Get-CsUserPstnSettings {
    [CmdletBinding(SupportsShouldProcess)]
    param([Parameter(Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)][string]$Identity, [guid]$Tenant)
    Assert-StubReady $PSCmdlet
    $rows = Invoke-StubLocked {
        $c = Sync-StubState
        foreach ($i in (Get-StubUsersFor $PSCmdlet $c $Identity)) {
            $u = Get-StubUser $c $i
            [pscustomobject][ordered]@{ Identity = $u.Identity; HybridPSTNSite = $u.HybridPSTNSite; AllowInternationalCalls = $u.AllowInternationalCalls }
        }
    }
    $rows
}

function Set-CsUserPstnSettings {
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [bool]$AllowInternationalCalls,
        # [string] turns $null into '': a bound empty value means "clear the site", as $null does for the real cmdlet.
        [AllowNull()][AllowEmptyString()][string]$HybridPSTNSite,
        [Parameter(Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)][string]$Identity,
        [guid]$Tenant
    )
    Assert-StubReady $PSCmdlet
    $bound = $PSBoundParameters
    Invoke-StubLocked {
        $c = Sync-StubState
        $i = (Get-StubUsersFor $PSCmdlet $c $Identity)[0]
        $u = Get-StubUser $c $i
        if ($bound.ContainsKey('HybridPSTNSite') -and -not [string]::IsNullOrEmpty($HybridPSTNSite)) {
            $site = @($c.State.sites | Where-Object { $_.Identity.ToLowerInvariant() -eq $HybridPSTNSite.ToLowerInvariant() })
            if ($site.Count -eq 0) { $PSCmdlet.ThrowTerminatingError((New-StubError "Hybrid PSTN site `"$HybridPSTNSite`" was not found." 'ObjectNotFound' 'SiteNotFound' $HybridPSTNSite)) }
            $u.HybridPSTNSite = $site[0].Identity
        }
        elseif ($bound.ContainsKey('HybridPSTNSite')) { $u.HybridPSTNSite = $null }
        if ($bound.ContainsKey('AllowInternationalCalls')) { $u.AllowInternationalCalls = $AllowInternationalCalls }
        Save-StubUsers $c @($i)
    }
}

function Grant-CsVoiceRoutingPolicy {
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)][string]$Identity,
        # $null unassigns the per-user policy (reverts to global), so the mandatory parameter must accept it.
        [Parameter(Mandatory, Position = 1)][AllowNull()][AllowEmptyString()][string]$PolicyName,
        [guid]$Tenant, [string]$DomainController, [switch]$PassThru
    )
    Assert-StubReady $PSCmdlet
    Invoke-StubLocked {
        $c = Sync-StubState
        $i = (Get-StubUsersFor $PSCmdlet $c $Identity)[0]
        $policy = $null
        if (-not [string]::IsNullOrEmpty($PolicyName)) {
            $policy = $script:VoiceRoutingPolicies | Where-Object { $_.ToLowerInvariant() -eq $PolicyName.ToLowerInvariant() } | Select-Object -First 1
            if ($null -eq $policy) { $PSCmdlet.ThrowTerminatingError((New-StubError "Cannot find VoiceRoutingPolicy `"$PolicyName`"." 'ObjectNotFound' 'PolicyNotFound' $PolicyName)) }
        }
        $u = Get-StubUser $c $i
        $u.VoiceRoutingPolicy = $policy
        $u.AllowInternationalCalls = $policy -ne 'InternationalCallsDisallowed'
        Save-StubUsers $c @($i)
    }
}

function Get-CsTenantHybridConfiguration {
    [CmdletBinding(DefaultParameterSetName = 'Identity')]
    param(
        [guid]$Tenant,
        [Parameter(Position = 0, ParameterSetName = 'Identity')][string]$Identity,
        [Parameter(ParameterSetName = 'Filter')][string]$Filter,
        [switch]$LocalStore
    )
    Assert-StubReady $PSCmdlet
    $c = Invoke-StubLocked { Sync-StubState }
    [pscustomobject][ordered]@{
        Identity = 'Global'; PeerDestination = $c.State.hybrid.PeerDestination; UseOnPremDialPlan = $c.State.hybrid.UseOnPremDialPlan
        HybridPSTNSites = [string[]]@($c.State.sites | ForEach-Object { $_.Identity })
    }
}

function Get-CsHybridPSTNSite {
    [CmdletBinding(DefaultParameterSetName = 'Identity')]
    param(
        [guid]$Tenant,
        [Parameter(Position = 0, ParameterSetName = 'Identity')][string]$Identity,
        [Parameter(ParameterSetName = 'Filter')][string]$Filter,
        [switch]$LocalStore
    )
    Assert-StubReady $PSCmdlet
    $c = Invoke-StubLocked { Sync-StubState }
    $sites = @($c.State.sites)
    if ($PSBoundParameters.ContainsKey('Identity')) {
        $sites = @($sites | Where-Object { $_.Identity.ToLowerInvariant() -eq $Identity.ToLowerInvariant() })
        if ($sites.Count -eq 0) { $PSCmdlet.ThrowTerminatingError((New-StubError "Hybrid PSTN site `"$Identity`" was not found." 'ObjectNotFound' 'SiteNotFound' $Identity)) }
    }
    foreach ($s in $sites) { [pscustomobject][ordered]@{ Identity = $s.Identity; EdgeFqdn = $s.EdgeFqdn } }
}

Export-ModuleMember -Function 'Connect-MicrosoftTeams', 'Get-CsOnlineUser', 'Set-CsUser', 'Get-CsUserPstnSettings', 'Set-CsUserPstnSettings', 'Grant-CsVoiceRoutingPolicy', 'Get-CsTenantHybridConfiguration', 'Get-CsHybridPSTNSite'
