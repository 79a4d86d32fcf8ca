# Tenant state shared by several pwsh processes, seeded from the simulated tenant's format (SimTenantState).
#
# Layout in SWITCHBOARD_STUB_DATA_DIR:
#   sim-tenant.json        the seed. Written by the app, the simulated tenant or a test, never by the stand-in. A newer
#                          file (another mtime or size) starts a new store on the next call: that is how tests reset.
#   sim-tenant.lock        the store lock, held for every call.
#   stub-store/<stamp>/    the store for the seed with that stamp (older stores are deleted when a new one starts):
#     users/<n>.json       the current state of user n (index in the seed's users array), for users changed since
#                          the seed was loaded; one line of JSON, written to a temporary file and renamed over.
#     changes.log          one line "<n>" per user write, appended before users/<n>.json is replaced, and one line
#                          "tenant" per write of tenant.json.
#     tenant.json          the tenant-wide settings (hybrid, federation, directRouting, ...: the seed without its
#                          users) once a cmdlet changed one.
#
# Why: re-serialising and rewriting a 1,000-user document on every Set-CsUser cost tens of milliseconds. Now a write
# is one small file and one appended line; each process keeps the parsed tenant, and under the lock it stats the
# seed (new seed: load again) and reads the change log from where it stopped, re-reading only the users named there.
# Identities never change after seeding (no cmdlet sets them), so user indexes and the identity index stay valid.

$script:Cache = $null
$script:Utf8 = [Text.UTF8Encoding]::new($false)

function Get-StubDataDir {
    $dir = $env:SWITCHBOARD_STUB_DATA_DIR
    if ([string]::IsNullOrWhiteSpace($dir)) { throw 'SWITCHBOARD_STUB_DATA_DIR is not set: the stand-in module has no tenant to serve.' }
    return $dir
}

function Invoke-StubLocked([scriptblock]$Body) {
    # An exclusive FileShare.None open is an flock on Unix and a share lock on Windows; the kernel drops it if we die.
    $path = [IO.Path]::Combine((Get-StubDataDir), 'sim-tenant.lock')
    $deadline = [DateTime]::UtcNow.AddSeconds(30)
    $lock = $null
    while ($null -eq $lock) {
        try { $lock = [IO.File]::Open($path, 'OpenOrCreate', 'ReadWrite', 'None') }
        catch [IO.IOException] {
            if ([DateTime]::UtcNow -gt $deadline) { throw "The stand-in tenant store is locked by another process (waited 30 s)." }
            [Threading.Thread]::Sleep(1)
        }
    }
    try { & $Body } finally { $lock.Dispose() }
}

function Get-StubFileStamp([string]$File) {
    $info = [IO.FileInfo]::new($File)
    if (-not $info.Exists) { throw "No tenant state at $File (expected sim-tenant.json in SWITCHBOARD_STUB_DATA_DIR)." }
    return '{0}-{1}' -f $info.LastWriteTimeUtc.Ticks, $info.Length
}

function ConvertTo-StubUserLine($User) { ConvertTo-Json -InputObject $User -Compress -Depth 5 }

function New-StubIndex($Users) {
    $index = @{ id = @{}; upn = @{}; sip = @{}; name = @{}; alias = @{}; line = @{} }
    for ($i = 0; $i -lt $Users.Count; $i++) {
        $u = $Users[$i]
        foreach ($pair in @(@('id', $u.Identity), @('upn', $u.UserPrincipalName), @('sip', $u.SipAddress), @('name', $u.DisplayName), @('alias', $u.Alias))) {
            $key = ([string]$pair[1]).ToLowerInvariant()
            $bucket = $index[$pair[0]]
            if (-not $bucket.ContainsKey($key)) { $bucket[$key] = [Collections.Generic.List[int]]::new() }
            $bucket[$key].Add($i)
        }
    }
    return $index
}

# The line URI index changes with the users (Set-CsUser), unlike the identity ones: LineOf[i] is what it holds for i.
function Update-StubLineIndex($Cache, [int]$Index) {
    $old = $Cache.LineOf[$Index]
    $uri = $Cache.Users[$Index]['OnPremLineURI']
    $new = if ([string]::IsNullOrEmpty($uri)) { $null } else { ([string]$uri).ToLowerInvariant() }
    if ($old -ceq $new) { return }
    $lines = $Cache.Index.line
    if ($null -ne $old -and $lines.ContainsKey($old)) { [void]$lines[$old].Remove($Index); if ($lines[$old].Count -eq 0) { $lines.Remove($old) } }
    if ($null -ne $new) {
        if (-not $lines.ContainsKey($new)) { $lines[$new] = [Collections.Generic.SortedSet[int]]::new() }
        [void]$lines[$new].Add($Index)
    }
    $Cache.LineOf[$Index] = $new
}

