# Switchboard's stand-in for the allow-listed tenant cmdlets. Parameter names and types follow
# shared/reference/cmdlet-signatures.json so PowerShell's own binder accepts and refuses what the real modules
# would; the behaviour (identity resolution, -Filter subset, output properties, error messages) mirrors
# src/tenant/sim/simulated-tenant.ts, which is the reference. SWITCHBOARD_STUB_PROFILE=teams-current makes
# Get-CsOnlineUser drop HostedVoiceMail and VoicePolicy like MicrosoftTeams 3.0.0 and later, and leaves out the
# MSOnline module (no Set-MsolUser), as on a current host.
Set-StrictMode -Version 3.0
. (Join-Path $PSScriptRoot 'private/state.ps1')
. (Join-Path $PSScriptRoot 'private/identity.ps1')
. (Join-Path $PSScriptRoot 'private/hooks.ps1')

$script:VoiceRoutingPolicies = @('InternationalCallsAllowed', 'InternationalCallsDisallowed')
$script:MediationServerDepartment = 'HybridMediationServer'
$script:FqdnPattern = [regex]::new('^(?=.{1,253}\z)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\z')
# Set-CsPhoneNumberAssignment's -TelephoneNumber: E.164 with or without '+', never 'tel:' (the sim's pattern, /i).
$script:PhoneNumberPattern = [regex]::new('^\+?([1-9][0-9]{6,14})(;ext=[0-9]{1,10})?\z', 'IgnoreCase, CultureInvariant')

# Indexes of the users Skype for Business Online sees now (synced), in tenant order.
function Select-StubSynced($Cache, [int[]]$Indexes) {
    $list = [Collections.Generic.List[int]]::new()
    foreach ($i in $Indexes) { if (Test-StubSynced $Cache.Users[$i]) { $list.Add($i) } }
    return , ([int[]]$list.ToArray())
}

function Assert-StubFqdn([Management.Automation.PSCmdlet]$Cmdlet, [string]$Name, [string]$Value) {
    if (-not $script:FqdnPattern.IsMatch($Value)) {
        $Cmdlet.ThrowTerminatingError((New-StubError "Cannot validate argument on parameter '$Name'. `"$Value`" is not a valid fully qualified domain name." 'InvalidArgument' 'InvalidFqdn' $Value))
    }
}

# Entra sees every account at once, by object id or UPN (directoryUser in simulated-tenant.ts).
function Get-StubDirectoryUser([Management.Automation.PSCmdlet]$Cmdlet, $Cache, [string]$UserId) {
    $id = $UserId.Trim($script:JsTrimChars).ToLowerInvariant()
    $bucket = if ($script:GuidPattern.IsMatch($id)) { $Cache.Index.id } else { $Cache.Index.upn }
    if (-not $bucket.ContainsKey($id)) {
        $Cmdlet.ThrowTerminatingError((New-StubError "[Request_ResourceNotFound] : Resource '$UserId' does not exist or one of its queried reference-property objects are not present." 'ObjectNotFound' 'Request_ResourceNotFound' $UserId))
    }
    return $bucket[$id][0]
}

# The one Skype for Business Online user with that display name (mediationServerAccount in simulated-tenant.ts).
function Get-StubMediationServerAccount([Management.Automation.PSCmdlet]$Cmdlet, $Cache, [string]$Identity) {
    $name = $Identity.Trim($script:JsTrimChars).ToLowerInvariant()
    [int[]]$found = @()
    if ($Cache.Index.name.ContainsKey($name)) { $found = Select-StubSynced $Cache ([int[]]$Cache.Index.name[$name].ToArray()) }
    if ($found.Count -eq 0) { $Cmdlet.ThrowTerminatingError((New-StubError "Management object not found for identity `"$Identity`"." 'ObjectNotFound' 'ManagementObjectNotFound' $Identity)) }
    if ($found.Count -gt 1) { $Cmdlet.ThrowTerminatingError((New-StubError "The identity `"$Identity`" refers to $($found.Count) users; specify one user." 'InvalidArgument' 'AmbiguousIdentity' $Identity)) }
    return $found[0]
}

function Get-StubUsersFor([Management.Automation.PSCmdlet]$Cmdlet, $Cache, [string]$Identity, [switch]$Many) {
    $found = Select-StubSynced $Cache (Resolve-StubIdentity $Cache $Identity)
    if ($found.Count -eq 0) { $Cmdlet.ThrowTerminatingError((New-StubError "Management object not found for identity `"$Identity`"." 'ObjectNotFound' 'ManagementObjectNotFound' $Identity)) }
    if (-not $Many -and $found.Count -gt 1) {
        $Cmdlet.ThrowTerminatingError((New-StubError "The identity `"$Identity`" refers to $($found.Count) users; specify one user." 'InvalidArgument' 'AmbiguousIdentity' $Identity))
    }
    return , $found
}

# The users a -Filter can match, from the identity and line URI indexes its -eq clauses allow (joined left to right,
# as filterCandidates in src/tenant/sim/store.ts), else every user; the whole filter is still tested on each.
function Get-StubClauseCandidates($Cache, $Clause) {
    if ($Clause.Value -is [bool] -or $Clause.Op -ne 'eq' -or $Clause.Value.Length -eq 0) { return $null }
    $bucket = switch ($Clause.Property.ToLowerInvariant()) {
        'displayname' { $Cache.Index.name } 'userprincipalname' { $Cache.Index.upn } 'sipaddress' { $Cache.Index.sip }
        'alias' { $Cache.Index.alias } 'identity' { $Cache.Index.id } 'lineuri' { $Cache.Index.line } 'onpremlineuri' { $Cache.Index.line }
        default { $null }
    }
    if ($null -eq $bucket) { return $null }
    $set = [Collections.Generic.SortedSet[int]]::new()
    $key = $Clause.Value.ToLowerInvariant()
    if ($bucket.ContainsKey($key)) { foreach ($i in $bucket[$key]) { [void]$set.Add($i) } }
    return , $set
}

function Get-StubFilterCandidates($Cache, $Filter) {
    $acc = Get-StubClauseCandidates $Cache $Filter.Clauses[0]
    for ($k = 0; $k -lt $Filter.Joins.Count; $k++) {
        $next = Get-StubClauseCandidates $Cache $Filter.Clauses[$k + 1]
        if ($Filter.Joins[$k] -eq 'and') {
            if ($null -eq $acc) { $acc = $next } elseif ($null -ne $next) { $acc.IntersectWith($next) }
        }
        elseif ($null -eq $acc -or $null -eq $next) { $acc = $null }
        else { $acc.UnionWith($next) }
    }
    if ($null -eq $acc) { return , ([int[]][Linq.Enumerable]::Range(0, $Cache.Users.Count)) }
    return , ([int[]]@($acc))
}

function ConvertTo-StubOnlineUser($Cache, $User) {
    $voice = [bool]$User.EnterpriseVoiceEnabled
    $view = [ordered]@{
        Identity = $User.Identity; UserPrincipalName = $User.UserPrincipalName; SipAddress = $User.SipAddress
        DisplayName = $User.DisplayName; Alias = $User.Alias; AccountEnabled = $User.AccountEnabled
        EnterpriseVoiceEnabled = $User.EnterpriseVoiceEnabled; HostedVoiceMail = $User.HostedVoiceMail
        # Skype for Business Online assigned HybridVoice to voice-enabled users with an on-premises number, or of a
        # tenant with hybrid connectivity; BusinessVoice otherwise.
        VoicePolicy = if (-not $voice) { $null } elseif ($Cache.State.hybrid.PeerDestination -or $User.OnPremLineURI) { 'HybridVoice' } else { 'BusinessVoice' }
        OnPremLineURI = $User.OnPremLineURI; LineURI = $User.OnPremLineURI; FeatureTypes = [string[]]@($User.Licenses)
        Department = $User['Department']; VoiceRoutingPolicy = $User['VoiceRoutingPolicy']; OnlineVoiceRoutingPolicy = $User['OnlineVoiceRoutingPolicy']
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
    $parsed = $null
    if ($bound.ContainsKey('Filter')) {
        try { $parsed = ConvertFrom-StubFilter $Filter } catch { $PSCmdlet.ThrowTerminatingError((New-StubError $_.Exception.Message 'InvalidArgument' 'InvalidFilter' $Filter)) }
    }
    $limit = if ($bound.ContainsKey('ResultSize')) { [long]$ResultSize } else { [long]::MaxValue }
    $views = Invoke-StubLocked {
        $c = Sync-StubState
        $indexes = if ($bound.ContainsKey('Identity')) { Get-StubUsersFor $PSCmdlet $c $Identity -Many }
        elseif ($null -ne $parsed) { Get-StubFilterCandidates $c $parsed }
        else { [int[]][Linq.Enumerable]::Range(0, $c.Users.Count) }
        # Views are built only for candidates, and no further than ResultSize.
        $list = [Collections.Generic.List[object]]::new()
        foreach ($i in $indexes) {
            if ($list.Count -ge $limit) { break }
            $u = Get-StubUser $c $i
            if (-not (Test-StubSynced $u)) { continue }
            $v = ConvertTo-StubOnlineUser $c $u
            if ($null -ne $parsed -and -not (Test-StubFilter $parsed $v)) { continue }
            $list.Add($v)
        }
        , $list
    }
    foreach ($v in $views) { [pscustomobject]$v }
}

function Set-CsUser {
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)][string]$Identity,
        # [string] turns $null into '': a bound empty value clears the number, as $null does for the real cmdlet.
        [string]$DomainController, [switch]$PassThru, [AllowNull()][AllowEmptyString()][string]$OnPremLineURI, [string]$LineServerURI,
        [bool]$AudioVideoDisabled, [bool]$RemoteCallControlTelephonyEnabled, [string]$PrivateLine,
        [bool]$HostedVoiceMail, [bool]$EnterpriseVoiceEnabled, [string]$LineURI, [string]$SipAddress,
        [Alias('CsEnabled')][bool]$Enabled
    )
    Assert-StubReady $PSCmdlet
    $bound = $PSBoundParameters
    Invoke-StubLocked {
        $c = Sync-StubState
        $indexes = Get-StubUsersFor $PSCmdlet $c $Identity -Many
        $clearUri = $bound.ContainsKey('OnPremLineURI') -and [string]::IsNullOrEmpty($OnPremLineURI)
        $setUri = $bound.ContainsKey('OnPremLineURI') -and -not $clearUri
        if ($setUri -and -not $script:TelUriPattern.IsMatch($OnPremLineURI)) {
            $PSCmdlet.ThrowTerminatingError((New-StubError "Cannot validate argument on parameter 'OnPremLineURI'. `"$OnPremLineURI`" is not a valid E.164 tel URI such as tel:+14255551297." 'InvalidArgument' 'InvalidLineUri' $OnPremLineURI))
        }
        foreach ($i in $indexes) {
            $u = Get-StubUser $c $i
            if ($bound.ContainsKey('EnterpriseVoiceEnabled') -and $EnterpriseVoiceEnabled -and -not (@($u.Licenses) -contains 'PhoneSystem')) {
                $PSCmdlet.ThrowTerminatingError((New-StubError "User `"$($u.UserPrincipalName)`" is not licensed for Phone System. Assign an E5 licence or the Phone System add-on first." 'InvalidOperation' 'NotLicensed' $Identity))
            }
            if ($setUri) {
                # The holder comes from the line URI index: the check does not walk the tenant.
                $wanted = $OnPremLineURI.ToLowerInvariant()
                if ($c.Index.line.ContainsKey($wanted)) {
                    foreach ($j in $c.Index.line[$wanted]) {
                        if ($j -eq $i) { continue }
                        $PSCmdlet.ThrowTerminatingError((New-StubError "The number $OnPremLineURI is already assigned to $($c.Users[$j].UserPrincipalName)." 'InvalidOperation' 'NumberInUse' $OnPremLineURI))
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
            if ($clearUri) { $u.OnPremLineURI = $null }
            # A number set or cleared this way is no longer one Set-CsPhoneNumberAssignment assigned.
            if ($setUri -or $clearUri) { $u.NumberType = $null }
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

function Set-CsTenantHybridConfiguration {
    [CmdletBinding(DefaultParameterSetName = 'Identity', SupportsShouldProcess)]
    param(
        [guid]$Tenant, [string]$PeerDestination, [string]$HybridConfigServiceInternalUrl, [string]$HybridConfigServiceExternalUrl,
        [bool]$UseOnPremDialPlan,
        [Parameter(Position = 0, ParameterSetName = 'Identity')][string]$Identity,
        [Parameter(ParameterSetName = 'Instance')][psobject]$Instance,
        [switch]$Force
    )
    Assert-StubReady $PSCmdlet
    $bound = $PSBoundParameters
    Invoke-StubLocked {
        $c = Sync-StubState
        if ($bound.ContainsKey('PeerDestination')) { Assert-StubFqdn $PSCmdlet 'PeerDestination' $PeerDestination; $c.State.hybrid.PeerDestination = $PeerDestination }
        if ($bound.ContainsKey('UseOnPremDialPlan')) { $c.State.hybrid.UseOnPremDialPlan = $UseOnPremDialPlan }
        Save-StubTenant $c
    }
}

# Tenants seeded before federation settings existed share no SIP address space (the cmdlet's default).
function Get-StubFederation($State) {
    if ($null -eq $State['federation']) { $State['federation'] = @{ SharedSipAddressSpace = $false } }
    return $State['federation']
}

function Get-CsTenantFederationConfiguration {
    [CmdletBinding(DefaultParameterSetName = 'Identity')]
    param(
        [guid]$Tenant,
        [Parameter(Position = 0, ParameterSetName = 'Identity')][string]$Identity,
        [Parameter(ParameterSetName = 'Filter')][string]$Filter,
        [switch]$LocalStore
    )
    Assert-StubReady $PSCmdlet
    $c = Invoke-StubLocked { Sync-StubState }
    [pscustomobject][ordered]@{ Identity = 'Global'; SharedSipAddressSpace = [bool](Get-StubFederation $c.State).SharedSipAddressSpace }
}

function Set-CsTenantFederationConfiguration {
    [CmdletBinding(DefaultParameterSetName = 'Identity', SupportsShouldProcess)]
    param(
        [guid]$Tenant, [bool]$BlockAllSubdomains, [bool]$AllowFederatedUsers,
        [Parameter(ParameterSetName = 'Identity')][bool]$AllowTeamsConsumer,
        [Parameter(ParameterSetName = 'Identity')][bool]$AllowTeamsConsumerInbound,
        [bool]$TreatDiscoveredPartnersAsUnverified, [bool]$SharedSipAddressSpace, [bool]$RestrictTeamsConsumerToExternalUserProfiles,
        [Parameter(Position = 0, ParameterSetName = 'Identity')][string]$Identity,
        [Parameter(ParameterSetName = 'Instance')][psobject]$Instance,
        [switch]$Force
    )
    Assert-StubReady $PSCmdlet
    $bound = $PSBoundParameters
    Invoke-StubLocked {
        $c = Sync-StubState
        if ($bound.ContainsKey('SharedSipAddressSpace')) { (Get-StubFederation $c.State).SharedSipAddressSpace = $SharedSipAddressSpace }
        Save-StubTenant $c
    }
}

function Get-CsOnlineSipDomain {
    [CmdletBinding()]
    param([string]$Domain, [ValidateSet('Enabled', 'Disabled')][string]$DomainStatus)
    Assert-StubReady $PSCmdlet
    $c = Invoke-StubLocked { Sync-StubState }
    foreach ($d in @($c.State['sipDomains'])) {
        if ($null -eq $d) { continue }
        if ($PSBoundParameters.ContainsKey('Domain') -and $d.Name.ToLowerInvariant() -ne $Domain.Trim($script:JsTrimChars).ToLowerInvariant()) { continue }
        # ValidateSet binds case-insensitively; the output carries the canonical spelling.
        if ($PSBoundParameters.ContainsKey('DomainStatus') -and $d.Status -ne $DomainStatus) { continue }
        [pscustomobject][ordered]@{ Name = $d.Name; Status = $d.Status }
    }
}

function Get-CsHybridMediationServer {
    [CmdletBinding(SupportsShouldProcess)]
    param([Parameter(Mandatory, Position = 0)][string]$Identity, [guid]$Tenant)
    Assert-StubReady $PSCmdlet
    $row = Invoke-StubLocked {
        $c = Sync-StubState
        $u = Get-StubUser $c (Get-StubMediationServerAccount $PSCmdlet $c $Identity)
        $fqdn = $u['MediationServerFqdn']
        [pscustomobject][ordered]@{
            Identity = $u.DisplayName; Fqdn = $fqdn; AccessProxyExternalFqdn = $u['AccessProxyExternalFqdn']
            SipAddress = if ($fqdn) { "sip:$fqdn@$($u.UserPrincipalName.Split('@')[1])" } else { $null }
        }
    }
    $row
}

function Set-CsHybridMediationServer {
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory)][string]$Fqdn,
        [Parameter(Mandatory)][string]$AccessProxyExternalFqdn,
        [Parameter(Mandatory, Position = 0)][string]$Identity,
        [guid]$Tenant
    )
    Assert-StubReady $PSCmdlet
    Assert-StubFqdn $PSCmdlet 'Fqdn' $Fqdn
    Assert-StubFqdn $PSCmdlet 'AccessProxyExternalFqdn' $AccessProxyExternalFqdn
    Invoke-StubLocked {
        $c = Sync-StubState
        $i = Get-StubMediationServerAccount $PSCmdlet $c $Identity
        $u = Get-StubUser $c $i
        if (([string]$u['Department']).ToLowerInvariant() -ne $script:MediationServerDepartment.ToLowerInvariant()) {
            $PSCmdlet.ThrowTerminatingError((New-StubError "User `"$($u.UserPrincipalName)`" is not a hybrid Mediation Server account: its Department must be `"$($script:MediationServerDepartment)`" (set it with Set-MsolUser or Update-MgUser first)." 'InvalidOperation' 'NotAMediationServerAccount' $Identity))
        }
        $u.MediationServerFqdn = $Fqdn
        $u.AccessProxyExternalFqdn = $AccessProxyExternalFqdn
        Save-StubUsers $c @($i)
    }
}

function Set-MsolUser {
    [CmdletBinding()]
    param(
        [string]$ImmutableId, [guid]$ObjectId, [string]$UserPrincipalName, [bool]$BlockCredential, [string]$City, [string]$Country,
        [string]$Department, [string]$DisplayName, [string]$Fax, [string]$FirstName, [string]$LastName, [string]$MobilePhone,
        [string]$Office, [bool]$PasswordNeverExpires, [string]$PhoneNumber, [string]$PostalCode, [string]$State, [string]$StreetAddress,
        [string]$Title, [string]$UsageLocation, [string[]]$AlternateEmailAddresses, [string[]]$AlternateMobilePhones, [guid]$TenantId
    )
    Assert-StubReady $PSCmdlet
    $bound = $PSBoundParameters
    Invoke-StubLocked {
        $c = Sync-StubState
        $upn = $UserPrincipalName.Trim($script:JsTrimChars).ToLowerInvariant()
        if (-not $c.Index.upn.ContainsKey($upn)) { $PSCmdlet.ThrowTerminatingError((New-StubError "User Not Found. User: $UserPrincipalName." 'ObjectNotFound' 'UserNotFoundException' $UserPrincipalName)) }
        $i = $c.Index.upn[$upn][0]
        if ($bound.ContainsKey('Department')) { (Get-StubUser $c $i).Department = $Department }
        Save-StubUsers $c @($i)
    }
}

function Update-MgUser {
    [CmdletBinding(DefaultParameterSetName = 'UpdateExpanded', SupportsShouldProcess)]
    param(
        [Parameter(Mandatory, ParameterSetName = 'UpdateExpanded')][Parameter(Mandatory, ParameterSetName = 'Update')][string]$UserId,
        [Parameter(Mandatory, ParameterSetName = 'Update')][psobject]$BodyParameter,
        [Parameter(ParameterSetName = 'UpdateExpanded')][string]$Department,
        [Parameter(ParameterSetName = 'UpdateExpanded')][string]$DisplayName,
        [Parameter(ParameterSetName = 'UpdateExpanded')][string]$JobTitle,
        [Parameter(ParameterSetName = 'UpdateExpanded')][string]$UsageLocation,
        [Parameter(ParameterSetName = 'UpdateExpanded')][string]$UserPrincipalName,
        [Parameter(ParameterSetName = 'UpdateExpanded')][switch]$AccountEnabled,
        [Parameter(ParameterSetName = 'UpdateExpanded')][hashtable]$AdditionalProperties,
        [string]$ResponseHeadersVariable, [switch]$Break
    )
    Assert-StubReady $PSCmdlet
    $bound = $PSBoundParameters
    Invoke-StubLocked {
        $c = Sync-StubState
        $i = Get-StubDirectoryUser $PSCmdlet $c $UserId
        if ($bound.ContainsKey('Department')) { (Get-StubUser $c $i).Department = $Department }
        Save-StubUsers $c @($i)
    }
}

# Not in cmdlet-signatures.json: Get-MgUser's Get parameter set (-UserId), the read-back for Update-MgUser.
function Get-MgUser {
    [CmdletBinding(DefaultParameterSetName = 'Get')]
    param(
        [Parameter(Mandatory, ParameterSetName = 'Get')][string]$UserId,
        [Alias('Select')][string[]]$Property, [Alias('Expand')][string[]]$ExpandProperty,
        [string]$ResponseHeadersVariable, [switch]$Break
    )
    Assert-StubReady $PSCmdlet
    $row = Invoke-StubLocked {
        $c = Sync-StubState
        $u = Get-StubUser $c (Get-StubDirectoryUser $PSCmdlet $c $UserId)
        [pscustomobject][ordered]@{
            Id = $u.Identity; UserPrincipalName = $u.UserPrincipalName; DisplayName = $u.DisplayName; Department = $u['Department']
            AssignedLicenses = (Get-StubSkus $u); FeatureTypes = [string[]]@($u.Licenses)
        }
    }
    $row
}

# --- Direct Routing (MicrosoftTeams module: in both profiles) ---

# Tenants seeded before Direct Routing have no SBCs and no online voice routing policies (directRouting in state.ts).
function Get-StubDirectRouting($State) {
    if ($null -eq $State['directRouting']) { $State['directRouting'] = @{} }
    $dr = $State['directRouting']
    # Each list defaults on its own, and writers replace only their own list: the others are saved as they were.
    foreach ($list in @('gateways', 'pstnUsages', 'voiceRoutes', 'voiceRoutingPolicies')) {
        if ($null -eq $dr[$list]) { $dr[$list] = @() }
    }
    return $dr
}

function ConvertTo-StubGateway($Gateway) {
    # tenant.json reads numbers back as Int64: the cmdlet's properties are Int32.
    $max = $Gateway['MaxConcurrentSessions']
    [pscustomobject][ordered]@{
        Identity = $Gateway.Fqdn; Fqdn = $Gateway.Fqdn; SipSignalingPort = [int]$Gateway.SipSignalingPort
        MaxConcurrentSessions = if ($null -eq $max) { $null } else { [int]$max }; Enabled = [bool]$Gateway.Enabled
    }
}

# A policy as Grant-* and Get-* name it: "Name" or "Tag:Name", any case; 'Global' (the string) is the tenant default.
function Find-StubOnlineVoiceRoutingPolicy($State, [string]$Name) {
    $wanted = $Name.Trim($script:JsTrimChars)
    # Global is "Global", never "Tag:Global": only named policies carry the tag.
    if ($wanted.ToLowerInvariant() -ceq 'global') { return 'Global' }
    if ($wanted.StartsWith('tag:', [StringComparison]::OrdinalIgnoreCase)) { $wanted = $wanted.Substring(4) }
    $wanted = $wanted.ToLowerInvariant()
    foreach ($v in @((Get-StubDirectRouting $State).voiceRoutingPolicies)) {
        if ($null -ne $v -and ([string]$v.Name).ToLowerInvariant() -ceq $wanted) { return $v }
    }
    return $null
}

function ConvertTo-StubOnlineVoiceRoutingPolicy($Policy) {
    # [string[]]: OnlinePstnUsages stays a JSON array with zero or one element.
    if ($Policy -is [string]) { return [pscustomobject][ordered]@{ Identity = 'Global'; OnlinePstnUsages = [string[]]@(); Description = $null } }
    [pscustomobject][ordered]@{ Identity = "Tag:$($Policy.Name)"; OnlinePstnUsages = [string[]]@($Policy.OnlinePstnUsages); Description = $Policy['Description'] }
}

# A parameter set the real cmdlet has but Switchboard never uses: bound as the real module binds it, then refused
# plainly rather than half done.
function New-StubNotImplementedError([string]$Cmdlet, [string]$What) {
    New-StubError "The stand-in module does not implement $Cmdlet $What." 'NotImplemented' 'NotImplementedInStandIn' $Cmdlet
}

# Not in cmdlet-signatures.json: the read-back for New-CsOnlinePSTNGateway (MicrosoftTeams 3.x signature).
function Get-CsOnlinePSTNGateway {
    [CmdletBinding(DefaultParameterSetName = 'Identity', PositionalBinding = $false)]
    param(
        [Parameter(Position = 0, ParameterSetName = 'Identity')][string]$Identity,
        [Parameter(ParameterSetName = 'Filter')][string]$Filter,
        [switch]$LocalStore
    )
    Assert-StubReady $PSCmdlet
    $c = Invoke-StubLocked { Sync-StubState }
    $gateways = @((Get-StubDirectRouting $c.State).gateways)
    if ($PSBoundParameters.ContainsKey('Identity')) {
        $wanted = $Identity.Trim($script:JsTrimChars).ToLowerInvariant()
        $gateways = @($gateways | Where-Object { $_.Fqdn.ToLowerInvariant() -ceq $wanted } | Select-Object -First 1)
        if ($gateways.Count -eq 0) { $PSCmdlet.ThrowTerminatingError((New-StubError "Couldn't find object `"$Identity`". Please check your parameters and try again." 'ObjectNotFound' 'GatewayNotFound' $Identity)) }
    }
    elseif ($PSBoundParameters.ContainsKey('Filter')) {
        # The sim has no -Filter here; the real one takes a wildcard on Identity.
        $re = Get-StubLikePattern $Filter
        $gateways = @($gateways | Where-Object { $re.IsMatch($_.Fqdn) })
    }
    foreach ($g in $gateways) { ConvertTo-StubGateway $g }
}

function New-CsOnlinePSTNGateway {
    [CmdletBinding(DefaultParameterSetName = 'Identity', SupportsShouldProcess, PositionalBinding = $false)]
    param(
        # The Identity set names the SBC by -Identity, which must equal its FQDN; Switchboard uses -Fqdn.
        [Parameter(Mandatory, Position = 0, ParameterSetName = 'Identity')][string]$Identity,
        [Parameter(Mandatory, ParameterSetName = 'ParentAndRelativeKey')][string]$Fqdn,
        [Parameter(Mandatory)][int]$SipSignalingPort,
        [string]$BypassMode, [string]$Description, [bool]$Enabled, [string]$FailoverResponseCodes, [int]$FailoverTimeSeconds,
        [bool]$ForwardCallHistory, [bool]$ForwardPai, [bool]$GatewayLbrEnabledUserOverride, [string]$GatewaySiteId,
        [bool]$GatewaySiteLbrEnabled, [string]$IPAddressVersion, [object]$InboundPstnNumberTranslationRules,
        [object]$InboundTeamsNumberTranslationRules, [int]$MaxConcurrentSessions, [bool]$MediaBypass,
        [string]$MediaRelayRoutingLocationOverride, [object]$OutboundPstnNumberTranslationRules,
        [object]$OutboundTeamsNumberTranslationRules, [bool]$PidfLoSupported, [string]$ProxySbc, [bool]$SendSipOptions
    )
    Assert-StubReady $PSCmdlet
    $bound = $PSBoundParameters
    $name, $given = if ($PSCmdlet.ParameterSetName -eq 'Identity') { 'Identity', $Identity } else { 'Fqdn', $Fqdn }
    $sbc = $given.Trim($script:JsTrimChars)
    if (-not $script:FqdnPattern.IsMatch($sbc)) {
        $PSCmdlet.ThrowTerminatingError((New-StubError "Cannot validate argument on parameter '$name'. `"$given`" is not a valid fully qualified domain name." 'InvalidArgument' 'InvalidFqdn' $given))
    }
    $gateway = Invoke-StubLocked {
        $c = Sync-StubState
        # Direct Routing pairs an SBC only under a domain registered in the tenant, never *.onmicrosoft.com.
        $domain = $sbc.Substring($sbc.IndexOf('.') + 1).ToLowerInvariant()
        $registered = @($c.State['sipDomains'] | Where-Object { $null -ne $_ -and ([string]$_.Name).ToLowerInvariant() -ceq $domain }).Count -gt 0
        if (-not $registered -or $domain.EndsWith('.onmicrosoft.com', [StringComparison]::Ordinal)) {
            $PSCmdlet.ThrowTerminatingError((New-StubError "Cannot pair `"$sbc`": its domain $domain is not a domain registered in this tenant (*.onmicrosoft.com domains cannot be used)." 'InvalidOperation' 'DomainNotRegistered' $given))
        }
        $dr = Get-StubDirectRouting $c.State
        foreach ($g in @($dr.gateways)) {
            if ($g.Fqdn.ToLowerInvariant() -ceq $sbc.ToLowerInvariant()) {
                $PSCmdlet.ThrowTerminatingError((New-StubError "An object with Identity `"$sbc`" already exists." 'InvalidOperation' 'GatewayExists' $given))
            }
        }
        # Created disabled unless -Enabled is given, as the cmdlet documents.
        $new = [ordered]@{
            Fqdn = $sbc.ToLowerInvariant(); SipSignalingPort = $SipSignalingPort
            MaxConcurrentSessions = if ($bound.ContainsKey('MaxConcurrentSessions')) { $MaxConcurrentSessions } else { $null }
            Enabled = $Enabled
        }
        $dr['gateways'] = @($dr.gateways) + @($new)
        Save-StubTenant $c
        $new
    }
    ConvertTo-StubGateway $gateway
}

# Changes a paired SBC. The port, the session limit and Enabled are modelled; the rest of the documented parameters
# bind and are kept by the real cmdlet, not by the stand-in (Switchboard never sends them).
function Set-CsOnlinePSTNGateway {
    [CmdletBinding(SupportsShouldProcess, PositionalBinding = $false)]
    param(
        [Parameter(Position = 0)][string]$Identity,
        [string]$BypassMode, [string]$Description, [bool]$Enabled, [string]$FailoverResponseCodes, [int]$FailoverTimeSeconds,
        [bool]$ForwardCallHistory, [bool]$ForwardPai, [bool]$GatewayLbrEnabledUserOverride, [string]$GatewaySiteId,
        [bool]$GatewaySiteLbrEnabled, [string]$IPAddressVersion, [object]$InboundPstnNumberTranslationRules,
        [object]$InboundTeamsNumberTranslationRules, [int]$MaxConcurrentSessions, [bool]$MediaBypass,
        [string]$MediaRelayRoutingLocationOverride, [object]$OutboundPstnNumberTranslationRules,
        [object]$OutboundTeamsNumberTranslationRules, [bool]$PidfLoSupported, [string]$ProxySbc, [bool]$SendSipOptions,
        [int]$SipSignalingPort
    )
    Assert-StubReady $PSCmdlet
    $bound = $PSBoundParameters
    # The doc: "The parameter is mandatory when modifying an existing SBC".
    if (-not $bound.ContainsKey('Identity')) {
        $PSCmdlet.ThrowTerminatingError((New-StubError "Cannot modify an SBC without -Identity: name the SBC by its FQDN." 'InvalidArgument' 'IdentityRequired' $null))
    }
    $wanted = $Identity.Trim($script:JsTrimChars).ToLowerInvariant()
    Invoke-StubLocked {
        $c = Sync-StubState
        $dr = Get-StubDirectRouting $c.State
        $gateway = @($dr.gateways) | Where-Object { $null -ne $_ -and $_.Fqdn.ToLowerInvariant() -ceq $wanted } | Select-Object -First 1
        if ($null -eq $gateway) { $PSCmdlet.ThrowTerminatingError((New-StubError "Couldn't find object `"$Identity`". Please check your parameters and try again." 'ObjectNotFound' 'GatewayNotFound' $Identity)) }
        if ($bound.ContainsKey('SipSignalingPort')) { $gateway.SipSignalingPort = $SipSignalingPort }
        if ($bound.ContainsKey('MaxConcurrentSessions')) { $gateway.MaxConcurrentSessions = $MaxConcurrentSessions }
        if ($bound.ContainsKey('Enabled')) { $gateway.Enabled = $Enabled }
        Save-StubTenant $c
    } | Out-Null
}

# Only the Assignment set (-Identity -TelephoneNumber -NumberType) is implemented; the others bind as they do for
# the real cmdlet (the doc marks LocationUpdate the default) and are then refused.
function Set-CsPhoneNumberAssignment {
    [CmdletBinding(DefaultParameterSetName = 'LocationUpdate', PositionalBinding = $false)]
    param(
        [Parameter(Mandatory, ParameterSetName = 'LocationUpdate')]
        [Parameter(Mandatory, ParameterSetName = 'NetworkSiteUpdate')]
        [Parameter(Mandatory, ParameterSetName = 'ReverseNumberLookupUpdate')]
        [Parameter(Mandatory, ParameterSetName = 'Assignment')][string]$TelephoneNumber,
        [Parameter(Mandatory, ParameterSetName = 'LocationUpdate')][Parameter(ParameterSetName = 'Assignment')][string]$LocationId,
        [Parameter(Mandatory, ParameterSetName = 'NetworkSiteUpdate')][Parameter(ParameterSetName = 'Assignment')][string]$NetworkSiteId,
        [Parameter(Mandatory, ParameterSetName = 'ReverseNumberLookupUpdate')][Parameter(ParameterSetName = 'Assignment')][string]$ReverseNumberLookup,
        [Parameter(Mandatory, ParameterSetName = 'Assignment')][Parameter(Mandatory, ParameterSetName = 'Attribute')][string]$Identity,
        [Parameter(Mandatory, ParameterSetName = 'Assignment')][string]$NumberType,
        [Parameter(ParameterSetName = 'Assignment')][string]$AssignmentCategory,
        [Parameter(ParameterSetName = 'Assignment')][switch]$Notify,
        [Parameter(Mandatory, ParameterSetName = 'Attribute')][bool]$EnterpriseVoiceEnabled,
        # Microsoft.Teams.ConfigAPI.Cmdlets.Generated.Runtime.SendAsyncStep[] in the real module, which is not loaded here.
        [object[]]$HttpPipelinePrepend
    )
    Assert-StubReady $PSCmdlet
    if ($PSCmdlet.ParameterSetName -ne 'Assignment') {
        $PSCmdlet.ThrowTerminatingError((New-StubNotImplementedError 'Set-CsPhoneNumberAssignment' "parameter set $($PSCmdlet.ParameterSetName) (only Assignment: -Identity -TelephoneNumber -NumberType)"))
    }
    $m = $script:PhoneNumberPattern.Match($TelephoneNumber.Trim($script:JsTrimChars))
    if (-not $m.Success) {
        $PSCmdlet.ThrowTerminatingError((New-StubError "Cannot validate argument on parameter 'TelephoneNumber'. `"$TelephoneNumber`" is not a phone number in E.164 form such as +14255551297 (no tel: prefix)." 'InvalidArgument' 'InvalidTelephoneNumber' $TelephoneNumber))
    }
    $digits = $m.Groups[1].Value
    # Stored as the sim stores it, in OnPremLineURI, so the line URI index and -Filter on LineURI see it.
    $uri = "tel:+$digits" + $m.Groups[2].Value.ToLowerInvariant()
    $shown = $uri.Substring(4)
    Invoke-StubLocked {
        $c = Sync-StubState
        $i = (Get-StubUsersFor $PSCmdlet $c $Identity)[0]
        $u = Get-StubUser $c $i
        if (-not (@($u.Licenses) -contains 'PhoneSystem')) {
            $PSCmdlet.ThrowTerminatingError((New-StubError "User `"$($u.UserPrincipalName)`" is not licensed for Phone System. Assign an E5 licence or the Phone System add-on first." 'InvalidOperation' 'NotLicensed' $Identity))
        }
        # Calling Plan and Operator Connect numbers come from the tenant's number inventory, which this tenant does not hold.
        if ($NumberType -ne 'DirectRouting') {
            $PSCmdlet.ThrowTerminatingError((New-StubError "The number $shown is not in this tenant's $NumberType telephone number inventory." 'InvalidOperation' 'NumberNotInInventory' $TelephoneNumber))
        }
        if ($c.Index.line.ContainsKey($uri)) {
            foreach ($j in $c.Index.line[$uri]) {
                if ($j -eq $i) { continue }
                $PSCmdlet.ThrowTerminatingError((New-StubError "The number $shown is already assigned to $($c.Users[$j].UserPrincipalName)." 'InvalidOperation' 'NumberInUse' $TelephoneNumber))
            }
        }
        $u.OnPremLineURI = $uri
        $u.NumberType = 'DirectRouting'
        $u.EnterpriseVoiceEnabled = $true
        # Save-StubUsers moves the user's entry in the line URI index.
        Save-StubUsers $c @($i)
    }
}

# Not in cmdlet-signatures.json: the policies Grant-CsOnlineVoiceRoutingPolicy may name (MicrosoftTeams 3.x signature).
function Get-CsOnlineVoiceRoutingPolicy {
    [CmdletBinding(DefaultParameterSetName = 'Identity', PositionalBinding = $false)]
    param(
        [Parameter(Position = 0, ParameterSetName = 'Identity')][string]$Identity,
        [Parameter(ParameterSetName = 'Filter')][string]$Filter,
        [switch]$LocalStore
    )
    Assert-StubReady $PSCmdlet
    $c = Invoke-StubLocked { Sync-StubState }
    if ($PSBoundParameters.ContainsKey('Identity')) {
        $found = Find-StubOnlineVoiceRoutingPolicy $c.State $Identity
        if ($null -eq $found) { $PSCmdlet.ThrowTerminatingError((New-StubError "Couldn't find object `"$Identity`". Please check your parameters and try again." 'ObjectNotFound' 'PolicyNotFound' $Identity)) }
        return ConvertTo-StubOnlineVoiceRoutingPolicy $found
    }
    # Global first, then each policy in tenant order.
    $views = @(ConvertTo-StubOnlineVoiceRoutingPolicy 'Global') + @(foreach ($v in @((Get-StubDirectRouting $c.State).voiceRoutingPolicies)) { if ($null -ne $v) { ConvertTo-StubOnlineVoiceRoutingPolicy $v } })
    if ($PSBoundParameters.ContainsKey('Filter')) {
        # The sim has no -Filter here; the real one takes a wildcard on Identity, e.g. "Tag:*".
        $re = Get-StubLikePattern $Filter
        $views = @($views | Where-Object { $re.IsMatch($_.Identity) })
    }
    $views
}

function Grant-CsOnlineVoiceRoutingPolicy {
    [CmdletBinding(DefaultParameterSetName = 'Identity', SupportsShouldProcess, PositionalBinding = $false)]
    param(
        [Parameter(Position = 0, ParameterSetName = 'Identity')][string]$Identity,
        [Parameter(Mandatory, Position = 0, ParameterSetName = 'GrantToGroup')][string]$Group,
        # $null unassigns the per-user policy (reverts to Global). [string] turns $null, like an unbound value, into ''.
        [Parameter(Position = 1)][AllowNull()][AllowEmptyString()][string]$PolicyName,
        [Parameter(ParameterSetName = 'GrantToTenant')][switch]$Global,
        [Parameter(ParameterSetName = 'GrantToGroup')][int]$Rank,
        [switch]$PassThru
    )
    Assert-StubReady $PSCmdlet
    # Without -Identity the real cmdlet grants tenant-wide; that and -Group are not modelled.
    if ($PSCmdlet.ParameterSetName -ne 'Identity' -or -not $PSBoundParameters.ContainsKey('Identity')) {
        $PSCmdlet.ThrowTerminatingError((New-StubNotImplementedError 'Grant-CsOnlineVoiceRoutingPolicy' 'tenant-wide or group grants (only -Identity)'))
    }
    Invoke-StubLocked {
        $c = Sync-StubState
        $i = (Get-StubUsersFor $PSCmdlet $c $Identity)[0]
        $policy = $null
        if (-not [string]::IsNullOrEmpty($PolicyName)) {
            $found = Find-StubOnlineVoiceRoutingPolicy $c.State $PolicyName
            if ($null -eq $found) { $PSCmdlet.ThrowTerminatingError((New-StubError "Cannot find OnlineVoiceRoutingPolicy `"$PolicyName`"." 'ObjectNotFound' 'PolicyNotFound' $PolicyName)) }
            # Granting Global is the same as unassigning: the user falls back to it.
            if ($found -isnot [string]) { $policy = $found.Name }
        }
        (Get-StubUser $c $i).OnlineVoiceRoutingPolicy = $policy
        Save-StubUsers $c @($i)
    }
}

# A route or policy may only name a usage of the Global list, in its stored spelling (pstnUsage in simulated-tenant.ts).
function Resolve-StubPstnUsage([Management.Automation.PSCmdlet]$Cmdlet, $DirectRouting, [string]$Name) {
    $wanted = $Name.Trim($script:JsTrimChars).ToLowerInvariant()
    foreach ($u in @($DirectRouting.pstnUsages)) { if (([string]$u).ToLowerInvariant() -ceq $wanted) { return [string]$u } }
    $Cmdlet.ThrowTerminatingError((New-StubError "The PSTN usage `"$Name`" is not in the Global list: add it with Set-CsOnlinePstnUsage first." 'ObjectNotFound' 'PstnUsageNotFound' $Name))
}

# The names a list parameter (-OnlinePstnUsages, -OnlinePstnGatewayList: <Object>, a PSListModifier to the real
# module) carries when it creates an object: a list, one name, or @{Add=...} / @{Replace=...}; @{Remove=...} on an
# object that does not exist yet is refused.
function ConvertTo-StubNameList([Management.Automation.PSCmdlet]$Cmdlet, [string]$Parameter, $Value) {
    if ($null -eq $Value) { return , ([string[]]@()) }
    if ($Value -is [Collections.IDictionary]) {
        $names = [Collections.Generic.List[string]]::new()
        foreach ($key in $Value.Keys) {
            $op = ([string]$key).ToLowerInvariant()
            if ($op -cne 'add' -and $op -cne 'replace') {
                $Cmdlet.ThrowTerminatingError((New-StubError "Cannot bind parameter '$Parameter': a new object's list takes Add or Replace, not `"$key`"." 'InvalidArgument' 'InvalidListModifier' $Value))
            }
            foreach ($v in @($Value[$key])) { if ($null -ne $v) { $names.Add([string]$v) } }
        }
        return , $names.ToArray()
    }
    $list = [Collections.Generic.List[string]]::new()
    foreach ($v in @($Value)) { if ($null -ne $v) { $list.Add([string]$v) } }
    return , $list.ToArray()
}

function ConvertTo-StubVoiceRoute($Route) {
    # [string[]]: the lists stay JSON arrays with zero or one element; tenant.json reads Priority back as Int64.
    [pscustomobject][ordered]@{
        Identity = $Route.Name; NumberPattern = $Route.NumberPattern; OnlinePstnGatewayList = [string[]]@($Route.OnlinePstnGatewayList)
        OnlinePstnUsages = [string[]]@($Route.OnlinePstnUsages); Priority = [int]$Route.Priority
    }
}

# Not in cmdlet-signatures.json: the read-back for Set-CsOnlinePstnUsage (MicrosoftTeams 3.x signature). There is
# one list, Global.
function Get-CsOnlinePstnUsage {
    [CmdletBinding(DefaultParameterSetName = 'Identity', PositionalBinding = $false)]
    param(
        [Parameter(Position = 0, ParameterSetName = 'Identity')][string]$Identity,
        [Parameter(ParameterSetName = 'Filter')][string]$Filter,
        [switch]$LocalStore
    )
    Assert-StubReady $PSCmdlet
    $c = Invoke-StubLocked { Sync-StubState }
    if ($PSBoundParameters.ContainsKey('Identity') -and $Identity.Trim($script:JsTrimChars).ToLowerInvariant() -cne 'global') {
        $PSCmdlet.ThrowTerminatingError((New-StubError "Couldn't find object `"$Identity`". Please check your parameters and try again." 'ObjectNotFound' 'PstnUsageNotFound' $Identity))
    }
    # The sim has no -Filter here; the real one takes a wildcard on Identity.
    if ($PSBoundParameters.ContainsKey('Filter') -and -not (Get-StubLikePattern $Filter).IsMatch('Global')) { return }
    [pscustomobject][ordered]@{ Identity = 'Global'; Usage = [string[]]@((Get-StubDirectRouting $c.State).pstnUsages) }
}

# Only -Usage @{Add=...} is implemented: Remove and Replace (or a bare list, which the real module binds as Replace)
# are refused plainly rather than half done.
function Set-CsOnlinePstnUsage {
    [CmdletBinding(DefaultParameterSetName = 'Identity', SupportsShouldProcess, PositionalBinding = $false)]
    param(
        [Parameter(Position = 0, ParameterSetName = 'Identity')][string]$Identity,
        # Microsoft.Rtc.Management.Internal.PSListModifier in the real module; a hashtable @{Add=...} converts to it.
        [Parameter(ParameterSetName = 'Identity')][object]$Usage
    )
    Assert-StubReady $PSCmdlet
    if ($PSBoundParameters.ContainsKey('Identity') -and $Identity.Trim($script:JsTrimChars).ToLowerInvariant() -cne 'global') {
        $PSCmdlet.ThrowTerminatingError((New-StubError "Couldn't find object `"$Identity`". Please check your parameters and try again." 'ObjectNotFound' 'PstnUsageNotFound' $Identity))
    }
    $add = [Collections.Generic.List[string]]::new()
    if ($null -ne $Usage) {
        if ($Usage -isnot [Collections.IDictionary]) {
            $PSCmdlet.ThrowTerminatingError((New-StubNotImplementedError 'Set-CsOnlinePstnUsage' '-Usage as a list (it replaces the Global list; only @{Add=...})'))
        }
        foreach ($key in $Usage.Keys) {
            $op = ([string]$key).ToLowerInvariant()
            if ($op -ceq 'remove' -or $op -ceq 'replace') {
                $PSCmdlet.ThrowTerminatingError((New-StubNotImplementedError 'Set-CsOnlinePstnUsage' "-Usage @{$key=...} (only @{Add=...})"))
            }
            if ($op -cne 'add') {
                $PSCmdlet.ThrowTerminatingError((New-StubError "Cannot bind parameter 'Usage': a list modifier takes Add, Remove or Replace, not `"$key`"." 'InvalidArgument' 'InvalidListModifier' $Usage))
            }
            foreach ($v in @($Usage[$key])) { if ($null -ne $v) { $add.Add([string]$v) } }
        }
    }
    Invoke-StubLocked {
        $c = Sync-StubState
        $dr = Get-StubDirectRouting $c.State
        # Adding a usage the list has is no change: the list holds each name once, in the order added.
        $usages = [Collections.Generic.List[string]]::new()
        foreach ($u in @($dr.pstnUsages)) { $usages.Add([string]$u) }
        foreach ($name in $add) {
            $has = $false
            foreach ($u in $usages) { if ($u.ToLowerInvariant() -ceq $name.ToLowerInvariant()) { $has = $true; break } }
            if (-not $has) { $usages.Add($name) }
        }
        $dr['pstnUsages'] = $usages.ToArray()
        Save-StubTenant $c
    }
}

# Not in cmdlet-signatures.json: the read-back for New-CsOnlineVoiceRoute (MicrosoftTeams 3.x signature).
function Get-CsOnlineVoiceRoute {
    [CmdletBinding(DefaultParameterSetName = 'Identity', PositionalBinding = $false)]
    param(
        [Parameter(Position = 0, ParameterSetName = 'Identity')][string]$Identity,
        [Parameter(ParameterSetName = 'Filter')][string]$Filter,
        [switch]$LocalStore
    )
    Assert-StubReady $PSCmdlet
    $c = Invoke-StubLocked { Sync-StubState }
    $routes = @(foreach ($r in @((Get-StubDirectRouting $c.State).voiceRoutes)) { if ($null -ne $r) { $r } })
    if ($PSBoundParameters.ContainsKey('Identity')) {
        $wanted = $Identity.Trim($script:JsTrimChars).ToLowerInvariant()
        $routes = @($routes | Where-Object { ([string]$_.Name).ToLowerInvariant() -ceq $wanted } | Select-Object -First 1)
        if ($routes.Count -eq 0) { $PSCmdlet.ThrowTerminatingError((New-StubError "Couldn't find object `"$Identity`". Please check your parameters and try again." 'ObjectNotFound' 'VoiceRouteNotFound' $Identity)) }
    }
    elseif ($PSBoundParameters.ContainsKey('Filter')) {
        # The sim has no -Filter here; the real one takes a wildcard on Identity.
        $re = Get-StubLikePattern $Filter
        $routes = @($routes | Where-Object { $re.IsMatch([string]$_.Name) })
    }
    foreach ($r in $routes) { ConvertTo-StubVoiceRoute $r }
}

# The route is named by -Identity (Identity set) or -Name (ParentAndRelativeKey set). -BridgeSourcePhoneNumber
# (routes to a bridge number instead of SBCs) binds as for the real cmdlet and is then refused; -Description is
# accepted and, as in the sim, not kept.
function New-CsOnlineVoiceRoute {
    [CmdletBinding(DefaultParameterSetName = 'Identity', SupportsShouldProcess, PositionalBinding = $false)]
    param(
        [Parameter(Mandatory, Position = 0, ParameterSetName = 'Identity')][string]$Identity,
        [Parameter(Mandatory, ParameterSetName = 'ParentAndRelativeKey')][string]$Name,
        [string]$BridgeSourcePhoneNumber, [string]$Description,
        # The cmdlet's documented default.
        [string]$NumberPattern = '[0-9]{10}',
        [object]$OnlinePstnGatewayList, [object]$OnlinePstnUsages, [int]$Priority
    )
    Assert-StubReady $PSCmdlet
    $bound = $PSBoundParameters
    if ($bound.ContainsKey('BridgeSourcePhoneNumber')) {
        $PSCmdlet.ThrowTerminatingError((New-StubNotImplementedError 'New-CsOnlineVoiceRoute' '-BridgeSourcePhoneNumber (only routes through -OnlinePstnGatewayList)'))
    }
    $routeName = if ($PSCmdlet.ParameterSetName -eq 'Identity') { $Identity } else { $Name }
    $gatewayNames = ConvertTo-StubNameList $PSCmdlet 'OnlinePstnGatewayList' $OnlinePstnGatewayList
    $usageNames = ConvertTo-StubNameList $PSCmdlet 'OnlinePstnUsages' $OnlinePstnUsages
    $route = Invoke-StubLocked {
        $c = Sync-StubState
        $dr = Get-StubDirectRouting $c.State
        foreach ($r in @($dr.voiceRoutes)) {
            if ($null -ne $r -and ([string]$r.Name).ToLowerInvariant() -ceq $routeName.ToLowerInvariant()) {
                $PSCmdlet.ThrowTerminatingError((New-StubError "An object with Identity `"$routeName`" already exists." 'InvalidOperation' 'VoiceRouteExists' $routeName))
            }
        }
        # The sim compiles a JavaScript RegExp; .NET agrees on what is malformed for the patterns routes use.
        try { $null = [regex]::new($NumberPattern) }
        catch { $PSCmdlet.ThrowTerminatingError((New-StubError "Cannot validate argument on parameter 'NumberPattern'. `"$NumberPattern`" is not a valid regular expression." 'InvalidArgument' 'InvalidNumberPattern' $NumberPattern)) }
        $gateways = foreach ($g in $gatewayNames) {
            $wanted = $g.Trim($script:JsTrimChars).ToLowerInvariant()
            $found = @($dr.gateways | Where-Object { $null -ne $_ -and [string]$_.Fqdn -ceq $wanted } | Select-Object -First 1)
            if ($found.Count -eq 0) { $PSCmdlet.ThrowTerminatingError((New-StubError "The online PSTN gateway `"$g`" was not found: pair it with New-CsOnlinePSTNGateway first." 'ObjectNotFound' 'GatewayNotFound' $g)) }
            [string]$found[0].Fqdn
        }
        $usages = foreach ($u in $usageNames) { Resolve-StubPstnUsage $PSCmdlet $dr $u }
        $new = [ordered]@{
            Name = $routeName; NumberPattern = $NumberPattern; OnlinePstnGatewayList = [string[]]@($gateways); OnlinePstnUsages = [string[]]@($usages)
            Priority = if ($bound.ContainsKey('Priority')) { $Priority } else { @($dr.voiceRoutes).Count }
        }
        $dr['voiceRoutes'] = @($dr.voiceRoutes) + @($new)
        Save-StubTenant $c
        $new
    }
    ConvertTo-StubVoiceRoute $route
}

# -RouteType (a Skype for Business Online leftover the page says is not used) binds and is ignored.
function New-CsOnlineVoiceRoutingPolicy {
    [CmdletBinding(DefaultParameterSetName = 'Identity', SupportsShouldProcess, PositionalBinding = $false)]
    param(
        [Parameter(Mandatory, Position = 0, ParameterSetName = 'Identity')][string]$Identity,
        [string]$Description, [object]$OnlinePstnUsages, [string]$RouteType
    )
    Assert-StubReady $PSCmdlet
    $bound = $PSBoundParameters
    $name = $Identity.Trim($script:JsTrimChars)
    if ($name.StartsWith('tag:', [StringComparison]::OrdinalIgnoreCase)) { $name = $name.Substring(4) }
    $usageNames = ConvertTo-StubNameList $PSCmdlet 'OnlinePstnUsages' $OnlinePstnUsages
    $policy = Invoke-StubLocked {
        $c = Sync-StubState
        $dr = Get-StubDirectRouting $c.State
        $exists = $name.ToLowerInvariant() -ceq 'global'
        foreach ($v in @($dr.voiceRoutingPolicies)) { if ($null -ne $v -and ([string]$v.Name).ToLowerInvariant() -ceq $name.ToLowerInvariant()) { $exists = $true } }
        if ($exists) { $PSCmdlet.ThrowTerminatingError((New-StubError "An object with Identity `"Tag:$name`" already exists." 'InvalidOperation' 'PolicyExists' $Identity)) }
        $usages = foreach ($u in $usageNames) { Resolve-StubPstnUsage $PSCmdlet $dr $u }
        $new = [ordered]@{ Name = $name; OnlinePstnUsages = [string[]]@($usages); Description = if ($bound.ContainsKey('Description')) { $Description } else { $null } }
        $dr['voiceRoutingPolicies'] = @($dr.voiceRoutingPolicies) + @($new)
        Save-StubTenant $c
        $new
    }
    ConvertTo-StubOnlineVoiceRoutingPolicy $policy
}

# A current host has no MSOnline module: Set-MsolUser is then simply not there (CommandNotFoundException).
$script:Exported = @(
    'Connect-MicrosoftTeams', 'Get-CsOnlineUser', 'Set-CsUser', 'Get-CsUserPstnSettings', 'Set-CsUserPstnSettings',
    'Grant-CsVoiceRoutingPolicy', 'Get-CsTenantHybridConfiguration', 'Set-CsTenantHybridConfiguration', 'Get-CsHybridPSTNSite',
    'Get-CsTenantFederationConfiguration', 'Set-CsTenantFederationConfiguration', 'Get-CsOnlineSipDomain',
    'Get-CsHybridMediationServer', 'Set-CsHybridMediationServer', 'Update-MgUser', 'Get-MgUser',
    'Get-CsOnlinePSTNGateway', 'New-CsOnlinePSTNGateway', 'Set-CsOnlinePSTNGateway', 'Set-CsPhoneNumberAssignment', 'Get-CsOnlineVoiceRoutingPolicy',
    'Grant-CsOnlineVoiceRoutingPolicy', 'Get-CsOnlinePstnUsage', 'Set-CsOnlinePstnUsage', 'Get-CsOnlineVoiceRoute', 'New-CsOnlineVoiceRoute',
    'New-CsOnlineVoiceRoutingPolicy'
)
if ($env:SWITCHBOARD_STUB_PROFILE -ne 'teams-current') { $script:Exported += 'Set-MsolUser' }
Export-ModuleMember -Function $script:Exported