# users/<n>.json -> n, or -1 for anything else (a temporary file, a stray name, an index past the seed's users).
function Get-StubUserFileIndex([string]$Name, [int]$Count) {
    $n = 0
    if ($Name.EndsWith('.json') -and [int]::TryParse($Name.Substring(0, $Name.Length - 5), [Globalization.NumberStyles]::None, [Globalization.CultureInfo]::InvariantCulture, [ref]$n) -and $n -lt $Count) { return $n }
    return -1
}

# Parses the seed, starts its store if there is none yet, and applies the users changed since. Call inside Invoke-StubLocked.
function Read-StubStore([string]$Seed, [string]$Stamp) {
    $script:Cache = $null
    $state = ConvertFrom-Json -InputObject ([IO.File]::ReadAllText($Seed)) -AsHashtable -Depth 10
    $users = [object[]]@($state.users)
    $state.Remove('users')
    $root = [IO.Path]::Combine([IO.Path]::GetDirectoryName($Seed), 'stub-store')
    $dir = [IO.Path]::Combine($root, $Stamp)
    $usersDir = [IO.Path]::Combine($dir, 'users')
    $log = [IO.Path]::Combine($dir, 'changes.log')
    if (-not [IO.File]::Exists($log)) {
        # A seed this store has not seen: everything stored for an earlier seed is obsolete.
        if ([IO.Directory]::Exists($root)) { foreach ($old in [IO.Directory]::GetDirectories($root)) { [IO.Directory]::Delete($old, $true) } }
        [void][IO.Directory]::CreateDirectory($usersDir)
        [IO.File]::WriteAllText($log, '')
    }
    $tenantFile = [IO.Path]::Combine($dir, 'tenant.json')
    if ([IO.File]::Exists($tenantFile)) { $state = ConvertFrom-Json -InputObject ([IO.File]::ReadAllText($tenantFile)) -AsHashtable -Depth 10 }
    foreach ($file in [IO.Directory]::GetFiles($usersDir)) {
        $n = Get-StubUserFileIndex ([IO.Path]::GetFileName($file)) $users.Count
        if ($n -ge 0) { $users[$n] = ConvertFrom-Json -InputObject ([IO.File]::ReadAllText($file)) -AsHashtable -Depth 5 }
    }
    $script:Cache = @{
        Seed = $Seed; Stamp = $Stamp; State = $state; Users = $users; Index = (New-StubIndex $users); LineOf = [string[]]::new($users.Count)
        UsersDir = $usersDir; TenantFile = $tenantFile; Log = $log; Offset = [IO.FileInfo]::new($log).Length
    }
    for ($i = 0; $i -lt $users.Count; $i++) { Update-StubLineIndex $script:Cache $i }
}

# Brings the per-process cache up to date with the store. Call inside Invoke-StubLocked.
function Sync-StubState {
    $seed = [IO.Path]::Combine((Get-StubDataDir), 'sim-tenant.json')
    $stamp = Get-StubFileStamp $seed
    $c = $script:Cache
    if ($null -eq $c -or $c.Seed -cne $seed -or $c.Stamp -cne $stamp) { Read-StubStore $seed $stamp; return $script:Cache }
    $info = [IO.FileInfo]::new($c.Log)
    if (-not $info.Exists -or $info.Length -lt $c.Offset) { Read-StubStore $seed $stamp; return $script:Cache }
    if ($info.Length -eq $c.Offset) { return $c }
    # Other processes wrote users since our last call: re-read exactly those (complete lines only).
    $stream = [IO.File]::Open($c.Log, 'Open', 'Read', 'ReadWrite')
    try {
        $bytes = [byte[]]::new($info.Length - $c.Offset)
        [void]$stream.Seek($c.Offset, 'Begin')
        $read = 0
        while ($read -lt $bytes.Length) {
            $got = $stream.Read($bytes, $read, $bytes.Length - $read)
            if ($got -le 0) { break }
            $read += $got
        }
    }
    finally { $stream.Dispose() }
    if ($read -le 0) { return $c }
    $end = [Array]::LastIndexOf($bytes, [byte]10, $read - 1)
    if ($end -lt 0) { return $c }
    $changed = [Collections.Generic.HashSet[int]]::new()
    $tenantChanged = $false
    foreach ($line in [Text.Encoding]::ASCII.GetString($bytes, 0, $end).Split("`n")) {
        if ($line -ceq 'tenant') { $tenantChanged = $true; continue }
        $n = Get-StubUserFileIndex "$line.json" $c.Users.Count
        if ($n -ge 0) { [void]$changed.Add($n) }
    }
    foreach ($n in $changed) {
        $file = [IO.Path]::Combine($c.UsersDir, "$n.json")
        if ([IO.File]::Exists($file)) { $c.Users[$n] = ConvertFrom-Json -InputObject ([IO.File]::ReadAllText($file)) -AsHashtable -Depth 5; Update-StubLineIndex $c $n }
    }
    if ($tenantChanged -and [IO.File]::Exists($c.TenantFile)) { $c.State = ConvertFrom-Json -InputObject ([IO.File]::ReadAllText($c.TenantFile)) -AsHashtable -Depth 10 }
    $c.Offset += $end + 1
    return $c
}

function Get-StubUser($Cache, [int]$Index) { $Cache.Users[$Index] }

# Persists the users at the given indexes (already changed in the cache). Call inside Invoke-StubLocked.
function Save-StubUsers($Cache, [int[]]$Indexes) {
    if ($Indexes.Count -eq 0) { return }
    try {
        # Log first: if we die between the two, other processes merely re-read a user file that did not change.
        [IO.File]::AppendAllText($Cache.Log, [string]::Join("`n", $Indexes) + "`n")
        foreach ($i in $Indexes) {
            Update-StubLineIndex $Cache $i
            $file = [IO.Path]::Combine($Cache.UsersDir, "$i.json")
            $tmp = "$file.$PID.tmp"
            [IO.File]::WriteAllText($tmp, (ConvertTo-StubUserLine $Cache.Users[$i]), $script:Utf8)
            [IO.File]::Move($tmp, $file, $true)
        }
        $Cache.Offset = [IO.FileInfo]::new($Cache.Log).Length
    }
    catch {
        # The cache holds changes the store may not: load again on the next call.
        $script:Cache = $null
        throw
    }
}

# Persists the tenant-wide settings (already changed in $Cache.State). Call inside Invoke-StubLocked.
function Save-StubTenant($Cache) {
    try {
        [IO.File]::AppendAllText($Cache.Log, "tenant`n")
        $tmp = "$($Cache.TenantFile).$PID.tmp"
        [IO.File]::WriteAllText($tmp, (ConvertTo-Json -InputObject $Cache.State -Compress -Depth 10), $script:Utf8)
        [IO.File]::Move($tmp, $Cache.TenantFile, $true)
        $Cache.Offset = [IO.FileInfo]::new($Cache.Log).Length
    }
    catch {
        $script:Cache = $null
        throw
    }
}

# The account's SKU part numbers; older seeds carry only feature types (see skusOf in src/tenant/sim/state.ts).
function Get-StubSkus($User) {
    if ($null -ne $User['AssignedLicenses']) { return , ([string[]]@($User['AssignedLicenses'])) }
    $features = @($User.Licenses)
    if ($features -contains 'PhoneSystem') { return , ([string[]]@('ENTERPRISEPREMIUM')) }
    if ($features.Count -gt 0) { return , ([string[]]@('ENTERPRISEPACK')) }
    return , ([string[]]@())
}

# Whether Skype for Business Online sees the account now: synced already, or due and licensed (isSynced in state.ts).
function Test-StubSynced($User) {
    $at = $User['syncAt']
    if ($null -eq $at) { return $true }
    # ConvertFrom-Json turns ISO 8601 strings into DateTime; a string is parsed the same way.
    $due = if ($at -is [DateTime]) { $at.ToUniversalTime() } else { [DateTime]::Parse([string]$at, [Globalization.CultureInfo]::InvariantCulture, [Globalization.DateTimeStyles]'AdjustToUniversal, AssumeUniversal') }
    return ($due -le [DateTime]::UtcNow) -and ((Get-StubSkus $User).Count -gt 0)
}
